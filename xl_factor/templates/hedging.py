"""Hedging: the factor hedge of a position, the hedge that meets a factor-share limit, and the hedged series.

Inputs (B4:B5): Position and TargetShare. Columns O:S hold, row for row with
the picked series on Regression, the tracking returns beta x f (FM_TRACKING),
the hedged returns r - beta x f (FM_HEDGED) and the growth of 1 invested in
the asset's excess return and in the hedged position (a missing return counts
as zero; the growth starts again at 1 after a row without a date).
"""

from __future__ import annotations

from openpyxl.chart import LineChart, Reference
from openpyxl.chart.axis import DateAxis

from . import guard as G
from . import layout as L
from . import style as S

OUTPUTS = {"HedgeFull": "B9", "ShareBefore": "B15", "HedgeTarget": "B16", "ShareAfter": "B18"}


def build(wb, ws, prefilled: int) -> None:
    S.title(ws, "Hedging: hold the asset, short the factor",
            "Hedge = amount of the factor to hold, same currency as the position (negative = short). "
            "Factor share = beta' Sigma_f beta / total variance.")
    S.section(ws, "A3", "Inputs")
    ws["A4"], ws["A5"] = "Position (currency)", "Factor-share limit"
    S.input_cell(wb, ws, "Position", "B4", 1_000_000,
                 S.nonzero_validation("Amount held in the asset, in currency units; negative for short, not zero."),
                 S.MONEY)
    S.input_cell(wb, ws, "TargetShare", "B5", 0.25,
                 S.decimal_validation(0, 0.99, "Largest factor share of the position's variance to accept: "
                                               "0 (full hedge) to 99%."), S.SHARE)
    S.note(ws, "C4", "in the Regression asset")
    S.note(ws, "C5", "0% = full hedge")

    S.section(ws, "A7", "Full factor hedge")
    ws["A8"] = '="Beta of "&AssetName&" on "&FactorName'
    S.formula(ws, "B8", "=FM_BETA(AssetSeries,FactorSeries)", S.BETA, array=False)
    ws["A9"] = '="Hedge: amount of "&FactorName&" to hold"'
    S.formula(ws, "B9", "=FM_HEDGE(Position,AssetSeries,FactorSeries)", S.MONEY)
    S.label(ws, "A10", "Check: - beta x position", "=-B8*Position", S.MONEY)
    ws["C10"] = G.check("B9-B10", "1E-9*MAX(1,ABS(B10))")
    S.label(ws, "A11", "Hedge per unit of the asset", "=B9/Position", S.BETA)
    ws["A12"] = "Factor share after the full hedge"
    S.formula(ws, "B12", "=FM_RISKSHARE(AssetSeries,FactorSeries,B11)", S.SHARE)

    S.section(ws, "A14", "Factor-share limit")
    ws["A15"] = "Factor share before hedging"
    S.formula(ws, "B15", "=FM_RISKSHARE(AssetSeries,FactorSeries)", S.SHARE)
    ws["A16"] = "Hedge that meets the limit"
    S.formula(ws, "B16", "=FM_HEDGE(Position,AssetSeries,FactorSeries,TargetShare)", S.MONEY)
    S.label(ws, "A17", "Hedge per unit of the asset", "=B16/Position", S.BETA)
    ws["A18"] = "Factor share after the limit hedge"
    S.formula(ws, "B18", "=FM_RISKSHARE(AssetSeries,FactorSeries,B17)", S.SHARE)
    S.label(ws, "A19", "Check: share after = MIN(limit, share before)", "=B18-MIN(TargetShare,B15)", "0.0E+00")
    ws["C19"] = G.check("B19", "1E-9")

    S.section(ws, "A21", "Tracking and hedged series (columns O:S)")
    ws["A22"] = "Alpha per period (FM_ALPHA)"
    S.formula(ws, "B22", "=FM_ALPHA(AssetSeries,FactorSeries)", S.VARIANCE)
    S.label(ws, "A23", "Mean of the hedged series", "=AVERAGE(HedgedSeries)", S.VARIANCE)
    S.label(ws, "A24", "Check: mean of hedged - alpha", "=B23-B22", "0.0E+00")
    ws["C24"] = G.check("B24", "1E-12")
    S.label(ws, "A25", "Mean of the tracking series", "=AVERAGE(TrackingSeries)", S.VARIANCE)
    for cell in ("C10", "C19", "C24"):
        ws[cell].font = S.CHECK_FONT

    for defined, cell in OUTPUTS.items():
        S.name_cell(wb, ws, defined, cell)
    _series_block(wb, ws)
    _chart(ws, prefilled)
    ws.freeze_panes = "A4"
    S.widths(ws, A=40, B=14, C=12, O=12, P=11, Q=11, R=20, S=20)


def _series_block(wb, ws) -> None:
    h, first, last = L.SERIES_HEADER_ROW, L.SERIES_FIRST_ROW, L.SERIES_LAST_ROW
    S.header(ws, h, L.HEDGE_DATE_COL, ("Date", "tracking", "hedged"))
    ws.cell(row=h, column=L.CUM_ASSET_COL, value='=AssetName&" (growth of 1)"')
    ws.cell(row=h, column=L.CUM_HEDGED_COL, value="hedged (growth of 1)")
    for c in (L.CUM_ASSET_COL, L.CUM_HEDGED_COL):
        ws.cell(row=h, column=c).font = S.HEADER_FONT
        ws.cell(row=h, column=c).fill = S.HEADER_FILL
    for column, function in ((L.TRACKING_COL, "FM_TRACKING"), (L.HEDGED_COL, "FM_HEDGED")):
        letter = L.col(column)
        S.formula(ws, f"{letter}{first}:{letter}{last}", f"={function}(AssetSeries,FactorSeries)", S.RETURN)
    date, asset = L.col(L.REG_DATE_COL), L.col(L.REG_ASSET_COL)
    cum_a, cum_h, hedged = L.col(L.CUM_ASSET_COL), L.col(L.CUM_HEDGED_COL), L.col(L.HEDGED_COL)
    for row in range(first, last + 1):
        ws.cell(row=row, column=L.HEDGE_DATE_COL,
                value=f"={L.REGRESSION}!{date}{row}").number_format = S.DATE
        for target, source in ((cum_a, f"{L.REGRESSION}!{asset}{row}"), (cum_h, f"{hedged}{row}")):
            prev = f"{target}{row - 1}"
            growth = f"IF(ISNUMBER({prev}),{prev},1)*(1+IF(ISNUMBER({source}),{source},0))"
            if target == cum_h:  # the hedged returns are FM_HEDGED: without the add-in, the banner, not 1.000
                growth = G.guarded(growth)
            ws[f"{target}{row}"] = f'=IF(ISNUMBER(${L.col(L.HEDGE_DATE_COL)}{row}),{growth},"")'
            ws[f"{target}{row}"].number_format = "0.000"
    for defined in ("TrackingSeries", "HedgedSeries"):
        S.name(wb, defined, L.DATA_NAMES[defined])


def _chart(ws, prefilled: int) -> None:
    first, last = L.SERIES_FIRST_ROW, L.SERIES_FIRST_ROW + prefilled - 1
    chart = LineChart()
    chart.title = "Growth of 1 in excess returns: unhedged and hedged"
    chart.style = 12
    chart.y_axis.title = "growth of 1 (log scale)"
    chart.y_axis.number_format = "0.0"
    chart.y_axis.scaling.logBase = 10
    chart.add_data(Reference(ws, min_col=L.CUM_ASSET_COL, max_col=L.CUM_HEDGED_COL, min_row=L.SERIES_HEADER_ROW,
                             max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=L.HEDGE_DATE_COL, min_row=first, max_row=last))
    chart.x_axis = DateAxis(crossAx=100)
    chart.y_axis.crossAx = chart.x_axis.axId  # the value axis crosses the date axis, not a missing one
    chart.x_axis.number_format = "yyyy"
    chart.x_axis.majorTimeUnit = "years"
    chart.x_axis.title = "date"
    for series, colour in zip(chart.series, S.SERIES_COLOURS):
        series.marker.symbol = "none"
        series.smooth = False
        series.graphicalProperties.line.solidFill = colour
        series.graphicalProperties.line.width = 22225
    S.show_axes(chart)
    chart.legend.position = "b"
    chart.width, chart.height = 15, 10
    ws.add_chart(chart, "E3")
