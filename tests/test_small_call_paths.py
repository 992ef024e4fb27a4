"""The small call's shortcuts give what the general rules give, cell type by cell type.

Under test:

* ``values._narrow_floats``: one or two value columns of plain ``float`` cells read column by column; any other
  cell (blank, bool, int error code, text, numpy scalar, Decimal, a whole number beyond a double) sends the
  range to the general rules, whose result is the reference here;
* ``values._check_date_span``: two reductions decide when every date is inside the span; the reference is a
  comparison of each date with the bounds as ``pandas.Timestamp``;
* the shared date column: only a column that passed the span check is shared.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from xl_factor.core.errors import InvalidArgument
from xl_factor.sheet import values
from xl_factor.sheet.values import forget_dates, parse_table

DAYS = [dt.datetime(2015, 1, 2) + dt.timedelta(days=i) for i in range(40)]
#: Cells that are no plain float, each with how the general rules read it.
OTHER_CELLS = [None, True, False, 0, 1, -2146826281, "0.5", "", np.float64(0.25), Decimal("0.125"), 10**400,
               np.int64(3), dt.datetime(2020, 1, 1)]
FLOAT_CELLS = [0.01, -0.0, 0.0, 1.0, float("nan"), float("inf"), -0.02, 5e-324, 1e150]


def _general(raw):
    """The range read by the general rules only (no narrow shortcut)."""
    saved = values.NARROW_COLUMNS
    values.NARROW_COLUMNS = -1
    try:
        return parse_table(raw, "asset")
    finally:
        values.NARROW_COLUMNS = saved


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal values, NaN in the same places, the same sign of zero."""
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=True) and np.array_equal(np.signbit(a), np.signbit(b))


def _range(columns: int, seed: int, other_share: float):
    rng = np.random.default_rng(seed)
    rows = [(None,) + tuple(f"c{j}" for j in range(columns))]
    for day in DAYS:
        cells = []
        for _ in range(columns):
            if rng.random() < other_share:
                cells.append(OTHER_CELLS[rng.integers(len(OTHER_CELLS))])
            elif rng.random() < 0.2:
                cells.append(FLOAT_CELLS[rng.integers(len(FLOAT_CELLS))])
            else:
                cells.append(float(rng.normal(0, 0.01)))
        rows.append((day,) + tuple(cells))
    return tuple(rows)


@pytest.mark.parametrize("columns", [1, 2, 3])
@pytest.mark.parametrize("other_share", [0.0, 0.02, 0.3])
@pytest.mark.parametrize("seed", range(12))
def test_a_narrow_range_reads_as_the_general_rules_read_it(columns, other_share, seed):
    raw = _range(columns, seed, other_share)
    ours = parse_table(raw, "asset")
    reference = _general(raw)
    assert _same_bits(ours.values, reference.values)
    assert ours.names == reference.names and ours.date_label == reference.date_label
    assert ours.dates.equals(reference.dates)


@pytest.mark.parametrize("cell", OTHER_CELLS, ids=repr)
@pytest.mark.parametrize("column", [0, 1])
def test_one_cell_that_is_no_float_sends_the_range_to_the_general_rules(cell, column):
    rows = [(day, 0.01 * i, -0.02 * i) for i, day in enumerate(DAYS)]
    assert values._narrow_floats(rows) is not None  # the shortcut is taken on plain floats
    rows[7] = rows[7][:1 + column] + (cell,) + rows[7][2 + column:]
    assert values._narrow_floats(rows) is None
    raw = ((None, "a", "b"),) + tuple(rows)
    assert _same_bits(parse_table(raw, "asset").values, _general(raw).values)


def test_the_shortcut_keeps_a_float_cell_bit_for_bit():
    cells = [0.1, -0.0, 5e-324, 1e150, -1e-300, float("nan"), float("inf"), 2.0 ** -1074, 0.30000000000000004]
    rows = [(day, cell) for day, cell in zip(DAYS, cells)]
    read = values._narrow_floats(rows)
    expected = np.array(cells, dtype=float)[:, None]
    assert read.dtype == np.float64 and read.flags.c_contiguous
    assert np.array_equal(read.view(np.uint64), expected.view(np.uint64))


BOUNDS = [("1677-09-21T23:59:59", False), ("1677-09-22T00:00:00", True), ("1970-01-01", True),
          ("2262-04-11T23:47:16", True), ("2262-04-11T23:47:17", False)]


#: Every unit with every bound it can hold (nanoseconds end at 2262-04-11T23:47:16.854775807).
SPAN_CASES = [(unit, stamp, inside) for unit in ("s", "ms", "us", "ns") for stamp, inside in BOUNDS
              if not (unit == "ns" and stamp.startswith("2262") and not inside)]


@pytest.mark.parametrize("unit, stamp, inside", SPAN_CASES)
@pytest.mark.parametrize("with_blank", [False, True])
def test_the_date_span_check_refuses_exactly_the_dates_outside(unit, stamp, inside, with_blank):
    stamps = np.array([np.datetime64("2000-01-03", unit), np.datetime64(stamp, unit)] +
                      ([np.datetime64("NaT", unit)] if with_blank else []))
    index = pd.DatetimeIndex(stamps)
    low, high = pd.Timestamp("1677-09-22"), pd.Timestamp("2262-04-11T23:47:16")
    reference_inside = all(low <= pd.Timestamp(s) <= high for s in stamps if not np.isnat(s))
    assert reference_inside == inside
    if inside:
        values._check_date_span(index, "asset")
    else:
        with pytest.raises(InvalidArgument, match="outside 1677-09-22 to 2262-04-11"):
            values._check_date_span(index, "asset")


def test_a_refused_date_column_is_refused_again_not_shared():
    """The shared date column holds only a column that passed the span check: the same refused cells, read
    twice, are refused twice, and a good column after them is read."""
    forget_dates()
    far = [dt.datetime(2262, 4, 12) if i == 5 else day for i, day in enumerate(DAYS)]
    raw = ((None, "a"),) + tuple((day, 0.01 * i) for i, day in enumerate(far))
    for _ in range(2):
        with pytest.raises(InvalidArgument, match="2262-04-12"):
            parse_table(raw, "asset")
    good = ((None, "a"),) + tuple((day, 0.01 * i) for i, day in enumerate(DAYS))
    assert parse_table(good, "asset").dates.equals(pd.DatetimeIndex(DAYS))


def _index(kind: str, n: int = 30, unit: str = "us") -> pd.DatetimeIndex:
    stamps = np.array([np.datetime64("2010-01-04", unit) + np.timedelta64(i, "D") for i in range(n)])
    if kind == "falling":
        stamps = stamps[::-1]
    elif kind == "shuffled":
        stamps = np.random.default_rng(n).permutation(stamps)
    elif kind.startswith("nat"):
        where = {"nat_first": 0, "nat_last": -1, "nat_middle": n // 2}[kind]
        stamps = stamps.copy()
        stamps[where] = np.datetime64("NaT")
    elif kind == "repeat":
        stamps = stamps.copy()
        stamps[-1] = stamps[-2]
    return pd.DatetimeIndex(stamps)


KINDS = ["rising", "falling", "shuffled", "nat_first", "nat_last", "nat_middle", "repeat"]
#: Each kind at 1, 2 and 30 dates (a repeat needs two).
SIZED_KINDS = [(kind, n) for kind in KINDS for n in (1, 2, 30) if not (kind == "repeat" and n == 1)]


@pytest.mark.parametrize("kind, n", SIZED_KINDS)
@pytest.mark.parametrize("falling_too", [False, True])
@pytest.mark.parametrize("same_object", [False, True])
def test_same_dates_rising_is_strict_monotony_without_a_blank(kind, falling_too, same_object, n):
    """Against pandas' own monotony, uniqueness and NaT flags, on the same or an equal index."""
    from xl_factor.core.returns import _same_dates_rising

    index = _index(kind, n)
    if falling_too:
        index = index[::-1]
    other = index if same_object else pd.DatetimeIndex(index.values.copy())
    unique, blank = index.is_unique, index.hasnans
    expected = (True if index.is_monotonic_increasing and unique and not blank else
                False if index.is_monotonic_decreasing and unique and not blank else None)
    assert _same_dates_rising(index, other) is expected


def test_same_dates_rising_needs_the_same_dates_in_the_same_unit():
    from xl_factor.core.returns import _same_dates_rising

    index = _index("rising")
    assert _same_dates_rising(index, _index("rising", unit="ns")) is None  # equal dates, another unit: the join
    assert _same_dates_rising(index, index[:-1].append(pd.DatetimeIndex(["2030-01-01"]))) is None
    assert _same_dates_rising(index, list(index)) is None  # Timestamps in a list are no datetime64 array


def test_a_tables_dated_rows_are_made_once_read_only_and_counted():
    from xl_factor.sheet.cache import table_bytes

    cells = list(DAYS)
    cells[3] = None  # a row without a date
    table = parse_table(((None, "a"),) + tuple((day, 0.01 * i) for i, day in enumerate(cells)), "asset")
    size = table_bytes(table)
    rows, dates = table.dated_rows()
    assert table.dated_rows()[0] is rows and not rows.flags.writeable
    assert list(rows) == [i for i in range(len(cells)) if i != 3] and list(dates) == [d for d in cells if d]
    assert size == table.values.nbytes + table.dates.nbytes + rows.nbytes + dates.nbytes


def _naive_columns():
    rng = np.random.default_rng(11)
    start = dt.datetime(2001, 3, 4, 9, 30)
    columns = {
        "daily": [start + dt.timedelta(days=i) for i in range(60)],
        "microseconds": [start + dt.timedelta(microseconds=int(m)) for m in rng.integers(0, 10**12, 60)],
        "fold": [dt.datetime(2021, 11, 7, 1, 30, fold=i % 2) for i in range(6)],
        "blanks": [None if i % 5 == 2 else start + dt.timedelta(days=i) for i in range(40)],
        "all blank": [None] * 5,
        "year 1 and 9999": [dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59, 59, 999999)],
        "1677 and 2262": [dt.datetime(1677, 9, 21, 0, 12, 44), dt.datetime(2262, 4, 11, 23, 47, 16)],
        "one": [start],
    }
    return list(columns.items())


def _constructor(cells):
    try:
        return pd.DatetimeIndex(cells)
    except Exception as error:  # noqa: BLE001 - the reference may refuse: then so must the shortcut
        return type(error)


@pytest.mark.parametrize("name, cells", _naive_columns(), ids=[n for n, _ in _naive_columns()])
@pytest.mark.parametrize("converter", ["pandas", "raises", "answers wrongly", "absent"])
def test_naive_dates_are_the_constructors_dates(monkeypatch, name, cells, converter):
    """pandas' converter called directly gives pd.DatetimeIndex(cells), unit included; a converter that
    raises, answers in another shape or is missing leaves the constructor to read the cells."""
    if converter == "raises":
        monkeypatch.setattr(values, "_array_to_datetime", lambda a: (_ for _ in ()).throw(TypeError("signature")))
    elif converter == "answers wrongly":
        monkeypatch.setattr(values, "_array_to_datetime", lambda a: (np.zeros(len(a) + 1, "M8[s]"), None))
    elif converter == "absent":
        monkeypatch.setattr(values, "_array_to_datetime", None)
    expected = _constructor(cells)
    try:
        ours = values._naive_index(cells)
    except Exception as error:  # noqa: BLE001
        ours = type(error)
    if isinstance(expected, type):
        assert ours is expected
    else:
        assert ours.equals(expected) and ours.dtype == expected.dtype


def test_mixed_zones_are_left_to_the_general_rules():
    aware = dt.datetime(2020, 1, 2, tzinfo=dt.timezone.utc)
    assert values._naive_datetimes([dt.datetime(2020, 1, 1), aware], "asset") is None
    assert values._naive_datetimes([aware, aware + dt.timedelta(days=1)], "asset") is None


@pytest.mark.parametrize("kind, n", SIZED_KINDS)
@pytest.mark.parametrize("unit", ["us", "ns", "s"])
def test_the_quick_date_index_is_the_constructors(kind, n, unit):
    """``_index_of`` (pandas' ``_simple_new``) builds what ``pd.DatetimeIndex(stamps, copy=False)`` builds: the same
    dates, unit, blanks, name and frequency, over the array itself; and the constructor's when it cannot."""
    from xl_factor.sheet import values

    stamps = _index(kind, n, unit=unit).values.copy()
    quick, public = values._index_of(stamps), pd.DatetimeIndex(stamps, copy=False)
    assert type(quick) is type(public) and quick.dtype == public.dtype == stamps.dtype
    assert quick.equals(public) and quick.hasnans == public.hasnans and quick.is_unique == public.is_unique
    assert quick.name is None and quick.freq is None and np.shares_memory(quick.values, stamps)


def test_the_quick_date_index_falls_back_to_the_constructor(monkeypatch):
    from xl_factor.sheet import values

    monkeypatch.setattr(values, "_DatetimeArray", object)  # a pandas whose array has no _simple_new
    stamps = _index("rising", 5).values.copy()
    assert values._index_of(stamps).equals(pd.DatetimeIndex(stamps))
