"""Dates in the forms a workbook holds them, and numeric id headers: read right, or refused, never misread.

Found by a hostile review: a column of DD/MM/YYYY text was read as an empty asset and the rows then matched by
position (wrong betas); one date typed as ISO text among datetime cells silently dropped its period; a header
of numeric ids without a date column was read as a row of returns. The references are statsmodels' OLS and
pandas on the same real daily returns (tests/data).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from conftest import RTOL
from xl_factor.sheet.catalogue import call

ASSETS = ["MSFT", "WMT", "JPM"]


@pytest.fixture(scope="module")
def returns(daily_returns) -> pd.DataFrame:
    return daily_returns.loc["2019", ASSETS + ["SP500"]]


def cells(frame: pd.DataFrame, date=lambda t: t.to_pydatetime(), header=True, newest_first=False) -> tuple:
    frame = frame.iloc[::-1] if newest_first else frame
    rows = tuple((date(t),) + tuple(float(v) for v in row) for t, row in zip(frame.index, frame.to_numpy()))
    return ((("Date",) + tuple(frame.columns),) if header else ()) + rows


def ols_betas(frame: pd.DataFrame) -> np.ndarray:
    x = sm.add_constant(frame["SP500"].to_numpy())
    return np.array([sm.OLS(frame[a].to_numpy(), x).fit().params[1] for a in ASSETS])


@pytest.mark.parametrize("form", ["%d/%m/%Y", "%m/%d/%Y", "%d.%m.%y", "%d-%b-%Y", "%b %d, %Y"])
@pytest.mark.parametrize("function", ["FM_BETA", "FM_VASICEKBETA", "FM_EWMA_BETA"])
def test_dates_as_text_in_another_form_than_iso_are_refused(returns, form, function):
    """Their day-month order cannot be told: refused, where they were once an empty asset matched by position."""
    asset = cells(returns[ASSETS], date=lambda t: t.strftime(form), newest_first=True)
    args = (asset, cells(returns[["SP500"]])) + ((20,) if function == "FM_EWMA_BETA" else ())
    got = call(function, *args)
    assert isinstance(got, str) and got.startswith(f"#FM! {function}: asset has its dates as text"), got
    assert "yyyy-mm-dd" in got


def test_a_text_column_that_is_no_dates_is_still_read_as_before(returns):
    """Row labels that spell no date are not refused as dates: a column without numbers, the others as pandas'."""
    labels = cells(returns[ASSETS], date=lambda t: f"day {t.day_of_year}", header=True)
    got = call("FM_SHARPE", labels)
    assert not isinstance(got, str), got
    frame = returns[ASSETS]
    np.testing.assert_allclose(np.asarray(got, dtype=float).ravel()[1:], (frame.mean() / frame.std()).to_numpy(),
                               rtol=RTOL)


@pytest.mark.parametrize("form", ["iso", "serial"])
@pytest.mark.parametrize("how_many", [1, 12])
def test_a_date_in_another_readable_form_among_datetime_cells_is_that_date(returns, form, how_many):
    """ISO text or a whole serial among datetime cells is that date: the period counts, as with every date a
    datetime (once one such cell dropped its period, and more than a tenth of them unread the whole column)."""
    rows = [list(r) for r in cells(returns[ASSETS])]
    for i in range(1, 1 + how_many):
        day = rows[i][0]
        rows[i][0] = day.strftime("%Y-%m-%d") if form == "iso" else float((day - pd.Timestamp("1899-12-30")).days)
    got = call("FM_BETA", tuple(map(tuple, rows)), cells(returns[["SP500"]]))
    np.testing.assert_allclose(np.asarray(got, dtype=float).ravel(), ols_betas(returns), rtol=RTOL)


@pytest.mark.parametrize("ids", [(10107, 55976, 47896), (7203.0, 6758.0, 9984.0)])
def test_a_header_of_numeric_ids_without_dates_is_a_header(returns, ids):
    """``10107 | 55976 | 47896`` over returns (CRSP PERMNOs; Tokyo codes) is the header, not a return of 10107."""
    body = tuple(tuple(float(v) for v in row) for row in returns[ASSETS].to_numpy())
    got = np.asarray(call("FM_SHARPE", (ids,) + body, 252), dtype=float).ravel()
    frame = returns[ASSETS]
    np.testing.assert_allclose(got, (frame.mean() / frame.std() * np.sqrt(252)).to_numpy(), rtol=RTOL)


def test_a_first_row_of_whole_returns_or_prices_stays_data(returns):
    """Whole numbers in the first row are data when they are the size of the rows below (prices; percent)."""
    prices = (1 + returns[ASSETS]).cumprod() * 100
    body = [list(r) for r in prices.round(2).to_numpy()]
    body[0] = [100.0, 52.0, 117.0]
    got = np.asarray(call("FM_RETURNS", tuple(map(tuple, body))), dtype=float)
    expected = pd.DataFrame(body).pct_change().iloc[1:].to_numpy()
    np.testing.assert_allclose(got[-len(expected):], expected, rtol=RTOL)


@pytest.mark.parametrize("ids", [(10107, 55976, 47896), (7203.0, 6758.0, 9984.0)])
def test_a_row_of_numeric_ids_over_prices_is_refused_not_read_as_a_fall_of_99_percent(returns, ids):
    """Over prices near 100 an id of 10107 is no size apart from a price: it was read as the first prices, and the
    first returns were falls of 99%. Every column moving tenfold from the first row is refused, naming the row."""
    prices = (1 + returns[ASSETS]).cumprod() * 100
    body = tuple(tuple(float(v) for v in row) for row in prices.to_numpy())
    answer = call("FM_RETURNS", (ids,) + body)
    assert isinstance(answer, str) and answer.startswith("#FM! FM_RETURNS: prices:"), answer
    assert f"({int(ids[0])}, {int(ids[1])}, {int(ids[2])})" in answer and "numeric ids" in answer, answer
    labelled = call("FM_RETURNS", (tuple(str(int(i)) for i in ids),) + body)  # the ids as text: the header
    expected = prices.pct_change().iloc[1:].to_numpy()
    np.testing.assert_allclose(np.asarray(labelled, dtype=object)[1:].astype(float), expected, rtol=RTOL)


def test_one_column_moving_tenfold_from_a_whole_first_row_is_data(returns):
    """The refusal needs every column to move tenfold: one column that does (a split not adjusted) stays data."""
    prices = (1 + returns[ASSETS]).cumprod() * 100
    body = [list(r) for r in prices.to_numpy()]
    body[0] = [1000.0, float(round(body[0][1])), float(round(body[0][2]))]
    got = np.asarray(call("FM_RETURNS", tuple(map(tuple, body))), dtype=float)
    np.testing.assert_allclose(got, pd.DataFrame(body).pct_change().iloc[1:].to_numpy(), rtol=RTOL)


def test_wealth_indexes_from_100_growing_tenfold_over_the_years_are_data(ff_monthly):
    """Annual growth-of-100 indexes (whole first row) rise tenfold over decades, not in one period: they are prices.
    The first refusal compared the first row with the median of the next 50 rows and refused them."""
    yearly = (1 + ff_monthly[["NoDur", "Manuf", "Money"]]).groupby(ff_monthly.index.year).prod()
    wealth = pd.concat([pd.DataFrame([[1.0] * 3], columns=yearly.columns), yearly]).cumprod() * 100
    assert (wealth.iloc[50] > 10 * wealth.iloc[0]).all()  # the old rule's median sees the tenfold rise
    dates = [pd.Timestamp(year, 12, 31).to_pydatetime() for year in range(1948, 1948 + len(wealth))]
    for range_ in (tuple((d,) + tuple(map(float, row)) for d, row in zip(dates, wealth.to_numpy())),
                   tuple(tuple(map(float, row)) for row in wealth.to_numpy())):
        got = np.asarray(call("FM_RETURNS", range_), dtype=float)[:, -3:]
        np.testing.assert_allclose(got, wealth.pct_change().iloc[1:].to_numpy(), rtol=RTOL)


@pytest.mark.parametrize("first, scale", [
    ((10107.0, 55976.0, 84788.0), 9000.0),  # the third column priced within 10 times its id: outvoted
    ((10107.0, None, 47896.0), 100.0),  # a blank id: the others decide
    ((10107.0, -2146826246, 47896.0), 100.0),  # an #N/A id
])
def test_a_row_of_ids_is_refused_by_most_columns_not_only_all(returns, first, scale):
    """A stock priced near its id, or a blank or error in the id row, let the ids through as prices (falls of
    99%): more than half of the columns with a first value moving tenfold in the first period is enough."""
    prices = (1 + returns[ASSETS]).cumprod() * [100.0, 100.0, scale]
    body = tuple(tuple(float(v) for v in row) for row in prices.to_numpy())
    answer = call("FM_RETURNS", (first,) + body)
    assert isinstance(answer, str) and answer.startswith("#FM! FM_RETURNS: prices:") and "numeric ids" in answer
    assert answer.count("\n") == 0 and "10107" in answer, answer


def test_two_rows_of_ids_and_prices_are_refused(returns):
    """The shortest range, one row of ids over one of prices, is refused too (it was read as two falls of 99%)."""
    answer = call("FM_RETURNS", ((10001.0, 10002.0), (100.0, 101.0)))
    assert isinstance(answer, str) and "numeric ids" in answer and "2 of its 2 columns" in answer, answer
    assert np.allclose(np.asarray(call("FM_RETURNS", ((100.0, 100.0), (101.0, 99.0))), dtype=float), [[0.01, -0.01]])


def test_adjusted_betas_keep_each_failure_in_its_own_slot(returns):
    """FM_ADJBETA over an FM_BETA spill where one asset failed: the others adjusted, the failure passed on; a
    #N/A or TRUE among the betas is refused in its cell alone."""
    frame = returns[ASSETS].assign(CASH=0.0001)
    spill = call("FM_BETA", cells(frame), cells(returns[["SP500"]]))
    spill = tuple(tuple(r) for r in np.asarray(spill, dtype=object).tolist())
    got = np.asarray(call("FM_ADJBETA", spill), dtype=object)
    np.testing.assert_allclose(got[:3, 0].astype(float), 0.67 * ols_betas(returns) + 0.33, rtol=RTOL)
    assert got[3, 0] == spill[3][0] and got[3, 0].startswith("#FM! FM_BETA: asset: 'CASH' does not vary")
    mixed = np.asarray(call("FM_ADJBETA", ((1.2,), (-2146826246,), (True,), (None,), (0.8,))), dtype=object)
    assert mixed[0, 0] == pytest.approx(0.67 * 1.2 + 0.33) and mixed[4, 0] == pytest.approx(0.67 * 0.8 + 0.33)
    assert mixed[1, 0] == "#FM! FM_ADJBETA: beta must hold numbers, got #N/A (row 2, column 1); give a number or " \
                          "leave it blank"
    assert "got TRUE (row 3" in mixed[2, 0] and np.isnan(mixed[3, 0])


def month_ends(daily: pd.DataFrame) -> pd.DataFrame:
    """Monthly returns dated on each month's last trading day."""
    prices = (1 + daily).cumprod()
    last = prices.groupby(prices.index.to_period("M")).tail(1)
    return last.pct_change().iloc[1:]


def test_dates_on_other_days_are_refused_not_matched_in_part(daily_returns):
    """Asset months dated on the last trading day, factor months on the calendar month-end: 73 of 252 months would
    be matched and the rest left out without a word; refused, naming a date and its nearest, as FM_EXCESS does."""
    monthly = month_ends(daily_returns.loc["1999-12":"2020", ASSETS + ["SP500"]]).loc["2000":]
    factors = monthly[["SP500"]].copy()
    factors.index = factors.index.to_period("M").to_timestamp("M")
    for function in ("FM_BETA", "FM_GRS"):
        got = call(function, cells(monthly[ASSETS]), cells(factors))
        assert isinstance(got, str) and got.startswith(f"#FM! {function}: factors has no row for"), got
        assert "such as 2000-04-28 (its nearest is 2000-04-30)" in got


def test_a_few_holidays_and_weekends_are_matched_on_the_common_dates(returns):
    """One market's holidays (3% of days) and an asset that trades at weekends (crypto) against weekday factors:
    matched on the dates both have, as statsmodels on those rows."""
    factors = returns[["SP500"]].drop(returns.index[::33])  # 3% of the factor days missing: holidays
    weekends = pd.date_range(returns.index[0], returns.index[-1], freq="D")
    asset = returns[ASSETS].reindex(weekends).fillna(0.001)  # every calendar day; weekends have no factor row
    got = call("FM_BETA", cells(asset), cells(factors))
    common = returns.loc[factors.index]
    np.testing.assert_allclose(np.asarray(got, dtype=float).ravel(), ols_betas(common), rtol=RTOL)


@pytest.mark.parametrize("dated", [True, False])
def test_a_whole_number_beyond_a_double_in_the_header_is_a_label_not_an_internal_error(returns, dated):
    """A header cell of 10**400 beside Date (or in a header of ids without dates) is read as its digits, with
    every header rule asking whether a cell is a whole number in one way that never converts it to a float."""
    frame = returns[ASSETS]
    body = cells(frame)[1:] if dated else tuple(r[1:] for r in cells(frame)[1:])
    header = (("Date",) if dated else ()) + (10**400, 55976, 47896)
    got = call("FM_SHARPE", (header,) + body, 252)
    assert not isinstance(got, str), got
    np.testing.assert_allclose(np.asarray(got, dtype=float).ravel(), (frame.mean() / frame.std() * np.sqrt(252)),
                               rtol=RTOL)


def test_annualised_alphas_keep_each_failure_in_its_own_slot(returns):
    """FM_ANNUALIZE over an FM_ALPHA spill where one asset failed, the element-wise rule FM_ADJBETA follows: the
    others annualised as statsmodels' intercepts times 252, the failure passed on in its slot."""
    frame = returns[ASSETS].assign(CASH=0.0001)
    spill = call("FM_ALPHA", cells(frame), cells(returns[["SP500"]]))
    spill = tuple(tuple(r) for r in np.asarray(spill, dtype=object).tolist())
    got = np.asarray(call("FM_ANNUALIZE", spill, "mean", 252), dtype=object)
    x = sm.add_constant(returns["SP500"].to_numpy())
    alphas = [sm.OLS(returns[a].to_numpy(), x).fit().params[0] * 252 for a in ASSETS]
    np.testing.assert_allclose(got[:3, 0].astype(float), alphas, rtol=RTOL)
    assert got[3, 0] == spill[3][0] and got[3, 0].startswith("#FM! FM_ALPHA: asset: 'CASH' does not vary")
