"""The sheet boundary's reading rules: header row, date column in both forms, missing cells."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xl_factor.sheet.cells import as_cells
from xl_factor.sheet.values import parse_table, to_float

EPOCH = dt.datetime(1899, 12, 30)
DAYS = [dt.datetime(2021, 1, 4) + dt.timedelta(days=i) for i in range(5)]


def serial(day: dt.datetime) -> float:
    return float((day - EPOCH).days)


def test_datetime_first_column_is_the_date_index():
    table = parse_table(tuple((d, 0.01 * i) for i, d in enumerate(DAYS)), "asset")
    assert list(table.dates) == [pd.Timestamp(d) for d in DAYS]
    assert table.values.shape == (5, 1)


def test_serials_with_a_date_label_are_dates_even_unsorted():
    rows = (("Date", "MSFT"),) + tuple((serial(d), 0.01) for d in reversed(DAYS))
    table = parse_table(rows, "asset")
    assert sorted(table.dates) == [pd.Timestamp(d) for d in DAYS]
    assert table.names == ("MSFT",) and table.date_label == "Date"


def test_rising_serials_without_a_label_are_dates():
    table = parse_table(tuple((serial(d), 0.01) for d in DAYS), "asset")
    assert table.dates is not None


def test_serials_not_rising_and_unlabelled_are_a_series():
    rows = ((44200.0, 0.01), (44199.0, 0.02), (44203.0, 0.03))
    assert parse_table(rows, "asset").dates is None


def test_iso_text_dates_are_dates():
    table = parse_table(tuple((d.strftime("%Y-%m-%d"), 0.01) for d in DAYS), "asset")
    assert list(table.dates) == [pd.Timestamp(d) for d in DAYS]


def test_a_blank_date_cell_keeps_its_row_without_data():
    rows = tuple((d if i != 2 else None, float(i) / 10) for i, d in enumerate(DAYS))
    table = parse_table(rows, "asset")
    assert np.isnan(table.values[2, 0]) and pd.isna(table.dates[2])
    assert table.values[[0, 1, 3, 4], 0].tolist() == [0.0, 0.1, 0.3, 0.4]


def test_currency_cells_are_numbers():
    from decimal import Decimal

    got = to_float([(Decimal("0.0125"), 0.5, None)])
    assert got[0, :2].tolist() == [0.0125, 0.5] and np.isnan(got[0, 2])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-0.9, 5.0, allow_nan=False), min_size=2, max_size=60), st.integers(1, 4))
def test_a_return_series_is_never_taken_for_dates(returns, width):
    rows = tuple((r,) * (width + 1) for r in returns)
    assert parse_table(rows, "asset").dates is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(61, 100_000), min_size=3, max_size=60).filter(
    lambda p: not all(1 <= b - a <= 366 for a, b in zip(p, p[1:]))))
def test_whole_number_prices_that_do_not_rise_every_period_are_not_dates(prices):
    rows = tuple((float(p), 0.01) for p in prices)
    assert parse_table(rows, "prices").dates is None


def test_header_row_is_text_and_no_numbers():
    assert parse_table((("a", "b"), (0.1, 0.2), (0.3, 0.4)), "asset").names == ("a", "b")
    assert parse_table((("a", 1.0), (0.1, 0.2), (0.3, 0.4)), "asset").names is None


@pytest.mark.parametrize("dates", ["datetime", "serial", "iso"])  # classic Excel; LibreOffice and Lite; text
@pytest.mark.parametrize("corner", ["Date", "Trade date", "Datum"])
def test_a_date_word_over_dates_beside_whole_numbers_is_a_header_of_security_ids(corner, dates):
    """CRSP PERMNOs or Tokyo tickers head the columns as numbers; the header row was read as a data row (its
    date cell text, so an undated row) and the labels were lost."""
    shown = {"datetime": lambda d: d, "serial": serial, "iso": lambda d: d.strftime("%Y-%m-%d")}[dates]
    rows = ((corner, 10107.0, 7203, "KO"),) + tuple((shown(d), 27.0 + i, 1500.0 + i, 40.0) for i, d in enumerate(DAYS))
    table = parse_table(rows, "prices")
    assert table.names == ("10107", "7203", "KO") and table.date_label == corner
    assert list(table.dates) == [pd.Timestamp(d) for d in DAYS]
    assert table.values[:, 0].tolist() == [27.0, 28.0, 29.0, 30.0, 31.0]


@pytest.mark.parametrize("first", [
    (dt.datetime(2019, 12, 31), 10107.0, 55976.0),  # a data row: its date cell holds a date
    ("Date", 27.5, 55976.0),  # a price with cents: no id
    (None, 10107.0, 55976.0),  # no date word over the column
])
def test_a_row_of_numbers_is_data_unless_a_date_word_heads_the_dates_and_every_number_is_whole(first):
    rows = (first,) + tuple((d, 27.0 + i, 30.0) for i, d in enumerate(DAYS))
    assert parse_table(rows, "prices").names is None


def test_one_stray_cell_in_a_short_date_column_is_a_row_without_a_date():
    """Eight dates and an #N/A: the column is still the period index (it was read as data once a stray cell was
    more than a tenth of it), and the #N/A row holds no data."""
    days = [dt.datetime(2020, 1, 2) + dt.timedelta(days=i) for i in range(9)]
    rows = tuple((-2146826246 if i == 4 else d, 100.0 + i) for i, d in enumerate(days))
    table = parse_table(rows, "prices")
    assert table.dates is not None and pd.isna(table.dates[4])
    assert np.isnan(table.values[4, 0]) and table.values[[0, 8], 0].tolist() == [100.0, 108.0]
    two = parse_table(((days[0], 1.0), ("n/a", 2.0)), "prices")  # one date and one stray: not a date column
    assert two.dates is None


def test_numbers_booleans_errors_and_text_in_one_conversion():
    rows = [(0.5, True, -2146826246, "x", None, 2.0, False, 1.0)]
    got = to_float(rows)
    assert got[0, 0] == 0.5 and got[0, 5] == 2.0 and got[0, 7] == 1.0
    assert np.isnan(got[0, [1, 2, 3, 4, 6]]).all()


def test_all_numeric_fast_path_drops_booleans_and_error_codes():
    rows = [(0.0, 1.0, 0.25), (True, -2146826246.0, False)]
    got = to_float(rows)
    assert got[0].tolist() == [0.0, 1.0, 0.25]
    assert np.isnan(got[1]).all()


class _Price(float):
    """A float subclass, as a script's own number type may be (a sheet never sends one)."""


@pytest.mark.parametrize("beside", [0.1, "text", None, True])
def test_a_float_subclass_reads_as_its_value_whatever_is_beside_it(beside):
    """The whole-block cast and the cell-by-cell reading of a mixed column agree (they did not, beside text)."""
    rows = [("x", "y"), (_Price(0.5), 1.0), (beside, 2.0), (0.25, 3.0)]
    got = parse_table(rows, "asset").values
    assert got[0, 0] == 0.5 and got[2, 0] == 0.25
    assert got[1, 0] == 0.1 if type(beside) is float else np.isnan(got[1, 0])  # text, a blank, TRUE: missing
    assert got[:, 1].tolist() == [1.0, 2.0, 3.0]


class _Quote(float):
    """A float subclass whose ``__float__`` gives another number: the conversion numpy's cast calls."""

    def __float__(self):
        return 99.0


@pytest.mark.parametrize("beside", ["text", None, True, 7])
def test_a_float_subclass_reads_the_same_whatever_is_beside_it(beside):
    """The cell-by-cell reading uses the same conversion as the whole-block cast, so one cell reads one way."""
    alone = parse_table([("x",), (_Quote(0.5),), (0.1,)], "asset").values[0, 0]
    mixed = parse_table([("x",), (_Quote(0.5),), (beside,)], "asset").values[0, 0]
    assert alone == float(np.array([_Quote(0.5)], dtype=object).astype(float)[0])  # numpy's own cast
    assert mixed == alone


def test_results_turn_nan_into_blanks():
    assert as_cells(np.array([[1.0, np.nan]]), blank="") == [[1.0, ""]]
    assert as_cells(2.5) == [[2.5]]
    assert as_cells("#FM! FM_X: y") == [["#FM! FM_X: y"]]


@pytest.mark.parametrize("blank", ["", None])
def test_labelled_results_keep_types_and_blank_nan_and_none(blank):
    table = np.array([["asset", "beta", "ok"], ["a", 1.5, True], ["b", np.nan, False], ["c", None, 2]], dtype=object)
    got = as_cells(table, blank=blank)
    assert got == [["asset", "beta", "ok"], ["a", 1.5, True], ["b", blank, False], ["c", blank, 2]]
    assert [type(c) for c in got[1]] == [str, float, bool] and type(got[3][2]) is int
    numpy_scalars = np.array([["x", np.float64(0.5), np.int64(3), np.bool_(True), np.float64("nan")]], dtype=object)
    got = as_cells(numpy_scalars, blank=blank)
    assert got == [["x", 0.5, 3, True, blank]]
    assert [type(c) for c in got[0][:4]] == [str, float, int, bool], "numpy scalars leave as Python ones"


def test_overflow_in_a_labelled_result_is_refused_and_a_label_inf_is_not():
    from xl_factor.sheet.failures import finish
    labelled = np.array([["inf", "beta"], ["a", 1.0]], dtype=object)
    assert finish("FM_X", labelled) is labelled
    labelled[1, 1] = float("inf")
    assert finish("FM_X", labelled).startswith("#FM! FM_X: the result is too large")
    assert finish("FM_X", np.array([["a", np.float64("-inf")]], dtype=object)).startswith("#FM! FM_X:")


def test_a_generous_range_keeps_its_date_column():
    rows = (("Date", "NoDur"),) + tuple((d, 0.01 * i) for i, d in enumerate(DAYS)) + ((None, None),) * 20
    table = parse_table(rows, "asset")
    assert table.dates is not None and table.n_rows == 25
    assert np.isnan(table.values[5:]).all() and table.values[:5, 0].tolist() == [0.0, 0.01, 0.02, 0.03, 0.04]


def test_small_ranges_are_interned_by_their_parsed_content():
    """At most SMALL_RANGE cells: parsed each time, one Table per parsed content (so fits stay found)."""
    from xl_factor.sheet import cache

    rows = (("Date", "A"),) + tuple((dt.datetime(2020, 1, i + 1), 0.01 * i) for i in range(20))
    first = cache.TABLES.get(rows, lambda raw: parse_table(raw, "asset"))
    again = cache.TABLES.get(tuple(tuple(r) for r in rows), lambda raw: parse_table(raw, "asset"))
    assert again is first
    for cell in (False, -0.0, "0", None):  # each parses differently from 0.0, so each is its own table
        other = tuple(r if i != 3 else (r[0], cell) for i, r in enumerate(rows))
        zero = tuple(r if i != 3 else (r[0], 0.0) for i, r in enumerate(rows))
        a = cache.TABLES.get(other, lambda raw: parse_table(raw, "asset"))
        b = cache.TABLES.get(zero, lambda raw: parse_table(raw, "asset"))
        assert a is not b and a.values.tobytes() != b.values.tobytes(), cell


def test_a_big_range_is_keyed_from_its_second_sighting_and_the_key_still_tells_cell_types_apart():
    """Met once, a big range is only parsed (its exact key costs half a parse); met again it is keyed on
    its cells and stored, and a third meeting returns that table. Ranges whose sampled rows agree but whose
    cells differ elsewhere (FALSE against 0.0 in row 4) still parse apart on every meeting."""
    from xl_factor.sheet import cache

    store = cache.TableCache()
    parse = lambda raw: parse_table(raw, "asset")  # noqa: E731
    rows = (("Date", "A", "B"),) + tuple(
        (dt.datetime(2000, 1, 1) + dt.timedelta(days=i), 0.001 * i, -0.002 * i) for i in range(cache.SMALL_RANGE))
    first = store.get(rows, parse)
    assert len(store) == 0, "met once: parsed, not keyed"
    second = store.get(fresh_copy(rows), parse)
    assert len(store) == 1 and second is not first
    assert store.get(fresh_copy(rows), parse) is second, "met a third time: the stored table"
    with_false = tuple(r if i != 4 else (r[0], False, r[2]) for i, r in enumerate(rows))
    with_zero = tuple(r if i != 4 else (r[0], 0.0, r[2]) for i, r in enumerate(rows))
    assert cache.sighting(with_false) == cache.sighting(with_zero)
    for _ in range(3):
        a, b = store.get(with_false, parse), store.get(with_zero, parse)
        assert np.isnan(a.values[3, 0]) and b.values[3, 0] == 0.0


def fresh_copy(rows):
    """The same cells in new tuples (what COM builds for every call)."""
    return tuple(tuple(c + 0.0 if type(c) is float else c for c in row) for row in rows)


def _dated(days, values):
    return tuple((d, v) for d, v in zip(days, values))


def test_ranges_side_by_side_share_one_date_index_and_only_when_every_cell_is_equal():
    from xl_factor.sheet.values import forget_dates

    forget_dates()
    days = [dt.datetime(2021, 1, 4) + dt.timedelta(days=i) for i in range(300)]
    first = parse_table(_dated(days, np.linspace(-0.01, 0.01, 300)), "asset")
    same = parse_table(_dated(list(days), np.linspace(0.01, -0.01, 300)), "factors")
    assert same.dates is first.dates  # the second column is matched cell by cell and shares the index
    # One microsecond, one blank, one aware cell at the same wall-clock time: each is read from its own cells.
    nudged = days[:150] + [days[150] + dt.timedelta(microseconds=1)] + days[151:]
    holed = days[:150] + [None] + days[151:]
    aware = [d.replace(tzinfo=dt.timezone(dt.timedelta(hours=1))) for d in days]
    for cells in (nudged, holed, aware, days[:-1]):
        table = parse_table(_dated(cells, np.zeros(len(cells)) + 0.01), "factors")
        assert table.dates is not first.dates
        expected = pd.DatetimeIndex([None if c is None else c.replace(tzinfo=None) for c in cells])
        assert table.dates.equals(expected)
        assert table.dates.as_unit("ns").asi8.tolist() == expected.as_unit("ns").asi8.tolist()


def test_the_shared_date_index_is_right_from_many_threads():
    from concurrent.futures import ThreadPoolExecutor

    columns = [[dt.datetime(2020 + k, 1, 1) + dt.timedelta(days=i) for i in range(200)] for k in range(4)]

    def parse(n):
        cells = columns[n % 4]
        table = parse_table(_dated(cells, np.full(200, 0.001 * (n % 4))), "asset")
        return table.dates.equals(pd.DatetimeIndex(cells)) and table.values[0, 0] == 0.001 * (n % 4)

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(parse, range(400)))
