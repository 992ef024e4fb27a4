"""Hostile input against data keys (FM_DATA), content-interned small ranges, results out and the date match.

A fresh pair of eyes sends what a spreadsheet user does: keys with stray
spaces, in the wrong argument, in a range of two, keys of keys; cells that
parse the same (FALSE and a blank, ``Decimal('0.1')`` and ``0.1``) and cells
that do not (``-0.0`` and ``0.0``, ``FALSE`` and ``0.0``); dates newest first
in one range and shuffled in the other, blank date cells, time zones, dates
pandas cannot hold in nanoseconds; a store that evicts while threads store and
read; ranges either side of the 5,000-cell interning threshold; labelled
results with text labels ``inf`` and numbers equal to infinity. Every number
is checked against statsmodels, or against the same call on the plain range
where that is what the case is about. The pass found five defects, each
now fixed and tested here: dates after 2262 ended in an internal error, a
table too big for the key store got a key that was stale at once, a range
of two key cells and a key in a 1 x 1 numpy array were read as text, and a
numpy datetime in a result left as nanoseconds.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from excel_shapes import excel_range, set_cell
from xl_factor.sheet import data_keys
from xl_factor.sheet.cache import TABLES, Bounded, SMALL_RANGE, clear_all, table_bytes
from xl_factor.sheet.catalogue import call
from xl_factor.sheet.cells import as_cells
from xl_factor.sheet.data_keys import KEYS
from xl_factor.sheet.failures import finish
from xl_factor.sheet.values import parse_table

RTOL = 1e-10
TESTS = Path(__file__).resolve().parent
CHECK = TESTS / "xlwings_windows_check.py"


# ---------------------------------------------------------------------------
# Data and independent references
# ---------------------------------------------------------------------------

@pytest.fixture
def monthly(industry_excess, ff_monthly):
    """Three industries and the three Fama-French factors over 240 months, as frames."""
    return industry_excess[["NoDur", "Enrgy", "Hlth"]].iloc[-240:], ff_monthly[["MktRF", "SMB", "HML"]].iloc[-240:]


def ols_betas(y: pd.DataFrame, x: pd.DataFrame, constant: bool = True) -> np.ndarray:
    """statsmodels OLS betas (N x K) of each column of y on x over the dates both have, per asset's present rows."""
    out = []
    for name in y.columns:
        frame = y[[name]].join(x, how="inner").dropna()
        design = sm.add_constant(frame[x.columns]) if constant else frame[x.columns]
        params = sm.OLS(frame[name], design).fit().params.to_numpy()
        out.append(params[1:] if constant else params)
    return np.array(out)


def key(cells) -> str:
    k = call("FM_DATA", cells)
    assert isinstance(k, str) and k.startswith("FM_DATA:"), k
    return k


def one_line(result, function: str, argument: str) -> str:
    """``result`` is one #FM! line of ``function`` naming ``argument``."""
    assert isinstance(result, str), result
    assert result.startswith(f"#FM! {function}: {argument}"), result
    assert "\n" not in result and "Traceback" not in result and "internal error" not in result, result
    return result


def numbers(result) -> np.ndarray:
    assert not isinstance(result, str), result
    return np.asarray(result, dtype=float)


def blank_nan(cells: tuple) -> tuple:
    """NaN as a blank cell, as Excel hands an empty cell over."""
    return tuple(tuple(None if isinstance(c, float) and c != c else c for c in row) for row in cells)


# ---------------------------------------------------------------------------
# The key's text: spaces, case, wrapping, a range of two keys
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("dress", [
    lambda k: k + "   ", lambda k: "  " + k, lambda k: "\u00a0" + k + "\u00a0", lambda k: k + "\n", lambda k: k + "\t",
    lambda k: ((k,),), lambda k: [[k + " "]], lambda k: (k,),
], ids=["trailing", "leading", "nbsp", "newline", "tab", "1x1 tuple", "1x1 list", "1-tuple"])
def test_a_key_with_stray_spaces_or_in_a_one_cell_range_is_the_range(monthly, dress):
    y, x = monthly
    asset, factors = blank_nan(excel_range(y)), excel_range(x)
    got = numbers(call("FM_BETA", dress(key(asset)), dress(key(factors))))
    np.testing.assert_allclose(got, ols_betas(y, x), rtol=RTOL)


def test_a_key_in_a_one_cell_numpy_array_is_the_range(monthly):
    y, x = monthly
    wrap = lambda k: np.array([[k]], dtype=object)
    got = numbers(call("FM_BETA", wrap(key(excel_range(y))), wrap(key(excel_range(x)))))
    np.testing.assert_allclose(got, ols_betas(y, x), rtol=RTOL)


def test_a_key_with_doubled_space_or_cut_short_is_refused_by_name(monthly):
    """(An upper-case key is the same key: test_data_keys.py.)"""
    y, x = monthly
    k, factors = key(excel_range(y)), excel_range(x)
    for broken in (k.replace(" ", "  "), k.replace("FM_DATA:", "FM_DATA: "), k[:-1]):
        line = one_line(call("FM_BETA", broken, factors), "FM_BETA", "asset")
        assert "not a whole FM_DATA key" in line or "does not have" in line, line


def test_keys_of_keys_are_the_key_and_give_the_range_numbers(monthly):
    y, x = monthly
    asset = blank_nan(excel_range(y))
    k = key(asset)
    assert call("FM_DATA", k) == k
    assert call("FM_DATA", ((k + " ",),)) == k
    assert call("FM_DATA", call("FM_DATA", ((k,),))) == k
    np.testing.assert_allclose(numbers(call("FM_BETA", call("FM_DATA", k), excel_range(x))), ols_betas(y, x),
                               rtol=RTOL)


@pytest.mark.parametrize("layout", ["2x1", "1x2"])
def test_a_range_of_two_keys_is_refused_saying_one_key_cell(monthly, layout):
    y, x = monthly
    a, f = key(excel_range(y)), key(excel_range(x))
    two = ((a,), (f,)) if layout == "2x1" else ((a, f),)
    line = call("FM_BETA", two, f)
    assert isinstance(line, str) and line.startswith("#FM! FM_BETA: asset") and "key" in line.lower(), line


@pytest.mark.parametrize("name, args, argument", [
    ("FM_HEDGE", ("{a}", "{n}", "{f}"), "position"),
    ("FM_PNL", (1e6, "{n}", "{f}", "{a}"), "horizon_periods"),
    ("FM_ROLLING_BETA", ("{n}", "{f}", "{a}"), "window"),
    ("FM_EWMA_BETA", ("{n}", "{f}", "{a}"), "halflife"),
    ("FM_ALPHA", ("{n}", "{f}", "{a}"), "periods_per_year"),
    ("FM_REGRESS", ("{n}", "{f}", "HAC", "{a}"), "hac_lags"),
    ("FM_PCA", ("{a}", "{a}"), "k"),
    ("FM_RISKCONTRIB", ("{a}", "{a}", "{f}"), "weights"),
    ("FM_BOOKHEDGE", ("{a}", "{a}", "{f}"), "positions"),
    ("FM_SIZE", ("{a}", 0.001), "vol_budget"),
    ("FM_ADJBETA", ("{a}",), "beta"),
    ("FM_BETA", ("{n}", "{f}", "{a}"), "add_constant"),
    ("FM_REGRESS", ("{n}", "{f}", "{a}"), "cov_type"),
    ("FM_COVMAT", ("{a}", "{f}", "{a}"), "method"),
])
def test_a_key_in_a_numbers_option_or_bool_argument_is_refused_naming_that_argument(monthly, name, args, argument):
    y, x = monthly
    keys = {"{a}": key(excel_range(y)), "{n}": key(excel_range(y[["NoDur"]])), "{f}": key(excel_range(x))}
    cells = [keys.get(a, a) if isinstance(a, str) else a for a in args]
    one_line(call(name, *cells), name, argument)


def test_a_key_as_rf_is_the_rf_range(monthly, ff_monthly):
    y, _ = monthly
    rf = ff_monthly[["RF"]].iloc[-240:]
    newest_rf = _reorder(excel_range(rf), np.arange(len(rf))[::-1])
    got = call("FM_EXCESS", key(excel_range(y)), key(newest_rf))
    assert not isinstance(got, str), got
    got = np.asarray(got, dtype=object)
    assert got.shape == (241, 4) and got[0].tolist() == ["Date", "NoDur", "Enrgy", "Hlth"]
    np.testing.assert_allclose(got[1:, 1:].astype(float), y.to_numpy() - rf.to_numpy(), rtol=RTOL)
    assert got[1:, 0].astype(float).tolist() == ((y.index - pd.Timestamp("1899-12-30")).days.astype(float)).tolist()
    one_cell = call("FM_EXCESS", key(excel_range(y)), ((key(newest_rf) + " ",),))
    assert np.asarray(one_cell, dtype=object).tolist() == got.tolist()


def test_another_cells_error_line_in_a_one_cell_range_says_fix_that_cell(monthly):
    _, x = monthly
    line = call("FM_DATA", (("Date", "A"), (None, None)))
    for given in (line, ((line,),), "  " + line):
        assert "fix that cell first" in one_line(call("FM_DATA", given), "FM_DATA", "data")
        assert "fix that cell first" in one_line(call("FM_BETA", given, excel_range(x)), "FM_BETA", "asset")
        assert "fix that cell first" in one_line(call("FM_EXCESS", excel_range(x), given), "FM_EXCESS", "rf")


# ---------------------------------------------------------------------------
# What FM_DATA takes
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("cells, says", [
    ((("Date", "A"), ("x", "y")), "holds no numbers"),
    ((("Date", "A"),), "has a header but no data rows"),
    ("just text", "has a header but no data rows"),
    (True, "holds no numbers"),
    (((None, None), (None, None)), "holds no numbers"),
])
def test_fm_data_refuses_ranges_without_numbers_in_one_line(cells, says):
    assert says in one_line(call("FM_DATA", cells), "FM_DATA", "data")


def test_fm_data_of_one_cell_and_of_huge_numbers_keys_them_and_the_use_refuses_by_size(monthly):
    y, x = monthly
    assert key(0.5) == key(((0.5,),)) and key(0.5).endswith(" 1x1")
    assert key(0.5) != key(((0.25,),))
    huge = set_cell(excel_range(y), 5, 1, 1e300)
    line = one_line(call("FM_BETA", key(huge), excel_range(x)), "FM_BETA", "asset")
    assert line == call("FM_BETA", huge, excel_range(x)) and "1e+300" in line
    infinite = set_cell(excel_range(y), 5, 1, float("inf"))
    line = one_line(call("FM_BETA", key(infinite), excel_range(x)), "FM_BETA", "asset")
    assert line == call("FM_BETA", infinite, excel_range(x)) and "infinite" in line
    decimal_inf = set_cell(excel_range(y), 5, 1, Decimal("1e400"))  # beyond a double: read as infinity
    assert key(decimal_inf) == key(infinite)


# ---------------------------------------------------------------------------
# Cells that parse the same share a key; cells that do not never do
# ---------------------------------------------------------------------------

def test_cells_that_parse_the_same_share_the_key_and_the_numbers(monthly):
    y, x = monthly
    base = excel_range(y)
    cell = base[7][2]
    assert key(set_cell(base, 7, 2, Decimal(repr(cell)))) == key(base)
    assert key(set_cell(base, 7, 2, np.float64(cell))) == key(base)
    assert key(set_cell(base, 7, 2, Decimal("0.1"))) == key(set_cell(base, 7, 2, 0.1))
    assert key(set_cell(base, 7, 2, Decimal("0.1000000000000000055511151231257827"))) == key(set_cell(base, 7, 2, 0.1))
    blank, false, nan, na = (key(set_cell(base, 7, 2, c)) for c in (None, False, float("nan"), -2146826246))
    assert blank == false == nan == na, "FALSE, NaN and #N/A cells are missing, as a blank is"
    frame = y.copy()
    frame.iloc[6, 1] = np.nan
    np.testing.assert_allclose(numbers(call("FM_BETA", false, excel_range(x))), ols_betas(frame, x), rtol=RTOL)


def test_cells_that_parse_differently_never_share_a_key(monthly):
    y, x = monthly
    base = excel_range(y)
    cells = {"zero": 0.0, "negzero": -0.0, "false": False, "true": True, "one": 1.0}
    keys = {name: key(set_cell(base, 7, 2, cells[name])) for name in cells}
    assert keys["zero"] != keys["negzero"], "-0.0 and 0.0 differ bit for bit"
    assert keys["zero"] != keys["false"] and keys["one"] != keys["true"], "a logical is missing, not a number"
    assert keys["true"] == keys["false"]
    nxt = np.nextafter(base[7][2], 1.0)
    assert key(set_cell(base, 7, 2, nxt)) != key(base), "one ulp is a new key"
    # The keyed numbers follow the parse: 0.0 and FALSE differ, each as statsmodels has it.
    zero, missing = y.copy(), y.copy()
    zero.iloc[6, 1], missing.iloc[6, 1] = 0.0, np.nan
    np.testing.assert_allclose(numbers(call("FM_BETA", keys["zero"], excel_range(x))), ols_betas(zero, x), rtol=RTOL)
    np.testing.assert_allclose(numbers(call("FM_BETA", keys["false"], excel_range(x))), ols_betas(missing, x),
                               rtol=RTOL)
    assert numbers(call("FM_BETA", keys["negzero"], excel_range(x))).tolist() == \
        numbers(call("FM_BETA", keys["zero"], excel_range(x))).tolist()


@pytest.mark.parametrize("rows, cols", [(2500, 2), (1667, 3), (2501, 2), (1250, 4)], ids=[
    "5000 cells", "5001 cells", "5002 cells", "exactly 5000, no dates"])
def test_either_side_of_the_interning_threshold_same_content_same_answers(daily_returns, rows, cols):
    dated = cols != 4
    frame = daily_returns.iloc[:rows - 1, :cols - 1] if dated else daily_returns.iloc[:rows - 1, :cols]
    market = daily_returns[["SP500"]].loc[frame.index]
    cells = blank_nan(excel_range(frame, dates=dated))
    assert len(cells) * len(cells[0]) == rows * cols
    factors = excel_range(market, dates=dated)
    want = ols_betas(frame, market) if dated else ols_betas(frame.reset_index(drop=True),
                                                             market.reset_index(drop=True))
    clear_all()
    first = numbers(call("FM_BETA", cells, factors))
    np.testing.assert_allclose(first, want, rtol=RTOL)
    again = numbers(call("FM_BETA", tuple(tuple(r) for r in cells), tuple(tuple(r) for r in factors)))
    assert again.tolist() == first.tolist()
    assert numbers(call("FM_BETA", key(cells), key(factors))).tolist() == first.tolist()
    # A FALSE where a number was (missing) and a 0.0 there (a number) both answer as statsmodels does.
    column = 1 if dated else 0
    as_false, as_zero = set_cell(cells, 10, column, False), set_cell(cells, 10, column, 0.0)
    missing, zero = frame.copy(), frame.copy()
    missing.iloc[9, 0], zero.iloc[9, 0] = np.nan, 0.0
    for variant, expected_frame in ((as_false, missing), (as_zero, zero)):
        got = numbers(call("FM_BETA", variant, factors))
        exp = ols_betas(expected_frame, market) if dated else ols_betas(expected_frame.reset_index(drop=True),
                                                                         market.reset_index(drop=True))
        np.testing.assert_allclose(got, exp, rtol=RTOL)
    # The first answer again: no variant left a stale table behind.
    assert numbers(call("FM_BETA", cells, factors)).tolist() == first.tolist()


def test_small_ranges_that_parse_the_same_are_one_table_and_big_ones_keep_their_cell_types():
    rng = np.random.default_rng(3)
    small = tuple((float(v),) for v in rng.normal(0, 0.01, SMALL_RANGE))
    with_false = set_cell(small, 3, 0, False)
    with_blank = set_cell(small, 3, 0, None)
    clear_all()
    parse = lambda raw: parse_table(raw, "asset")
    assert TABLES.get(with_false, parse) is TABLES.get(with_blank, parse), "same parse, one interned table"
    assert TABLES.get(set_cell(small, 3, 0, 0.0), parse) is not TABLES.get(with_blank, parse)
    big = small + ((0.001,),)
    big_false, big_zero = set_cell(big, 3, 0, False), set_cell(big, 3, 0, 0.0)
    a, b = TABLES.get(big_false, parse), TABLES.get(big_zero, parse)
    assert np.isnan(a.values[3, 0]) and b.values[3, 0] == 0.0


# ---------------------------------------------------------------------------
# Dates: either way round, shuffled, blank, repeated, time zones, far future
# ---------------------------------------------------------------------------

def _reorder(cells: tuple, order) -> tuple:
    return (cells[0],) + tuple(cells[1:][i] for i in order)


@pytest.mark.parametrize("asset_order, factor_order", [
    ("oldest", "newest"), ("newest", "oldest"), ("shuffled", "oldest"), ("oldest", "shuffled"),
    ("shuffled", "shuffled2"), ("newest", "newest"),
])
def test_identical_date_sets_in_any_order_match_by_date(monthly, asset_order, factor_order):
    y, x = monthly
    n = len(y)
    orders = {"oldest": np.arange(n), "newest": np.arange(n)[::-1],
              "shuffled": np.random.default_rng(1).permutation(n), "shuffled2": np.random.default_rng(2).permutation(n)}
    asset = _reorder(excel_range(y), orders[asset_order])
    factors = _reorder(excel_range(x), orders[factor_order])
    want = ols_betas(y, x)
    for a, f in ((asset, factors), (key(asset), key(factors)), (key(asset), factors)):
        np.testing.assert_allclose(numbers(call("FM_BETA", a, f)), want, rtol=RTOL)
    # The residuals stay on their own input rows, in the asset's row order.
    resid = numbers(call("FM_RESID", key(asset), key(factors)))
    fit = [sm.OLS(y.iloc[:, j], sm.add_constant(x)).fit().resid.to_numpy() for j in range(y.shape[1])]
    expected = np.column_stack(fit)[orders[asset_order]]
    assert resid.shape == y.shape
    np.testing.assert_allclose(resid, expected, rtol=1e-8, atol=1e-14)


@pytest.mark.parametrize("where", ["asset", "factors", "both"])
def test_a_repeated_date_is_still_refused_whatever_the_order(monthly, where):
    y, x = monthly
    asset, factors = excel_range(y), excel_range(x)
    newest = _reorder(factors, np.arange(len(x))[::-1])
    dup = lambda cells: set_cell(cells, 9, 0, cells[8][0])
    if where in ("asset", "both"):
        asset = dup(asset)
    if where in ("factors", "both"):
        factors = dup(factors)
        newest = dup(newest)
    for f in (factors, newest):
        for a_arg, f_arg in ((asset, f), (key(asset), key(f))):
            line = one_line(call("FM_BETA", a_arg, f_arg), "FM_BETA", "asset" if where != "factors" else "factors")
            assert "appears more than once" in line, line


@pytest.mark.parametrize("asset_blank, factor_blank", [([7], []), ([], [7]), ([7], [7]), ([7, 20], [7, 30]),
                                                       ([0], [0]), ([239], [239])])
def test_blank_date_cells_leave_their_rows_out(monthly, asset_blank, factor_blank):
    y, x = monthly
    asset, factors = excel_range(y), excel_range(x)
    for r in asset_blank:
        asset = set_cell(asset, r + 1, 0, None)
    for r in factor_blank:
        factors = set_cell(factors, r + 1, 0, None)
    keep_y = y.drop(y.index[asset_blank])
    keep_x = x.drop(x.index[factor_blank])
    want = ols_betas(keep_y, keep_x)
    for a, f in ((asset, factors), (key(asset), key(factors)),
                 (key(_reorder(asset, np.arange(len(y))[::-1])), key(factors))):
        np.testing.assert_allclose(numbers(call("FM_BETA", a, f)), want, rtol=RTOL)
    body = numbers(call("FM_RESID", key(asset), key(factors)))
    assert body.shape == y.shape
    gone = sorted(set(asset_blank) | set(factor_blank))
    assert np.isnan(body[gone]).all()
    fit = sm.OLS(keep_y.iloc[:, 0].loc[keep_x.index.intersection(keep_y.index)],
                 sm.add_constant(keep_x.loc[keep_x.index.intersection(keep_y.index)])).fit()
    kept = np.setdiff1d(np.arange(len(y)), gone)
    np.testing.assert_allclose(body[kept, 0], fit.resid.to_numpy(), rtol=1e-8, atol=1e-14)


def test_time_zone_aware_dates_are_read_at_their_wall_clock(monthly):
    y, x = monthly
    utc, est = dt.timezone.utc, dt.timezone(dt.timedelta(hours=-5))
    naive = excel_range(y)
    in_utc = tuple(r if i == 0 else (r[0].replace(tzinfo=utc),) + r[1:] for i, r in enumerate(naive))
    in_est = tuple(r if i == 0 else (r[0].replace(tzinfo=est),) + r[1:] for i, r in enumerate(excel_range(x)))
    mixed = (naive[0],) + tuple(r if i % 2 else (r[0].replace(tzinfo=est),) + r[1:]
                                for i, r in enumerate(naive) if i)
    assert key(in_utc) == key(naive) == key(mixed)
    np.testing.assert_allclose(numbers(call("FM_BETA", key(in_utc), key(in_est))), ols_betas(y, x), rtol=RTOL)


def test_iso_text_dates_and_datetime_cells_of_the_same_days_match(monthly):
    y, x = monthly
    iso = tuple(r if i == 0 else (r[0].date().isoformat(),) + r[1:] for i, r in enumerate(excel_range(x)))
    newest_iso = _reorder(iso, np.arange(len(x))[::-1])
    for f in (iso, newest_iso):
        np.testing.assert_allclose(numbers(call("FM_BETA", key(excel_range(y)), key(f))), ols_betas(y, x), rtol=RTOL)


@pytest.mark.parametrize("function", ["FM_DATA", "FM_BETA"])
def test_dates_past_2262_answer_or_are_refused_in_plain_words(monthly, function):
    y, x = monthly
    shift = lambda cells: tuple(r if i == 0 else (r[0].replace(year=r[0].year + 300),) + r[1:]
                                for i, r in enumerate(cells))
    asset, factors = shift(excel_range(y)), shift(excel_range(x))
    result = call("FM_DATA", asset) if function == "FM_DATA" else call("FM_BETA", asset, factors)
    assert not (isinstance(result, str) and "internal error" in result), result
    if function == "FM_BETA" and not isinstance(result, str):
        np.testing.assert_allclose(numbers(result), ols_betas(y, x), rtol=RTOL)


# ---------------------------------------------------------------------------
# The ragged masked fit through keys, with and without a constant
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("constant", [True, False])
def test_ragged_assets_through_keys_equal_statsmodels(industry_excess, ff_monthly, constant):
    y = industry_excess.iloc[-300:].copy()
    y.iloc[:120, 2] = np.nan  # a late listing
    y.iloc[::7, 5] = np.nan  # holes
    y.iloc[250:, 9] = np.nan  # delisted
    x = ff_monthly[["MktRF", "SMB", "HML"]].iloc[-300:].copy()
    x.iloc[40, 1] = np.nan  # a missing factor row
    got = numbers(call("FM_BETA", key(blank_nan(excel_range(y))), key(blank_nan(excel_range(x))), constant))
    np.testing.assert_allclose(got, ols_betas(y, x, constant), rtol=1e-9)


# ---------------------------------------------------------------------------
# The store: more than 256 keys, evictions, threads, a table bigger than the store
# ---------------------------------------------------------------------------

def test_more_keys_than_the_store_holds_drops_the_least_recently_used(monthly):
    y, x = monthly
    KEYS.clear()
    first = key(excel_range(y))
    touched = key(excel_range(y[["NoDur"]]))
    factors = excel_range(x)
    for i in range(KEYS.max_entries + 5):
        key(((0.001 * i + 0.0001,), (0.002,), (-0.001,)))
        if i % 50 == 0:
            assert not isinstance(call("FM_BETA", touched, factors), str)  # used: moves to the back
    assert len(KEYS) <= KEYS.max_entries
    assert "recalculate its FM_DATA cell" in one_line(call("FM_BETA", first, factors), "FM_BETA", "asset")
    np.testing.assert_allclose(numbers(call("FM_BETA", touched, factors)), ols_betas(y[["NoDur"]], x), rtol=RTOL)
    assert key(excel_range(y)) == first  # recalculating brings it back
    np.testing.assert_allclose(numbers(call("FM_BETA", first, factors)), ols_betas(y, x), rtol=RTOL)


def test_a_key_whose_table_left_the_range_cache_still_answers(monthly):
    y, x = monthly
    a, f = key(blank_nan(excel_range(y))), key(excel_range(x))
    TABLES.clear()
    clear_all()
    np.testing.assert_allclose(numbers(call("FM_BETA", a, f)), ols_betas(y, x), rtol=RTOL)
    np.testing.assert_allclose(numbers(call("FM_BETA", a, excel_range(x))), ols_betas(y, x), rtol=RTOL)


def test_threads_over_a_tiny_evicting_store_get_right_numbers_or_the_recalculate_line(monkeypatch, industry_excess,
                                                                                     ff_monthly):
    tiny = Bounded(3, 10**9, lambda k, t: len(k) + table_bytes(t))
    monkeypatch.setattr(data_keys, "KEYS", tiny)
    x = ff_monthly[["MktRF"]]
    windows = [industry_excess.iloc[12 * i: 12 * i + 120, :2] for i in range(8)]
    cells = [excel_range(w) for w in windows]
    want = [ols_betas(w, x) for w in windows]
    factors = excel_range(x)
    wrong, answered, stale = [], [0], [0]
    lock = threading.Lock()

    def work(i):
        for _ in range(25):
            k = call("FM_DATA", cells[i])
            got = call("FM_BETA", k, factors)
            with lock:
                if isinstance(got, str):
                    if "recalculate its FM_DATA cell" in got:
                        stale[0] += 1
                    else:
                        wrong.append(got)
                elif np.allclose(got, want[i], rtol=1e-9, atol=0):
                    answered[0] += 1
                else:
                    wrong.append((i, got))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not wrong
    assert answered[0] + stale[0] == 200 and answered[0] > 0
    assert len(tiny) <= 3 and tiny.nbytes == sum(len(k) + table_bytes(tiny.lookup(k)) for k in list(tiny._items))


def test_a_table_too_big_for_the_store_is_never_handed_out_as_a_dead_key(monkeypatch):
    small = Bounded(256, 4000, lambda k, t: len(k) + table_bytes(t))
    monkeypatch.setattr(data_keys, "KEYS", small)
    rng = np.random.default_rng(5)
    asset = tuple((float(v),) for v in rng.normal(0, 0.01, 600))  # 4,800 bytes of values
    factors = tuple((float(v),) for v in rng.normal(0, 0.01, 600))
    k = call("FM_DATA", asset)
    if isinstance(k, str) and k.startswith("#FM!"):
        assert "\n" not in k and "internal error" not in k  # refusing in plain words is an answer
        return
    result = call("FM_BETA", k, factors)
    assert not isinstance(result, str), result


def test_no_function_changes_the_table_a_key_holds(monthly, ff_monthly):
    y, x = monthly
    frame = y.copy()
    frame.iloc[::9, 1] = np.nan
    asset = blank_nan(excel_range(frame))
    a, f = key(asset), key(excel_range(x))
    rf = key(excel_range(ff_monthly[["RF"]].iloc[-240:]))
    held = KEYS.lookup(a).values.copy()
    for name, args in [("FM_BETA", (a, f)), ("FM_RESID", (a, f)), ("FM_HEDGED", (a, f)), ("FM_EXCESS", (a, rf)),
                       ("FM_RETURNS", (a,)), ("FM_SHARPE", (a, 12.0)), ("FM_COVMAT", (a, f, "shrink")),
                       ("FM_PCA", (a, 2.0, "factors")), ("FM_ROLLING_BETA", (a, f, 36.0)),
                       ("FM_EWMA_BETA", (a, f, 12.0)),
                       ("FM_GRS", (a, f)), ("FM_FAMAMACBETH", (a, f, "kernel")), ("FM_DIMSONBETA", (a, f, 2.0)),
                       ("FM_SWBETA", (a, key(excel_range(x[["MktRF"]])))), ("FM_VASICEKBETA", (a, f)),
                       ("FM_STRESS", (((1.0, 2.0, 3.0),), a, f)),
                       ("FM_BOOKHEDGE", (((1.0, 2.0, 3.0),), a, f, 0.2, rf))]:
        call(name, *args)
    after = KEYS.lookup(a).values
    assert np.array_equal(after, held, equal_nan=True) and call("FM_DATA", asset) == a
    np.testing.assert_allclose(numbers(call("FM_BETA", a, f)), ols_betas(frame, x), rtol=RTOL)


# ---------------------------------------------------------------------------
# Results out: as_cells and the overflow check
# ---------------------------------------------------------------------------

def test_as_cells_hands_numpy_scalars_over_as_python_ones_and_blanks_nan_and_none():
    array = np.array([["x", np.bool_(True), np.int64(3), np.float64(2.5), np.float64("nan"), None],
                      ["y", False, 7, 1.5, float("nan"), np.bool_(False)]], dtype=object)
    out = as_cells(array, blank="")
    assert out == [["x", True, 3, 2.5, "", ""], ["y", False, 7, 1.5, "", False]]
    assert [type(c) for c in out[0]] == [str, bool, int, float, str, str]
    assert [type(c) for c in out[1]] == [str, bool, int, float, str, bool]
    plain = np.array([["a", 1.0, None, float("nan"), True, 4, -0.0, float("inf")]], dtype=object)
    cells = as_cells(plain, blank=None)
    assert cells[0][:2] == ["a", 1.0] and cells[0][2] is None and cells[0][3] is None
    assert cells[0][4] is True and cells[0][5] == 4 and type(cells[0][5]) is int
    assert str(cells[0][6]) == "-0.0" and cells[0][7] == float("inf")
    assert as_cells(np.array([[np.int64(2), np.float32(0.5)]], dtype=object)) == [[2, 0.5]]


def test_as_cells_keeps_decimal_and_datetime_cells_as_they_are():
    when = dt.datetime(2020, 1, 31)
    out = as_cells(np.array([[Decimal("1.5"), when, "t"]], dtype=object))
    assert out == [[Decimal("1.5"), when, "t"]]


def test_as_cells_never_turns_a_numpy_date_into_nanoseconds():
    out = as_cells(np.array([[np.datetime64("2020-01-31", "ns")]], dtype=object))
    assert not isinstance(out[0][0], int), out


@pytest.mark.parametrize("label", ["inf", "-inf", "Infinity", "INF", "nan", "-Infinity"])
def test_a_series_labelled_inf_is_not_an_overflow(monthly, label):
    y, x = monthly
    named = y.rename(columns={"Enrgy": label})
    weights = ((0.5, 0.3, 0.2),)
    cases = [  # (function, args on the renamed keys, args on the plain ranges, the label shows)
        ("FM_VARDECOMP", (key(excel_range(named)), key(excel_range(x))), (excel_range(y), excel_range(x)), True),
        ("FM_RISKCONTRIB", (weights, key(excel_range(named)), key(excel_range(x))),
         (weights, excel_range(y), excel_range(x)), True),
        ("FM_ROLLING_BETA", (key(excel_range(named)), key(excel_range(x)), 60.0),
         (excel_range(y), excel_range(x), 60.0), False),
        ("FM_REGRESS", (key(excel_range(named[[label]])), key(excel_range(x))),
         (excel_range(y[["Enrgy"]]), excel_range(x)), False),
    ]
    for name, args, plain, shows in cases:
        got, ref = call(name, *args), call(name, *plain)
        assert not isinstance(got, str), got
        got, ref = np.asarray(got, dtype=object), np.asarray(ref, dtype=object)
        assert got.shape == ref.shape
        assert not shows or label in got.ravel().tolist()
        for g, r in zip(got.ravel(), ref.ravel()):
            if isinstance(r, float):
                assert isinstance(g, float) and (g == r or (np.isnan(g) and np.isnan(r))), (name, g, r)


@pytest.mark.parametrize("cell", [float("inf"), -float("inf"), np.float64("inf"), np.float64("-inf"),
                                  Decimal("Infinity"), Decimal("-Infinity")])
def test_a_number_equal_to_infinity_in_a_labelled_result_is_an_overflow(cell):
    table = np.array([["asset", "beta"], ["inf", 1.0], ["b", cell]], dtype=object)
    line = finish("FM_X", table)
    assert isinstance(line, str) and line.startswith("#FM! FM_X:") and "overflows to infinity" in line


def test_finite_extremes_and_text_in_a_labelled_result_are_not_overflows():
    table = np.array([["-inf", 1.7976931348623157e308], ["inf", -1.7976931348623157e308], [None, float("nan")],
                      [True, 5]], dtype=object)
    assert finish("FM_X", table) is table


def test_functions_that_overflow_say_so_and_finite_huge_ones_answer():
    assert "overflows to infinity" in call("FM_ANNUALIZE", 1e308, "mean", 12)
    assert "overflows to infinity" in call("FM_SIZE", 1e308, 1e-308)
    assert call("FM_ANNUALIZE", 1e300, "mean", 12) == pytest.approx(1.2e301, rel=1e-15)


# ---------------------------------------------------------------------------
# xlwings' real value path: COM dates (UTC), key cells, a range of keys
# ---------------------------------------------------------------------------

def _com_range(frame: pd.DataFrame, newest_first: bool) -> list:
    rows = [[None] + list(frame.columns)]
    index = list(range(len(frame)))[::-1] if newest_first else range(len(frame))
    for i in index:
        rows.append([{"$date": frame.index[i].date().isoformat()}] + [float(v) for v in frame.iloc[i]])
    return rows


def test_keys_through_xlwings_windows_value_path(monthly):
    y, x = monthly
    request = {
        "inputs": {"asset": _com_range(y, newest_first=True), "factors": _com_range(x, newest_first=False)},
        "calls": {
            "ka": {"func": "FM_DATA", "args": [{"$ref": "asset"}]},
            "kf": {"func": "FM_DATA", "args": [{"$range": {"$ref": "factors"}}]},
            "beta": {"func": "FM_BETA", "args": [{"$cell": "ka"}, {"$range": {"$cell": "kf"}}]},
            "beta_mixed": {"func": "FM_BETA", "args": [{"$cell": "ka"}, {"$ref": "factors"}]},
            "keyofkey": {"func": "FM_DATA", "args": [{"$range": {"$cell": "ka"}}]},
            "two_keys": {"func": "FM_BETA", "args": [[[{"$cell": "ka"}], [{"$cell": "kf"}]], {"$cell": "kf"}]},
            "key_window": {"func": "FM_ROLLING_BETA", "args": [{"$cell": "ka"}, {"$cell": "kf"}, {"$cell": "ka"}]},
        },
    }
    done = subprocess.run([sys.executable, str(CHECK)], input=json.dumps(request), capture_output=True, text=True,
                          cwd=TESTS.parent, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    cells = json.loads(done.stdout)["cells"]
    # COM hands dates over as UTC-aware datetimes: read at their wall clock, the key is the naive range's.
    newest = _reorder(excel_range(y), np.arange(len(y))[::-1])
    assert cells["ka"] == call("FM_DATA", newest)
    assert cells["kf"] == call("FM_DATA", excel_range(x))
    assert cells["keyofkey"] == cells["ka"]
    want = ols_betas(y, x)
    np.testing.assert_allclose(np.array(cells["beta"], dtype=float), want, rtol=RTOL)
    np.testing.assert_allclose(np.array(cells["beta_mixed"], dtype=float), want, rtol=RTOL)
    for name in ("two_keys", "key_window"):
        shown = cells[name]
        assert isinstance(shown, str) and shown.startswith("#FM! FM_") and "Unexpected Python Error" not in shown, shown
    assert cells["key_window"].startswith("#FM! FM_ROLLING_BETA: window")
