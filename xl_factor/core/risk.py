"""Hedging, position sizing, P&L and risk share under the factor model.

Units: positions and hedges are amounts of currency (a hedge is what to hold
in each factor, negative = short); returns, alphas and variances are per
period; horizons are counted in periods of the data (daily data: 1 day, 21 a
month, 252 a year).
"""

from __future__ import annotations

import numpy as np

from .conditioning import does_not_vary
from .errors import InvalidArgument, ShapeMismatch, TooFewObservations
from .periods import check_periods_per_year
from .validation import as_2d, check_finite


def _position(position) -> float:
    value = float(position)
    if not np.isfinite(value):
        raise InvalidArgument("position must be a finite amount", "position")
    return value


def _horizon(horizon_periods) -> float:
    value = float(horizon_periods)
    if not np.isfinite(value) or value <= 0:
        raise InvalidArgument(
            f"horizon_periods must be a positive number of periods (daily data: 1 day, 21 a month, 252 a year), "
            f"got {horizon_periods!r}",
            "horizon_periods",
        )
    return value


def full_hedge(position, beta) -> np.ndarray:
    """Hedge that removes all factor exposure: ``-beta * position`` in each factor."""
    return -np.asarray(beta, dtype=float) * _position(position)


def factor_share(beta, factor_cov, idio_var) -> float:
    """Share of variance the factors explain, ``beta' S beta / (beta' S beta + idio_var)``."""
    b = np.asarray(beta, dtype=float)
    systematic = float(b @ np.asarray(factor_cov, dtype=float) @ b)
    return systematic / (systematic + float(idio_var))


def check_target_share(target_share) -> float:
    """``target_share`` as a float at least 0 and below 1 (the factor share of variance a hedge allows)."""
    s = float(target_share)
    if not np.isfinite(s) or s < 0 or s >= 1:
        raise InvalidArgument(
            f"target_share must be at least 0 and below 1 (0.2 for 20%), got {target_share!r}", "target_share"
        )
    return s


def hedge_to_target(position, beta, factor_cov, idio_var, target_share: float = 0.0) -> np.ndarray:
    """Factor hedge that brings the factor share of the position's variance down to ``target_share``.

    ``target_share = 0`` is the full hedge ``-beta * position``. For
    ``0 < s < 1`` the exposure is scaled to ``c * beta`` with
    ``c = sqrt(s * idio_var / ((1 - s) * beta' S beta))`` and the hedge is
    ``(c - 1) * beta * position``; zero when the share is already at or
    below ``s``.
    """
    s = check_target_share(target_share)
    b = np.asarray(beta, dtype=float)
    amount = _position(position)
    if s == 0:
        return full_hedge(amount, b)
    systematic = float(b @ np.asarray(factor_cov, dtype=float) @ b)
    if systematic <= 0 or systematic / (systematic + float(idio_var)) <= s:
        return np.zeros_like(b)
    c = np.sqrt(s * float(idio_var) / ((1 - s) * systematic))
    return (c - 1.0) * b * amount


def hedged_factor_share(beta, hedge_per_unit, factor_cov, idio_var) -> float:
    """Factor share of a position hedged with ``h`` units of each factor per unit of the asset.

    ``(beta + h)' S (beta + h) / ((beta + h)' S (beta + h) + idio_var)``.
    """
    b = np.asarray(beta, dtype=float)
    h = np.asarray(hedge_per_unit, dtype=float).ravel()
    if h.shape != b.shape:
        raise ShapeMismatch(f"hedge has {h.size} values but there are {b.size} factors; give one per factor", "hedge")
    if not np.all(np.isfinite(h)):
        raise InvalidArgument("hedge must hold a number for every factor, 0 for a factor not hedged (a blank is not "
                              "a zero)", "hedge")
    return factor_share(b + h, factor_cov, idio_var)


def size_for_vol_budget(vol_budget, variance, horizon_periods=1):
    """Position whose volatility over the horizon equals the budget.

    ``vol_budget / sqrt(variance * horizon_periods)``; ``vol_budget`` in
    currency, ``variance`` per period. Works element-wise on arrays.
    """
    budget = np.asarray(vol_budget, dtype=float)
    var = np.asarray(variance, dtype=float)
    horizon = _horizon(horizon_periods)
    if np.any(budget < 0):
        raise InvalidArgument("vol_budget must not be negative", "vol_budget")
    if np.any(var <= 0):
        raise InvalidArgument("variance must be positive (a per-period variance, e.g. idio_var)", "variance")
    return budget / np.sqrt(var * horizon)


def expected_pnl(position, alpha, beta, factor_mean, horizon_periods=1) -> tuple[float, float]:
    """Expected and alpha-only P&L of holding ``position`` over the horizon.

    Expected: ``position * (beta' E[f] + alpha) * horizon``; alpha-only (the
    factor-hedged position): ``position * alpha * horizon``. Currency units.
    """
    amount = _position(position)
    horizon = _horizon(horizon_periods)
    systematic = float(np.asarray(beta, dtype=float) @ np.asarray(factor_mean, dtype=float))
    return amount * (systematic + float(alpha)) * horizon, amount * float(alpha) * horizon


def sharpe_ratio(returns, periods_per_year=None) -> np.ndarray:
    """Per-column ``mean / std`` (``ddof = 1``, missing values dropped), times ``sqrt(P)`` when given.

    NaN for a column whose returns do not vary (no ratio exists).
    """
    table = as_2d(returns, "returns")
    check_finite(table, "returns")
    count = (~np.isnan(table)).sum(axis=0)
    if np.any(count < 2):
        raise TooFewObservations("each column needs at least two returns for a standard deviation", "returns")
    mean = np.nanmean(table, axis=0)
    sd = np.nanstd(table, axis=0, ddof=1)
    varies = ~does_not_vary(table)  # a constant column leaves only rounding noise in sd
    ratio = mean / np.where(varies & (sd > 0), sd, np.nan)
    if periods_per_year is None:
        return ratio
    return ratio * np.sqrt(check_periods_per_year(periods_per_year))
