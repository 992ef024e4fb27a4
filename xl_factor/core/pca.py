"""Statistical factors: principal components of the covariance of asset returns.

The covariance is the ``ddof = 1`` sample covariance of the asset columns
over the rows where every asset is present (as the ``sample`` covariance).
Its eigenvectors, largest eigenvalue first, are the loadings; the factor
returns are the returns of the portfolios whose weights are the loadings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .conditioning import CONDITION_LIMIT, does_not_vary
from .errors import InvalidArgument, TooFewObservations
from .validation import as_2d, check_finite, column_names

#: Below this size the sum of a loading vector counts as zero for the sign rule.
SIGN_TOLERANCE = 1e-10


@dataclass(frozen=True)
class PrincipalComponents:
    """The first k principal components of N assets.

    ``loadings`` (N, k) unit-length eigenvectors; ``eigenvalues`` (k,) the
    first k, largest first (per period squared); ``explained`` (k,) share of the
    total variance per component; ``factors`` (T, k) factor returns, NaN on
    rows where an asset is missing; ``names`` ``PC1..PCk``.
    """

    loadings: np.ndarray
    eigenvalues: np.ndarray
    explained: np.ndarray
    factors: np.ndarray
    names: tuple[str, ...]
    asset_names: tuple[str, ...]


def principal_components(returns, k, asset_names=None) -> PrincipalComponents:
    r"""Principal components of the asset returns (T, N).

    ``S = cov(R)`` (``ddof = 1``, rows with every asset present) is
    decomposed as ``S = V diag(l) V'`` with ``l_1 >= l_2 >= ...``:

    * loadings: the first ``k`` columns of ``V`` (unit length);
    * explained: ``l_j / sum(l)``, the share of total variance (trace of S);
    * factors: ``F = R V_k``, the returns (not demeaned) of the portfolios
      with the loadings as weights, per period, NaN where a row is incomplete.
      Their ``ddof = 1`` variances are ``l_1..l_k``, they are uncorrelated,
      and regressing the assets on them (with a constant) gives the loadings
      as betas.

    Sign convention: each loading vector is signed so that the sum of its
    entries is positive (the first component of stock returns is then a long
    "market" portfolio); when that sum is zero (below 1e-10 in size), its
    entry largest in size (the first such) is made positive. Components with
    equal eigenvalues are not unique. Only the k components asked are
    computed (:func:`leading_eigenpairs`).
    """
    table = as_2d(returns, "returns")
    names = column_names(asset_names, table.shape[1], "asset", "returns")
    check_finite(table, "returns", names)
    n_assets = table.shape[1]
    count = _whole(k, "k", 1, n_assets,
                   f"k must be a whole number from 1 to {n_assets} (the number of asset columns), got {_shown(k)}")
    complete = ~np.isnan(table).any(axis=1)
    rows = table[complete]
    if rows.shape[0] < 2:
        raise TooFewObservations(
            f"has {rows.shape[0]} rows with every asset present; principal components need at least 2", "returns")
    if count > rows.shape[0] - 1:  # T rows give a covariance of rank at most T - 1: the rest would be rounding
        raise InvalidArgument(f"k must be at most {rows.shape[0] - 1} for {rows.shape[0]} rows with every asset "
                              f"present (their covariance has no more components), got {count}", "k")
    cov = np.atleast_2d(np.cov(rows, rowvar=False, ddof=1))
    total = float(np.trace(cov))
    if does_not_vary(rows).all() or not total > 0:  # by the one rule of core.conditioning
        raise InvalidArgument("has no variation: every column is constant, so there are no components", "returns")
    values, vectors = leading_eigenpairs(cov, count)
    if not values[count - 1] * CONDITION_LIMIT**2 > values[0]:  # the conditioning rule: nothing left but rounding
        rank = int(np.sum(values * CONDITION_LIMIT**2 > values[0]))
        raise InvalidArgument(f"k must be at most {rank}: component {rank + 1} and later carry no variance (some "
                              f"asset columns are combinations of others), got {count}", "k")
    loadings = vectors * _signs(vectors)
    factors = np.full((table.shape[0], count), np.nan)
    factors[complete] = rows @ loadings
    return PrincipalComponents(
        loadings=loadings, eigenvalues=values, explained=values[:count] / total, factors=factors,
        names=tuple(f"PC{j + 1}" for j in range(count)), asset_names=names,
    )


#: Below this many assets (or when k is close to N) the leading eigenpairs come from LAPACK directly.
DENSE_BELOW = 64
#: Largest accepted bound on the angle between a Lanczos eigenvector and the exact one.
VECTOR_TOLERANCE = 1e-11


def leading_eigenpairs(cov: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``count`` largest eigenvalues (largest first) and their unit eigenvectors (N, count) of a symmetric matrix.

    Only those are computed. Large matrices go to Lanczos
    (``scipy.sparse.linalg.eigsh``, ``tol=0``: to machine precision) for
    ``count + 1`` pairs, and each vector is accepted only when the residual
    bound ``|S v - l v| / gap`` (the gap to the nearest other eigenvalue
    computed) puts it within ``VECTOR_TOLERANCE`` of the exact eigenvector;
    otherwise (close eigenvalues, no convergence), and for small matrices, the
    pairs come from LAPACK's ``syevr`` for the wanted index range only
    (``scipy.linalg.eigh(subset_by_index=...)``), which is exact.
    """
    n = cov.shape[0]
    if n >= DENSE_BELOW and count + 1 < n // 2:
        lanczos = _lanczos(cov, count)
        if lanczos is not None:
            return lanczos
    try:
        from scipy.linalg import eigh
    except ImportError:  # a Python without scipy: all of them from numpy
        values, vectors = np.linalg.eigh(cov)
    else:
        values, vectors = eigh(cov, subset_by_index=[n - count, n - 1], driver="evr")
    return values[::-1][:count], vectors[:, ::-1][:, :count]


def _lanczos(cov: np.ndarray, count: int):
    try:
        from scipy.sparse.linalg import ArpackNoConvergence, eigsh
    except ImportError:
        return None
    n = cov.shape[0]
    start = np.random.default_rng(0).standard_normal(n)  # fixed: the same answer every call; random: no component missed
    try:
        values, vectors = eigsh(cov, k=count + 1, which="LA", tol=0, v0=start)
    except (ArpackNoConvergence, ValueError):
        return None
    order = np.argsort(values)[::-1]
    values, vectors = values[order], vectors[:, order]
    residual = np.linalg.norm(cov @ vectors - vectors * values, axis=0)
    gaps = np.abs(values[:, None] - values[None, :]) + np.diag(np.full(count + 1, np.inf))
    bound = residual[:count] / gaps[:count].min(axis=1)
    size = max(abs(values[0]), np.finfo(float).tiny)
    if not np.all(bound <= VECTOR_TOLERANCE) or not np.all(residual[:count] <= 1e-12 * size):
        return None
    return values[:count], vectors[:, :count]


def _signs(vectors: np.ndarray) -> np.ndarray:
    """+1 or -1 per column: positive sum of entries, else positive largest entry."""
    sums = vectors.sum(axis=0)
    largest = vectors[np.argmax(np.abs(vectors), axis=0), np.arange(vectors.shape[1])]
    sign = np.where(np.abs(sums) > SIGN_TOLERANCE, np.sign(sums), np.sign(largest))
    return np.where(sign == 0, 1.0, sign)


def _shown(value) -> str:
    try:
        return f"{float(value):.15g}"
    except (TypeError, ValueError):
        return repr(value)


def _whole(value, argument: str, low: int, high: int, message: str) -> int:
    number = float(value)
    if not np.isfinite(number) or not number.is_integer() or number < low or number > high:
        raise InvalidArgument(message, argument)
    return int(number)
