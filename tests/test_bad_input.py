"""The bad-input catalogue: each case gives its documented #FM! line or a documented sensible value.

Inputs are Excel-shaped (tuples of rows holding floats, None, text, bools,
datetimes and COM error codes) built from the real monthly Fama-French data;
sensible values are checked against statsmodels on the rows that should be used.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from xl_factor.sheet.catalogue import call
from excel_shapes import ERROR_CODES, NA, excel_range, set_cell

N = 120  # months of data used by the cases


@pytest.fixture(scope="module")
def data(ff_monthly):
    frame = ff_monthly.iloc[:N]
    return {
        "y": (frame["NoDur"] - frame["RF"]).rename("NoDur"),
        "y2": frame[["NoDur", "Durbl"]].sub(frame["RF"], axis=0),
        "f": frame[["MktRF"]],
        "f3": frame[["MktRF", "SMB", "HML"]],
    }


def ols_beta(y: pd.Series, f: pd.DataFrame) -> np.ndarray:
    joined = pd.concat([y, f], axis=1).dropna()
    return sm.OLS(joined.iloc[:, 0], sm.add_constant(joined.iloc[:, 1:])).fit().params.to_numpy()[1:]


def fm_line(result, function: str, pattern: str) -> None:
    assert isinstance(result, str), f"expected an #FM! line, got {result!r}"
    assert result.startswith(f"#FM! {function}: "), result
    assert "\n" not in result and "Traceback" not in result and "internal error" not in result, result
    assert re.search(pattern, result), f"{result!r} does not match {pattern!r}"


def with_hole(y: pd.Series, rows, cell) -> tuple:
    value = excel_range(y)
    for r in rows:
        value = set_cell(value, r + 1, 1, cell)
    return value


def dropped(y: pd.Series, rows) -> pd.Series:
    out = y.copy()
    out.iloc[list(rows)] = np.nan
    return out


# ---- missing values read as missing: the sensible value is the regression on the other rows ----

MISSING_CELLS = [None, "", "n/a", "text mid-column", True, False] + list(ERROR_CODES)


@pytest.mark.parametrize("cell", MISSING_CELLS, ids=lambda c: repr(c))
def test_missing_cells_drop_their_rows(data, cell):
    rows = [3, 40, 77]
    result = call("FM_BETA", with_hole(data["y"], rows, cell), excel_range(data["f"]))
    assert result == pytest.approx(ols_beta(dropped(data["y"], rows), data["f"])[0], rel=1e-10)


def test_text_that_reads_as_a_number_is_still_text(data):
    result = call("FM_BETA", with_hole(data["y"], [5], "0.01"), excel_range(data["f"]))
    assert result == pytest.approx(ols_beta(dropped(data["y"], [5]), data["f"])[0], rel=1e-10)


def test_missing_factor_row_drops_the_row_for_every_asset(data):
    factors = set_cell(excel_range(data["f3"]), 10, 2, None)
    betas = np.asarray(call("FM_BETA", excel_range(data["y2"]), factors))
    f = data["f3"].copy()
    f.iloc[9, 1] = np.nan
    for i, name in enumerate(data["y2"].columns):
        np.testing.assert_allclose(betas[i], ols_beta(data["y2"][name], f), rtol=1e-10)


def test_unsorted_dates_are_matched_by_date(data):
    shuffled = data["y"].sample(frac=1.0, random_state=1)
    result = call("FM_BETA", excel_range(shuffled), excel_range(data["f"]))
    assert result == pytest.approx(ols_beta(data["y"], data["f"])[0], rel=1e-10)


def test_longer_factor_history_is_matched_by_date(data, ff_monthly):
    result = call("FM_BETA", excel_range(data["y"].iloc[20:60]), excel_range(ff_monthly[["MktRF"]]))
    assert result == pytest.approx(ols_beta(data["y"].iloc[20:60], data["f"].iloc[20:60])[0], rel=1e-10)


def test_dates_in_only_one_argument_match_by_position(data):
    result = call("FM_BETA", excel_range(data["y"]), excel_range(data["f"], dates=False))
    assert result == pytest.approx(ols_beta(data["y"], data["f"])[0], rel=1e-10)


def test_serial_number_dates_match_datetime_dates(data):
    serial = tuple(
        (("Date",) + r[1:]) if i == 0 else ((r[0] - dt.datetime(1899, 12, 30)).days * 1.0,) + r[1:]
        for i, r in enumerate(excel_range(data["f"]))
    )
    result = call("FM_BETA", excel_range(data["y"].iloc[::-1]), serial)
    assert result == pytest.approx(ols_beta(data["y"], data["f"])[0], rel=1e-10)


def test_zero_position_gives_a_zero_hedge_and_pnl(data):
    hedge = call("FM_HEDGE", 0.0, excel_range(data["y"]), excel_range(data["f3"]))
    assert np.allclose(np.asarray(hedge, dtype=float), 0.0)
    pnl = call("FM_PNL", 0, excel_range(data["y"]), excel_range(data["f3"]), 21)
    assert np.allclose(np.asarray(pnl, dtype=float), 0.0)


def test_target_share_already_met_gives_no_hedge(data):
    share = float(np.asarray(call("FM_RISKSHARE", excel_range(data["y"]), excel_range(data["f"])))[0, 0])
    hedge = call("FM_HEDGE", 1e6, excel_range(data["y"]), excel_range(data["f"]), min(share + 0.05, 0.99))
    assert np.asarray(hedge, dtype=float).ravel().tolist() == [0.0]


def test_constant_returns_get_their_own_refusal_and_the_others_a_sharpe(data):
    value = excel_range(pd.DataFrame({"flat": 0.001, "NoDur": data["y"]}, index=data["y"].index))
    sharpe = call("FM_SHARPE", value)
    fm_line(sharpe[0, 0], "FM_SHARPE", r"returns: 'flat' does not vary")
    assert sharpe[0, 1] == pytest.approx(data["y"].mean() / data["y"].std(ddof=1), rel=1e-10)


def test_omitted_optional_arguments_take_their_defaults(data):
    y, f = excel_range(data["y"]), excel_range(data["f"])
    assert call("FM_BETA", y, f, None) == call("FM_BETA", y, f, True) == call("FM_BETA", y, f, -2147352572)


# ---- refusals: one #FM! line naming the function and the argument, saying what to do ----

def _y(d):
    return excel_range(d["y"])


def _f(d):
    return excel_range(d["f"])


REFUSALS = [
    ("header only", "FM_BETA", lambda d: ((None, "NoDur"),), _f, r"asset has a header but no data rows"),
    ("one row", "FM_BETA", lambda d: excel_range(d["y"].iloc[:1]), _f, r"asset: 'NoDur' has 1 rows.*at least 3"),
    ("two rows", "FM_BETA", lambda d: excel_range(d["y"].iloc[:2]), _f, r"2 rows.*at least 3"),
    ("mismatched lengths, no dates", "FM_BETA", lambda d: excel_range(d["y"], dates=False),
     lambda d: excel_range(d["f"].iloc[:-1], dates=False), r"asset has 120 rows but factors has 119 and neither has dates"),
    ("mismatched lengths, dates in one", "FM_BETA", _y, lambda d: excel_range(d["f"].iloc[:-1], dates=False),
     r"only asset has dates"),
    ("duplicated dates", "FM_BETA", lambda d: excel_range(pd.concat([d["y"], d["y"].iloc[:1]])), _f,
     r"asset: date 1949-01-01 appears more than once"),
    ("no overlapping dates", "FM_BETA", _y, lambda d: excel_range(d["f"].set_axis(d["f"].index + pd.DateOffset(years=50))),
     r"no date in common"),
    ("constant factor", "FM_BETA", _y,
     lambda d: excel_range(d["f3"].assign(SMB=0.01)), r"factors: factor 'SMB' is constant"),
    ("collinear factors", "FM_BETA", _y,
     lambda d: excel_range(d["f3"].assign(HML=d["f3"]["MktRF"] * 2 - d["f3"]["SMB"])), r"factors: .*collinear"),
    ("inf", "FM_BETA", lambda d: with_hole(d["y"], [4], math.inf), _f, r"asset: .*'NoDur' has an infinite value in row 5"),
    ("1e300", "FM_BETA", lambda d: with_hole(d["y"], [4], 1e300), _f, r"asset: .*too large"),
    ("empty range", "FM_BETA", lambda d: (), _f, r"asset: the range is empty"),
    ("single-row range", "FM_BETA", lambda d: ((0.01, 0.02, 0.03, -0.01),), _f, r"asset is a single row.*TRANSPOSE"),
    ("all text column", "FM_BETA", lambda d: tuple(r if i == 0 else (r[0], "x") for i, r in enumerate(_y(d))), _f,
     r"asset has no values"),
    ("percent-looking asset", "FM_BETA", lambda d: excel_range(d["y"] * 100), _f, r"asset: column 'NoDur' looks like percent.*divide"),
    ("percent-looking factor", "FM_BETA", _y, lambda d: excel_range(d["f"] * 100), r"factors: column '\w+' looks like percent"),
    ("two asset columns for FM_REGRESS", "FM_REGRESS", lambda d: excel_range(d["y2"]), _f, r"one asset column"),
    ("two asset columns for FM_HEDGE", "FM_HEDGE", lambda d: 1e6, lambda d: (excel_range(d["y2"]), _f(d)),
     r"one asset column"),
]


@pytest.mark.parametrize("case", REFUSALS, ids=[c[0] for c in REFUSALS])
def test_refusals(data, case):
    _, function, first, second, pattern = case
    rest = second(data)
    args = (first(data),) + (rest if isinstance(rest, tuple) and function == "FM_HEDGE" else (rest,))
    fm_line(call(function, *args), function, pattern)


OPTION_REFUSALS = [
    ("negative horizon", "FM_SIZE", (1e6, 0.0004, -21), r"horizon_periods must be a positive number"),
    ("zero horizon", "FM_SIZE", (1e6, 0.0004, 0), r"horizon_periods must be a positive number"),
    ("zero variance", "FM_SIZE", (1e6, 0.0, 21), r"variance must be positive"),
    ("shape mismatch", "FM_SIZE", (((1.0,), (2.0,)), ((0.1,), (0.2,), (0.3,)), 1), r"same shape"),
    ("target share 1", "FM_HEDGE", ("pos", 1.0), r"target_share must be at least 0 and below 1"),
    ("target share negative", "FM_HEDGE", ("pos", -0.1), r"target_share must be at least 0 and below 1"),
    ("position as text", "FM_HEDGE", ("abc", 0.0), r"position must be a number, got the text 'abc'"),
    ("position as a range", "FM_HEDGE", (((1.0,), (2.0,)), 0.0), r"position must be a single cell"),
    ("position #N/A", "FM_HEDGE", (NA, 0.0), r"position must be a number, got #N/A"),
    ("position TRUE", "FM_HEDGE", (True, 0.0), r"position must be a number, got TRUE"),
    ("cov_type unknown", "FM_REGRESS", ("cov", "robust"), r"cov_type must be one of nonrobust, HC0"),
    ("hac_lags negative", "FM_REGRESS", ("cov", "HAC", -1), r"hac_lags must be a whole number"),
    ("hac_lags fractional", "FM_REGRESS", ("cov", "HAC", 2.5), r"hac_lags must be a whole number"),
    ("add_constant text", "FM_BETA", ("add", "maybe"), r"add_constant must be TRUE or FALSE"),
    ("covmat method", "FM_COVMAT", ("method", "ledoit"), r"method must be factor, sample or shrink"),
    ("annualize kind", "FM_ANNUALIZE", (0.01, "median", 12), r"kind must be one of mean, var, vol"),
    ("annualize zero periods", "FM_ANNUALIZE", (0.01, "mean", 0), r"periods_per_year must be a positive number"),
    ("annualize negative vol", "FM_ANNUALIZE", (-0.01, "vol", 252),
     r"value holds -0\.01: a volatility cannot be negative"),
    ("annualize negative vol in a range", "FM_ANNUALIZE", (((0.01, -0.02),), " VOL", 12),
     r"value holds -0\.02 in row 1, column 2: a volatility cannot be negative"),
    ("size bad horizon over a range", "FM_SIZE", (((1e6, 2e6),), ((0.0004, 0.0009),), -1.0),
     r"^#FM! FM_SIZE: horizon_periods must be a positive number"),
    ("excess negative rate keeps its sign", "FM_EXCESS", ("rf", -0.75), r"rf looks like percent: -0\.75 a period"),
    ("paramcount zero", "FM_PARAMCOUNT", (0,), r"n_assets must be a whole number"),
    ("paramcount fraction", "FM_PARAMCOUNT", (2.5, 1), r"n_assets must be a whole number"),
    ("paramcount text", "FM_PARAMCOUNT", ("ten",), r"n_assets must be a number, got the text 'ten'"),
    ("riskshare hedge length", "FM_RISKSHARE", ("hedge", ((-1.0, 0.5),)), r"hedge has 2 values but there are 1 factors"),
    ("excess rf rows", "FM_EXCESS", ("rf", ((0.001,), (0.002,))), r"returns has 120 rows but rf has 2"),
    ("excess rf text", "FM_EXCESS", ("rf", "zero"), r"rf must be a number"),
    ("returns negative price", "FM_RETURNS", (((10.0,), (-1.0,), (11.0,)),), r"prices must be positive"),
    ("returns one price", "FM_RETURNS", (5.0,), r"at least two prices"),
    ("too many arguments", "FM_INFO", (1,), r"takes at most 0 arguments"),
    ("alpha periods text", "FM_ALPHA", ("ppy", "monthly"), r"periods_per_year must be a number"),
    ("sharpe single row", "FM_SHARPE", (((0.01, 0.02),),), r"returns is a single row"),
]


def _option_args(data, function, spec):
    y, f = excel_range(data["y"]), excel_range(data["f"])
    tag = spec[0]
    if function in ("FM_SIZE", "FM_ANNUALIZE", "FM_PARAMCOUNT", "FM_RETURNS", "FM_INFO", "FM_SHARPE"):
        return spec
    if function == "FM_HEDGE":
        position, share = (1e6, spec[1]) if tag == "pos" else spec
        return (position, y, f, share)
    if function in ("FM_REGRESS", "FM_BETA", "FM_ALPHA", "FM_RISKSHARE", "FM_COVMAT"):
        return (y, f) + tuple(spec[1:])
    if function == "FM_EXCESS":
        return (y, spec[1])
    raise AssertionError(function)


@pytest.mark.parametrize("case", OPTION_REFUSALS, ids=[c[0] for c in OPTION_REFUSALS])
def test_option_refusals(data, case):
    _, function, spec, pattern = case
    fm_line(call(function, *_option_args(data, function, spec)), function, pattern)


def test_annualize_var_takes_a_covariance_matrix_with_its_negative_entries(data):
    """kind var annualises covariances too (as FM_COVMAT's periods_per_year does): negative off the diagonal."""
    cov = np.cov(np.column_stack([data["y"].to_numpy().ravel(), data["f"].to_numpy().ravel()]), rowvar=False)
    cov[0, 1] = cov[1, 0] = -abs(cov[0, 1])
    got = call("FM_ANNUALIZE", tuple(map(tuple, cov.tolist())), "var", 12)
    np.testing.assert_allclose(np.asarray(got, dtype=float), cov * 12, rtol=1e-15)


def test_size_refuses_only_the_cells_it_cannot_size():
    """FM_SIZE works cell by cell, as a sheet formula would: a variance of 0 shows its line in its own cell, named by
    its place, and the other cells get budget / sqrt(variance x horizon); it once refused the whole range."""
    got = call("FM_SIZE", ((1e6, 2e6, 1e6),), ((0.0004, 0.0001, 0.0),), 21)
    np.testing.assert_allclose([got[0][0], got[0][1]], [1e6 / np.sqrt(0.0004 * 21), 2e6 / np.sqrt(0.0001 * 21)],
                               rtol=1e-15)
    fm_line(got[0][2], "FM_SIZE", r"variance must be positive .* \(row 1, column 3\)")


def test_catalogue_has_at_least_forty_cases():
    assert len(MISSING_CELLS) + len(REFUSALS) + len(OPTION_REFUSALS) + 10 >= 40


@pytest.mark.parametrize("step_days,refused", [(1, True), (7, False), (None, False)])
def test_the_annual_percent_test_reads_the_frequency_only_where_it_can_refuse(step_days, refused):
    """A typical size of 0.13 a period is 2.06 a year daily (refused), 0.94 weekly and unknown undated (kept)."""
    rng = np.random.default_rng(3)
    f = rng.normal(0.0, 0.05, 300)  # factors of a similar size, so the scale test does not speak first
    y = 0.13 * np.sign(rng.normal(size=300)) * (1 + 0.1 * rng.random(300))
    if step_days is None:
        asset, factors = [[v] for v in y], [[v] for v in f]
    else:
        days = [dt.datetime(2015, 1, 5) + dt.timedelta(days=step_days * i) for i in range(300)]
        asset = [[d, v] for d, v in zip(days, y)]
        factors = [[d, v] for d, v in zip(days, f)]
    result = call("FM_BETA", asset, factors)
    if refused:
        assert isinstance(result, str) and result.startswith("#FM! FM_BETA") and "percent" in result
        assert "typical size 0.13" in result
    else:
        expected = sm.OLS(y, sm.add_constant(f)).fit().params[1]
        assert abs(float(np.asarray(result).ravel()[0]) - expected) < 1e-10


@pytest.mark.parametrize("big", [10**400, 2**1024 - 1, -(10**400)])
@pytest.mark.parametrize("where", ["asset", "factors", "FM_DATA"])
def test_a_whole_number_beyond_a_double_is_refused_in_one_line(data, big, where):
    """Python (xlwings Lite, a script) can hand over ints no double holds: refused by name, never an internal error."""
    asset, factors = excel_range(data["y"]), excel_range(data["f"])
    if where == "factors":
        factors = set_cell(factors, 6, 1, big)
    else:
        asset = set_cell(asset, 6, 1, big)
    if where == "FM_DATA":
        asset = call("FM_DATA", asset)
        assert asset.startswith("FM_DATA:")
    result = call("FM_BETA", asset, factors)
    assert isinstance(result, str) and result.startswith("#FM! FM_BETA: "), result
    assert "internal error" not in result and ("infinite" in result or "-inf" in result)
    assert "'" in result  # the column is named


@pytest.mark.parametrize("every", [4, 7])
@pytest.mark.parametrize("function", ["FM_BETA", "FM_ALPHA", "FM_RISKSHARE"])
def test_percent_on_rows_the_size_sample_skips_is_refused(function, every):
    """The typical size is read on an even sample of rows (every 4th of 2,048). An asset whose values all sit
    between the sampled rows, in percent, is measured on all its rows and refused, not fitted (the beta was 116
    where the decimals give 1.16)."""
    rng = np.random.default_rng(every)
    days = [dt.datetime(2010, 1, 1) + dt.timedelta(days=i) for i in range(2048)]
    factor = rng.normal(0, 0.01, len(days))
    percent = 100 * (1.2 * factor + rng.normal(0, 0.01, len(days)))
    asset = [(None, "A")] + [(d, float(v) if i % every == 1 else None) for i, (d, v) in enumerate(zip(days, percent))]
    factors = [(None, "Mkt")] + [(d, float(v)) for d, v in zip(days, factor)]
    result = call(function, asset, factors)
    assert isinstance(result, str) and "column 'A' looks like percent" in result, result
    decimals = [asset[0]] + [(d, None if v is None else v / 100) for d, v in asset[1:]]
    beta = call("FM_BETA", decimals, factors)
    present = [i for i in range(len(days)) if i % every == 1]
    expected = sm.OLS(percent[present] / 100, sm.add_constant(factor[present])).fit().params[1]
    assert abs(float(np.asarray(beta)[0, 0]) - expected) <= 1e-10 * abs(expected)


@pytest.mark.parametrize("add_constant", [True, False])
def test_factors_never_all_present_on_one_row_say_so_without_a_warning(add_constant):
    """Two factors that alternate (one on even rows, the other on odd) leave no row to fit on: one line that
    says so, and no numpy warning on the way (in Excel it lands in the log; under -W error it was an internal
    error)."""
    rng = np.random.default_rng(0)
    asset = [(float(x),) for x in rng.normal(0, 0.01, 40)]
    asset[3] = (None,)  # ragged, so the masked fit runs
    factors = [((float(x) if i % 2 else None), (None if i % 2 else float(y)))
               for i, (x, y) in enumerate(rng.normal(0, 0.01, (40, 2)))]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = call("FM_BETA", asset, factors, add_constant)
    assert result.startswith("#FM! FM_BETA: asset: 'asset1' has 0 rows with the asset and every factor present"), result
