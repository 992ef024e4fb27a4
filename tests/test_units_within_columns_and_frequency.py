"""Ranges of two frequencies matched on the dates they share.

Both gave wrong numbers without a word (found on hostile review of the book functions): the units check
judged each column by its typical size only, so the newest 20 rows pasted from a percent source, or one 5 typed
for 5%, went into the fit (FM_BETA for AAPL 0.09 instead of 1.84); and daily returns against weekly factors were
matched on the Fridays they share, a day's return regressed on a week's. Each is now refused by name; the real
data around them, 2008's banks included, still gives statsmodels' numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from excel_shapes import excel_range
from xl_factor.sheet.catalogue import call

RTOL = 1e-9


def is_line(result, function: str, *fragments: str) -> bool:
    return isinstance(result, str) and result.startswith(f"#FM! {function}:") and "\n" not in result \
        and all(f in result for f in fragments)


def ols_betas(y: pd.DataFrame, x: pd.DataFrame) -> np.ndarray:
    """statsmodels OLS of each column of ``y`` on ``x`` with a constant, on the dates both have: N x K slopes."""
    rows = []
    for name in y.columns:
        joined = pd.concat([y[name], x], axis=1, join="inner").dropna()
        rows.append(sm.OLS(joined.iloc[:, 0], sm.add_constant(joined.iloc[:, 1:])).fit().params.iloc[1:])
    return np.array(rows)


@pytest.fixture(scope="module")
def stocks(daily_returns) -> pd.DataFrame:
    return daily_returns.loc["2016":"2019", ["AAPL", "KO", "BAC"]]


@pytest.fixture(scope="module")
def market(daily_returns) -> pd.DataFrame:
    return daily_returns.loc["2016":"2019", ["SP500"]]


def weekly(frame: pd.DataFrame) -> pd.DataFrame:
    return (1 + frame).resample("W-FRI").prod().iloc[1:] - 1


# --- two frequencies ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("function", ["FM_BETA", "FM_VARDECOMP", "FM_RISKSHARE"])
def test_daily_returns_against_weekly_factors_are_refused(stocks, market, function):
    got = call(function, excel_range(stocks), excel_range(weekly(market)))
    assert is_line(got, function, "factors has 52 periods a year by its dates, asset 252"), got


def test_weekly_or_monthly_returns_against_daily_factors_are_refused(stocks, market):
    assert is_line(call("FM_BETA", excel_range(weekly(stocks)), excel_range(market)), "FM_BETA",
                   "factors has 252 periods a year by its dates, asset 52")
    month_ends = stocks.groupby(stocks.index.to_period("M")).tail(1)  # one daily return a month, on its last day
    assert is_line(call("FM_BETA", excel_range(month_ends), excel_range(market)), "FM_BETA",
                   "factors has 252 periods a year by its dates, asset 12")


def test_the_book_functions_refuse_two_frequencies_by_construction(stocks, market):
    positions = ((1e6, -5e5, 2e5),)
    got = call("FM_BOOKHEDGE", positions, excel_range(stocks), excel_range(weekly(market)))
    assert is_line(got, "FM_BOOKHEDGE", "52 periods a year", "returns 252"), got


def test_one_frequency_over_other_spans_is_matched_as_before(stocks, market, daily_returns):
    """A year of an asset against four years of factors, and weekly against weekly: statsmodels' betas."""
    long_market = daily_returns.loc["2010":"2019", ["SP500"]]
    got = call("FM_BETA", excel_range(stocks.loc["2018"]), excel_range(long_market))
    np.testing.assert_allclose(np.asarray(got, float), ols_betas(stocks.loc["2018"], long_market), rtol=RTOL)
    got = call("FM_BETA", excel_range(weekly(stocks)), excel_range(weekly(long_market)))
    np.testing.assert_allclose(np.asarray(got, float), ols_betas(weekly(stocks), weekly(long_market)), rtol=RTOL)


def test_a_risk_free_rate_of_another_frequency_keeps_its_own_words(stocks, ff_monthly):
    rf = ff_monthly.loc["2016":"2019", ["RF"]]
    got = call("FM_EXCESS", excel_range(stocks), excel_range(rf))
    assert is_line(got, "FM_EXCESS", "rf", "12 periods a year by its dates, returns 252", "give rf at the returns'"), got
