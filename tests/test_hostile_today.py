"""Hostile input against the fast paths of git log 8151326..83e0c99, checked against independent references.

Under attack:

* ``regression._solve``: QR of the centred, scaled factors only, ``Q'(y - ybar) = Q'y - (Q'1) ybar'``;
* ``conditioning.does_not_vary``: no moveaxis on axis 0, the exact check only where the screen doubts;
* ``values._LAST_DATES``: consecutive parses with equal date columns share one DatetimeIndex;
* ``units.check_returns``: the frequency read only when a column could fail the annual test, and
  ``typical_size``'s path for columns with nothing missing;
* whole numbers beyond a double read as +-inf and refused by name;
* ``core.rolling``: tiled window sums and solve, EWMA in tiles.

Every expected number comes from exact rational arithmetic (``fractions``), statsmodels (OLS, RollingOLS,
WLS), pandas or numpy lstsq, never from the add-in's own output.
"""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.regression.rolling import RollingOLS

from xl_factor.core import fit_factor_model
from xl_factor.core import rolling
from xl_factor.core.conditioning import CONSTANT_RTOL, does_not_vary
from xl_factor.core.errors import FactorModelError
from xl_factor.sheet import cache
from xl_factor.sheet.catalogue import CATALOGUE, call
from xl_factor.sheet.units import typical_size
from xl_factor.sheet.values import parse_table

RTOL = 1e-10


@pytest.fixture(autouse=True)
def _cold_caches():
    cache.clear_all()
    yield
    cache.clear_all()


# --------------------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------------------


def sheet(dates, values, names, date_header="Date") -> tuple:
    """A range as Excel hands it over: header row, a date column (None: none), float cells, NaN as blank."""
    values = np.asarray(values, dtype=float)
    body = [tuple(None if np.isnan(v) else float(v) for v in row) for row in values]
    if dates is None:
        return (tuple(names),) + tuple(body)
    return ((date_header, *names),) + tuple((d, *row) for d, row in zip(dates, body))


def numbers(answer) -> np.ndarray:
    assert not isinstance(answer, str), answer
    array = np.atleast_2d(np.asarray(answer, dtype=object))
    return np.array([[np.nan if c is None else float(c) for c in row] for row in array], dtype=float)


def no_internal_error(answer) -> bool:
    text = answer if isinstance(answer, str) else " ".join(
        c for c in np.asarray(answer, dtype=object).ravel() if isinstance(c, str))
    return "internal error" not in text and "Traceback" not in text


def exact_ols(f: np.ndarray, y: np.ndarray, add_constant: bool) -> np.ndarray:
    """Least squares in exact rational arithmetic on the given doubles: [alpha,] betas, rounded once."""
    x = np.column_stack([np.ones(len(f)), f]) if add_constant else f
    xs = [[Fraction(float(v)) for v in row] for row in x]
    ys = [Fraction(float(v)) for v in y]
    p = x.shape[1]
    m = [[sum(r[i] * r[j] for r in xs) for j in range(p)] + [sum(r[i] * v for r, v in zip(xs, ys))]
         for i in range(p)]
    for c in range(p):  # Gauss-Jordan, exact
        pivot = next(r for r in range(c, p) if m[r][c] != 0)
        m[c], m[pivot] = m[pivot], m[c]
        for r in range(p):
            if r != c and m[r][c] != 0:
                ratio = m[r][c] / m[c][c]
                m[r] = [a - ratio * b for a, b in zip(m[r], m[c])]
    return np.array([float(m[i][p] / m[i][i]) for i in range(p)])


def fitted_params(f, y, add_constant):
    fit = fit_factor_model(y[:, None], f, add_constant)
    assert not fit.failures, fit.failures
    return np.concatenate([[fit.alpha[0]], fit.betas[0]]) if add_constant else fit.betas[0]


# --------------------------------------------------------------------------------------------------------------
# 1. The small-fit QR (centred factors only) against exact arithmetic, statsmodels and lstsq
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 2, 3, 6])
@pytest.mark.parametrize("extra_rows", [1, 2, 40])
@pytest.mark.parametrize("add_constant", [True, False], ids=["constant", "origin"])
def test_well_conditioned_small_fits_equal_statsmodels(k, extra_rows, add_constant):
    rng = np.random.default_rng(100 * k + extra_rows + add_constant)
    n = k + int(add_constant) + extra_rows  # extra_rows=1: one row more than parameters
    f = rng.normal(0.001, 0.01, (n, k))
    y = 0.002 + f @ rng.normal(1, 0.5, k) + rng.normal(0, 0.01, n)
    design = sm.add_constant(f, has_constant="add") if add_constant else f
    expected = sm.OLS(y, design).fit().params
    np.testing.assert_allclose(fitted_params(f, y, add_constant), expected, rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(fitted_params(f, y, add_constant), exact_ols(f, y, add_constant), rtol=1e-11,
                               atol=1e-15)


@pytest.mark.parametrize("y_level", [1e2, 1e4, 1e6])
@pytest.mark.parametrize("f_level", [0.0, 1.0, 100.0])
def test_asset_with_a_large_mean_next_to_its_variation_is_as_accurate_as_lstsq(y_level, f_level):
    """y = level + O(1): Q'y - (Q'1) ybar subtracts two numbers of size ybar; no worse than lstsq on [1, f]."""
    rng = np.random.default_rng(int(y_level + f_level))
    n, k = 40, 3
    f = rng.normal(0, 1, (n, k)) + f_level
    y = y_level + (f - f.mean(axis=0)) @ np.array([1.0, -0.5, 0.25]) + rng.normal(0, 1, n)
    exact = exact_ols(f, y, True)
    lstsq = np.linalg.lstsq(np.column_stack([np.ones(n), f]), y, rcond=None)[0]
    got = fitted_params(f, y, True)
    err = np.abs(got - exact) / np.abs(exact)
    lstsq_err = np.abs(lstsq - exact) / np.abs(exact)
    assert err.max() <= max(10 * lstsq_err.max(), 1e-13), (err, lstsq_err)


@pytest.mark.parametrize("spread", [1e-2, 1e-3, 1e-4, 1e-5, 1e-6])
@pytest.mark.parametrize("add_constant", [True, False], ids=["constant", "origin"])
def test_near_collinear_factors_keep_lstsqs_digits_less_one(spread, add_constant):
    """Condition numbers ~1e2..1e6 (below the refusal point): at least lstsq's correct digits minus one."""
    rng = np.random.default_rng(int(1 / spread) + add_constant)
    n, k = 30, 3
    f = rng.normal(0, 0.01, (n, k)) + (0.003 if add_constant else 0.0)
    f[:, 1] = f[:, 0] + spread * f[:, 1]
    y = f @ np.array([0.7, 0.4, -0.2]) + rng.normal(0, 0.002, n) + 0.001 * add_constant
    exact = exact_ols(f, y, add_constant)
    design = np.column_stack([np.ones(n), f]) if add_constant else f
    lstsq = np.linalg.lstsq(design, y, rcond=None)[0]
    got = fitted_params(f, y, add_constant)
    scale = np.abs(exact).max()
    scaled = design / np.linalg.norm(design, axis=0)
    backward_stable = 10 * np.linalg.cond(scaled) * np.finfo(float).eps  # what any stable solve may lose
    assert np.abs(got - exact).max() / scale <= max(10 * np.abs(lstsq - exact).max() / scale, backward_stable)


def test_factor_with_a_huge_mean_is_refused_or_exact():
    """A factor of 1e6 + tiny noise: either refused as constant or fitted as exact arithmetic says."""
    rng = np.random.default_rng(5)
    n = 50
    for noise in (1e-12, 1e-9, 1e-6, 1e-3):
        f = np.column_stack([1e6 + noise * rng.normal(0, 1, n), rng.normal(0, 0.01, n)])
        y = 0.001 + 0.5 * f[:, 1] + noise * rng.normal(0, 1, n)
        try:
            fit = fit_factor_model(y[:, None], f)
        except FactorModelError as error:
            assert noise / 1e6 < 1e3 * CONSTANT_RTOL, (noise, error)  # refused only near the rule
            continue
        assert not fit.failures, (noise, fit.failures)
        exact = exact_ols(f, y, True)
        lstsq = np.linalg.lstsq(np.column_stack([np.ones(n), f]), y, rcond=None)[0]
        got = np.concatenate([[fit.alpha[0]], fit.betas[0]])
        assert np.all(np.abs(got - exact) <= 10 * np.abs(lstsq - exact) + 1e-12 * np.abs(exact)), (noise, got, exact)


# --------------------------------------------------------------------------------------------------------------
# 2. does_not_vary against its definition
# --------------------------------------------------------------------------------------------------------------


def by_definition(x: np.ndarray) -> np.ndarray:
    """Per column (axis 0) of 2-D x: fewer than two values, or sd (ddof 1) <= CONSTANT_RTOL * mean |x|."""
    out = []
    for col in x.T:
        v = col[~np.isnan(col)]
        out.append(len(v) < 2 or not (np.std(v, ddof=1) > CONSTANT_RTOL * np.mean(np.abs(v))))
    return np.array(out)


def _columns():
    n = 300
    rng = np.random.default_rng(0)
    base = rng.normal(0, 0.01, n)
    one_off = np.full(n, 0.01)
    one_off[137] = 0.0100001
    one_off_tiny = np.full(n, 0.01)
    one_off_tiny[5] = 0.01 * (1 + 1e-13)  # a rounding-sized difference: does not vary
    with_nan = np.full(n, 0.05)
    with_nan[::3] = np.nan
    single = np.full(n, np.nan)
    single[42] = 0.3
    zeros = np.zeros(n)
    big = np.full(n, 1e6)
    big[-1] = 1e6 + 1e-3  # sd / size ~ 6e-11: does not vary
    big2 = np.full(n, 1e6)
    big2[:10] = 1e6 + 1.0  # sd / size ~ 2e-7: varies
    return np.column_stack([base, one_off, one_off_tiny, with_nan, single, np.full(n, np.nan), zeros, big, big2,
                            np.full(n, -0.02)])


def test_does_not_vary_matches_its_definition_on_awkward_columns():
    x = _columns()
    expected = by_definition(x)
    assert list(expected) == [False, False, True, True, True, True, True, True, False, True]
    np.testing.assert_array_equal(does_not_vary(x), expected)
    np.testing.assert_array_equal(does_not_vary(x.T, axis=1), expected)  # the moveaxis path
    np.testing.assert_array_equal(does_not_vary(np.asfortranarray(x)), expected)
    np.testing.assert_array_equal(does_not_vary(x[:, 1]), expected[1])  # one series, 1-D
    cube = np.stack([x, x[:, ::-1]], axis=2)  # (T, N, 2): axis 0 of a 3-D stack
    np.testing.assert_array_equal(does_not_vary(cube), np.stack([expected, expected[::-1]], axis=1))
    np.testing.assert_array_equal(does_not_vary(np.moveaxis(cube, 0, 2), axis=2),
                                  np.stack([expected, expected[::-1]], axis=1))
    assert does_not_vary(x[:1]).all() and does_not_vary(x[:0]).all()  # one row, no row


# --------------------------------------------------------------------------------------------------------------
# 3. The shared date index: ranges whose date columns differ in one cell, or are shifted
# --------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def days(daily_returns):
    frame = daily_returns.iloc[-300:]
    assets = frame[["AAPL", "BAC", "KO"]].copy()
    factors = pd.DataFrame({"MKT": frame["SP500"], "AVG": frame[["GE", "HD", "PG"]].mean(axis=1)})
    return assets, factors


def joined_reference(asset_dates, asset_values, factor_dates, factor_values) -> np.ndarray:
    """(N, K) statsmodels betas on the rows matched by date (pandas inner join; blank dates dropped)."""
    a = pd.DataFrame(asset_values, index=pd.DatetimeIndex(asset_dates), columns=[f"a{i}" for i in range(
        asset_values.shape[1])])
    f = pd.DataFrame(factor_values, index=pd.DatetimeIndex(factor_dates), columns=[f"f{i}" for i in range(
        factor_values.shape[1])])
    a, f = a[a.index.notna()], f[f.index.notna()]
    joined = a.join(f, how="inner").sort_index()
    x = sm.add_constant(joined[f.columns].to_numpy(), has_constant="add")
    return np.array([sm.OLS(joined[c].to_numpy(), x, missing="drop").fit().params[1:] for c in a.columns])


def _variants(dates):
    """Factor date columns that differ from ``dates`` in one way each."""
    d = list(dates)
    micro = d.copy()
    micro[100] = micro[100] + dt.timedelta(microseconds=1)
    day = d.copy()
    day[150] = day[150] + dt.timedelta(hours=12)  # a new date between two others
    blank = d.copy()
    blank[7] = None
    fold = [c.replace(fold=1) for c in d]  # equal to the naive cells: the same dates
    return {"same": d, "micro": micro, "half-day": day, "blank": blank, "reversed": d[::-1], "shorter": d[:-1],
            "shifted": d[1:] + [d[-1] + dt.timedelta(days=1)], "fold": fold}


@pytest.mark.parametrize("variant", ["same", "micro", "half-day", "blank", "reversed", "shorter", "shifted", "fold"])
def test_fm_beta_with_factor_dates_differing_in_one_cell_equals_statsmodels_on_the_matched_rows(days, variant):
    assets, factors = days
    dates = list(assets.index.to_pydatetime())
    fdates = _variants(dates)[variant]
    fvalues = factors.to_numpy()[: len(fdates)]
    if variant == "reversed":
        fvalues = fvalues[::-1]
    asset_range = sheet(dates, assets.to_numpy(), assets.columns)
    factor_range = sheet(fdates, fvalues, factors.columns)
    for first, second in ((asset_range, factor_range), (factor_range, asset_range)):  # either parsed first
        cache.clear_all()
        call("FM_DATA", first)  # leaves its date column in the memo
        answer = call("FM_BETA", asset_range, factor_range)
        expected = joined_reference(dates, assets.to_numpy(), fdates, fvalues)
        np.testing.assert_allclose(numbers(answer), expected, rtol=RTOL)
        del second


def test_fm_beta_on_the_asset_range_shifted_one_row_equals_statsmodels(days):
    assets, _ = days
    dates = list(assets.index.to_pydatetime())
    values = assets.to_numpy()
    asset_range = sheet(dates[:-1], values[:-1, :2], ["a", "b"])
    factor_range = sheet(dates[1:], values[1:, 2:], ["f"])  # the same date column moved up a row
    answer = call("FM_BETA", asset_range, factor_range)
    expected = joined_reference(dates[:-1], values[:-1, :2], dates[1:], values[1:, 2:])
    np.testing.assert_allclose(numbers(answer).ravel(), expected.ravel(), rtol=RTOL)


@pytest.mark.parametrize("kind", ["aware", "date", "timestamp", "mixed-aware"])
def test_other_date_cell_types_next_to_naive_ones_are_matched_by_date(days, kind):
    assets, factors = days
    dates = list(assets.index.to_pydatetime())
    if kind == "aware":
        fdates = [d.replace(tzinfo=dt.timezone(dt.timedelta(hours=5))) for d in dates]
    elif kind == "date":
        fdates = [d.date() for d in dates]
    elif kind == "timestamp":
        fdates = [pd.Timestamp(d) for d in dates]
    else:
        fdates = list(dates)
        fdates[3] = fdates[3].replace(tzinfo=dt.timezone.utc)
    asset_range = sheet(dates, assets.to_numpy(), assets.columns)
    factor_range = sheet(fdates, factors.to_numpy(), factors.columns)
    answer = call("FM_BETA", asset_range, factor_range)  # asset parsed first: its naive column in the memo
    assert no_internal_error(answer)
    expected = joined_reference(dates, assets.to_numpy(), [pd.Timestamp(d).replace(tzinfo=None) for d in fdates],
                                factors.to_numpy())
    np.testing.assert_allclose(numbers(answer), expected, rtol=RTOL)


def test_threads_parsing_different_date_columns_never_mix_them():
    base = [dt.datetime(2015, 1, 1) + dt.timedelta(days=i) for i in range(120)]
    columns = [[d + dt.timedelta(days=7 * j) for d in base] for j in range(6)]
    tables = [((("Date", "x"),) + tuple((d, float(i)) for i, d in enumerate(c))) for c in columns]
    expected = [pd.DatetimeIndex(c) for c in columns]
    barrier = threading.Barrier(6)

    def work(j):
        barrier.wait()
        for _ in range(150):
            got = parse_table(tables[j], "x").dates
            if not got.equals(expected[j]):
                return j
        return None

    with ThreadPoolExecutor(6) as pool:
        assert list(pool.map(work, range(6))) == [None] * 6


# --------------------------------------------------------------------------------------------------------------
# 4. check_returns: the annual test's boundary, and typical_size's path with nothing missing
# --------------------------------------------------------------------------------------------------------------


def _sized(n, size, rng):
    """A column whose median absolute value is ``size`` exactly (signs alternate, sizes spread around it)."""
    spread = np.exp(np.abs(rng.normal(0, 0.3, n // 2)))
    magnitudes = np.concatenate([size / spread, [size], size * spread])  # n odd: size is the median
    return magnitudes[rng.permutation(n)] * np.where(np.arange(n) % 2, 1.0, -1.0)


# Monthly and coarser data have no such boundary: 2 / sqrt(12) is above the per-period rule's 0.5, which refuses first.
@pytest.mark.parametrize("step_days,periods", [(1, 252), (7, 52)], ids=["daily", "weekly"])
@pytest.mark.parametrize("side", [-1, 1], ids=["below", "above"])
def test_annual_percent_test_at_its_boundary(step_days, periods, side):
    rng = np.random.default_rng(step_days)
    n = 201
    bound = 2.0 / np.sqrt(periods)
    size = bound * (1 + side * 1e-6)
    assert size < 0.5
    dates = [dt.datetime(2001, 1, 1) + dt.timedelta(days=step_days * i) for i in range(n)]
    small = rng.normal(0, 0.01, (n, 2))
    values = np.column_stack([small[:, 0], _sized(n, size, rng), small[:, 1]])
    values[::5, 2] = np.nan  # one column with holes: typical_size's NaN-aware path
    values = values[:, :2] if periods < 252 else values  # (three columns: the scale rule would refuse 'big')
    answer = call("FM_SHARPE", sheet(dates, values, ["s1", "big", "s2"][: values.shape[1]]))
    if side > 0:
        assert isinstance(answer, str) and "'big'" in answer and "percent" in answer, answer
    else:
        assert not isinstance(answer, str), answer
        x = pd.DataFrame(values)
        np.testing.assert_allclose(numbers(answer).ravel(), x.mean() / x.std(ddof=1), rtol=RTOL)


def test_undated_big_column_is_not_judged_by_a_frequency():
    rng = np.random.default_rng(9)
    values = np.column_stack([_sized(101, 0.3, rng), rng.normal(0, 0.01, 101)])
    answer = call("FM_SHARPE", sheet(None, values, ["big", "s"]))
    np.testing.assert_allclose(numbers(answer).ravel(), values.mean(0) / values.std(0, ddof=1), rtol=RTOL)


@pytest.mark.parametrize("rows", [1, 2, 3, 4, 511, 512, 1025, 5000])
def test_typical_size_is_the_nan_median_of_its_sample(rows):
    rng = np.random.default_rng(rows)
    x = rng.normal(0, 0.02, (rows, 4))
    step = max(1, rows // 512)
    full = typical_size(x)
    np.testing.assert_array_equal(full, np.median(np.abs(x[::step]), axis=0))
    holed = x.copy()
    holed[rng.random(x.shape) < 0.3] = np.nan
    holed[:, 3] = np.nan
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        expected = np.nanmedian(np.abs(holed[::step]), axis=0)
    np.testing.assert_array_equal(typical_size(holed), expected)


# --------------------------------------------------------------------------------------------------------------
# 5. Whole numbers beyond a double
# --------------------------------------------------------------------------------------------------------------


BIG = [10**400, -(10**400), 2**1024 - 1, 2**1024, -(2**1024)]
_SKIP = {"FM_INFO", "FM_MODEL", "FM_MODEL_COVMAT", "FM_BOOKHEDGE", "FM_ACTIVERISK", "FM_SCENARIO", "FM_STRESS"}
_NUMBERS = {"window": 10.0, "halflife": 5.0, "k": 1.0, "n_assets": 3.0, "periods_per_year": 252.0}


def _base_args(function, asset, factors):
    args = []
    for a in function.args:
        if a.kind == "table":
            args.append(asset if a.name in ("asset", "returns", "prices", "data") else factors)
        elif a.kind == "numbers":
            args.append(((0.3, 0.3, 0.4),) if a.name in ("weights", "positions") else ((0.5,),))
        elif a.kind == "number":
            args.append(_NUMBERS.get(a.name, a.default if a.optional else 1.0))
        elif a.kind == "number_or_table":
            args.append(0.0001)
        elif a.kind == "text":
            args.append("mean" if a.name == "kind" else (a.default if a.optional and a.default is not None else ""))
        else:
            args.append(a.default if a.optional else None)
    return args


def _with_cell(table, row, col, cell):
    rows = [list(r) for r in table]
    rows[row][col] = cell
    return tuple(tuple(r) for r in rows)


def test_whole_numbers_beyond_a_double_never_make_an_internal_error_anywhere():
    rng = np.random.default_rng(0)
    dates = [dt.datetime(2020, 1, 1) + dt.timedelta(days=i) for i in range(40)]
    asset = sheet(dates, rng.normal(0, 0.01, (40, 3)), ["a", "b", "c"])
    factors = sheet(dates, rng.normal(0, 0.01, (40, 2)), ["m", "s"])
    seen = 0
    undated = [tuple(r[1:] for r in table) for table in (asset, factors)]
    for asset, factors in ((asset, factors), undated):
        seen += _every_function_with_big_cells(asset, factors)
    assert seen > 200


def _every_function_with_big_cells(asset, factors) -> int:
    """Each function, a whole number beyond a double in a cell of each range (first column: the dates, or the
    first data column of an undated range) and in each number argument: never an internal error."""
    seen = 0
    for function in CATALOGUE:
        if function.name in _SKIP:
            continue
        base = _base_args(function, asset, factors)
        for i, a in enumerate(function.args):
            if a.kind not in ("table", "number", "numbers", "number_or_table"):
                continue
            for big, col in [(b, c) for b in BIG for c in ((0, 1) if a.kind == "table" else (None,))]:
                args = list(base)
                args[i] = _with_cell(base[i], 5, col, big) if a.kind == "table" else big
                answer = call(function.name, *args)
                seen += 1
                assert no_internal_error(answer), (function.name, a.name, answer)
                if a.kind == "table" and col == 1 and function.name != "FM_DATA":
                    # the bad cell is refused (the whole call or that column's slot), never turned into numbers
                    assert isinstance(answer, str) or any(
                        isinstance(c, str) and c.startswith("#FM!") for c in np.asarray(answer, dtype=object).ravel()
                    ) or function.name in ("FM_SIZE", "FM_ANNUALIZE"), (function.name, a.name, answer)
    return seen


@pytest.mark.parametrize("col", [0, 1], ids=["first-column", "second-column"])
@pytest.mark.parametrize("big", [10**400, 2**1024], ids=["10**400", "2**1024"])
def test_sharpe_of_a_column_holding_a_whole_number_beyond_a_double_names_the_value(big, col):
    """First column of an undated range: was an internal error (OverflowError in the date-serial test).
    Second column: was "'b' does not vary" (its sd is NaN). The cell is refused for its value."""
    rng = np.random.default_rng(1)
    table = _with_cell(sheet(None, rng.normal(0, 0.01, (30, 2)), ["a", "b"]), 4, col, big)
    answer = call("FM_SHARPE", table)
    name = "ab"[col]
    assert isinstance(answer, str) and f"'{name}'" in answer and "infinite value in row 4" in answer, answer


def test_whole_numbers_that_fit_a_double_are_read_exactly():
    ints = [0, 1, -3, 2**53 + 1, 2**63, -(2**70), 2**1023, 10**308]
    table = parse_table((("x", "y"),) + tuple((i, 0.5) for i in ints), "data")
    np.testing.assert_array_equal(table.values[:, 0], np.array([float(i) for i in ints]))
    mixed = parse_table((("x", "y"),) + tuple((i, "text" if j == 2 else 0.5) for j, i in enumerate(ints)), "data")
    np.testing.assert_array_equal(mixed.values[:, 0], np.array([float(i) for i in ints]))
    with_big = parse_table((("x", "y"),) + tuple((i, 10**400 if j == 1 else 0.5) for j, i in enumerate(ints)),
                           "data")
    np.testing.assert_array_equal(with_big.values[:, 0], np.array([float(i) for i in ints]))
    assert with_big.values[1, 1] == np.inf
    # small whole-number returns in a range go through FM_BETA as the floats they are
    rng = np.random.default_rng(2)
    f = rng.normal(0, 0.01, 60)
    y = 0.9 * f + rng.normal(0, 0.01, 60)
    y[[3, 30]] = 0.0
    asset = tuple([("y",)] + [(0 if v == 0.0 else float(v),) for v in y])
    answer = call("FM_BETA", asset, sheet(None, f[:, None], ["f"]))
    np.testing.assert_allclose(numbers(answer)[0, 0], sm.OLS(y, sm.add_constant(f)).fit().params[1], rtol=RTOL)


# --------------------------------------------------------------------------------------------------------------
# 6. Rolling and EWMA betas: tiles against RollingOLS and WLS
# --------------------------------------------------------------------------------------------------------------


def assert_betas(got, expected, rtol=RTOL):
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    assert got.shape == expected.shape
    assert np.array_equal(np.isnan(got), np.isnan(expected)), np.argwhere(np.isnan(got) != np.isnan(expected))[:5]
    floor = rtol * np.nanmax(np.abs(expected), initial=0.0)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=floor)


def rolling_reference(y, f, window, min_nobs, expanding):
    """(T, N, 1 + K): RollingOLS per asset, missing="drop", reset every period."""
    x = sm.add_constant(f, has_constant="add")
    blank = np.full((len(y), x.shape[1]), np.nan)  # an asset with no row: RollingOLS cannot take it
    return np.stack([RollingOLS(y[:, j], x, window, min_nobs=min_nobs, expanding=expanding, missing="drop")
                     .fit(reset=1).params if (~np.isnan(y[:, j])).any() else blank
                     for j in range(y.shape[1])], axis=1)


def ewma_reference(y, f, halflife, min_nobs):
    """(T, N, 1 + K): statsmodels WLS on the present rows s <= t, weights 0.5 ** ((t - s) / halflife)."""
    n_rows, n = y.shape
    out = np.full((n_rows, n, 1 + f.shape[1]), np.nan)
    for j in range(n):
        ok = ~np.isnan(y[:, j]) & ~np.isnan(f).any(axis=1)
        for t in range(n_rows):
            rows = np.flatnonzero(ok[: t + 1])
            if len(rows) < min_nobs:
                continue
            w = 0.5 ** ((t - rows) / halflife)
            out[t, j] = sm.WLS(y[rows, j], sm.add_constant(f[rows], has_constant="add"), weights=w).fit().params
    return out


def hostile_panel(n_rows, n_assets, k, seed):
    """Staggered listings, an asset with no rows, one listed in the last 4 rows only, 2% holes, factor holes."""
    rng = np.random.default_rng(seed)
    f = rng.normal(0.0005, 0.01, (n_rows, k))
    y = 0.0002 + f @ rng.normal(1, 0.4, (k, n_assets)) + rng.normal(0, 0.01, (n_rows, n_assets))
    y[rng.random(y.shape) < 0.02] = np.nan
    for j in range(n_assets):
        y[: int(rng.integers(0, n_rows // 2)), j] = np.nan
    if n_assets >= 3:
        y[:, 1] = np.nan
        y[:-4, 2] = np.nan
    f[rng.random(n_rows) < 0.01, 0] = np.nan
    return y, f


def as_params(fit):
    return np.concatenate([fit.alpha[..., None], fit.betas], axis=-1)


def blank_where_fewer(expected, counts, least):
    out = expected.copy()
    out[counts < least] = np.nan
    return out


@pytest.mark.parametrize("tiles", [(rolling.TILE_DOUBLES, rolling.TILE_ROWS), (60, 2), (1, 1), (700, 3)],
                         ids=["default", "small", "one", "odd"])
@pytest.mark.parametrize("n_rows,window,expanding", [(37, 5, False), (37, 5, True), (37, 37, False),
                                                      (37, 37, True), (37, 11, False), (64, 8, True)])
def test_rolling_core_with_forced_tiles_equals_rolling_ols(monkeypatch, tiles, n_rows, window, expanding):
    monkeypatch.setattr(rolling, "TILE_DOUBLES", tiles[0])
    monkeypatch.setattr(rolling, "TILE_ROWS", tiles[1])
    y, f = hostile_panel(n_rows, 5, 3, seed=n_rows + window)
    got = rolling.rolling_betas(y, f, window, None, expanding)
    expected = rolling_reference(y, f, window, 5, expanding)
    assert_betas(as_params(got), expected)


def test_rolling_core_300_assets_and_5000_rows(monkeypatch):
    monkeypatch.setattr(rolling, "TILE_DOUBLES", 20_000)  # many chunks of assets
    y, f = hostile_panel(60, 300, 2, seed=1)
    got = rolling.rolling_betas(y, f, 12, 6, True)
    cols = [0, 1, 2, 3, 150, 299]
    assert_betas(as_params(got)[:, cols], rolling_reference(y[:, cols], f, 12, 6, True))
    y, f = hostile_panel(5000, 3, 2, seed=2)
    got = rolling.rolling_betas(y, f, 250)
    assert_betas(as_params(got), rolling_reference(y, f, 250, 4, False))


def test_rolling_blank_where_a_factor_is_constant_over_the_window():
    rng = np.random.default_rng(4)
    n_rows, window = 80, 10
    f = rng.normal(0, 0.01, (n_rows, 2))
    f[30:50, 1] = 0.003  # constant over the windows ending at rows 39..49
    y = f @ np.array([[1.0], [0.5]]) + rng.normal(0, 0.01, (n_rows, 1))
    got = as_params(rolling.rolling_betas(y, f, window))
    flat = np.array([t >= window - 1 and np.ptp(f[t - window + 1: t + 1, 1]) == 0 for t in range(n_rows)])
    assert np.isnan(got[flat]).all() and flat.sum() == 11
    expected = rolling_reference(y, f, window, 4, False)
    expected[flat] = np.nan
    assert_betas(got, expected)


def test_fm_rolling_beta_on_a_sheet_equals_rolling_ols(days, monkeypatch):
    monkeypatch.setattr(rolling, "TILE_DOUBLES", 500)
    assets, factors = days
    y = assets.to_numpy().copy()
    y[:50, 0] = np.nan
    y[rng_mask(y.shape, 0.03)] = np.nan
    dates = list(assets.index.to_pydatetime())
    answer = call("FM_ROLLING_BETA", sheet(dates, y, assets.columns), sheet(dates, factors.to_numpy(),
                  factors.columns), 21, "", 10, True)
    out = np.asarray(answer, dtype=object)
    assert not isinstance(answer, str), answer
    got = np.array([[np.nan if c is None else float(c) for c in row] for row in out[1:]])
    expected = rolling_reference(y, factors.to_numpy(), 21, 10, True)[:, :, 1:].reshape(len(y), -1)
    assert_betas(got, expected)


def rng_mask(shape, share, seed=7):
    return np.random.default_rng(seed).random(shape) < share


@pytest.mark.parametrize("halflife", [0.5, 4.0, 1e6])
@pytest.mark.parametrize("tiles", [rolling.TILE_DOUBLES, 40, 1], ids=["default", "small", "one"])
def test_ewma_core_with_forced_tiles_equals_wls(monkeypatch, halflife, tiles):
    monkeypatch.setattr(rolling, "TILE_DOUBLES", tiles)
    y, f = hostile_panel(45, 4, 2, seed=int(halflife) + tiles % 97)
    got = as_params(rolling.ewma_betas(y, f, halflife, 5))
    expected = ewma_reference(y, f, halflife, 5)
    if halflife < 1:  # weights 0.25 ** age: a fit may be refused as ill-conditioned where WLS still answers
        expected[np.isnan(got)] = np.nan
        assert np.isfinite(got).sum() >= 0.8 * np.isfinite(ewma_reference(y, f, halflife, 5)).sum()
    assert_betas(got, expected, rtol=1e-9 if halflife < 1 else RTOL)


def test_ewma_long_complete_series_equals_pandas_ewm(monkeypatch):
    """One factor, 5000 rows, tiles of a few rows: beta = ewm cov / ewm var (adjust=True), as pandas has it."""
    monkeypatch.setattr(rolling, "TILE_DOUBLES", 64)
    rng = np.random.default_rng(8)
    f = rng.normal(0, 0.01, 5000)
    y = 1.2 * f + rng.normal(0, 0.01, 5000)
    for life in (3.0, 250.0):
        got = rolling.ewma_betas(y, f[:, None], life).betas[:, 0, 0]
        frame = pd.DataFrame({"y": y, "f": f})
        ewm = frame.ewm(halflife=life, adjust=True)
        beta = (ewm.cov(bias=True)["f"].xs("y", level=1) / ewm.var(bias=True)["f"]).to_numpy().copy()
        beta[:2] = np.nan
        np.testing.assert_allclose(got[2:], beta[2:], rtol=1e-9)
        assert np.isnan(got[:2]).all()


def test_fm_ewma_beta_on_a_sheet_equals_wls(days):
    assets, factors = days
    y = assets.to_numpy()[:120].copy()
    y[:30, 1] = np.nan
    y[rng_mask(y.shape, 0.03, seed=3)] = np.nan
    f = factors.to_numpy()[:120]
    dates = list(assets.index.to_pydatetime())[:120]
    answer = call("FM_EWMA_BETA", sheet(dates, y, assets.columns), sheet(dates, f, factors.columns), 20.0, "MKT", 6)
    out = np.asarray(answer, dtype=object)
    assert not isinstance(answer, str), answer
    got = np.array([[np.nan if c is None else float(c) for c in row] for row in out[1:]])
    assert_betas(got, ewma_reference(y, f, 20.0, 6)[:, :, 1])


# A factor pinned at a level for many halflives: its weighted variation sits in rows weighted about 1e-12, and
# the moment sums' rounding swamps it (it cost 2e-4 of the betas before ROUNDING_FLOOR was raised to 1e-7).
def test_ewma_factor_constant_for_many_halflives_is_accurate_or_blank():
    rng = np.random.default_rng(7)
    n_rows, t = 200, 140
    f = rng.normal(0, 0.01, (n_rows, 2))
    f[60:, 0] = 0.01  # a factor pinned for 140 periods (a rate at its floor)
    y = f @ np.array([[1.0], [0.5]]) + rng.normal(0, 0.01, (n_rows, 1))
    got = as_params(rolling.ewma_betas(y, f, 2.0))[t, 0]
    w = 0.5 ** ((t - np.arange(t + 1)) / 2.0)
    sw = [Fraction(float(v)) for v in w]
    x = [[Fraction(1), Fraction(float(a)), Fraction(float(b))] for a, b in f[: t + 1]]
    ys = [Fraction(float(v)) for v in y[: t + 1, 0]]
    m = [[sum(wi * r[i] * r[j] for wi, r in zip(sw, x)) for j in range(3)]
         + [sum(wi * r[i] * v for wi, r, v in zip(sw, x, ys))] for i in range(3)]
    for c in range(3):  # exact weighted normal equations (the weights as the doubles they are)
        for r in range(3):
            if r != c:
                ratio = m[r][c] / m[c][c]
                m[r] = [a - ratio * b for a, b in zip(m[r], m[c])]
    exact = np.array([float(m[i][3] / m[i][i]) for i in range(3)])
    wls = sm.WLS(y[: t + 1, 0], sm.add_constant(f[: t + 1]), weights=w).fit().params
    wls_err = np.abs(wls - exact) / np.abs(exact)
    assert wls_err.max() < 1e-5  # the reference solve itself is good to 5 digits here
    assert np.isnan(got).all() or (np.abs(got - exact) / np.abs(exact) <= 10 * wls_err + 1e-12).all(), (got, exact)
