"""Time-series regression of asset returns on factor returns, for many assets at once.

For each asset ``i`` the model is ``r_it = alpha_i + beta_i' f_t + e_it``
(``alpha_i = 0`` without a constant), fitted by ordinary least squares on the
rows where the asset and every factor are present. A complete panel is one
QR solve for all N assets; a ragged one (every asset its own listing date and
blanks) is one product of the presence mask with the factor rows and a
batched solve (:mod:`xl_factor.core.masked_ols`), whatever the number of
distinct patterns of present rows; an asset whose factors are ill-conditioned
over its own rows takes the QR path with the assets that share its rows.

Risk figures use ``ddof = 1`` throughout: ``total_var`` is the sample
variance of the asset's returns, ``idio_var`` that of its residuals, and
``factor_var = beta' Sigma_f beta`` with ``Sigma_f`` the sample covariance of
the factors over the same rows, so that ``total_var = factor_var + idio_var``
holds exactly in sample when the model has a constant.

One asset's trouble never blanks the others: an asset with too few rows, one
whose returns do not vary, or one whose rows leave the factors singular is
recorded in ``FactorFit.failures`` (its numbers are NaN) and every other
asset is fitted. A column with no values at all is not an asset: its numbers
are NaN and it is no failure. Problems of the factors themselves over all
their rows (a constant or collinear factor) refuse the whole fit. The
conditioning rule is :mod:`xl_factor.core.conditioning`'s.
"""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np

from .conditioning import does_not_vary, explained_exactly, ill_conditioned
from .errors import FactorModelError, ShapeMismatch, SingularFactors, TooFewObservations
from .masked_ols import masked_fit
from .validation import as_2d, check_finite, column_extremes, column_names


class FactorFit:
    """OLS fit of N assets on K factors. Per-period units throughout.

    Attributes: ``alpha`` (N,), ``betas`` (N, K), ``n_obs`` (N,), ``used``
    (T, N) rows each regression used; lazily ``resid``, ``tracking``,
    ``hedged`` (T, N, NaN where a row was not used), ``total_var``,
    ``factor_var``, ``idio_var`` and ``factor_share`` (N,). ``failures``
    maps the position of each asset that could not be fitted to its error.
    """

    def __init__(self, returns, factors, alpha, betas, used, factor_covs, factor_means, has_constant,
                 asset_names, factor_names, failures=None):
        self.returns = returns
        self.failures: dict[int, FactorModelError] = dict(failures or {})
        self.factors = factors
        self.alpha = alpha
        self.betas = betas
        self.used = used
        self.has_constant = has_constant
        self.asset_names = asset_names
        self.factor_names = factor_names
        self._factor_covs = factor_covs
        self._factor_means = factor_means

    @property
    def n_assets(self) -> int:
        return self.betas.shape[0]

    @property
    def n_factors(self) -> int:
        return self.betas.shape[1]

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
        """(N,) residual variance, ``ddof = 1``, per period squared.

        Exactly 0 for an asset the factors explain exactly
        (:func:`~xl_factor.core.conditioning.explained_exactly`): what is
        left is rounding error, not risk.
        """
        var = _nanvar(self.resid)
        return np.where(explained_exactly(var, self.total_var), 0.0, var)

    @cached_property
    def total_var(self) -> np.ndarray:
        """(N,) variance of the asset's returns over the rows used, ``ddof = 1``."""
        returns = np.where(self.used, self.returns, np.nan)
        return _nanvar(returns)

    @cached_property
    def factor_var(self) -> np.ndarray:
        """(N,) systematic variance ``beta' Sigma_f beta`` over each asset's rows."""
        return np.einsum("nk,nkl,nl->n", self.betas, self._factor_covs, self.betas)

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
        self.require(asset)
        return self._factor_covs[asset]

    def factor_mean_of(self, asset: int) -> np.ndarray:
        """(K,) factor means over the rows asset ``asset`` used."""
        self.require(asset)
        return self._factor_means[asset]

    def require(self, asset: int) -> None:
        """Raise the failure of asset ``asset`` (for results about that one asset)."""
        if asset in self.failures:
            raise self.failures[asset]
        if not self.used[:, asset].any():
            raise TooFewObservations(f"'{self.asset_names[asset]}' has no values", None)

    def fitted_asset(self, asset: int) -> bool:
        """True when asset ``asset`` has numbers (neither a failure nor a column with no values)."""
        return asset not in self.failures and bool(self.used[:, asset].any())

    def require_all(self) -> None:
        """Raise the first failure, for results that need every asset (cross-sections, GRS)."""
        for asset in range(self.n_assets):
            self.require(asset)


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
    factor is missing. An asset that keeps ``T <= K + 1`` rows (``T <= K``
    without a constant), does not vary, or leaves the factors singular over
    its rows is recorded in ``failures``; when no asset can be fitted the
    first such error is raised. Raises ``SingularFactors`` for a constant or
    collinear factor over all the factors' rows, ``NonFiniteValues`` for
    infinities.
    Errors about the returns name them ``asset_argument`` (the caller's word).
    """
    y = as_2d(returns, asset_argument)
    f = as_2d(factors, "factors")
    names = column_names(asset_names, y.shape[1], "asset", asset_argument)
    fnames = column_names(factor_names, f.shape[1], "f", "factors")
    f_extremes = column_extremes(f)  # for the size check and the constant-factor check
    check_finite(f, "factors", fnames, f_extremes)
    if y.shape[0] != f.shape[0]:
        raise ShapeMismatch(f"{asset_argument} has {y.shape[0]} rows but factors has {f.shape[0]}", "factors")

    n_assets, k = y.shape[1], f.shape[1]
    # A complete panel (no value missing: no (T, N) mask is formed) is told by its column sums, one pass: a
    # missing value makes its sum NaN, and a value too large for a return (refused below) an infinite one.
    with np.errstate(over="ignore", invalid="ignore"):  # values too large overflow the sums: refused below
        f_sums, y_sums = f.sum(axis=0), y.sum(axis=0)
        complete = math.isfinite(f_sums.sum() + y_sums.sum())
    if complete:
        asset_ok = factor_ok = present = None
        every_value_summed = False
    else:
        asset_ok, factor_ok = ~np.isnan(y), ~np.isnan(f).any(axis=1)
        # With every factor row present, the masked fit's sums of squares bound every value of y: the check of
        # y's sizes (a pass over the whole range) is only needed when they say so.
        every_value_summed = bool(factor_ok.all())
        present = asset_ok if every_value_summed else asset_ok & factor_ok[:, None]
    extremes = column_extremes(y) if complete else None  # for the size check and the constant-series check
    if not every_value_summed:
        check_finite(y, asset_argument, names, extremes)
    # Ragged: one masked solve, before the factors are judged, so that a bad return is named first on every
    # path (as check_finite above names it); the QR path below takes what the masked solve leaves.
    masked = None if complete else masked_fit(y, f, present, add_constant)
    if every_value_summed and not masked.bounded:
        check_finite(y, asset_argument, names)  # raises, naming the cell, unless every value is in range
    # Not None: a group on every row needs no more checks.
    all_rows_cov = _check_factors(f, factor_ok, add_constant, fnames, f_extremes)
    coef = np.full((k + int(add_constant), n_assets), np.nan)
    covs, means = np.full((n_assets, k, k), np.nan), np.full((n_assets, k), np.nan)
    exact = np.arange(n_assets)
    if masked is not None:
        coef[:, masked.solved], covs[masked.solved], means[masked.solved] = (
            masked.coef[:, masked.solved], masked.factor_cov[masked.solved], masked.factor_mean[masked.solved])
        exact = np.flatnonzero(~masked.solved)
    failures = {}
    every = exact.size == n_assets  # no asset was solved by the masked fit: no column copies
    if complete:
        groups = ((None, exact),)  # every asset on every row
    else:
        groups = _row_patterns(present if every else present[:, exact], asset_ok if every else asset_ok[:, exact])
        groups = ((rows, exact[cols]) for rows, cols in groups) if exact.size else ()
    for rows, cols in groups:
        fg = f if rows is None else f[rows]
        whole = rows is None and cols.size == n_assets
        yg = y if whole else y[:, cols] if rows is None else y[np.ix_(rows, cols)]
        shares_all_rows = rows is None and all_rows_cov is not None
        problem = None if shares_all_rows else _group_problem(fg, add_constant, fnames, names, cols, asset_argument)
        if problem is not None:
            failures.update((int(c), problem) for c in cols)
            continue
        flat = does_not_vary(yg, extremes=extremes if whole else None)
        for c in cols[flat]:
            failures[int(c)] = TooFewObservations(
                f"'{names[c]}' does not vary over its {fg.shape[0]} rows (a constant return, such as a "
                "money-market fund's, has no factor exposure to estimate); leave it out", asset_argument)
        keep = cols[~flat]
        if keep.size:
            fg_sums = f_sums if rows is None else fg.sum(axis=0)
            yk = yg if keep.size == cols.size else yg[:, ~flat]
            coef[:, keep] = _solve(fg, yk, add_constant, fg_sums, y_sums if yk is y else yk.sum(axis=0))
            covs[keep] = all_rows_cov if shares_all_rows else _covariance(fg)
            means[keep] = fg_sums / fg.shape[0]  # np.mean's arithmetic without its overhead

    fitted = ~np.isnan(coef).any(axis=0)
    if not fitted.any():  # nothing could be fitted: the whole call fails, with the first asset's reason
        raise failures[min(failures)] if failures else TooFewObservations(
            "has no values; select the cells that hold the returns", asset_argument)
    alpha = coef[0] if add_constant else np.where(fitted, 0.0, np.nan)
    betas = np.ascontiguousarray(coef[int(add_constant):].T)
    # A complete panel's rows used are each fitted asset's every row: a read-only view, not a (T, N) copy.
    used = _on_every_row(fitted, y.shape[0]) if complete else present if fitted.all() else present & fitted
    return FactorFit(y, f, alpha, betas, used, covs, means, add_constant, names, fnames, failures)


def _row_patterns(present: np.ndarray, asset_ok: np.ndarray):
    """Yield ``(rows, cols)``: columns that share the same ``present`` rows (T, n), asset and factors present.

    ``rows`` is ``None`` when every row is present. Columns with no value
    at all (``asset_ok`` nowhere true) are left out.
    """
    if present.all():
        yield None, np.arange(present.shape[1])
        return
    filled = np.flatnonzero(asset_ok.any(axis=0))  # a column with no values is not an asset
    if not filled.size:
        return
    packed = np.packbits(present[:, filled], axis=0).T
    patterns, inverse = np.unique(packed, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    for k in range(len(patterns)):
        cols = filled[inverse == k]
        yield present[:, cols[0]].copy(), cols


def _check_factors(f: np.ndarray, complete_rows: np.ndarray | None, add_constant: bool, fnames,
                   extremes) -> np.ndarray | None:
    """Refuse factors that are constant or collinear over every row where all of them are present.

    ``complete_rows``: those rows (a (T,) mask; None: every row); ``extremes``: the
    :func:`column_extremes` of ``f``. Returns their (K, K) covariance
    (``ddof = 1``) when that was every row of ``f`` (no factor is missing):
    a group of assets present on every row then needs no check of its own,
    and shares it. Else ``None``.
    """
    every_row = complete_rows is None or bool(complete_rows.all())
    complete = f if every_row else f[complete_rows]
    if complete.shape[0] <= f.shape[1] + int(add_constant):
        return None  # too few rows to judge: each asset's own check names the shortfall
    cov = _covariance(complete)
    problem = _factor_problem(complete, add_constant, fnames, "over their rows", cov, extremes if every_row else None)
    if problem is not None:
        raise problem
    return cov if complete is f else None


def _covariance(fg: np.ndarray) -> np.ndarray:
    """(K, K) covariance of the columns of ``fg`` (``ddof = 1``): np.cov's arithmetic without its overhead."""
    centred = fg - fg.sum(axis=0) / fg.shape[0]
    return centred.T @ centred / (fg.shape[0] - 1)


def _factor_problem(fg: np.ndarray, add_constant: bool, fnames, where: str, cov=None,
                    extremes=None, fix: str | None = None) -> SingularFactors | None:
    """The error for factors that do not vary or are collinear over the rows ``fg``, else ``None``.

    ``cov``: their covariance, and ``extremes``: their :func:`column_extremes`, when the caller has them.
    ``fix``: what to do when the rows are some assets' own (the factors are fine elsewhere); by default the
    factors themselves are at fault.
    """
    if add_constant:
        flat = does_not_vary(fg, extremes=extremes)
        if flat.any():
            return SingularFactors(
                f"factor '{fnames[int(np.argmax(flat))]}' is constant {where}; "
                f"{fix or 'drop it (the constant is already in the model)'}", "factors")
        moments = cov if cov is not None else _covariance(fg)
    else:
        moments = fg.T @ fg / fg.shape[0]
    if ill_conditioned(moments):
        return SingularFactors(
            f"the factors are collinear {where} (one is a combination of the others, or nearly so); "
            f"{fix or 'drop the redundant factor'}", "factors")
    return None


def _group_problem(fg, add_constant, fnames, names, cols, argument) -> FactorModelError | None:
    """Why the assets ``cols`` sharing the rows ``fg`` cannot be fitted, or ``None``."""
    n_params = fg.shape[1] + int(add_constant)
    assets = ", ".join(f"'{names[c]}'" for c in cols[:3]) + (" ..." if len(cols) > 3 else "")
    if fg.shape[0] <= n_params:
        k = fg.shape[1]
        return TooFewObservations(
            f"{assets} has {fg.shape[0]} rows with the asset and every factor present; "
            f"a regression on {k} factor{'s' if k > 1 else ''} needs at least {n_params + 1}", argument)
    them = "it" if len(cols) == 1 else "them"
    return _factor_problem(fg, add_constant, fnames, f"over the rows of {assets}",
                           fix=f"the factors are fine over their other rows: give {assets} more history, or leave "
                               f"{them} out")


def _on_every_row(columns: np.ndarray, n_rows: int) -> np.ndarray:
    """A read-only (n_rows, N) view of the (N,) ``columns`` on every row (``np.broadcast_to``'s view, made
    without its argument handling, which costs more than the rest of a small fit's bookkeeping)."""
    view = np.ndarray((n_rows,) + columns.shape, columns.dtype, columns, strides=(0,) + columns.strides)
    view.flags.writeable = False
    return view


def _solve(factors: np.ndarray, y: np.ndarray, add_constant: bool, f_sums: np.ndarray,
           y_sums: np.ndarray) -> np.ndarray:
    """Least-squares coefficients (constant first) of ``y`` on the factors, by QR of the scaled design.

    The factors are centred (with a constant) and scaled to unit length, so
    the design's conditioning is that of the factors' correlations; the
    coefficients are then mapped back to the original units. With a
    constant, the centred factors are orthogonal to it, so only they are
    factorised, ``X_c / |X_c| = Q R``, and (Frisch-Waugh)
    ``b = R^-1 Q' (y - ybar) / |X_c|`` with ``Q' (y - ybar) = Q'y - (Q'1) ybar'``
    (no centred copy of ``y``), ``a = ybar - fbar' b``. ``f_sums``, ``y_sums``: the column sums of the
    factors and of ``y``, which the caller has.
    """
    n = factors.shape[0]
    mean = f_sums / n if add_constant else None
    x = factors - mean if add_constant else factors
    norms = np.sqrt((x * x).sum(axis=0))
    scaled = x / norms
    q, r = (scaled, None) if scaled.shape[1] == 1 else np.linalg.qr(scaled)  # one unit column: Q itself, R = 1
    qty = q.T @ y
    if add_constant:
        y_mean = y_sums / n
        qty -= q.sum(axis=0)[:, None] * y_mean
    betas = (qty if r is None else np.linalg.solve(r, qty)) / norms[:, None]
    if not add_constant:
        return betas
    coef = np.empty((betas.shape[0] + 1, betas.shape[1]))
    coef[0], coef[1:] = y_mean - mean @ betas, betas
    return coef


def _nanvar(table: np.ndarray) -> np.ndarray:
    """Column variances with ``ddof = 1`` over the non-NaN entries."""
    present = ~np.isnan(table)
    count = present.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(table, axis=0) / count
        dev = np.where(present, table - mean, 0.0)
        return np.where(count > 1, (dev * dev).sum(axis=0) / (count - 1), np.nan)
