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

GUIDE, DATA, EXCESS, REGRESSION, HEDGING, SIZING, COVARIANCE = (
    "Guide", "Data", "Excess", "Regression", "Hedging", "Sizing", "Covariance")
SHEETS = (GUIDE, DATA, EXCESS, REGRESSION, HEDGING, SIZING, COVARIANCE)

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
}
