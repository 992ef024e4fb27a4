"""The OLS core against statsmodels on the real data, to RTOL = 1e-10 relative.

Every expected number here is computed in the test by statsmodels (or numpy)
from the real data in ../shared/data; none is pasted in.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from statsmodels.stats.stattools import durbin_watson

from conftest import FF3, INDUSTRIES, RTOL, assert_close
from xl_factor.core import (
    NonFiniteValues,
    ShapeMismatch,
    SingularFactors,
    TooFewObservations,
    fit_factor_model,
    regression_statistics,
)

STOCKS = ["MSFT", "WMT", "JPM"]


def _sm_ols(y, x, add_constant=True, **fit_kwargs):
    """statsmodels OLS of y on x (rows with any NaN dropped), with or without a constant."""
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float).reshape(len(y), -1)
    keep = ~(np.isnan(y) | np.isnan(x).any(axis=1))
    design = sm.add_constant(x[keep], has_constant="add") if add_constant else x[keep]
    return sm.OLS(y[keep], design).fit(**fit_kwargs), keep


def _assert_resid_close(actual, expected):
    """Residuals/fitted values: relative 1e-10, with an absolute floor of 1e-10 x the largest magnitude.

    Single residuals can be arbitrarily close to zero, where a relative
    comparison of two correct least-squares solutions is meaningless.
    """
    expected = np.asarray(expected, dtype=float)
    assert_close(actual, expected, atol=RTOL * np.nanmax(np.abs(expected)))


# ---------------------------------------------------------------------------
# (a) regression_statistics: NoDur - RF on MktRF, monthly, every cov_type
# ---------------------------------------------------------------------------

T_MONTHLY_LAG_CASES = [
    ("nonrobust", None),
    ("HC0", None),
    ("HC1", None),
    ("HC2", None),
    ("HC3", None),
    ("HAC", None),  # default lag floor(4 (T/100)^(2/9))
    ("HAC", 12),
    ("HAC", 0),
]


@pytest.mark.parametrize(("cov_type", "hac_lags"), T_MONTHLY_LAG_CASES)
@pytest.mark.parametrize("industry", ["NoDur", "Enrgy"])
def test_regression_statistics_match_statsmodels(ff_monthly, industry, cov_type, hac_lags):
    y = (ff_monthly[industry] - ff_monthly["RF"]).to_numpy()
    x = ff_monthly[["MktRF"]].to_numpy()
    t_rows = len(y)
    kwargs = {"cov_type": cov_type}
    expected_lags = None
    if cov_type == "HAC":
        expected_lags = math.floor(4 * (t_rows / 100) ** (2 / 9)) if hac_lags is None else hac_lags
        kwargs["cov_kwds"] = {"maxlags": expected_lags}
    ref, _ = _sm_ols(y, x, **kwargs)

    stats = regression_statistics(y, x, cov_type=cov_type, hac_lags=hac_lags, asset_name=industry, factor_names=["MktRF"])

    assert stats.names == ("alpha", "MktRF")
    assert stats.cov_type == cov_type
    assert stats.hac_lags == expected_lags
    assert_close(stats.coef, ref.params)
    assert_close(stats.std_err, ref.bse)
    assert_close(stats.t, ref.tvalues)
    assert_close(stats.p_value, ref.pvalues)
    ci = ref.conf_int(alpha=0.05)
    assert_close(stats.ci_low, ci[:, 0])
    assert_close(stats.ci_high, ci[:, 1])
    assert_close(stats.r_squared, ref.rsquared)
    assert_close(stats.adj_r_squared, ref.rsquared_adj)
    assert_close(stats.f_stat, np.squeeze(ref.fvalue))
    assert_close(stats.f_p_value, np.squeeze(ref.f_pvalue))
    assert stats.n_obs == t_rows == int(ref.nobs)
    assert_close(stats.s2, ref.scale)
    assert_close(stats.s2, ref.ssr / (t_rows - 2))
    assert_close(stats.resid_var, np.var(ref.resid, ddof=1))
    assert_close(stats.durbin_watson, durbin_watson(ref.resid))
    # the HAC default lag for the 819 monthly rows, computed by hand: floor(4 * 8.19^(2/9)) = 6
    if cov_type == "HAC" and hac_lags is None:
        assert stats.hac_lags == 6


@pytest.mark.parametrize("lags", [None, 3])
def test_hac_and_hc0_standard_errors_by_hand(ff_monthly, lags):
    """Newey-West (Bartlett, no small-sample correction) and HC0 sandwiches written out in numpy."""
    y = (ff_monthly["Manuf"] - ff_monthly["RF"]).to_numpy()
    f = ff_monthly[FF3].to_numpy()
    t_rows = len(y)
    x = np.column_stack([np.ones(t_rows), f])
    bread = np.linalg.inv(x.T @ x)
    e = y - x @ (bread @ x.T @ y)
    scores = x * e[:, None]
    lag = math.floor(4 * (t_rows / 100) ** (2 / 9)) if lags is None else lags
    meat = scores.T @ scores
    for j in range(1, lag + 1):
        gamma = scores[j:].T @ scores[:-j]
        meat += (1 - j / (lag + 1)) * (gamma + gamma.T)
    hac_se = np.sqrt(np.diag(bread @ meat @ bread))
    stats = regression_statistics(y, f, cov_type="HAC", hac_lags=lags)
    assert stats.hac_lags == lag
    assert_close(stats.std_err, hac_se)
    hc0 = scores.T @ scores
    assert_close(regression_statistics(y, f, cov_type="HC0").std_err, np.sqrt(np.diag(bread @ hc0 @ bread)))
    s2 = e @ e / (t_rows - 4)
    assert_close(regression_statistics(y, f).std_err, np.sqrt(np.diag(s2 * bread)))


def test_regression_statistics_cov_types_differ(ff_monthly):
    """The cov_type reaches statsmodels: robust standard errors are not the nonrobust ones."""
    y = (ff_monthly["NoDur"] - ff_monthly["RF"]).to_numpy()
    x = ff_monthly[["MktRF"]].to_numpy()
    se = {c: regression_statistics(y, x, cov_type=c).std_err[1] for c in ("nonrobust", "HC0", "HC3", "HAC")}
    assert len({round(v, 14) for v in se.values()}) == 4
    # coefficients do not depend on the covariance estimator
    assert_close(regression_statistics(y, x, cov_type="HC3").coef, regression_statistics(y, x).coef)


def test_regression_statistics_case_insensitive_cov_type(ff_monthly):
    y = (ff_monthly["NoDur"] - ff_monthly["RF"]).to_numpy()
    x = ff_monthly[["MktRF"]].to_numpy()
    ref, _ = _sm_ols(y, x, cov_type="HC1")
    stats = regression_statistics(y, x, cov_type=" hc1 ")
    assert stats.cov_type == "HC1"
    assert_close(stats.std_err, ref.bse)


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC3", "HAC"])
def test_regression_statistics_three_factors_with_holes(ff_monthly, cov_type):
    """Three factors, holes in the asset and a factor: statsmodels on the complete rows."""
    y = (ff_monthly["Hlth"] - ff_monthly["RF"]).to_numpy().copy()
    x = ff_monthly[FF3].to_numpy().copy()
    rng = np.random.default_rng(7)
    y[rng.choice(len(y), 60, replace=False)] = np.nan
    x[rng.choice(len(y), 25, replace=False), 2] = np.nan
    keep = ~(np.isnan(y) | np.isnan(x).any(axis=1))
    t_rows = int(keep.sum())
    kwargs = {"cov_type": cov_type}
    if cov_type == "HAC":
        kwargs["cov_kwds"] = {"maxlags": math.floor(4 * (t_rows / 100) ** (2 / 9))}
    ref, _ = _sm_ols(y, x, **kwargs)
    stats = regression_statistics(y, x, cov_type=cov_type, factor_names=FF3)
    assert stats.names == ("alpha", *FF3)
    assert stats.n_obs == t_rows < len(y)
    for got, want in [
        (stats.coef, ref.params), (stats.std_err, ref.bse), (stats.t, ref.tvalues),
        (stats.p_value, ref.pvalues), (stats.r_squared, ref.rsquared),
        (stats.adj_r_squared, ref.rsquared_adj), (stats.f_stat, np.squeeze(ref.fvalue)),
        (stats.f_p_value, np.squeeze(ref.f_pvalue)), (stats.s2, ref.scale),
        (stats.resid_var, np.var(ref.resid, ddof=1)), (stats.durbin_watson, durbin_watson(ref.resid)),
    ]:
        assert_close(got, want)


# ---------------------------------------------------------------------------
# (b) daily stocks on the S&P 500 index, all three at once
# ---------------------------------------------------------------------------


def test_daily_stocks_on_index_match_statsmodels(daily_returns):
    y = daily_returns[STOCKS].to_numpy()
    x = daily_returns[["SP500"]].to_numpy()
    fit = fit_factor_model(y, x, asset_names=STOCKS, factor_names=["SP500"])
    assert fit.asset_names == tuple(STOCKS)
    assert fit.factor_names == ("SP500",)
    assert fit.betas.shape == (3, 1)
    for i, name in enumerate(STOCKS):
        ref, _ = _sm_ols(y[:, i], x)
        assert_close(fit.alpha[i], ref.params[0])
        assert_close(fit.betas[i, 0], ref.params[1])
        _assert_resid_close(fit.resid[:, i], ref.resid)
        _assert_resid_close(fit.fitted[:, i], ref.fittedvalues)
        assert_close(fit.idio_var[i], np.var(ref.resid, ddof=1))
        assert fit.n_obs[i] == len(y) == int(ref.nobs)
        # with a constant and one factor the factor share is the regression R^2
        assert_close(fit.factor_share[i], ref.rsquared)


# ---------------------------------------------------------------------------
# (c) three factors on the 12 industries at once
# ---------------------------------------------------------------------------


def test_three_factors_on_twelve_industries(ff_monthly, industry_excess):
    y = industry_excess[INDUSTRIES].to_numpy()
    x = ff_monthly[FF3].to_numpy()
    fit = fit_factor_model(y, x, asset_names=INDUSTRIES, factor_names=FF3)
    assert fit.betas.shape == (12, 3)
    assert fit.resid.shape == fit.fitted.shape == y.shape
    for i, name in enumerate(INDUSTRIES):
        ref, _ = _sm_ols(y[:, i], x)
        assert_close(fit.alpha[i], ref.params[0])
        assert_close(fit.betas[i], ref.params[1:])
        _assert_resid_close(fit.resid[:, i], ref.resid)
        _assert_resid_close(fit.fitted[:, i], ref.fittedvalues)
        assert_close(fit.idio_var[i], np.var(ref.resid, ddof=1))
        assert fit.n_obs[i] == int(ref.nobs) == len(y)
        assert_close(fit.factor_share[i], ref.rsquared)


# ---------------------------------------------------------------------------
# (d) holes punched into copies of the data
# ---------------------------------------------------------------------------


def _holed_industries(ff_monthly, industry_excess):
    """Copies of 6 industries and the 3 factors with different missing-value patterns."""
    names = ["NoDur", "Durbl", "Enrgy", "BusEq", "Utils", "Money"]
    y = industry_excess[names].to_numpy().copy()
    x = ff_monthly[FF3].to_numpy().copy()
    t_rows = len(y)
    rng = np.random.default_rng(20240601)
    y[rng.choice(t_rows, 40, replace=False), 0] = np.nan           # scattered holes
    y[rng.choice(t_rows, 150, replace=False), 1] = np.nan          # many scattered holes
    y[100:220, 2] = np.nan                                         # one long gap
    # column 3 untouched: its only holes are the factor's
    y[:, 4] = np.nan                                               # mostly missing:
    y[rng.choice(t_rows, 30, replace=False), 4] = industry_excess["Utils"].to_numpy()[:30]
    y[:, 5] = np.where(np.isnan(y[:, 0]), np.nan, y[:, 5])         # same pattern as column 0
    x[[5, 300, 301, 700], 1] = np.nan                              # NaNs in factor rows
    x[450, :] = np.nan
    return names, y, x


def test_holes_each_asset_matches_statsmodels_on_its_own_rows(ff_monthly, industry_excess):
    names, y, x = _holed_industries(ff_monthly, industry_excess)
    fit = fit_factor_model(y, x, asset_names=names, factor_names=FF3)
    factor_ok = ~np.isnan(x).any(axis=1)
    for i, name in enumerate(names):
        ref, keep = _sm_ols(y[:, i], x)
        assert np.array_equal(keep, ~np.isnan(y[:, i]) & factor_ok)
        assert np.array_equal(fit.used[:, i], keep), name
        assert fit.n_obs[i] == keep.sum() == int(ref.nobs)
        assert_close(fit.alpha[i], ref.params[0])
        assert_close(fit.betas[i], ref.params[1:])
        # residuals: NaN exactly on the dropped rows, statsmodels' residuals on the others
        assert np.array_equal(np.isnan(fit.resid[:, i]), ~keep), name
        assert np.array_equal(np.isnan(fit.fitted[:, i]), ~keep), name
        _assert_resid_close(fit.resid[keep, i], ref.resid)
        _assert_resid_close(fit.fitted[keep, i], ref.fittedvalues)
        assert_close(fit.idio_var[i], np.var(ref.resid, ddof=1))
    # the mostly missing column really did keep only its 30 rows (minus factor holes)
    assert fit.n_obs[4] <= 30
    assert fit.n_obs[3] == len(y) - 5


def test_holes_do_not_change_complete_columns(ff_monthly, industry_excess):
    """An asset with no holes of its own gives the same fit whether or not its neighbours have holes."""
    names, y, x = _holed_industries(ff_monthly, industry_excess)
    alone = fit_factor_model(y[:, [3]], x)
    together = fit_factor_model(y, x)
    assert_close(together.alpha[3], alone.alpha[0])
    assert_close(together.betas[3], alone.betas[0])


def test_regression_statistics_drops_missing_rows(ff_monthly, industry_excess):
    names, y, x = _holed_industries(ff_monthly, industry_excess)
    ref, keep = _sm_ols(y[:, 2], x)
    stats = regression_statistics(y[:, 2], x, factor_names=FF3)
    assert stats.n_obs == keep.sum()
    assert_close(stats.coef, ref.params)
    assert_close(stats.std_err, ref.bse)
    assert_close(stats.resid_var, np.var(ref.resid, ddof=1))


# ---------------------------------------------------------------------------
# (e) no constant
# ---------------------------------------------------------------------------


def test_without_constant_matches_statsmodels(ff_monthly, industry_excess, daily_returns):
    y = industry_excess[INDUSTRIES].to_numpy()
    x = ff_monthly[FF3].to_numpy()
    fit = fit_factor_model(y, x, add_constant=False)
    assert np.all(fit.alpha == 0.0)
    for i in range(len(INDUSTRIES)):
        ref, _ = _sm_ols(y[:, i], x, add_constant=False)
        assert_close(fit.betas[i], ref.params)
        _assert_resid_close(fit.resid[:, i], ref.resid)
        _assert_resid_close(fit.fitted[:, i], ref.fittedvalues)
    # the constant matters: these betas are not the ones with a constant
    with_constant = fit_factor_model(y, x)
    assert not np.allclose(fit.betas, with_constant.betas, rtol=1e-6, atol=0)

    yd = daily_returns[STOCKS].to_numpy()
    xd = daily_returns[["SP500"]].to_numpy()
    fit_d = fit_factor_model(yd, xd, add_constant=False)
    for i in range(len(STOCKS)):
        ref, _ = _sm_ols(yd[:, i], xd, add_constant=False)
        assert_close(fit_d.betas[i], ref.params)


# ---------------------------------------------------------------------------
# (f) errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 3])
def test_too_few_rows(ff_monthly, industry_excess, k):
    x = ff_monthly[FF3[:k]].to_numpy()
    y = industry_excess[["NoDur"]].to_numpy()
    # K + 1 rows: the regression has no degree of freedom left
    with pytest.raises(TooFewObservations) as info:
        fit_factor_model(y[: k + 1], x[: k + 1], asset_names=["NoDur"])
    assert info.value.argument == "asset"
    assert "NoDur" in str(info.value)
    # K + 2 rows are enough, and match statsmodels
    fit = fit_factor_model(y[: k + 2], x[: k + 2])
    ref, _ = _sm_ols(y[: k + 2, 0], x[: k + 2])
    assert_close(fit.betas[0], ref.params[1:])
    # without a constant K rows are too few, K + 1 enough
    with pytest.raises(TooFewObservations):
        fit_factor_model(y[:k], x[:k], add_constant=False)
    fit_factor_model(y[: k + 1], x[: k + 1], add_constant=False)


def test_too_few_rows_after_holes_fails_that_asset_only(ff_monthly, industry_excess):
    """A recent listing is its own failure; the other asset is fitted exactly as alone."""
    y = industry_excess[["NoDur", "Durbl"]].to_numpy().copy()
    x = ff_monthly[FF3].to_numpy()
    y[4:, 1] = np.nan  # Durbl keeps 4 = K + 1 rows
    fit = fit_factor_model(y, x, asset_names=["NoDur", "Durbl"])
    error = fit.failures[1]
    assert isinstance(error, TooFewObservations) and error.argument == "asset"
    assert "Durbl" in str(error) and "NoDur" not in str(error)
    assert list(fit.failures) == [1]
    assert np.isnan(fit.betas[1]).all() and np.isnan(fit.idio_var[1])
    alone = sm.OLS(y[:, 0], sm.add_constant(x)).fit()
    assert_close(fit.betas[0], alone.params[1:])
    assert_close(fit.idio_var[0], np.var(alone.resid, ddof=1))
    with pytest.raises(TooFewObservations):
        fit.require(1)


def test_constant_factor_is_singular(ff_monthly, industry_excess):
    y = industry_excess[["NoDur"]].to_numpy()
    x = ff_monthly[["MktRF", "RF"]].to_numpy().copy()
    x[:, 1] = 0.004
    with pytest.raises(SingularFactors) as info:
        fit_factor_model(y, x, factor_names=["MktRF", "cash"])
    assert info.value.argument == "factors"
    assert "cash" in str(info.value)
    with pytest.raises(SingularFactors) as info:
        regression_statistics(y, x, factor_names=["MktRF", "cash"])
    assert info.value.argument == "factors"


def test_factor_constant_on_the_used_rows_only(ff_monthly, industry_excess):
    """A factor that varies only on rows the asset lacks is constant over the regression."""
    y = industry_excess[["NoDur"]].to_numpy().copy()
    x = ff_monthly[["MktRF", "HML"]].to_numpy().copy()
    x[:, 1] = 0.01
    x[:10, 1] = ff_monthly["HML"].to_numpy()[:10]
    y[:10, 0] = np.nan
    with pytest.raises(SingularFactors) as info:
        fit_factor_model(y, x, factor_names=["MktRF", "HML"])
    assert info.value.argument == "factors"
    assert "HML" in str(info.value)


def test_a_factor_constant_over_one_assets_rows_fails_that_asset_and_says_to_give_it_history(ff_monthly,
                                                                                            industry_excess):
    """HML flat over the months Durbl has, varying over the others: the factors are fine, Durbl's history is what
    is short; the line once told the user to drop HML from everyone's model. NoDur keeps statsmodels' numbers."""
    y = industry_excess[["NoDur", "Durbl"]].iloc[:300].copy()
    x = ff_monthly[["MktRF", "HML"]].iloc[:300].copy()
    x.iloc[100:, 1] = 0.0
    y.iloc[:100, 1] = np.nan
    fit = fit_factor_model(y.to_numpy(), x.to_numpy(), asset_names=["NoDur", "Durbl"], factor_names=["MktRF", "HML"])
    message = str(fit.failures[1])
    assert "factor 'HML' is constant over the rows of 'Durbl'" in message
    assert "give 'Durbl' more history, or leave it out" in message and "drop it" not in message
    reference = sm.OLS(y["NoDur"], sm.add_constant(x)).fit()
    assert_close(fit.betas[0], reference.params[["MktRF", "HML"]].to_numpy())


@pytest.mark.parametrize("combination", ["sum", "scaled"])
def test_collinear_factors_are_singular(ff_monthly, industry_excess, combination):
    y = industry_excess[["NoDur", "Enrgy"]].to_numpy()
    base = ff_monthly[FF3].to_numpy()
    extra = base[:, 1] + base[:, 2] if combination == "sum" else 2.5 * base[:, 0]
    x = np.column_stack([base, extra])
    with pytest.raises(SingularFactors) as info:
        fit_factor_model(y, x)
    assert info.value.argument == "factors"
    assert "collinear" in str(info.value)


def test_mismatched_lengths(ff_monthly, industry_excess):
    y = industry_excess[["NoDur"]].to_numpy()
    x = ff_monthly[["MktRF"]].to_numpy()
    with pytest.raises(ShapeMismatch) as info:
        fit_factor_model(y[:-1], x)
    assert info.value.argument == "factors"
    assert str(len(y) - 1) in str(info.value) and str(len(y)) in str(info.value)
    with pytest.raises(ShapeMismatch):
        regression_statistics(y, x[:-3])


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_infinite_values(ff_monthly, industry_excess, sign):
    y = industry_excess[["NoDur", "Durbl"]].to_numpy().copy()
    x = ff_monthly[FF3].to_numpy().copy()
    y_bad = y.copy()
    y_bad[17, 1] = sign * np.inf
    with pytest.raises(NonFiniteValues) as info:
        fit_factor_model(y_bad, x, asset_names=["NoDur", "Durbl"], factor_names=FF3)
    assert info.value.argument == "asset"
    assert "Durbl" in str(info.value) and "18" in str(info.value)
    x_bad = x.copy()
    x_bad[3, 2] = sign * np.inf
    with pytest.raises(NonFiniteValues) as info:
        fit_factor_model(y, x_bad, asset_names=["NoDur", "Durbl"], factor_names=FF3)
    assert info.value.argument == "factors"
    assert "HML" in str(info.value)


def test_label_count_mismatch_names_the_argument(ff_monthly, industry_excess):
    y = industry_excess[["NoDur", "Durbl"]].to_numpy()
    x = ff_monthly[FF3].to_numpy()
    with pytest.raises(ShapeMismatch) as info:
        fit_factor_model(y, x, asset_names=["NoDur"])
    assert info.value.argument == "asset"
    with pytest.raises(ShapeMismatch) as info:
        fit_factor_model(y, x, factor_names=["MktRF", "SMB"])
    assert info.value.argument == "factors"
