"""In-sample identities of the factor model, on the real data and on random data.

With a constant in the regression, OLS makes these hold exactly (up to
rounding) in sample:

* the mean of the hedged returns ``r - beta' f`` is alpha;
* every factor is uncorrelated with the residual (sample covariance 0);
* tracking + hedged returns = the asset's returns;
* ``total_var = factor_var + idio_var`` with ``total_var = var(r, ddof=1)``.

Tolerance: each identity is checked to ``TOL = 1e-10`` times the natural
scale of the quantity (the standard deviation of the returns for means and
returns, the variance for variances, ``sd(f) * sd(r)`` for covariances).
Double-precision rounding leaves errors near 1e-15 of those scales.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conftest import FF3, INDUSTRIES
from xl_factor.core import fit_factor_model

TOL = 1e-10


def _check_identities(fit, y, x):
    """Assert the identities for every asset of ``fit`` against numpy on the rows each used."""
    factor_ok = ~np.isnan(x).any(axis=1)
    for i in range(y.shape[1]):
        rows = ~np.isnan(y[:, i]) & factor_ok
        assert np.array_equal(fit.used[:, i], rows)
        assert fit.n_obs[i] == rows.sum()
        r = y[rows, i]
        f = x[rows]
        sd_r = np.std(r, ddof=1)
        var_r = np.var(r, ddof=1)
        scale = max(sd_r, np.max(np.abs(r)) * 1e-3)

        hedged = fit.hedged[:, i]
        tracking = fit.tracking[:, i]
        resid = fit.resid[:, i]
        # NaN exactly where the row was dropped
        for series in (hedged, tracking, resid, fit.fitted[:, i]):
            assert np.array_equal(np.isnan(series), ~rows)

        # hedged mean == alpha
        assert abs(np.mean(hedged[rows]) - fit.alpha[i]) <= TOL * scale
        # tracking + hedged == asset
        np.testing.assert_allclose(tracking[rows] + hedged[rows], r, rtol=0, atol=TOL * scale)
        # tracking is beta' f, computed here with numpy
        np.testing.assert_allclose(tracking[rows], f @ fit.betas[i], rtol=0, atol=TOL * scale)
        # residuals sum to zero and are uncorrelated with every factor (sample covariance 0)
        e = resid[rows]
        assert abs(np.mean(e)) <= TOL * scale
        for k in range(f.shape[1]):
            cov_fe = np.cov(f[:, k], e, ddof=1)[0, 1]
            assert abs(cov_fe) <= TOL * np.std(f[:, k], ddof=1) * scale
        # variance decomposition
        np.testing.assert_allclose(fit.total_var[i], var_r, rtol=TOL)
        np.testing.assert_allclose(fit.idio_var[i], np.var(e, ddof=1), rtol=TOL, atol=TOL * var_r)
        sigma_f = np.atleast_2d(np.cov(f, rowvar=False, ddof=1))
        b = fit.betas[i]
        np.testing.assert_allclose(fit.factor_var[i], b @ sigma_f @ b, rtol=TOL, atol=TOL * var_r)
        assert abs(fit.factor_var[i] + fit.idio_var[i] - var_r) <= TOL * var_r
        np.testing.assert_allclose(fit.factor_cov_of(i), sigma_f, rtol=TOL, atol=0)
        np.testing.assert_allclose(fit.factor_mean_of(i), f.mean(axis=0), rtol=TOL, atol=0)


# ---------------------------------------------------------------------------
# The real data
# ---------------------------------------------------------------------------


def test_identities_twelve_industries_three_factors(ff_monthly, industry_excess):
    y = industry_excess[INDUSTRIES].to_numpy()
    x = ff_monthly[FF3].to_numpy()
    _check_identities(fit_factor_model(y, x), y, x)


def test_identities_daily_stocks_on_index(daily_returns):
    y = daily_returns[["MSFT", "WMT", "JPM", "XOM", "AAPL"]].to_numpy()
    x = daily_returns[["SP500"]].to_numpy()
    _check_identities(fit_factor_model(y, x), y, x)


def test_identities_with_holes(ff_monthly, industry_excess):
    y = industry_excess[INDUSTRIES[:6]].to_numpy().copy()
    x = ff_monthly[FF3 + ["Mom"]].to_numpy().copy()
    rng = np.random.default_rng(3)
    y[rng.random(y.shape) < np.array([0.0, 0.02, 0.1, 0.3, 0.6, 0.9])] = np.nan
    y[200:260, 0] = np.nan
    x[rng.choice(len(x), 12, replace=False), 3] = np.nan
    _check_identities(fit_factor_model(y, x), y, x)


def test_identities_fail_without_constant(ff_monthly, industry_excess):
    """The identities need the constant: without it the residuals do not average to zero.

    This guards the check itself: _check_identities must reject a fit that
    breaks them.
    """
    y = industry_excess[["Enrgy"]].to_numpy()
    x = ff_monthly[FF3].to_numpy()
    fit = fit_factor_model(y, x, add_constant=False)
    with pytest.raises(AssertionError):
        _check_identities(fit, y, x)


# ---------------------------------------------------------------------------
# Property tests on random data
# ---------------------------------------------------------------------------


@st.composite
def factor_problems(draw):
    """Random (returns, factors) with T in [K+3, 200], N in [1, 5], K in [1, 3], optional NaN holes."""
    k = draw(st.integers(1, 3))
    n = draw(st.integers(1, 5))
    t = draw(st.integers(k + 3, 200))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    # well conditioned factors: independent normal draws with a random scale and mean,
    # perturbed by values hypothesis chooses (so shrinking explores them)
    scale = draw(hnp.arrays(float, k, elements=st.floats(0.005, 0.2)))
    mean = draw(hnp.arrays(float, k, elements=st.floats(-0.02, 0.02)))
    perturb = draw(hnp.arrays(float, (t, k), elements=st.floats(-0.5, 0.5)))
    factors = mean + scale * (rng.standard_normal((t, k)) + perturb)
    alpha = draw(hnp.arrays(float, n, elements=st.floats(-0.01, 0.01)))
    betas = draw(hnp.arrays(float, (n, k), elements=st.floats(-3, 3)))
    noise_sd = draw(hnp.arrays(float, n, elements=st.floats(1e-4, 0.1)))
    returns = alpha + factors @ betas.T + noise_sd * rng.standard_normal((t, n))
    if draw(st.booleans()):
        # holes in the assets anywhere below the first K + 3 rows, and in whole factor rows
        holes = draw(hnp.arrays(bool, (t, n), elements=st.booleans()))
        holes[: k + 3] = False
        returns[holes] = np.nan
        factor_holes = draw(hnp.arrays(bool, t, elements=st.sampled_from([False, False, False, True])))
        factor_holes[: k + 3] = False
        factors[factor_holes, draw(st.integers(0, k - 1))] = np.nan
    return returns, factors


def _well_conditioned(y, x):
    factor_ok = ~np.isnan(x).any(axis=1)
    for i in range(y.shape[1]):
        rows = ~np.isnan(y[:, i]) & factor_ok
        design = np.column_stack([np.ones(rows.sum()), x[rows]])
        if np.linalg.cond(design) > 1e6:
            return False
    return True


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(factor_problems())
def test_identities_random(problem):
    y, x = problem
    assume(_well_conditioned(y, x))
    fit = fit_factor_model(y, x)
    _check_identities(fit, y, x)
    # and the coefficients are numpy's least squares on each asset's rows
    factor_ok = ~np.isnan(x).any(axis=1)
    for i in range(y.shape[1]):
        rows = ~np.isnan(y[:, i]) & factor_ok
        design = np.column_stack([np.ones(rows.sum()), x[rows]])
        coef = np.linalg.lstsq(design, y[rows, i], rcond=None)[0]
        np.testing.assert_allclose(np.r_[fit.alpha[i], fit.betas[i]], coef, rtol=1e-8, atol=1e-10 * np.abs(coef).max())


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(factor_problems())
def test_identities_random_are_invariant_to_column_order(problem):
    """Fitting the assets together or one at a time gives the same numbers."""
    y, x = problem
    assume(_well_conditioned(y, x))
    together = fit_factor_model(y, x)
    for i in range(y.shape[1]):
        alone = fit_factor_model(y[:, [i]], x)
        np.testing.assert_allclose(together.alpha[i], alone.alpha[0], rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(together.betas[i], alone.betas[0], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(together.idio_var[i], alone.idio_var[0], rtol=1e-9)
