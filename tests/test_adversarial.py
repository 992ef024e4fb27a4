"""Adversarial input for every FM_* function: the cells real workbooks hold, each defect class of issue 9.

Every case either gives the right number (checked against statsmodels or
numpy on the same cleaned real data, to 1e-10) or one ``#FM!`` line that
names the function and the argument. The classes:

1. cache keys tell cell types apart; answers never depend on call order;
2. date columns either way round, any header, aware and naive datetimes;
3. units checked per series (percent, prices, rf as a number or a column);
4. degenerate inputs (constant series, near-collinear factors) refused by
   one rule whatever T;
5. scalars that are not numbers refused, overflow refused;
6. (threads: ``test_threads.py``);
7. one asset's failure stays in its own slot; an empty column stays blank.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
import warnings
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from excel_shapes import ERROR_CODES, NA, excel_range, set_cell
from xl_factor.sheet.cache import clear_all
from xl_factor.sheet.catalogue import CATALOGUE, call

T = 120
RTOL = 1e-10
EPOCH = dt.datetime(1899, 12, 30)


@pytest.fixture(scope="module")
def d(ff_monthly):
    frame = ff_monthly.iloc[:T]
    return {
        "y": frame[["NoDur"]].sub(frame["RF"], axis=0),
        "y3": frame[["NoDur", "Durbl", "Manuf"]].sub(frame["RF"], axis=0),
        "f": frame[["MktRF"]],
        "f3": frame[["MktRF", "SMB", "HML"]],
        "rf": frame[["RF"]],
        "more": frame[["Enrgy", "Chems", "BusEq"]].sub(frame["RF"], axis=0),
    }


def is_line(result, function: str, *fragments: str) -> bool:
    return (isinstance(result, str) and result.startswith(f"#FM! {function}: ") and "\n" not in result
            and "internal error" not in result and all(f in result for f in fragments))


def assert_line(result, function: str, *fragments: str) -> None:
    assert is_line(result, function, *fragments), result


def ols(y: pd.Series, f: pd.DataFrame, const: bool = True):
    joined = pd.concat([y, f], axis=1).dropna()
    x = sm.add_constant(joined.iloc[:, 1:]) if const else joined.iloc[:, 1:]
    return sm.OLS(joined.iloc[:, 0], x).fit()


def serial_range(frame: pd.DataFrame, header: str | None = "Date") -> tuple:
    """Dates as whole-number serials (LibreOffice, Lite), under ``header`` (None: a blank corner)."""
    rows = [(header,) + tuple(frame.columns)]
    for stamp, values in zip(frame.index, frame.itertuples(index=False)):
        rows.append((float((stamp.to_pydatetime() - EPOCH).days),) + tuple(float(v) for v in values))
    return tuple(rows)


def newest_first(value: tuple) -> tuple:
    return (value[0],) + tuple(reversed(value[1:]))


def shuffled(value: tuple, seed: int) -> tuple:
    body = list(value[1:])
    random.Random(seed).shuffle(body)
    return (value[0],) + tuple(body)


def numbers(result) -> np.ndarray:
    return np.asarray(result, dtype=float)


# ---------------------------------------------------------------- 2. dates either way round, any header

ORDERINGS = {
    "newest first": newest_first,
    "shuffled": lambda v: shuffled(v, 7),
}
HEADERS = ["Date", "Datum", "Dato", "Fecha valor", None, "日付"]
PER_ASSET = ["FM_BETA", "FM_ALPHA", "FM_RISKSHARE"]


@pytest.mark.parametrize("function", PER_ASSET)
@pytest.mark.parametrize("header", HEADERS)
@pytest.mark.parametrize("order", ["as is", "newest first"])
def test_serial_dates_under_any_header_either_way_round(d, function, header, order):
    """Serial dates running one way are dates whatever the header: the answer is the oldest-first one."""
    asset = serial_range(d["y3"], header)
    if order == "newest first":
        asset = newest_first(asset)
    expected = numbers(call(function, excel_range(d["y3"]), excel_range(d["f"])))
    got = call(function, asset, excel_range(d["f"]))
    np.testing.assert_allclose(numbers(got), expected, rtol=RTOL)


@pytest.mark.parametrize("function", ["FM_ROLLING_BETA", "FM_EWMA_BETA"])
@pytest.mark.parametrize("ordering", list(ORDERINGS))
@pytest.mark.parametrize("factor_dates", [True, False])
def test_time_varying_betas_run_in_date_order(d, function, ordering, factor_dates):
    """A newest-first or shuffled asset gives each row the beta of its own date, as the sorted call does."""
    arg = 24 if function == "FM_ROLLING_BETA" else 12
    sorted_result = numbers(call(function, excel_range(d["y"]), excel_range(d["f"]), arg))
    reorder = ORDERINGS[ordering]
    asset = reorder(excel_range(d["y"]))
    factors = reorder(excel_range(d["f"])) if not factor_dates else excel_range(d["f"])
    if not factor_dates:  # rows matched by position: both in the same (reordered) order, only the asset dated
        factors = tuple(row[1:] for row in factors)
    got = numbers(call(function, asset, factors, arg))
    by_date = {row[0]: i for i, row in enumerate(asset[1:])}
    for i, row in enumerate(excel_range(d["y"])[1:]):
        np.testing.assert_allclose(got[by_date[row[0]]], sorted_result[i], rtol=1e-9, equal_nan=True)


@pytest.mark.parametrize("ordering", list(ORDERINGS))
@pytest.mark.parametrize("serial", [False, True])
def test_returns_from_prices_follow_the_dates(d, ordering, serial):
    """FM_RETURNS on newest-first or shuffled prices: each dated return is P_t / P_(t-1) - 1 in time."""
    prices = (1 + d["y3"]).cumprod() * 100
    value = serial_range(prices, "Dato") if serial else excel_range(prices)
    got = call("FM_RETURNS", ORDERINGS[ordering](value))
    expected = prices.pct_change().iloc[1:]
    rows = {r[0]: r[1:] for r in got[1:]}  # result dates are serials whatever came in
    assert len(rows) == T - 1
    for stamp, values in expected.iterrows():
        got_row = np.asarray(rows[float((stamp.to_pydatetime() - EPOCH).days)], dtype=float)
        np.testing.assert_allclose(got_row, values.to_numpy(), rtol=RTOL)


@pytest.mark.parametrize("newest_first", [False, True])
@pytest.mark.parametrize("date_cell", [NA, None, "n/a"])
def test_no_return_spans_a_row_without_a_date(d, newest_first, date_cell):
    """A date cell holding #N/A, a blank or text: that period's price is unknown, so the return over it is blank,
    as across a blank price; it was once P_t / P_(t-2) - 1, a return over two periods among one-period ones."""
    prices = (1 + d["y3"]).cumprod() * 100
    cells = [list(r) for r in excel_range(prices)]
    cells[41][0] = date_cell  # the 40th period
    cells = tuple(map(tuple, cells if not newest_first else cells[:1] + cells[1:][::-1]))
    got = call("FM_RETURNS", cells)
    expected = prices.pct_change()
    expected.iloc[40:42] = np.nan  # the period without a date, and the one after it
    rows = {r[0]: r[1:] for r in got[1:] if r[0] is not None and not (isinstance(r[0], float) and np.isnan(r[0]))}
    assert len(rows) == T - 2  # every dated period but the first has its row
    for stamp, values in expected.iloc[1:].drop(expected.index[40]).iterrows():
        got_row = np.array([np.nan if v is None else v for v in rows[float((stamp.to_pydatetime() - EPOCH).days)]],
                           dtype=float)
        np.testing.assert_allclose(got_row, values.to_numpy(), rtol=RTOL)


@pytest.mark.parametrize("header", [True, False])
def test_a_refused_price_in_an_undated_range_is_named_by_its_row_in_the_range(header):
    rows = ((10.0, 5.0), (11.0, 5.5), (12.0, 0.0), (13.0, 6.0))
    got = call("FM_RETURNS", (("A", "B"),) + rows if header else rows)
    assert_line(got[1][1] if header else got[0][1], "FM_RETURNS", "prices",
                f"column '{'B' if header else 'col2'}' has a price of 0 in row {4 if header else 3} of the range")


def test_undated_rows_among_dated_rows_in_no_order_are_refused(d):
    prices = (1 + d["y3"]).cumprod() * 100
    cells = [list(r) for r in excel_range(prices)]
    cells[41][0] = None
    cells[10], cells[20] = cells[20], cells[10]
    assert_line(call("FM_RETURNS", tuple(map(tuple, cells))), "FM_RETURNS", "prices",
                "rows without a date among rows in no date order")


def test_a_refused_price_fails_its_column_alone_named_by_its_date_in_newest_first_prices(d):
    """A zero price in Durbl (newest first, the third row of data): Durbl's column says so, naming the date (it
    once named row 98, counted after sorting, and refused every column); the others are pandas' returns."""
    prices = (1 + d["y3"]).cumprod() * 100
    cells = [list(r) for r in excel_range(prices)]
    cells = cells[:1] + cells[1:][::-1]
    cells[3][2] = 0.0  # the third row of data: the 118th month
    got = np.asarray(call("FM_RETURNS", tuple(map(tuple, cells))), dtype=object)
    assert_line(got[1, 2], "FM_RETURNS", "prices", f"column 'Durbl' has a price of 0 on {prices.index[-3].date()}")
    assert all(c is None for c in got[2:, 2])
    expected = prices[["NoDur", "Manuf"]].pct_change().iloc[1:].to_numpy()[::-1]
    np.testing.assert_allclose(got[1:, [1, 3]].astype(float), expected, rtol=RTOL)
    only = call("FM_RETURNS", tuple(tuple(r[:1] + r[2:3]) for r in cells))  # the one column: the whole call
    assert_line(only, "FM_RETURNS", "prices", "column 'Durbl' has a price of 0")


@pytest.mark.parametrize("prices", [(100.0, 101.0, 103.0, 104.0), (40.0, 41.0, 42.0, 45.0), (5.0, 6.0, 7.0, 8.0)])
def test_whole_number_prices_are_never_dates(prices):
    """Rising whole-number prices stay a price column: FM_RETURNS keeps every column."""
    value = (("P", "Q"),) + tuple((p, q) for p, q in zip(prices, (10.0, 10.5, 10.2, 10.4)))
    got = numbers(call("FM_RETURNS", value)[1:])
    np.testing.assert_allclose(got[:, 0], np.diff(prices) / prices[:-1], rtol=RTOL)


@pytest.mark.parametrize("aware", [dt.timezone.utc, dt.timezone(dt.timedelta(hours=-5)), dt.timezone(dt.timedelta(hours=9))])
def test_aware_and_naive_datetimes_share_a_column(d, aware):
    """Time-zone-aware cells are read at their wall-clock date, as Excel shows them; no internal error."""
    plain = excel_range(d["y"])
    mixed = tuple(row if i % 2 or i == 0 else (row[0].replace(tzinfo=aware),) + row[1:] for i, row in enumerate(plain))
    assert call("FM_BETA", mixed, excel_range(d["f"])) == pytest.approx(call("FM_BETA", plain, excel_range(d["f"])), rel=RTOL)


def test_duplicated_dates_are_refused(d):
    value = excel_range(d["y"])
    value = set_cell(value, 5, 0, value[4][0])
    assert_line(call("FM_BETA", value, excel_range(d["f"])), "FM_BETA", "asset")


# ---------------------------------------------------------------- 3. units per series

def _percent_column(d, j):
    return d["y3"].assign(**{d["y3"].columns[j]: d["y3"].iloc[:, j] * 100})


@pytest.mark.parametrize("function", ["FM_BETA", "FM_ALPHA", "FM_VARDECOMP", "FM_COVMAT", "FM_RESID", "FM_FAMAMACBETH"])
@pytest.mark.parametrize("column", [0, 1, 2])
def test_one_percent_column_among_decimals_is_refused_by_name(d, function, column):
    frame = _percent_column(d, column)
    if function == "FM_FAMAMACBETH":
        frame = pd.concat([frame, d["y3"].add_suffix("x")], axis=1)
    result = call(function, excel_range(frame), excel_range(d["f"]))
    assert_line(result, function, f"column '{frame.columns[column]}'", "percent")


@pytest.mark.parametrize("label", ["RF", "T-bill 1M", "Treasury3M", "SOFR", "USD Libor 1M", "Money market"])
def test_cash_returns_of_a_high_rate_era_are_returns_not_prices(ff_monthly, label):
    """The one-month T-bill's return 1979-1984 (0.5-1.35% a month) is positive every month and smooth, as prices
    are; labelled as cash (RF, a T-bill, a Treasury bill's tenor, an overnight or interbank rate), at a level a
    cash return has (at most 30% a year by its monthly dates), it is a return: it was refused as prices with
    the advice to take its returns. As a regressor it equals statsmodels."""
    frame = ff_monthly.loc["1979":"1984"].rename(columns={"RF": label})
    got = call("FM_REGRESS", excel_range(frame[["NoDur"]]), excel_range(frame[["MktRF", label]]))
    fit = sm.OLS(frame["NoDur"], sm.add_constant(frame[["MktRF", label]])).fit()
    np.testing.assert_allclose(numbers(got[1:4, 1]), fit.params.to_numpy(), rtol=RTOL)
    assert not isinstance(call("FM_GRS", excel_range(frame[["NoDur", "Durbl", label]]),
                               excel_range(frame[["MktRF"]])), str)


@pytest.mark.parametrize("label, every", [("USDperJPY", "ME"), ("USDperINR", "QE"), ("RF", "D")])
def test_a_price_at_a_cash_return_level_is_still_prices(ff_monthly, label, every):
    """USD per JPY (about 0.011) month by month, USD per INR quarter by quarter: no level tells them from a T-bill's
    returns, so only a column labelled as cash is read as one; and one labelled RF at 1.1% a day is no cash
    return either (a level-only rule let the FX rates through as returns once)."""
    rng = np.random.default_rng(0)
    dates = pd.date_range("2010-01-31", periods=36, freq=every)
    level = 0.011 + 0.0015 * np.sin(np.arange(36) / 6) + rng.normal(0, 0.0002, 36)
    price = pd.DataFrame({label: level}, index=dates)
    market = pd.DataFrame({"Mkt": ff_monthly["MktRF"].to_numpy()[-36:] / (21 if every == "D" else 1)}, index=dates)
    assert_line(call("FM_BETA", excel_range(price), excel_range(market)), "FM_BETA", f"'{label}'", "prices")
    assert_line(call("FM_SHARPE", excel_range(price), 12.0), "FM_SHARPE", f"'{label}'", "prices")


@pytest.mark.parametrize("level,what", [(0.3, "an FX rate"), (0.05, "a penny stock"), (1.3, "EURUSD"), (95.0, "a bond price")])
@pytest.mark.parametrize("position", ["asset", "factors"])
def test_prices_are_not_returns(d, level, what, position):
    prices = level * (1 + d["y"].iloc[:, 0] * 0.2).cumprod()
    frame = d["y3"].assign(Px=prices) if position == "asset" else d["f3"].assign(Px=prices)
    args = (excel_range(frame), excel_range(d["f"])) if position == "asset" else (excel_range(d["y"]), excel_range(frame))
    assert_line(call("FM_BETA", *args), "FM_BETA", position, "'Px'")


@pytest.mark.parametrize("rf", [5, 5.0, 0.4, [[3.0]], "5%"])
def test_rf_as_a_number_gets_the_checks_of_a_column(d, rf):
    """FM_EXCESS(returns, 5) would subtract 500% a period: refused, as the same rf in a column is."""
    value = rf if not isinstance(rf, list) else tuple(map(tuple, rf))
    assert_line(call("FM_EXCESS", excel_range(d["y3"]), value), "FM_EXCESS", "rf")


@pytest.mark.parametrize("scale", [100.0, 1200.0])
def test_rf_column_in_percent_is_refused(d, scale):
    assert_line(call("FM_EXCESS", excel_range(d["y3"]), excel_range(d["rf"] * scale)), "FM_EXCESS", "rf", "percent")


def test_rf_in_decimals_is_subtracted(d, ff_monthly):
    got = call("FM_EXCESS", excel_range(d["y3"]), excel_range(d["rf"]))
    np.testing.assert_allclose(numbers(got[1:, 1:]), d["y3"].sub(d["rf"]["RF"], axis=0).to_numpy(), rtol=RTOL)


def test_a_monthly_rf_is_not_subtracted_from_daily_returns(daily_returns, ff_monthly):
    """Daily returns against the Fama-French monthly RF: the dates match on the first of some months only, and
    each match would subtract a month's rate from a day's return (32 of 1,258 rows came back so)."""
    returns = daily_returns.loc["2013":"2017", ["MSFT", "KO"]]
    rf = ff_monthly.loc["2013":"2017", ["RF"]]
    assert_line(call("FM_EXCESS", excel_range(returns), excel_range(rf)), "FM_EXCESS", "rf",
                "days apart in the median, returns 1 day")


def test_rf_on_other_days_of_the_same_months_is_refused_and_a_few_missing_months_are_blank(ff_monthly):
    """Returns on business month-ends, rf on calendar month-ends: 20 of 72 months share no day and were blanked
    without a word; now refused. An rf missing three months (a gap in its source) blanks those three only."""
    frame = ff_monthly.loc["2000":"2005"]
    returns, rf = frame[["NoDur"]].copy(), frame[["RF"]].copy()
    returns.index = returns.index + pd.offsets.BMonthEnd(0)
    rf.index = rf.index + pd.offsets.MonthEnd(0)
    assert_line(call("FM_EXCESS", excel_range(returns), excel_range(rf)), "FM_EXCESS", "rf",
                "has no rate for 20 of the returns' 72 dates inside its own")
    gaps = frame.index[[5, 17, 30]]
    got = np.asarray(call("FM_EXCESS", excel_range(frame[["NoDur"]]), excel_range(frame[["RF"]].drop(gaps))),
                     dtype=object)
    values = np.array([np.nan if v is None else v for v in got[1:, 1]], dtype=float)
    expected = frame["NoDur"].sub(frame["RF"].drop(gaps).reindex(frame.index)).to_numpy()
    np.testing.assert_allclose(values, expected, rtol=RTOL)
    assert np.isnan(values).sum() == 3


def test_rf_on_some_of_the_dates_keeps_every_row_of_returns(d):
    """rf for the later half of the months only, newest first: every return row keeps its place, in the order
    given; the months without a rate are blank, the others are returns minus rf (pandas' own subtraction)."""
    y3, rf = d["y3"].iloc[::-1], d["rf"].iloc[T // 2:]
    got = np.asarray(call("FM_EXCESS", excel_range(y3), excel_range(rf.iloc[::-1])), dtype=object)
    assert got.shape == (len(y3) + 1, 4)
    serials = (y3.index - pd.Timestamp("1899-12-30")).days.astype(float)
    assert got[1:, 0].astype(float).tolist() == serials.tolist()
    expected = y3.sub(rf["RF"].reindex(y3.index), axis=0).to_numpy()
    values = np.array([[np.nan if c is None else c for c in r] for r in got[1:, 1:]], dtype=float)
    np.testing.assert_allclose(values, expected, rtol=RTOL)
    assert np.isnan(values[len(y3) - T // 2:]).all() and not np.isnan(values[:len(y3) - T // 2]).any()


@pytest.mark.parametrize("function", ["FM_BETA", "FM_VARDECOMP", "FM_COVMAT"])
@pytest.mark.parametrize("dated", [True, False])
def test_daily_factors_in_percent_with_decimal_assets_are_refused(daily_returns, function, dated):
    """Daily factors in percent of typical size 0.3 (as SMB and HML are) next to decimal stock returns."""
    days = daily_returns.iloc[-500:]
    factor = days[["SP500"]] * 100 * 0.5  # typical size about 0.3: below the percent median on its own
    args = (excel_range(days[["MSFT", "WMT", "JPM"]], dates=dated), excel_range(factor, dates=dated))
    assert_line(call(function, *args), function, "factors", "percent")


# ---------------------------------------------------------------- 4. degenerate input, one rule

@pytest.mark.parametrize("n_rows", [60, 600, 6000])
@pytest.mark.parametrize("gap", [0.0, 1e-20, 1e-15])
def test_near_collinear_factors_are_refused_whatever_t(n_rows, gap):
    rng = np.random.default_rng(n_rows)
    f1 = rng.normal(0, 0.04, n_rows)
    f2 = f1 * (1 + gap) + gap * rng.normal(size=n_rows)
    y = 0.8 * f1 + rng.normal(0, 0.02, n_rows)
    factors = (("A", "B"),) + tuple(zip(f1.tolist(), f2.tolist()))
    asset = (("y",),) + tuple((v,) for v in y.tolist())
    assert_line(call("FM_BETA", asset, factors), "FM_BETA", "factors", "collinear")


@pytest.mark.parametrize("rho_gap", [1e-2, 1e-6])
def test_merely_correlated_factors_are_solved(rho_gap):
    rng = np.random.default_rng(3)
    f1 = rng.normal(0, 0.04, 500)
    f2 = f1 + np.sqrt(rho_gap) * rng.normal(0, 0.04, 500)
    y = 0.5 * f1 + 0.3 * f2 + rng.normal(0, 0.02, 500)
    factors = (("A", "B"),) + tuple(zip(f1.tolist(), f2.tolist()))
    asset = (("y",),) + tuple((v,) for v in y.tolist())
    expected = sm.OLS(y, sm.add_constant(np.column_stack([f1, f2]))).fit().params[1:]
    np.testing.assert_allclose(numbers(call("FM_BETA", asset, factors))[0], expected, rtol=1e-8)


@pytest.mark.parametrize("function,method", [
    (name, "factor") for name in ("FM_BETA", "FM_ALPHA", "FM_VARDECOMP", "FM_RISKSHARE", "FM_COVMAT", "FM_CORRMAT")
] + [("FM_COVMAT", "sample"), ("FM_CORRMAT", "sample")])
def test_a_constant_series_is_refused_in_its_slot(d, function, method):
    """A money-market fund of constant return: its own #FM! line; the other assets get their numbers."""
    frame = d["y3"].assign(MMF=0.003)
    args = [excel_range(frame), excel_range(d["f"])]
    if function in ("FM_COVMAT", "FM_CORRMAT"):
        args.append(method)
    result = call(function, *args)
    cells = np.asarray(result, dtype=object)
    lines = [c for c in cells.ravel() if isinstance(c, str) and c.startswith("#FM!")]
    assert len(lines) == 1 and is_line(lines[0], function, "'MMF'", "does not vary"), cells
    clean = np.asarray(call(function, excel_range(d["y3"]), *args[1:]), dtype=object)
    if function == "FM_VARDECOMP":
        np.testing.assert_allclose(numbers(cells[1:4, 1:]), numbers(clean[1:, 1:]), rtol=RTOL)
    elif function in ("FM_COVMAT", "FM_CORRMAT"):
        np.testing.assert_allclose(numbers(cells[:3, :3]), numbers(clean), rtol=RTOL)
    else:
        np.testing.assert_allclose(numbers(cells[:3]), numbers(clean), rtol=RTOL)


def test_grs_on_an_asset_that_is_a_factor_plus_a_constant_is_refused(d):
    asset = d["f"].rename(columns={"MktRF": "Clone"}) + 0.001
    assert_line(call("FM_GRS", excel_range(asset), excel_range(d["f"])), "FM_GRS", "returns", "'Clone'")


def test_a_constant_factor_is_refused_by_name(d):
    assert_line(call("FM_BETA", excel_range(d["y"]), excel_range(d["f3"].assign(HML=0.002))), "FM_BETA",
                "factors", "'HML'", "constant")


# ---------------------------------------------------------------- 5. scalars that are not numbers, overflow

NOT_NUMBERS = {"text": "one million", "number as text": "'5", "TRUE": True, "FALSE": False, "#N/A": NA,
               "#DIV/0!": ERROR_CODES[1], "a date": dt.datetime(2020, 1, 1), "a range of text": (("x",),)}


#: Valid arguments of every function that takes a number: each case below breaks one of them.
VALID_ARGS = {
    "FM_BETA": lambda d: [excel_range(d["y"]), excel_range(d["f"])],
    "FM_ALPHA": lambda d: [excel_range(d["y"]), excel_range(d["f"]), 12],
    "FM_REGRESS": lambda d: [excel_range(d["y"]), excel_range(d["f"]), "HAC", 3],
    "FM_HEDGE": lambda d: [1e6, excel_range(d["y"]), excel_range(d["f"]), 0.2],
    "FM_SIZE": lambda d: [1e5, 0.0025, 21],
    "FM_PARAMCOUNT": lambda d: [10, 3],
    "FM_SHARPE": lambda d: [excel_range(d["y3"]), 12],
    "FM_ANNUALIZE": lambda d: [0.01, "vol", 12],
    "FM_PNL": lambda d: [1e6, excel_range(d["y"]), excel_range(d["f"]), 12],
    "FM_PCA": lambda d: [excel_range(d["y3"]), 2],
    "FM_ROLLING_BETA": lambda d: [excel_range(d["y"]), excel_range(d["f"]), 24],
    "FM_EWMA_BETA": lambda d: [excel_range(d["y"]), excel_range(d["f"]), 12],
    "FM_ADJBETA": lambda d: [1.2, 0.67],
    "FM_RISKCONTRIB": lambda d: [((0.3, 0.3, 0.4),), excel_range(d["y3"]), excel_range(d["f"])],
    "FM_RISKSHARE": lambda d: [excel_range(d["y"]), excel_range(d["f"]), ((-1.0,),)],
    "FM_COVMAT": lambda d: [excel_range(d["y3"]), excel_range(d["f"]), "factor", 12],
    "FM_BOOKHEDGE": lambda d: [((1e6, -5e5, 2e5),), excel_range(d["y3"]), excel_range(d["f3"]), 0.2, None, 12],
    "FM_ACTIVERISK": lambda d: [((0.5, 0.3, 0.2),), ((1 / 3, 1 / 3, 1 / 3),), excel_range(d["y3"]),
                                excel_range(d["f3"]), 12],
    "FM_SCENARIO": lambda d: [((1e6, -5e5, 2e5),), excel_range(d["y3"]), excel_range(d["f"]),
                              (("", "crash"), ("MktRF", -0.1))],
    "FM_STRESS": lambda d: [((1e6, -5e5, 2e5),), excel_range(d["y3"]), excel_range(d["f"]), 3],
    "FM_DIMSONBETA": lambda d: [excel_range(d["y"]), excel_range(d["f"]), 2],
}
#: Functions whose valid call needs more than ranges and numbers, with where their scalar arguments are tested.
ELSEWHERE = {"FM_MODEL_COVMAT": "needs a model directory built by xl-factor model build: tests/test_universe.py"}
_NUMERIC_KINDS = ("number", "numbers")


def _scalar_cases():
    for function in CATALOGUE:
        if function.name not in VALID_ARGS:
            continue  # test_every_numeric_argument_is_covered fails for it
        for position, arg in enumerate(function.args):
            if arg.kind in _NUMERIC_KINDS:
                for label in NOT_NUMBERS:
                    yield pytest.param(function.name, position, label, id=f"{function.name}-{arg.name}-{label}")


def _valid_args(name: str, d) -> list:
    args = VALID_ARGS[name](d)
    return args + [None] * (len(next(f for f in CATALOGUE if f.name == name).args) - len(args))


def test_every_numeric_argument_is_covered():
    """A new function that takes a number must give its valid arguments above, so its cases run."""
    missing = [f.name for f in CATALOGUE if any(a.kind in _NUMERIC_KINDS for a in f.args)
               and f.name not in VALID_ARGS and f.name not in ELSEWHERE]
    assert not missing, f"add these to VALID_ARGS: {missing}"


@pytest.mark.parametrize("function,position,label", list(_scalar_cases()))
def test_a_scalar_that_is_not_a_number_is_an_fm_line_not_a_blank(d, function, position, label):
    args = _valid_args(function, d)
    if args[position] is None:
        args[position] = 1.0  # an optional number left out of the valid call: give one, to break it
    assert not isinstance(call(function, *args), str) or position >= len(VALID_ARGS[function](d)), call(function, *args)
    cell = NOT_NUMBERS[label]
    wrap = isinstance(args[position], tuple) and not isinstance(cell, tuple)
    args[position] = ((cell,),) if wrap else cell
    argument = next(f for f in CATALOGUE if f.name == function).args[position].name
    assert_line(call(function, *args), function, argument)


#: Arguments read cell by cell (their help promises it): each cell's own answer, computed here from its formula.
CELL_BY_CELL = {("FM_ANNUALIZE", "value"): (lambda v: [v, "mean", 12], lambda x: 12 * x),
                ("FM_ADJBETA", "beta"): (lambda v: [v, 0.67], lambda x: 0.67 * x + 0.33),
                ("FM_SIZE", "vol_budget"): (lambda v: [v, 0.0004, 21], lambda x: x / math.sqrt(0.0004 * 21)),
                ("FM_SIZE", "variance"): (lambda v: [1e6, v, 21], lambda x: 1e6 / math.sqrt(x * 21))}


def test_every_argument_read_cell_by_cell_is_covered():
    promise = "a cell without a number keeps its #FM! line"
    promised = {(f.name, a.name) for f in CATALOGUE for a in f.args if promise in a.doc}
    assert promised == set(CELL_BY_CELL)


@pytest.mark.parametrize("label", list(NOT_NUMBERS))
@pytest.mark.parametrize("function,argument", list(CELL_BY_CELL), ids=lambda v: v)
def test_a_cell_that_is_not_a_number_keeps_its_line_and_its_neighbours_their_numbers(function, argument, label):
    """Alone, the cell's answer is one #FM! line; in a row between two numbers, only its slot is that line."""
    args, formula = CELL_BY_CELL[(function, argument)]
    cell = NOT_NUMBERS[label]
    alone = call(function, *args(cell))
    alone = alone if isinstance(alone, str) else np.asarray(alone, dtype=object).item()
    assert_line(alone, function, argument)
    inner = cell[0][0] if isinstance(cell, tuple) else cell
    answer = np.asarray(call(function, *args(((1.2, inner, 0.8),))), dtype=object)
    assert answer.shape == (1, 3), answer
    assert_line(answer[0, 1], function, argument, "row 1, column 2")
    assert [answer[0, 0], answer[0, 2]] == pytest.approx([formula(1.2), formula(0.8)], rel=1e-15)


@pytest.mark.parametrize("function,args", [
    ("FM_SIZE", lambda d: [1e308, 1e-300, 1]),
    ("FM_ANNUALIZE", lambda d: [1e308, "mean", 252]),
    ("FM_ANNUALIZE", lambda d: [((1e200, 0.1),), "var", 1e200]),
    ("FM_HEDGE", lambda d: [1.7e308, excel_range(d["y"]), excel_range(d["f"] * 0.01)]),
    ("FM_PNL", lambda d: [1e308, excel_range(d["y"]), excel_range(d["f"]), 1e10]),
    ("FM_PARAMCOUNT", lambda d: [1e300, 1e300]),
])
def test_overflow_is_refused_not_shown_as_infinity(d, function, args):
    result = call(function, *args(d))
    if not isinstance(result, str):
        assert np.all(np.isfinite(numbers(result))), result
    else:
        assert_line(result, function)


# ---------------------------------------------------------------- 7. one asset's failure in its own slot

def _listing(d, n_values: int = 3, where: int = 1) -> pd.DataFrame:
    frame = d["y3"].copy()
    frame.iloc[: T - n_values, where] = np.nan  # listed n_values months before the end
    return frame


SLOT_FUNCTIONS = {
    # function: (extra args, where the failed asset's slot begins: "row" i or "col" i, and offsets)
    "FM_BETA": ((), "row", 0, 0), "FM_ALPHA": ((), "row", 0, 0), "FM_RISKSHARE": ((), "row", 0, 0),
    "FM_VARDECOMP": ((), "row", 1, 1), "FM_RESID": ((), "col", 0, 0), "FM_TRACKING": ((), "col", 0, 0),
    "FM_HEDGED": ((), "col", 0, 0), "FM_COVMAT": (("factor",), "row", 0, 0), "FM_CORRMAT": (("factor",), "row", 0, 0),
}


@pytest.mark.parametrize("function", list(SLOT_FUNCTIONS))
@pytest.mark.parametrize("where", [0, 1, 2])
@pytest.mark.parametrize("n_values", [0, 1, 2, 3])
def test_a_recent_listing_fails_alone(d, function, where, n_values):
    extra, axis, row0, col0 = SLOT_FUNCTIONS[function]
    frame = _listing(d, n_values, where)
    result = np.asarray(call(function, excel_range(frame), excel_range(d["f"]), *extra), dtype=object)
    name = frame.columns[where]
    slot = (row0 + where, col0) if axis == "row" else (row0, col0 + where)
    if n_values == 0:  # a column with a header and no values is not an asset: its slot is blank
        assert result[slot] is None or (isinstance(result[slot], float) and math.isnan(result[slot])), result[slot]
    elif n_values <= 2:  # one factor and a constant need 3 rows
        assert is_line(result[slot], function, f"'{name}'", "rows"), result[slot]
    else:  # 3 rows are enough: its numbers are its own regression's
        assert not isinstance(result[slot], str), result[slot]
        if function == "FM_BETA":
            assert result[slot] == pytest.approx(ols(frame.iloc[:, where], d["f"]).params.iloc[1], rel=1e-9)
    others = [c for c in range(3) if c != where]
    alone = np.asarray(call(function, excel_range(d["y3"].iloc[:, others]), excel_range(d["f"]), *extra), dtype=object)
    if axis == "row":
        picked = result[np.ix_([row0 + c for c in others], range(col0, result.shape[1]))]
        if function in ("FM_COVMAT", "FM_CORRMAT"):
            picked = result[np.ix_(others, others)]
        np.testing.assert_allclose(numbers(picked), numbers(alone[row0:, col0:]), rtol=RTOL)
    else:
        np.testing.assert_allclose(numbers(result[:, others]), numbers(alone), rtol=RTOL, equal_nan=True)


@pytest.mark.parametrize("function", ["FM_BETA", "FM_COVMAT", "FM_VARDECOMP", "FM_SHARPE", "FM_PCA", "FM_FAMAMACBETH",
                                      "FM_GRS", "FM_RISKCONTRIB"])
@pytest.mark.parametrize("header", ["", None])
def test_a_spare_empty_column_in_the_middle_changes_nothing(d, function, header):
    """Spare capacity in a template (no header, no values) is not an asset; the rest is computed as without it."""
    inds = d["y3"].join(d["more"])
    plain = excel_range(inds)
    spare = tuple(row[:2] + ((header if i == 0 else None),) + row[2:] for i, row in enumerate(plain))
    extra = {"FM_PCA": [2], "FM_SHARPE": []}.get(function, [excel_range(d["f"])])
    lead = {"FM_RISKCONTRIB": [((0.2, None, 0.2, 0.2, 0.1, 0.1, 0.2),)]}.get(function, [])
    lead_plain = {"FM_RISKCONTRIB": [((0.2, 0.2, 0.2, 0.1, 0.1, 0.2),)]}.get(function, [])
    got = np.asarray(call(function, *lead, spare, *extra), dtype=object)
    want = np.asarray(call(function, *lead_plain, plain, *extra), dtype=object)
    assert not isinstance(got.item() if got.ndim == 0 else got.ravel()[0], str) or not str(got.ravel()[0]).startswith("#FM!"), got
    if function in ("FM_BETA", "FM_PCA", "FM_COVMAT") and want.ndim == 2:
        keep = [0, 2, 3, 4, 5, 6]
        if function == "FM_COVMAT":
            np.testing.assert_allclose(numbers(got[np.ix_(keep, keep)]), numbers(want), rtol=RTOL)
            assert np.isnan(numbers(got[1])).all() and np.isnan(numbers(got[:, 1])).all()
        else:
            np.testing.assert_allclose(numbers(got[keep]), numbers(want), rtol=RTOL)
            assert np.isnan(numbers(got[1])).all()
    elif function == "FM_SHARPE":
        np.testing.assert_allclose(numbers(got[0, [0, 2, 3, 4, 5, 6]]), numbers(want[0]), rtol=RTOL)
    elif function in ("FM_FAMAMACBETH", "FM_GRS"):
        np.testing.assert_allclose(numbers(got[1:, 1:] if function == "FM_GRS" else got[1:4, 1:]),
                                   numbers(want[1:, 1:] if function == "FM_GRS" else want[1:4, 1:]), rtol=RTOL)
    elif function == "FM_VARDECOMP":
        np.testing.assert_allclose(numbers(got[[1, 3, 4, 5, 6, 7], 1:]), numbers(want[1:, 1:]), rtol=RTOL)
    elif function == "FM_RISKCONTRIB":
        np.testing.assert_allclose(numbers(got[1:6, 1:4]), numbers(want[1:6, 1:4]), rtol=RTOL)


# ---------------------------------------------------------------- every cell type in every range position

CELL_TYPES = {
    "blank": None, "empty text": "", "text": "n/a", "number as text": "'0.01", "TRUE": True, "FALSE": False,
    **{f"error {code}": code for code in ERROR_CODES}, "a date": dt.datetime(2001, 5, 31),
}
RANGE_FUNCTIONS = ["FM_BETA", "FM_ALPHA", "FM_VARDECOMP", "FM_RISKSHARE", "FM_COVMAT", "FM_REGRESS"]


@pytest.mark.parametrize("function", RANGE_FUNCTIONS)
@pytest.mark.parametrize("label", list(CELL_TYPES))
@pytest.mark.parametrize("in_factor", [False, True])
def test_any_cell_type_in_a_range_is_a_missing_value(d, function, label, in_factor):
    """A cell that is not a number drops its row from that regression, as statsmodels on the cleaned data does."""
    y, f = excel_range(d["y"]), excel_range(d["f"])
    row = 17
    if in_factor:
        f = set_cell(f, row, 1, CELL_TYPES[label])
    else:
        y = set_cell(y, row, 1, CELL_TYPES[label])
    clean_y, clean_f = d["y"].drop(d["y"].index[row - 1]), d["f"].drop(d["f"].index[row - 1])
    got = call(function, y, f)
    if function == "FM_COVMAT" and not in_factor:
        # Sigma_f of B Sigma_f B' + D is the factors' own history: a hole in an asset leaves it whole.
        fit = ols(clean_y.iloc[:, 0], clean_f)
        expected = fit.params.iloc[1] ** 2 * d["f"].iloc[:, 0].var(ddof=1) + np.var(fit.resid, ddof=1)
        assert got == pytest.approx(expected, rel=RTOL)
        return
    want = call(function, excel_range(clean_y), excel_range(clean_f))
    if function == "FM_BETA":
        assert got == pytest.approx(ols(clean_y.iloc[:, 0], clean_f).params.iloc[1], rel=RTOL)
    np.testing.assert_allclose(numbers(np.asarray(got, dtype=object)[1:, 1:] if function in ("FM_VARDECOMP", "FM_REGRESS") else got),
                               numbers(np.asarray(want, dtype=object)[1:, 1:] if function in ("FM_VARDECOMP", "FM_REGRESS") else want),
                               rtol=RTOL, equal_nan=True)


# ---------------------------------------------------------------- 1. cache keys on cell types; order never matters

LOOKALIKES = [
    ("FALSE", False, 0.0), ("TRUE", True, 1.0), ("-0.0", -0.0, 0.0), ("Decimal", Decimal("0.0125"), 0.0125),
    ("int", 1, 1.0), ("nan", float("nan"), None),
]


@pytest.mark.parametrize("label,first,second", LOOKALIKES, ids=[c[0] for c in LOOKALIKES])
@pytest.mark.parametrize("function", ["FM_BETA", "FM_EXCESS", "FM_VARDECOMP", "FM_SHARPE"])
def test_lookalike_cells_never_share_a_cache_entry(d, label, first, second, function):
    """The same range with one cell FALSE or 0.0 (TRUE or 1.0, -0.0 or 0.0 ...) gives each its uncached answer."""
    base = excel_range(d["y3"])
    a, b = set_cell(base, 9, 2, first), set_cell(base, 9, 2, second)
    other = excel_range(d["f"]) if function not in ("FM_EXCESS", "FM_SHARPE") else (0.001 if function == "FM_EXCESS" else None)
    args = (other,) if other is not None else ()
    fresh = []
    for value in (a, b):
        clear_all()
        fresh.append(call(function, value, *args))
    for order in ((a, b), (b, a), (a, a, b), (b, b, a)):
        clear_all()
        for value in order:
            got = call(function, value, *args)
            want = fresh[0] if value is a else fresh[1]
            np.testing.assert_array_equal(np.asarray(got, dtype=object).astype(str), np.asarray(want, dtype=object).astype(str))


def test_random_orders_and_types_equal_uncached_calls(d):
    """Many calls in random order over ranges that differ only in cell types give the uncached answers."""
    base = excel_range(d["y3"])
    variants = [set_cell(set_cell(base, r, c, v), 3, 1, w)
                for (r, c), v, w in itertools.product([(5, 1), (40, 3)], [False, 0.0, True, 1.0, None, -0.0],
                                                      [0.01, Decimal("0.01"), "0.01"])]
    f = excel_range(d["f3"])
    functions = ["FM_BETA", "FM_ALPHA", "FM_VARDECOMP", "FM_COVMAT", "FM_RESID"]
    uncached = {}
    for i, v in enumerate(variants):
        for name in functions:
            clear_all()
            uncached[i, name] = np.asarray(call(name, v, f), dtype=object).astype(str)
    rng = random.Random(11)
    clear_all()
    for _ in range(400):
        i, name = rng.randrange(len(variants)), rng.choice(functions)
        np.testing.assert_array_equal(np.asarray(call(name, variants[i], f), dtype=object).astype(str), uncached[i, name])


@pytest.mark.parametrize("cells", [(1.7e308, 1.7e308), (np.inf, -np.inf)], ids=["sum-overflows", "inf-minus-inf"])
def test_the_core_fit_refuses_values_too_large_without_a_numpy_warning(cells):
    """The fit tells a complete panel by its column sums; values whose sum overflows are refused by name, and the
    overflow of the sums is no RuntimeWarning for a caller of the core (as when the check ran first)."""
    from xl_factor import core

    rng = np.random.default_rng(0)
    f, y = rng.normal(0, 0.01, (50, 2)), rng.normal(0, 0.01, (50, 3))
    y[3, 1], y[4, 1] = cells
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(core.FactorModelError, match="column 'asset2' has .* in row 4"):
            core.fit_factor_model(y, f)


def test_fm_size_over_a_vardecomp_spill_with_a_failed_asset_sizes_the_others(daily_returns):
    """FM_SIZE(budget, <FM_VARDECOMP's total_var column>) when one asset has too few rows: that asset's slot shows
    FM_VARDECOMP's line, every other asset its size budget / sqrt(total_var * horizon), total_var by pandas."""
    returns = daily_returns.loc["2019", ["AAPL", "XOM", "KO"]].copy()
    returns.iloc[2:, 1] = np.nan  # XOM: two rows, too few for a fit
    decomp = np.asarray(call("FM_VARDECOMP", excel_range(returns), excel_range(daily_returns.loc["2019", ["SP500"]])),
                        dtype=object)
    total_var = tuple((cell,) for cell in decomp[1:, 1])
    assert_line(total_var[1][0], "FM_VARDECOMP", "XOM")
    sizes = np.asarray(call("FM_SIZE", 1e6, total_var, 21), dtype=object)
    assert sizes.shape == (3, 1)
    assert sizes[1, 0] == total_var[1][0]
    expected = 1e6 / np.sqrt(returns[["AAPL", "KO"]].var(ddof=1).to_numpy() * 21)
    np.testing.assert_allclose(np.array([sizes[0, 0], sizes[2, 0]], dtype=float), expected, rtol=1e-12)


def _stated_periods_cases():
    for function in CATALOGUE:
        names = [a.name for a in function.args]
        if "periods_per_year" in names and any(a.kind == "table" for a in function.args) and function.name in VALID_ARGS:
            yield pytest.param(function.name, names.index("periods_per_year"), id=function.name)


def test_every_function_that_annualises_dated_data_has_its_case():
    annualising = {f.name for f in CATALOGUE if any(a.name == "periods_per_year" for a in f.args)
                   and any(a.kind == "table" for a in f.args)}
    assert {case.values[0] for case in _stated_periods_cases()} == annualising
    assert {"FM_ALPHA", "FM_SHARPE", "FM_COVMAT", "FM_BOOKHEDGE", "FM_ACTIVERISK"} <= annualising


@pytest.mark.parametrize("function,position", list(_stated_periods_cases()))
def test_periods_per_year_that_the_dates_contradict_is_refused(d, function, position):
    """Monthly returns annualised with 252 (or 52) are refused by name, in every function that annualises dated
    data (the check is the catalogue's, so a new function gets it); 12, and no figure, are answered; undated
    ranges cannot contradict it."""
    args = _valid_args(function, d)
    for wrong in (252, 52, 1):
        args[position] = wrong
        assert_line(call(function, *args), function, "periods_per_year",
                    f"is {wrong}, but the dates of the data show 12 periods a year")
    args[position] = 12
    assert not isinstance(call(function, *args), str), call(function, *args)
    args[position] = 24  # twice a month: within the factor allowed either way
    assert not isinstance(call(function, *args), str), call(function, *args)


def test_alpha_annualised_with_the_periods_its_dates_show_is_statsmodels_times_them(d):
    fit = ols(d["y"]["NoDur"], d["f"])
    np.testing.assert_allclose(call("FM_ALPHA", excel_range(d["y"]), excel_range(d["f"]), 12),
                               12 * fit.params.iloc[0], rtol=1e-10)
    undated = call("FM_ALPHA", excel_range(d["y"], dates=False), excel_range(d["f"], dates=False), 252)
    np.testing.assert_allclose(undated, 252 * fit.params.iloc[0], rtol=1e-10)


def test_fm_size_refuses_a_row_of_budgets_against_a_column_of_variances():
    """1 x 3 budgets against FM_VARDECOMP's 3 x 1 total_var column: numpy would make a 3 x 3 grid of every budget
    against every variance; sizes are cell by cell, so the shapes must match (or one side be one cell)."""
    got = call("FM_SIZE", ((1e6, 2e6, 3e6),), ((0.0004,), (0.0009,), (0.0001,)), 21)
    assert_line(got, "FM_SIZE", "vol_budget 1 x 3 and variance 3 x 1: give one number or ranges of the same shape")
    got = np.asarray(call("FM_SIZE", 1e6, ((0.0004,), (0.0009,)), 21), dtype=float)
    np.testing.assert_allclose(got.ravel(), 1e6 / np.sqrt(np.array([0.0004, 0.0009]) * 21), rtol=1e-15)
