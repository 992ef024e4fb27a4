"""Factor-implied, sample and shrinkage covariance of asset returns, and parameter counts.

The factor model needs ``N*K + N + K*(K+1)/2`` numbers (betas, idiosyncratic
variances, factor covariance) where the unrestricted covariance needs
``N*(N+1)/2``: O(N) against O(N^2) for a fixed number of factors.
"""

from __future__ import annotations

import numpy as np

from .errors import InvalidArgument, TooFewObservations
from .validation import as_2d, check_finite

#: Largest number of assets or factors a parameter count is given for.
MAX_COUNT = 10**9


def factor_covariance(betas, factor_cov, idio_var) -> np.ndarray:
    """``B Sigma_f B' + diag(idio_var)``: (N, N) from betas (N, K), Sigma_f (K, K), idio_var (N,).

    One-dimensional betas are N assets on one factor when ``Sigma_f`` is 1 x 1,
    else one asset on K factors.
    """
    sigma = np.atleast_2d(np.asarray(factor_cov, dtype=float))
    b = np.asarray(betas, dtype=float)
    if b.ndim == 1:
        b = b[:, None] if sigma.shape == (1, 1) else b[None, :]
    systematic = b @ sigma @ b.T
    cov = (systematic + systematic.T) * 0.5  # exactly symmetric: the two products of a pair round apart by an ulp
    cov[np.diag_indices_from(cov)] += np.asarray(idio_var, dtype=float)
    return cov


def sample_covariance(returns) -> np.ndarray:
    """(N, N) sample covariance, ``ddof = 1``, over the rows complete in every column."""
    table = as_2d(returns, "returns")
    check_finite(table, "returns")
    complete = table[~np.isnan(table).any(axis=1)]
    if complete.shape[0] < 2:
        raise TooFewObservations(
            f"only {complete.shape[0]} rows have every asset present; the sample covariance needs at least 2",
            "returns",
        )
    return np.atleast_2d(np.cov(complete, rowvar=False))


def ledoit_wolf(returns) -> tuple[np.ndarray, float]:
    r"""Ledoit-Wolf (2004) shrinkage of the sample covariance towards a scaled identity.

    Returns ``(cov, shrinkage)``. Over the T rows complete in every column,
    with ``X`` the demeaned returns (T, N), ``S = X'X / T`` and the norm
    ``||A||^2 = tr(A A') / N`` of O. Ledoit and M. Wolf, "A well-conditioned
    estimator for large-dimensional covariance matrices", J. Multivariate
    Analysis 88 (2004), section 3.2::

        m    = tr(S) / N
        d2   = ||S - m I||^2
        b2   = min(d2, sum_t ||x_t x_t' - S||^2 / T^2)
        shrinkage = b2 / d2                       (0 when d2 = 0)
        S_LW = shrinkage * m I + (1 - shrinkage) * S

    (computed as ``[sum_t (x_t' x_t)^2 / T - tr(S S)] / (N T)``, the same
    number without a loop over rows). The result is ``S_LW * T / (T - 1)``: the paper's estimator
    put on the ``ddof = 1`` scale of :func:`sample_covariance`, which it
    equals when ``shrinkage = 0``; the intensity does not depend on that scale
    (nor on the units: the data are divided by their largest size first, so
    that fourth powers cannot overflow).
    """
    table = as_2d(returns, "returns")
    check_finite(table, "returns")
    complete = table[~np.isnan(table).any(axis=1)]
    n_obs, n_assets = complete.shape
    if n_obs < 2:
        raise TooFewObservations(
            f"only {n_obs} rows have every asset present; the shrinkage covariance needs at least 2", "returns")
    x = complete - complete.mean(axis=0)
    size = float(np.abs(x).max())
    x = x / size if size > 0 else x  # the intensity does not depend on the scale; (x'x)^2 could overflow
    s = x.T @ x / n_obs
    m = float(np.trace(s)) / n_assets
    target_gap = s - m * np.eye(n_assets)
    d2 = float((target_gap * target_gap).sum()) / n_assets
    row_norms = np.einsum("ti,ti->t", x, x)
    b2_bar = (float((row_norms**2).sum()) / n_obs - float((s * s).sum())) / (n_assets * n_obs)
    b2 = min(max(b2_bar, 0.0), d2)
    shrinkage = b2 / d2 if d2 > 0 else 0.0
    shrunk = shrinkage * m * np.eye(n_assets) + (1.0 - shrinkage) * s
    scale = size * size if size > 0 else 1.0
    return shrunk * (scale * n_obs / (n_obs - 1)), shrinkage


def correlation_from_covariance(cov) -> np.ndarray:
    """Correlation matrix ``C_ij / sqrt(C_ii C_jj)`` of a covariance matrix; NaN rows and columns stay NaN."""
    c = np.asarray(cov, dtype=float)
    sd = np.sqrt(np.diag(c))
    corr = c / np.outer(sd, sd)
    np.fill_diagonal(corr, np.where(np.isnan(sd), np.nan, 1.0))
    return corr


def parameter_counts(n_assets, n_factors=1) -> dict[str, int]:
    """Numbers to estimate: factor model ``N*K + N + K*(K+1)/2``, unrestricted ``N*(N+1)/2``."""
    n = _count(n_assets, "n_assets")
    k = _count(n_factors, "n_factors")
    return {"factor_model": n * k + n + k * (k + 1) // 2, "unrestricted": n * (n + 1) // 2}


def _count(value, argument: str) -> int:
    number = float(value)
    if not np.isfinite(number) or number < 1 or number > MAX_COUNT or not number.is_integer():
        raise InvalidArgument(f"{argument} must be a whole number from 1 to {MAX_COUNT:,}, got {value!r}", argument)
    return int(number)
