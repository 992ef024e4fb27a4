"""Cross-sectional asset pricing: Fama-MacBeth premia (with Shanken's correction) and the GRS test.

Both take test-asset returns (T, N) and factor returns (T, K) in decimals,
per period, and use the rows where every asset and every factor is present
(a balanced panel); ``T`` below is the number of those rows.

The first pass is the time-series regression of every asset on the factors
with a constant, fitted once for all assets by :func:`fit_factor_model`:
``r_it = a_i + b_i' f_t + e_it``. Variances and covariances use ``ddof = 1``
unless a formula says otherwise (the GRS statistic is defined with the
maximum-likelihood estimates, which this module states where it uses them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InvalidArgument, ShapeMismatch, SingularFactors, TooFewObservations
from .conditioning import does_not_vary, explained_exactly, ill_conditioned
from .regression import fit_factor_model
from .statistics import newey_west_lags
from .validation import as_2d, check_finite, column_names

#: Covariance choices of :func:`fama_macbeth` (the names linearmodels' FamaMacBeth uses).
FM_COV_TYPES = ("unadjusted", "kernel")


@dataclass(frozen=True)
class FamaMacBethResult:
    """Fama-MacBeth estimates, in the order of ``names`` (``const`` then the factors).

    ``premia`` are the means of the per-period premia ``period_premia`` (T, K+1);
    ``std_err``, ``t``, ``p_value`` the Fama-MacBeth inference (``cov_type``);
    ``shanken_se``, ``shanken_t``, ``shanken_p`` Shanken's errors-in-variables
    correction; ``mean_r2`` the mean of the per-period cross-sectional R-squared
    ``period_r2``; ``betas`` (N, K) the first-pass betas; ``hac_lags`` the
    Newey-West lags (``None`` for ``unadjusted``).
    """

    names: tuple[str, ...]
    premia: np.ndarray
    std_err: np.ndarray
    t: np.ndarray
    p_value: np.ndarray
    shanken_se: np.ndarray
    shanken_t: np.ndarray
    shanken_p: np.ndarray
    mean_r2: float
    n_periods: int
    n_assets: int
    cov_type: str
    hac_lags: int | None
    betas: np.ndarray
    period_premia: np.ndarray
    period_r2: np.ndarray


@dataclass(frozen=True)
class GRSResult:
    """Gibbons-Ross-Shanken test that every alpha is zero: ``f_stat`` ~ F(``df_num``, ``df_den``)."""

    f_stat: float
    df_num: int
    df_den: int
    p_value: float
    alphas: np.ndarray
    n_obs: int


def _balanced(returns, factors, asset_names, factor_names):
    """Returns and factors on the rows where every column of both is present, and their labels."""
    y = as_2d(returns, "returns")
    f = as_2d(factors, "factors")
    names = column_names(asset_names, y.shape[1], "asset", "returns")
    fnames = column_names(factor_names, f.shape[1], "f", "factors")
    check_finite(y, "returns", names)
    check_finite(f, "factors", fnames)
    if y.shape[0] != f.shape[0]:
        raise ShapeMismatch(f"returns has {y.shape[0]} rows but factors has {f.shape[0]}", "factors")
    complete = ~(np.isnan(y).any(axis=1) | np.isnan(f).any(axis=1))
    return y[complete], f[complete], names, fnames


def _need_rows(n_rows: int, needed: int, what: str) -> None:
    if n_rows < needed:
        raise TooFewObservations(
            f"has {n_rows} rows with every asset and factor present; {what} needs at least {needed}", "returns")


def fama_macbeth(returns, factors, cov_type: str = "unadjusted", asset_names=None,
                 factor_names=None) -> FamaMacBethResult:
    r"""Fama-MacBeth (1973) two-pass estimates of the factor risk premia.

    First pass: the full-sample OLS betas ``B`` (N, K) of each asset on the
    factors with a constant. Second pass: for every period ``t`` the
    cross-sectional OLS of the N returns on ``Z = [1, B]``,
    ``lambda_t = A r_t`` with ``A = (Z'Z)^-1 Z'``; the premia are the means
    ``lambda = mean_t lambda_t`` (``const`` is the zero-beta rate, or the
    pricing error of the average asset for excess returns).

    Fama-MacBeth covariance of ``lambda`` (``cov_type``):

    * ``unadjusted``: ``V = sum_t (lambda_t - lambda)(lambda_t - lambda)' / (T (T - 1))``,
      the ``ddof = 1`` variance of the period premia over T;
    * ``kernel``: Newey-West, ``V = [G_0 + sum_{j=1}^{L} (1 - j/(L+1)) (G_j + G_j')] / (T - 1)``
      with ``G_j = sum_{t>j} e_t e_{t-j}' / T``, ``e_t = lambda_t - lambda`` and
      ``L = floor(4 (T/100)^(2/9))`` lags.

    Both equal ``linearmodels.panel.FamaMacBeth(...).fit(cov_type, bandwidth=L)``
    (its default ``debiased=True``). ``t = lambda / se`` and p-values are
    two-sided from Student's t with ``T - 1`` degrees of freedom.

    Shanken (1992) correction for the betas being estimated, the same for
    either ``cov_type``::

        V_shanken = [ (1 + c) A Sigma_e A' + Sigma_f* ] / T,   c = lambda_f' Sigma_f^-1 lambda_f

    where ``Sigma_e`` (N, N) is the covariance of the first-pass residuals and
    ``Sigma_f`` (K, K) that of the factors, both ``ddof = 1``;
    ``Sigma_f*`` is ``Sigma_f`` bordered by a zero row and column for the
    constant; ``lambda_f`` are the factor premia. With these ``ddof``
    choices the unadjusted Fama-MacBeth covariance equals
    ``[A Sigma_e A' + Sigma_f*] / T`` exactly, so that
    ``V_shanken = (1 + c) (V - Sigma_f*/T) + Sigma_f*/T`` as well. Shanken
    p-values use t with ``T - 1`` degrees of freedom too.

    ``mean_r2`` is the mean over periods of the cross-sectional R-squared
    ``1 - SSR_t / sum_i (r_it - mean_i r_it)^2`` (periods in which every asset
    has the same return have none and are left out of the mean).

    Rows where any asset or factor is missing are dropped. Needs
    ``N >= K + 2`` assets and ``T >= K + 2`` rows.
    """
    key = str(cov_type).strip().lower()
    key = "kernel" if key == "hac" else key  # Newey-West under the name FM_REGRESS and statsmodels give it
    if key not in FM_COV_TYPES:
        raise InvalidArgument(f"cov_type must be unadjusted or kernel (Newey-West, also read as HAC), got {cov_type!r}",
                              "cov_type")
    y, f, names, fnames = _balanced(returns, factors, asset_names, factor_names)
    n_obs, n_assets = y.shape
    k = f.shape[1]
    if n_assets < k + 2:
        raise ShapeMismatch(
            f"has {n_assets} asset column{'s' if n_assets > 1 else ''}; a cross-section on {k} "
            f"factor{'s' if k > 1 else ''} and a constant needs at least {k + 2} assets", "returns")
    _need_rows(n_obs, k + 2, f"a first pass on {k} factor{'s' if k > 1 else ''}")
    first = fit_factor_model(y, f, True, names, fnames)
    first.require_all()

    design = np.column_stack([np.ones(n_assets), first.betas])
    q, r = np.linalg.qr(design)
    if does_not_vary(first.betas).any() or ill_conditioned(np.atleast_2d(np.cov(first.betas, rowvar=False))):
        raise SingularFactors(
            "the assets' betas are collinear (for example every asset has the same beta), so the cross-section "
            "cannot tell the premia apart; use test assets whose betas differ", "returns")
    a = np.linalg.solve(r, q.T)  # (K+1, N): lambda_t = A r_t
    period = y @ a.T  # (T, K+1)
    premia = period.mean(axis=0)

    resid = y - period @ design.T
    sst = ((y - y.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        period_r2 = np.where(sst > 0, 1.0 - (resid**2).sum(axis=1) / sst, np.nan)
    mean_r2 = float(np.nanmean(period_r2)) if np.isfinite(period_r2).any() else float("nan")

    dev = period - premia
    lags = None
    if key == "unadjusted":
        cov = dev.T @ dev / (n_obs * (n_obs - 1))
    else:
        lags = min(newey_west_lags(n_obs), n_obs - 1)
        long_run = dev.T @ dev / n_obs
        for j in range(1, lags + 1):
            gamma = dev[j:].T @ dev[:-j] / n_obs
            long_run += (1.0 - j / (lags + 1.0)) * (gamma + gamma.T)
        cov = long_run / (n_obs - 1)

    factor_cov = np.atleast_2d(np.cov(f, rowvar=False, ddof=1))
    resid_ts = first.resid  # every row is used: the panel is balanced
    resid_cov = resid_ts.T @ resid_ts / (n_obs - 1)
    lam_f = premia[1:]
    c = float(lam_f @ np.linalg.solve(factor_cov, lam_f))
    bordered = np.zeros((k + 1, k + 1))
    bordered[1:, 1:] = factor_cov
    shanken_cov = ((1.0 + c) * (a @ resid_cov @ a.T) + bordered) / n_obs

    se, t, p = _t_inference(premia, cov, n_obs - 1)
    sh_se, sh_t, sh_p = _t_inference(premia, shanken_cov, n_obs - 1)
    return FamaMacBethResult(
        names=("const",) + fnames, premia=premia, std_err=se, t=t, p_value=p,
        shanken_se=sh_se, shanken_t=sh_t, shanken_p=sh_p, mean_r2=mean_r2,
        n_periods=n_obs, n_assets=n_assets, cov_type=key, hac_lags=lags,
        betas=first.betas, period_premia=period, period_r2=period_r2,
    )


def _t_inference(estimate: np.ndarray, cov: np.ndarray, df: int):
    from scipy import stats  # imported here: most FM_* calls never need it

    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, estimate / se, np.nan)
    p = 2.0 * stats.t.sf(np.abs(t), df)
    return se, t, p


def grs_test(returns, factors, asset_names=None, factor_names=None) -> GRSResult:
    r"""Gibbons, Ross and Shanken (1989) F test that the N alphas are jointly zero.

    With the time-series regressions ``r_it = a_i + b_i' f_t + e_it`` on T rows::

        F = (T / N) * ((T - N - K) / (T - K - 1)) * a' Sigma^-1 a / (1 + mu' Omega^-1 mu)

    where ``a`` (N,) are the OLS alphas, ``Sigma = e'e / (T - K - 1)`` the
    unbiased residual covariance (N, N), ``mu`` the factor means and
    ``Omega = sum_t (f_t - mu)(f_t - mu)' / T`` the maximum-likelihood
    (``ddof = 0``) factor covariance. Equivalently, with the residual
    covariance also divided by T, ``F = (T - N - K) / N * a' Sigma_mle^-1 a /
    (1 + mu' Omega^-1 mu)`` (Campbell, Lo and MacKinlay, eq. 6.3.28); the
    denominator is ``T`` times the variance factor of an alpha,
    ``[(X'X)^-1]_00``. Under normal i.i.d. errors ``F ~ F(N, T - N - K)``
    exactly, and the p-value is its upper tail. It is the same statistic as
    the (one-hypothesis) Wilks / Hotelling-Lawley test of the intercept row
    in the multivariate regression of all assets on ``[1, f]``.

    Rows where any asset or factor is missing are dropped. Needs
    ``N < T - K`` (``df_den = T - N - K >= 1``).
    """
    from scipy import stats

    y, f, names, fnames = _balanced(returns, factors, asset_names, factor_names)
    n_obs, n_assets = y.shape
    k = f.shape[1]
    if n_assets >= n_obs - k:
        raise ShapeMismatch(
            f"has {n_assets} asset columns and {n_obs} rows with every asset and factor present; the GRS test "
            f"needs fewer assets than rows less factors (N < T - K = {n_obs - k}): use fewer assets or more rows",
            "returns")
    fit = fit_factor_model(y, f, True, names, fnames)
    fit.require_all()
    resid = fit.resid
    sigma = resid.T @ resid / (n_obs - k - 1)
    _check_residual_rank(sigma, y, names)
    mu = f.mean(axis=0)
    dev = f - mu
    omega = np.atleast_2d(dev.T @ dev / n_obs)
    alpha = fit.alpha
    quad_alpha = float(alpha @ np.linalg.solve(sigma, alpha))
    quad_mu = float(mu @ np.linalg.solve(omega, mu))
    df_den = n_obs - n_assets - k
    f_stat = (n_obs / n_assets) * (df_den / (n_obs - k - 1)) * quad_alpha / (1.0 + quad_mu)
    return GRSResult(f_stat=float(f_stat), df_num=n_assets, df_den=df_den,
                     p_value=float(stats.f.sf(f_stat, n_assets, df_den)), alphas=alpha, n_obs=n_obs)


def _check_residual_rank(sigma: np.ndarray, y: np.ndarray, names) -> None:
    """Refuse a residual covariance that is singular: an asset spanned by the factors or by other assets."""
    diag = np.diag(sigma)
    exact = explained_exactly(diag, np.var(y, axis=0, ddof=1))
    if exact.any():
        i = int(np.argmax(exact))
        raise SingularFactors(
            f"asset '{names[i]}' has no residual variance (it is a combination of the factors); drop it", "returns")
    scale = np.sqrt(diag)
    if ill_conditioned(sigma / np.outer(scale, scale)):
        raise SingularFactors(
            "the assets' residuals are collinear (an asset is a combination of other assets and the factors); "
            "drop the redundant asset", "returns")
