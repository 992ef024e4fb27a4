"""Guide: what each sheet does, where to paste data, units and conventions, how to get the add-in."""

from __future__ import annotations

import math

from openpyxl.styles import Alignment

from ..install import steps
from . import guard as G
from . import layout as L
from . import style as S

#: Characters of wrapped text per line in column B (width 110), for explicit row heights.
CHARS_PER_LINE = 105
LAST_DATA = f"{L.col(L.RF_COL)}{L.LAST_ROW}"

SHEETS = (
    (L.GUIDE, "This page."),
    (L.DATA, f"Your data, values only: dates in A, total returns of {L.N_ASSETS} assets in B:M, factor returns in "
             f"N:P, the risk-free rate in Q. Prefilled with real data (below)."),
    (L.EXCESS, "Excess return of every asset, = total return - RF, plain formulas; blank where either is missing."),
    (L.REGRESSION, "Pick an asset and a factor (yellow dropdowns). OLS of the asset's excess return on the factor "
                   "(FM_REGRESS: coefficients, standard errors, t, p, 95% interval, R2, F, n, variances, "
                   "Durbin-Watson), the variance decomposition (FM_VARDECOMP) and two charts. Columns R:T hold the "
                   "picked series row for row."),
    (L.HEDGING, "Position and factor-share limit (yellow). Beta, the full hedge (FM_HEDGE), the hedge that brings "
                "the factor share down to the limit, the factor share before and after (FM_RISKSHARE), the "
                "tracking and hedged series (FM_TRACKING, FM_HEDGED, columns O:S) with the check that the mean of "
                "the hedged series equals alpha, and the growth of 1 unhedged and hedged with its chart."),
    (L.SIZING, "Volatility budget, horizon and periods per year (yellow). The horizon table, the unhedged and "
               "hedged sizes (FM_SIZE), their expected and alpha-only P&L (FM_PNL) and Sharpe ratios (FM_SHARPE)."),
    (L.COVARIANCE, "Factor-implied against sample covariance of all asset columns (FM_COVMAT, both methods), their "
                   "difference, the parameter count (FM_PARAMCOUNT) and every asset's variance decomposition "
                   "with a chart."),
    (L.MULTIFACTOR, f"All {L.N_ASSETS} asset columns on all {L.N_FACTORS} factors (MktRF, SMB, HML): the betas "
                    "(FM_BETA) and variance decomposition (FM_VARDECOMP), Fama-MacBeth premia with unadjusted and "
                    "Newey-West standard errors and Shanken's correction (FM_FAMAMACBETH), the GRS test that every "
                    "alpha is zero (FM_GRS), and the risk contributions of a portfolio (FM_RISKCONTRIB) whose "
                    "weights are the yellow row (equal weight, 1/12 each); row 8 counts each asset's periods."),
    (L.BOOK, "A book of positions in the asset columns (yellow row, 10m gross, long and short) and its capital: "
             "the hedge in the factors (FM_BOOKHEDGE: zero exposure) and in the MktRF column as a tradable "
             "instrument (the bundled factor ETFs are daily 2014-2022 and do not overlap the monthly data), the "
             "factor exposure before and after, the volatility before and after, the tracking error against the "
             "equal-weight benchmark with its top contributors and a chart (FM_ACTIVERISK), a yellow table of "
             "factor scenarios and their P&L (FM_SCENARIO), and the worst 5 months replayed (FM_STRESS)."),
)

NAME_NOTES = {
    "AssetName": "input: asset to analyse (dropdown of AssetHeaders)",
    "FactorName": "input: factor (dropdown of FactorHeaders)",
    "CovType": "input: standard errors of FM_REGRESS",
    "Position": "input: amount held in the asset (currency)",
    "TargetShare": "input: factor-share limit",
    "VolBudget": "input: volatility budget over the horizon (currency)",
    "Horizon": "input: day, month or year",
    "PeriodsPerYear": "input: periods per year of the data",
    "DataDates": "Data dates, header row + 5,000 rows",
    "Returns": "Data total returns of the assets",
    "Factors": "Data factor returns",
    "RiskFree": "Data risk-free rate",
    "AssetHeaders": "asset names (Data row 1)",
    "FactorHeaders": "factor names (Data row 1)",
    "ExcessReturns": "excess returns of all assets (Excess sheet)",
    "SeriesDates": "dates beside the picked series",
    "AssetSeries": "picked asset's excess return, header + 5,000 rows",
    "FactorSeries": "picked factor's return, header + 5,000 rows",
    "TrackingSeries": "FM_TRACKING result, header + 5,000 rows",
    "HedgedSeries": "FM_HEDGED result, header + 5,000 rows",
    "AssetCol": "position of AssetName in AssetHeaders",
    "FactorCol": "position of FactorName in FactorHeaders",
    "Alpha": "alpha per period (FM_REGRESS)",
    "Beta": "beta (FM_REGRESS)",
    "RSquared": "R squared (FM_REGRESS)",
    "NObs": "rows used by the regression (FM_REGRESS)",
    "TotalVar": "total variance per period (FM_VARDECOMP)",
    "FactorVar": "factor variance beta' Sigma_f beta (FM_VARDECOMP)",
    "IdioVar": "idiosyncratic variance (FM_VARDECOMP)",
    "FactorShare": "factor share of variance (FM_VARDECOMP)",
    "HedgeFull": "full hedge of Position (FM_HEDGE)",
    "ShareBefore": "factor share before hedging (FM_RISKSHARE)",
    "HedgeTarget": "hedge meeting TargetShare (FM_HEDGE)",
    "ShareAfter": "factor share after the limit hedge (FM_RISKSHARE)",
    "HorizonNames": "horizons of the Sizing table",
    "HorizonPeriods": "Horizon in periods of the data",
    "DetectedPeriodsPerYear": "periods per year implied by the dates",
    "SizeUnhedged": "size for VolBudget, unhedged (FM_SIZE)",
    "SizeHedged": "size for VolBudget, factor hedged (FM_SIZE)",
    "SharpeUnhedged": "annualised Sharpe of the asset (FM_SHARPE)",
    "SharpeHedged": "annualised Sharpe of the hedged series (FM_SHARPE)",
    "NAssets": "number of asset columns with data (COUNTIF of AssetPeriods)",
    "AssetPeriods": "periods with data of each asset column (MultiFactor row 8; 0: not an asset)",
    "NFactors": "number of factors in the model",
    "PortfolioWeights": "input: portfolio weight of each asset column (MultiFactor row 6)",
    "GRSStat": "GRS F statistic, all alphas zero (FM_GRS)",
    "GRSPValue": "p-value of the GRS test (FM_GRS)",
    "SystematicShare": "factor (systematic) share of the portfolio variance (FM_RISKCONTRIB)",
    "PortfolioVar": "portfolio variance per period under the factor model (FM_RISKCONTRIB)",
    "PortfolioVol": "portfolio volatility per period under the factor model (FM_RISKCONTRIB)",
    "BookPositions": "input: amount held in each asset column (Book row 6; 0 on a column without data)",
    "BookCapital": "input: capital of the book (its net by default); the weights are positions / capital",
    "BookWeights": "weights of the book, positions / BookCapital (Book row 7)",
    "BenchmarkWeights": "equal-weight benchmark over the assets with data (Book row 8)",
    "BookInstruments": "tradable hedge instrument of the book: the MktRF column of Data",
    "BookShockValues": "input: factor shocks of the scenarios, decimals per period",
    "BookShocks": "scenario table handed to FM_SCENARIO: names, factors and BookShockValues",
    "BookVolBefore": "book volatility per year before hedging (FM_BOOKHEDGE)",
    "BookVolAfter": "book volatility per year after the factor hedge (FM_BOOKHEDGE)",
    "BookVolAfterInstrument": "book volatility per year after the MktRF hedge (FM_BOOKHEDGE, instruments)",
    "BookShareRemoved": "share of the book's variance the factor hedge removes (FM_BOOKHEDGE)",
    "TrackingError": "tracking error per year against the benchmark (FM_ACTIVERISK)",
    "BookWorstPnl": "realised P&L of the book's worst month (FM_STRESS)",
    "BookWorstDate": "date of the book's worst month (FM_STRESS)",
}


def _install_rows() -> list[tuple[str, str]]:
    """The install steps of xl_factor.install.steps (the README's too): a target's label beside its first step."""
    return [("sheet", f"{label}\t{text}") if label else ("text", text) for label, text in steps.guide_rows()]


def paragraphs(prefilled: int) -> list[tuple[str, str]]:
    """(kind, text) rows of the Guide: kind is title, section, text or sheet."""
    first, last = L.SERIES_FIRST_ROW, L.SERIES_FIRST_ROW + prefilled - 1
    rows = [
        ("section", "What this workbook does"),
        ("text", "A one-factor model of an asset's excess return: alpha and beta, the factor hedge and the hedge that "
                 "caps the factor share of risk, position sizes under a volatility budget, and the factor-implied "
                 "covariance of all assets; and a three-factor model of all assets: Fama-MacBeth premia, the GRS "
                 "test and the risk contributions of a portfolio. Every model number comes from the FM_* worksheet functions of "
                 "xl_factor; the cells around them are plain formulas. Yellow cells are the inputs (named, with "
                 "data validation); everything else is computed."),
        ("section", "Sheets"),
        *[("sheet", f"{sheet}\t{text}") for sheet, text in SHEETS],
        ("section", "Where to paste your data"),
        ("text", f"On Data: first clear A2:{LAST_DATA} (select, Delete) so that no old rows remain, then paste your "
                 "history from A2 down, oldest first. Column A: real dates. Columns B:M: total returns of up to "
                 f"{L.N_ASSETS} assets (write their names in row 1; the dropdowns follow). Columns N:P: factor returns "
                 "(the bundled MktRF is already an excess return; SMB and HML are long-short). Column Q: the "
                 "risk-free rate per period (type 0 in every row if you have none)."),
        ("text", f"Up to {L.CAPACITY:,} periods (rows {L.FIRST_ROW}-{L.LAST_ROW}). A longer or shorter history just "
                 "works: blank cells, text and error cells are missing values, and each regression drops the rows "
                 "where its asset or its factor is missing. FM_REGRESS reports how many rows it used (n_obs). The "
                 "sample covariance, Fama-MacBeth and the GRS test use the rows complete in every asset with data."),
        ("text", f"Capacity: {L.N_ASSETS} asset columns (B:M), {L.N_FACTORS} factors (N:P) and {L.CAPACITY:,} "
                 "periods. Fewer assets just work: an asset column with no values is not an asset (its rows of "
                 "every result stay blank, N counts the assets with data, MultiFactor row 8 shows each asset's "
                 "periods); give it a portfolio weight of 0 and a book position of 0 (a refresh sets both). An "
                 "asset with too few rows shows its own #FM! line. "
                 "Fama-MacBeth needs at least factors + 2 assets with data and stays blank below that."),
        ("section", "Units and conventions"),
        ("text", "Returns are simple returns per period in decimals (0.0123 is 1.23%), not percent: a range whose "
                 "typical size looks like percent is refused with an #FM! message. Periods are those of your data "
                 "(months for the bundled data). Nothing is annualised unless the label says so: alpha, variances "
                 "and covariances are per period; the Sharpe ratios on Sizing are annualised with Periods per year."),
        ("text", "Variances and covariances use ddof 1 (divide by n - 1); total_var = factor_var + idio_var holds "
                 "exactly. FM_REGRESS reports s2 = SSR / (n - K - 1) separately from resid_var."),
        ("text", "A hedge is an amount of the factor to hold, in the currency of the position: negative means short. "
                 "Horizons are counted in periods of the data, from the horizon table on Sizing (252 trading days "
                 "and 12 months a year: for monthly data a day is 12/252 of a period, a year 12 periods)."),
        ("section", "How the ranges work (picking an asset, generous named ranges)"),
        ("text", "The Regression sheet picks the chosen asset's column of Excess and the chosen factor's column of "
                 "Data with INDEX(row, 1, MATCH(name, headers, 0)) in every row of its block R:T (date, asset, "
                 "factor), so each row of the block is one row of Data. AssetSeries and FactorSeries name the "
                 f"asset and factor columns of that block from the header row down to row {L.SERIES_LAST_ROW}: "
                 f"a header and {L.CAPACITY:,} periods, filled or not. Every FM_* formula is given these names, "
                 "ExcessReturns, TrackingSeries or HedgedSeries, all spanning the same rows, so the functions match "
                 "them by position; the header labels name their outputs. The date column is not passed to the "
                 "functions: it is for reading and for the charts (a date column is recognised only when at least "
                 "half of its cells hold dates, which a mostly empty generous range does not satisfy)."),
        ("section", "Array results"),
        ("text", "FM_REGRESS (one factor: 12 rows x 7 columns), FM_VARDECOMP (1 + assets rows x 5), FM_HEDGE (1 x 1 "
                 "per factor), FM_PNL (1 x 2), FM_COVMAT (12 x 12), FM_PARAMCOUNT (2 x 2), FM_ALPHA, FM_RISKSHARE and "
                 "FM_SHARPE (1 x 1), and on MultiFactor FM_BETA (assets x factors: 12 x 3), FM_FAMAMACBETH (factors "
                 "+ 7 rows x 8: 10 x 8), FM_GRS (5 x 2) and FM_RISKCONTRIB (factors + assets + 6 rows x 5: 21 x 5), "
                 "and on Book FM_BOOKHEDGE (factors + 5 rows x 4: 8 x 4; with one instrument 6 x 2), "
                 "FM_ACTIVERISK (factors + assets + 9 rows x 5: 24 x 5), FM_SCENARIO (assets + 4 rows x scenarios "
                 "+ 1: 16 x 5) and FM_STRESS (worst periods + 1 rows x factors + 5: 6 x 8) "
                 f"are array formulas over ranges of exactly their result's shape. FM_TRACKING and "
                 f"FM_HEDGED are array formulas over {L.CAPACITY:,} rows (Hedging!P{first}:Q{L.SERIES_LAST_ROW}): "
                 "one row per row of the named ranges, blank where a row was dropped. Do not resize them; in Excel "
                 "365 they behave like legacy array formulas (Ctrl+Shift+Enter)."),
        ("section", "Charts"),
        ("text", f"The charts plot rows {first}-{last} of the series blocks: the {prefilled} prefilled periods. "
                 "After pasting a different history, extend or shrink their ranges (Chart > Select Data). "
                 "Regression: the asset against the factor with the tracking line beta x f, and the variance "
                 "decomposition. Hedging: growth of 1 in the asset's excess return, unhedged against hedged "
                 "(log scale). Covariance: factor and idiosyncratic variance of every asset. Book: each asset's "
                 "contribution to the tracking error (fixed rows, not the history)."),
        ("section", "Checks"),
        ("text", "Green OK/CHECK cells test identities: factor_var + idio_var = total_var; hedge = - beta x position; "
                 "factor share after the limit "
                 "hedge = MIN(limit, share before); mean of the hedged series = alpha; the horizon volatility of "
                 "each size equals the budget; periods per year agree with the dates; the assets' contributions to "
                 "the portfolio's volatility add up to it; the book's exposure after the factor hedge is zero; the "
                 "assets' contributions to the tracking error add up to it."),
        ("section", "Getting the add-in (the FM_* functions)"),
        ("text", "Without the add-in every FM_* cell shows #NAME?; the plain formulas still compute."),
        *_install_rows(),
        ("section", "Data source"),
        ("text", f"Prefilled: Kenneth R. French data library, monthly, {prefilled} months from 1949-01 to 2017-03: "
                 "12 industry portfolios (total returns), MktRF, SMB, HML and RF, in decimals (extract bundled in "
                 "xl_factor/data, see NOTICE.md there). Rebuild this file with `xl-factor templates`."),
    ]
    return rows


def build(wb, ws, prefilled: int) -> None:
    S.title(ws, "Factor hedging and sizing: template workbook of xl_factor",
            "Read this first. Inputs are the yellow cells; paste data on the Data sheet.")
    ws["A3"] = ("Numbers on opening were computed when this file was built (LibreOffice with the add-in). Without "
                "the FM_* add-in a spreadsheet that recalculates shows #NAME? in every FM_* cell, and the checks "
                f"and the banner at the top of each result sheet say '{G.MESSAGE}': see 'Getting the add-in' "
                "below (Excel: xlwings; LibreOffice: python -m xl_factor.libreoffice.install).")
    ws["A3"].font = S.WARNING_FONT
    row = 4
    for kind, text in paragraphs(prefilled):
        if kind == "section":
            row += 1
            S.section(ws, f"A{row}", text)
        elif kind == "sheet":
            sheet, description = text.split("\t")
            ws[f"A{row}"] = sheet
            ws[f"A{row}"].font = S.HEADER_FONT
            ws[f"B{row}"] = description
            ws[f"B{row}"].alignment = S.WRAP
        else:
            ws[f"B{row}"] = text
            ws[f"B{row}"].alignment = S.WRAP
        if kind != "section":
            lines = max(1, math.ceil(len(text) / CHARS_PER_LINE))
            ws.row_dimensions[row].height = 15 * lines + 2
        row += 1
    row += 1
    S.section(ws, f"A{row}", "Named ranges and cells")
    row += 1
    S.header(ws, row, 1, ("Name", "Refers to", "What"))
    for defined in sorted(wb.defined_names, key=str.lower):
        row += 1
        ws[f"A{row}"] = defined
        ws[f"B{row}"] = wb.defined_names[defined].attr_text
        ws[f"C{row}"] = NAME_NOTES.get(defined, "")
        ws[f"B{row}"].alignment = Alignment(wrap_text=False)
    ws.freeze_panes = "A3"
    S.widths(ws, A=26, B=110, C=70)
