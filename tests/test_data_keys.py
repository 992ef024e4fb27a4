"""Data keys (FM_DATA): a cell holding a key stands in for its range in every data argument.

Each keyed call is compared with the same call on the range itself (whose
numbers the rest of the suite checks against statsmodels), and FM_BETA on
keys once directly against statsmodels, on the real data with holes and a
late listing. The store is checked for what a user meets: the same content
gives the same key, a changed cell or cell type a new one, a key the session
does not hold one #FM! line saying to recalculate, and many cells over one
key parse the range once.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
import statsmodels.api as sm

from excel_shapes import excel_range, set_cell
from xl_factor.sheet import data_keys, values
from xl_factor.sheet.cache import clear_all
from xl_factor.sheet.catalogue import call
from xl_factor.sheet.data_keys import KEYS

RTOL = 1e-10


@pytest.fixture
def ranges(ff_monthly, industry_excess):
    """Twelve industries with holes and a late listing (Hlth from row 200), and three factors, as Excel hands them."""
    assets = industry_excess.iloc[-480:].copy()
    assets.iloc[:200, assets.columns.get_loc("Hlth")] = np.nan
    assets.iloc[::17, assets.columns.get_loc("Durbl")] = np.nan
    factors = ff_monthly[["MktRF", "SMB", "HML"]]
    asset_cells = tuple(tuple(None if isinstance(c, float) and c != c else c for c in row)  # NaN: a blank cell
                        for row in excel_range(assets))
    return assets, factors, asset_cells, excel_range(factors), excel_range(ff_monthly[["RF"]])


def keyed(*cells):
    keys = [call("FM_DATA", c) for c in cells]
    assert all(isinstance(k, str) and k.startswith("FM_DATA:") for k in keys), keys
    return keys


def same(a, b):
    a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    assert a.shape == b.shape
    for x, y in zip(a.ravel(), b.ravel()):
        if isinstance(y, float):
            assert isinstance(x, float) and (x == y or (np.isnan(x) and np.isnan(y))), (x, y)
        else:
            assert x == y, (x, y)


@pytest.mark.parametrize("name, extra", [
    ("FM_BETA", ()), ("FM_ALPHA", (12.0,)), ("FM_RISKSHARE", ()), ("FM_VARDECOMP", ()), ("FM_RESID", ()),
    ("FM_COVMAT", ("factor", 12.0)), ("FM_CORRMAT", ()), ("FM_ROLLING_BETA", (60.0,)), ("FM_EWMA_BETA", (24.0,)),
    ("FM_FAMAMACBETH", ()), ("FM_DIMSONBETA", ()), ("FM_VASICEKBETA", ()),
])
def test_keys_give_what_the_ranges_give(ranges, name, extra):
    _, _, asset, factors, _ = ranges
    asset_key, factor_key = keyed(asset, factors)
    same(call(name, asset_key, factor_key, *extra), call(name, asset, factors, *extra))
    same(call(name, asset_key, factors, *extra), call(name, asset, factors, *extra))  # one keyed, one not


def test_one_asset_and_book_functions_take_keys(ranges, industry_excess):
    _, _, asset, factors, rf = ranges
    nodur = excel_range(industry_excess[["NoDur"]].iloc[-480:])
    nodur_key, factor_key, rf_key, book_key = keyed(nodur, factors, rf, excel_range(industry_excess.iloc[-480:, :3]))
    same(call("FM_HEDGE", 1e6, nodur_key, factor_key, 0.2), call("FM_HEDGE", 1e6, nodur, factors, 0.2))
    same(call("FM_PNL", 1e6, nodur_key, factor_key, 12.0), call("FM_PNL", 1e6, nodur, factors, 12.0))
    same(call("FM_REGRESS", nodur_key, factor_key, "HAC"), call("FM_REGRESS", nodur, factors, "HAC"))
    same(call("FM_EXCESS", nodur_key, rf_key), call("FM_EXCESS", nodur, rf))
    book = excel_range(industry_excess.iloc[-480:, :3])
    weights = ((1e6, -5e5, 2e5),)
    same(call("FM_BOOKHEDGE", weights, book_key, factor_key), call("FM_BOOKHEDGE", weights, book, factors))
    same(call("FM_STRESS", weights, book_key, factor_key, 3.0), call("FM_STRESS", weights, book, factors, 3.0))


def test_betas_on_keys_equal_statsmodels_per_asset(ranges):
    assets, factors, asset, factor_cells, _ = ranges
    betas = np.asarray(call("FM_BETA", *keyed(asset, factor_cells)), dtype=float)
    for j, name in enumerate(assets.columns):
        frame = assets[[name]].join(factors, how="inner").dropna()
        expected = sm.OLS(frame[name], sm.add_constant(frame[factors.columns])).fit().params.to_numpy()[1:]
        np.testing.assert_allclose(betas[j], expected, rtol=RTOL)


@pytest.mark.parametrize("case", [str.upper, str.lower, lambda k: f"  {k.swapcase()} "])
def test_a_key_through_upper_or_lower_is_the_same_key(ranges, case):
    """=FM_BETA(UPPER(key), ...) reads the key's table, as the key itself does (it was 'not a whole key')."""
    assets, factors, asset, factor_cells, _ = ranges
    keys = keyed(asset, factor_cells)
    same(call("FM_BETA", *[case(k) for k in keys]), call("FM_BETA", asset, factor_cells))


def test_same_content_same_key_and_any_change_a_new_one(ranges):
    _, _, asset, _, _ = ranges
    key = call("FM_DATA", asset)
    assert call("FM_DATA", tuple(tuple(row) for row in asset)) == key  # fresh tuples, same cells
    assert key.endswith(f" {len(asset)}x{len(asset[0])}")
    changed = set_cell(asset, 5, 2, asset[5][2] + 1e-12)
    assert call("FM_DATA", changed) != key
    as_false, as_zero = set_cell(asset, 5, 2, False), set_cell(asset, 5, 2, 0.0)
    assert call("FM_DATA", as_false) != call("FM_DATA", as_zero), "FALSE is missing, 0.0 is a number"
    renamed = set_cell(asset, 0, 2, "Other")
    assert call("FM_DATA", renamed) != key
    assert call("FM_DATA", key) == key  # a key of a key is the key


def test_a_key_the_session_does_not_hold_says_to_recalculate(ranges):
    _, _, asset, factors, _ = ranges
    asset_key, factor_key = keyed(asset, factors)
    KEYS.clear()
    clear_all()
    line = call("FM_BETA", asset_key, factor_key)
    assert line.startswith("#FM! FM_BETA: asset holds the data key FM_DATA:") and "recalculate its FM_DATA cell" in line
    assert "\n" not in line
    assert call("FM_DATA", asset) == asset_key  # recalculating the FM_DATA cell brings it back
    assert call("FM_BETA", asset_key, factors) == pytest.approx(call("FM_BETA", asset, factors), rel=0)


@pytest.mark.parametrize("cell, says", [
    ("FM_DATA:12345", "is not a whole FM_DATA key"),
    ("FM_DATA:0123456789abcdef0123 5x2 extra", "is not a whole FM_DATA key"),
    ("#FM! FM_DATA: data holds no numbers; select the cells", "is the error of another FM_* cell"),
])
def test_broken_keys_and_error_lines_are_refused_by_name(ranges, cell, says):
    _, _, _, factors, _ = ranges
    for value in (cell, ((cell,),)):
        line = call("FM_ALPHA", value, factors)
        assert line.startswith("#FM! FM_ALPHA: asset") and says in line, line


def test_fm_data_refuses_a_range_with_no_numbers_and_numbers_arguments_refuse_keys(ranges):
    assert call("FM_DATA", (("Date", "A"), (None, None))).startswith("#FM! FM_DATA: data holds no numbers")
    assert call("FM_DATA", None).startswith("#FM! FM_DATA: data holds no numbers")
    _, _, asset, _, _ = ranges
    key = call("FM_DATA", asset)
    assert call("FM_SIZE", key, 0.001).startswith("#FM! FM_SIZE: vol_budget")
    assert call("FM_EXCESS", asset, "not a key").startswith("#FM! FM_EXCESS: rf must be a number")


def test_many_cells_over_keys_parse_each_range_once(ranges, monkeypatch):
    _, _, asset, factors, _ = ranges
    clear_all()
    KEYS.clear()
    parsed = []
    real = values.parse_table
    monkeypatch.setattr(data_keys, "parse_table", lambda raw, argument: parsed.append(argument) or real(raw, argument))
    asset_key, factor_key = keyed(asset, factors)
    assert len(parsed) == 2
    first = call("FM_BETA", asset_key, factor_key)
    for name in ("FM_BETA", "FM_ALPHA", "FM_RISKSHARE", "FM_VARDECOMP") * 50:
        assert not isinstance(call(name, asset_key, factor_key), str)
    same(call("FM_BETA", asset_key, factor_key), first)
    assert len(parsed) == 2, "a keyed call never parses its range again"


def test_the_store_is_bounded():
    for i in range(KEYS.max_entries + 40):
        call("FM_DATA", ((0.01 * i,), (0.02,), (-0.01,)))
    assert len(KEYS) <= KEYS.max_entries


def test_threads_storing_and_reading_keys_get_the_single_thread_answers(ranges, industry_excess, ff_monthly):
    _, _, asset, factors, _ = ranges
    windows = [excel_range(industry_excess.iloc[10 * i: 10 * i + 240, :4]) for i in range(8)]
    expected = [call("FM_BETA", w, factors) for w in windows]
    errors = []

    def work(i):
        for _ in range(20):
            key = call("FM_DATA", windows[i])
            got = call("FM_BETA", key, call("FM_DATA", factors))
            if isinstance(got, str) or not np.array_equal(got, expected[i]):
                errors.append((i, got))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
