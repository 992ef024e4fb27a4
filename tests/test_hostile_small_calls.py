"""Hostile tests of the small-call shortcuts (commits after 36bedc9), against independent references.

Each test names what it attacks. References are never this package's own output: a per-cell reading
written here from the documented rules, pandas' DatetimeIndex and joins, ``numpy.nanmedian``,
statsmodels OLS, numpy lstsq, and threadpoolctl's own report of BLAS thread counts.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from threadpoolctl import threadpool_info, threadpool_limits

from xl_factor import core
from xl_factor.core.errors import InvalidArgument
from xl_factor.core.regression import fit_factor_model
from xl_factor.sheet import cache
from xl_factor.sheet.catalogue import call
from xl_factor.sheet.units import typical_size
from xl_factor.sheet.values import forget_dates, parse_table

ERROR_CODES = (-2146826281, -2146826246, -2146826259, -2146826288, -2146826252, -2146826265, -2146826273)
DAYS = [dt.datetime(2016, 3, 1) + dt.timedelta(days=i) for i in range(48)]


class SubFloat(float):
    """A float subclass: no plain ``float``, so the narrow reading must not take it."""


def _reference_cell(cell) -> float:
    """A value cell as the documented rules read it, written independently of the package."""
    if type(cell) is bool or isinstance(cell, np.bool_) or cell is None or isinstance(cell, (str, dt.datetime)):
        return math.nan
    if type(cell) is int:
        if cell in ERROR_CODES:
            return math.nan
        try:
            return float(cell)
        except OverflowError:
            return math.inf if cell > 0 else -math.inf
    return float(cell)  # float, Decimal, numpy numbers


def _same_bits(a, b) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=True) and np.array_equal(np.signbit(a), np.signbit(b))


HOSTILE_CELLS = [None, True, False, np.bool_(False), 0, 1, -1, 7, *ERROR_CODES[:3], "", " ", "0.5", "#N/A",
                 np.float64(0.25), np.float32(0.5), np.int64(3), Decimal("0.125"), 10**400, -10**400, 2**53 + 1,
                 dt.datetime(2020, 1, 1), SubFloat(0.75), float("nan"), float("inf"), -float("inf"), -0.0, 5e-324,
                 1e308]


@pytest.mark.parametrize("width", [1, 2, 3])
@pytest.mark.parametrize("seed", range(10))
def test_value_cells_read_as_an_independent_per_cell_reader_reads_them(width, seed):
    """Attacks ``_narrow_floats`` (1-2 columns) and its fallback: every hostile cell type, alone in an otherwise
    float column or scattered, with undated rows, read bit for bit as a per-cell rule written here."""
    rng = np.random.default_rng(seed)
    dates = list(DAYS)
    for i in rng.choice(len(dates) - 1, size=int(rng.integers(0, 4)), replace=False):
        dates[int(i) + 1] = None  # a row without a date holds no data
    columns = []
    for j in range(width):
        column = [float(x) for x in rng.normal(0, 0.01, len(dates))]
        hits = int(rng.integers(0, 3))
        for i in rng.choice(len(dates), size=hits, replace=False):
            column[int(i)] = HOSTILE_CELLS[int(rng.integers(len(HOSTILE_CELLS)))]
        columns.append(column)
    raw = ((None,) + tuple(f"c{j}" for j in range(width)),) + tuple(
        (d,) + tuple(c[i] for c in columns) for i, d in enumerate(dates))
    expected = np.array([[math.nan if d is None else _reference_cell(c[i]) for c in columns]
                         for i, d in enumerate(dates)])
    forget_dates()
    table = parse_table(raw, "asset")
    assert _same_bits(table.values, expected), (table.values, expected)
    assert table.dates.equals(pd.DatetimeIndex(dates))
    assert table.names == tuple(f"c{j}" for j in range(width))


@pytest.mark.parametrize("cell", HOSTILE_CELLS, ids=repr)
def test_each_hostile_cell_in_a_two_column_float_range(cell):
    """Attacks the type test of ``_narrow_floats`` cell type by cell type, in the second of two columns, in the
    first and in the last row: the range reads as the per-cell rule reads it."""
    for row in (0, len(DAYS) - 1):
        left = [0.001 * i for i in range(len(DAYS))]
        right = [-0.002 * i for i in range(len(DAYS))]
        right[row] = cell
        raw = ((None, "a", "b"),) + tuple((d, x, y) for d, x, y in zip(DAYS, left, right))
        expected = np.array([[_reference_cell(x), _reference_cell(y)] for x, y in zip(left, right)])
        assert _same_bits(parse_table(raw, "asset").values, expected)


def test_a_float_subclass_column_reads_its_values():
    """Attacks ``{float}`` as the narrow type set: a column of float-subclass cells (not exact floats) still
    reads their values, as numbers."""
    raw = ((None, "a"),) + tuple((d, SubFloat(0.01 * i)) for i, d in enumerate(DAYS))
    assert _same_bits(parse_table(raw, "asset").values[:, 0], [0.01 * i for i in range(len(DAYS))])


BOUND_CELLS = [
    (dt.datetime(1677, 9, 22), True), (dt.datetime(1677, 9, 21, 23, 59, 59, 999999), False),
    (dt.datetime(2262, 4, 11, 23, 47, 16), True), (dt.datetime(2262, 4, 11, 23, 47, 16, 1), False),
    (dt.datetime(2262, 4, 12), False), (dt.datetime(1, 1, 1), False), (dt.datetime(9999, 12, 31), False),
]


@pytest.mark.parametrize("cell, inside", BOUND_CELLS, ids=str)
@pytest.mark.parametrize("where", [0, 5, -1])
@pytest.mark.parametrize("blank", [False, True])
def test_the_span_check_on_datetime_cells_at_the_bounds(cell, inside, where, blank):
    """Attacks the two-reduction quick path of ``_check_date_span`` through the naive-datetime reader: a date on
    either side of each bound (to the microsecond), first, inside or last, with and without a blank date. The
    reference is a comparison with the bounds as ``pandas.Timestamp``."""
    forget_dates()
    dates = list(DAYS)
    dates[where] = cell
    if blank:
        dates[10] = None
    raw = ((None, "a"),) + tuple((d, 0.001 * i) for i, d in enumerate(dates))
    low, high = pd.Timestamp("1677-09-22"), pd.Timestamp("2262-04-11 23:47:16")
    assert (low <= pd.Timestamp(cell) <= high) is inside
    if inside:
        table = parse_table(raw, "asset")
        assert list(table.dates) == [pd.NaT if d is None else pd.Timestamp(d) for d in dates]
    else:
        with pytest.raises(InvalidArgument, match=f"has the date {cell.date()}, outside 1677-09-22 to 2262-04-11"):
            parse_table(raw, "asset")
        # the same cells again, after a good column: refused again, never shared
        parse_table(((None, "a"),) + tuple((d, 0.0) for d in DAYS), "asset")
        with pytest.raises(InvalidArgument, match="outside 1677-09-22 to 2262-04-11"):
            parse_table(raw, "asset")


@pytest.mark.parametrize("text, inside", [("1677-09-22", True), ("1677-09-21", False), ("2262-04-11", True),
                                          ("2262-04-12", False), ("2500-01-01", False), ("1500-06-30", False)])
def test_the_span_check_on_iso_text_dates(text, inside):
    """Attacks the span check now done inside the general date reading (ISO text, not datetime cells): a
    bound date first in a column of text dates."""
    dates = [text] + [d.strftime("%Y-%m-%d") for d in DAYS[1:]]
    raw = ((None, "a"),) + tuple((d, 0.001 * i) for i, d in enumerate(dates))
    if inside:
        assert parse_table(raw, "asset").dates[0] == pd.Timestamp(text)
    else:
        with pytest.raises(InvalidArgument, match="outside 1677-09-22 to 2262-04-11"):
            parse_table(raw, "asset")


def test_a_shared_date_column_is_shared_only_with_equal_cells():
    """Attacks the one-entry memo ``_LAST_DATES``: equal cells (a copy, a datetime with ``fold=1``) share the
    index; a column one microsecond off, one shorter, or with a blank where the other has a date does not.
    Reference: ``pandas.DatetimeIndex`` of each column's own cells."""
    forget_dates()
    first = parse_table(((None, "a"),) + tuple((d, 0.01) for d in DAYS), "asset")
    folded = [d.replace(fold=1) if i == 3 else d for i, d in enumerate(DAYS)]
    again = parse_table(((None, "b"),) + tuple((d, 0.02) for d in folded), "factors")
    assert again.dates is first.dates  # equal cells: one index
    variants = {
        "microsecond": [d + dt.timedelta(microseconds=1) if i == 7 else d for i, d in enumerate(DAYS)],
        "shorter": DAYS[:-1],
        "blank": [None if i == 9 else d for i, d in enumerate(DAYS)],
        "other": [d + dt.timedelta(days=1) for d in DAYS],
    }
    for name, cells in variants.items():
        parse_table(((None, "a"),) + tuple((d, 0.01) for d in DAYS), "asset")  # the memo holds DAYS
        table = parse_table(((None, "a"),) + tuple((d, 0.01) for d in cells), "asset")
        assert table.dates.equals(pd.DatetimeIndex(cells)), name
        assert table.dates is not first.dates, name


def test_the_dated_rows_of_a_shared_index_are_each_tables_own():
    """Attacks the cached ``dated_rows`` on tables sharing one date index: each table's positions and dates are
    right for its own rows, read-only, and a write to them is refused rather than seen by the other table."""
    forget_dates()
    cells = [None if i in (0, 11) else d for i, d in enumerate(DAYS)]
    one = parse_table(((None, "a"),) + tuple((d, 0.01) for d in cells), "asset")
    two = parse_table(((None, "b", "c"),) + tuple((d, 0.02, 0.03) for d in cells), "factors")
    assert one.dates is two.dates
    for table in (one, two):
        rows, dates = table.dated_rows()
        assert rows.tolist() == [i for i, d in enumerate(cells) if d is not None]
        assert dates.equals(pd.DatetimeIndex([d for d in cells if d is not None]))
        with pytest.raises(ValueError):
            rows[0] = 5
    for table in (one, two):  # the refused writes left both tables' positions as they were
        assert table.dated_rows()[0].tolist() == [i for i, d in enumerate(cells) if d is not None]


def test_table_bytes_counts_the_dated_rows_it_makes():
    """Attacks ``cache.table_bytes``: with every row dated the index is not counted twice; with a blank date the
    dated copy is counted; without a date column only the values."""
    full = parse_table(((None, "a"),) + tuple((d, 0.01) for d in DAYS), "asset")
    assert cache.table_bytes(full) == full.values.nbytes + full.dates.nbytes + 8 * len(DAYS)
    cells = [None if i == 4 else d for i, d in enumerate(DAYS)]
    holed = parse_table(((None, "a"),) + tuple((d, 0.01) for d in cells), "asset")
    n = len(DAYS) - 1
    assert cache.table_bytes(holed) == holed.values.nbytes + holed.dates.nbytes + 8 * n + 8 * n
    plain = parse_table(tuple((0.01 * i,) for i in range(10)), "asset")
    assert cache.table_bytes(plain) == plain.values.nbytes


def _pandas_alignment(left: pd.DatetimeIndex, right: pd.DatetimeIndex):
    """The inner join by pandas: common dates ascending and their positions on each side."""
    common = left.intersection(right).sort_values()
    return common, left.get_indexer(common), right.get_indexer(common)


@pytest.mark.parametrize("seed", range(40))
def test_align_on_dates_is_pandas_inner_join(seed):
    """Attacks ``_same_dates_rising`` on integer ticks: rising, falling, shuffled, equal or shifted date columns
    in several units, one item, the same object or an equal copy; against pandas' intersection."""
    rng = np.random.default_rng(seed)
    n = int(rng.choice([1, 2, 3, 30]))
    unit = str(rng.choice(["s", "ms", "us", "ns"]))
    base = np.datetime64("1700-01-01", unit) if rng.random() < 0.3 else np.datetime64("2010-01-04", unit)
    stamps = base + np.arange(n) * np.timedelta64(int(rng.choice([1, 7, 31])), "D").astype(f"m8[{unit}]")
    order = rng.choice(["rising", "falling", "shuffled"])
    if order == "falling":
        stamps = stamps[::-1]
    elif order == "shuffled":
        stamps = rng.permutation(stamps)
    left = pd.DatetimeIndex(stamps)
    pick = rng.random()
    right = left if pick < 0.3 else pd.DatetimeIndex(stamps.copy()) if pick < 0.6 else pd.DatetimeIndex(
        np.concatenate([stamps[1:], stamps[:1] + np.timedelta64(400, "D")]))
    common, lpos, rpos = _pandas_alignment(left, right)
    if not len(common):
        with pytest.raises(core.NoOverlap):
            core.align_on_dates(left, right)
        return
    aligned = core.align_on_dates(left, right)
    assert aligned.dates.equals(common)
    assert aligned.left.tolist() == lpos.tolist() and aligned.right.tolist() == rpos.tolist()


@pytest.mark.parametrize("where", [0, -1, 3])
@pytest.mark.parametrize("falling", [False, True])
def test_a_blank_date_in_matched_dates_is_never_a_match(where, falling):
    """Attacks NaT as the smallest tick: a table with a blank date cell first, last or inside, rising or
    falling, matched with the same cells: the blank row is left out of the fit; the beta is statsmodels' on the
    dated rows."""
    rng = np.random.default_rng(3)
    f = rng.normal(0, 0.01, len(DAYS))
    y = 0.001 + 1.3 * f + rng.normal(0, 0.002, len(DAYS))
    dates = list(DAYS[::-1] if falling else DAYS)
    dates[where] = None
    asset = ((None, "A"),) + tuple((d, float(v)) for d, v in zip(dates, y))
    factors = ((None, "M"),) + tuple((d, float(v)) for d, v in zip(list(dates), f))
    keep = [i for i, d in enumerate(dates) if d is not None]
    expected = sm.OLS(y[keep], sm.add_constant(f[keep])).fit().params[1]
    beta = call("FM_BETA", asset, factors)
    assert not isinstance(beta, str), beta
    assert abs(float(np.asarray(beta).ravel()[0]) - expected) <= 1e-11 * abs(expected)


@pytest.mark.parametrize("seed", range(25))
def test_typical_size_is_the_sampled_nanmedian_or_the_whole_columns(seed):
    """Attacks ``typical_size``: columns with values only between the sampled rows (every T//512-th), partly
    there, all blank, zeros, infinities; reference ``numpy.nanmedian`` of |x| on the sample, or on all rows
    when the sample has no value."""
    rng = np.random.default_rng(seed)
    t = int(rng.choice([5, 511, 1024, 1025, 1537, 2048, 4100]))
    n = 5
    x = rng.normal(0, 0.01, (t, n))
    step = max(1, t // 512)
    off_sample = np.ones(t, dtype=bool)
    off_sample[::step] = False
    x[~(off_sample & (rng.random(t) < 0.3)), 0] = np.nan  # values only between sampled rows
    x[rng.random(t) < 0.5, 1] = np.nan
    x[:, 2] = np.nan
    x[:, 3] = np.where(rng.random(t) < 0.2, -0.0, x[:, 3])
    x[rng.random(t) < 0.1, 4] = np.inf
    expected = []
    for j in range(n):
        sample = np.abs(x[::step, j])
        sample = sample[~np.isnan(sample)]
        if not sample.size:
            sample = np.abs(x[:, j])
            sample = sample[~np.isnan(sample)]
        expected.append(np.median(sample) if sample.size else np.nan)
    with np.errstate(invalid="ignore"):
        assert _same_bits(typical_size(x), expected)


@pytest.mark.parametrize("seed", range(12))
def test_check_returns_refuses_the_first_column_at_fault(seed):
    """Attacks ``check_returns`` looking only at suspect columns: a range of decimals with one or two columns
    in percent, of prices, or with a fall beyond -150%, at random positions; the refusal names the first column
    (in column order) that a per-column reading of the rules refuses, and a clean range is accepted."""
    rng = np.random.default_rng(seed)
    t, n = 60, 6
    x = rng.normal(0, 0.01, (t, n))
    faults = {}
    for j in rng.choice(n, size=int(rng.integers(0, 3)), replace=False):
        kind = rng.choice(["percent", "prices", "fall"])
        if kind == "percent":
            x[:, j] *= 100
        elif kind == "prices":
            x[:, j] = 50 + np.cumsum(rng.normal(0, 0.1, t))
        else:
            x[int(rng.integers(t)), j] = -2.0
        faults[int(j)] = kind
    raw = ((None,) + tuple(f"c{j}" for j in range(n)),) + tuple((d,) + tuple(map(float, row)) for d, row in zip(DAYS, x))
    result = call("FM_SHARPE", raw, 252.0)  # daily dates: 252 (12 is refused as contradicting them)
    if not faults:
        assert not isinstance(result, str), result
        return
    first = min(faults)
    assert isinstance(result, str) and f"column 'c{first}'" in result, (faults, result)
    assert ("prices" in result) and ("percent" in result or "looks like prices" in result)


def _reference_beta(y: np.ndarray, f: np.ndarray) -> float:
    return float(sm.OLS(y, sm.add_constant(f)).fit().params[1])


def test_fit_factor_model_matches_statsmodels_and_lstsq_on_hostile_factors():
    """Attacks the factor extremes shared between ``check_finite`` and the constant-factor check and the
    ``_solve`` without vstack/outer: tiny and huge scales, a near-constant factor, NaN rows in a factor, negative
    zero; coefficients against statsmodels and numpy lstsq, refusals for a truly constant factor."""
    rng = np.random.default_rng(11)
    t = 80
    for scale in (1e-150, 1e-8, 1.0, 1e100):
        f = rng.normal(0, 1, (t, 2)) * scale
        y = 0.5 * scale + f @ np.array([[1.5, -0.2], [0.3, 2.0]]) + rng.normal(0, 0.1 * scale, (t, 2))
        fit = fit_factor_model(y, f)
        # the references regress the unscaled data (betas do not change with a common scale; the alpha does)
        design = np.column_stack([np.ones(t), f / scale])
        lstsq = np.linalg.lstsq(design, y / scale, rcond=None)[0]
        for j in range(2):
            params = sm.OLS(y[:, j] / scale, design).fit().params
            assert np.allclose(fit.betas[j], params[1:], rtol=1e-9, atol=0)
            assert np.allclose(fit.betas[j], lstsq[1:, j], rtol=1e-9, atol=0)
            assert math.isclose(fit.alpha[j], params[0] * scale, rel_tol=1e-7, abs_tol=1e-12 * scale)
    # a factor that barely varies (relative spread 1e-6) is fitted, one that does not vary is refused
    f = np.column_stack([1.0 + 1e-6 * rng.normal(0, 1, t), rng.normal(0, 0.01, t)])
    y = 0.2 * f[:, :1] + rng.normal(0, 0.01, (t, 1))
    fit = fit_factor_model(y, f)
    assert np.allclose(fit.betas[0], sm.OLS(y[:, 0], sm.add_constant(f)).fit().params[1:], rtol=1e-6)
    for constant in (0.0, -0.0, 0.01, -3.5):
        g = f.copy()
        g[:, 0] = constant
        with pytest.raises(core.SingularFactors, match="factor 'f1' is constant"):
            fit_factor_model(y, g)
    # a constant factor with a missing row: judged over the complete rows
    g = f.copy()
    g[:, 0] = 0.02
    g[5, 1] = np.nan
    with pytest.raises(core.SingularFactors, match="constant"):
        fit_factor_model(y, g)
    # an infinite factor is named, whatever the extremes of the other factors
    g = f.copy()
    g[7, 1] = -np.inf
    with pytest.raises(core.NonFiniteValues, match="column 'f2' has an infinite value in row 8"):
        fit_factor_model(y, g)


def _pair(rng, dates_a, dates_f, slope):
    f = rng.normal(0, 0.01, len(dates_f))
    by_date = dict(zip(dates_f, f))
    noise = rng.normal(0, 0.003, len(dates_a))
    y = np.array([0.001 + slope * by_date[d] + e if d in by_date else 0.01 * e for d, e in zip(dates_a, noise)])
    asset = ((None, "A"),) + tuple((d, float(v)) for d, v in zip(dates_a, y))
    factors = ((None, "M"),) + tuple((d, float(v)) for d, v in zip(dates_f, f))
    common = sorted(set(dates_a) & set(dates_f))
    ya = np.array([y[dates_a.index(d)] for d in common])
    fa = np.array([by_date[d] for d in common])
    return asset, factors, _reference_beta(ya, fa)


def _blas_counts():
    return {lib["filepath"]: lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


def test_eight_threads_with_shared_equal_and_different_date_columns():
    """Attacks the shared date memo, the cached dated rows and the BLAS limiter under 8 threads at once: each
    thread calls FM_BETA and FM_ALPHA on pairs whose date columns are the same list, an equal copy, shifted,
    falling, with blanks, or out of the span; every answer is statsmodels' (or the span refusal), and the BLAS
    thread counts after the calls are those before (set to 3 here, not 1)."""
    rng = np.random.default_rng(8)
    days = [dt.datetime(2012, 1, 2) + dt.timedelta(days=i) for i in range(90)]
    cases = []
    for k in range(24):
        kind = k % 6
        if kind == 0:
            da = df = days
        elif kind == 1:
            da, df = days, list(days)
        elif kind == 2:
            da, df = days, days[5 + k % 7:] + [days[-1] + dt.timedelta(days=i + 1) for i in range(5 + k % 7)]
        elif kind == 3:
            da = df = days[::-1]
        elif kind == 4:
            da = [d for i, d in enumerate(days) if i % 9 != 4]
            df = days
        else:
            da, df = days[:-1] + [dt.datetime(2263, 1, 1)], days
        asset, factors, beta = _pair(rng, list(da), list(df), 0.5 + 0.1 * k)
        cases.append((asset, factors, None if kind == 5 else beta))
    with threadpool_limits(limits=3, user_api="blas"):
        before = _blas_counts()
        failures: list = []
        barrier = threading.Barrier(8)

        def worker(w: int):
            barrier.wait()
            for i in range(150):
                asset, factors, beta = cases[(w * 7 + i * 5) % len(cases)]
                forget = (i + w) % 17 == 0
                if forget:
                    forget_dates()
                result = call("FM_BETA" if i % 2 else "FM_ALPHA", asset, factors)
                if beta is None:
                    if not (isinstance(result, str) and "outside 1677-09-22 to 2262-04-11" in result):
                        failures.append(("span", w, i, result))
                elif isinstance(result, str):
                    failures.append(("line", w, i, result))
                elif i % 2:
                    got = float(np.asarray(result).ravel()[0])
                    if not abs(got - beta) <= 1e-10 * abs(beta):
                        failures.append(("beta", w, i, got, beta))

        threads = [threading.Thread(target=worker, args=(w,)) for w in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        after = _blas_counts()
    assert not failures, failures[:5]
    assert after == before and set(before.values()) == {3}, (before, after)


def test_blas_counts_restored_after_a_refused_and_a_raising_call():
    """Attacks ``_BlasLimit.__exit__``: a call that ends in a refusal, and one whose function raises inside the
    limit, leave every BLAS library at its own count (2 here)."""
    asset = ((None, "A"),) + tuple((d, 0.01 * i) for i, d in enumerate(DAYS))
    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_counts()
        assert call("FM_BETA", asset, ((None, "M"),) + tuple((d, 0.0) for d in DAYS)).startswith("#FM!")
        assert call("FM_BETA", asset, "not a range").startswith("#FM!")
        assert _blas_counts() == before and set(before.values()) == {2}


def test_eight_threads_ask_a_fresh_tables_dated_rows_at_once():
    """Attacks the ``cached_property`` behind ``Table.dated_rows`` under a race: 8 threads ask a fresh table at
    the same moment (many times over, on new tables); all get the positions and dates pandas gives, read-only,
    and the table keeps one answer after."""
    cells = [None if i % 5 == 2 else d for i, d in enumerate(DAYS)]
    expected_rows = [i for i, d in enumerate(cells) if d is not None]
    expected_dates = pd.DatetimeIndex([d for d in cells if d is not None])
    raw = ((None, "a"),) + tuple((d, 0.01) for d in cells)
    problems: list = []
    for _ in range(30):
        forget_dates()
        table = parse_table(raw, "asset")
        barrier = threading.Barrier(8)
        answers: list = []

        def ask():
            barrier.wait()
            answers.append(table.dated_rows())

        threads = [threading.Thread(target=ask) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for rows, dates in answers:
            if rows.tolist() != expected_rows or not dates.equals(expected_dates) or rows.flags.writeable:
                problems.append((rows, dates))
        kept = table.dated_rows()
        if kept is not table.dated_rows() or not any(kept[0] is rows for rows, _ in answers):
            problems.append("not kept")
    assert not problems, problems[:3]
