"""Sizing: the largest position whose volatility over a horizon equals a budget, hedged and unhedged.

Inputs (B4:B6): VolBudget, Horizon (day, month or year) and PeriodsPerYear
of the data. The horizon table turns the horizon into periods of the data
(252 trading days and 12 months a year).
"""

from __future__ import annotations

from . import guard as G
from . import layout as L
from . import style as S

OUTPUTS = {"DetectedPeriodsPerYear": "D6", "HorizonPeriods": "B14", "SizeUnhedged": "B21", "SizeHedged": "B22",
           "SharpeUnhedged": "F21", "SharpeHedged": "F22"}
TABLE_FIRST = 10


def build(wb, ws) -> None:
    S.title(ws, "Sizing: position for a volatility budget",
            "size = budget / sqrt(variance x horizon periods) (FM_SIZE): total variance unhedged, idio_var when "
            "the factor is hedged. P&L over the horizon (FM_PNL); Sharpe ratios annualised (FM_SHARPE).")
    S.section(ws, "A3", "Inputs")
    ws["A4"], ws["A5"], ws["A6"] = "Volatility budget (currency)", "Horizon", "Periods per year of the data"
    S.input_cell(wb, ws, "VolBudget", "B4", 100_000,
                 S.decimal_validation(0.01, 1e12, "Volatility of P&L you accept over the horizon, in currency."),
                 S.MONEY)
    last = TABLE_FIRST + len(L.HORIZONS) - 1
    S.input_cell(wb, ws, "Horizon", "B5", "month",
                 S.list_validation("HorizonNames", "Horizon of the budget: day, month or year."))
    S.input_cell(wb, ws, "PeriodsPerYear", "B6", 12,
                 S.list_validation('"252,52,12,4,1"', "Periods per year of the data: 252 daily, 52 weekly, "
                                                      "12 monthly, 4 quarterly, 1 yearly."), S.COUNT)
    ws["C6"] = "detected from the dates:"
    ws["D6"] = "=ROUND((COUNT(SeriesDates)-1)*365.25/(MAX(SeriesDates)-MIN(SeriesDates)),0)"
    ws["E6"] = '=IF(B6=D6,"OK","CHECK: the dates say "&D6)'
    ws["E6"].font = S.CHECK_FONT

    S.section(ws, "A8", "Horizon table: periods of the data in each horizon")
    S.header(ws, TABLE_FIRST - 1, 1, ("Horizon", "Years", "Periods"))
    for i, (horizon, years) in enumerate(L.HORIZONS):
        row = TABLE_FIRST + i
        ws[f"A{row}"] = horizon
        ws[f"B{row}"] = years
        ws[f"B{row}"].number_format = "0.000000"
        ws[f"C{row}"] = f"=B{row}*PeriodsPerYear"
        ws[f"C{row}"].number_format = "0.0000"
    S.name(wb, "HorizonNames", f"{L.SIZING}!$A${TABLE_FIRST}:$A${last}")
    S.note(ws, f"D{TABLE_FIRST}", "252 trading days and 12 months a year")
    S.label(ws, "A14", "Horizon in periods",
            f"=INDEX($C${TABLE_FIRST}:$C${last},MATCH(Horizon,HorizonNames,0))", "0.0000")

    S.section(ws, "A16", "Per-period variances of the asset (from Regression)")
    S.label(ws, "A17", "Total variance", "=TotalVar", S.VARIANCE)
    S.label(ws, "A18", "Idiosyncratic variance (idio_var)", "=IdioVar", S.VARIANCE)

    S.header(ws, 20, 1, ("Position", "Size", "P&L held unhedged", "Alpha-only P&L", "Vol over horizon",
                         "Sharpe (annual)", "Vol = budget", "Expected P&L as held"))
    ws["H21"], ws["H22"] = "=C21", "=D22"  # the hedged position earns its alpha only
    ws["H21"].number_format = ws["H22"].number_format = S.MONEY
    ws["A21"], ws["A22"] = "Unhedged", "Hedged (factor hedged)"
    S.formula(ws, "B21", "=FM_SIZE(VolBudget,TotalVar,HorizonPeriods)", S.MONEY, array=False)
    S.formula(ws, "B22", "=FM_SIZE(VolBudget,IdioVar,HorizonPeriods)", S.MONEY, array=False)
    S.formula(ws, "C21:D21", "=FM_PNL(B21,AssetSeries,FactorSeries,HorizonPeriods)", S.MONEY)
    S.formula(ws, "C22:D22", "=FM_PNL(B22,AssetSeries,FactorSeries,HorizonPeriods)", S.MONEY)
    ws["E21"], ws["E22"] = "=B21*SQRT(TotalVar*HorizonPeriods)", "=B22*SQRT(IdioVar*HorizonPeriods)"
    ws["E21"].number_format = ws["E22"].number_format = S.MONEY
    for row in (21, 22):
        ws[f"G{row}"] = G.check(f"E{row}-VolBudget", "1E-9*VolBudget")
        ws[f"G{row}"].font = S.CHECK_FONT
    S.formula(ws, "F21", "=FM_SHARPE(AssetSeries,PeriodsPerYear)", S.RATIO)
    S.formula(ws, "F22", "=FM_SHARPE(HedgedSeries,PeriodsPerYear)", S.RATIO)
    ws["A23"] = '="Hedge for the hedged size: "&FactorName&" to hold"'
    S.formula(ws, "B23", "=FM_HEDGE(B22,AssetSeries,FactorSeries)", S.MONEY)
    S.note(ws, "A25", "P&L held unhedged = size x (beta E[f] + alpha) x horizon (FM_PNL). Alpha-only P&L = size x "
                      "alpha x horizon: what the size earns with the factor hedged away. Expected P&L as held: the "
                      "unhedged row held unhedged, the hedged row hedged (its alpha-only P&L).")
    S.note(ws, "A26", "Sharpe: unhedged = mean / sd of the asset's excess return; hedged = mean / sd of the hedged "
                      "series (alpha over residual risk, the appraisal ratio); times sqrt(periods per year).")
    S.note(ws, "A27", "Vol over horizon = size x sqrt(variance x horizon periods): equals the budget.")

    for defined, cell in OUTPUTS.items():
        S.name_cell(wb, ws, defined, cell)
    ws.freeze_panes = "A3"
    S.widths(ws, A=34, B=14, C=24, D=16, E=16, F=14, G=13, H=20)
