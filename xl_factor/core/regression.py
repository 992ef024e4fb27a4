"""Time-series regression of asset returns on factor returns, for many assets at once.

For each asset ``i`` the model is ``r_it = alpha_i + beta_i' f_t + e_it``
(``alpha_i = 0`` without a constant), fitted by ordinary least squares on the
rows where the asset and every factor are present. Assets whose present rows
coincide share one QR factorisation and one matrix product, so the common
case (no holes) is one solve for all N assets.

Risk figures use ``ddof = 1`` throughout: ``total_var`` is the sample
variance of the asset's returns, ``idio_var`` that of its residuals, and
``factor_var = beta' Sigma_f beta`` with ``Sigma_f`` the sample covariance of
the factors over the same rows, so that ``total_var = factor_var + idio_var``
holds exactly in sample when the model has a constant.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .errors import ShapeMismatch, SingularFactors, TooFewObservations
from .validation import as_2d, check_finite, column_names


@dataclass(frozen=True)
class _Group:
    """Assets (``cols``) that share the same present rows (``rows``; ``None`` is all)."""

    rows: np.ndarray | None
    cols: np.ndarray
    factor_cov: np.ndarray
    factor_mean: np.ndarray


class FactorFit:
    """OLS fit of N assets on K factors. Per-period units throughout.

    Attributes: ``alpha`` (N,), ``betas`` (N, K), ``n_obs`` (N,), ``used``
    (T, N) rows each regression used; lazily ``resid``, ``tracking``,
    ``hedged`` (T, N, NaN where a row was not used), ``total_var``,
    ``factor_var``, ``idio_var`` and ``factor_share`` (N,).
    """

    def __init__(self, returns, factors, alpha, betas, groups, has_constant, asset_names, factor_names):
        self.returns = returns
        self.factors = factors
        self.alpha = alpha
        self.betas = betas
        self.has_constant = has_constant
        self.asset_names = asset_names
        self.factor_names = factor_names
        self._groups = groups

    @property
    def n_assets(self) -> int:
        return self.betas.shape[0]

    @property
    def n_factors(self) -> int:
        return self.betas.shape[1]

    @cached_property
    def used(self) -> np.ndarray:
        """(T, N) boolean: the rows each asset's regression used."""
        used = np.ones(self.returns.shape, dtype=bool)
        for group in self._groups:
            if group.rows is not None:
                used[:, group.cols] = group.rows[:, None]
        return used

    @cached_property
    def n_obs(self) -> np.ndarray:
        """(N,) number of rows each regression used."""
        return self.used.sum(axis=0)

    @cached_property
    def tracking(self) -> np.ndarray:
        """(T, N) tracking-portfolio returns ``beta' f_t`` (no alpha), NaN on unused rows."""
        tracking = self.factors @ self.betas.T
        tracking[~self.used] = np.nan
        return tracking

    @cached_property
    def hedged(self) -> np.ndarray:
        """(T, N) hedged (portable-alpha) returns ``r_t - beta' f_t``; their mean is alpha."""
        return self.returns - self.tracking

    @cached_property
    def resid(self) -> np.ndarray:
        """(T, N) residuals ``r_t - alpha - beta' f_t``, NaN on unused rows."""
        return self.hedged - self.alpha

    @cached_property
    def fitted(self) -> np.ndarray:
        """(T, N) fitted values ``alpha + beta' f_t``, NaN on unused rows."""
        return self.tracking + self.alpha

    @cached_property
    def idio_var(self) -> np.ndarray:
        """(N,) residual variance, ``ddof = 1``, per period squared."""
        return _nanvar(self.resid)

    @cached_property
    def total_var(self) -> np.ndarray:
        """(N,) variance of the asset's returns over the rows used, ``ddof = 1``."""
        returns = np.where(self.used, self.returns, np.nan)
        return _nanvar(returns)

    @cached_property
    def factor_var(self) -> np.ndarray:
        """(N,) systematic variance ``beta' Sigma_f beta`` over each asset's rows."""
        out = np.empty(self.n_assets)
        for group in self._groups:
            b = self.betas[group.cols]
            out[group.cols] = np.einsum("nk,kl,nl->n", b, group.factor_cov, b)
        return out

    @property
    def factor_share(self) -> np.ndarray:
        """(N,) share of variance the factors explain, ``factor_var / (factor_var + idio_var)``."""
        return self.factor_var / (self.factor_var + self.idio_var)

    @cached_property
    def factor_cov(self) -> np.ndarray:
        """(K, K) factor covariance (``ddof = 1``) over every row where all factors are present.

        The ``Sigma_f`` of the factor-implied covariance ``B Sigma_f B' + D``
        and of portfolio risk: one factor history for all assets, whatever
        rows each asset's own regression used.
        """
        complete = ~np.isnan(self.factors).any(axis=1)
        return np.atleast_2d(np.cov(self.factors[complete], rowvar=False))

    def factor_cov_of(self, asset: int) -> np.ndarray:
        """(K, K) factor covariance (``ddof = 1``) over the rows asset ``asset`` used."""
        return self._group_of(asset).factor_cov

    def factor_mean_of(self, asset: int) -> np.ndarray:
        """(K,) factor means over the rows asset ``asset`` used."""
        return self._group_of(asset).factor_mean

    def _group_of(self, asset: int) -> _Group:
        for group in self._groups:
            if asset in group.cols:
                return group
        raise IndexError(asset)


def fit_factor_model(
    returns,
    factors,
    add_constant: bool = True,
    asset_names=None,
    factor_names=None,
    asset_argument: str = "asset",
) -> FactorFit:
    """Regress each column of ``returns`` (T, N) on ``factors`` (T, K) by OLS.

    NaN marks a missing value; each asset drops the rows where it or any
    factor is missing. Raises ``TooFewObservations`` when an asset keeps
    ``T <= K + 1`` rows (``T <= K`` without a constant), ``SingularFactors``
    for a constant or collinear factor, ``NonFiniteValues`` for infinities.
    Errors about the returns name them ``asset_argument`` (the caller's word).
    """
    y = as_2d(returns, asset_argument)
    f = as_2d(factors, "factors")
    names = column_names(asset_names, y.shape[1], "asset", asset_argument)
    fnames = column_names(factor_names, f.shape[1], "f", "factors")
    check_finite(y, asset_argument, names)
    check_finite(f, "factors", fnames)
    if y.shape[0] != f.shape[0]:
        raise ShapeMismatch(f"{asset_argument} has {y.shape[0]} rows but factors has {f.shape[0]}", "factors")

    n_params = f.shape[1] + int(add_constant)
    coef = np.empty((n_params, y.shape[1]))
    groups = []
    for rows, cols in _row_patterns(y, f):
        fg = f if rows is None else f[rows]
        yg = y if rows is None else y[np.ix_(rows, cols)]
        _check_enough_rows(fg.shape[0], n_params, add_constant, names, cols, asset_argument)
        design = np.column_stack([np.ones(fg.shape[0]), fg]) if add_constant else fg
        coef[:, cols] = _solve(design, yg, fg, fnames)
        groups.append(_Group(rows, cols, np.atleast_2d(np.cov(fg, rowvar=False)), fg.mean(axis=0)))

    alpha = coef[0] if add_constant else np.zeros(y.shape[1])
    betas = coef[int(add_constant):].T
    return FactorFit(y, f, alpha, np.ascontiguousarray(betas), groups, add_constant, names, fnames)


def _row_patterns(y: np.ndarray, f: np.ndarray):
    """Yield ``(rows, cols)``: columns of ``y`` that share the same present rows.

    ``rows`` is ``None`` when every row is present (the common path).
    """
    factor_ok = ~np.isnan(f).any(axis=1)
    asset_ok = ~np.isnan(y)
    if factor_ok.all() and asset_ok.all():
        yield None, np.arange(y.shape[1])
        return
    present = asset_ok & factor_ok[:, None]
    packed = np.packbits(present, axis=0).T
    patterns, inverse = np.unique(packed, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    for k in range(len(patterns)):
        cols = np.flatnonzero(inverse == k)
        yield present[:, cols[0]].copy(), cols


def _check_enough_rows(n_rows: int, n_params: int, add_constant: bool, names, cols, argument: str) -> None:
    if n_rows > n_params:
        return
    k = n_params - int(add_constant)
    assets = [names[c] for c in cols]
    which = ", ".join(f"'{a}'" for a in assets[:3]) + (" ..." if len(assets) > 3 else "")
    raise TooFewObservations(
        f"{which} has {n_rows} rows with the asset and every factor present; "
        f"a regression on {k} factor{'s' if k > 1 else ''} needs at least {n_params + 1}",
        argument,
    )


def _solve(design: np.ndarray, y: np.ndarray, factors: np.ndarray, fnames) -> np.ndarray:
    """Least-squares coefficients of ``y`` on ``design`` by QR, refusing a singular design."""
    q, r = np.linalg.qr(design)
    singular = np.linalg.svd(r, compute_uv=False)
    if singular[-1] <= singular[0] * max(design.shape) * np.finfo(float).eps:
        raise _singular_error(factors, fnames)
    return np.linalg.solve(r, q.T @ y)


def _singular_error(factors: np.ndarray, fnames) -> SingularFactors:
    spread = np.ptp(factors, axis=0)
    if np.any(spread == 0):
        name = fnames[int(np.argmax(spread == 0))]
        return SingularFactors(
            f"factor '{name}' is constant over the rows used; drop it (the constant is already in the model)",
            "factors",
        )
    return SingularFactors(
        "the factors are collinear (one is a combination of the others); drop the redundant factor",
        "factors",
    )


def _nanvar(table: np.ndarray) -> np.ndarray:
    """Column variances with ``ddof = 1`` over the non-NaN entries."""
    present = ~np.isnan(table)
    count = present.sum(axis=0)
    mean = np.nansum(table, axis=0) / count
    dev = np.where(present, table - mean, 0.0)
    return (dev * dev).sum(axis=0) / (count - 1)
