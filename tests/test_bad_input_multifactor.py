"""The bad-input catalogue of the multi-factor functions: each case gives its documented #FM! line or value.

Inputs are Excel-shaped ranges built from the real monthly Fama-French data
(120 months); documented values are checked against statsmodels or by the
documented rule. The fuzz test (tests/test_fuzz.py) covers these functions
too, since it walks the whole catalogue.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.regression.rolling import RollingOLS

from excel_shapes import NA, excel_range, set_cell
from test_bad_input import fm_line
from xl_factor.sheet.catalogue import call

N = 120
INDS = ["NoDur", "Durbl", "Manuf", "Enrgy", "Chems", "BusEq", "Telcm", "Utils"]


@pytest.fixture(scope="module")
def d(ff_monthly):
    frame = ff_monthly.iloc[:N]
    inds = frame[INDS].sub(frame["RF"], axis=0)
    return {"inds": inds, "y": inds[["NoDur"]], "f": frame[["MktRF"]], "f3": frame[["MktRF", "SMB", "HML"]]}


def r(frame):
    return excel_range(frame)


# (id, function, builder of the arguments from the data, pattern of the documented line)
REFUSALS = [
    ("riskshare a blank in the hedge", "FM_RISKSHARE",
     lambda d: (r(d["inds"].iloc[:, :1]), r(d["f3"]), ((-1.0, None, 0.0),)),
     r"hedge must hold a number for every factor, 0 for a factor not hedged \(a blank is not a zero\)"),
    # FM_FAMAMACBETH
    ("fm cov_type unknown", "FM_FAMAMACBETH", lambda d: (r(d["inds"]), r(d["f3"]), "robust"),
     r"^#FM! FM_FAMAMACBETH: cov_type must be unadjusted or kernel \(Newey-West, also read as HAC\), got 'robust'$"),
    ("fm too few assets", "FM_FAMAMACBETH", lambda d: (r(d["inds"].iloc[:, :4]), r(d["f3"])),
     r"returns has 4 asset columns; a cross-section on 3 factors and a constant needs at least 5 assets"),
    ("fm too few rows", "FM_FAMAMACBETH", lambda d: (r(d["inds"].iloc[:4]), r(d["f3"])),
     r"returns has 4 rows with every asset and factor present; a first pass on 3 factors needs at least 5"),
    ("fm equal betas", "FM_FAMAMACBETH", lambda d: (r(equal_beta_assets(d)), r(d["f"])),
     r"returns: the assets' betas are collinear .* use test assets whose betas differ"),
    ("fm percent", "FM_FAMAMACBETH", lambda d: (r(d["inds"] * 100), r(d["f3"])), r"returns: column '\w+' looks like percent"),
    ("fm constant factor", "FM_FAMAMACBETH", lambda d: (r(d["inds"]), r(d["f3"].assign(SMB=0.01))),
     r"factors: factor 'SMB' is constant"),
    # FM_GRS
    ("grs N >= T - K", "FM_GRS", lambda d: (r(d["inds"].iloc[:11]), r(d["f3"])),
     r"returns has 8 asset columns and 11 rows .* needs fewer assets than rows less factors \(N < T - K = 8\)"),
    ("grs asset spanned by the factors", "FM_GRS",
     lambda d: (r(d["inds"].assign(Mix=d["f3"]["MktRF"] + 0.5 * d["f3"]["SMB"])), r(d["f3"])),
     r"returns: asset 'Mix' has no residual variance \(it is a combination of the factors\)"),
    ("grs duplicated asset", "FM_GRS", lambda d: (r(d["inds"].assign(Copy=d["inds"]["Utils"])), r(d["f3"])),
     r"returns: the assets' residuals are collinear"),
    ("grs rows differ, no dates", "FM_GRS",
     lambda d: (excel_range(d["inds"], dates=False), excel_range(d["f3"].iloc[:-1], dates=False)),
     r"factors: returns has 120 rows but factors has 119 and neither has dates"),
    # FM_PCA
    ("pca k above N", "FM_PCA", lambda d: (r(d["inds"]), 9),
     r"k must be a whole number from 1 to 8 \(the number of asset columns\), got 9$"),
    ("pca k zero", "FM_PCA", lambda d: (r(d["inds"]), 0), r"k must be a whole number from 1 to 8"),
    ("pca k fraction", "FM_PCA", lambda d: (r(d["inds"]), 2.5), r"k must be a whole number from 1 to 8 .*got 2.5"),
    ("pca k text", "FM_PCA", lambda d: (r(d["inds"]), "two"), r"k must be a number, got the text 'two'"),
    ("pca k missing", "FM_PCA", lambda d: (r(d["inds"]),), r"k is required; give a number"),
    ("pca output unknown", "FM_PCA", lambda d: (r(d["inds"]), 2, "scores"),
     r"output must be loadings, factors or explained, got 'scores'"),
    ("pca constant columns", "FM_PCA", lambda d: (r(pd.DataFrame({"a": 0.01, "b": 0.02}, index=d["inds"].index)), 1),
     r"returns has no variation: every column is constant"),
    ("pca one complete row", "FM_PCA", lambda d: (((None, "a", "b"), (d["inds"].index[0].to_pydatetime(), 0.01, 0.02),
                                                    (d["inds"].index[1].to_pydatetime(), 0.03, None)), 1),
     r"returns has 1 rows with every asset present; principal components need at least 2"),
    # FM_ROLLING_BETA
    ("rolling window above T", "FM_ROLLING_BETA", lambda d: (r(d["y"]), r(d["f3"]), 121),
     r"window must be a whole number of periods from 5 \(K \+ 2\) to 120 \(the number of periods\), got 121"),
    ("rolling window below K + 2", "FM_ROLLING_BETA", lambda d: (r(d["y"]), r(d["f3"]), 4), r"from 5 \(K \+ 2\)"),
    ("rolling window fraction", "FM_ROLLING_BETA", lambda d: (r(d["y"]), r(d["f3"]), 12.5), r"got 12.5"),
    ("rolling window #N/A", "FM_ROLLING_BETA", lambda d: (r(d["y"]), r(d["f3"]), NA),
     r"window must be a number, got #N/A"),
    ("rolling factor unknown", "FM_ROLLING_BETA", lambda d: (r(d["inds"]), r(d["f3"]), 24, "Mkt"),
     r"factor must name one of the factors \(MktRF, SMB, HML\), got 'Mkt'"),
    ("rolling min_nobs above window", "FM_ROLLING_BETA", lambda d: (r(d["y"]), r(d["f3"]), 24, "", 25),
     r"min_nobs must be a whole number of periods from 5 \(K \+ 2\) to 24 \(the window\), got 25"),
    # FM_EWMA_BETA
    ("ewma halflife zero", "FM_EWMA_BETA", lambda d: (r(d["y"]), r(d["f3"]), 0),
     r"halflife must be a positive number of periods, got 0$"),
    ("ewma halflife negative", "FM_EWMA_BETA", lambda d: (r(d["y"]), r(d["f3"]), -12), r"got -12$"),
    ("ewma percent asset", "FM_EWMA_BETA", lambda d: (r(d["y"] * 100), r(d["f3"]), 12), r"asset: column '\w+' looks like percent"),
    # FM_ADJBETA
    ("adjbeta weight above 1", "FM_ADJBETA", lambda d: (1.2, 1.5),
     r"weight must be from 0 to 1 \(0.67 as the terminals use\), got 1.5"),
    ("adjbeta weight negative", "FM_ADJBETA", lambda d: (1.2, -0.1), r"weight must be from 0 to 1"),
    ("adjbeta infinite beta", "FM_ADJBETA", lambda d: (((1.0, math.inf),),),
     r"beta has an infinite or overflowing value"),
    # FM_RISKCONTRIB
    ("riskcontrib weights length", "FM_RISKCONTRIB", lambda d: (((0.5, 0.5),), r(d["inds"]), r(d["f3"])),
     r"weights has 2 values but returns has 8 asset columns; give one weight per asset column"),
    ("riskcontrib blank weight", "FM_RISKCONTRIB", lambda d: (((0.5, None) + (0.0,) * 6,), r(d["inds"]), r(d["f3"])),
     r"weights has no weight for 'Durbl', which has returns; give it a number \(0 for none: a blank is not a zero\)"),
    ("riskcontrib zero weights", "FM_RISKCONTRIB", lambda d: (((0.0,) * 8,), r(d["inds"]), r(d["f3"])),
     r"weights must not all be zero"),
    ("riskcontrib factor rows", "FM_RISKCONTRIB",
     lambda d: (((0.125,) * 8,), excel_range(d["inds"], dates=False), excel_range(d["f3"].iloc[:100], dates=False)),
     r"factors: returns has 120 rows but factors has 100 and neither has dates"),
    # FM_COVMAT shrink
    ("covmat method still checked", "FM_COVMAT", lambda d: (r(d["inds"]), r(d["f"]), "ledoit"),
     r"method must be factor, sample or shrink \(Ledoit-Wolf\), got 'ledoit'"),
    ("covmat shrink percent", "FM_COVMAT", lambda d: (r(d["inds"] * 100), r(d["f"]), "shrink"),
     r"returns: column '\w+' looks like percent"),
    ("covmat shrink one row", "FM_COVMAT", lambda d: (r(d["inds"].iloc[:1]), r(d["f"]), "shrink"),
     r"returns: only 1 rows have every asset present; the shrinkage covariance needs at least 2"),
]


def equal_beta_assets(d) -> pd.DataFrame:
    """Assets whose market betas are all exactly 1: the market plus residuals orthogonal to it in sample."""
    market = d["f"]["MktRF"]
    out = {}
    for name in INDS[:4]:
        res = sm.OLS(d["inds"][name], sm.add_constant(market)).fit()
        out[name] = market + res.resid
    return pd.DataFrame(out)


@pytest.mark.parametrize("case", REFUSALS, ids=[c[0] for c in REFUSALS])
def test_refusals(d, case):
    _, function, args, pattern = case
    fm_line(call(function, *args(d)), function, pattern)


# ---- documented values ----

def test_rolling_window_where_a_factor_is_constant_is_blank(d):
    """A window whose factor does not vary has no beta: blank, as statsmodels cannot fit it either."""
    f = d["f"].copy()
    f.iloc[30:60, 0] = 0.0  # thirty months without a market return
    got = np.asarray(call("FM_ROLLING_BETA", r(d["y"]), r(f), 24), dtype=float)
    blank = np.isnan(got[:, 0])
    assert blank[:23].all()
    assert blank[53:60].all() and not blank[23:53].any() and not blank[60:].any()  # windows inside rows 30..59
    ok = ~blank
    ref = RollingOLS(d["y"].to_numpy(), sm.add_constant(f.to_numpy()), 24).fit(reset=1).params[:, 1]
    np.testing.assert_allclose(got[ok, 0], ref[ok], rtol=1e-10, atol=1e-12)


def test_ewma_first_rows_are_blank_until_k_plus_2(d):
    got = np.asarray(call("FM_EWMA_BETA", r(d["y"]), r(d["f3"]), 6), dtype=float)
    assert np.isnan(got[:4]).all() and not np.isnan(got[4:]).any()


def test_adjbeta_blank_cells_stay_blank_and_text_is_refused_in_its_cell():
    got = np.asarray(call("FM_ADJBETA", ((1.0, None, 0.5),)), dtype=float)
    assert got[0, 0] == pytest.approx(1.0) and np.isnan(got[0, 1])
    assert got[0, 2] == pytest.approx(0.67 * 0.5 + 0.33, rel=1e-15)
    got = call("FM_ADJBETA", ((1.0, None, "n/a", 0.5),))  # element-wise: the other cells keep their answers
    assert got[0][2] == "#FM! FM_ADJBETA: beta must hold numbers, got the text 'n/a' (row 1, column 3); give a " \
                        "number or leave it blank"
    assert got[0][0] == pytest.approx(1.0) and np.isnan(got[0][1]) and got[0][3] == pytest.approx(0.67 * 0.5 + 0.33)


def test_fm_and_grs_drop_rows_with_any_missing_cell(d):
    """A hole in one asset drops that period for every asset (a balanced panel): same as leaving the row out."""
    holed = set_cell(r(d["inds"]), 8, 2, NA)  # row 7, Durbl
    kept = d["inds"].drop(d["inds"].index[7])
    grs_holed, grs_kept = call("FM_GRS", holed, r(d["f3"])), call("FM_GRS", r(kept), r(d["f3"]))
    assert np.asarray(grs_holed).tolist() == np.asarray(grs_kept).tolist()
    fm_holed = np.asarray(call("FM_FAMAMACBETH", holed, r(d["f3"])), dtype=object)
    fm_kept = np.asarray(call("FM_FAMAMACBETH", r(kept), r(d["f3"])), dtype=object)
    assert fm_holed.tolist() == fm_kept.tolist() and fm_holed[7, 1] == N - 1  # n_periods


def test_riskcontrib_single_asset_is_all_its_own(d):
    """One asset with weight 1: its percent contribution is 100% and its volatility is the model's."""
    got = np.asarray(call("FM_RISKCONTRIB", 1.0, r(d["y"]), r(d["f"])), dtype=object)
    res = sm.OLS(d["y"]["NoDur"], sm.add_constant(d["f"])).fit()
    var = res.params.iloc[1] ** 2 * d["f"]["MktRF"].var(ddof=1) + np.var(res.resid, ddof=1)
    assert got[4, 0] == "total" and float(got[4, 2]) == pytest.approx(math.sqrt(var), rel=1e-10)
    assert got[-1, 0] == "NoDur" and float(got[-1, 4]) == pytest.approx(1.0, rel=1e-12)


def test_catalogue_has_at_least_twelve_cases():
    assert len(REFUSALS) + 5 >= 12
