"""Returns from prices, excess returns, and alignment of date-indexed tables.

Returns are simple per-period returns in decimals: ``r_t = P_t / P_{t-1} - 1``.
Missing values are NaN throughout and propagate; they are never filled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import InvalidArgument, NoOverlap, ShapeMismatch, TooFewObservations
from .validation import as_2d, check_finite


def simple_returns(prices, argument: str = "prices", names=None, place=None) -> np.ndarray:
    """Simple returns ``P_t / P_{t-1} - 1`` of each column: one row fewer than ``prices``.

    Prices must be positive where present; a missing price makes the two
    returns around it missing. ``place(row)``: where a row is in the
    caller's range, for a refusal (``"in row 3"``, ``"on 2013-05-21"``;
    default its row number here).
    """
    table = as_2d(prices, argument)
    check_finite(table, argument)
    if table.shape[0] < 2:
        raise TooFewObservations("need at least two prices to compute a return", argument)
    bad = np.argwhere(table <= 0)
    if bad.size:
        row, col = bad[0]
        column = f"'{names[col]}'" if names is not None else f"{col + 1}"
        where = place(row) if place is not None else f"in row {row + 1}"
        raise InvalidArgument(f"column {column} has a price of {table[row, col]:g} {where}; prices must be "
                              "positive (a zero or negative price has no return): correct it or leave it blank",
                              argument)
    return table[1:] / table[:-1] - 1.0


def excess_returns(returns, rf, argument: str = "rf") -> np.ndarray:
    """Returns minus the risk-free rate, ``r - rf``, per period and in decimals.

    ``rf`` is a number or one column with a row per row of ``returns``.
    """
    table = as_2d(returns, "returns")
    check_finite(table, "returns")
    rate = np.asarray(rf, dtype=float)
    if rate.ndim == 0:
        check_finite(rate.reshape(1, 1), argument)
        return table - rate
    rate = as_2d(rate, argument)
    check_finite(rate, argument)
    if rate.shape[1] != 1:
        raise ShapeMismatch(f"rf must be one column or a number, got {rate.shape[1]} columns", argument)
    if rate.shape[0] != table.shape[0]:
        raise ShapeMismatch(
            f"returns has {table.shape[0]} rows but rf has {rate.shape[0]}", argument
        )
    return table - rate


#: NaT as an integer tick count (a datetime64 array viewed as int64): the smallest int64.
NAT_TICKS = np.iinfo(np.int64).min


@dataclass(frozen=True)
class Alignment:
    """Rows of two tables matched by date: ``dates[i]`` is row ``left[i]`` and ``right[i]``."""

    dates: pd.DatetimeIndex
    left: np.ndarray
    right: np.ndarray


def check_unique_dates(dates, argument: str) -> pd.DatetimeIndex:
    """The dates as an index, after checking that no date repeats."""
    index = pd.DatetimeIndex(dates)
    if index.has_duplicates:
        first = index[index.duplicated()][0]
        raise InvalidArgument(
            f"date {first.date()} appears more than once; remove the duplicate rows", argument
        )
    return index


def align_on_dates(left_dates, right_dates, left_name: str = "asset", right_name: str = "factors") -> Alignment:
    """Inner join of two date columns: the dates present in both, in ascending order.

    Raises when a date repeats within one table (the match would be
    ambiguous) or when the tables share no date.
    """
    rising = _same_dates_rising(left_dates, right_dates)
    if rising is not None:  # one date column in both, oldest or newest first: no join, no duplicate search
        index = left_dates if isinstance(left_dates, pd.DatetimeIndex) else pd.DatetimeIndex(left_dates)
        order = np.arange(len(index)) if rising else np.arange(len(index) - 1, -1, -1)
        return Alignment(index if rising else index[::-1], order, order)
    left_index = check_unique_dates(left_dates, left_name)
    right_index = check_unique_dates(right_dates, right_name)
    left_ns, right_ns = left_index.as_unit("ns").asi8, right_index.as_unit("ns").asi8
    if len(left_ns) and np.array_equal(left_ns, right_ns):  # the same date column (the common case)
        order = np.argsort(left_ns, kind="stable")
        return Alignment(left_index[order], order, order)
    common = left_index.intersection(right_index).sort_values()
    if len(common) == 0:
        raise NoOverlap(
            f"{left_name} and {right_name} have no date in common "
            f"({_span(left_index)} against {_span(right_index)}); pass overlapping histories",
            right_name,
        )
    return Alignment(common, left_index.get_indexer(common), right_index.get_indexer(common))


def _same_dates_rising(left_dates, right_dates) -> bool | None:
    """True (False) when both sides hold the same dates strictly rising (falling), else None.

    Strictly monotone dates are unique, so the duplicate check has nothing to find. Decided on the dates'
    integer ticks, where NaT is the smallest value: strictly rising ticks can only hold it first, falling
    ones only last.
    """
    left = _stamps(left_dates)
    if left.dtype.kind != "M" or not len(left):
        return None
    if left_dates is not right_dates:
        right = _stamps(right_dates)
        if left.dtype != right.dtype or not np.array_equal(left, right):
            return None
    ticks = left.view(np.int64)
    if (ticks[1:] > ticks[:-1]).all():
        return None if ticks[0] == NAT_TICKS else True
    if (ticks[1:] < ticks[:-1]).all():
        return None if ticks[-1] == NAT_TICKS else False
    return None


def _stamps(dates) -> np.ndarray:
    """Dates as a numpy array (an index's own datetime64 values, without ``__array__``'s cost)."""
    return dates.values if isinstance(dates, pd.DatetimeIndex) else np.asarray(dates)


def _span(index: pd.DatetimeIndex) -> str:
    """First to last date; with their times when any date has one (stamps at 16:00 share no date with days)."""
    first, last = index.min(), index.max()
    if (index.normalize() != index).any():
        return f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M}"
    return f"{first.date()} to {last.date()}"
