"""Units, checked series by series: returns must be per-period decimals, not percent or prices.

Every data range that should hold returns (assets, factors) or a rate (the
risk-free rate, a range or a single number) passes through here, and each
column is judged on its own, so one column in percent among decimal ones,
or one price column among returns, is refused by name. The rules:

* **percent**: a column whose typical size (median absolute value) is above
  ``PERCENT_MEDIAN`` (50% a period), or, when its dates tell the frequency,
  whose typical size scaled to a year (times the square root of periods per
  year) is above ``PERCENT_ANNUAL`` (a typical move of 200% a year), or that
  falls below ``-1 - FALL_MARGIN`` somewhere (a simple return cannot lose
  more than 100%);
* **prices**: a column that varies, is positive in every one of at least
  ``PRICE_MIN_ROWS`` periods, is above ``PRICE_LEVEL`` (0.5% a period) in the
  median, and is smooth (its median change is under ``PRICE_SMOOTHNESS`` of its
  median level): an FX rate, an index level, a penny stock. Unless its label
  names a cash return (:data:`CASH_LABEL`: RF, T-bill, Treasury 3M, cash, money market, SOFR, Libor)
  and its level is one a cash return has (at most ``RATE_ANNUAL`` a year when
  the dates tell the frequency, else ``RATE_MEDIAN`` a period): a T-bill's
  returns (0.8% a month in 1981) are positive and smooth too, and no level
  tells them from an FX rate's (USD per JPY, about 0.009);
* **percent cells among decimals**: a run of ``PERCENT_RUN`` rows in which more than half of a column's cells
  are over ``OUTSIZED_RATIO`` times its typical move (the median size of its periods with a move; and over
  ``SCALE_FLOOR``): rows pasted from a percent
  source into a decimal column (a percent cell is about a hundred times the size; of the 20 S&P 500 stocks
  of 1990-2022, the banks of 2008 among them, none had more than one day in ten over thirty times its typical
  move, and three at twenty times); or one cell above +100% a period and over
  ``PERCENT_CELL_RATIO`` times the typical size (a 5 typed for 5%; a fall below -100% is the rule above);
* **scale against the other series**: a column whose typical size is more
  than ``SCALE_RATIO`` times the median of the other range's columns (asset
  against factors and the reverse), or of its own range's columns (three or
  more), and above ``SCALE_FLOOR``, is taken for percent;
* **rates** (the risk-free rate): above ``RATE_MEDIAN`` (20%) a period, or
  above ``RATE_ANNUAL`` (30%) a year when the frequency is known.

A refusal names the argument and the column and says what to do.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from .. import core
from ..core.errors import InvalidArgument
from ..core.periods import MOST_PERIODS_PER_YEAR
from ..core.validation import MAX_MAGNITUDE, median
from .values import Table

PERCENT_MEDIAN = 0.5
PERCENT_ANNUAL = 2.0
FALL_MARGIN = 0.5
PRICE_MIN_ROWS = 5
PRICE_LEVEL = 0.005
PRICE_SMOOTHNESS = 0.2
SCALE_RATIO = 20.0
SCALE_FLOOR = 0.05
RATE_MEDIAN = 0.2
RATE_ANNUAL = 0.3
PERCENT_RUN = 10
OUTSIZED_RATIO = 30.0
PERCENT_CELL_RATIO = 100.0

#: The annual test can only refuse a column whose typical size is above this (at the most periods a year dates
#: can show), so below it the frequency is not read.
_LEAST_ANNUAL_FAILURE = PERCENT_ANNUAL / math.sqrt(MOST_PERIODS_PER_YEAR)

#: Rows sampled (evenly spaced) for the typical size: the median of a sample costs far less than a parse.
_SAMPLE_ROWS = 512


def typical_size(values: np.ndarray) -> np.ndarray:
    """(N,) median absolute value of each column over an even sample of rows, NaN ignored.

    A column with no value on the sampled rows is measured on all its rows (NaN only when it has none).
    """
    step = max(1, values.shape[0] // _SAMPLE_ROWS)
    size = _median_size(values[::step])
    if step > 1:
        unsampled = np.flatnonzero(np.isnan(size))
        if unsampled.size:
            size[unsampled] = _median_size(values[:, unsampled])
    return size


def _median_size(values: np.ndarray) -> np.ndarray:
    """(N,) median absolute value of each column of ``values``, NaN ignored (NaN for a column without one)."""
    ordered = np.sort(np.abs(values), axis=0)  # NaN sorts last
    rows = ordered.shape[0]
    if rows and not np.isnan(ordered[-1]).any():  # no value missing: the middle rows are every column's median
        return (ordered[(rows - 1) // 2] + ordered[rows // 2]) / 2
    count = (~np.isnan(ordered)).sum(axis=0)
    columns = np.arange(ordered.shape[1])
    low = ordered[np.maximum(count - 1, 0) // 2, columns] if ordered.shape[0] else np.full(ordered.shape[1], np.nan)
    high = ordered[np.minimum(count // 2, ordered.shape[0] - 1), columns] if ordered.shape[0] else low
    return np.where(count > 0, (low + np.where(count % 2, low, high)) / 2, np.nan)


def check_returns(table: Table, argument: str) -> np.ndarray:
    """Refuse any column of ``table`` in percent or prices; return each column's typical size."""
    values = table.values
    size = typical_size(values)
    names = table.labels("col")
    could_fail_annually = bool(np.fmax.reduce(size, initial=-np.inf) > _LEAST_ANNUAL_FAILURE)
    periods = periods_per_year_of(table) if could_fail_annually else None
    empty = np.full(values.shape[1], np.nan)
    lowest = np.fmin.reduce(values, axis=0) if values.shape[0] else empty
    highest = np.fmax.reduce(values, axis=0) if values.shape[0] else empty
    # Only the columns that some test below could refuse are looked at (the same comparisons, on every column
    # at once), in column order, so the first column at fault is named.
    percent = (size > PERCENT_MEDIAN) | (size * np.sqrt(periods) > PERCENT_ANNUAL) if periods else size > PERCENT_MEDIAN
    outsized = outsized_columns(size, lowest, highest)
    # A column with no value has a NaN size and lowest value, which every comparison leaves out; an infinite
    # value, or one that overflows a variance, is the finite check's to name.
    suspect = percent | (lowest < -1.0 - FALL_MARGIN) | (lowest > 0) | outsized
    for j in np.flatnonzero(suspect) if suspect.any() else ():
        column = values[:, j]
        if size[j] > PERCENT_MEDIAN or (periods and size[j] * np.sqrt(periods) > PERCENT_ANNUAL):
            _refuse_percent(argument, names[j], column, f"typical size {size[j]:.3g} a period")
        if lowest[j] < -1.0 - FALL_MARGIN:
            _refuse_percent(argument, names[j], column, f"a value of {lowest[j]:.3g}, a fall of more than 100%")
        if lowest[j] > 0 and _smooth_level(column) and not _cash_return(names[j], size[j], periods, table):
            raise InvalidArgument(
                f"column '{names[j]}' looks like prices, not returns (positive every period, smooth, around "
                f"{size[j]:.3g}); turn prices into returns with FM_RETURNS", argument)
        found = percent_cells(column, lambda rows: _rows_between(table, rows)) if outsized[j] else None
        if found:
            _refuse_percent(argument, names[j], column, found[1])
    _check_within(size, names, argument)
    return size


def outsized_columns(size: np.ndarray, lowest: np.ndarray, highest: np.ndarray) -> np.ndarray:
    """(N,) whether a column's largest value (from its ``lowest`` and ``highest``) is far enough out for
    :func:`percent_cells` to find something: over ``OUTSIZED_RATIO`` times its typical ``size`` (a bound under
    the typical move that rule measures) and over ``SCALE_FLOOR``. An infinite value, or one that overflows a
    variance, is the finite check's to name."""
    largest = np.fmax(highest, -lowest)
    return (largest > OUTSIZED_RATIO * size) & (largest > SCALE_FLOOR) & (largest <= MAX_MAGNITUDE)


def percent_cells(column: np.ndarray, place) -> tuple[int, str] | None:
    """The first row of ``column``'s cells in percent among decimals and why (the rule in the module's docstring),
    or ``None``: a run of :data:`PERCENT_RUN` rows with more than half its values over :data:`OUTSIZED_RATIO`
    times the typical move, or one value above +100% over :data:`PERCENT_CELL_RATIO` times it. The typical move is
    the median size of the periods that moved: a stock priced in ticks that does not trade on half its days
    moves a tick when it moves, and its median of all days would count each tick as outsized. ``place(rows)``
    says where the rows are (their dates, their lines)."""
    magnitude = np.abs(column)
    moved = magnitude[magnitude > 0]  # NaN is no move either
    if not moved.size:
        return None
    move = float(np.median(moved))
    big = (magnitude > OUTSIZED_RATIO * move) & (magnitude > SCALE_FLOOR)
    run = min(PERCENT_RUN, column.size)
    counts = np.cumsum(np.concatenate(([0], big)))
    starts = np.flatnonzero(counts[run:] - counts[:-run] > run // 2)
    if starts.size:
        rows = starts[0] + np.flatnonzero(big[starts[0]:starts[0] + run])
        return int(rows[0]), f"{rows.size} of the {run} values {place(rows)} are over {OUTSIZED_RATIO:g} times its " \
                             f"typical move {move:.3g}"
    single = np.flatnonzero((column > 1.0) & (magnitude > PERCENT_CELL_RATIO * move))
    if single.size:
        i = int(single[0])
        return i, f"{column[i]:.4g} {place(single[:1])}, a rise of more than 100% and {column[i] / move:.0f} times " \
                  f"its typical move {move:.3g}"
    return None


def _rows_between(table: Table, rows: np.ndarray) -> str:
    """Where data rows ``rows`` (increasing) are: their dates when the range has them, else their row numbers."""
    first, last = int(rows[0]), int(rows[-1])
    if table.dates is not None and table.dates[first] is not pd.NaT and table.dates[last] is not pd.NaT:
        span = (table.dates[first].date(), table.dates[last].date())
        return f"on {span[0]}" if first == last else f"from {span[0]} to {span[1]}"
    offset = 1 + int(table.names is not None)
    return f"in row {first + offset} of the range" if first == last else \
        f"in rows {first + offset} to {last + offset} of the range"


def check_scales(asset: Table, asset_size: np.ndarray, factors: Table, factor_size: np.ndarray,
                 left: str, right: str) -> None:
    """Refuse any asset or factor column whose typical size is that of percent next to the other range's decimals.

    Each column is compared with the median typical size of the other range,
    so one percent column among decimal ones cannot be outvoted.
    """
    _refuse_outsized(asset_size, asset.labels("asset"), median(factor_size), left, right)
    _refuse_outsized(factor_size, factors.labels("f"), median(asset_size), right, left)


def _check_within(size: np.ndarray, names, argument: str) -> None:
    """Refuse a column whose typical size is that of percent next to the range's other (decimal) columns."""
    if size.size >= 3 and np.count_nonzero(~np.isnan(size)) >= 3:
        _refuse_outsized(size, names, median(size), argument, "the other columns")


def _refuse_outsized(size: np.ndarray, names, reference: float, argument: str, against: str) -> None:
    if not reference > 0:
        return
    big = np.flatnonzero((size > SCALE_RATIO * reference) & (size > SCALE_FLOOR))
    if big.size:
        j = int(big[0])
        raise InvalidArgument(
            f"column '{names[j]}' is about {size[j] / reference:.0f} times the size of {against} (typical "
            f"{size[j]:.3g} against {reference:.3g} a period): it looks like percent; give returns as decimals "
            "(divide percent by 100)", argument)


def check_rate(rate, argument: str, periods_per_year: float | None = None) -> None:
    """Refuse a risk-free rate (a number or a one-column Table) that looks like percent."""
    if isinstance(rate, Table):
        size = typical_size(rate.values)
        level = float(size[0]) if size.size and not np.isnan(size[0]) else 0.0
        periods = periods_per_year or periods_per_year_of(rate)
    else:
        level, periods = abs(float(rate)), periods_per_year
    if level > RATE_MEDIAN or (periods and level * periods > RATE_ANNUAL):
        shown = level if isinstance(rate, Table) else float(rate)  # a column's typical size; a number as given
        per_year = f" ({shown * periods:.3g} a year)" if periods else ""
        raise InvalidArgument(
            f"looks like percent: {shown:.3g} a period{per_year} is no risk-free rate; give it as a decimal per "
            "period (divide percent by 100, an annual rate by the periods per year)", argument)


#: Labels of a cash return's column (the risk-free rate, a T-bill, a money-market fund, an overnight or interbank
#: rate's return), matched in any case.
CASH_LABEL = re.compile(
    r"^(rf|r_f|risk[- _]?free.*|t[- ]?bills?.*|treasury[- _]?(bills?|\d{1,2} ?[mw]|[13]mo?).*|cash.*|money[- _]?market.*|mmf"
    r"|sofr|sonia|e?str|€str|eonia|fed[- _]?funds.*|(usd|gbp|eur|jpy|chf)?[- _]?libor.*|euribor.*)$", re.IGNORECASE)


def _cash_return(name: str, level: float, periods: float | None, table: Table) -> bool:
    """True for a column labelled as a cash return at a level one has: at most ``RATE_ANNUAL`` a year when the
    dates tell the frequency (``periods``, or read from ``table``), else ``RATE_MEDIAN`` a period."""
    if not CASH_LABEL.match(str(name).strip()):
        return False
    periods = periods or periods_per_year_of(table)
    return level * periods <= RATE_ANNUAL if periods else level <= RATE_MEDIAN


def _smooth_level(column: np.ndarray) -> bool:
    present = column[~np.isnan(column)]
    if present.size < PRICE_MIN_ROWS:
        return False
    level = float(np.median(present))
    change = float(np.median(np.abs(np.diff(present))))
    varies = not bool(core.does_not_vary(present))  # a constant series is no price: the fit refuses it itself
    return varies and level > PRICE_LEVEL and change < PRICE_SMOOTHNESS * level


def _refuse_percent(argument: str, name: str, column: np.ndarray, why: str) -> None:
    present = column[~np.isnan(column)]
    hint = ""
    if present.size and np.all(present == np.floor(present)) and present.min() >= 61:
        hint = "; if it holds dates, head the column Date"
    raise InvalidArgument(
        f"column '{name}' looks like percent or prices ({why}); give returns as decimals "
        f"(divide percent by 100){hint}", argument)


#: How many times (either way) a stated periods_per_year may be from the periods a year the data's dates show:
#: 365 or 260 over daily dates pass, 2 over half-years (which read as annual) passes; 252 over monthly dates does not.
STATED_PERIODS_RATIO = 2.5


def check_stated_periods(periods_per_year: float, tables, argument: str = "periods_per_year") -> None:
    """Refuse a periods_per_year that the dates of the first of ``tables`` whose frequency can be read contradict:
    252 over monthly returns annualises a month's variance 21 times over. Intraday bars (under a day apart) say
    nothing of their periods a year (the hours a market trades), so they pass. Not positive or not finite is the
    core's to refuse."""
    if not (0 < periods_per_year < math.inf):
        return
    for table in tables:
        spacing = spacing_of(table)
        if spacing is None:
            continue
        if spacing < 1:
            return
        shown = periods_per_year_of(table)
        if shown:
            refuse_contradicted_periods(periods_per_year, shown, "the dates of the data", argument)
            return


def refuse_contradicted_periods(periods_per_year: float, shown: float | None, whose: str,
                                argument: str = "periods_per_year") -> None:
    """Refuse a periods_per_year more than :data:`STATED_PERIODS_RATIO` times off the ``shown`` periods a year of
    ``whose`` dates (``None``: nothing shown, nothing judged; not positive or not finite: the core's to refuse)."""
    if shown and 0 < periods_per_year < math.inf and not (
            shown / STATED_PERIODS_RATIO <= periods_per_year <= shown * STATED_PERIODS_RATIO):
        raise InvalidArgument(
            f"is {periods_per_year:g}, but {whose} show {shown:g} periods a year; give the periods a year of these "
            "dates, or leave it empty for figures per period", argument)


def spacing_of(table: Table) -> float | None:
    """Median gap of its dated rows in days (:func:`xl_factor.core.median_spacing_days`), or ``None`` (no dates,
    or fewer than two)."""
    if table.dates is None:
        return None
    _, dates = table.dated_rows()
    return core.median_spacing_days(dates) if len(dates) >= 2 else None


def periods_per_year_of(table: Table) -> float | None:
    """Periods per year its dates show (see :func:`xl_factor.core.infer_periods_per_year`), or ``None``."""
    if table.dates is None:
        return None
    _, dates = table.dated_rows()
    try:
        return float(core.infer_periods_per_year(dates))
    except core.FactorModelError:
        return None
