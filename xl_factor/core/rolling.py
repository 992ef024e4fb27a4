"""Betas that change over time: rolling-window OLS and exponentially weighted least squares.

Both regress one asset on K factors with a constant, ``r_t = a + b' f_t + e_t``,
once per period, on the periods up to and including it. A period in which the
asset or a factor is missing adds nothing to any fit but keeps its place, so
windows and ages are counted in periods (rows), not in observations.

Every period's fit is a solve of its own (K+1) x (K+1) normal equations; the
moment matrices of all periods are built at once (windowed sums for the
rolling fit, a discounted prefix sum for the exponential one) and solved as
one batch. A fit is blank (NaN) when it has fewer than ``K + 2`` present rows
or when its moment matrix is ill-conditioned by the package's one rule
(:func:`xl_factor.core.conditioning.ill_conditioned`: constant or collinear
factors over the window).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .conditioning import ill_conditioned
from .errors import InvalidArgument, ShapeMismatch
from .validation import as_2d, check_finite, column_names


@dataclass(frozen=True)
class TimeVaryingBetas:
    """Per-period estimates: ``alpha`` (T,), ``betas`` (T, K), ``n_obs`` (T,) present rows used; NaN where blank."""

    alpha: np.ndarray
    betas: np.ndarray
    n_obs: np.ndarray


def _moments(asset, factors):
    """Per-row cross products ``x x'`` (T, p, p), ``x y`` (T, p) and presence (T,), zero on missing rows."""
    y = as_2d(asset, "asset")
    f = as_2d(factors, "factors")
    if y.shape[1] != 1:
        raise ShapeMismatch(f"takes one asset column, got {y.shape[1]}; pick one column", "asset")
    check_finite(y, "asset")
    check_finite(f, "factors", column_names(None, f.shape[1], "f"))
    if y.shape[0] != f.shape[0]:
        raise ShapeMismatch(f"asset has {y.shape[0]} rows but factors has {f.shape[0]}", "factors")
    present = ~(np.isnan(y[:, 0]) | np.isnan(f).any(axis=1))
    x = np.column_stack([np.ones(len(present)), f])
    x[~present] = 0.0
    yv = np.where(present, y[:, 0], 0.0)
    return x[:, :, None] * x[:, None, :], x * yv[:, None], present.astype(float), f.shape[1]


def _solve(xx: np.ndarray, xy: np.ndarray, count: np.ndarray, min_obs: int) -> np.ndarray:
    """Coefficients (M, p) of M normal equations, NaN where too few rows or singular.

    Solved with the moment matrix scaled to a unit diagonal (Jacobi scaling).
    """
    coef = np.full(xy.shape, np.nan)
    enough = count >= min_obs
    if not enough.any():
        return coef
    m, v = xx[enough], xy[enough]
    diag = np.einsum("mii->mi", m)
    scale = np.where(diag > 0, 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0)), 0.0)
    scaled = m * scale[:, :, None] * scale[:, None, :]
    ok = ~ill_conditioned(_centred(m))
    solved = np.full(v.shape, np.nan)
    if ok.any():
        solved[ok] = scale[ok] * np.linalg.solve(scaled[ok], (scale[ok] * v[ok])[..., None])[..., 0]
    coef[enough] = solved
    return coef


def _centred(m: np.ndarray) -> np.ndarray:
    """The factors' covariance blocks (M, K, K) of moment matrices (M, p, p) whose first row is the constant's.

    ``sum x x' / n - mean mean'``: conditioning is judged on centred
    factors, as in every other fit of the package.
    """
    n = m[:, 0, 0][:, None, None]
    mean = m[:, 0, 1:] / n[:, :, 0]
    return m[:, 1:, 1:] / n - mean[:, :, None] * mean[:, None, :]


def _result(coef: np.ndarray, n_obs: np.ndarray) -> TimeVaryingBetas:
    return TimeVaryingBetas(alpha=coef[:, 0], betas=coef[:, 1:], n_obs=n_obs)


def rolling_betas(asset, factors, window) -> TimeVaryingBetas:
    """OLS of one asset on the factors (with a constant) over the last ``window`` periods, per period.

    At period ``t`` (counting from 1) the fit uses rows ``t - window + 1 .. t``
    whose asset and factors are all present; periods before the window fills
    (``t < window``) and windows with fewer than ``K + 2`` present rows are
    blank. This is ``statsmodels.regression.rolling.RollingOLS(y, [1, f],
    window, min_nobs=K + 2)`` with its default ``missing="drop"`` (identical
    to it without missing rows). ``window`` is a whole number from ``K + 2``
    to the number of periods T.
    """
    xx, xy, present, k = _moments(asset, factors)
    n_rows = len(present)
    size = float(window)
    if not np.isfinite(size) or not size.is_integer() or size < k + 2 or size > n_rows:
        raise InvalidArgument(
            f"window must be a whole number of periods from {k + 2} (K + 2) to {n_rows} (the number of periods), "
            f"got {size:g}", "window")
    w = int(size)
    view = np.lib.stride_tricks.sliding_window_view
    sums_xx = view(xx, w, axis=0).sum(axis=-1)
    sums_xy = view(xy, w, axis=0).sum(axis=-1)
    counts = view(present, w).sum(axis=-1)
    coef = np.full((n_rows, k + 1), np.nan)
    coef[w - 1:] = _solve(sums_xx, sums_xy, counts, k + 2)
    n_obs = np.full(n_rows, np.nan)
    n_obs[w - 1:] = counts
    return _result(coef, n_obs)


def ewma_betas(asset, factors, halflife) -> TimeVaryingBetas:
    """Exponentially weighted least-squares betas of one asset, per period.

    At period ``t`` the coefficients minimise
    ``sum_{s <= t} w_ts (r_s - a - b' f_s)^2`` over the present rows
    ``s <= t``, with weights ``w_ts = 0.5 ** ((t - s) / halflife)``: a row
    ``halflife`` periods old weighs half as much as the current one (ages
    count periods, missing rows included). Equivalently
    ``b_t = Cov_w(f)^-1 Cov_w(f, r)``, the exponentially weighted covariances
    of pandas' ``ewm(halflife=halflife, adjust=True)``, whose normalisation
    cancels. Blank until ``K + 2`` rows are present. ``halflife`` in periods,
    positive and finite.
    """
    xx, xy, present, k = _moments(asset, factors)
    life = float(halflife)
    if not np.isfinite(life) or life <= 0:
        raise InvalidArgument(f"halflife must be a positive number of periods, got {life:g}", "halflife")
    decay = 0.5 ** (1.0 / life)
    sums_xx = _discounted_cumsum(xx, decay)
    sums_xy = _discounted_cumsum(xy, decay)
    counts = np.cumsum(present)
    return _result(_solve(sums_xx, sums_xy, counts, k + 2), counts.astype(float))


def _discounted_cumsum(values: np.ndarray, decay: float) -> np.ndarray:
    """``S_t = sum_{s <= t} decay^(t - s) v_s`` along axis 0, by a doubling scan (log2 T vector steps).

    After step j each ``S_t`` holds the sum over the last ``2^(j+1)`` rows;
    every term is added with its own non-negative weight.
    """
    out = values.astype(float, copy=True)
    shift, factor = 1, decay
    while shift < out.shape[0]:
        out[shift:] = out[shift:] + factor * out[:-shift]
        shift *= 2
        factor *= factor
    return out
