"""Where everything sits in ``factor_hedging.xlsx``: sheet names, rows, columns and named ranges.

One place for the geometry, so that the sheet builders, the Guide and the
tests agree. Rows and columns are 1-based, as in the spreadsheet.

The data ranges are *generous*: every range handed to an FM_* function
starts at a header row and runs over :data:`CAPACITY` periods whether they
are filled or not. Blank rows are missing values, which each regression
drops. All such ranges come from the same rows of the Data sheet, so they
are matched by position; the date column is not passed to the functions (a
date column is only recognised when at least half of its cells hold dates,
which a mostly empty generous range does not satisfy).
"""

from __future__ import annotations

from openpyxl.utils import get_column_letter

from ..datasets import INDUSTRIES

WORKBOOK = "factor_hedging.xlsx"

GUIDE, DATA, EXCESS, REGRESSION, HEDGING, SIZING, COVARIANCE, MULTIFACTOR, BOOK = (
    "Guide", "Data", "Excess", "Regression", "Hedging", "Sizing", "Covariance", "MultiFactor", "Book")
SHEETS = (GUIDE, DATA, EXCESS, REGRESSION, HEDGING, SIZING, COVARIANCE, MULTIFACTOR, BOOK)
#: Sheets of FM_* results: each has the add-in banner at its top (guard.py).
RESULT_SHEETS = (REGRESSION, HEDGING, SIZING, COVARIANCE, MULTIFACTOR, BOOK)

# --- Data: A date, B:M assets (total returns), N:P factors, Q risk-free rate -------------------
ASSETS = INDUSTRIES
FACTORS = ("MktRF", "SMB", "HML")
RISK_FREE = "RF"
DATE_LABEL = "Date"
CAPACITY = 5000                      # periods the named ranges cover
HEADER_ROW = 1
FIRST_ROW = 2                        # first period on Data and Excess
LAST_ROW = FIRST_ROW + CAPACITY - 1  # 5001
DATE_COL = 1
FIRST_ASSET_COL = 2
LAST_ASSET_COL = FIRST_ASSET_COL + len(ASSETS) - 1      # M
FIRST_FACTOR_COL = LAST_ASSET_COL + 1                   # N
LAST_FACTOR_COL = FIRST_FACTOR_COL + len(FACTORS) - 1   # P
RF_COL = LAST_FACTOR_COL + 1                            # Q
N_ASSETS = len(ASSETS)
N_FACTORS = len(FACTORS)

# --- Series blocks on Regression and Hedging: row r holds the period of Data row r - OFFSET ----
SERIES_HEADER_ROW = 3
SERIES_FIRST_ROW = 4
SERIES_LAST_ROW = SERIES_FIRST_ROW + CAPACITY - 1  # 5003
SERIES_OFFSET = SERIES_FIRST_ROW - FIRST_ROW

# Regression: the picked asset and factor, row for row (R date, S asset, T factor).
REG_DATE_COL, REG_ASSET_COL, REG_FACTOR_COL = 18, 19, 20
# Hedging: O date, P tracking, Q hedged, R growth of 1 unhedged, S growth of 1 hedged.
HEDGE_DATE_COL, TRACKING_COL, HEDGED_COL, CUM_ASSET_COL, CUM_HEDGED_COL = 15, 16, 17, 18, 19

# --- Regression panel ---------------------------------------------------------------------------
REGRESS_TOP = 9                      # FM_REGRESS: (K + 11) x 7 for K = 1 factor: rows 9..20
REGRESS_SHAPE = (1 + 2 + 1 + 8, 7)  # header, alpha and the factor, a blank row, 8 statistics
VARDECOMP_TOP = 23                   # FM_VARDECOMP for one asset: 2 x 5, rows 23..24

# --- MultiFactor: every asset (ExcessReturns) on every factor (Factors), N = 12, K = 3 -------------
# Each block's first row is its header row; the shapes depend on N and K only, never on the data length.
MF_NAMES_ROW = 5                     # asset names above the weights, B5:M5
MF_WEIGHTS_ROW = 6                   # PortfolioWeights: B6:M6, one input cell per asset column
MF_FIRST_COL = 2                     # column B: first asset of the weights row
MF_SUM_ROW = 7                       # sum of the weights
MF_PERIODS_ROW = 8                   # AssetPeriods: B8:M8, periods with data of each asset (0: not an asset)
MF_BETA_TOP = 10                     # FM_BETA: labels in row 10 and column A, N x K values in B11:D22
MF_VARDECOMP_TOP = MF_BETA_TOP       # FM_VARDECOMP beside the betas: (N + 1) x 5 in F10:J22
MF_VARDECOMP_COL = 6
FAMAMACBETH_SHAPE = (1 + (N_FACTORS + 1) + 1 + 4, 8)   # header, const and K factors, blank, 4 summary rows
MF_FM_TOP = MF_BETA_TOP + N_ASSETS + 4                  # FM_FAMAMACBETH unadjusted: A26:H35
MF_FM_KERNEL_TOP = MF_FM_TOP + FAMAMACBETH_SHAPE[0] + 2  # FM_FAMAMACBETH kernel: A38:H47
GRS_SHAPE = (5, 2)                                       # header, f_stat df_num df_den p_value
MF_GRS_TOP = MF_FM_KERNEL_TOP + FAMAMACBETH_SHAPE[0] + 2  # FM_GRS: A50:B54
RISKCONTRIB_SHAPE = (1 + (N_FACTORS + 3) + 1 + 1 + N_ASSETS, 5)  # sources, blank, asset header, assets
MF_RISK_TOP = MF_GRS_TOP + GRS_SHAPE[0] + 2              # FM_RISKCONTRIB: A57:E77
MF_CHECK_ROW = MF_RISK_TOP + RISKCONTRIB_SHAPE[0] + 1    # annual volatility and checks: rows 79..81

# --- Book: a book of positions in the asset columns, its hedges, active risk, scenarios and stress ---------
BK_FIRST_COL = 2                     # column B: first asset of the rows below
BK_NAMES_ROW = 5                     # asset names above the positions, B5:M5
BK_POSITIONS_ROW = 6                 # BookPositions: B6:M6, amounts held (input)
BK_WEIGHTS_ROW = 7                   # BookWeights: position / BookCapital
BK_BENCHMARK_ROW = 8                 # BenchmarkWeights: 1 / NAssets on each asset with data, else 0
BK_CAPITAL_ROW = 10                  # BookCapital (input) in B10; gross and net below it
BK_HEDGE_TOP = 15                    # FM_BOOKHEDGE in factors: (K + 5) x 4 in A15:D22
BK_INSTRUMENT_COL = 6                # FM_BOOKHEDGE in the instrument (MktRF): (1 + 5) x 2 in F15:G20
BK_EXPOSURE_COL = 9                  # exposure before / after both hedges: I15:L18
BOOK_INSTRUMENTS = ("MktRF",)        # Data columns used as tradable instruments (BookInstruments)
BOOKHEDGE_SHAPE = (1 + N_FACTORS + 1 + 3, 4)
INSTRUMENT_HEDGE_SHAPE = (1 + len(BOOK_INSTRUMENTS) + 1 + 3, 2)
BK_VOL_ROW = BK_HEDGE_TOP + BOOKHEDGE_SHAPE[0] + 1                  # volatility per year and checks: 24..27
ACTIVERISK_SHAPE = (5 + 1 + 1 + N_FACTORS + 1 + 1 + N_ASSETS, 5)    # summary, factors, assets
BK_ACTIVE_TOP = BK_VOL_ROW + 6                                      # FM_ACTIVERISK: A30:E53
BK_ACTIVE_ASSETS = BK_ACTIVE_TOP + 5 + 1 + 1 + N_FACTORS + 1 + 1    # first asset row of it: 42
BK_TOP_COL = 7                       # top contributors to tracking error: G30:J35
N_TOP = 5
BK_ACTIVE_CHECK_ROW = BK_ACTIVE_TOP + ACTIVERISK_SHAPE[0] + 1       # checks: 55..56
SCENARIOS = (("market -10%", {"MktRF": -0.10}), ("value +2%", {"HML": 0.02}), ("small caps -3%", {"SMB": -0.03}),
             ("crash: market -20%, size -5%, value +5%", {"MktRF": -0.20, "SMB": -0.05, "HML": 0.05}))
BK_SHOCKS_TOP = BK_ACTIVE_CHECK_ROW + 4                             # BookShocks: A59:E62 (header + K rows)
SCENARIO_SHAPE = (N_ASSETS + 4, len(SCENARIOS) + 1)                 # header, assets, book alpha specific_vol
BK_SCENARIO_TOP = BK_SHOCKS_TOP + 1 + N_FACTORS + 3                 # FM_SCENARIO: A65:E80
N_WORST = 5
STRESS_SHAPE = (N_WORST + 1, 5 + N_FACTORS)
BK_STRESS_TOP = BK_SCENARIO_TOP + SCENARIO_SHAPE[0] + 3             # FM_STRESS: A83:H88, dates in I
BK_STRESS_DATE_COL = STRESS_SHAPE[1] + 1

# --- Horizons on Sizing: name -> length in years (252 trading days, 12 months a year) ----------
HORIZONS = (("day", "=1/252"), ("month", "=1/12"), ("year", 1))


def col(index: int) -> str:
    return get_column_letter(index)


def ref(sheet: str, first_col: int, first_row: int, last_col: int | None = None, last_row: int | None = None) -> str:
    """An absolute reference ``Sheet!$A$1`` or ``Sheet!$A$1:$B$2``."""
    text = f"{sheet}!${col(first_col)}${first_row}"
    if last_col is not None:
        text += f":${col(last_col)}${last_row if last_row is not None else first_row}"
    return text


def series_range(sheet: str, column: int) -> str:
    """A series column of Regression or Hedging, header row included."""
    return ref(sheet, column, SERIES_HEADER_ROW, column, SERIES_LAST_ROW)


#: Named ranges over the data (generous: header row + CAPACITY periods).
DATA_NAMES = {
    "DataDates": ref(DATA, DATE_COL, HEADER_ROW, DATE_COL, LAST_ROW),
    "Returns": ref(DATA, FIRST_ASSET_COL, HEADER_ROW, LAST_ASSET_COL, LAST_ROW),
    "Factors": ref(DATA, FIRST_FACTOR_COL, HEADER_ROW, LAST_FACTOR_COL, LAST_ROW),
    "RiskFree": ref(DATA, RF_COL, HEADER_ROW, RF_COL, LAST_ROW),
    "AssetHeaders": ref(DATA, FIRST_ASSET_COL, HEADER_ROW, LAST_ASSET_COL, HEADER_ROW),
    "FactorHeaders": ref(DATA, FIRST_FACTOR_COL, HEADER_ROW, LAST_FACTOR_COL, HEADER_ROW),
    "ExcessReturns": ref(EXCESS, FIRST_ASSET_COL, HEADER_ROW, LAST_ASSET_COL, LAST_ROW),
    "SeriesDates": series_range(REGRESSION, REG_DATE_COL),
    "AssetSeries": series_range(REGRESSION, REG_ASSET_COL),
    "FactorSeries": series_range(REGRESSION, REG_FACTOR_COL),
    "TrackingSeries": series_range(HEDGING, TRACKING_COL),
    "HedgedSeries": series_range(HEDGING, HEDGED_COL),
}

#: Input cells: name -> (sheet, cell). Each has data validation and the input style.
INPUTS = {
    "AssetName": (REGRESSION, "B4"),
    "FactorName": (REGRESSION, "B5"),
    "CovType": (REGRESSION, "B6"),
    "Position": (HEDGING, "B4"),
    "TargetShare": (HEDGING, "B5"),
    "VolBudget": (SIZING, "B4"),
    "Horizon": (SIZING, "B5"),
    "PeriodsPerYear": (SIZING, "B6"),
    "BookCapital": (BOOK, f"B{BK_CAPITAL_ROW}"),
}

#: Input ranges: name -> (sheet, range). Every cell has data validation and the input style.
INPUT_RANGES = {
    "PortfolioWeights": (MULTIFACTOR, f"{col(MF_FIRST_COL)}{MF_WEIGHTS_ROW}:"
                                      f"{col(MF_FIRST_COL + N_ASSETS - 1)}{MF_WEIGHTS_ROW}"),
    "BookPositions": (BOOK, f"{col(BK_FIRST_COL)}{BK_POSITIONS_ROW}:{col(BK_FIRST_COL + N_ASSETS - 1)}{BK_POSITIONS_ROW}"),
    "BookShockValues": (BOOK, f"B{BK_SHOCKS_TOP + 1}:{col(1 + len(SCENARIOS))}{BK_SHOCKS_TOP + N_FACTORS}"),
}
