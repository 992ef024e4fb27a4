"""Book: a book of positions in the asset columns, hedged, measured against a benchmark, shocked and stressed.

Inputs: BookPositions (B6:M6, an amount held in each asset column, long and
short, 10m gross, 5.6m net), BookCapital (B10: the capital the weights are a
fraction of, the net by default) and BookShockValues (the scenario table, factor shocks in
decimals). The benchmark is equal weight over the assets with data (a
formula, so a refresh with fewer assets follows it). The model is the one of
MultiFactor: ExcessReturns on Factors (MktRF, SMB, HML), per period.

The hedge "in tradable instruments" uses the MktRF column of Data as the
instrument (BookInstruments): the bundled factor ETFs are daily 2014-2022 and
do not overlap this monthly history, and the market excess return is what an
index future or ETF delivers. Every block's shape depends on N, K and the
number of scenarios only (layout.py).
"""

from __future__ import annotations

from openpyxl.chart import BarChart, Reference

from . import guard as G
from . import layout as L
from . import style as S

N, K = L.N_ASSETS, L.N_FACTORS
HEDGE_ROWS, HEDGE_COLS = L.BOOKHEDGE_SHAPE
INSTR_ROWS, INSTR_COLS = L.INSTRUMENT_HEDGE_SHAPE
ACTIVE_ROWS, ACTIVE_COLS = L.ACTIVERISK_SHAPE
SCEN_ROWS, SCEN_COLS = L.SCENARIO_SHAPE
STRESS_ROWS, STRESS_COLS = L.STRESS_SHAPE
#: Capital of the book: its net, so that the weights add up to 1 like the benchmark's.
DEFAULT_CAPITAL = 5_600_000
#: The book: an amount per asset column (NoDur .. Other), 10m gross, 5.6m net, five shorts.
DEFAULT_POSITIONS = (1_500_000, -500_000, 1_000_000, 800_000, -600_000, 1_400_000, 500_000, -700_000, 900_000,
                     1_200_000, -400_000, 500_000)

_FIRST = L.col(L.BK_FIRST_COL)
_LAST = L.col(L.BK_FIRST_COL + N - 1)
_HEDGE_FACTORS = L.BK_HEDGE_TOP + 1                  # first factor row of the factor hedge
_HEDGE_VOL = L.BK_HEDGE_TOP + K + 2                  # vol_before row of the factor hedge
_INSTR_VOL = L.BK_HEDGE_TOP + len(L.BOOK_INSTRUMENTS) + 2
_INSTR = L.col(L.BK_INSTRUMENT_COL)
_INSTR_VALUE = L.col(L.BK_INSTRUMENT_COL + 1)
_ASSETS = f"{L.BK_ACTIVE_ASSETS}"
_LAST_ASSET = L.BK_ACTIVE_ASSETS + N - 1

#: Named outputs of this sheet: name -> cell.
OUTPUTS = {
    "BookVolBefore": f"B{L.BK_VOL_ROW}",
    "BookVolAfter": f"B{L.BK_VOL_ROW + 1}",
    "BookVolAfterInstrument": f"B{L.BK_VOL_ROW + 2}",
    "BookShareRemoved": f"B{_HEDGE_VOL + 2}",
    "TrackingError": f"B{L.BK_ACTIVE_TOP}",
    "BookWorstPnl": f"B{L.BK_STRESS_TOP + 1}",
    "BookWorstDate": f"{L.col(L.BK_STRESS_DATE_COL)}{L.BK_STRESS_TOP + 1}",
}


def _bold(ws, row: int, first_col: int, last_col: int) -> None:
    for c in range(first_col, last_col + 1):
        ws.cell(row=row, column=c).font = S.HEADER_FONT


def _formats(ws, rows, columns, fmt: str) -> None:
    for r in rows:
        for c in columns:
            ws[f"{c}{r}"].number_format = fmt


def build(wb, ws) -> None:
    S.title(ws, "Book: hedge, active risk, scenarios and stress of a book of positions",
            '="BookPositions in the ' + str(N) + ' asset columns ("&NAssets&" with data) on Factors ("&COLUMNS(Factors)&'
            '" factors): ExcessReturns, per period unless the label says per year."')
    S.note(ws, "A3", "The book (row 6) under the factor model B Sigma_f B' + D of MultiFactor: its hedge in the "
                     "factors (zero exposure) and in a tradable instrument, its tracking error against the "
                     "equal-weight benchmark (row 8) with the assets that contribute most, the P&L of factor "
                     "scenarios, and its worst historical months replayed through the model.")
    ws.merge_cells(f"A3:{L.col(1 + N)}3")
    ws["A3"].alignment = S.WRAP
    ws.row_dimensions[3].height = 47
    _positions(wb, ws)
    _hedge(wb, ws)
    _active(wb, ws)
    _scenarios(wb, ws)
    _stress(ws)
    for defined, cell in OUTPUTS.items():
        S.name_cell(wb, ws, defined, cell)
    ws.freeze_panes = "A3"
    S.widths(ws, A=46, **{L.col(c): 13 for c in range(2, 2 + N)})


def _positions(wb, ws) -> None:
    names = L.BK_NAMES_ROW
    S.section(ws, f"A{names - 1}", "Input: the book, an amount held in each asset column (currency, negative = "
                                   "short; 0 for none)")
    ws[f"A{names}"] = "Asset"
    for i in range(N):
        cell = ws.cell(row=names, column=L.BK_FIRST_COL + i,
                       value=f'=""&{L.EXCESS}!{L.col(L.FIRST_ASSET_COL + i)}${L.HEADER_ROW}')
        cell.font, cell.fill = S.HEADER_FONT, S.HEADER_FILL
    ws[f"A{L.BK_POSITIONS_ROW}"] = "Position"
    _, cell_range = L.INPUT_RANGES["BookPositions"]
    S.input_range(wb, ws, "BookPositions", cell_range, list(DEFAULT_POSITIONS),
                  S.decimal_validation(-1e12, 1e12, "Amount held in this asset, in currency (negative for short); "
                                                    "0 for none, and 0 on an asset column without data."),
                  S.MONEY)
    weights, bench = L.BK_WEIGHTS_ROW, L.BK_BENCHMARK_ROW
    ws[f"A{weights}"] = "Weight (position / capital)"
    ws[f"A{bench}"] = "Benchmark weight (equal, over the assets with data)"
    for i in range(N):
        c = L.col(L.BK_FIRST_COL + i)
        ws[f"{c}{weights}"] = f"={c}{L.BK_POSITIONS_ROW}/BookCapital"
        ws[f"{c}{bench}"] = f"=IF({L.MULTIFACTOR}!{L.col(L.MF_FIRST_COL + i)}{L.MF_PERIODS_ROW}>0,1/NAssets,0)"
        ws[f"{c}{weights}"].number_format = ws[f"{c}{bench}"].number_format = S.PERCENT
    S.name(wb, "BookWeights", f"{ws.title}!${_FIRST}${weights}:${_LAST}${weights}")
    S.name(wb, "BenchmarkWeights", f"{ws.title}!${_FIRST}${bench}:${_LAST}${bench}")
    S.name(wb, "BookInstruments", L.ref(L.DATA, L.FIRST_FACTOR_COL, L.HEADER_ROW, L.FIRST_FACTOR_COL, L.LAST_ROW))

    row = L.BK_CAPITAL_ROW
    ws[f"A{row}"] = "Capital (the weights are fractions of it)"
    S.input_cell(wb, ws, "BookCapital", f"B{row}", DEFAULT_CAPITAL,
                 S.decimal_validation(1, 1e12, "Capital of the book, in currency: the weights of row 7 are the "
                                               "positions divided by it (the rest is cash)."), S.MONEY)
    S.label(ws, f"A{row + 1}", "Gross (sum of |positions|)", "=SUMPRODUCT(ABS(BookPositions))", S.MONEY)
    S.label(ws, f"A{row + 2}", "Net (sum of positions)", "=SUM(BookPositions)", S.MONEY)
    S.note(ws, f"C{row}", "the net of the book by default, so its weights add up to 1 like the benchmark's; a "
                          "larger capital holds the rest in cash")


def _hedge(wb, ws) -> None:
    top = L.BK_HEDGE_TOP
    S.section(ws, f"A{top - 1}", "Book hedge in the factors (FM_BOOKHEDGE: -B'w, every exposure to zero) and in "
                                 "the MktRF column as a tradable instrument; per period")
    S.formula(ws, f"A{top}:{L.col(HEDGE_COLS)}{top + HEDGE_ROWS - 1}",
              "=FM_BOOKHEDGE(BookPositions,ExcessReturns,Factors)")
    _bold(ws, top, 1, HEDGE_COLS)
    _formats(ws, range(_HEDGE_FACTORS, _HEDGE_FACTORS + K), "BCD", S.MONEY)
    _formats(ws, (_HEDGE_VOL, _HEDGE_VOL + 1), "B", S.MONEY)
    ws[f"B{_HEDGE_VOL + 2}"].number_format = S.SHARE

    first = L.BK_INSTRUMENT_COL
    S.formula(ws, f"{_INSTR}{top}:{L.col(first + INSTR_COLS - 1)}{top + INSTR_ROWS - 1}",
              "=FM_BOOKHEDGE(BookPositions,ExcessReturns,Factors,0,BookInstruments)")
    _bold(ws, top, first, first + INSTR_COLS - 1)
    _formats(ws, range(top + 1, top + 1 + len(L.BOOK_INSTRUMENTS)), _INSTR_VALUE, S.MONEY)
    _formats(ws, (_INSTR_VOL, _INSTR_VOL + 1), _INSTR_VALUE, S.MONEY)
    ws[f"{_INSTR_VALUE}{_INSTR_VOL + 2}"].number_format = S.SHARE
    S.note(ws, f"{_INSTR}{top + INSTR_ROWS}", "Instrument: the MktRF column of Data (BookInstruments), the market")
    S.note(ws, f"{_INSTR}{top + INSTR_ROWS + 1}", "excess return an index future or ETF delivers; the bundled")
    S.note(ws, f"{_INSTR}{top + INSTR_ROWS + 2}", "factor ETFs are daily 2014-2022 and do not overlap this data.")
    S.note(ws, f"{_INSTR}{top + INSTR_ROWS + 3}", "Min-variance hedge of the realised P&L w'r_t; SMB and HML")
    S.note(ws, f"{_INSTR}{top + INSTR_ROWS + 4}", "stay unhedged.")

    col = L.BK_EXPOSURE_COL
    S.header(ws, top, col, ("factor exposure", "before", "after factor hedge", "after MktRF hedge"))
    for j in range(K):
        r = _HEDGE_FACTORS + j
        a, b, c, d = (L.col(col + k) for k in range(4))
        ws[f"{a}{r}"] = f"=A{r}"
        ws[f"{b}{r}"] = f"=B{r}"
        ws[f"{c}{r}"] = f"=D{r}"
        # BookInstruments is the first factor column of Data itself: its hedge moves that factor's exposure only.
        hedged = f"+${_INSTR_VALUE}${top + 1}" if j == 0 else ""
        ws[f"{d}{r}"] = f'=IF(ISNUMBER({b}{r}),{b}{r}{hedged},"")'
        for x in (b, c, d):
            ws[f"{x}{r}"].number_format = S.MONEY
    S.note(ws, f"{L.col(col)}{_HEDGE_FACTORS + K}", "B'w in currency: the amount of each factor the book holds")

    row = L.BK_VOL_ROW
    annual = "*SQRT(PeriodsPerYear)"
    S.label(ws, f"A{row}", "Book volatility per year, before (model, x SQRT(PeriodsPerYear))",
            f'=IF(ISNUMBER(B{_HEDGE_VOL}),B{_HEDGE_VOL}{annual},"")', S.MONEY)
    S.label(ws, f"A{row + 1}", "Book volatility per year, after the factor hedge",
            f'=IF(ISNUMBER(B{_HEDGE_VOL + 1}),B{_HEDGE_VOL + 1}{annual},"")', S.MONEY)
    S.label(ws, f"A{row + 2}", "Book volatility per year, after the MktRF hedge (realised P&L)",
            f'=IF(ISNUMBER({_INSTR_VALUE}{_INSTR_VOL + 1}),{_INSTR_VALUE}{_INSTR_VOL + 1}{annual},"")', S.MONEY)
    after = f"D{_HEDGE_FACTORS}:D{_HEDGE_FACTORS + K - 1}"
    S.label(ws, f"A{row + 3}", "Check: every factor exposure after the factor hedge is zero",
            f'=IF(COUNT({after})={K},SUMPRODUCT(ABS({after})),"")', "0.0E+00")
    ws[f"C{row + 3}"] = G.check(f"B{row + 3}", "1E-6")
    ws[f"C{row + 3}"].font = S.CHECK_FONT
    S.note(ws, f"D{row}", "the MktRF hedge is fitted on the realised P&L of the rows where every held asset has a "
                          "return, so its volatility before differs a little from the model's")


def _active(wb, ws) -> None:
    top = L.BK_ACTIVE_TOP
    S.section(ws, f"A{top - 1}", "Tracking error of the weights (row 7) against the benchmark (row 8) "
                                 "(FM_ACTIVERISK), per year: factor and specific parts, contributions")
    S.formula(ws, f"A{top}:{L.col(ACTIVE_COLS)}{top + ACTIVE_ROWS - 1}",
              "=FM_ACTIVERISK(BookWeights,BenchmarkWeights,ExcessReturns,Factors,PeriodsPerYear)")
    _formats(ws, (top, top + 1, top + 2, top + 3), "B", S.PERCENT)
    _formats(ws, (top + 1, top + 2, top + 3), "B", S.VARIANCE)
    ws[f"B{top + 4}"].number_format = S.SHARE
    factor_header = top + 6
    _bold(ws, factor_header, 1, 4)
    _formats(ws, range(factor_header + 1, factor_header + 1 + K), "B", S.BETA)
    _formats(ws, range(factor_header + 1, factor_header + 1 + K), "C", S.PERCENT)
    _formats(ws, range(factor_header + 1, factor_header + 1 + K), "D", S.SHARE)
    _bold(ws, L.BK_ACTIVE_ASSETS - 1, 1, ACTIVE_COLS)
    assets = range(L.BK_ACTIVE_ASSETS, _LAST_ASSET + 1)
    _formats(ws, assets, "BCD", S.PERCENT)
    _formats(ws, assets, "E", S.SHARE)

    names, contrib, pct = (f"${c}${L.BK_ACTIVE_ASSETS}:${c}${_LAST_ASSET}" for c in "ADE")
    first = L.BK_TOP_COL
    S.header(ws, top, first, ("rank", "top contributor", "te_contrib", "pct_contrib"))
    rank, asset, value, share = (L.col(first + k) for k in range(4))
    for k in range(1, L.N_TOP + 1):
        r = top + k
        ws[f"{rank}{r}"] = k
        ws[f"{value}{r}"] = f'=IF(COUNT({contrib})>={k},LARGE({contrib},{k}),"")'
        ws[f"{asset}{r}"] = f'=IF(ISNUMBER({value}{r}),INDEX({names},MATCH({value}{r},{contrib},0)),"")'
        ws[f"{share}{r}"] = f'=IF(ISNUMBER({value}{r}),INDEX({pct},MATCH({value}{r},{contrib},0)),"")'
        ws[f"{value}{r}"].number_format = S.PERCENT
        ws[f"{share}{r}"].number_format = S.SHARE
    S.note(ws, f"{rank}{top + L.N_TOP + 1}", "the assets with the largest te_contrib (w_active x MCTE), "
                                             "INDEX/LARGE over the asset rows")

    row = L.BK_ACTIVE_CHECK_ROW
    S.label(ws, f"A{row}", "Check: the assets' te_contrib add up to the tracking error",
            f'=IF(ISNUMBER(TrackingError),SUM(D{L.BK_ACTIVE_ASSETS}:D{_LAST_ASSET})-TrackingError,"")', "0.0E+00")
    ws[f"C{row}"] = G.check(f"B{row}", "1E-12")
    S.label(ws, f"A{row + 1}", "Check: the assets' pct_contrib add up to 1",
            f'=IF(ISNUMBER(TrackingError),SUM(E{L.BK_ACTIVE_ASSETS}:E{_LAST_ASSET})-1,"")', "0.0E+00")
    ws[f"C{row + 1}"] = G.check(f"B{row + 1}", "1E-12")
    for r in (row, row + 1):
        ws[f"C{r}"].font = S.CHECK_FONT
    _chart(ws)


def _chart(ws) -> None:
    chart = BarChart()
    chart.type = "bar"
    chart.title = "Contribution of each asset to the tracking error (per year)"
    chart.y_axis.title = "te_contrib"
    chart.y_axis.number_format = "0.0%"
    chart.add_data(Reference(ws, min_col=4, min_row=L.BK_ACTIVE_ASSETS - 1, max_row=_LAST_ASSET),
                   titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=L.BK_ACTIVE_ASSETS, max_row=_LAST_ASSET))
    chart.legend = None
    S.colour_series(chart)
    S.show_axes(chart)
    chart.width, chart.height = 16, 9
    ws.add_chart(chart, f"{L.col(L.BK_TOP_COL)}{L.BK_ACTIVE_TOP + L.N_TOP + 3}")


def _scenarios(wb, ws) -> None:
    top = L.BK_SHOCKS_TOP
    S_count = len(L.SCENARIOS)
    S.section(ws, f"A{top - 1}", "Input: factor scenarios (BookShocks), a shock per factor in decimals per period "
                                 "(-0.10 for -10%; blank or 0: not shocked)")
    S.header(ws, top, 1, ("factor", *(name for name, _ in L.SCENARIOS)))
    values = []
    for j, factor in enumerate(L.FACTORS):
        cell = ws.cell(row=top + 1 + j, column=1,
                       value=f'=""&{L.DATA}!{L.col(L.FIRST_FACTOR_COL + j)}${L.HEADER_ROW}')
        cell.font = S.HEADER_FONT
        values += [shocks.get(factor, 0) for _, shocks in L.SCENARIOS]
    _, cell_range = L.INPUT_RANGES["BookShockValues"]
    S.input_range(wb, ws, "BookShockValues", cell_range, values,
                  S.decimal_validation(-1, 1, "Shock to this factor in this scenario, in decimals per period "
                                              "(-0.10 for -10%), -1 to 1; 0 for none."), S.PERCENT)
    S.name(wb, "BookShocks", f"{ws.title}!$A${top}:${L.col(1 + S_count)}${top + K}")
    for c in range(2, 2 + S_count):
        ws.cell(row=top, column=c).alignment = S.WRAP
    ws.row_dimensions[top].height = 32

    out = L.BK_SCENARIO_TOP
    S.section(ws, f"A{out - 1}", "P&L of the scenarios (FM_SCENARIO): w_i beta_i' s per asset and w' B s for the "
                                 "book; beside them the one-period alpha w' alpha and specific volatility")
    S.formula(ws, f"A{out}:{L.col(SCEN_COLS)}{out + SCEN_ROWS - 1}",
              "=FM_SCENARIO(BookPositions,ExcessReturns,Factors,BookShocks)")
    _bold(ws, out, 1, SCEN_COLS)
    _bold(ws, out + N + 1, 1, SCEN_COLS)
    _formats(ws, range(out + 1, out + SCEN_ROWS), [L.col(c) for c in range(2, SCEN_COLS + 1)], S.MONEY)
    for c in range(2, SCEN_COLS + 1):
        ws.cell(row=out, column=c).alignment = S.WRAP
    ws.row_dimensions[out].height = 32


def _stress(ws) -> None:
    top = L.BK_STRESS_TOP
    S.section(ws, f"A{top - 1}", f"The book's {L.N_WORST} worst months (FM_STRESS): realised P&L w'r_t on excess "
                                 "returns, replayed as factor P&L, alpha and the specific rest")
    S.formula(ws, f"A{top}:{L.col(STRESS_COLS)}{top + STRESS_ROWS - 1}",
              f"=FM_STRESS(BookPositions,ExcessReturns,Factors,{L.N_WORST})")
    _bold(ws, top, 1, STRESS_COLS)
    _formats(ws, range(top + 1, top + STRESS_ROWS), [L.col(c) for c in range(2, STRESS_COLS + 1)], S.MONEY)
    _formats(ws, range(top + 1, top + STRESS_ROWS), "A", S.COUNT)
    date = L.col(L.BK_STRESS_DATE_COL)
    ws[f"{date}{top}"] = "date"
    ws[f"{date}{top}"].font = S.HEADER_FONT
    for r in range(top + 1, top + STRESS_ROWS):
        ws[f"{date}{r}"] = f'=IF(ISNUMBER(A{r}),INDEX(DataDates,A{r}+1),"")'
        ws[f"{date}{r}"].number_format = S.DATE
    S.note(ws, f"A{top + STRESS_ROWS}", "row: the period's row in ExcessReturns below its header; its date beside "
                                        "it (INDEX of DataDates)")
