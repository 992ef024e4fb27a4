"""Betas the terminals and the literature use beside OLS: Dimson, Scholes-Williams and Vasicek.

Dimson (1979) and Scholes and Williams (1977) correct the beta of a thinly
traded asset, whose price reacts to the market a period late; Vasicek (1973)
shrinks each beta towards the cross-sectional mean by how imprecise it is.
Returns and factors are per period, rows in time order (a lag is the row
before), NaN for missing; each regression is :func:`fit_factor_model`'s, so
one asset's failure stays in its own slot and the conditioning rule is the
package's one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import FactorModelError, InvalidArgument, TooFewObservations
from .regression import FactorFit, fit_factor_model
from .validation import as_2d, column_names


@dataclass(frozen=True)
class Betas:
    """Betas (N, K) of each asset on each factor; ``failures`` maps an asset that could not be fitted to its error."""

    betas: np.ndarray
    failures: dict[int, FactorModelError]


def lead_lag(factors, lags: float = 1, jointly: bool = True) -> np.ndarray:
    """The factors at ``t - L .. t + L`` side by side: (T, K (2L + 1)), block ``j`` holds ``f_{t+j}``.

    Rows are periods in time order (of the factors' own history, so the
    first row's lag is missing, not taken from another range); NaN past
    either end. ``L = lags``, a whole number from 1 to the most the rows
    allow (:func:`_lags`): for one regression on every column (``jointly``,
    Dimson's), or for a simple regression on each (Scholes-Williams').
    """
    f = as_2d(factors, "factors")
    n_lags = _lags(lags, f.shape[0], f.shape[1] if jointly else None)
    blocks = []
    for j in range(-n_lags, n_lags + 1):
        block = np.full(f.shape, np.nan)
        if j >= 0:
            block[: f.shape[0] - j] = f[j:]
        else:
            block[-j:] = f[:j]
        blocks.append(block)
    return np.column_stack(blocks)


def lead_lag_names(names, lags: int) -> tuple[str, ...]:
    """Labels of :func:`lead_lag`'s columns: ``MktRF(t-1)``, ``MktRF``, ``MktRF(t+1)`` ..."""
    return tuple(f"{name}(t{j:+d})" if j else name for j in range(-int(lags), int(lags) + 1) for name in names)


def _lags(lags, n_periods: int, n_factors: int | None) -> int:
    """``lags`` as a whole number from 1 to the most ``n_periods`` rows allow.

    Only the ``T - 2L`` middle rows have every lag and lead. One regression
    on all ``K (2L + 1)`` columns and a constant (``n_factors`` K) needs
    ``T - 2L >= K (2L + 1) + 2``, so ``L <= (T - K - 2) / (2K + 2)``; a simple
    regression on each column (``n_factors`` None) needs 3 rows, so
    ``L <= (T - 3) / 2``.
    """
    value = float(lags)
    k = n_factors or 1
    most = (n_periods - k - 2) // (2 * k + 2) if n_factors else (n_periods - 3) // 2
    plural = "s" if k > 1 else ""
    if most < 1:
        least = 3 * k + 4 if n_factors else 5
        raise InvalidArgument(f"has {n_periods} periods; a lag and a lead of {k} factor{plural} need at least "
                              f"{least}", "factors")
    if not value.is_integer() or not 1 <= value <= most:
        raise InvalidArgument(
            f"must be a whole number of periods from 1 to {most} for {n_periods} periods of {k} "
            f"factor{plural} (each lag adds {k} slope{plural} and takes a period off each end), got "
            f"{value:g} (for no lags use FM_BETA)", "lags")
    return int(value)


def dimson_betas(returns, lagged_factors, n_factors: int, asset_names=None, factor_names=None) -> Betas:
    """Dimson (1979) betas: ``beta_k = sum_{j=-L..L} b_kj`` from one OLS with a constant of
    ``r_t = a + sum_k sum_{j=-L..L} b_kj f_k,t+j + e_t``.

    ``lagged_factors`` is :func:`lead_lag` of the K factors, on the rows of
    ``returns``; each asset uses the rows where it and every lagged, current
    and leading factor are present.
    """
    fit = fit_factor_model(returns, lagged_factors, True, asset_names, factor_names)
    offsets = fit.n_factors // int(n_factors)
    failures = dict(fit.failures)
    lagged_rows = ~np.isnan(fit.factors).any(axis=1)
    for i, error in fit.failures.items():  # too few rows: said in lags, not in the K (2L + 1) columns of the design
        rows = int((~np.isnan(fit.returns[:, i]) & lagged_rows).sum())
        if rows < fit.n_factors + 2:
            failures[i] = TooFewObservations(
                f"'{fit.asset_names[i]}' has {rows} rows with every lag and lead of the factors present; with "
                f"{offsets // 2} lag{'s' if offsets > 3 else ''} of {n_factors} factor{'s' if n_factors > 1 else ''} "
                f"the regression needs at least {fit.n_factors + 2}: give it more rows or fewer lags",
                error.argument)
    return Betas(fit.betas.reshape(fit.n_assets, offsets, int(n_factors)).sum(axis=1), failures)


def scholes_williams_betas(returns, lagged_market, asset_names=None, market_names=None) -> Betas:
    """Scholes-Williams (1977) betas on one factor (the market) ``m``:
    ``beta = (b_-1 + b_0 + b_+1) / (1 + 2 rho)``.

    ``lagged_market`` (T, 3) is :func:`lead_lag` of the market with one lag:
    ``m_{t-1}, m_t, m_{t+1}`` on the rows of ``returns``. For each asset,
    ``b_j`` is the slope of the simple OLS of ``r_t`` on ``m_{t+j}`` and
    ``rho = corr(m_t, m_{t-1})`` the market's first-order autocorrelation,
    all four over the same rows: those where the asset and all three market
    values are present. So an asset's beta depends on its own rows only, not
    on the blank rows of a late listing or on the other assets in the range.
    An asset whose ``1 + 2 rho`` is not positive is a failure of its own.
    """
    y = as_2d(returns, "asset")
    m = as_2d(lagged_market, "factors")
    common = ~np.isnan(m).any(axis=1)
    y = np.where(common[:, None], y, np.nan)
    names = column_names(market_names, 3, "f", "factors")
    fits = [fit_factor_model(y, m[:, [j]], True, asset_names, names[j:j + 1]) for j in range(3)]
    failures = dict(fits[1].failures)
    rho = _autocorrelations(m[:, 1], m[:, 0], fits[1].used)
    for i in np.flatnonzero(~(1 + 2 * rho > 0)):
        if i not in failures and fits[1].used[:, i].any():
            failures[int(i)] = InvalidArgument(
                f"the market's first-order autocorrelation over the rows of '{fits[1].asset_names[i]}' is "
                f"{rho[i]:.3g}; at -0.5 or below the Scholes-Williams denominator 1 + 2 rho is not positive", "asset")
    betas = sum(fit.betas for fit in fits) / (1 + 2 * rho)[:, None]
    betas[list(failures)] = np.nan
    return Betas(betas, failures)


def _autocorrelations(series: np.ndarray, lagged: np.ndarray, used: np.ndarray) -> np.ndarray:
    """(N,) ``corr(m_t, m_{t-1})`` over the rows of each column of ``used`` (T, N); NaN with fewer than 3 rows.

    The moments are taken about the mean over every row used (a shift, so
    that the per-column sums lose no digits), as masked sums for all columns
    at once.
    """
    rows = used.any(axis=1)
    if not rows.any():
        return np.full(used.shape[1], np.nan)
    s = np.where(rows, series - series[rows].mean(), 0.0)
    lag = np.where(rows, lagged - lagged[rows].mean(), 0.0)
    weight = used.astype(float)
    n = weight.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_s, mean_l = s @ weight / n, lag @ weight / n
        cov = (s * lag) @ weight / n - mean_s * mean_l
        var_s = (s * s) @ weight / n - mean_s**2
        var_l = (lag * lag) @ weight / n - mean_l**2
        return np.where(n >= 3, cov / np.sqrt(var_s * var_l), np.nan)


def beta_std_errors(fit: FactorFit) -> np.ndarray:
    """(N, K) OLS standard errors of the betas (with a constant, nonrobust, as statsmodels' ``bse``).

    ``se_ik^2 = s2_i [Sigma_f,i^-1]_kk / (n_i - 1)``, with ``s2_i = SSR_i /
    (n_i - K - 1)`` and ``Sigma_f,i`` the factor covariance over asset i's
    rows: the diagonal of ``s2 (X'X)^-1`` for the centred design. NaN for an
    asset that was not fitted.
    """
    out = np.full(fit.betas.shape, np.nan)
    fitted = [i for i in range(fit.n_assets) if fit.fitted_asset(i)]
    if not fitted:
        return out
    inverse = np.linalg.inv(np.stack([fit.factor_cov_of(i) for i in fitted]))
    n = fit.n_obs[fitted].astype(float)
    ssr = fit.idio_var[fitted] * (n - 1)
    out[fitted] = np.sqrt(ssr[:, None] / (n - fit.n_factors - 1)[:, None]
                          * np.einsum("nkk->nk", inverse) / (n - 1)[:, None])
    return out


def vasicek_betas(betas, std_err) -> np.ndarray:
    """Vasicek (1973) shrinkage of each beta towards the cross-sectional mean, factor by factor.

    With ``b_i`` the OLS beta, ``se_i`` its standard error, ``m`` and ``v``
    the mean and variance (``ddof = 1``) of the betas across the assets with
    numbers: ``beta_i = m + v / (v + se_i^2) * (b_i - m)``, the posterior mean
    under the prior ``N(m, v)``, i.e. ``(m / v + b_i / se_i^2) / (1 / v + 1 / se_i^2)``.
    """
    b = np.atleast_2d(np.asarray(betas, dtype=float))
    se2 = np.atleast_2d(np.asarray(std_err, dtype=float)) ** 2
    have = ~np.isnan(b).any(axis=1)
    if have.sum() < 2:
        raise TooFewObservations(f"has {int(have.sum())} asset with betas; Vasicek shrinks each beta towards the "
                                 "cross-sectional mean, which needs at least 2 assets", "asset")
    mean = b[have].mean(axis=0)
    var = b[have].var(axis=0, ddof=1)
    total = var + se2
    weight = np.divide(var, total, out=np.ones_like(total), where=total > 0)
    return mean + weight * (b - mean)
