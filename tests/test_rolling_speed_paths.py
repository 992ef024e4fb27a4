"""The tiled rolling sums of xl_factor.core.rolling against statsmodels RollingOLS, with tiles and chunks cut small.

The core cuts the rows into blocks of ``window`` rows and takes the positions
a tile at a time (``TILE_DOUBLES``, ``TILE_ROWS``); assets come in chunks.
Here tiles hold a few positions and chunks a few assets, so every seam is
crossed: tile edges inside blocks, the padded first block (T not a multiple
of the window), window == T (one block), expanding windows, min_nobs, assets
that share their pattern of present rows across a chunk edge and assets that
do not, a factor that is constant over some windows and two factors that
are collinear over others (those windows blank). Every number is
statsmodels' on that asset's own column, to RTOL = 1e-10.
"""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from statsmodels.regression.rolling import RollingOLS

from conftest import RTOL
from xl_factor.core import ewma_betas, rolling
from xl_factor.core import rolling_betas

N_ROWS = 157  # not a multiple of any window below but itself
CONSTANT = slice(40, 76)  # factor 1 is the same number on these rows
COLLINEAR = slice(100, 131)  # factor 2 is twice factor 0 on these rows


def panel():
    rng = np.random.default_rng(11)
    f = rng.normal(0.001, 0.02, (N_ROWS, 3))
    f[CONSTANT, 1] = 0.013
    f[COLLINEAR, 2] = 2.0 * f[COLLINEAR, 0]
    y = 0.0005 + f @ rng.normal(1.0, 0.5, (3, 9)) + rng.normal(0, 0.01, (N_ROWS, 9))
    y[:, 1] = y[:, 0] + rng.normal(0, 0.01, N_ROWS)  # assets 0-1 complete: one pattern
    y[:30, 2] = np.nan  # a late listing...
    y[[44, 90, 91, 140], 2] = np.nan  # ...with holes
    y[:, 3] = np.where(np.isnan(y[:, 2]), np.nan, y[:, 3] * 0.7)  # the same pattern as asset 2
    y[:70, 4] = np.nan  # listed inside the constant stretch
    y[rng.random(N_ROWS) < 0.1, 5] = np.nan  # scattered holes
    y[:-12, 6] = np.nan  # 12 rows: too few for most windows
    y[:, 7] = np.where(np.isnan(y[:, 2]), np.nan, y[:, 7])  # asset 2's pattern again, after a chunk edge
    f[[15, 16], 0] = np.nan  # a missing factor row: absent for every asset
    return y, f


def blank_by_design(y, f, end: int, start: int) -> bool:
    """The fit on rows start .. end (inclusive) has a constant factor or two collinear ones over its present rows."""
    rows = np.arange(start, end + 1)
    rows = rows[~np.isnan(y[rows]) & ~np.isnan(f[rows]).any(axis=1)]
    return rows.size > 0 and (np.ptp(f[rows, 1]) == 0 or np.all(f[rows, 2] == 2.0 * f[rows, 0]))


def reference(y, f, window, min_nobs=None, expanding=False) -> np.ndarray:
    """(T, N, K): RollingOLS (missing="drop") per asset, blank where a factor is constant or collinear."""
    x = sm.add_constant(f, has_constant="add")
    least = min_nobs or f.shape[1] + 2
    out = np.full((y.shape[0], y.shape[1], f.shape[1]), np.nan)
    for j in range(y.shape[1]):
        with np.errstate(all="ignore"):
            params = RollingOLS(y[:, j], x, window, min_nobs=least, expanding=expanding,
                                missing="drop").fit(reset=1).params[:, 1:]
        for t in range(y.shape[0]):
            if not np.isnan(params[t]).any() and not blank_by_design(y[:, j], f, t, max(0, t - window + 1)):
                out[t, j] = params[t]
    return out


def assert_same(got, expected):
    assert got.shape == expected.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    floor = RTOL * np.nanmax(np.abs(expected))
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=floor)


@pytest.fixture(params=[(300, 2), (2_000, 3), (40_000, 16)], ids=["tiny-tiles", "small-tiles", "wide-tiles"])
def small_tiles(request, monkeypatch):
    doubles, rows = request.param
    monkeypatch.setattr(rolling, "TILE_DOUBLES", doubles)
    monkeypatch.setattr(rolling, "TILE_ROWS", rows)


@pytest.mark.parametrize("window,min_nobs,expanding", [
    (20, None, False), (20, 9, True), (11, None, True), (N_ROWS, None, False), (N_ROWS, 6, True), (78, None, False),
    (5, None, False)])
def test_tiled_rolling_sums_equal_rolling_ols(small_tiles, window, min_nobs, expanding):
    y, f = panel()
    got = rolling_betas(y, f, window, min_nobs, expanding)
    expected = reference(y, f, window, min_nobs, expanding)
    assert_same(got.betas, expected)
    # the intercept is blank where the betas are, and puts the shifts back
    assert np.array_equal(np.isnan(got.alpha), np.isnan(expected[:, :, 0]))


def test_the_design_blanks_some_windows_and_fits_the_rest():
    """The panel really crosses the guards: some windows are blank for a constant or collinear factor only."""
    y, f = panel()
    expected = reference(y, f, 20)
    designed = [blank_by_design(y[:, 0], f, t, t - 19) for t in range(19, N_ROWS)]
    assert any(designed) and not all(designed)
    assert np.isnan(expected[19:, 0, 0][designed]).all() and not np.isnan(expected[19:, 0, 0][~np.array(designed)]).any()


def test_counts_and_tiles_do_not_change_the_numbers(monkeypatch):
    y, f = panel()
    wide = rolling_betas(y, f, 20, expanding=True), ewma_betas(y, f, 15)
    monkeypatch.setattr(rolling, "TILE_DOUBLES", 200)
    monkeypatch.setattr(rolling, "TILE_ROWS", 1)
    narrow = rolling_betas(y, f, 20, expanding=True), ewma_betas(y, f, 15)
    for a, b in zip(wide, narrow):
        np.testing.assert_array_equal(a.n_obs, b.n_obs)
        for x, z in ((a.alpha, b.alpha), (a.betas, b.betas)):
            np.testing.assert_array_equal(np.isnan(x), np.isnan(z))
            np.testing.assert_allclose(x, z, rtol=1e-12, atol=1e-14)
    present = ~np.isnan(y) & ~np.isnan(f).any(axis=1)[:, None]
    window = np.array([present[max(0, t - 19):t + 1].sum(axis=0) for t in range(N_ROWS)])
    np.testing.assert_array_equal(wide[0].n_obs, window)
    np.testing.assert_array_equal(wide[1].n_obs, np.cumsum(present, axis=0))


def test_nearly_collinear_windows_are_judged_by_the_conditioning_rule(small_tiles, monkeypatch):
    """Factor 2 is factor 0 plus a whisper: the determinant bound cannot clear those windows, ill_conditioned
    judges them (some pass, some not) and the fits are blank exactly where the rule refuses the window."""
    rng = np.random.default_rng(3)
    f = rng.normal(0.0, 0.02, (N_ROWS, 3))
    f[:, 2] = f[:, 0] + np.geomspace(1e-9, 1e-4, N_ROWS) * rng.normal(size=N_ROWS)
    y = f @ [1.0, 0.5, -0.3] + rng.normal(0, 0.01, N_ROWS)
    y = np.column_stack([y, np.where(np.arange(N_ROWS) < 25, np.nan, y + 0.001)])
    judged = []
    original = rolling.ill_conditioned

    def spy(moments):
        verdict = original(moments)
        judged.append(verdict)
        return verdict

    monkeypatch.setattr(rolling, "ill_conditioned", spy)
    got = rolling_betas(y, f, 20)
    verdicts = np.concatenate(judged)
    assert verdicts.any() and not verdicts.all()
    for j in range(2):
        for t in range(19, N_ROWS):
            rows = np.arange(t - 19, t + 1)
            rows = rows[~np.isnan(y[rows, j])]
            refused = rows.size < 5 or original(np.cov(f[rows], rowvar=False)[None])[0]
            assert np.isnan(got.betas[t, j]).all() == refused, (t, j)
