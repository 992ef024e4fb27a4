"""Dimson, Scholes-Williams and Vasicek betas, and FM_REGRESS through the origin, on the real data.

Dimson against statsmodels OLS on the lagged, current and leading factors;
Scholes-Williams against its formula from simple slopes; Vasicek against
statsmodels' standard errors and the shrinkage formula; FM_REGRESS with
add_constant FALSE against statsmodels OLS without a constant, every
number. All to 1e-10, called as Excel would.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from conftest import FF3, INDUSTRIES, assert_close
from excel_shapes import NA, excel_range, set_cell
from test_bad_input import fm_line
from xl_factor.sheet.catalogue import call

STOCKS = ["AAPL", "AMD", "GE", "KO", "RRC"]


def lead_lag_design(f: pd.DataFrame, lags: int) -> pd.DataFrame:
    parts = {f"{c}({j:+d})": f[c].shift(-j) for j in range(-lags, lags + 1) for c in f.columns}
    return pd.DataFrame(parts, index=f.index)


def dimson_direct(y: pd.DataFrame, f: pd.DataFrame, lags: int) -> np.ndarray:
    design = sm.add_constant(lead_lag_design(f, lags))
    out = []
    for c in y.columns:
        data = pd.concat([y[c], design], axis=1).dropna()
        params = sm.OLS(data[c], data[design.columns]).fit().params.drop("const").to_numpy()
        out.append(params.reshape(2 * lags + 1, f.shape[1]).sum(axis=0))
    return np.array(out)


@pytest.mark.parametrize("lags", [1, 2])
def test_dimson_on_monthly_industries_equals_statsmodels_with_lagged_factors(industry_excess, ff_monthly, lags):
    out = call("FM_DIMSONBETA", excel_range(industry_excess), excel_range(ff_monthly[FF3]), lags)
    assert_close(out, dimson_direct(industry_excess, ff_monthly[FF3], lags))


def test_dimson_on_daily_stocks_with_holes(daily_returns):
    frame = daily_returns.loc["2018":"2022"]
    y, f = frame[STOCKS].copy(), frame[["SP500"]]
    y.iloc[100:110, 1] = np.nan  # a halt in AMD: its rows drop out, the others keep theirs
    out = call("FM_DIMSONBETA", excel_range(y), excel_range(f))
    assert_close(out, dimson_direct(y, f, 1))


def test_dimson_default_is_one_lag_and_an_asset_failure_stays_in_its_row(industry_excess, ff_monthly):
    y = industry_excess.iloc[:60].copy()
    y.iloc[5:, 2] = np.nan  # Manuf keeps 5 rows: too few for 9 regressors
    out = call("FM_DIMSONBETA", excel_range(y), excel_range(ff_monthly[FF3]))
    fm_line(out[2, 0], "FM_DIMSONBETA", r"asset: 'Manuf' has 4 rows with every lag and lead of the factors present; "
                                         r"with 1 lag of 3 factors the regression needs at least 11")
    assert out[2, 1] is None
    good = [0, 1] + list(range(3, 12))
    assert_close(out[good].astype(float), dimson_direct(y.iloc[:, good], ff_monthly[FF3], 1))


def scholes_williams_direct(y: pd.DataFrame, m: pd.Series) -> np.ndarray:
    """The formula per asset from statsmodels' simple OLS slopes and numpy's correlation, all on the asset's rows."""
    lagged, leading = m.shift(1), m.shift(-1)
    out = []
    for c in y.columns:
        data = pd.concat([y[c], lagged, m, leading], axis=1, keys=["r", "lag", "now", "lead"], sort=True).dropna()
        slopes = [sm.OLS(data["r"], sm.add_constant(data[x])).fit().params[x] for x in ("lag", "now", "lead")]
        rho = np.corrcoef(data["now"], data["lag"])[0, 1]
        out.append(sum(slopes) / (1 + 2 * rho))
    return np.array(out)[:, None]


def test_scholes_williams_on_daily_stocks_equals_its_formula(daily_returns):
    frame = daily_returns.loc["2015":"2022"]
    out = call("FM_SWBETA", excel_range(frame[STOCKS]), excel_range(frame[["SP500"]]))
    assert out.shape == (len(STOCKS), 1)
    assert_close(out, scholes_williams_direct(frame[STOCKS], frame["SP500"]))


def test_scholes_williams_on_monthly_industries_matched_by_date(industry_excess, ff_monthly):
    market = ff_monthly[["MktRF"]].iloc[12:]  # a shorter market history: rows matched by date
    out = call("FM_SWBETA", excel_range(industry_excess), excel_range(market))
    assert_close(out, scholes_williams_direct(industry_excess.loc[market.index], market["MktRF"]))


def test_scholes_williams_on_six_periods_is_its_formula_on_the_four_inner_ones(ff_monthly, industry_excess):
    """Three simple regressions need 3 rows each: 6 periods (4 with a lag and a lead) are enough, where Dimson's
    one regression on all three needs 7 (the two shared one bound once, refusing this)."""
    y, m = industry_excess[["NoDur"]].iloc[18:24], ff_monthly[["MktRF"]].iloc[18:24]
    got = call("FM_SWBETA", excel_range(y), excel_range(m))
    assert_close(got, scholes_williams_direct(y, m["MktRF"]))


def test_scholes_williams_of_a_late_listing_is_the_same_however_the_range_is_laid_out(daily_returns):
    """A stock listed late, with its blank top rows in the range, on its own rows, or beside a full history:
    one beta, the formula's on its own rows (the market's autocorrelation was once taken over every dated row)."""
    frame = daily_returns.loc["2015":"2022"]
    late = frame[["AAPL"]].copy()
    late.iloc[:500] = np.nan
    market = excel_range(frame[["SP500"]])
    expected = scholes_williams_direct(late.iloc[500:], frame["SP500"])
    with_blank_rows = call("FM_SWBETA", excel_range(late), market)
    own_rows = call("FM_SWBETA", excel_range(late.iloc[500:]), market)
    beside_a_full_history = call("FM_SWBETA", excel_range(frame[["KO"]].join(late)), market)
    assert_close(with_blank_rows, expected)
    assert_close(own_rows, expected)
    assert_close(beside_a_full_history[1:], expected)
    assert_close(beside_a_full_history[:1], scholes_williams_direct(frame[["KO"]], frame["SP500"]))


def test_scholes_williams_refuses_only_the_asset_whose_rows_give_a_denominator_below_zero(daily_returns):
    """On an asset's rows where the market flips sign every period (rho near -1) 1 + 2 rho is negative: that
    asset's slot says so, and the asset over calm rows keeps its number."""
    frame = daily_returns.loc["2019":"2020"][["KO", "SP500"]].copy()
    flips = frame.index[-60:]
    frame.loc[flips, "SP500"] = 0.01 * (-1.0) ** np.arange(60) + frame.loc[flips, "SP500"] / 100
    frame["LATE"] = np.nan
    frame.loc[flips, "LATE"] = 0.9 * frame.loc[flips, "SP500"] + frame.loc[flips, "KO"] / 10
    out = call("FM_SWBETA", excel_range(frame[["KO", "LATE"]]), excel_range(frame[["SP500"]]))
    assert_close(out[:1].astype(float), scholes_williams_direct(frame[["KO"]], frame["SP500"]))
    fm_line(out[1, 0], "FM_SWBETA", r"asset: the market's first-order autocorrelation over the rows of 'LATE' is "
                                    r"-0\.\d+; at -0\.5 or below the Scholes-Williams denominator")


def test_vasicek_shrinks_each_beta_by_its_standard_error(industry_excess, ff_monthly):
    y, f = industry_excess.iloc[-240:], ff_monthly[FF3].iloc[-240:]
    fits = [sm.OLS(y[c], sm.add_constant(f)).fit() for c in INDUSTRIES]
    b = np.array([r.params[FF3].to_numpy() for r in fits])
    se = np.array([r.bse[FF3].to_numpy() for r in fits])
    m, v = b.mean(axis=0), b.var(axis=0, ddof=1)
    expected = (m / v + b / se**2) / (1 / v + 1 / se**2)
    out = call("FM_VASICEKBETA", excel_range(y), excel_range(f))
    assert_close(out, expected)
    assert np.all(np.abs(out - m) <= np.abs(b - m))  # never further from the mean than OLS


def test_vasicek_with_holes_uses_each_assets_own_rows(daily_returns):
    y = daily_returns.loc["2020":"2022", STOCKS].copy()
    y.iloc[:200, 0] = np.nan
    f = daily_returns.loc["2020":"2022", ["SP500"]]
    fits = [sm.OLS(y[c], sm.add_constant(f), missing="drop").fit() for c in STOCKS]
    b = np.array([r.params["SP500"] for r in fits])
    se = np.array([r.bse["SP500"] for r in fits])
    v = b.var(ddof=1)
    expected = b.mean() + v / (v + se**2) * (b - b.mean())
    assert_close(call("FM_VASICEKBETA", excel_range(y), excel_range(f)).ravel(), expected)


# ---------------------------------------------------------------- FM_REGRESS through the origin

REGRESS_SUMMARY = ("r_squared", "adj_r_squared", "f_stat", "f_p_value", "n_obs", "resid_var", "s2", "durbin_watson")


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC1", "HAC"])
def test_regress_without_a_constant_equals_statsmodels_without_one(industry_excess, ff_monthly, cov_type):
    from statsmodels.stats.stattools import durbin_watson

    y, f = industry_excess["Hlth"], ff_monthly[FF3]
    asset = set_cell(excel_range(y), 30, 1, NA)  # a hole: row dropped, as statsmodels' missing="drop"
    out = call("FM_REGRESS", asset, excel_range(f), cov_type, None, False)
    table = np.asarray(out, dtype=object)
    assert list(table[1:4, 0]) == FF3  # no alpha row
    keep = y.drop(y.index[29])
    kwargs = {"cov_kwds": {"maxlags": int(np.floor(4 * (len(keep) / 100) ** (2 / 9)))}} if cov_type == "HAC" else {}
    res = sm.OLS(keep, f.loc[keep.index]).fit(cov_type=cov_type, **kwargs)
    ci = res.conf_int()
    assert_close(table[1:4, 1:].astype(float), np.column_stack([res.params, res.bse, res.tvalues, res.pvalues,
                                                                 ci[0], ci[1]]))
    summary = dict(zip(table[5:, 0], table[5:, 1].astype(float)))
    expected = (res.rsquared, res.rsquared_adj, res.fvalue, res.f_pvalue, res.nobs, np.var(res.resid, ddof=1),
                res.scale, durbin_watson(res.resid))
    assert_close([summary[k] for k in REGRESS_SUMMARY], expected)
    assert_close(res.rsquared, 1 - res.ssr / (keep.to_numpy() ** 2).sum())  # the uncentred R2


def test_regress_default_keeps_the_constant(industry_excess, ff_monthly):
    y, f = excel_range(industry_excess[["Hlth"]]), excel_range(ff_monthly[FF3])
    default, explicit = call("FM_REGRESS", y, f), call("FM_REGRESS", y, f, "nonrobust", None, True)
    assert default[1, 0] == "alpha"
    assert_close(default[1:5, 1:].astype(float), explicit[1:5, 1:].astype(float))


# ---------------------------------------------------------------- bad input

r = excel_range

BAD = [
    ("dimson lags 0", "FM_DIMSONBETA", lambda y, f: (r(y), r(f), 0), r"lags must be a whole number of periods from 1"),
    ("dimson lags 1.5", "FM_DIMSONBETA", lambda y, f: (r(y), r(f), 1.5), r"lags must be a whole number of periods"),
    ("dimson lags text", "FM_DIMSONBETA", lambda y, f: (r(y), r(f), "two"), r"lags"),
    ("dimson percent", "FM_DIMSONBETA", lambda y, f: (r(y * 100), r(f)), r"asset: column '\w+' looks like percent"),
    ("dimson lags beyond the rows", "FM_DIMSONBETA", lambda y, f: (r(y), r(f), 15),
     r"lags must be a whole number of periods from 1 to 14 for 120 periods of 3 factors \(each lag adds 3 slopes"),
    ("dimson too few periods", "FM_DIMSONBETA", lambda y, f: (r(y.iloc[:12]), r(f.iloc[:12])),
     r"factors has 12 periods; a lag and a lead of 3 factors need at least 13"),
    ("sw too few periods", "FM_SWBETA", lambda y, f: (r(y.iloc[:4, :1]), r(f[["MktRF"]].iloc[:4])),
     r"factors has 4 periods; a lag and a lead of 1 factor need at least 5"),
    ("dimson empty factor named as on the sheet", "FM_DIMSONBETA", lambda y, f: (r(y), r(f.assign(SMB=np.nan))),
     r"factors: column 'SMB' has no values"),
    ("sw market in percent named as on the sheet", "FM_SWBETA", lambda y, f: (r(y), r(f[["MktRF"]] * 100)),
     r"factors: column 'MktRF' looks like percent"),
    ("sw two factors", "FM_SWBETA", lambda y, f: (r(y), r(f)),
     r"factors has 3 columns; Scholes-Williams takes one factor column \(the market\)"),
    ("sw rows", "FM_SWBETA", lambda y, f: (r(y, dates=False), r(f[["MktRF"]].iloc[:50], dates=False)),
     r"factors: asset has 120 rows but factors has 50 and neither has dates"),
    ("vasicek one asset", "FM_VASICEKBETA", lambda y, f: (r(y[["NoDur"]]), r(f)),
     r"asset has 1 asset with betas; Vasicek shrinks each beta towards the cross-sectional mean"),
    ("regress add_constant text", "FM_REGRESS", lambda y, f: (r(y[["NoDur"]]), r(f), "nonrobust", None, "maybe"),
     r"add_constant"),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_input(industry_excess, ff_monthly, case):
    _, function, args, pattern = case
    fm_line(call(function, *args(industry_excess.iloc[:120], ff_monthly[FF3].iloc[:120])), function, pattern)
