"""Multi-factor asset pricing, statistical factors and risk attribution, against linearmodels, statsmodels and numpy.

Every FM_* function is called as a spreadsheet calls it (Excel-shaped ranges
built from the real data in ../shared/data); every expected number is
computed here by another library or by a direct, loop-based computation of
the documented formula, never by xl_factor. Where the arithmetic is the same
the tolerance is RTOL = 1e-10 relative; elsewhere the tolerance is stated
with its reason.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from linearmodels.asset_pricing import LinearFactorModel, TradedFactorModel
from linearmodels.panel import FamaMacBeth
from scipy import stats
from statsmodels.multivariate.multivariate_ols import _MultivariateOLS
from statsmodels.regression.rolling import RollingOLS

from conftest import FF3, INDUSTRIES, RTOL, assert_close
from excel_shapes import excel_range, set_cell
from test_bad_input import fm_line
from xl_factor.sheet.catalogue import call

FM_HEADER = ["", "premium", "std_err", "t", "p_value", "shanken_se", "shanken_t", "shanken_p"]
PORTFOLIOS = ["S1V1", "S1V3", "S1V5", "S3V1", "S3V3", "S3V5", "S5V1", "S5V3", "S5V5"]
EPOCH = pd.Timestamp("1899-12-30")


def nw_lags(n: int) -> int:
    return math.floor(4 * (n / 100) ** (2 / 9))


def table(result) -> np.ndarray:
    assert not isinstance(result, str), result
    return np.asarray(result, dtype=object)


def floats(block) -> np.ndarray:
    return np.array([[np.nan if c is None else float(c) for c in row] for row in np.atleast_2d(block)])


def ols_fits(assets: pd.DataFrame, factors: pd.DataFrame):
    """statsmodels OLS of each asset column on the factors with a constant (rows already complete)."""
    x = sm.add_constant(factors.to_numpy(), has_constant="add")
    return [sm.OLS(assets[c].to_numpy(), x).fit() for c in assets.columns]


@pytest.fixture(scope="module")
def monthly(ff_monthly, industry_excess):
    return {"inds": industry_excess, "ff3": ff_monthly[FF3],
            "ports": ff_monthly[PORTFOLIOS].sub(ff_monthly["RF"], axis=0)}


# ---------------------------------------------------------------- FM_FAMAMACBETH

def linearmodels_fm(assets: pd.DataFrame, factors: pd.DataFrame, **fit_kwargs):
    """linearmodels' panel Fama-MacBeth on x_it = [1, beta_i], with first-pass betas from statsmodels."""
    betas = np.array([res.params[1:] for res in ols_fits(assets, factors)])
    index = pd.MultiIndex.from_product([assets.columns, assets.index], names=["entity", "time"])
    y = pd.Series(assets.to_numpy().T.ravel(), index=index, name="r")
    x = pd.DataFrame(np.repeat(np.column_stack([np.ones(len(betas)), betas]), len(assets), axis=0),
                     index=index, columns=["const"] + list(factors.columns))
    return FamaMacBeth(y, x).fit(**fit_kwargs), betas


def fm_parts(result):
    t = table(result)
    k1 = int(np.flatnonzero(t[:, 0] == None)[0]) - 1  # noqa: E711 - the blank row
    assert list(t[0]) == FM_HEADER
    coef = floats(t[1:k1 + 1, 1:])
    summary = {t[i, 0]: t[i, 1] for i in range(k1 + 2, t.shape[0])}
    return list(t[1:k1 + 1, 0]), coef, summary


@pytest.mark.parametrize("which", ["inds", "ports"])
def test_famamacbeth_equals_linearmodels(monthly, which):
    assets, factors = monthly[which], monthly["ff3"]
    names, coef, summary = fm_parts(call("FM_FAMAMACBETH", excel_range(assets), excel_range(factors)))
    ref, _ = linearmodels_fm(assets, factors)
    assert names == ["const"] + FF3
    assert_close(coef[:, 0], ref.params)
    assert_close(coef[:, 1], ref.std_errors)
    assert_close(coef[:, 2], ref.tstats)
    assert_close(coef[:, 3], ref.pvalues)  # Student t with T - 1 degrees of freedom in both
    assert_close(summary["mean_r2"], ref.avg_rsquared)
    assert summary["n_periods"] == len(assets) and summary["n_assets"] == assets.shape[1]
    assert summary["hac_lags"] is None


@pytest.mark.parametrize("name", ["KERNEL", "hac"])  # HAC: FM_REGRESS's and statsmodels' name for Newey-West
def test_famamacbeth_kernel_equals_linearmodels_newey_west(monthly, name):
    assets, factors = monthly["inds"], monthly["ff3"]
    names, coef, summary = fm_parts(call("FM_FAMAMACBETH", excel_range(assets), excel_range(factors), name))
    lags = nw_lags(len(assets))
    ref, _ = linearmodels_fm(assets, factors, cov_type="kernel", kernel="bartlett", bandwidth=lags)
    assert summary["hac_lags"] == lags == 6
    assert_close(coef[:, 0], ref.params)
    assert_close(coef[:, 1], ref.std_errors)
    assert_close(coef[:, 3], ref.pvalues)
    # statsmodels' HAC standard error of the mean of the period premia (use_correction: times T/(T-1)) agrees
    period = np.linalg.lstsq(np.column_stack([np.ones(12), linearmodels_fm(assets, factors)[1]]),
                             assets.to_numpy().T, rcond=None)[0].T
    for j in range(4):
        hac = sm.OLS(period[:, j], np.ones(len(period))).fit(
            cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True})
        assert_close(coef[j, 1], hac.bse[0], rtol=1e-9)  # premia from lstsq, not from the same solve


def test_famamacbeth_premia_equal_linearmodels_two_pass(monthly):
    """linearmodels' LinearFactorModel (risk_free=True) regresses mean returns on the betas: the same premia."""
    assets, factors = monthly["inds"], monthly["ff3"]
    _, coef, _ = fm_parts(call("FM_FAMAMACBETH", excel_range(assets), excel_range(factors)))
    lfm = LinearFactorModel(assets, factors, risk_free=True).fit()
    assert_close(coef[:, 0], lfm.risk_premia, rtol=1e-9)  # lstsq against a normal-equation solve


def test_shanken_standard_errors(monthly):
    """Shanken (1992) from statsmodels' first pass, and the same number from linearmodels' FM covariance."""
    assets, factors = monthly["inds"], monthly["ff3"]
    _, coef, _ = fm_parts(call("FM_FAMAMACBETH", excel_range(assets), excel_range(factors)))
    fits = ols_fits(assets, factors)
    n = len(assets)
    betas = np.array([r.params[1:] for r in fits])
    resid = np.column_stack([r.resid for r in fits])
    z = np.column_stack([np.ones(len(betas)), betas])
    a = np.linalg.inv(z.T @ z) @ z.T
    sigma_e = np.cov(resid, rowvar=False, ddof=1)
    sigma_f = np.cov(factors.to_numpy(), rowvar=False, ddof=1)
    lam = a @ assets.to_numpy().mean(axis=0)
    c = lam[1:] @ np.linalg.inv(sigma_f) @ lam[1:]
    bordered = np.zeros((4, 4))
    bordered[1:, 1:] = sigma_f
    direct = ((1 + c) * a @ sigma_e @ a.T + bordered) / n
    assert_close(coef[:, 4], np.sqrt(np.diag(direct)))
    assert_close(coef[:, 5], lam / np.sqrt(np.diag(direct)))
    assert_close(coef[:, 6], 2 * stats.t.sf(np.abs(lam / np.sqrt(np.diag(direct))), n - 1))
    # (1 + c)(V_FM - Sigma_f*/T) + Sigma_f*/T with linearmodels' own covariance of the premia
    ref, _ = linearmodels_fm(assets, factors)
    via_fm = (1 + c) * (ref.cov.to_numpy() - bordered / n) + bordered / n
    assert_close(coef[:, 4], np.sqrt(np.diag(via_fm)), rtol=1e-9)  # a difference of two covariances
    assert np.all(coef[:, 4] > coef[:, 1])  # the correction widens every interval here (c > 0)


def test_famamacbeth_drops_incomplete_rows_and_matches_dates(monthly):
    assets, factors = monthly["inds"].iloc[:300], monthly["ff3"]
    holed = excel_range(assets)
    holed = set_cell(holed, 11, 3, None)  # row 10, Durbl: drops the period for every asset
    holed = set_cell(holed, 51, 7, "n/a")  # row 50, Telcm
    keep = np.ones(len(assets), dtype=bool)
    keep[[10, 50]] = False
    _, coef, summary = fm_parts(call("FM_FAMAMACBETH", holed, excel_range(factors)))  # longer factor history
    ref, _ = linearmodels_fm(assets[keep], factors.loc[assets.index[keep]])
    assert summary["n_periods"] == 298
    assert_close(coef[:, 0], ref.params)
    assert_close(coef[:, 1], ref.std_errors)


# ---------------------------------------------------------------- FM_GRS

def grs_values(result) -> dict:
    t = table(result)
    assert list(t[0]) == ["", "value"]
    return {t[i, 0]: float(t[i, 1]) for i in range(1, t.shape[0])}


@pytest.mark.parametrize("which,rows", [("inds", slice(None)), ("ports", slice(0, 120)), ("inds", slice(500, 560))])
def test_grs_equals_the_multivariate_intercept_test(monthly, which, rows):
    """GRS is the exact one-restriction Wilks / Hotelling test of the intercepts in statsmodels' MANOVA."""
    assets, factors = monthly[which].iloc[rows], monthly["ff3"].iloc[rows]
    got = grs_values(call("FM_GRS", excel_range(assets), excel_range(factors)))
    n_obs, n_assets = assets.shape
    mv = _MultivariateOLS(assets.to_numpy(), sm.add_constant(factors.to_numpy())).fit()
    contrast = np.zeros((1, 4))
    contrast[0, 0] = 1.0
    wilks = mv.mv_test([("alpha", contrast)]).results["alpha"]["stat"].loc["Wilks' lambda"]
    assert list(got) == ["f_stat", "df_num", "df_den", "p_value"]
    assert (got["df_num"], got["df_den"]) == (n_assets, n_obs - n_assets - 3) == (wilks["Num DF"], wilks["Den DF"])
    assert_close(got["f_stat"], wilks["F Value"], rtol=1e-9)  # statsmodels goes through eigenvalues of E^-1 H
    assert_close(got["p_value"], stats.f.sf(wilks["F Value"], wilks["Num DF"], wilks["Den DF"]), rtol=1e-8)


def test_grs_direct_formula_with_linearmodels_alphas(monthly):
    """F = (T-N-K)/N a' Sigma_mle^-1 a / (1 + mu' Omega_mle^-1 mu), summed in a loop over periods."""
    assets, factors = monthly["inds"], monthly["ff3"]
    got = grs_values(call("FM_GRS", excel_range(assets), excel_range(factors)))
    traded = TradedFactorModel(assets, factors).fit()
    alpha = traded.alphas.to_numpy()
    n_obs, n_assets = assets.shape
    fits = ols_fits(assets, factors)
    sigma = np.zeros((n_assets, n_assets))
    omega = np.zeros((3, 3))
    mu = factors.to_numpy().mean(axis=0)
    for t in range(n_obs):
        e = np.array([r.resid[t] for r in fits])
        d = factors.to_numpy()[t] - mu
        sigma += np.outer(e, e) / n_obs
        omega += np.outer(d, d) / n_obs
    f_stat = (n_obs - n_assets - 3) / n_assets * (alpha @ np.linalg.solve(sigma, alpha)) / (
        1 + mu @ np.linalg.solve(omega, mu))
    assert_close(got["f_stat"], f_stat)
    assert_close(got["p_value"], stats.f.sf(f_stat, n_assets, n_obs - n_assets - 3))
    # linearmodels' J statistic is the heteroskedasticity-robust Wald test: a different number
    assert abs(traded.j_statistic.stat - f_stat * n_assets * n_obs / (n_obs - n_assets - 3)) > 1.0


# ---------------------------------------------------------------- FM_PCA

def reference_pca(returns: pd.DataFrame):
    """numpy's eigendecomposition of the ddof-1 covariance, largest first, signed as documented."""
    values, vectors = np.linalg.eigh(np.cov(returns.to_numpy(), rowvar=False, ddof=1))
    values, vectors = values[::-1], vectors[:, ::-1]
    for j in range(vectors.shape[1]):
        total = vectors[:, j].sum()
        if total < 0 or (abs(total) <= 1e-10 and vectors[np.argmax(np.abs(vectors[:, j])), j] < 0):
            vectors[:, j] = -vectors[:, j]
    return values, vectors


@pytest.mark.parametrize("which", ["inds", "ports"])
def test_pca_loadings_and_explained_equal_numpy(monthly, which):
    returns = monthly[which]
    values, vectors = reference_pca(returns)
    loadings = np.asarray(call("FM_PCA", excel_range(returns), 4), dtype=float)
    explained = np.asarray(call("FM_PCA", excel_range(returns), 4, "explained"), dtype=float)
    assert loadings.shape == (returns.shape[1], 4) and explained.shape == (1, 4)
    assert_close(loadings, vectors[:, :4], atol=RTOL)
    assert_close(explained[0], values[:4] / values.sum())
    assert np.all(loadings.sum(axis=0) > 0)
    # the SVD of the demeaned data is an independent route to the same components
    x = returns.to_numpy() - returns.to_numpy().mean(axis=0)
    _, singular, vt = np.linalg.svd(x, full_matrices=False)
    svd = vt[:4].T * np.sign(vt[:4].sum(axis=1))
    assert_close(loadings, svd, rtol=1e-8, atol=1e-10)  # two algorithms: eigenvector rounding
    assert_close(explained[0], singular[:4] ** 2 / (singular**2).sum(), rtol=1e-10)


def test_pca_factors_keep_dates_feed_fm_beta_and_have_the_eigenvalues_as_variances(monthly):
    returns = monthly["inds"].iloc[:240]
    values, vectors = reference_pca(returns)
    out = table(call("FM_PCA", excel_range(returns), 3, "factors"))
    assert list(out[0]) == ["Date", "PC1", "PC2", "PC3"]
    assert [float(v) for v in out[1:, 0]] == [float((d - EPOCH).days) for d in returns.index]
    factors = floats(out[1:, 1:])
    assert_close(factors, returns.to_numpy() @ vectors[:, :3], atol=RTOL * np.abs(factors).max())
    assert_close(np.var(factors, axis=0, ddof=1), values[:3])
    # Regressed on their own principal components the assets' betas are the loadings
    betas = np.asarray(call("FM_BETA", excel_range(returns), tuple(map(tuple, out))), dtype=float)
    assert_close(betas, vectors[:, :3], rtol=1e-8, atol=1e-12)


def test_pca_factor_rows_are_blank_where_an_asset_is_missing(monthly):
    returns = monthly["inds"].iloc[:120]
    holed = set_cell(excel_range(returns), 6, 2, None)  # row 5
    out = table(call("FM_PCA", holed, 2, "factors"))
    factors = floats(out[1:, 1:])
    assert np.isnan(factors[5]).all() and not np.isnan(np.delete(factors, 5, axis=0)).any()
    _, vectors = reference_pca(returns.drop(returns.index[5]))
    assert_close(np.delete(factors, 5, axis=0), returns.drop(returns.index[5]).to_numpy() @ vectors[:, :2],
                 atol=RTOL * np.nanmax(np.abs(factors)))


@pytest.mark.parametrize("trouble, line", [
    ("late listing", r"returns: 'Enrgy' has 50 rows against 120 for the longest column"),
    ("constant", r"returns: 'Enrgy' does not vary, so it has no part in any component"),
])
def test_pca_leaves_out_a_column_that_fails_alone_and_says_why_in_its_row(monthly, trouble, line):
    """As the README says of PCA and the sample covariance: a late listing (it would cut every history to its
    own) or a constant column fails alone; the other columns' components are numpy's on their own rows. It was
    one line for the whole call (late listing), or signed rounding noise as loadings (constant)."""
    returns = monthly["inds"].iloc[:120].copy()
    if trouble == "late listing":
        returns.iloc[:70, 3] = np.nan
    else:
        returns.iloc[:, 3] = 0.001
    out = np.asarray(call("FM_PCA", excel_range(returns), 2), dtype=object)
    fm_line(out[3, 0], "FM_PCA", line)
    assert out[3, 1] is None
    rest = returns.drop(columns="Enrgy")
    _, vectors = reference_pca(rest)
    assert_close(np.delete(out, 3, axis=0).astype(float), vectors[:, :2], atol=RTOL)
    for output in ("explained", "factors"):  # no row per column: the components of the rest would mislead
        fm_line(call("FM_PCA", excel_range(returns), 2, output), "FM_PCA",
                line + r".*\(factors and explained have no row per column to show it in\)")
    fm_line(call("FM_PCA", excel_range(returns), 12), "FM_PCA",
            r"k must be at most 11, the columns the components can use: 'Enrgy' fails alone")


def test_pca_refuses_components_beyond_what_the_covariance_holds(monthly):
    """k above the rank of the covariance (T - 1 for T rows, fewer when columns are combinations of others) would
    be rounding noise given as loadings, and a different vector at each call."""
    fm_line(call("FM_PCA", excel_range(monthly["inds"].iloc[:8]), 8), "FM_PCA",
            r"k must be at most 7 for 8 rows with every asset present")
    combo = monthly["inds"].iloc[:120].assign(Mix=lambda x: x["NoDur"] + x["Durbl"])
    fm_line(call("FM_PCA", excel_range(combo), 13), "FM_PCA",
            r"k must be at most 12: component 13 and later carry no variance")
    fm_line(call("FM_PCA", excel_range(monthly["inds"].iloc[:120]), 1.0000000001), "FM_PCA",
            r"k must be a whole number from 1 to 12 \(the number of asset columns\), got 1\.0000000001")


# ---------------------------------------------------------------- FM_ROLLING_BETA, FM_EWMA_BETA

def assert_betas(got, expected, rtol=RTOL):
    """Blanks exactly where expected is NaN; numbers close, with a floor of rtol x each column's largest size."""
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    assert got.shape == expected.shape
    assert np.array_equal(np.isnan(got), np.isnan(expected))
    assert_close(got, expected, rtol=rtol, atol=rtol * np.nanmax(np.abs(expected)))


@pytest.fixture(scope="module")
def daily(daily_returns):
    return daily_returns[["MSFT", "SP500", "XOM"]].loc["2005":"2014"]


def test_rolling_beta_monthly_equals_statsmodels(monthly):
    y, f = monthly["inds"][["NoDur"]], monthly["ff3"]
    got = call("FM_ROLLING_BETA", excel_range(y), excel_range(f), 60)
    exact = RollingOLS(y.to_numpy(), sm.add_constant(f.to_numpy()), 60).fit(reset=1).params[:, 1:]
    assert_betas(got, exact)
    assert np.isnan(np.asarray(got)[:59]).all() and not np.isnan(np.asarray(got)[59:]).any()
    # RollingOLS' default updates its moment matrix row by row; its own rounding drift is about 1e-11
    fast = RollingOLS(y.to_numpy(), sm.add_constant(f.to_numpy()), 60).fit().params[:, 1:]
    assert_betas(got, fast, rtol=1e-9)


def test_rolling_beta_daily_two_factors_equals_statsmodels(daily):
    y, f = daily[["MSFT"]], daily[["SP500", "XOM"]]
    got = call("FM_ROLLING_BETA", excel_range(y), excel_range(f), 252)
    exact = RollingOLS(y.to_numpy(), sm.add_constant(f.to_numpy()), 252).fit(reset=1).params[:, 1:]
    assert_betas(got, exact)


@pytest.mark.parametrize("window", [36, 5])  # with 5 = K + 2, a window with a hole has too few rows: blank
def test_rolling_beta_with_holes_equals_statsmodels_drop(monthly, window):
    y, f = monthly["inds"][["Enrgy"]].iloc[:400], monthly["ff3"].iloc[:400]
    holes = [3, 70, 71, 72, 200, 333]
    value = excel_range(y)
    for r in holes:
        value = set_cell(value, r + 1, 1, None)
    yv = y["Enrgy"].to_numpy().copy()
    yv[holes] = np.nan
    got = call("FM_ROLLING_BETA", value, excel_range(f), window)
    ref = RollingOLS(yv, sm.add_constant(f.to_numpy()), window, min_nobs=5, missing="drop").fit(reset=1).params[:, 1:]
    assert_betas(got, ref)
    if window == 5:
        assert np.isnan(np.asarray(got, dtype=float)[[3, 4, 5, 6, 7, 70, 76]]).all()


def test_rolling_beta_rows_follow_the_asset_when_matched_by_date(monthly):
    y, f = monthly["inds"][["Hlth"]].iloc[100:220], monthly["ff3"]
    got = call("FM_ROLLING_BETA", excel_range(y.iloc[::-1]), excel_range(f), 24)  # dates in reverse
    fitted = RollingOLS(y.to_numpy(), sm.add_constant(f.loc[y.index].to_numpy()), 24).fit(reset=1).params[:, 1:]
    assert_betas(np.asarray(got, dtype=float)[::-1], fitted)


def wls_betas(y: np.ndarray, f: np.ndarray, t: int, halflife: float) -> np.ndarray:
    age = t - np.arange(t + 1)
    keep = ~(np.isnan(y[: t + 1]) | np.isnan(f[: t + 1]).any(axis=1))
    res = sm.WLS(y[: t + 1][keep], sm.add_constant(f[: t + 1][keep], has_constant="add"),
                 weights=0.5 ** (age[keep] / halflife)).fit()
    return np.asarray(res.params[1:])


def test_ewma_beta_equals_weighted_least_squares_and_pandas_ewm(daily):
    y, f = daily[["MSFT"]], daily[["SP500", "XOM"]]
    halflife = 63
    got = np.asarray(call("FM_EWMA_BETA", excel_range(y), excel_range(f), halflife), dtype=float)
    assert np.isnan(got[:3]).all() and not np.isnan(got[3:]).any()  # K + 2 = 4 rows needed
    yv, fv = y["MSFT"].to_numpy(), f.to_numpy()
    for t in (3, 10, 300, 1200, len(y) - 1):
        assert_close(got[t], wls_betas(yv, fv, t, halflife), rtol=1e-10, atol=1e-12)
    # pandas' exponentially weighted covariances (adjust=True) give the same betas as Cov_f^-1 Cov_fr
    frame = pd.DataFrame({"r": yv, "a": fv[:, 0], "b": fv[:, 1]})
    cov = frame.ewm(halflife=halflife).cov().to_numpy().reshape(len(frame), 3, 3)
    ratio = np.linalg.solve(cov[10:, 1:, 1:], cov[10:, 1:, :1])[..., 0]
    assert_close(got[10:], ratio, rtol=1e-8, atol=1e-10)  # pandas' running-mean algorithm rounds differently


def test_ewma_beta_with_holes_counts_ages_in_periods(monthly):
    y, f = monthly["inds"][["Utils"]].iloc[:200], monthly["ff3"].iloc[:200]
    value = set_cell(set_cell(excel_range(y), 2, 1, None), 51, 1, "n/a")  # rows 1 and 50
    got = np.asarray(call("FM_EWMA_BETA", value, excel_range(f), 12), dtype=float)
    yv = y["Utils"].to_numpy().copy()
    yv[[1, 50]] = np.nan
    assert np.isnan(got[:5]).all() and not np.isnan(got[5:]).any()  # the 5th present row is row 5
    for t in (5, 50, 51, 199):
        assert_close(got[t], wls_betas(yv, f.to_numpy(), t, 12), rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------- FM_ADJBETA

def test_adjbeta_is_the_blume_adjustment_of_statsmodels_betas(monthly):
    assets, factors = monthly["inds"], monthly["ff3"][["MktRF"]]
    raw = np.array([[r.params[1]] for r in ols_fits(assets, factors)])
    betas = call("FM_BETA", excel_range(assets), excel_range(factors))
    assert_close(call("FM_ADJBETA", tuple(map(tuple, np.asarray(betas)))), 0.67 * raw + 0.33)
    assert call("FM_ADJBETA", 1.5) == pytest.approx(0.67 * 1.5 + 0.33, rel=1e-15)
    assert np.asarray(call("FM_ADJBETA", ((0.4, 2.0),), 0.0)).tolist() == [[1.0, 1.0]]
    assert np.asarray(call("FM_ADJBETA", ((0.4, 2.0),), 1.0)).tolist() == [[0.4, 2.0]]


# ---------------------------------------------------------------- FM_RISKCONTRIB

def riskcontrib_parts(result, k: int):
    t = table(result)
    assert list(t[0, :4]) == ["source", "var_contrib", "vol_contrib", "pct_contrib"]
    sources = {t[i, 0]: floats(t[i, 1:4])[0] for i in range(1, k + 4)}
    assert t[k + 4, 0] is None and list(t[k + 5]) == ["asset", "weight", "mcr", "vol_contrib", "pct_contrib"]
    assets = floats(t[k + 6:, 1:])
    return sources, list(t[k + 6:, 0]), assets


@pytest.mark.parametrize("weights", [np.full(12, 1 / 12), np.linspace(-0.3, 0.5, 12)])
def test_riskcontrib_euler_decomposition(monthly, weights):
    assets, factors = monthly["inds"], monthly["ff3"]
    got = call("FM_RISKCONTRIB", (tuple(weights),), excel_range(assets), excel_range(factors))
    sources, names, per_asset = riskcontrib_parts(got, 3)
    fits = ols_fits(assets, factors)
    b = np.array([r.params[1:] for r in fits])
    sigma_f = np.cov(factors.to_numpy(), rowvar=False, ddof=1)
    d = np.array([np.var(r.resid, ddof=1) for r in fits])
    omega = b @ sigma_f @ b.T + np.diag(d)
    var = weights @ omega @ weights
    vol = math.sqrt(var)
    x = b.T @ weights
    for j, name in enumerate(FF3):
        contrib = x[j] * (sigma_f @ x)[j]
        assert_close(sources[name], [contrib, contrib / vol, contrib / var])
    systematic = x @ sigma_f @ x
    specific = np.sum(weights**2 * d)
    assert_close(sources["systematic"], [systematic, systematic / vol, systematic / var])
    assert_close(sources["specific"], [specific, specific / vol, specific / var])
    assert_close(sources["total"], [var, vol, 1.0])
    mcr = omega @ weights / vol
    assert names == INDUSTRIES
    assert_close(per_asset, np.column_stack([weights, mcr, weights * mcr, weights * mcr / vol]))
    # contributions add up: to the variance, to the volatility and to 100%
    assert_close(sum(sources[n][0] for n in FF3) + sources["specific"][0], var)
    assert_close(sum(sources[n][2] for n in FF3) + sources["specific"][2], 1.0)
    assert_close(per_asset[:, 2].sum(), vol)
    assert_close(per_asset[:, 3].sum(), 1.0)
    # the marginal contribution is the derivative of the volatility (central differences, step 1e-6)
    step = 1e-6
    numeric = [(math.sqrt((weights + step * e) @ omega @ (weights + step * e))
                - math.sqrt((weights - step * e) @ omega @ (weights - step * e))) / (2 * step) for e in np.eye(12)]
    assert_close(per_asset[:, 1], numeric, rtol=1e-6)


def test_riskcontrib_accepts_a_column_of_weights_and_matches_rows_by_date(monthly):
    assets, factors = monthly["inds"].iloc[:, :4].iloc[200:320], monthly["ff3"]
    weights = np.array([0.4, 0.3, 0.2, 0.1])
    row = call("FM_RISKCONTRIB", (tuple(weights),), excel_range(assets), excel_range(factors))
    column = call("FM_RISKCONTRIB", tuple((w,) for w in weights), excel_range(assets), excel_range(factors))
    sources, _, _ = riskcontrib_parts(row, 3)
    assert np.asarray(row).tolist() == np.asarray(column).tolist()
    fits = ols_fits(assets, factors.loc[assets.index])
    b = np.array([r.params[1:] for r in fits])
    omega = b @ np.cov(factors.loc[assets.index].to_numpy(), rowvar=False) @ b.T + np.diag(
        [np.var(r.resid, ddof=1) for r in fits])
    assert_close(sources["total"][1], math.sqrt(weights @ omega @ weights))


# ---------------------------------------------------------------- FM_COVMAT shrink

def ledoit_wolf_by_loops(returns: np.ndarray):
    """The formulas of Ledoit and Wolf (2004), section 3.2, term by term, with <A, B> = tr(A B') / N."""
    n_obs, n = returns.shape
    x = returns - returns.mean(axis=0)
    s = sum(np.outer(row, row) for row in x) / n_obs

    def norm2(m):
        return np.trace(m @ m.T) / n

    m = np.trace(s) / n
    d2 = norm2(s - m * np.eye(n))
    b2 = min(d2, sum(norm2(np.outer(row, row) - s) for row in x) / n_obs**2)
    intensity = b2 / d2
    return (intensity * m * np.eye(n) + (1 - intensity) * s) * n_obs / (n_obs - 1), intensity


@pytest.mark.parametrize("rows", [slice(-60, None), slice(-250, None)])
def test_covmat_shrink_equals_ledoit_wolf_formula(daily_returns, rows):
    stocks = daily_returns.drop(columns="SP500").iloc[rows]
    got = np.asarray(call("FM_COVMAT", excel_range(stocks), excel_range(daily_returns[["SP500"]]), "shrink"))
    expected, intensity = ledoit_wolf_by_loops(stocks.to_numpy())
    assert 0 < intensity < 1
    assert_close(got, expected, rtol=1e-10, atol=1e-12 * np.abs(expected).max())
    # statsmodels keeps scikit-learn's naive Ledoit-Wolf for its tests: the same intensity (it returns
    # intensity * S, so the intensity is the ratio to the 1/T sample covariance)
    from statsmodels.robust.covariance import _naive_ledoit_wolf_shrinkage

    x = stocks.to_numpy() - stocks.to_numpy().mean(axis=0)
    naive = _naive_ledoit_wolf_shrinkage(x, 0.0).cov
    assert_close(naive[0, 0] / (x.T @ x / len(x))[0, 0], intensity, rtol=1e-10)
    annual = np.asarray(call("FM_COVMAT", excel_range(stocks), excel_range(daily_returns[["SP500"]]), "shrink", 252))
    assert_close(annual, expected * 252, rtol=1e-10, atol=1e-12 * np.abs(expected).max() * 252)


def test_covmat_shrink_uses_complete_rows(monthly):
    inds = monthly["inds"].iloc[:80]
    holed = set_cell(excel_range(inds), 10, 5, None)
    got = np.asarray(call("FM_COVMAT", holed, excel_range(monthly["ff3"]), "Shrink"))
    expected, _ = ledoit_wolf_by_loops(inds.drop(inds.index[9]).to_numpy())
    assert_close(got, expected, rtol=1e-10, atol=1e-12 * np.abs(expected).max())
