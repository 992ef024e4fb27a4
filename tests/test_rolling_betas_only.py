"""The betas-only fits (``betas_only=True``, what FM_ROLLING_BETA and FM_EWMA_BETA ask for) against statsmodels.

That path leaves out the intercepts and counts, so the betas must not lean
on them: on ragged panels (late listings, holes, a missing factor row, an
asset with no rows, one listed in the last rows), with windows where a
factor is constant or two are collinear, and with tiles and chunks cut
small, every beta is RollingOLS' (or WLS') on that asset's own column, to
RTOL = 1e-10, blank exactly where it is blank, and bit for bit the betas of
the full fit.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import RTOL
from test_hostile_today import assert_betas, ewma_reference, hostile_panel, rolling_reference
from test_rolling_speed_paths import assert_same, panel, reference
from xl_factor.core import ewma_betas, rolling, rolling_betas

TILES = [(rolling.TILE_DOUBLES, rolling.TILE_ROWS), (300, 2), (1, 1), (2_000, 3)]
TILE_IDS = ["default", "tiny", "one", "small"]


@pytest.fixture(params=TILES, ids=TILE_IDS)
def tiles(request, monkeypatch):
    monkeypatch.setattr(rolling, "TILE_DOUBLES", request.param[0])
    monkeypatch.setattr(rolling, "TILE_ROWS", request.param[1])


@pytest.mark.parametrize("window,min_nobs,expanding", [(20, None, False), (20, 9, True), (78, None, False),
                                                      (5, None, False)])
def test_rolling_betas_only_equal_rolling_ols_through_constant_and_collinear_windows(tiles, window, min_nobs,
                                                                                    expanding):
    y, f = panel()
    got = rolling_betas(y, f, window, min_nobs, expanding, betas_only=True)
    assert got.alpha is None and got.n_obs is None
    assert_same(got.betas, reference(y, f, window, min_nobs, expanding))
    np.testing.assert_array_equal(got.betas, rolling_betas(y, f, window, min_nobs, expanding).betas)


@pytest.mark.parametrize("n_rows,window,expanding", [(37, 5, False), (64, 8, True), (64, 64, False)])
def test_rolling_betas_only_on_hostile_panels_equal_rolling_ols(tiles, n_rows, window, expanding):
    y, f = hostile_panel(n_rows, 7, 2, seed=n_rows + window)
    got = rolling_betas(y, f, window, None, expanding, betas_only=True).betas
    assert_betas(got, rolling_reference(y, f, window, 4, expanding)[:, :, 1:])


@pytest.mark.parametrize("halflife", [4.0, 60.0])
def test_ewma_betas_only_equal_wls(tiles, halflife):
    y, f = hostile_panel(45, 5, 2, seed=int(halflife))
    got = ewma_betas(y, f, halflife, 5, betas_only=True)
    assert got.alpha is None and got.n_obs is None
    assert_betas(got.betas, ewma_reference(y, f, halflife, 5)[:, :, 1:], rtol=RTOL)
    np.testing.assert_array_equal(got.betas, ewma_betas(y, f, halflife, 5).betas)
