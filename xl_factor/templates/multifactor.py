"""MultiFactor: every asset column on every factor: betas, Fama-MacBeth premia, GRS and risk contributions.

The model is ExcessReturns (the 12 industries) on Factors (MktRF, SMB, HML),
K = 3, matched by position over the generous ranges. Input (B6:M6):
PortfolioWeights, one weight per asset column (1/12 each). Fama-MacBeth and
GRS use the rows where every asset and factor is present; the betas, the
variance decomposition and the risk contributions fit each asset on the rows
where it and every factor are present. Every block's shape depends on N and
K only (layout.py), never on the number of periods.
"""

from __future__ import annotations

from . import guard as G
from . import layout as L
from . import style as S

N, K = L.N_ASSETS, L.N_FACTORS
FM_ROWS, FM_COLS = L.FAMAMACBETH_SHAPE
RISK_ROWS, RISK_COLS = L.RISKCONTRIB_SHAPE
GRS_ROWS, GRS_COLS = L.GRS_SHAPE
P_VALUE = "0.0000"
VOL = "0.0000"

_RISK_TOTAL = L.MF_RISK_TOP + K + 3       # the "total" row of the risk sources
_RISK_ASSETS = L.MF_RISK_TOP + K + 6      # first asset row of the risk table

#: Named outputs of this sheet: name -> cell.
OUTPUTS = {
    "GRSStat": f"B{L.MF_GRS_TOP + 1}",
    "GRSPValue": f"B{L.MF_GRS_TOP + 4}",
    "SystematicShare": f"D{_RISK_TOTAL - 2}",
    "PortfolioVar": f"B{_RISK_TOTAL}",
    "PortfolioVol": f"C{_RISK_TOTAL}",
}


def _asset_header(i: int) -> str:
    return f'=""&{L.EXCESS}!{L.col(L.FIRST_ASSET_COL + i)}${L.HEADER_ROW}'


def _factor_header(j: int) -> str:
    return f'=""&{L.DATA}!{L.col(L.FIRST_FACTOR_COL + j)}${L.HEADER_ROW}'


def _bold(ws, row: int, first_col: int, last_col: int) -> None:
    for c in range(first_col, last_col + 1):
        ws.cell(row=row, column=c).font = S.HEADER_FONT


def _formats(ws, rows, columns: str, fmt: str) -> None:
    for r in rows:
        for c in columns:
            ws[f"{c}{r}"].number_format = fmt


def build(wb, ws) -> None:
    S.title(ws, "MultiFactor: three factors on the industry portfolios",
            '="ExcessReturns ("&NAssets&" asset columns with data, of ' + str(N) + ') on Factors ("&COLUMNS(Factors)&'
            '" factors); per period, ddof 1. Fama-MacBeth and GRS use the rows complete in every asset with data '
            'and every factor."')
    S.note(ws, "A3", "First pass: one OLS of each asset on the factors (betas). Fama-MacBeth: per period, the assets' "
                     "returns regressed on their betas; the premia are the means over the periods. GRS: F test that "
                     "every alpha is zero. Risk: how much each factor, the specific risk and each asset contribute "
                     "to the volatility of the portfolio in row 6, under B Sigma_f B' + D.")
    ws.merge_cells(f"A3:{L.col(1 + N)}3")
    ws["A3"].alignment = S.WRAP
    ws.row_dimensions[3].height = 47
    _weights(wb, ws)
    _first_pass(ws)
    _fama_macbeth(ws)
    _grs(ws)
    _risk(ws)
    for defined, cell in OUTPUTS.items():
        S.name_cell(wb, ws, defined, cell)
    ws.freeze_panes = "A3"
    S.widths(ws, A=50, **{L.col(c): 11 for c in range(2, 2 + N)})


def _weights(wb, ws) -> None:
    names, weights = L.MF_NAMES_ROW, L.MF_WEIGHTS_ROW
    S.section(ws, f"A{names - 1}", "Input: portfolio weights, one per asset column (fractions of capital, "
                                   "negative = short)")
    ws[f"A{names}"], ws[f"A{weights}"] = "Asset", "Weight"
    for i in range(N):
        cell = ws.cell(row=names, column=L.MF_FIRST_COL + i, value=_asset_header(i))
        cell.font, cell.fill = S.HEADER_FONT, S.HEADER_FILL
    _, cell_range = L.INPUT_RANGES["PortfolioWeights"]
    S.input_range(wb, ws, "PortfolioWeights", cell_range, [1 / N] * N,
                  S.decimal_validation(-10, 10, "Weight of this asset in the portfolio, as a fraction of capital "
                                                "(0.05 = 5%), -10 to 10; negative for short, 0 to leave it out."),
                  S.PERCENT)
    S.label(ws, f"A{L.MF_SUM_ROW}", "Sum of weights", "=SUM(PortfolioWeights)", S.PERCENT)
    S.note(ws, f"C{L.MF_SUM_ROW}", f"equal weight: 1/{N} each; the weights need not add up to 1; give an asset "
                                   "without data a weight of 0")
    row = L.MF_PERIODS_ROW
    ws[f"A{row}"] = "Periods with data"
    first, last = L.FIRST_ROW, L.LAST_ROW
    for i in range(N):
        c = L.col(L.FIRST_ASSET_COL + i)
        cell = ws.cell(row=row, column=L.MF_FIRST_COL + i, value=f"=COUNT({L.EXCESS}!{c}${first}:{c}${last})")
        cell.number_format = S.COUNT
    S.name(wb, "AssetPeriods", f"{ws.title}!${L.col(L.MF_FIRST_COL)}${row}:${L.col(L.MF_FIRST_COL + N - 1)}${row}")


def _first_pass(ws) -> None:
    top = L.MF_BETA_TOP
    S.section(ws, f"A{top - 1}", "First pass: betas on the factors (FM_BETA, N x K) and variance decomposition "
                                 "(FM_VARDECOMP), per period")
    ws[f"A{top}"] = "beta on"
    for j in range(K):
        ws.cell(row=top, column=2 + j, value=_factor_header(j))
    _bold(ws, top, 1, 1 + K)
    for i in range(N):
        ws.cell(row=top + 1 + i, column=1, value=_asset_header(i)).font = S.HEADER_FONT
    S.formula(ws, f"B{top + 1}:{L.col(1 + K)}{top + N}", "=FM_BETA(ExcessReturns,Factors)", S.BETA)

    first = L.MF_VARDECOMP_COL
    vd_range = f"{L.col(first)}{top}:{L.col(first + 4)}{top + N}"
    S.formula(ws, vd_range, "=FM_VARDECOMP(ExcessReturns,Factors)")
    _bold(ws, top, first, first + 4)
    rows = range(top + 1, top + N + 1)
    _formats(ws, rows, [L.col(first + j) for j in (1, 2, 3)], S.VARIANCE)
    _formats(ws, rows, [L.col(first + 4)], S.SHARE)


#: Fama-MacBeth's cross-section needs more assets than factors and a constant: below that the block stays blank.
FM_ENOUGH = "NAssets>=COLUMNS(Factors)+2"


def _fm_block(ws, top: int, text: str) -> None:
    S.formula(ws, f"A{top}:{L.col(FM_COLS)}{top + FM_ROWS - 1}", f'=IF({FM_ENOUGH},{text.lstrip("=")},"")')
    S.note(ws, f"A{top + FM_ROWS}", f'=IF({FM_ENOUGH},"","Left blank: Fama-MacBeth needs at least "&'
                                    f'(COLUMNS(Factors)+2)&" assets with data (factors + 2); this data has "&NAssets&".")')
    _bold(ws, top, 1, FM_COLS)
    coefficients = range(top + 1, top + K + 2)  # const and the factors
    _formats(ws, coefficients, "BCF", S.VARIANCE)
    _formats(ws, coefficients, "DG", S.RATIO)
    _formats(ws, coefficients, "EH", P_VALUE)
    summary = top + K + 3                       # mean_r2, n_periods, n_assets, hac_lags
    ws[f"B{summary}"].number_format = "0.0000"
    _formats(ws, range(summary + 1, summary + 4), "B", S.COUNT)


def _fama_macbeth(ws) -> None:
    top = L.MF_FM_TOP
    S.section(ws, f"A{top - 1}", "Fama-MacBeth premia (FM_FAMAMACBETH, unadjusted: std_err = std dev of the period "
                                 "premia / sqrt(T)); Shanken-corrected errors beside")
    _fm_block(ws, top, "=FM_FAMAMACBETH(ExcessReturns,Factors)")
    premium_col = L.col(FM_COLS + 2)
    ws[f"{premium_col}{top}"] = "premium per year"
    ws[f"{premium_col}{top}"].font = S.HEADER_FONT
    for r in range(top + 1, top + K + 2):
        ws[f"{premium_col}{r}"] = f'=IF(ISNUMBER(B{r}),B{r}*PeriodsPerYear,"")'
        ws[f"{premium_col}{r}"].number_format = S.PERCENT
    S.note(ws, f"{premium_col}{top + K + 2}", "x PeriodsPerYear (Sizing)")

    kernel = L.MF_FM_KERNEL_TOP
    S.section(ws, f"A{kernel - 1}", "Fama-MacBeth with Newey-West standard errors (FM_FAMAMACBETH, kernel: Bartlett "
                                    "weights, hac_lags below); same premia")
    _fm_block(ws, kernel, '=FM_FAMAMACBETH(ExcessReturns,Factors,"kernel")')


def _grs(ws) -> None:
    top = L.MF_GRS_TOP
    S.section(ws, f"A{top - 1}", "GRS test that every alpha is zero (FM_GRS): F ~ F(N, T - N - K) under normal "
                                 "i.i.d. errors")
    S.formula(ws, f"A{top}:{L.col(GRS_COLS)}{top + GRS_ROWS - 1}", "=FM_GRS(ExcessReturns,Factors)")
    _bold(ws, top, 1, GRS_COLS)
    ws[f"B{top + 1}"].number_format = "0.000"
    _formats(ws, (top + 2, top + 3), "B", S.COUNT)
    ws[f"B{top + 4}"].number_format = "0.00E+00"
    p_value = f"B{top + 4}"  # a #FM! text would compare as larger than any number: test for a number first
    ws[f"C{top + 4}"] = (f'=IF(ISNUMBER({p_value}),IF({p_value}<0.05,"rejected at 5%: the factors leave alphas '
                         f'that are not all zero","not rejected at 5%"),"")')
    ws[f"C{top + 4}"].font = S.NOTE_FONT


def _risk(ws) -> None:
    top = L.MF_RISK_TOP
    S.section(ws, f"A{top - 1}", "Risk contributions of the portfolio in row 6 (FM_RISKCONTRIB): B Sigma_f B' + D, "
                                 "per period; shares add up to 1")
    S.formula(ws, f"A{top}:{L.col(RISK_COLS)}{top + RISK_ROWS - 1}",
              "=FM_RISKCONTRIB(PortfolioWeights,ExcessReturns,Factors)")
    _bold(ws, top, 1, RISK_COLS - 1)
    sources = range(top + 1, _RISK_TOTAL + 1)  # the factors, systematic, specific, total
    _formats(ws, sources, "B", S.VARIANCE)
    _formats(ws, sources, "C", VOL)
    _formats(ws, sources, "D", S.SHARE)
    _bold(ws, _RISK_ASSETS - 1, 1, RISK_COLS)
    assets = range(_RISK_ASSETS, _RISK_ASSETS + N)
    _formats(ws, assets, "B", S.PERCENT)
    _formats(ws, assets, "CD", VOL)
    _formats(ws, assets, "E", S.SHARE)

    row = L.MF_CHECK_ROW
    S.label(ws, f"A{row}", "Volatility per year (x SQRT(PeriodsPerYear))", '=IF(ISNUMBER(PortfolioVol),PortfolioVol*SQRT(PeriodsPerYear),"")',
            S.PERCENT)
    last = _RISK_ASSETS + N - 1
    S.label(ws, f"A{row + 1}", "Check: asset pct_contrib add up to the total (1)",
            f'=IF(ISNUMBER(D{_RISK_TOTAL}),SUM(E{_RISK_ASSETS}:E{last})-D{_RISK_TOTAL},"")', "0.0E+00")
    ws[f"C{row + 1}"] = G.check(f"B{row + 1}", "1E-12")
    S.label(ws, f"A{row + 2}", "Check: asset vol_contrib add up to the volatility",
            f'=IF(ISNUMBER(PortfolioVol),SUM(D{_RISK_ASSETS}:D{last})-PortfolioVol,"")', "0.0E+00")
    ws[f"C{row + 2}"] = G.check(f"B{row + 2}", "1E-12*PortfolioVol")
    for r in (row + 1, row + 2):
        ws[f"C{r}"].font = S.CHECK_FONT
