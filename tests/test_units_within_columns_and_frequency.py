"""Percent cells inside a decimal column, and ranges of two frequencies matched on the dates they share.

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
    assert is_line(got, function, "factors has dates 7 days apart in the median, asset 1 day"), got


def test_weekly_or_monthly_returns_against_daily_factors_are_refused(stocks, market):
    assert is_line(call("FM_BETA", excel_range(weekly(stocks)), excel_range(market)), "FM_BETA",
                   "factors has dates 1 day apart in the median, asset 7 days")
    month_ends = stocks.groupby(stocks.index.to_period("M")).tail(1)  # one daily return a month, on its last day
    assert is_line(call("FM_BETA", excel_range(month_ends), excel_range(market)), "FM_BETA",
                   "factors has dates 1 day apart in the median, asset 3")


def test_the_book_functions_refuse_two_frequencies_by_construction(stocks, market):
    positions = ((1e6, -5e5, 2e5),)
    got = call("FM_BOOKHEDGE", positions, excel_range(stocks), excel_range(weekly(market)))
    assert is_line(got, "FM_BOOKHEDGE", "7 days apart in the median", "returns 1 day"), got


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
    assert is_line(got, "FM_EXCESS", "rf", "rf has dates 3", "days apart in the median, returns 1 day", "give rf at the returns'"), got


# --- percent cells among decimals ---------------------------------------------------------------------------


@pytest.mark.parametrize("rows, month", [(20, "2019-12-"), (40, "2019-11-")])
def test_the_newest_rows_of_a_factor_pasted_in_percent_are_refused(stocks, market, rows, month):
    """The last month or two of 2019 in percent (no day below -1.5% then, so not the fall rule). Its calmest days stay
    under thirty times the typical move even in percent: a block of ten such days can pass (the README says so)."""
    pasted = market.copy()
    pasted.iloc[-rows:] *= 100
    got = call("FM_BETA", excel_range(stocks), excel_range(pasted))
    assert is_line(got, "FM_BETA", "factors", "column 'SP500' looks like percent", f"of the 10 values from {month}",
                   "times its typical move"), got


def calm_rows(column: pd.Series, length: int) -> slice:
    """The first ``length`` rows in which the column never falls 1.5% (in percent no fall below -1.5)."""
    calm = (column > -0.015).astype(int).rolling(length).sum().to_numpy()
    end = int(np.flatnonzero(calm == length)[0]) + 1
    return slice(end - length, end)


def test_an_asset_block_in_percent_is_refused_by_its_dates_and_a_range_without_dates_by_its_rows(stocks, market):
    pasted = stocks.copy()
    block = calm_rows(stocks["KO"], 30)
    pasted.iloc[block, 1] *= 100
    got = call("FM_VARDECOMP", excel_range(pasted), excel_range(market))
    first = stocks.index[block.start]
    assert is_line(got, "FM_VARDECOMP", "asset", "column 'KO' looks like percent", "from "), got
    named = pd.Timestamp(got.split("from ")[1][:10])
    assert first <= named <= stocks.index[block.stop - 1]
    got = call("FM_VARDECOMP", excel_range(pasted, dates=False), excel_range(market, dates=False))
    assert is_line(got, "FM_VARDECOMP", "column 'KO'", "of the range"), got
    row = int(got.split("in rows ")[1].split(" ")[0])
    assert block.start + 2 <= row <= block.stop + 1  # the header is row 1, so data row 0 is row 2


def test_one_cell_typed_as_percent_is_refused(stocks, market):
    typed = stocks.copy()
    typed.iloc[500, 0] = 5.0  # 5 for 5%
    got = call("FM_BETA", excel_range(typed), excel_range(market))
    assert is_line(got, "FM_BETA", "column 'AAPL'", "5 on 2017-12-27", "a rise of more than 100%"), got


def test_real_returns_with_their_worst_days_are_not_refused(daily_returns):
    """Every stock of the bundled S&P data over 1990-2022 (the 2008 banks, the 1987-like days of 2020) against the
    index: no refusal, and statsmodels' betas."""
    stocks = daily_returns.drop(columns="SP500")
    market = daily_returns[["SP500"]]
    got = call("FM_BETA", excel_range(stocks), excel_range(market))
    np.testing.assert_allclose(np.asarray(got, float), ols_betas(stocks, market), rtol=RTOL)
    crisis = daily_returns.loc["2008-06":"2009-06"]
    got = call("FM_BETA", excel_range(crisis[["BAC"]]), excel_range(crisis[["SP500"]]))
    np.testing.assert_allclose(got, ols_betas(crisis[["BAC"]], crisis[["SP500"]])[0, 0], rtol=RTOL)


def test_a_column_mostly_unchanged_is_not_judged_by_a_zero_typical_size(stocks, market):
    """An illiquid stock that does not trade on most days (median move 0) with its few moves of 6%: data."""
    rng = np.random.default_rng(3)
    illiquid = pd.DataFrame({"ILLQ": np.where(rng.random(len(market)) < 0.7, 0.0,
                                              rng.normal(0, 0.06, len(market)))}, index=market.index)
    got = call("FM_BETA", excel_range(illiquid), excel_range(market))
    np.testing.assert_allclose(got, ols_betas(illiquid, market)[0, 0], rtol=RTOL)


# --- found on review of the rules above -----------------------------------------------------------------------


def test_a_stock_priced_in_ticks_that_stands_still_on_half_its_days_is_data(daily_returns):
    """RRC 1991-94: a price near 3 in ticks of 1/8, unchanged on about half the days, so the median of all days
    (0.0036) is a fraction of a tick's move and every tick counted as thirty of them. Judged on its days with a
    move, it is returns: statsmodels' beta."""
    window = daily_returns.loc["1991-08-02":"1994-08-31"]
    got = call("FM_BETA", excel_range(window[["RRC"]]), excel_range(window[["SP500"]]))
    np.testing.assert_allclose(got, ols_betas(window[["RRC"]], window[["SP500"]])[0, 0], rtol=RTOL)


def five_minute_bars(frame: pd.DataFrame, start="2024-03-04 09:30") -> pd.DataFrame:
    bars = frame.iloc[:200].copy()
    bars.index = pd.date_range(start, periods=len(bars), freq="5min")
    return bars


def test_intraday_bars_annualised_with_their_own_periods_a_year_are_answered(stocks):
    """Five-minute bars: 78 a day, 19,656 a year. Nothing in the dates says how many hours a market trades, so a
    periods_per_year over intraday dates is not judged; the Sharpe ratio is numpy's times sqrt(19,656)."""
    bars = five_minute_bars(stocks)
    got = np.asarray(call("FM_SHARPE", excel_range(bars), 19656.0), float)
    expected = (bars.mean() / bars.std(ddof=1) * np.sqrt(19656)).to_numpy()
    np.testing.assert_allclose(got.ravel(), expected, rtol=RTOL)


def test_hourly_bars_against_five_minute_bars_are_refused(stocks, market):
    asset = five_minute_bars(stocks)
    hourly = asset.iloc[::12]
    got = call("FM_BETA", excel_range(hourly), excel_range(five_minute_bars(market)))
    assert is_line(got, "FM_BETA", "factors has dates 5 minutes apart in the median, asset 1 hour"), got


def test_monthly_against_semi_monthly_and_annual_against_half_yearly_are_refused(daily_returns):
    """Both pairs read as one frequency by their periods a year (12 and 1), but their gaps are twice apart."""
    prices = (1 + daily_returns[["AAPL", "SP500"]].loc["2000":"2019"]).cumprod()
    month_ends = prices.resample("ME").last()
    semi = prices.resample("SME").last()
    got = call("FM_BETA", excel_range(month_ends[["AAPL"]].pct_change().iloc[1:]),
               excel_range(semi[["SP500"]].pct_change().iloc[1:]))
    assert is_line(got, "FM_BETA", "factors has dates 15", "days apart in the median, asset 3"), got
    years, halves = prices.resample("YE").last(), month_ends[month_ends.index.month.isin([6, 12])]
    got = call("FM_BETA", excel_range(years[["AAPL"]].pct_change().iloc[1:]),
               excel_range(halves[["SP500"]].pct_change().iloc[1:]))
    assert is_line(got, "FM_BETA", "factors has dates 18", "days apart in the median, asset 36"), got


# --- the path a user takes: newest first, blanks, a late listing, stray cells -----------------------------------


def sheet_cells(frame: pd.DataFrame) -> tuple:
    """The range as a sheet exported newest first hands it over: a header, datetime cells, ``None`` for a blank."""
    rows = [(None,) + tuple(frame.columns)]
    for stamp, values in zip(frame.index[::-1], frame.to_numpy()[::-1]):
        rows.append((stamp.to_pydatetime(),) + tuple(None if np.isnan(v) else float(v) for v in values))
    return tuple(rows)


@pytest.fixture(scope="module")
def messy(stocks):
    """AAPL, KO and BAC over 2016-19, KO listed only from 2017, with a text 'n/a', a FALSE and an #N/A among
    BAC's cells (each a missing value, not a zero)."""
    frame = stocks.copy()
    frame.loc[:"2016-12-31", "KO"] = np.nan
    cells = [list(r) for r in sheet_cells(frame)]
    for row, cell in ((5, "n/a"), (40, False), (300, -2146826246)):
        cells[row][3] = cell
    holes = frame.copy()
    holes.iloc[[len(frame) - 5, len(frame) - 40, len(frame) - 300], 2] = np.nan  # rows counted from the newest
    return tuple(map(tuple, cells)), holes


def test_newest_first_ranges_with_blanks_and_stray_cells_give_statsmodels_then_refuse_the_percent_rows(messy, market):
    cells, holes = messy
    got = np.asarray(call("FM_BETA", cells, sheet_cells(market)), float)
    np.testing.assert_allclose(got, ols_betas(holes, market), rtol=RTOL)
    pasted = market.copy()
    pasted.iloc[-20:] *= 100  # the newest rows: the top of a newest-first range
    got = call("FM_BETA", cells, sheet_cells(pasted))
    assert is_line(got, "FM_BETA", "factors", "column 'SP500' looks like percent", "from 2019-12-"), got


def test_newest_first_ranges_with_blanks_against_weekly_factors_are_refused(messy, market):
    cells, _ = messy
    got = call("FM_BETA", cells, sheet_cells(weekly(market)))
    assert is_line(got, "FM_BETA", "factors has dates 7 days apart in the median, asset 1 day"), got
    got = call("FM_SHARPE", cells, 12.0)
    assert is_line(got, "FM_SHARPE", "periods_per_year is 12, but the dates of the data show 252"), got
