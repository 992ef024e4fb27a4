"""Factor-implied and sample covariance of asset returns, and parameter counts.

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
    cov = b @ sigma @ b.T
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


def correlation_from_covariance(cov) -> np.ndarray:
    """Correlation matrix ``C_ij / sqrt(C_ii C_jj)`` of a covariance matrix."""
    c = np.asarray(cov, dtype=float)
    sd = np.sqrt(np.diag(c))
    corr = c / np.outer(sd, sd)
    np.fill_diagonal(corr, 1.0)
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
