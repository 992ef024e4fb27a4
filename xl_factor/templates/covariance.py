"""Covariance: factor-implied against sample covariance of every asset column, and the parameter count.

The factor model is the one of the Regression sheet (the picked factor, K =
1); the assets are all columns of ExcessReturns. Per period, ddof 1.
"""

from __future__ import annotations

from openpyxl.chart import BarChart, Reference

from . import layout as L
from . import style as S

N = L.N_ASSETS
FACTOR_TOP = 10                    # header row of the factor-implied block; values FACTOR_TOP+1 .. +N
SAMPLE_TOP = FACTOR_TOP + N + 3
DIFF_TOP = SAMPLE_TOP + N + 3
DECOMP_TOP = DIFF_TOP + N + 3      # FM_VARDECOMP of all assets: (N + 1) x 5
OUTPUTS = {"NAssets": "B4", "NFactors": "B5"}


def _matrix_labels(ws, top: int) -> None:
    """Asset names across row ``top`` and down column A, from the Excess headers."""
    for i in range(N):
        source = f'=""&{L.EXCESS}!{L.col(L.FIRST_ASSET_COL + i)}${L.HEADER_ROW}'
        for cell in (ws.cell(row=top, column=2 + i), ws.cell(row=top + 1 + i, column=1)):
            cell.value = source
            cell.font = S.HEADER_FONT
            cell.fill = S.HEADER_FILL


def block(first_row: int) -> str:
    return f"B{first_row}:{L.col(1 + N)}{first_row + N - 1}"


def build(wb, ws) -> None:
    S.title(ws, "Covariance: factor-implied against sample",
            '="Per period, ddof 1. Factor model on "&FactorName&": B Sigma_f B\' + diag(idio_var), with '
            '"&NAssets&" assets and "&NFactors&" factor."')
    S.section(ws, "A3", "Parameters to estimate (FM_PARAMCOUNT)")
    S.label(ws, "A4", "Assets N (with data)", '=COUNTIF(AssetPeriods,">0")', S.COUNT)
    S.note(ws, "C4", f"asset columns with at least one excess return (MultiFactor row {L.MF_PERIODS_ROW}); the template holds {L.N_ASSETS}")
    S.label(ws, "A5", "Factors K", "=COLUMNS(FactorSeries)", S.COUNT)
    S.formula(ws, "A6:B7", "=FM_PARAMCOUNT(NAssets,NFactors)", "#,##0")

    sections = ((FACTOR_TOP, "Factor-implied covariance (FM_COVMAT, method factor)",
                 '=FM_COVMAT(ExcessReturns,FactorSeries,"factor")'),
                (SAMPLE_TOP, "Sample covariance (FM_COVMAT, method sample: rows complete in every asset)",
                 '=FM_COVMAT(ExcessReturns,FactorSeries,"sample")'))
    for top, heading, text in sections:
        S.section(ws, f"A{top - 1}", heading)
        _matrix_labels(ws, top)
        S.formula(ws, block(top + 1), text, S.VARIANCE)
    S.section(ws, f"A{DIFF_TOP - 1}", "Factor-implied minus sample: what the one-factor model leaves out")
    _matrix_labels(ws, DIFF_TOP)
    for i in range(N):
        for j in range(N):
            c = L.col(2 + j)
            cell = ws[f"{c}{DIFF_TOP + 1 + i}"]
            a, b = f"{c}{FACTOR_TOP + 1 + i}", f"{c}{SAMPLE_TOP + 1 + i}"
            cell.value = f'=IF(AND(ISNUMBER({a}),ISNUMBER({b})),{a}-{b},"")'  # an asset with no data stays blank
            cell.number_format = S.VARIANCE

    S.section(ws, f"A{DECOMP_TOP - 1}", "Variance decomposition of every asset (FM_VARDECOMP), per period")
    S.formula(ws, f"A{DECOMP_TOP}:E{DECOMP_TOP + N}", "=FM_VARDECOMP(ExcessReturns,FactorSeries)", S.VARIANCE)
    for row in range(DECOMP_TOP + 1, DECOMP_TOP + N + 1):
        ws[f"E{row}"].number_format = S.SHARE

    for defined, cell in OUTPUTS.items():
        S.name_cell(wb, ws, defined, cell)
    _chart(ws)
    ws.freeze_panes = "B3"
    S.widths(ws, A=16, **{L.col(2 + j): 11 for j in range(N)})


def _chart(ws) -> None:
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = "Variance of each asset: factor and idiosyncratic parts"
    chart.y_axis.title = "variance per period"
    chart.y_axis.number_format = "0.000"
    chart.add_data(Reference(ws, min_col=3, max_col=4, min_row=DECOMP_TOP, max_row=DECOMP_TOP + N),
                   titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=DECOMP_TOP + 1, max_row=DECOMP_TOP + N))
    S.colour_series(chart)
    S.show_axes(chart)
    chart.width, chart.height = 18, 9
    ws.add_chart(chart, f"G{DECOMP_TOP}")
