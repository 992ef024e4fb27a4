"""Periods per year and annualisation.

Annualisation factors are defined here once and by name. Means and variances
scale linearly with ``periods_per_year``, volatilities with its square root
(the course convention: ``alpha * 12``, ``var * 252``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import InvalidArgument, TooFewObservations
from .validation import median

DAILY = 252
WEEKLY = 52
MONTHLY = 12
QUARTERLY = 4
ANNUAL = 1

#: Trading days in a month and a year, for horizons counted in daily periods.
TRADING_DAYS_PER_MONTH = 21
TRADING_DAYS_PER_YEAR = 252

# Median spacing between dates, in calendar days, that marks each frequency.
_SPACING_BOUNDS = (
    (4.0, DAILY),  # trading days (1 day, 3 over weekends) or calendar days
    (10.0, WEEKLY),
    (45.0, MONTHLY),
    (135.0, QUARTERLY),
    (550.0, ANNUAL),
)

#: The most periods a year :func:`infer_periods_per_year` can read from dates (daily).
MOST_PERIODS_PER_YEAR = max(periods for _, periods in _SPACING_BOUNDS)

KINDS = ("mean", "var", "vol")


def median_spacing_days(dates) -> float:
    """Median gap between consecutive dates (in date order), in days: 1 for trading days, 7 weekly, about 30
    monthly, 1/288 for five-minute bars. Raises when there are fewer than two dates."""
    index = dates if isinstance(dates, pd.DatetimeIndex) else pd.DatetimeIndex(dates)
    stamps = (index if index.tz is None else index.tz_convert(None)).values  # datetime64, in the index's unit
    if len(stamps) < 2:
        raise TooFewObservations(
            "need at least two dates to infer the frequency; give periods_per_year",
            "dates",
        )
    return float(median(np.diff(np.sort(stamps)) / np.timedelta64(1, "D")))


def infer_periods_per_year(dates) -> int:
    """Periods per year of a date index, from the median spacing of its dates.

    Median gap up to 4 calendar days -> 252 (daily), up to 10 -> 52 (weekly),
    up to 45 -> 12 (monthly), up to 135 -> 4 (quarterly), up to 550 -> 1
    (annual). Raises when there are fewer than two dates or the spacing fits
    none of these.
    """
    gap = median_spacing_days(dates)
    for bound, periods in _SPACING_BOUNDS:
        if 0 < gap <= bound:
            return periods
    raise InvalidArgument(
        f"dates are {gap:g} days apart in the median, which is no daily, weekly, "
        "monthly, quarterly or annual frequency; give periods_per_year",
        "dates",
    )


def check_periods_per_year(periods_per_year: float, argument: str = "periods_per_year") -> float:
    """Return ``periods_per_year`` as a float after checking it is positive and finite."""
    value = float(periods_per_year)
    if not np.isfinite(value) or value <= 0:
        raise InvalidArgument(
            f"periods_per_year must be a positive number (252 daily, 52 weekly, 12 monthly), got {periods_per_year!r}",
            argument,
        )
    return value


def annualize(value, kind: str, periods_per_year: float):
    """Annualise a per-period ``mean`` or ``var`` (times P) or ``vol`` (times sqrt P).

    ``value`` may be a number or an array; units are those of ``value`` per
    period in, per year out. A volatility is never negative (a ``var`` may be
    a covariance, negative off the diagonal, and a mean may be anything).
    """
    periods = check_periods_per_year(periods_per_year)
    kind_key = str(kind).strip().lower()
    if kind_key not in KINDS:
        raise InvalidArgument(f"kind must be one of mean, var, vol, got {kind!r}", "kind")
    values = np.asarray(value, dtype=float)
    if kind_key == "vol" and np.any(values < 0):
        where = np.argwhere(np.atleast_2d(values) < 0)[0]
        at = "" if values.size == 1 else f" in row {where[0] + 1}, column {where[1] + 1}"
        raise InvalidArgument(f"holds {np.atleast_2d(values)[tuple(where)]:g}{at}: a volatility cannot be negative "
                              "(a mean can: kind mean)", "value")
    return values * (np.sqrt(periods) if kind_key == "vol" else periods)
