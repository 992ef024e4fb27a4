"""Regression: pick an asset and a factor, regress the asset's excess return on the factor.

Inputs (B4:B6): AssetName and FactorName (dropdowns of the Data headers) and
CovType (standard errors). Columns R:T hold the picked series row for row
(date, asset excess return, factor return) over the whole generous range;
AssetSeries and FactorSeries name them, header row included, and every FM_*
call in the workbook reads them.
"""

from __future__ import annotations

from openpyxl.chart import BarChart, Reference, ScatterChart, Series

from . import guard as G
from . import layout as L
from . import style as S

COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3", "HAC")

#: Named outputs of this sheet: name -> cell.
OUTPUTS = {
    "AssetCol": "D4", "FactorCol": "D5",
    "Alpha": "B10", "Beta": "B11", "RSquared": "B13", "NObs": "B17",
    "TotalVar": "B24", "FactorVar": "C24", "IdioVar": "D24", "FactorShare": "E24",
}


def build(wb, ws, prefilled: int) -> None:
    S.title(ws, "Regression: one asset's excess return on one factor",
            "r - rf = alpha + beta f + e, by OLS on every row where both are present (FM_REGRESS, FM_VARDECOMP). "
            "Per period; variances ddof 1.")
    S.section(ws, "A3", "Inputs")
    ws["A4"], ws["A5"], ws["A6"] = "Asset", "Factor", "Standard errors"
    S.input_cell(wb, ws, "AssetName", "B4", "NoDur",
                 S.list_validation("AssetHeaders", "Asset to analyse: one of the headers Data!B1:M1."))
    S.input_cell(wb, ws, "FactorName", "B5", "MktRF",
                 S.list_validation("FactorHeaders", "Factor: one of the headers Data!N1:P1."))
    S.input_cell(wb, ws, "CovType", "B6", "nonrobust",
                 S.list_validation('"' + ",".join(COV_TYPES) + '"',
                                   "Standard errors of FM_REGRESS: nonrobust, HC0-HC3 (heteroskedasticity-robust) "
                                   "or HAC (Newey-West)."))
    ws["C4"], ws["C5"] = "column", "column"
    ws["D4"] = "=MATCH(AssetName,AssetHeaders,0)"
    ws["D5"] = "=MATCH(FactorName,FactorHeaders,0)"
    S.note(ws, "E4", "list: Data!B1:M1")
    S.note(ws, "E5", "list: Data!N1:P1")
    S.note(ws, "E6", "HAC lags floor(4(T/100)^(2/9))")

    ws["A8"] = '="Regression of "&AssetName&" excess return on "&FactorName'
    ws["A8"].font = S.SECTION_FONT
    top = L.REGRESS_TOP
    rows, cols = L.REGRESS_SHAPE
    S.formula(ws, f"A{top}:{L.col(cols)}{top + rows - 1}", "=FM_REGRESS(AssetSeries,FactorSeries,CovType)")
    for r in (top + 1, top + 2):  # alpha, factor
        for c, fmt in zip("BCDEFG", (S.VARIANCE, S.VARIANCE, S.RATIO, "0.0000", S.VARIANCE, S.VARIANCE)):
            ws[f"{c}{r}"].number_format = fmt
    summary = (("r_squared", "0.0000"), ("adj_r_squared", "0.0000"), ("f_stat", S.RATIO), ("f_p_value", "0.0000"),
               ("n_obs", S.COUNT), ("resid_var", S.VARIANCE), ("s2", S.VARIANCE), ("durbin_watson", "0.000"))
    for i, (_, fmt) in enumerate(summary):
        ws[f"B{top + 4 + i}"].number_format = fmt

    S.section(ws, "A22", "Variance decomposition, per period: total_var = factor_var + idio_var")
    vd = L.VARDECOMP_TOP
    S.formula(ws, f"A{vd}:E{vd + 1}", "=FM_VARDECOMP(AssetSeries,FactorSeries)")
    for c in "BCD":
        ws[f"{c}{vd + 1}"].number_format = S.VARIANCE
    ws[f"E{vd + 1}"].number_format = S.SHARE
    S.label(ws, f"A{vd + 3}", "Check: factor_var + idio_var - total_var",
            f"=C{vd + 1}+D{vd + 1}-B{vd + 1}", "0.0E+00")
    ws[f"C{vd + 3}"] = G.check(f"B{vd + 3}", "1E-12")
    ws[f"C{vd + 3}"].font = S.CHECK_FONT

    # What the function's identifiers mean, beside its summary rows (the function keeps its identifiers).
    ws[f"H{top}"] = "in words"
    ws[f"H{top}"].font = S.HEADER_FONT
    ws[f"H{top + 1}"], ws[f"H{top + 2}"] = "alpha: mean excess return the factor does not explain", "beta on the factor"
    for i, words in enumerate(READABLE):
        ws[f"H{top + 4 + i}"] = words
    for r in range(top + 1, top + rows):
        ws[f"H{r}"].font = S.NOTE_FONT

    annual = vd + 5
    S.section(ws, f"A{annual}", "Annualised (x PeriodsPerYear for alpha, x SQRT(PeriodsPerYear) for volatilities)")
    S.header(ws, annual + 1, 1, ("", "per period", "a year"))
    for i, (text, source, per_period, yearly) in enumerate((
            ("Alpha", "Alpha", "Alpha", "Alpha*PeriodsPerYear"),
            ("Total volatility", "TotalVar", "SQRT(TotalVar)", "SQRT(TotalVar*PeriodsPerYear)"),
            ("Factor volatility", "FactorVar", "SQRT(FactorVar)", "SQRT(FactorVar*PeriodsPerYear)"),
            ("Idiosyncratic volatility", "IdioVar", "SQRT(IdioVar)", "SQRT(IdioVar*PeriodsPerYear)"))):
        row = annual + 2 + i
        ws[f"A{row}"] = text
        for column, value in (("B", per_period), ("C", yearly)):
            # a #FM! line above (too few rows) leaves these blank rather than showing #VALUE!
            ws[f"{column}{row}"] = f'=IF(ISNUMBER({source}),{value},"")'
            ws[f"{column}{row}"].number_format = S.PERCENT

    for defined, cell in OUTPUTS.items():
        S.name_cell(wb, ws, defined, cell)

    _series_block(ws)
    _charts(ws, wb[L.HEDGING], prefilled)
    ws.freeze_panes = "A4"
    S.widths(ws, A=38, B=13, C=12, D=12, E=12, F=12, G=12, H=46, R=12, S=11, T=11)


#: The summary rows of FM_REGRESS in words: r_squared .. durbin_watson.
READABLE = ("R squared", "adjusted R squared", "F statistic", "p-value of the F test", "rows used",
            "residual variance, SSR / (n - 1)", "s2 = SSR / (n - K - 1), the variance behind the standard errors",
            "Durbin-Watson (2: no first-order autocorrelation)")


def _series_block(ws) -> None:
    """The picked asset and factor next to the dates, one row per Data row, blank where missing."""
    h = L.SERIES_HEADER_ROW
    ws.cell(row=h, column=L.REG_DATE_COL, value=L.DATE_LABEL)
    ws.cell(row=h, column=L.REG_ASSET_COL, value='=""&AssetName')
    ws.cell(row=h, column=L.REG_FACTOR_COL, value='=""&FactorName')
    for c in (L.REG_DATE_COL, L.REG_ASSET_COL, L.REG_FACTOR_COL):
        ws.cell(row=h, column=c).font = S.HEADER_FONT
        ws.cell(row=h, column=c).fill = S.HEADER_FILL
    a1, a2 = L.col(L.FIRST_ASSET_COL), L.col(L.LAST_ASSET_COL)
    f1, f2 = L.col(L.FIRST_FACTOR_COL), L.col(L.LAST_FACTOR_COL)
    for row in range(L.SERIES_FIRST_ROW, L.SERIES_LAST_ROW + 1):
        r = row - L.SERIES_OFFSET
        pick_asset = f"INDEX({L.EXCESS}!${a1}{r}:${a2}{r},1,AssetCol)"
        pick_factor = f"INDEX({L.DATA}!${f1}{r}:${f2}{r},1,FactorCol)"
        ws.cell(row=row, column=L.REG_DATE_COL,
                value=f'=IF(ISNUMBER({L.DATA}!$A{r}),{L.DATA}!$A{r},"")').number_format = S.DATE
        ws.cell(row=row, column=L.REG_ASSET_COL,
                value=f'=IF(ISNUMBER({pick_asset}),{pick_asset},"")').number_format = S.RETURN
        ws.cell(row=row, column=L.REG_FACTOR_COL,
                value=f'=IF(ISNUMBER({pick_factor}),{pick_factor},"")').number_format = S.RETURN
    for defined in ("SeriesDates", "AssetSeries", "FactorSeries"):
        S.name(ws.parent, defined, L.DATA_NAMES[defined])


def _charts(ws, hedging, prefilled: int) -> None:
    first, last = L.SERIES_FIRST_ROW, L.SERIES_FIRST_ROW + prefilled - 1
    scatter = ScatterChart()
    scatter.title = "Asset against factor, tracking line beta x f"
    scatter.style = 13
    scatter.scatterStyle = "lineMarker"  # required by the schema (CT_ScatterChart)
    scatter.x_axis.title = "factor return"
    scatter.y_axis.title = "asset excess return"
    scatter.x_axis.number_format = scatter.y_axis.number_format = "0%"
    x = Reference(ws, min_col=L.REG_FACTOR_COL, min_row=first, max_row=last)
    points = Series(Reference(ws, min_col=L.REG_ASSET_COL, min_row=L.SERIES_HEADER_ROW, max_row=last), x,
                    title_from_data=True)
    points.marker.symbol = "circle"
    points.marker.size = 3
    points.marker.graphicalProperties.solidFill = "4472C4"
    points.marker.graphicalProperties.line.solidFill = "4472C4"
    points.graphicalProperties.line.noFill = True
    line = Series(Reference(hedging, min_col=L.TRACKING_COL, min_row=L.SERIES_HEADER_ROW, max_row=last), x,
                  title_from_data=True)
    line.marker.symbol = "none"
    line.graphicalProperties.line.solidFill = "C00000"
    line.graphicalProperties.line.width = 28575
    line.smooth = False
    scatter.series.extend([points, line])
    S.show_axes(scatter)
    scatter.legend.position = "b"
    scatter.width, scatter.height = 15, 10
    ws.add_chart(scatter, "I3")

    vd = L.VARDECOMP_TOP
    bars = BarChart()
    bars.type = "col"
    bars.title = "Variance decomposition, per period"
    bars.y_axis.title = "variance"
    bars.y_axis.number_format = "0.0000"
    bars.add_data(Reference(ws, min_col=1, max_col=4, min_row=vd + 1), from_rows=True, titles_from_data=True)
    bars.set_categories(Reference(ws, min_col=2, max_col=4, min_row=vd))
    bars.legend = None
    S.colour_series(bars)
    S.show_axes(bars)
    bars.width, bars.height = 15, 8
    ws.add_chart(bars, "I24")

