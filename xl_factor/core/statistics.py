"""Full regression statistics for one asset, as statsmodels' OLS summary gives them.

The point estimates, covariance estimators (nonrobust, HC0-HC3, HAC with a
Bartlett kernel) and distributions are statsmodels' own, so every number is
identical to ``sm.OLS(y, X).fit(cov_type=...)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import FactorModelError, InvalidArgument, SingularFactors
from .regression import fit_factor_model
from .validation import as_2d, column_names

COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3", "HAC")


@dataclass(frozen=True)
class RegressionStatistics:
    """Coefficient table and fit statistics of one asset's regression.

    ``names`` are ``alpha`` (when the model has a constant) then the factor names; ``coef``, ``std_err``,
    ``t``, ``p_value``, ``ci_low``, ``ci_high`` follow that order (95%
    interval). ``resid_var`` is the ``ddof = 1`` variance of the residuals,
    ``s2 = SSR / (T - K - 1)`` the regression's error variance.
    """

    names: tuple[str, ...]
    coef: np.ndarray
    std_err: np.ndarray
    t: np.ndarray
    p_value: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    r_squared: float
    adj_r_squared: float
    f_stat: float
    f_p_value: float
    n_obs: int
    resid_var: float
    s2: float
    durbin_watson: float
    cov_type: str
    hac_lags: int | None

    SUMMARY = ("r_squared", "adj_r_squared", "f_stat", "f_p_value", "n_obs", "resid_var", "s2", "durbin_watson")


def newey_west_lags(n_obs: int) -> int:
    """Default HAC lag ``floor(4 * (T / 100) ** (2 / 9))``."""
    return int(math.floor(4 * (n_obs / 100) ** (2 / 9)))


def normalise_cov_type(cov_type: str) -> str:
    """The canonical spelling of a covariance type (case-insensitive input)."""
    key = str(cov_type).strip()
    for name in COV_TYPES:
        if key.lower() == name.lower():
            return name
    raise InvalidArgument(f"cov_type must be one of {', '.join(COV_TYPES)}, got {cov_type!r}", "cov_type")


def regression_statistics(
    asset,
    factors,
    cov_type: str = "nonrobust",
    hac_lags: int | None = None,
    asset_name: str | None = None,
    factor_names=None,
    add_constant: bool = True,
) -> RegressionStatistics:
    """OLS of one asset column on K factors (with a constant unless ``add_constant`` is false), and its statistics.

    Rows where the asset or a factor is missing are dropped. ``cov_type`` is
    one of ``nonrobust HC0 HC1 HC2 HC3 HAC``; HAC uses the Bartlett kernel
    with ``hac_lags`` lags (default ``floor(4 (T/100)^(2/9))``). Without a
    constant (a regression through the origin) there is no ``alpha`` row and
    the statistics are statsmodels' for a model without one: R2 is the
    uncentred ``1 - SSR / sum(y^2)``, ``s2 = SSR / (T - K)`` and F tests
    that every beta is 0.
    """
    cov = normalise_cov_type(cov_type)
    y = as_2d(asset, "asset")
    if y.shape[1] != 1:
        raise InvalidArgument(f"FM_REGRESS takes one asset column, got {y.shape[1]}", "asset")
    fit = fit_factor_model(y, factors, add_constant, [asset_name or "asset1"], factor_names)
    fit.require(0)
    if fit.idio_var[0] == 0:
        raise SingularFactors(
            f"'{fit.asset_names[0]}' is an exact combination of the factors (R2 = 1): its standard errors, t and F "
            "would be rounding error; nothing is left to test", "asset")
    if hac_lags is not None and cov != "HAC":
        raise InvalidArgument(f"is only used with cov_type HAC, not {cov}; give cov_type HAC or leave hac_lags empty",
                              "hac_lags")
    rows = fit.used[:, 0]
    design = fit.factors[rows]
    if add_constant:
        design = np.column_stack([np.ones(int(rows.sum())), design])
    lags = None
    kwargs = {}
    if cov == "HAC":
        lags = newey_west_lags(int(rows.sum())) if hac_lags is None else _check_lags(hac_lags, int(rows.sum()))
        kwargs = {"cov_kwds": {"maxlags": lags}}
    OLS, durbin_watson = _statsmodels()  # after the checks: a bad argument is named first
    result = OLS(y[rows, 0], design).fit(cov_type=cov, **kwargs)
    ci = result.conf_int(alpha=0.05)
    names = ("alpha",) * bool(add_constant) + column_names(factor_names, fit.n_factors, "f")
    return RegressionStatistics(
        names=names,
        coef=np.asarray(result.params),
        std_err=np.asarray(result.bse),
        t=np.asarray(result.tvalues),
        p_value=np.asarray(result.pvalues),
        ci_low=np.asarray(ci[:, 0]),
        ci_high=np.asarray(ci[:, 1]),
        r_squared=float(result.rsquared),
        adj_r_squared=float(result.rsquared_adj),
        f_stat=float(np.squeeze(result.fvalue)),
        f_p_value=float(np.squeeze(result.f_pvalue)),
        n_obs=int(result.nobs),
        resid_var=float(np.var(result.resid, ddof=1)),
        s2=float(result.scale),
        durbin_watson=float(durbin_watson(result.resid)),
        cov_type=cov,
        hac_lags=lags,
    )


def _statsmodels():
    """statsmodels' OLS and durbin_watson, or a clean error naming the missing package."""
    # Imported here: statsmodels takes a second to load, and most FM_* calls never need it.
    try:
        from statsmodels.regression.linear_model import OLS
        from statsmodels.stats.stattools import durbin_watson
    except ImportError as error:
        missing = getattr(error, "name", None) or "statsmodels"
        package = "statsmodels" if missing.split(".")[0] == "statsmodels" else f"statsmodels (its module {missing})"
        raise FactorModelError(
            f"needs the package {package}, which this Python does not have: xlwings Lite provides it (keep "
            f"statsmodels in its requirements.txt tab); elsewhere: pip install statsmodels") from error
    return OLS, durbin_watson


def _check_lags(hac_lags, n_obs: int) -> int:
    lags = float(hac_lags)
    if not lags.is_integer() or lags < 0 or lags >= n_obs:
        raise InvalidArgument(
            f"hac_lags must be a whole number from 0 to {n_obs - 1}, got {hac_lags!r}; leave it empty for the default",
            "hac_lags",
        )
    return int(lags)
