"""The ragged fit (one masked solve for assets with their own listing dates and blanks) against statsmodels,
and its accuracy on ill-conditioned designs against numpy.linalg.lstsq.

Real daily returns of the 20 S&P 500 stocks, each given its own listing date
and scattered blanks, are fitted at once and asset by asset by statsmodels
OLS on the rows it has: every alpha, beta, residual variance and R2 agree to
1e-10. On designs whose condition number runs up to 1e10 (factors of very
different scales, and correlated ones), the fit keeps at least the digits of
lstsq on the same data, less one.
"""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from xl_factor.core import fit_factor_model
from xl_factor.core.masked_ols import masked_fit

RTOL = 1e-10


@pytest.fixture(scope="module")
def ragged(daily_returns):
    days = daily_returns.iloc[-2520:]
    stocks = [c for c in days.columns if c != "SP500"]
    y = days[stocks].to_numpy().copy()
    f = np.column_stack([days["SP500"].to_numpy(), days[stocks[:2]].mean(axis=1).to_numpy()])
    rng = np.random.default_rng(5)
    for j in range(y.shape[1]):
        y[: rng.integers(0, 2000), j] = np.nan  # its own listing date
        y[rng.random(len(y)) < 0.01, j] = np.nan  # holidays and blanks
    f[rng.random(len(f)) < 0.005, 1] = np.nan  # and a few factor blanks
    return y, f, stocks


def test_every_asset_equals_statsmodels_on_its_own_rows(ragged):
    y, f, stocks = ragged
    fit = fit_factor_model(y, f, asset_names=stocks)
    assert not fit.failures
    for j in range(y.shape[1]):
        rows = ~np.isnan(y[:, j]) & ~np.isnan(f).any(axis=1)
        ols = sm.OLS(y[rows, j], sm.add_constant(f[rows])).fit()
        np.testing.assert_allclose(fit.alpha[j], ols.params[0], rtol=RTOL)
        np.testing.assert_allclose(fit.betas[j], ols.params[1:], rtol=RTOL)
        np.testing.assert_allclose(fit.idio_var[j], np.var(ols.resid, ddof=1), rtol=RTOL)
        np.testing.assert_allclose(fit.factor_share[j], ols.rsquared, rtol=RTOL)
        assert fit.n_obs[j] == rows.sum()


def test_the_masked_solve_is_the_path_taken_and_equals_qr(ragged):
    """The fast path really runs on this data, and gives the per-pattern QR answer."""
    y, f, _ = ragged
    present = ~np.isnan(y) & ~np.isnan(f).any(axis=1)[:, None]
    masked = masked_fit(y, f, present, True)
    assert masked.solved.all()
    for j in range(y.shape[1]):
        rows = present[:, j]
        coef = np.linalg.lstsq(np.column_stack([np.ones(rows.sum()), f[rows]]), y[rows, j], rcond=None)[0]
        np.testing.assert_allclose(masked.coef[:, j], coef, rtol=RTOL)


def _digits(estimate, truth) -> float:
    return float(-np.log10(np.max(np.abs(estimate - truth) / np.abs(truth)) + 1e-300))


@pytest.mark.parametrize("condition", [1e2, 1e4, 1e6, 1e8, 1e10])
@pytest.mark.parametrize("ragged_rows", [False, True])
def test_ill_conditioned_designs_keep_the_digits_of_lstsq(daily_returns, condition, ragged_rows):
    """Factors scaled apart until the design's condition number is ``condition``; a consistent system with
    known coefficients, so the digits of each method are measured against the truth."""
    days = daily_returns.iloc[-1500:]
    f = days[["SP500", "MSFT"]].to_numpy() * np.array([1.0, 1.0 / condition])
    f[:, 1] += 0.3 * f[:, 0] / condition  # and correlated
    truth = np.array([[0.0004, 1.1, 0.7 * condition], [-0.0002, 0.6, -1.5 * condition]])
    design = np.column_stack([np.ones(len(f)), f])
    y = design @ truth.T
    if ragged_rows:
        y[:300, 1] = np.nan
    fit = fit_factor_model(y, f)
    for j in range(2):
        rows = ~np.isnan(y[:, j])
        ls = np.linalg.lstsq(design[rows], y[rows, j], rcond=None)[0]
        ours = np.concatenate([[fit.alpha[j]], fit.betas[j]])
        assert np.linalg.cond(design[rows]) > condition / 10
        assert _digits(ours, truth[j]) >= min(_digits(ls, truth[j]), 15) - 1, (ours, ls, truth[j])


@pytest.mark.parametrize("add_constant", [True, False])
@pytest.mark.parametrize("block_doubles", [None, 7 * 20])
def test_complete_factors_with_blocks_of_any_size_equal_statsmodels(ragged, monkeypatch, add_constant, block_doubles):
    """Every factor row present (the path whose sums of squares stand in for the size check of the returns);
    the moment sums are accumulated over row blocks, here also blocks of 8 rows (2,520 is not a multiple
    of the block when it is 7 x 20 doubles over 20 assets: the last block is short)."""
    import xl_factor.core.masked_ols as masked_ols

    if block_doubles:
        monkeypatch.setattr(masked_ols, "BLOCK_DOUBLES", block_doubles)
    y, f, stocks = ragged
    f = np.where(np.isnan(f), np.nanmean(f, axis=0), f)  # no factor blank
    fit = fit_factor_model(y, f, add_constant, asset_names=stocks)
    assert not fit.failures
    for j in range(y.shape[1]):
        rows = ~np.isnan(y[:, j])
        design = sm.add_constant(f[rows]) if add_constant else f[rows]
        ols = sm.OLS(y[rows, j], design).fit()
        np.testing.assert_allclose(fit.betas[j], ols.params[int(add_constant):], rtol=RTOL)
        if add_constant:
            np.testing.assert_allclose(fit.alpha[j], ols.params[0], rtol=RTOL)
        np.testing.assert_allclose(fit.idio_var[j], np.var(ols.resid, ddof=1), rtol=RTOL)


@pytest.mark.parametrize("bad, words", [(np.inf, "an infinite value"), (-np.inf, "an infinite value"),
                                        (1e200, r"a value too large for a return \(1e\+200\)")])
def test_an_infinite_or_huge_return_in_a_ragged_panel_is_refused_naming_its_cell(ragged, bad, words):
    from xl_factor.core.errors import NonFiniteValues

    y, f, stocks = ragged
    f = np.where(np.isnan(f), np.nanmean(f, axis=0), f)
    y = y.copy()
    y[2400, 7] = bad
    with pytest.raises(NonFiniteValues, match=f"column '{stocks[7]}' has {words} in row 2401"):
        fit_factor_model(y, f, asset_names=stocks)


def test_returns_large_but_in_range_are_fitted_though_their_squares_overflow_the_shortcut(ragged):
    """Values up to 0.9e150 pass the size check (at most 1e150) though their sums of squares exceed 1e300: the
    shortcut must not refuse them; the fit scales with the returns."""
    y, f, stocks = ragged
    f = np.where(np.isnan(f), np.nanmean(f, axis=0), f)
    size = 0.9e150 / np.nanmax(np.abs(y))
    assert not masked_fit(y * size, f, ~np.isnan(y), True).bounded  # the shortcut does not vouch for them
    small = fit_factor_model(y, f, asset_names=stocks)
    big = fit_factor_model(y * size, f, asset_names=stocks)
    assert not big.failures
    np.testing.assert_allclose(big.betas, small.betas * size, rtol=1e-10)
