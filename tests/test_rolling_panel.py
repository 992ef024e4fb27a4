"""FM_ROLLING_BETA and FM_EWMA_BETA on N asset columns at once, against statsmodels RollingOLS and WLS per asset.

Real data (tests/data): the 12 industry portfolios on the Fama-French
factors, monthly, and daily S&P 500 stocks on the index. Holes and staggered
starts are cut into the real returns; every expected number is statsmodels'
on that asset's own column. Tolerance RTOL = 1e-10 relative, with a floor of
RTOL x each column's largest size (as tests/test_multifactor.py's assert_betas).
Also: FM_PCA's truncated eigen solver against the full eigendecomposition.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.regression.rolling import RollingOLS

from conftest import FF3, INDUSTRIES, RTOL
from excel_shapes import excel_range
from xl_factor.core import pca as core_pca
from xl_factor.core import rolling_betas
from xl_factor.sheet.catalogue import call


def assert_betas(got, expected, rtol=RTOL):
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    assert got.shape == expected.shape
    assert np.array_equal(np.isnan(got), np.isnan(expected))
    floor = rtol * np.nanmax(np.abs(expected), axis=0, initial=0.0)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=float(np.max(floor)))


def body(result) -> np.ndarray:
    """The numbers under the header row of labels."""
    out = np.asarray(result, dtype=object)
    assert not isinstance(result, str), result
    return np.array([[np.nan if c is None else float(c) for c in row] for row in out[1:]])


def ragged(frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Real returns with 2% scattered holes and a staggered start per column (asset j listed 15 j rows late)."""
    rng = np.random.default_rng(seed)
    values = frame.to_numpy().copy()
    values[rng.random(values.shape) < 0.02] = np.nan
    for j in range(values.shape[1]):
        values[: 15 * j, j] = np.nan
    return pd.DataFrame(values, index=frame.index, columns=frame.columns)


@pytest.fixture(scope="module")
def monthly(ff_monthly, industry_excess):
    return industry_excess, ff_monthly[FF3]


def rolling_reference(y: pd.DataFrame, f: pd.DataFrame, window, min_nobs=None, expanding=False) -> np.ndarray:
    """T x N*K: statsmodels RollingOLS (missing="drop", reset every period) per asset, asset-major."""
    x = sm.add_constant(f.to_numpy())
    blocks = [RollingOLS(y[c].to_numpy(), x, window, min_nobs=min_nobs or f.shape[1] + 2, expanding=expanding,
                         missing="drop").fit(reset=1).params[:, 1:] for c in y.columns]
    return np.column_stack(blocks)


@pytest.mark.parametrize("window,min_nobs,expanding", [(60, None, False), (36, 12, True), (120, None, True), (5, None, False)])
def test_rolling_all_industries_with_holes_and_staggered_starts_equal_rolling_ols(monthly, window, min_nobs, expanding):
    inds, f = monthly
    y = ragged(inds)
    got = call("FM_ROLLING_BETA", excel_range(y), excel_range(f), window, "", min_nobs, expanding)
    header = np.asarray(got, dtype=object)[0]
    assert list(header) == [f"{a}:{b}" for a in INDUSTRIES for b in FF3]
    assert_betas(body(got), rolling_reference(y, f, window, min_nobs, expanding))


def test_rolling_daily_stocks_on_the_index_equal_rolling_ols(daily_returns):
    frame = daily_returns.loc["2005":"2014"]
    y, f = ragged(frame.drop(columns="SP500").iloc[:, :8], seed=1), frame[["SP500"]]
    got = call("FM_ROLLING_BETA", excel_range(y), excel_range(f), 252)
    assert_betas(body(got), rolling_reference(y, f, 252))


def test_one_asset_keeps_its_t_by_k_output_and_one_factor_gives_t_by_n(monthly):
    inds, f = monthly
    single = np.asarray(call("FM_ROLLING_BETA", excel_range(inds[["NoDur"]]), excel_range(f), 60), dtype=float)
    assert single.shape == (len(inds), 3)
    assert_betas(single, rolling_reference(inds[["NoDur"]], f, 60))
    smb = call("FM_ROLLING_BETA", excel_range(inds), excel_range(f), 60, "smb")  # labels match in any case
    assert list(np.asarray(smb, dtype=object)[0]) == INDUSTRIES
    assert_betas(body(smb), rolling_reference(inds, f, 60)[:, 1::3])
    # without a header row on the asset range there is no header row in the result
    plain = tuple(row[1:] for row in excel_range(inds)[1:])
    bare = np.asarray(call("FM_ROLLING_BETA", plain, tuple(row[1:] for row in excel_range(f)[1:]), 60), dtype=float)
    assert bare.shape == (len(inds), 36)
    assert_betas(bare, rolling_reference(inds, f, 60))


def test_newest_first_rows_keep_their_order(monthly):
    inds, f = monthly
    y = ragged(inds.iloc[:300, :4])
    value = excel_range(y)
    reversed_value = (value[0],) + value[1:][::-1]
    got = body(call("FM_ROLLING_BETA", reversed_value, excel_range(f), 24))
    assert_betas(got[::-1], rolling_reference(y, f.loc[y.index], 24))


def test_a_failed_asset_shows_its_own_line_and_an_empty_column_stays_blank(monthly):
    inds, f = monthly
    y = inds.iloc[:200, :4].copy()
    y["Durbl"] = np.nan  # no values: not an asset
    y.iloc[:-3, 2] = np.nan  # Manuf: 3 rows, too few for 3 factors and a constant
    y.iloc[:190, 3] = np.nan  # Enrgy: 10 rows: a full-sample fit, but no window holds min_nobs = 12 of them
    got = np.asarray(call("FM_ROLLING_BETA", excel_range(y), excel_range(f), 60, "", 12), dtype=object)
    assert all(c is None or (isinstance(c, float) and np.isnan(c)) for c in got[1:, 3:6].ravel())  # Durbl blank
    assert str(got[1, 6]).startswith("#FM! FM_ROLLING_BETA: asset: 'Manuf' has 3 rows")
    assert str(got[1, 9]).startswith("#FM! FM_ROLLING_BETA: window: leaves 'Enrgy' no period"), got[1, 9]
    assert all(c is None for c in got[2:, 6:].ravel())
    nodur = np.array([[np.nan if c is None else float(c) for c in row] for row in got[1:, :3]])
    assert_betas(nodur, rolling_reference(y[["NoDur"]], f.iloc[:200], 60, 12))


def wls(y: np.ndarray, f: np.ndarray, t: int, halflife: float) -> np.ndarray:
    age = t - np.arange(t + 1)
    keep = ~(np.isnan(y[: t + 1]) | np.isnan(f[: t + 1]).any(axis=1))
    res = sm.WLS(y[: t + 1][keep], sm.add_constant(f[: t + 1][keep], has_constant="add"),
                 weights=0.5 ** (age[keep] / halflife)).fit()
    return np.asarray(res.params[1:])


def test_ewma_all_industries_with_holes_equal_wls(monthly):
    inds, f = monthly
    y = ragged(inds)
    got = body(call("FM_EWMA_BETA", excel_range(y), excel_range(f), 24, "", 10))
    fv = f.to_numpy()
    for j, name in enumerate(INDUSTRIES):
        yv = y[name].to_numpy()
        present = np.cumsum(~np.isnan(yv))
        assert np.isnan(got[present < 10, 3 * j]).all() and not np.isnan(got[present >= 10, 3 * j]).any()
        for t in (int(np.argmax(present >= 10)), 300, 301, 500, len(y) - 1):
            np.testing.assert_allclose(got[t, 3 * j:3 * j + 3], wls(yv, fv, t, 24), rtol=RTOL, atol=1e-12)


def test_core_window_sums_do_not_drift_over_a_long_history(daily_returns):
    """33 years of daily returns, window 21: the last windows equal a fresh RollingOLS fit on those rows."""
    frame = daily_returns.dropna()
    y, f = frame[["MSFT", "XOM"]].to_numpy(), frame[["SP500"]].to_numpy()
    res = rolling_betas(y, f, 21)
    x = sm.add_constant(f[-21:])
    for j in range(2):
        np.testing.assert_allclose(res.betas[-1, j], sm.OLS(y[-21:, j], x).fit().params[1:], rtol=RTOL)


# ---------------------------------------------------------------- FM_PCA: the k components asked

def test_truncated_eigen_solver_equals_the_full_one_on_real_data(daily_returns, monkeypatch):
    returns = daily_returns.dropna().to_numpy()
    cov = np.cov(returns, rowvar=False)
    values, vectors = np.linalg.eigh(cov)
    values, vectors = values[::-1], vectors[:, ::-1]
    for k in (1, 3, 5):
        lanczos = core_pca._lanczos(cov, k)
        assert lanczos is not None
        for got_values, got_vectors in (lanczos, core_pca.leading_eigenpairs(cov, k)):
            np.testing.assert_allclose(got_values, values[:k], rtol=RTOL)
            np.testing.assert_allclose(np.abs(got_vectors), np.abs(vectors[:, :k]), rtol=0, atol=RTOL)
    monkeypatch.setattr(core_pca, "DENSE_BELOW", 2)  # the Lanczos path inside principal_components
    fast = core_pca.principal_components(returns, 3)
    monkeypatch.setattr(core_pca, "DENSE_BELOW", 10**9)
    exact = core_pca.principal_components(returns, 3)
    np.testing.assert_allclose(fast.loadings, exact.loadings, rtol=0, atol=RTOL)
    np.testing.assert_allclose(fast.explained, exact.explained, rtol=RTOL)
    signed = vectors[:, :3] * np.sign(vectors[:, :3].sum(axis=0))
    np.testing.assert_allclose(exact.loadings, signed, rtol=0, atol=RTOL)


def test_lanczos_refuses_what_it_cannot_separate():
    """Equal eigenvalues: no vector is unique, so the bound fails and the exact LAPACK route answers."""
    cov = np.diag(np.r_[np.full(3, 2.0), np.linspace(1.0, 0.5, 97)])
    assert core_pca._lanczos(cov, 2) is None
    values, _ = core_pca.leading_eigenpairs(cov, 2)
    np.testing.assert_allclose(values, [2.0, 2.0], rtol=1e-14)
