"""Hostile but realistic spreadsheet input against today's speed paths, checked against independent references.

The speed changes under attack (git log 6be5943..14005b8):

* the ragged fit's blocked moment sums and the size check of the returns
  deferred to the masked fit's sums of squares when every factor row is
  present (``masked_ols``, ``fit_factor_model``);
* big ranges keyed on their cells only from their second sighting
  (``TableCache.get``);
* the date span check, ``dated_rows``, the same-dates fast path of
  ``align_on_dates``, the median gap of ``infer_periods_per_year``;
* ``typical_size`` and the median (``core.validation.median``) of the percent and price guards;
* one regressor's condition number without an eigen solve.

Every expected number comes from statsmodels or numpy on the rows the
spreadsheet rules say each asset uses (matched by an independent pandas
join), never from the add-in's own output; the cache tests compare each call
with the same input computed with every cache cleared. Every function answer
must be numbers or one ``#FM! FM_BETA:`` line: never a traceback or an
"internal error".
"""

from __future__ import annotations

import datetime as dt
import threading
import warnings
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from xl_factor.core import align_on_dates, fit_factor_model, infer_periods_per_year
from xl_factor.core.conditioning import condition_numbers
from xl_factor.core.errors import FactorModelError, NonFiniteValues
from xl_factor.sheet import cache
from xl_factor.sheet.catalogue import call
from xl_factor.core.validation import median as _median
from xl_factor.sheet.units import typical_size

RTOL = 1e-10
PREFIX = "#FM! FM_BETA:"


# --------------------------------------------------------------------------------------------------------------
# Helpers: ranges shaped the way Excel hands them over, and the independent references
# --------------------------------------------------------------------------------------------------------------


def cells(values) -> tuple:
    """A row of floats as cells: NaN becomes a blank (None)."""
    return tuple(None if (v is None or (isinstance(v, float) and np.isnan(v))) else float(v) for v in values)


def sheet(dates, values, names, date_header="Date") -> tuple:
    """A range: a header row of text, a date column (``dates`` may be None: no date column), float cells."""
    values = np.asarray(values, dtype=float)
    if dates is None:
        return (tuple(names),) + tuple(cells(row) for row in values)
    return ((date_header, *names),) + tuple((d, *cells(row)) for d, row in zip(dates, values))


def is_one_line_refusal(answer) -> bool:
    return isinstance(answer, str) and answer.startswith(PREFIX) and "\n" not in answer \
        and "internal error" not in answer and "Traceback" not in answer


def assert_refused(answer, *words):
    assert is_one_line_refusal(answer), answer
    for word in words:
        assert word in answer, (word, answer)


def ols_params(y, f, add_constant=True):
    """statsmodels OLS of one asset on its own rows (NaN anywhere in the row drops it): params and residuals."""
    rows = ~np.isnan(y) & ~np.isnan(f).any(axis=1)
    design = sm.add_constant(f[rows], has_constant="add") if add_constant else f[rows]
    fit = sm.OLS(y[rows], design).fit()
    return fit.params, fit.resid, rows


def reference_betas(asset_frame: pd.DataFrame, factor_frame: pd.DataFrame, add_constant=True) -> np.ndarray:
    """(N, K) betas: rows matched on dates by a pandas inner join, then statsmodels per asset on its own rows."""
    assert not set(asset_frame.columns) & set(factor_frame.columns)
    joined = asset_frame.join(factor_frame, how="inner").sort_index()
    f = joined[factor_frame.columns].to_numpy(dtype=float)
    out = []
    for name in asset_frame.columns:
        params, _, _ = ols_params(joined[name].to_numpy(float), f, add_constant)
        out.append(np.asarray(params)[int(add_constant):])
    return np.array(out)


def numbers(answer) -> np.ndarray:
    """A numeric answer as floats (blank slots as NaN); fails on a refusal."""
    assert not isinstance(answer, str), answer
    array = np.atleast_2d(np.asarray(answer, dtype=object))
    return np.array([[np.nan if c is None else float(c) for c in row] for row in array], dtype=float)


@pytest.fixture(scope="module")
def days(daily_returns):
    """The last 600 trading days of real daily returns: 6 stocks and two factors (the index, a stock average)."""
    frame = daily_returns.iloc[-600:]
    stocks = ["AAPL", "BAC", "CVX", "JNJ", "KO", "MSFT"]
    factors = pd.DataFrame({"MKT": frame["SP500"], "AVG": frame[["GE", "HD", "PG"]].mean(axis=1)}, index=frame.index)
    return frame[stocks].copy(), factors


@pytest.fixture(autouse=True)
def _cold_caches():
    cache.clear_all()
    yield
    cache.clear_all()


def ragged_stocks(stocks: pd.DataFrame, seed=3) -> pd.DataFrame:
    """Staggered listings, 1% blanks, a column all blank and a column with three values."""
    y = stocks.to_numpy().copy()
    rng = np.random.default_rng(seed)
    for j in range(y.shape[1]):
        y[: rng.integers(0, 300), j] = np.nan
        y[rng.random(len(y)) < 0.01, j] = np.nan
    y[:, 2] = np.nan  # a column all blank
    three = np.full(len(y), np.nan)
    three[[50, 300, 599]] = y[[50, 300, 599], 4] if not np.isnan(y[[50, 300, 599], 4]).any() else 0.01
    y[:, 4] = three
    return pd.DataFrame(y, index=stocks.index, columns=stocks.columns)


# --------------------------------------------------------------------------------------------------------------
# Ragged panels through FM_BETA and through fit_factor_model, against statsmodels
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("factor_blanks", [False, True], ids=["every-factor-row", "factor-blanks"])
@pytest.mark.parametrize("add_constant", [True, False], ids=["constant", "origin"])
def test_fm_beta_on_a_ragged_sheet_equals_statsmodels_per_asset(days, factor_blanks, add_constant):
    stocks, factors = days
    assets = ragged_stocks(stocks)
    if factor_blanks:
        factors = factors.copy()
        factors.iloc[[10, 11, 400], 1] = np.nan
        factors.iloc[123, 0] = np.nan
    answer = call("FM_BETA", sheet(assets.index.to_pydatetime(), assets.to_numpy(), assets.columns),
                  sheet(factors.index.to_pydatetime(), factors.to_numpy(), factors.columns), add_constant)
    assert not isinstance(answer, str), answer
    out = np.asarray(answer, dtype=object)
    assert out.shape == (6, 2)
    expected = reference_betas(assets[[c for i, c in enumerate(assets.columns) if i not in (2, 4)]], factors,
                               add_constant)
    got = numbers(np.delete(out, [2, 4], axis=0))
    np.testing.assert_allclose(got, expected, rtol=RTOL)
    assert all(c is None or (isinstance(c, float) and np.isnan(c)) for c in out[2])  # the blank column stays blank
    assert is_one_line_refusal(out[4, 0]) and "3 rows" in out[4, 0]  # three values: its own line, in its slot
    assert out[4, 1] is None


@pytest.mark.parametrize("factor_blanks", [False, True], ids=["every-factor-row", "factor-blanks"])
@pytest.mark.parametrize("add_constant", [True, False], ids=["constant", "origin"])
def test_core_ragged_alpha_betas_idio_var_equal_statsmodels(days, factor_blanks, add_constant):
    stocks, factors = days
    y = ragged_stocks(stocks).to_numpy()
    f = factors.to_numpy().copy()
    if factor_blanks:
        f[[5, 6, 7, 580], 0] = np.nan
    fit = fit_factor_model(y, f, add_constant, asset_names=list(stocks.columns))
    assert set(fit.failures) == {4}  # the column of three values; the blank column is no failure
    for j in (0, 1, 3, 5):
        params, resid, rows = ols_params(y[:, j], f, add_constant)
        np.testing.assert_allclose(fit.betas[j], params[int(add_constant):], rtol=RTOL)
        if add_constant:
            np.testing.assert_allclose(fit.alpha[j], params[0], rtol=RTOL)
        else:
            assert fit.alpha[j] == 0.0
        np.testing.assert_allclose(fit.idio_var[j], np.var(resid, ddof=1), rtol=RTOL)
        assert fit.n_obs[j] == rows.sum()
    assert np.isnan(fit.betas[2]).all() and np.isnan(fit.alpha[2]) and fit.n_obs[2] == 0


def test_nan_only_assets_stay_blank_while_the_others_get_numbers():
    rng = np.random.default_rng(11)
    f = rng.normal(0, 0.01, (200, 2))
    y = f @ rng.normal(1, 0.3, (2, 5)) + rng.normal(0, 0.01, (200, 5))
    y[:, [0, 3]] = np.nan
    y[:40, 1] = np.nan
    fit = fit_factor_model(y, f)
    assert not fit.failures
    assert np.isnan(fit.betas[[0, 3]]).all() and (fit.n_obs[[0, 3]] == 0).all()
    for j in (1, 2, 4):
        params, _, _ = ols_params(y[:, j], f)
        np.testing.assert_allclose(fit.betas[j], params[1:], rtol=RTOL)


# --------------------------------------------------------------------------------------------------------------
# One bad cell anywhere: refused naming column and row, as the complete panel names it
# --------------------------------------------------------------------------------------------------------------

BAD = [(np.inf, "an infinite value"), (-np.inf, "an infinite value"),
       (1e200, "a value too large for a return (1e+200)"), (-1e151, "a value too large for a return (-1e+151)")]
#: Where the bad cell goes: (row, column) in a 120 x 4 panel whose column 1 lists at row 30, column 3 blank.
PLACES = {"first-row": (0, 0), "last-row": (119, 2), "listing-first-value": (30, 1), "column-otherwise-blank": (70, 3)}


def _panel(seed=2):
    rng = np.random.default_rng(seed)
    f = rng.normal(0, 0.01, (120, 2))
    y = f @ rng.normal(1, 0.3, (2, 4)) + rng.normal(0, 0.01, (120, 4))
    return y, f


@pytest.mark.parametrize("bad, words", BAD, ids=["inf", "-inf", "1e200", "-1e151"])
@pytest.mark.parametrize("place", PLACES, ids=list(PLACES))
@pytest.mark.parametrize("factor_blanks", [False, True], ids=["every-factor-row", "factor-blanks"])
def test_a_bad_return_in_a_ragged_panel_is_refused_naming_its_cell_like_the_complete_panel(bad, words, place,
                                                                                          factor_blanks):
    y, f = _panel()
    names = ["A", "B", "C", "D"]
    row, col = PLACES[place]
    complete = y.copy()
    complete[row, col] = bad
    ragged = complete.copy()
    ragged[:30, 1] = np.nan
    ragged[:, 3] = np.nan
    ragged[row, col] = bad
    ragged[[5, 90], 2] = np.nan
    fr = f.copy()
    if factor_blanks:
        fr[[12, 64], 1] = np.nan
    expected = f"column '{names[col]}' has {words} in row {row + 1}; returns must be finite decimals"
    with pytest.raises(NonFiniteValues) as whole:
        fit_factor_model(complete, f, asset_names=names)
    assert str(whole.value) == expected
    with pytest.raises(NonFiniteValues) as holes:
        fit_factor_model(ragged, fr, asset_names=names)
    assert str(holes.value) == expected


@pytest.mark.parametrize("factor_problem", ["constant", "duplicate"])
@pytest.mark.parametrize("bad", [np.inf, 1e200], ids=["inf", "1e200"])
def test_a_bad_return_and_a_bad_factor_give_the_same_refusal_ragged_or_complete(factor_problem, bad):
    """The refusal must not depend on a blank elsewhere in the returns: the complete panel names the return's
    cell (its size check runs first), so the ragged panel with every factor row present must name it too.

    Fails since d2fa213: with every factor row present the size check of the returns is deferred until after
    _check_factors, so the ragged panel names the factor (SingularFactors) where the complete panel, and the
    ragged panel before today, name the return's cell (NonFiniteValues).
    """
    y, f = _panel()
    names = ["A", "B", "C", "D"]
    f = f.copy()
    f[:, 1] = 0.002 if factor_problem == "constant" else f[:, 0]
    y[60, 0] = bad
    ragged = y.copy()
    ragged[:10, 2] = np.nan

    def refusal(returns):
        with pytest.raises(FactorModelError) as error:
            fit_factor_model(returns, f, asset_names=names, factor_names=["M", "S"])
        return f"{type(error.value).__name__}: {error.value}"

    assert refusal(y).startswith("NonFiniteValues: column 'A'")
    assert refusal(ragged) == refusal(y)


@pytest.mark.parametrize("bad", [np.inf, 1e200, -np.inf, -1e151], ids=["inf", "1e200", "-inf", "-1e151"])
def test_fm_beta_refuses_a_bad_cell_of_a_ragged_sheet_in_one_line_as_the_complete_sheet(days, bad):
    stocks, factors = days
    complete = stocks.copy()
    complete.iloc[250, 3] = bad
    ragged = complete.copy()
    ragged.iloc[:100, 1] = np.nan
    ragged.iloc[[7, 333], 5] = np.nan
    fac = sheet(factors.index.to_pydatetime(), factors.to_numpy(), factors.columns)
    whole = call("FM_BETA", sheet(stocks.index.to_pydatetime(), complete.to_numpy(), stocks.columns), fac)
    holes = call("FM_BETA", sheet(stocks.index.to_pydatetime(), ragged.to_numpy(), stocks.columns), fac)
    assert_refused(whole, "'JNJ'")
    assert holes == whole


@pytest.mark.parametrize("ragged", [False, True])
def test_returns_of_1e149_are_accepted_and_fitted_like_statsmodels(ragged):
    y, f = _panel(7)
    y = y.copy()
    y[[3, 77], 1] = [1e149, -3e148]
    y[50, 2] = 9.9e149
    if ragged:
        y[:20, 0] = np.nan
        y[[5, 6], 2] = np.nan
    fit = fit_factor_model(y, f)
    assert not fit.failures
    for j in range(4):
        params, resid, _ = ols_params(y[:, j], f)
        np.testing.assert_allclose(np.r_[fit.alpha[j], fit.betas[j]], params, rtol=RTOL)
        np.testing.assert_allclose(fit.idio_var[j], np.var(resid, ddof=1), rtol=1e-8)


# --------------------------------------------------------------------------------------------------------------
# Big ranges: cell types told apart on every call, however often and from however many threads
# --------------------------------------------------------------------------------------------------------------

VARIANTS = {
    "FALSE-vs-0": (False, 0.0),
    "TRUE-vs-1": (True, 1.0),
    "text-vs-number": ("0.01", 0.01),
    "Decimal-vs-float": (Decimal("0.01"), 0.0125),
    "minus-zero-vs-zero": (-0.0, 0.0),
    "blank-vs-zero": (None, 0.0),
}


def _big_pair(n_rows: int, n_assets: int, seed=4):
    rng = np.random.default_rng(seed)
    start = dt.datetime(2005, 1, 3)
    dates = [start + dt.timedelta(days=i) for i in range(n_rows)]
    f = rng.normal(0, 0.01, (n_rows, 1))
    y = f @ rng.normal(1, 0.3, (1, n_assets)) + rng.normal(0, 0.01, (n_rows, n_assets))
    asset = [list(r) for r in sheet(dates, y, [f"S{j}" for j in range(n_assets)])]
    factor = sheet(dates, f, ["MKT"])
    return asset, factor


def _variant(asset, row, col, cell) -> tuple:
    rows = [list(r) for r in asset]
    rows[row][col] = cell
    return tuple(tuple(r) for r in rows)


def _same(a, b) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return np.array_equal(numbers(a), numbers(b), equal_nan=True)


@pytest.mark.parametrize("shape", [(2600, 1), (1200, 4)], ids=["2600x2", "1200x5"])
@pytest.mark.parametrize("variant", VARIANTS, ids=list(VARIANTS))
def test_a_big_range_gives_each_variant_its_own_answer_on_every_call(shape, variant):
    n_rows, n_assets = shape
    asset, factor = _big_pair(n_rows, n_assets)
    assert n_rows * (n_assets + 1) > cache.SMALL_RANGE
    row, col = 7, n_assets  # a data row the sighting does not sample (it reads rows 0, middle, last)
    assert row not in (0, len(asset) // 2, len(asset) - 1)
    first, second = (_variant(asset, row, col, c) for c in VARIANTS[variant])
    cold = {}
    for name, raw in (("a", first), ("b", second)):
        cache.clear_all()
        cold[name] = call("FM_BETA", raw, factor)
        assert not isinstance(cold[name], str), cold[name]
    if variant not in ("minus-zero-vs-zero",):
        assert not _same(cold["a"], cold["b"])  # the variants do differ
    cache.clear_all()
    for repeat in range(1, 5):
        for name, raw in (("a", first), ("b", second)) if repeat % 2 else (("b", second), ("a", first)):
            for _ in range(repeat):
                got = call("FM_BETA", raw, factor)
                assert _same(got, cold[name]), (variant, repeat, name, got, cold[name])


def test_a_big_factor_range_differing_in_one_unsampled_cell_is_not_confused():
    asset, factor = _big_pair(2600, 1, seed=9)
    factor_rows = [list(r) for r in factor]
    plain = tuple(tuple(r) for r in factor_rows)
    factor_rows[1234][1] = "n/a"
    texted = tuple(tuple(r) for r in factor_rows)
    asset = tuple(tuple(r) for r in asset)
    cold = {}
    for name, raw in (("plain", plain), ("text", texted)):
        cache.clear_all()
        cold[name] = call("FM_BETA", asset, raw)
    assert not _same(cold["plain"], cold["text"])
    cache.clear_all()
    for _ in range(3):
        for name, raw in (("plain", plain), ("text", texted)):
            assert _same(call("FM_BETA", asset, raw), cold[name])


def test_eight_threads_with_mixed_variants_each_get_their_own_answer():
    asset, factor = _big_pair(1200, 4, seed=5)
    raws = {}
    for variant, pair in VARIANTS.items():
        for side, cell in zip("ab", pair):
            raws[f"{variant}/{side}"] = _variant(asset, 11, 3, cell)
    cold = {}
    for name, raw in raws.items():
        cache.clear_all()
        cold[name] = call("FM_BETA", raw, factor)
    cache.clear_all()
    names = sorted(raws)
    wrong, errors = [], []
    barrier = threading.Barrier(8)

    def work(seed):
        order = np.random.default_rng(seed).permutation(np.tile(np.arange(len(names)), 3))
        try:
            barrier.wait()
            for i in order:
                got = call("FM_BETA", raws[names[i]], factor)
                if not _same(got, cold[names[i]]):
                    wrong.append((names[i], got, cold[names[i]]))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert not wrong, wrong[:3]


# --------------------------------------------------------------------------------------------------------------
# Dates: order, duplicates, blanks, time zones, date cells, the span of nanosecond timestamps
# --------------------------------------------------------------------------------------------------------------


def _dated(n=80, start=dt.datetime(2015, 1, 5), seed=6, k=2, n_assets=2):
    rng = np.random.default_rng(seed)
    dates = [start + dt.timedelta(days=i) for i in range(n)]
    f = rng.normal(0, 0.01, (n, k))
    y = f @ rng.normal(1, 0.3, (k, n_assets)) + rng.normal(0, 0.01, (n, n_assets))
    return dates, y, f


def _frames(dates, y, f):
    index = pd.DatetimeIndex(dates)
    return (pd.DataFrame(y, index=index, columns=[f"A{j}" for j in range(y.shape[1])]),
            pd.DataFrame(f, index=index, columns=[f"F{j}" for j in range(f.shape[1])]))


def _beta_call(dates_a, y, dates_f, f, add_constant=True):
    return call("FM_BETA", sheet(dates_a, y, [f"A{j}" for j in range(y.shape[1])]),
                sheet(dates_f, f, [f"F{j}" for j in range(f.shape[1])]), add_constant)


@pytest.mark.parametrize("order", ["both-newest-first", "asset-newest-first", "factors-newest-first",
                                   "both-shuffled-alike", "shuffled-differently"])
def test_rows_matched_by_date_in_any_order_equal_statsmodels(order):
    dates, y, f = _dated()
    expected = reference_betas(*_frames(dates, y, f))
    rng = np.random.default_rng(1)
    perm_a = perm_f = np.arange(len(dates))
    if order == "both-newest-first":
        perm_a = perm_f = perm_a[::-1]
    elif order == "asset-newest-first":
        perm_a = perm_a[::-1]
    elif order == "factors-newest-first":
        perm_f = perm_f[::-1]
    elif order == "both-shuffled-alike":
        perm_a = perm_f = rng.permutation(len(dates))
    else:
        perm_a, perm_f = rng.permutation(len(dates)), rng.permutation(len(dates))
    answer = _beta_call([dates[i] for i in perm_a], y[perm_a], [dates[i] for i in perm_f], f[perm_f])
    np.testing.assert_allclose(numbers(answer), expected, rtol=RTOL)


def test_factor_dates_a_superset_of_the_asset_dates():
    dates, y, f = _dated(120)
    keep = np.r_[10:50, 60:110]
    expected = reference_betas(_frames(dates, y, f)[0].iloc[keep], _frames(dates, y, f)[1])
    answer = _beta_call([dates[i] for i in keep][::-1], y[keep][::-1], dates, f)
    np.testing.assert_allclose(numbers(answer), expected, rtol=RTOL)


@pytest.mark.parametrize("where", ["asset-only", "factors-only", "both-identically", "both-adjacent-newest-first"])
def test_a_duplicated_date_is_refused_in_one_line(where):
    dates, y, f = _dated()
    dup = list(dates)
    dup[40] = dup[39]  # adjacent: the dates no longer rise strictly
    if where == "both-adjacent-newest-first":
        answer = _beta_call(dup[::-1], y[::-1], dup[::-1], f[::-1])
    else:
        da = dup if where in ("asset-only", "both-identically") else dates
        df = dup if where in ("factors-only", "both-identically") else dates
        answer = _beta_call(da, y, df, f)
    day = dates[39].date().isoformat()
    assert_refused(answer, f"date {day} appears more than once")


def test_a_duplicated_date_far_apart_in_both_ranges_identically_is_refused():
    dates, y, f = _dated()
    dup = list(dates)
    dup[70] = dup[3]
    assert_refused(_beta_call(dup, y, dup, f), "appears more than once")


@pytest.mark.parametrize("kind", ["datetime", "date", "aware"])
def test_a_blank_date_cell_in_the_middle_leaves_its_row_out(kind):
    dates, y, f = _dated()
    tz = dt.timezone(dt.timedelta(hours=-5))
    shown = [d if kind == "datetime" else d.date() if kind == "date" else d.replace(tzinfo=tz) for d in dates]
    shown[37] = None
    keep = [i for i in range(len(dates)) if i != 37]
    asset, factors = _frames(dates, y, f)
    expected = reference_betas(asset.iloc[keep], factors)
    answer = _beta_call(shown, y, dates, f)
    np.testing.assert_allclose(numbers(answer), expected, rtol=RTOL)
    answer = _beta_call(shown, y, shown, f)
    np.testing.assert_allclose(numbers(answer), reference_betas(asset.iloc[keep], factors.iloc[keep]), rtol=RTOL)


@pytest.mark.parametrize("kind", ["aware", "date"])
def test_aware_datetimes_and_date_cells_are_read_at_their_wall_clock_date(kind):
    dates, y, f = _dated()
    tz = dt.timezone(dt.timedelta(hours=9))
    shown = [d.replace(tzinfo=tz) for d in dates] if kind == "aware" else [d.date() for d in dates]
    expected = reference_betas(*_frames(dates, y, f))
    np.testing.assert_allclose(numbers(_beta_call(shown, y, dates, f)), expected, rtol=RTOL)
    np.testing.assert_allclose(numbers(_beta_call(shown[::-1], y[::-1], shown, f)), expected, rtol=RTOL)


@pytest.mark.parametrize("edge", ["first-day", "last-day"])
@pytest.mark.parametrize("kind", ["datetime", "date"])
def test_dates_at_the_edges_of_the_span_are_accepted(edge, kind):
    n = 60
    if edge == "first-day":
        dates = [dt.datetime(1677, 9, 22) + dt.timedelta(days=i) for i in range(n)]
    else:
        dates = [dt.datetime(2262, 4, 11) - dt.timedelta(days=n - 1 - i) for i in range(n)]
    _, y, f = _dated(n)
    shown = dates if kind == "datetime" else [d.date() for d in dates]
    expected = reference_betas(*_frames(dates, y, f))
    np.testing.assert_allclose(numbers(_beta_call(shown, y, shown, f)), expected, rtol=RTOL)
    np.testing.assert_allclose(numbers(_beta_call(shown[::-1], y[::-1], shown[::-1], f[::-1])), expected, rtol=RTOL)


OUTSIDE = [dt.datetime(1677, 9, 21), dt.datetime(2262, 4, 12), dt.datetime(1600, 1, 3), dt.datetime(2300, 6, 30),
           dt.datetime(9999, 12, 31)]


@pytest.mark.parametrize("kind", ["datetime", "date", "aware", "datetime+blank", "date+blank", "aware+blank"])
@pytest.mark.parametrize("outside", OUTSIDE, ids=[d.date().isoformat() for d in OUTSIDE])
def test_a_date_outside_the_span_is_refused_in_one_line(outside, kind):
    """Fails for date cells or aware datetimes with a blank date cell (also before today): values._with_blanks
    converts the dates to nanoseconds before _check_date_span sees them -> "internal error (OutOfBoundsDatetime)"."""
    n = 40
    dates, y, f = _dated(n, start=dt.datetime(2000, 1, 3))
    shown = list(dates)
    shown[20] = outside
    tz = dt.timezone(dt.timedelta(hours=1))
    if kind.startswith("date+") or kind == "date":
        shown = [d.date() for d in shown]
    elif kind.startswith("aware"):
        shown = [d.replace(tzinfo=tz) for d in shown]
    if kind.endswith("+blank"):
        shown[5] = None
    answer = _beta_call(shown, y, dates, f)
    assert_refused(answer, f"has the date {outside.date().isoformat()}, outside 1677-09-22 to 2262-04-11")


# --------------------------------------------------------------------------------------------------------------
# The core pieces sped up today, against numpy / pandas directly
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
@pytest.mark.parametrize("spacing, periods", [("B", 252), ("W-FRI", 52), ("ME", 12), ("QE", 4), ("YE", 1)])
def test_periods_per_year_from_any_unit_order_or_time_zone(unit, spacing, periods):
    index = pd.date_range("2001-01-01", periods=41, freq=spacing).as_unit(unit)
    for dates in (index, index[::-1], index[np.random.default_rng(0).permutation(len(index))],
                  index.tz_localize("Asia/Tokyo"), list(index.to_pydatetime())):
        assert infer_periods_per_year(dates) == periods
    # the median gap against numpy's own median
    gaps = np.diff(np.sort(index.as_unit("ns").asi8)) / 86_400e9
    assert np.median(gaps) > 0


def test_periods_per_year_of_two_and_of_an_even_number_of_dates():
    assert infer_periods_per_year(pd.DatetimeIndex(["2020-01-31", "2020-02-29"])) == 12
    # an even count of gaps: the median is the mean of the two middle gaps (5 and 8 days -> 6.5: weekly bounds)
    dates = pd.DatetimeIndex(["2020-01-01", "2020-01-02", "2020-01-07", "2020-01-15", "2020-01-30"])
    gaps = np.diff(dates.as_unit("ns").asi8) / 86_400e9
    from xl_factor.core.periods import _SPACING_BOUNDS

    median = float(np.median(gaps))
    expected = next(p for bound, p in _SPACING_BOUNDS if 0 < median <= bound)
    assert infer_periods_per_year(dates) == expected


@pytest.mark.parametrize("case", ["rising", "falling", "one-date", "shuffled", "units-differ", "left-subset"])
def test_align_on_dates_equals_a_pandas_inner_join(case):
    index = pd.date_range("2010-01-01", periods=30, freq="D").as_unit("us")
    left = right = index
    if case == "falling":
        left = right = index[::-1]
    elif case == "one-date":
        left = right = index[:1]
    elif case == "shuffled":
        left = right = index[np.random.default_rng(2).permutation(30)]
    elif case == "units-differ":
        left, right = index[::-1], index.as_unit("s")[::-1]
    elif case == "left-subset":
        left, right = index[5:20][::-1], index
    got = align_on_dates(left, right)
    a = pd.DataFrame({"pos_l": np.arange(len(left))}, index=pd.DatetimeIndex(left).as_unit("ns"))
    b = pd.DataFrame({"pos_r": np.arange(len(right))}, index=pd.DatetimeIndex(right).as_unit("ns"))
    joined = a.join(b, how="inner").sort_index()
    np.testing.assert_array_equal(got.dates.as_unit("ns").asi8, joined.index.asi8)
    np.testing.assert_array_equal(got.left, joined["pos_l"].to_numpy())
    np.testing.assert_array_equal(got.right, joined["pos_r"].to_numpy())
    assert pd.DatetimeIndex(left)[got.left].equals(pd.DatetimeIndex(got.dates).as_unit(pd.DatetimeIndex(left).unit))


def test_align_on_dates_refuses_a_duplicate_in_identical_date_columns():
    index = pd.DatetimeIndex(["2020-01-01", "2020-01-02", "2020-01-02", "2020-01-03"])
    for dates in (index, index[::-1]):
        with pytest.raises(FactorModelError, match="appears more than once"):
            align_on_dates(dates, dates)


def test_typical_size_and_median_equal_numpy_on_tiny_and_odd_shapes():
    rng = np.random.default_rng(8)
    for n_rows in (1, 2, 3, 4, 5, 511, 512, 513, 1025, 1200):
        for n_cols in (1, 2, 3, 7):
            values = rng.normal(0, 0.02, (n_rows, n_cols))
            values[rng.random(values.shape) < 0.3] = np.nan
            values[:, 0] = np.nan  # a column with no value
            if n_cols > 1:
                values[:, 1] = np.nan
                values[n_rows // 2, 1] = -0.3  # a column of one value
            step = max(1, n_rows // 512)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # numpy's All-NaN slice
                expected = np.nanmedian(np.abs(values[::step]), axis=0)
            np.testing.assert_array_equal(typical_size(values), expected)
            sizes = expected
            present = sizes[~np.isnan(sizes)]
            want = float(np.median(present)) if present.size else np.nan
            np.testing.assert_array_equal(_median(sizes), want)


def test_condition_number_of_one_regressor_equals_numpy():
    for m in ([[1e-24]], [[4.0]], [[1e300]], [[5e-324]]):
        assert condition_numbers(np.array(m)) == pytest.approx(np.linalg.cond(np.array([[np.sqrt(m[0][0])]])))
    for m in ([[0.0]], [[-1.0]], [[np.nan]]):
        assert condition_numbers(np.array(m)) == np.inf
    batch = condition_numbers(np.array([[[2.0]], [[0.0]], [[3.0]]]))
    np.testing.assert_array_equal(batch, [1.0, np.inf, 1.0])


# --------------------------------------------------------------------------------------------------------------
# Percent and price guards, per series, on tiny ranges
# --------------------------------------------------------------------------------------------------------------

THREE_DAYS = [dt.datetime(2021, 3, 1), dt.datetime(2021, 3, 2), dt.datetime(2021, 3, 3)]
F3 = np.array([[0.010], [-0.020], [0.005]])


def test_tiny_decimal_ranges_are_accepted_and_fitted_like_statsmodels():
    y = np.array([[0.012], [-0.018], [0.007]])
    answer = call("FM_BETA", sheet(THREE_DAYS, y, ["A"]), sheet(THREE_DAYS, F3, ["M"]))
    params, _, _ = ols_params(y[:, 0], F3)
    np.testing.assert_allclose(numbers(answer)[0, 0], params[1], rtol=RTOL)


@pytest.mark.parametrize("n_cols, bad", [(1, 0), (2, 1), (3, 2), (3, 0)])
def test_one_percent_column_among_decimals_on_three_rows_is_refused_by_name(n_cols, bad):
    rng = np.random.default_rng(n_cols)
    y = rng.normal(0, 0.01, (3, n_cols))
    y[:, bad] = [1.2, -0.8, 2.5]  # percent
    names = [f"S{j}" for j in range(n_cols)]
    answer = call("FM_BETA", sheet(THREE_DAYS, y, names), sheet(THREE_DAYS, F3, ["M"]))
    assert_refused(answer, f"'S{bad}'", "percent")


def test_a_column_of_one_value_is_judged_on_that_value():
    y = np.array([[np.nan, 0.011], [3.0, -0.02], [np.nan, 0.004]])
    assert_refused(call("FM_BETA", sheet(THREE_DAYS, y, ["P", "D"]), sheet(THREE_DAYS, F3, ["M"])), "'P'", "percent")
    y[1, 0] = 0.01  # a decimal: accepted; its single row is too few, in its own slot, and the other gets numbers
    answer = np.asarray(call("FM_BETA", sheet(THREE_DAYS, y, ["P", "D"]), sheet(THREE_DAYS, F3, ["M"])), dtype=object)
    assert is_one_line_refusal(answer[0, 0])
    params, _, _ = ols_params(y[:, 1], F3)
    np.testing.assert_allclose(float(answer[1, 0]), params[1], rtol=RTOL)


def test_a_percent_factor_on_three_rows_is_refused():
    f = np.array([[1.0], [-2.0], [0.5]])
    assert_refused(call("FM_BETA", sheet(THREE_DAYS, [[0.01], [-0.02], [0.004]], ["A"]), sheet(THREE_DAYS, f, ["M"])),
                   "factors", "'M'", "percent")


@pytest.mark.parametrize("n_cols", [1, 2, 3])
def test_a_price_column_among_returns_is_refused(n_cols):
    dates = [dt.datetime(2021, 3, 1) + dt.timedelta(days=i) for i in range(8)]
    rng = np.random.default_rng(n_cols)
    y = rng.normal(0, 0.01, (8, n_cols))
    y[:, -1] = 1.10 * np.cumprod(1 + rng.normal(0, 0.003, 8))  # an FX rate
    f = rng.normal(0, 0.01, (8, 1))
    answer = call("FM_BETA", sheet(dates, y, [f"S{j}" for j in range(n_cols)]), sheet(dates, f, ["M"]))
    assert_refused(answer, f"'S{n_cols - 1}'")
    assert "prices" in answer or "percent" in answer


# --------------------------------------------------------------------------------------------------------------
# Degenerate factors: refused in one line; a tiny but varying factor fitted to lstsq accuracy
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("problem", ["constant", "identical", "scaled-copy"])
@pytest.mark.parametrize("ragged", [False, True])
def test_a_constant_or_duplicated_factor_is_refused_in_one_line(days, problem, ragged):
    stocks, factors = days
    factors = factors.copy()
    if problem == "constant":
        factors["AVG"] = 0.0002
    elif problem == "identical":
        factors["AVG"] = factors["MKT"]
    else:
        factors["AVG"] = factors["MKT"] * 0.5
    assets = stocks.copy()
    if ragged:
        assets.iloc[:200, 0] = np.nan
    answer = call("FM_BETA", sheet(assets.index.to_pydatetime(), assets.to_numpy(), assets.columns),
                  sheet(factors.index.to_pydatetime(), factors.to_numpy(), factors.columns))
    assert_refused(answer, "constant" if problem == "constant" else "collinear")


@pytest.mark.parametrize("ragged", [False, True])
@pytest.mark.parametrize("add_constant", [True, False])
def test_a_factor_of_tiny_variance_is_fitted_to_lstsq_accuracy(ragged, add_constant):
    """A factor of 1e-12 scale (a spread in the 12th decimal): its design is the 1e12-scaled one's, which
    lstsq solves to full accuracy; the fit must give that answer scaled back."""
    rng = np.random.default_rng(21)
    n = 300
    f = np.column_stack([rng.normal(0, 0.01, n), rng.normal(0, 1e-12, n)])
    y = f[:, :1] @ [[0.9, 1.1]] + np.outer(f[:, 1], [3e9, -2e9]) + rng.normal(0, 0.01, (n, 2))
    if ragged:
        y[:40, 1] = np.nan
    fit = fit_factor_model(y, f, add_constant)
    assert not fit.failures
    scaled = f * [1.0, 1e12]
    for j in range(2):
        rows = ~np.isnan(y[:, j])
        design = np.column_stack([np.ones(rows.sum()), scaled[rows]]) if add_constant else scaled[rows]
        coef = np.linalg.lstsq(design, y[rows, j], rcond=None)[0]
        betas = coef[int(add_constant):] * [1.0, 1e12]
        np.testing.assert_allclose(fit.betas[j], betas, rtol=1e-9)


@pytest.mark.parametrize("relative_sd, refused", [(1e-11, True), (1e-9, False)])
def test_a_nearly_constant_factor_is_refused_exactly_when_it_does_not_vary(relative_sd, refused):
    """sd <= 1e-10 x mean |x| does not vary (the package's rule): refused as constant in one line; above it, the
    fit equals statsmodels on the exactly centred and rescaled factor (the same data, a well-scaled design)."""
    rng = np.random.default_rng(4)
    n = 250
    noise = rng.normal(0, 1, n)
    level = -0.01 * (1 + relative_sd * noise)  # below zero: no price level, so only the constant rule judges it
    f = np.column_stack([rng.normal(0, 0.01, n), level])
    y = f[:, :1] * 0.8 + rng.normal(0, 0.01, (n, 1))
    dates = [dt.datetime(2010, 1, 4) + dt.timedelta(days=i) for i in range(n)]
    answer = call("FM_BETA", sheet(dates, y, ["A"]), sheet(dates, f, ["M", "L"]))
    if refused:
        assert_refused(answer, "'L'", "constant")
        return
    shifted = np.column_stack([f[:, 0], (f[:, 1] + 0.01) / (0.01 * relative_sd)])
    params, _, _ = ols_params(y[:, 0], shifted)
    expected = params[1:] * [1.0, 1 / (0.01 * relative_sd)]
    np.testing.assert_allclose(numbers(answer)[0], expected, rtol=1e-8)


def test_index_and_its_tracker_as_two_factors_on_a_ragged_panel_equal_statsmodels(daily_returns):
    """Real daily index returns and a fund tracking it (0.5 bp a day of tracking difference: correlation about
    0.99999, a design condition number of a few hundred): the ragged fit must still give statsmodels' numbers
    on each asset's rows, as the complete panel does (QR on the same rows: about 1e-13).

    Fails (also before today): NORMAL_EQUATIONS_LIMIT = 1e3 lets designs of condition ~500 through the normal
    equations, which square it: betas off by 2-4e-10 relative.
    """
    frame = daily_returns.iloc[-1500:]
    stocks = ["AAPL", "BAC", "CVX", "JNJ", "KO", "MSFT", "PFE", "XOM"]
    rng = np.random.default_rng(13)
    index = frame["SP500"].to_numpy()
    f = np.column_stack([index, index + rng.normal(0, 5e-5, len(index))])
    y = frame[stocks].to_numpy().copy()
    for j in range(y.shape[1]):
        y[: rng.integers(0, 400), j] = np.nan
        y[rng.random(len(y)) < 0.01, j] = np.nan
    fit = fit_factor_model(y, f)
    assert not fit.failures
    for j in range(y.shape[1]):
        params, resid, _ = ols_params(y[:, j], f)
        np.testing.assert_allclose(fit.betas[j], params[1:], rtol=RTOL, err_msg=stocks[j])
        np.testing.assert_allclose(fit.alpha[j], params[0], rtol=RTOL, err_msg=stocks[j])
