"""Date-times as Excel serials (a fraction of a day): how intraday dates reach LibreOffice and Lite, and how
FM_RETURNS writes them. Under a date header they are the period index, to the millisecond, so FM_RETURNS'
output feeds the other functions and matches datetime cells of the same moments.

The price levels are real (two stocks' daily closes from tests/data); only their time stamps are five-minute
bars, which the bundled data does not have.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from conftest import DATA, RTOL
from xl_factor.sheet.catalogue import call
from xl_factor.sheet.values import parse_table

EPOCH = dt.datetime(1899, 12, 30)
BARS = 120


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    """120 real closes of AAPL and MSFT, stamped as five-minute bars from 09:30 on 4 March 2024."""
    prices = pd.read_csv(DATA / "sp500_stocks_daily_prices_1990_2022.csv", index_col=0)[["AAPL", "MSFT"]]
    prices = prices.dropna().iloc[-BARS:].reset_index(drop=True)
    prices.index = pd.date_range("2024-03-04 09:30", periods=BARS, freq="5min")
    return prices


def cells(frame: pd.DataFrame, serial: bool = False) -> tuple:
    """Header ``Date | names``, then datetime cells (or their serials, as LibreOffice hands them over)."""
    def stamp(t):
        return (t.to_pydatetime() - EPOCH) / dt.timedelta(days=1) if serial else t.to_pydatetime()
    return (("Date",) + tuple(frame.columns),) + tuple(
        (stamp(t),) + tuple(float(v) for v in row) for t, row in zip(frame.index, frame.to_numpy()))


def ols_beta(y: pd.Series, x: pd.Series) -> float:
    return float(sm.OLS(y.to_numpy(), sm.add_constant(x.to_numpy())).fit().params[1])


def test_fractional_serials_under_a_date_header_are_the_times_to_the_millisecond(bars):
    table = parse_table(cells(bars, serial=True), "asset")
    assert list(table.dates) == list(bars.index)  # 09:35 exactly, not 09:35:00.000000400


def test_fractional_serials_without_a_date_header_stay_numbers(bars):
    rows = cells(bars, serial=True)[1:]  # no header: nothing says these numbers are dates
    assert parse_table(rows, "asset").dates is None


@pytest.mark.parametrize("factor_as", ["FM_RETURNS output", "datetime cells"])
def test_intraday_returns_from_fm_returns_feed_fm_beta(bars, factor_as):
    """Prices at datetimes -> FM_RETURNS (serials under 'Date') -> FM_BETA: the OLS beta of AAPL on MSFT, with
    the factor range either FM_RETURNS' own output or the same returns at datetime cells."""
    returns = bars.pct_change().iloc[1:]
    asset = tuple(map(tuple, np.asarray(call("FM_RETURNS", cells(bars[["AAPL"]])), dtype=object).tolist()))
    assert asset[0][0] == "Date" and isinstance(asset[1][0], float) and asset[1][0] % 1 != 0
    if factor_as == "datetime cells":
        factors = cells(returns[["MSFT"]])[:1] + tuple(reversed(cells(returns[["MSFT"]])[1:]))  # newest first
    else:
        factors = tuple(map(tuple, np.asarray(call("FM_RETURNS", cells(bars[["MSFT"]])), dtype=object).tolist()))
    got = call("FM_BETA", asset, factors)
    assert not isinstance(got, str), got
    np.testing.assert_allclose(float(np.asarray(got).ravel()[0]), ols_beta(returns["AAPL"], returns["MSFT"]),
                               rtol=RTOL)


def test_closes_stamped_at_16_00_against_daily_dates_name_their_times(daily_returns):
    """Returns stamped at the close (16:00) share no date with midnight daily dates; the refusal shows the times,
    or its two spans read as the same days."""
    returns = daily_returns.loc["2019", ["AAPL"]]
    stamped = returns.copy()
    stamped.index = stamped.index + pd.Timedelta(hours=16)
    got = call("FM_BETA", cells(stamped), cells(daily_returns.loc["2019", ["SP500"]]))
    assert isinstance(got, str) and got.startswith("#FM! FM_BETA: factors: asset and factors have no date in common "
                                                   "(2019-01-02 16:00 to 2019-12-31 16:00 against 2019-01-02 to "
                                                   "2019-12-31)"), got
