"""Hedging, sizing, P&L, Sharpe, periods, returns, alignment and covariance on the real data.

Expected values come from statsmodels, numpy or pandas on the real data, or
from the FUNCTIONS.md formula evaluated independently in the test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from conftest import FF3, INDUSTRIES, RTOL, SHARED_DATA, assert_close
from xl_factor.core import (
    InvalidArgument,
    NoOverlap,
    NonFiniteValues,
    ShapeMismatch,
    TooFewObservations,
    align_on_dates,
    annualize,
    correlation_from_covariance,
    excess_returns,
    expected_pnl,
    factor_covariance,
    factor_share,
    fit_factor_model,
    full_hedge,
    hedge_to_target,
    hedged_factor_share,
    infer_periods_per_year,
    parameter_counts,
    sample_covariance,
    sharpe_ratio,
    simple_returns,
    size_for_vol_budget,
)

STOCKS = ["MSFT", "WMT", "JPM"]


def _ols(y, x):
    """statsmodels OLS with a constant: (alpha, betas, residuals)."""
    result = sm.OLS(np.asarray(y, float), sm.add_constant(np.asarray(x, float).reshape(len(y), -1), has_constant="add")).fit()
    return result.params[0], np.asarray(result.params[1:]), np.asarray(result.resid), result


@pytest.fixture(scope="module")
def nodur_3f(ff_monthly, industry_excess):
    """NoDur excess returns on MktRF SMB HML: statsmodels betas, numpy factor covariance and idio var."""
    y = industry_excess["NoDur"].to_numpy()
    x = ff_monthly[FF3].to_numpy()
    alpha, beta, resid, result = _ols(y, x)
    return {
        "y": y, "x": x, "alpha": alpha, "beta": beta, "S": np.cov(x, rowvar=False, ddof=1),
        "idio": np.var(resid, ddof=1), "r2": result.rsquared,
    }


# ---------------------------------------------------------------------------
# hedges
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("position", [1_000_000.0, -250_000.0])
def test_full_hedge(nodur_3f, position):
    hedge = full_hedge(position, nodur_3f["beta"])
    assert_close(hedge, -nodur_3f["beta"] * position)
    # the hedged position has no factor exposure left
    assert hedged_factor_share(nodur_3f["beta"], hedge / position, nodur_3f["S"], nodur_3f["idio"]) == pytest.approx(0, abs=1e-24)
    # target_share = 0 is the full hedge
    assert_close(hedge_to_target(position, nodur_3f["beta"], nodur_3f["S"], nodur_3f["idio"], 0.0), hedge)


def test_factor_share_is_r_squared(nodur_3f, daily_returns):
    """With a constant and ddof = 1, beta' S beta / (beta' S beta + idio) is the regression R^2."""
    assert_close(factor_share(nodur_3f["beta"], nodur_3f["S"], nodur_3f["idio"]), nodur_3f["r2"])
    assert_close(hedged_factor_share(nodur_3f["beta"], np.zeros(3), nodur_3f["S"], nodur_3f["idio"]), nodur_3f["r2"])
    for name in STOCKS:
        y = daily_returns[name].to_numpy()
        x = daily_returns["SP500"].to_numpy()
        _, beta, resid, result = _ols(y, x)
        share = factor_share(beta, np.atleast_2d(np.var(x, ddof=1)), np.var(resid, ddof=1))
        assert_close(share, result.rsquared)


@pytest.mark.parametrize("position", [1_000_000.0, -40_000.0])
@pytest.mark.parametrize("target", [0.05, 0.2, 0.5])
def test_hedge_to_target_reaches_the_target(nodur_3f, position, target):
    beta, S, idio = nodur_3f["beta"], nodur_3f["S"], nodur_3f["idio"]
    assert nodur_3f["r2"] > target  # the unhedged share is above every target here
    hedge = hedge_to_target(position, beta, S, idio, target)
    exposure = beta + hedge / position
    systematic = exposure @ S @ exposure
    assert_close(systematic / (systematic + idio), target)
    # the FUNCTIONS.md formula: exposure c * beta, c = sqrt(s idio / ((1 - s) beta' S beta))
    c = np.sqrt(target * idio / ((1 - target) * (beta @ S @ beta)))
    assert_close(hedge, (c - 1) * beta * position)
    assert np.all(np.sign(hedge) == -np.sign(beta * position))  # a hedge reduces the exposure
    assert_close(hedged_factor_share(beta, hedge / position, S, idio), target)


@pytest.mark.parametrize("name", STOCKS)
def test_hedge_to_target_daily_single_factor(daily_returns, name):
    y = daily_returns[name].to_numpy()
    x = daily_returns["SP500"].to_numpy()
    _, beta, resid, result = _ols(y, x)
    S = np.atleast_2d(np.var(x, ddof=1))
    idio = np.var(resid, ddof=1)
    target = result.rsquared / 2
    hedge = hedge_to_target(1e6, beta, S, idio, target)
    exposure = beta + hedge / 1e6
    share = float(exposure @ S @ exposure / (exposure @ S @ exposure + idio))
    assert_close(share, target)


def test_hedge_to_target_zero_when_already_below(nodur_3f):
    beta, S, idio, r2 = nodur_3f["beta"], nodur_3f["S"], nodur_3f["idio"], nodur_3f["r2"]
    for target in (r2 + 0.01, 0.99):
        assert np.array_equal(hedge_to_target(1e6, beta, S, idio, target), np.zeros(3))
    # exactly at the share (up to rounding): no hedge to speak of
    at = hedge_to_target(1e6, beta, S, idio, r2)
    np.testing.assert_allclose(at, 0.0, atol=1e-6 * 1e6 * np.abs(beta).max())
    # no factor exposure at all: nothing to hedge
    assert np.array_equal(hedge_to_target(1e6, np.zeros(3), S, idio, 0.3), np.zeros(3))


# ---------------------------------------------------------------------------
# sizes
# ---------------------------------------------------------------------------


def test_size_formula_elementwise():
    budget = np.array([[10_000.0, 50_000.0], [1.0, 0.0]])
    variance = np.array([[4e-4, 1e-4], [2.5e-5, 9e-4]])
    got = size_for_vol_budget(budget, variance, 21)
    assert got.shape == (2, 2)
    for idx in np.ndindex(2, 2):
        assert_close(got[idx], budget[idx] / np.sqrt(variance[idx] * 21))
    # broadcasting a scalar budget over a vector of variances
    assert_close(size_for_vol_budget(1e4, variance[0]), 1e4 / np.sqrt(variance[0]))
    assert_close(size_for_vol_budget(1e4, 1e-4), 1e6)


@pytest.mark.parametrize("horizon", [1, 21, 252])
def test_size_gives_the_budgeted_vol_on_real_data(daily_returns, horizon):
    budget = 25_000.0
    r = daily_returns[STOCKS].to_numpy()
    x = daily_returns["SP500"].to_numpy()
    # total risk: a position of that size has the budgeted vol over the horizon
    sizes = size_for_vol_budget(budget, np.var(r, axis=0, ddof=1), horizon)
    for i in range(len(STOCKS)):
        pnl = sizes[i] * r[:, i]
        assert_close(np.std(pnl, ddof=1) * np.sqrt(horizon), budget)
    # idiosyncratic risk: the fully hedged position's P&L has the budgeted vol
    fit = fit_factor_model(r, x)
    sizes = size_for_vol_budget(budget, fit.idio_var, horizon)
    for i in range(len(STOCKS)):
        _, beta, _, _ = _ols(r[:, i], x)
        hedged_pnl = sizes[i] * (r[:, i] - beta[0] * x)
        assert_close(np.std(hedged_pnl, ddof=1) * np.sqrt(horizon), budget)


# ---------------------------------------------------------------------------
# P&L
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("horizon", [1, 21])
def test_expected_pnl_daily(daily_returns, horizon):
    r = daily_returns[STOCKS].to_numpy()
    x = daily_returns[["SP500"]].to_numpy()
    fit = fit_factor_model(r, x)
    position = 2_000_000.0
    for i in range(len(STOCKS)):
        expected, alpha_only = expected_pnl(position, fit.alpha[i], fit.betas[i], fit.factor_mean_of(i), horizon)
        # alpha + beta' mean(f) = mean(r) for OLS with a constant
        assert_close(expected, position * np.mean(r[:, i]) * horizon)
        alpha_sm, beta_sm, _, _ = _ols(r[:, i], x)
        assert_close(alpha_only, position * alpha_sm * horizon)
        assert_close(alpha_only, position * np.mean(r[:, i] - beta_sm[0] * x[:, 0]) * horizon)


def test_expected_pnl_three_factors_with_holes(ff_monthly, industry_excess):
    y = industry_excess[INDUSTRIES].to_numpy().copy()
    x = ff_monthly[FF3].to_numpy().copy()
    rng = np.random.default_rng(11)
    y[rng.random(y.shape) < 0.15] = np.nan
    x[rng.choice(len(x), 9, replace=False), 0] = np.nan
    fit = fit_factor_model(y, x)
    factor_ok = ~np.isnan(x).any(axis=1)
    for i in range(len(INDUSTRIES)):
        rows = factor_ok & ~np.isnan(y[:, i])
        expected, alpha_only = expected_pnl(-1000.0, fit.alpha[i], fit.betas[i], fit.factor_mean_of(i), 12)
        assert_close(expected, -1000.0 * np.mean(y[rows, i]) * 12)
        alpha_sm, _, _, _ = _ols(y[rows, i], x[rows])
        assert_close(alpha_only, -1000.0 * alpha_sm * 12)


# ---------------------------------------------------------------------------
# Sharpe ratio, annualisation, periods per year
# ---------------------------------------------------------------------------


def test_sharpe_matches_numpy(daily_returns, industry_excess):
    r = daily_returns[STOCKS].to_numpy()
    ratio = r.mean(axis=0) / r.std(axis=0, ddof=1)
    assert_close(sharpe_ratio(r), ratio)
    assert_close(sharpe_ratio(r, 252), ratio * np.sqrt(252))
    m = industry_excess.to_numpy()
    assert_close(sharpe_ratio(m, 12), m.mean(axis=0) / m.std(axis=0, ddof=1) * np.sqrt(12))


def test_sharpe_with_holes_matches_pandas(industry_excess):
    frame = industry_excess.copy()
    rng = np.random.default_rng(5)
    frame = frame.mask(rng.random(frame.shape) < 0.2)
    expected = (frame.mean() / frame.std(ddof=1)).to_numpy()
    assert_close(sharpe_ratio(frame.to_numpy()), expected)


@pytest.mark.parametrize("periods", [252, 52, 12, 4, 1, 365.25])
def test_annualize(industry_excess, periods):
    m = industry_excess.to_numpy()
    mean, var = m.mean(axis=0), m.var(axis=0, ddof=1)
    assert_close(annualize(mean, "mean", periods), mean * periods)
    assert_close(annualize(var, "var", periods), var * periods)
    assert_close(annualize(np.sqrt(var), "vol", periods), np.sqrt(var) * np.sqrt(periods))
    # vol of the annualised variance is the annualised vol
    assert_close(np.sqrt(annualize(var, "VAR", periods)), annualize(np.sqrt(var), " Vol ", periods))
    assert_close(annualize(0.01, "mean", periods), 0.01 * periods)


def test_infer_periods_per_year_real_data(daily_returns, ff_monthly):
    assert infer_periods_per_year(daily_returns.index) == 252
    assert infer_periods_per_year(ff_monthly.index) == 12
    prices = daily_returns["SP500"]
    assert infer_periods_per_year(prices.resample("W-FRI").last().dropna().index) == 52
    assert infer_periods_per_year(ff_monthly["MktRF"].resample("QE").sum().index) == 4
    assert infer_periods_per_year(ff_monthly["MktRF"].resample("YE").sum().index) == 1
    assert infer_periods_per_year(prices.resample("YE").last().index) == 1
    # order does not matter
    shuffled = np.random.default_rng(0).permutation(ff_monthly.index)
    assert infer_periods_per_year(shuffled) == 12
    # the percent file's YYYYMM dates, parsed
    ff3 = pd.read_csv(SHARED_DATA / "ff3_monthly_1926_2018_percent.csv")
    assert infer_periods_per_year(pd.to_datetime(ff3["Date"].astype(str), format="%Y%m")) == 12


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_infer_periods_per_year_any_datetime_resolution(ff_monthly, daily_returns, unit):
    """The answer depends on the spacing of the dates, not on how finely pandas stores them."""
    assert infer_periods_per_year(ff_monthly.index.as_unit(unit)) == 12
    assert infer_periods_per_year(daily_returns.index.as_unit(unit)) == 252
    weekly = daily_returns["SP500"].resample("W-FRI").last().index.as_unit(unit)
    assert infer_periods_per_year(weekly) == 52
    assert infer_periods_per_year(ff_monthly.index.as_unit(unit).to_numpy()) == 12
    assert infer_periods_per_year(ff_monthly.index.strftime("%Y-%m-%d").tolist()) == 12


# ---------------------------------------------------------------------------
# returns, excess returns, alignment
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prices():
    frame = pd.read_csv(SHARED_DATA / "sp500_stocks_daily_prices_1990_2022.csv", index_col=0)
    frame = frame.join(pd.read_csv(SHARED_DATA / "sp500_index_daily_1990_2022.csv", index_col=0))
    frame.index = pd.to_datetime(frame.index)
    return frame


def test_simple_returns_match_pandas(prices):
    got = simple_returns(prices.to_numpy())
    expected = prices.pct_change().iloc[1:].to_numpy()
    assert got.shape == (len(prices) - 1, prices.shape[1])
    assert_close(got, expected)
    assert_close(simple_returns(prices["MSFT"].to_numpy())[:, 0], expected[:, list(prices.columns).index("MSFT")])


def test_simple_returns_with_missing_prices(prices):
    frame = prices[["MSFT", "WMT"]].iloc[:500].copy()
    frame.iloc[[10, 11, 200], 0] = np.nan
    frame.iloc[499, 1] = np.nan
    got = simple_returns(frame.to_numpy())
    expected = (frame / frame.shift(1) - 1).iloc[1:].to_numpy()
    assert np.array_equal(np.isnan(got), np.isnan(expected))
    assert np.isnan(got[[9, 10, 11, 199, 200], 0]).all() and np.isnan(got[498, 1])
    assert np.isnan(got).sum() == 6
    assert_close(got[~np.isnan(got)], expected[~np.isnan(expected)])


def test_excess_returns(ff_monthly, industry_excess):
    got = excess_returns(ff_monthly[INDUSTRIES].to_numpy(), ff_monthly["RF"].to_numpy())
    assert_close(got, industry_excess.to_numpy())
    got = excess_returns(ff_monthly[INDUSTRIES].to_numpy(), ff_monthly[["RF"]].to_numpy())
    assert_close(got, ff_monthly[INDUSTRIES].sub(ff_monthly["RF"], axis=0).to_numpy())
    assert_close(excess_returns(ff_monthly[["NoDur"]].to_numpy(), 0.0001), ff_monthly[["NoDur"]].to_numpy() - 0.0001)


def test_align_on_dates_inner_join_of_unsorted_dates(ff_monthly):
    ff3 = pd.read_csv(SHARED_DATA / "ff3_monthly_1926_2018_percent.csv")
    ff3.index = pd.to_datetime(ff3["Date"].astype(str), format="%Y%m")
    rng = np.random.default_rng(1)
    left = ff_monthly[["MktRF"]].iloc[rng.permutation(len(ff_monthly))[:700]]
    right = ff3[["Mkt-RF"]].iloc[rng.permutation(len(ff3))]
    a = align_on_dates(left.index, right.index)
    joined = left.join(right, how="inner").sort_index()
    assert a.dates.equals(pd.DatetimeIndex(joined.index))
    assert a.dates.is_monotonic_increasing
    assert len(a.dates) == 700
    assert left.index[a.left].equals(a.dates) and right.index[a.right].equals(a.dates)
    assert np.array_equal(left.to_numpy()[a.left, 0], joined["MktRF"].to_numpy())
    assert np.array_equal(right.to_numpy()[a.right, 0], joined["Mkt-RF"].to_numpy())


def test_align_on_dates_daily_with_partial_overlap(daily_returns):
    etf = pd.read_csv(SHARED_DATA / "factor_etfs_daily_prices_2014_2022.csv", index_col=0)
    etf.index = pd.to_datetime(etf.index)
    a = align_on_dates(daily_returns.index, etf.index)
    expected = daily_returns.index.intersection(etf.index).sort_values()
    assert a.dates.equals(expected)
    assert 0 < len(a.dates) < len(daily_returns)


def test_align_on_dates_errors(ff_monthly):
    dates = ff_monthly.index
    duplicated = dates[:10].append(dates[5:6])
    with pytest.raises(InvalidArgument) as info:
        align_on_dates(duplicated, dates)
    assert info.value.argument == "asset"
    assert str(dates[5].date()) in str(info.value)
    with pytest.raises(InvalidArgument) as info:
        align_on_dates(dates, duplicated, "returns", "rf")
    assert info.value.argument == "rf"
    with pytest.raises(NoOverlap) as info:
        align_on_dates(dates[:100], dates[100:])
    assert info.value.argument == "factors"


# ---------------------------------------------------------------------------
# covariance and correlation
# ---------------------------------------------------------------------------


def test_factor_covariance_twelve_industries(ff_monthly, industry_excess):
    y = industry_excess[INDUSTRIES].to_numpy()
    x = ff_monthly[FF3].to_numpy()
    design = np.column_stack([np.ones(len(x)), x])
    coef = np.linalg.lstsq(design, y, rcond=None)[0]
    B = coef[1:].T                                     # (12, 3)
    resid = y - design @ coef
    idio = resid.var(axis=0, ddof=1)
    S = np.cov(x, rowvar=False, ddof=1)
    n = len(INDUSTRIES)
    expected = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            expected[i, j] = sum(B[i, k] * S[k, m] * B[j, m] for k in range(3) for m in range(3)) + (idio[i] if i == j else 0)
    got = factor_covariance(B, S, idio)
    assert_close(got, expected)
    assert np.array_equal(got, got.T)  # exactly: a sheet's =B2=A3 check, or a solver, may ask it of the cells
    # in sample the diagonal is each asset's sample variance
    assert_close(np.diag(got), y.var(axis=0, ddof=1))
    # the same from the package's own fit
    fit = fit_factor_model(y, x)
    from_fit = factor_covariance(fit.betas, fit.factor_cov_of(0), fit.idio_var)
    assert_close(from_fit, expected)
    # off the diagonal the factor model is not the sample covariance (it is a restriction)
    sample = np.cov(y, rowvar=False)
    assert not np.allclose(got, sample, rtol=1e-3, atol=0)
    # correlation from it
    corr = correlation_from_covariance(got)
    sd = np.sqrt(np.diag(expected))
    assert_close(corr, expected / np.outer(sd, sd))
    assert np.all(np.diag(corr) == 1.0)
    assert np.array_equal(corr, corr.T)


def test_factor_covariance_single_factor(daily_returns):
    r = daily_returns[STOCKS].to_numpy()
    x = daily_returns["SP500"].to_numpy()
    betas = np.array([[_ols(r[:, i], x)[1][0]] for i in range(3)])
    idio = np.array([np.var(_ols(r[:, i], x)[2], ddof=1) for i in range(3)])
    var_m = np.var(x, ddof=1)
    got = factor_covariance(betas, [[var_m]], idio)
    assert_close(got, var_m * betas @ betas.T + np.diag(idio))
    assert_close(np.diag(got), r.var(axis=0, ddof=1))


def test_sample_covariance_and_correlation(industry_excess):
    m = industry_excess.to_numpy()
    assert_close(sample_covariance(m), np.cov(m, rowvar=False, ddof=1))
    assert_close(sample_covariance(m), industry_excess.cov().to_numpy())
    assert_close(correlation_from_covariance(sample_covariance(m)), np.corrcoef(m, rowvar=False))
    assert_close(correlation_from_covariance(sample_covariance(m)), industry_excess.corr().to_numpy())
    single = sample_covariance(m[:, 0])
    assert single.shape == (1, 1)
    assert_close(single[0, 0], np.var(m[:, 0], ddof=1))


def test_sample_covariance_uses_rows_complete_in_every_column(industry_excess):
    frame = industry_excess.copy()
    rng = np.random.default_rng(9)
    frame = frame.mask(rng.random(frame.shape) < 0.05)
    assert_close(sample_covariance(frame.to_numpy()), frame.dropna().cov().to_numpy())
    # not the pairwise covariance pandas gives by default
    assert not np.allclose(sample_covariance(frame.to_numpy()), frame.cov().to_numpy(), rtol=1e-6, atol=0)


# ---------------------------------------------------------------------------
# parameter counts
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 12, 20, 500])
def test_parameter_counts(n):
    one = parameter_counts(n, 1)
    assert one == {"factor_model": 2 * n + 1, "unrestricted": n * (n + 1) // 2}
    assert parameter_counts(n) == one
    three = parameter_counts(n, 3)
    assert three == {"factor_model": 3 * n + n + 6, "unrestricted": n * (n + 1) // 2}
    assert parameter_counts(float(n), 3.0) == three


def test_parameter_counts_are_the_numbers_a_fit_estimates(ff_monthly, industry_excess):
    fit = fit_factor_model(industry_excess.to_numpy(), ff_monthly[FF3].to_numpy())
    S = fit.factor_cov_of(0)
    estimated = fit.betas.size + fit.idio_var.size + S[np.triu_indices_from(S)].size
    assert parameter_counts(12, 3)["factor_model"] == estimated
    sample = sample_covariance(industry_excess.to_numpy())
    assert parameter_counts(12, 3)["unrestricted"] == sample[np.triu_indices_from(sample)].size


# ---------------------------------------------------------------------------
# invalid inputs: typed errors naming the argument
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "argument"),
    [
        (lambda: parameter_counts(0), InvalidArgument, "n_assets"),
        (lambda: parameter_counts(2.5), InvalidArgument, "n_assets"),
        (lambda: parameter_counts(float("nan")), InvalidArgument, "n_assets"),
        (lambda: parameter_counts(10, 0), InvalidArgument, "n_factors"),
        (lambda: parameter_counts(10, -1), InvalidArgument, "n_factors"),
        (lambda: hedge_to_target(1.0, [1.0], [[1.0]], 1.0, 1.0), InvalidArgument, "target_share"),
        (lambda: hedge_to_target(1.0, [1.0], [[1.0]], 1.0, -0.1), InvalidArgument, "target_share"),
        (lambda: hedge_to_target(1.0, [1.0], [[1.0]], 1.0, float("nan")), InvalidArgument, "target_share"),
        (lambda: hedge_to_target(float("inf"), [1.0], [[1.0]], 1.0, 0.2), InvalidArgument, "position"),
        (lambda: full_hedge(float("nan"), [1.0]), InvalidArgument, "position"),
        (lambda: hedged_factor_share([1.0, 0.5], [-1.0], np.eye(2), 1.0), ShapeMismatch, "hedge"),
        (lambda: hedged_factor_share([1.0, 0.5], [-1.0, np.nan], np.eye(2), 1.0), InvalidArgument, "hedge"),
        (lambda: size_for_vol_budget(-1.0, 0.01), InvalidArgument, "vol_budget"),
        (lambda: size_for_vol_budget(1.0, 0.0), InvalidArgument, "variance"),
        (lambda: size_for_vol_budget(1.0, [0.01, -0.01]), InvalidArgument, "variance"),
        (lambda: size_for_vol_budget(1.0, 0.01, 0), InvalidArgument, "horizon_periods"),
        (lambda: size_for_vol_budget(1.0, 0.01, float("nan")), InvalidArgument, "horizon_periods"),
        (lambda: expected_pnl(1.0, 0.0, [1.0], [0.01], -5), InvalidArgument, "horizon_periods"),
        (lambda: expected_pnl(float("nan"), 0.0, [1.0], [0.01]), InvalidArgument, "position"),
        (lambda: sharpe_ratio([[0.01, 0.02]]), TooFewObservations, "returns"),
        (lambda: sharpe_ratio([0.01, 0.02, 0.03], 0), InvalidArgument, "periods_per_year"),
        (lambda: sharpe_ratio([0.01, np.inf, 0.03]), NonFiniteValues, "returns"),
        (lambda: annualize(0.01, "sd", 12), InvalidArgument, "kind"),
        (lambda: annualize(0.01, "mean", -12), InvalidArgument, "periods_per_year"),
        (lambda: annualize(0.01, "mean", float("inf")), InvalidArgument, "periods_per_year"),
        (lambda: infer_periods_per_year(pd.DatetimeIndex(["2020-01-31"])), TooFewObservations, "dates"),
        (lambda: infer_periods_per_year(pd.date_range("2000-01-01", periods=5, freq="2YE")), InvalidArgument, "dates"),
        (lambda: infer_periods_per_year(pd.DatetimeIndex(["2020-01-31"] * 3)), InvalidArgument, "dates"),
        (lambda: simple_returns([[100.0], [0.0], [101.0]]), InvalidArgument, "prices"),
        (lambda: simple_returns([[100.0], [-3.0]]), InvalidArgument, "prices"),
        (lambda: simple_returns([[100.0, 20.0]]), TooFewObservations, "prices"),
        (lambda: simple_returns([[100.0], [np.inf]]), NonFiniteValues, "prices"),
        (lambda: excess_returns(np.ones((5, 2)), np.ones(4)), ShapeMismatch, "rf"),
        (lambda: excess_returns(np.ones((5, 2)), np.ones((5, 2))), ShapeMismatch, "rf"),
        (lambda: excess_returns(np.ones((5, 2)), np.inf), NonFiniteValues, "rf"),
        (lambda: sample_covariance([[0.01, 0.02], [np.nan, 0.01], [0.02, np.nan]]), TooFewObservations, "returns"),
        (lambda: sample_covariance([[0.01, np.inf], [0.02, 0.01]]), NonFiniteValues, "returns"),
    ],
)
def test_invalid_inputs(call, error, argument):
    with pytest.raises(error) as info:
        call()
    assert info.value.argument == argument
    assert argument.split("_")[0] in str(info.value) or error is not InvalidArgument


def test_regression_statistics_invalid_options(ff_monthly, industry_excess):
    from xl_factor.core import regression_statistics

    y = industry_excess["NoDur"].to_numpy()
    x = ff_monthly[["MktRF"]].to_numpy()
    with pytest.raises(InvalidArgument) as info:
        regression_statistics(y, x, cov_type="HC4")
    assert info.value.argument == "cov_type"
    for lags in (-1, 2.5, len(y)):
        with pytest.raises(InvalidArgument) as info:
            regression_statistics(y, x, cov_type="HAC", hac_lags=lags)
        assert info.value.argument == "hac_lags"
    with pytest.raises(InvalidArgument) as info:
        regression_statistics(industry_excess[["NoDur", "Durbl"]].to_numpy(), x)
    assert info.value.argument == "asset"
