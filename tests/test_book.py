"""The book functions (FM_BOOKHEDGE, FM_ACTIVERISK, FM_SCENARIO, FM_STRESS) on the real data.

Each is called as Excel would (tuples of row tuples) and checked to 1e-10
against a direct computation: statsmodels OLS of every industry on the
Fama-French factors, the factor-implied covariance ``B Sigma_f B' + D`` in
numpy, and for the hedge in instruments the OLS of the book's P&L on the
factor ETFs' returns. The bad-input cases each give one #FM! line naming the
function and the argument.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from conftest import DATA, FF3, INDUSTRIES, assert_close
from excel_shapes import excel_range
from test_bad_input import fm_line
from xl_factor.sheet.catalogue import call
from xl_factor.sheet.excel import dates_to_serials

POSITIONS = np.array([5e6, -2e6, 3e6, 1e6, -4e6, 2.5e6, 1.5e6, -1e6, 2e6, 3.5e6, -0.5e6, 1e6])
STOCKS = ["AAPL", "BAC", "CVX", "GE", "HD", "JNJ", "JPM", "KO", "MSFT", "PG", "WMT", "XOM"]


def row(values) -> tuple:
    return (tuple(float(v) for v in values),)


@pytest.fixture(scope="module")
def model(industry_excess, ff_monthly):
    """The factor model of the 12 industries on FF3, computed directly with statsmodels and numpy."""
    y, f = industry_excess, ff_monthly[FF3]
    fits = [sm.OLS(y[c], sm.add_constant(f)).fit() for c in INDUSTRIES]
    alpha = np.array([r.params["const"] for r in fits])
    betas = np.array([r.params[FF3].to_numpy() for r in fits])
    resid = np.column_stack([r.resid for r in fits])
    idio = resid.var(axis=0, ddof=1)
    sigma_f = np.cov(f.to_numpy(), rowvar=False)
    omega = betas @ sigma_f @ betas.T + np.diag(idio)
    return {"y": y, "f": f, "alpha": alpha, "B": betas, "D": idio, "S": sigma_f, "omega": omega, "resid": resid,
            "R": excel_range(y), "F": excel_range(f)}


def body(table, first_row: int, n_rows: int, first_col: int = 1, n_cols: int | None = None) -> np.ndarray:
    block = np.asarray(table, dtype=object)[first_row:first_row + n_rows, first_col:]
    block = block if n_cols is None else block[:, :n_cols]
    return block.astype(float)


def values_by_label(table) -> dict:
    return {r[0]: r[1] for r in np.asarray(table, dtype=object) if isinstance(r[0], str)}


# ---------------------------------------------------------------- FM_BOOKHEDGE in factors

def test_bookhedge_full_hedge_is_minus_b_w_and_leaves_the_specific_risk(model):
    out = call("FM_BOOKHEDGE", row(POSITIONS), model["R"], model["F"])
    table = np.asarray(out, dtype=object)
    assert list(table[0]) == ["factor", "exposure", "hedge", "exposure_after"]
    assert list(table[1:4, 0]) == FF3
    x = model["B"].T @ POSITIONS
    assert_close(body(out, 1, 3, 1, 1).ravel(), x)
    assert_close(body(out, 1, 3, 2, 1).ravel(), -x)
    assert np.all(np.abs(body(out, 1, 3, 3, 1)) <= 1e-10 * np.abs(x).max())
    summary = values_by_label(out)
    var_before = POSITIONS @ model["omega"] @ POSITIONS
    var_after = POSITIONS @ (model["D"] * POSITIONS)
    assert_close(summary["vol_before"], np.sqrt(var_before))
    assert_close(summary["vol_after"], np.sqrt(var_after))
    assert_close(summary["share_removed"], 1 - var_after / var_before)


@pytest.mark.parametrize("share", [0.05, 0.2, 0.5])
def test_bookhedge_target_share_is_the_smallest_scaling_that_reaches_it(model, share):
    out = call("FM_BOOKHEDGE", row(POSITIONS), model["R"], model["F"], share)
    x = model["B"].T @ POSITIONS
    systematic, specific = x @ model["S"] @ x, POSITIONS @ (model["D"] * POSITIONS)
    c = np.sqrt(share * specific / ((1 - share) * systematic))
    assert 0 < c < 1
    after = body(out, 1, 3, 3, 1).ravel()
    assert_close(body(out, 1, 3, 2, 1).ravel(), (c - 1) * x)
    assert_close(after, c * x)
    factor_var = after @ model["S"] @ after
    assert_close(factor_var / (factor_var + specific), share)
    assert_close(values_by_label(out)["vol_after"], np.sqrt(factor_var + specific))


def test_bookhedge_target_share_already_met_holds_no_hedge(model):
    x = model["B"].T @ POSITIONS
    share = x @ model["S"] @ x / (POSITIONS @ model["omega"] @ POSITIONS)
    out = call("FM_BOOKHEDGE", row(POSITIONS), model["R"], model["F"], min(0.999, share + 0.01))
    assert np.all(body(out, 1, 3, 2, 1) == 0)
    assert values_by_label(out)["share_removed"] == 0


def test_bookhedge_annualises_the_volatilities_only(model):
    plain = values_by_label(call("FM_BOOKHEDGE", row(POSITIONS), model["R"], model["F"]))
    yearly = values_by_label(call("FM_BOOKHEDGE", row(POSITIONS), model["R"], model["F"], 0, None, 12))
    assert_close(yearly["vol_before"], plain["vol_before"] * np.sqrt(12))
    assert_close(yearly["vol_after"], plain["vol_after"] * np.sqrt(12))
    assert_close(yearly["share_removed"], plain["share_removed"])


def test_bookhedge_of_one_asset_equals_fm_hedge(model):
    one = np.zeros(12)
    one[3] = 1e6
    book = call("FM_BOOKHEDGE", row(one), model["R"], model["F"])
    single = call("FM_HEDGE", 1e6, excel_range(model["y"][["Enrgy"]]), model["F"])
    assert_close(body(book, 1, 3, 2, 1).ravel(), np.asarray(single, dtype=float).ravel())


def test_bookhedge_leaves_out_an_empty_column_without_a_position(model):
    frame = model["y"].copy()
    frame["Spare"] = np.nan
    positions = np.append(POSITIONS, np.nan)
    with_spare = call("FM_BOOKHEDGE", row(positions), excel_range(frame), model["F"])
    assert_close(body(with_spare, 1, 3, 1, 3), body(call("FM_BOOKHEDGE", row(POSITIONS), model["R"], model["F"]),
                                                    1, 3, 1, 3))


@pytest.mark.parametrize("function, extra", [
    ("FM_SCENARIO", ((("MktRF", -0.1),),)),
    ("FM_ACTIVERISK", ()),
    ("FM_RISKCONTRIB", ()),
])
def test_an_asset_that_cannot_be_fitted_and_is_not_held_shows_why_in_its_row(model, function, extra):
    """A constant column (a money-market fund) with a blank position: its row says why it has no numbers, as
    FM_BETA's does, instead of staying blank like a column with no values; the held assets keep theirs."""
    frame = model["y"].copy()
    frame["Cash"] = 0.001
    weights = np.append(POSITIONS / np.abs(POSITIONS).sum(), np.nan)
    lead = (row(weights),) if function != "FM_ACTIVERISK" else (row(weights), row(np.append(np.full(12, 1 / 12), 0.0)))
    with_cash = np.asarray(call(function, *lead, excel_range(frame), model["F"], *extra), dtype=object)
    plain_lead = tuple(((r[0][:12],)) for r in lead)
    plain = np.asarray(call(function, *plain_lead, model["R"], model["F"], *extra), dtype=object)
    where = [i for i, r in enumerate(with_cash) if r[0] == "Cash"]
    assert len(where) == 1
    fm_line(with_cash[where[0], 1], function, r"returns: 'Cash' does not vary over its \d+ rows")
    assert all(c is None for c in with_cash[where[0], 2:])
    others = [i for i, r in enumerate(plain) if r[0] in INDUSTRIES]
    mine = [i for i, r in enumerate(with_cash) if r[0] in INDUSTRIES]
    assert_close(with_cash[mine, 1:].astype(float), plain[others, 1:].astype(float))  # as if Cash were not there
    if function == "FM_SCENARIO":  # and against statsmodels' betas: w_i beta_i' s
        assert_close(with_cash[mine, 1].astype(float), weights[:12] * (model["B"] @ np.array([-0.1, 0.0, 0.0])))


@pytest.mark.parametrize("function", ["FM_BOOKHEDGE", "FM_ACTIVERISK"])
def test_a_held_asset_that_cannot_be_fitted_refuses_the_book_and_says_how_to_leave_it_out(model, function):
    """A constant column held in the book: the refusal names its fit's reason, its amount and the fix (a 0 there);
    with that 0 the book is the one without it."""
    frame = model["y"].copy()
    frame["Cash"] = 0.001
    held = np.append(POSITIONS, 5e5)
    lead = (row(held),) if function == "FM_BOOKHEDGE" else (row(held / np.abs(held).sum()), row(np.full(13, 1 / 13)))
    got = call(function, *lead, excel_range(frame), model["F"])
    noun, argument = ("position", "positions") if function == "FM_BOOKHEDGE" else ("weight", "weights")
    fm_line(got, function, rf"returns: 'Cash' does not vary .* \(it has a {noun} of [\d.e+-]+ in {argument}: give it "
            rf"the rows its fit needs, or a {noun} of 0 to leave it out of the book\)")
    zeroed = tuple(row(np.append(np.asarray(r[0][:12]), 0.0)) for r in lead)
    without = tuple(row(np.asarray(r[0][:12])) for r in lead)
    assert_close(body(call(function, *zeroed, excel_range(frame), model["F"]), 1, 3),
                 body(call(function, *without, model["R"], model["F"]), 1, 3))


def test_an_infinite_position_is_named_as_infinite_not_as_missing(model):
    got = call("FM_BOOKHEDGE", row(np.append(POSITIONS[:11], np.inf)), model["R"], model["F"])
    fm_line(got, "FM_BOOKHEDGE", r"positions: gives '\w+' an infinite position; give it a finite number")


# ---------------------------------------------------------------- FM_BOOKHEDGE in instruments

@pytest.fixture(scope="module")
def etf_book(daily_returns):
    etfs = pd.read_csv(DATA / "factor_etfs_daily_prices_2014_2022.csv", index_col=0, parse_dates=True)
    etf_returns = etfs.pct_change().iloc[1:]
    stocks = daily_returns[STOCKS]
    market = daily_returns[["SP500"]]
    positions = np.linspace(-1e6, 2e6, len(STOCKS))
    return {"etf": etf_returns, "stocks": stocks, "market": market, "w": positions}


def test_bookhedge_in_instruments_is_minus_the_ols_of_the_book_on_them(etf_book):
    e = etf_book
    out = call("FM_BOOKHEDGE", row(e["w"]), excel_range(e["stocks"]), excel_range(e["market"]), 0,
               excel_range(e["etf"]))
    table = np.asarray(out, dtype=object)
    assert list(table[0, :2]) == ["instrument", "hedge"]
    assert list(table[1:6, 0]) == list(e["etf"].columns)
    pnl = (e["stocks"] @ e["w"]).rename("book")
    joined = pd.concat([pnl, e["etf"]], axis=1, join="inner").dropna()
    assert len(joined) == len(e["etf"])  # every ETF date is a stock date
    ols = sm.OLS(joined["book"], sm.add_constant(joined[e["etf"].columns])).fit()
    assert_close(body(out, 1, 5, 1, 1).ravel(), -ols.params[e["etf"].columns].to_numpy())
    summary = values_by_label(out)
    assert_close(summary["vol_before"], joined["book"].std(ddof=1))
    assert_close(summary["vol_after"], ols.resid.std(ddof=1))
    assert_close(summary["share_removed"], ols.rsquared)


# ---------------------------------------------------------------- FM_ACTIVERISK

@pytest.mark.parametrize("periods_per_year", [None, 12])
def test_activerisk_equals_the_direct_computation_on_the_factor_covariance(model, periods_per_year):
    weights = np.array([0.15, 0.05, 0.1, 0.12, 0.03, 0.1, 0.05, 0.05, 0.1, 0.1, 0.1, 0.05])
    bench = np.full(12, 1 / 12)
    out = call("FM_ACTIVERISK", row(weights), row(bench), model["R"], model["F"], periods_per_year)
    scale = 1.0 if periods_per_year is None else periods_per_year
    a = weights - bench
    omega = model["omega"]
    te = np.sqrt(a @ omega @ a * scale)
    x = model["B"].T @ a
    summary = values_by_label(out)
    assert_close(summary["tracking_error"], te)
    assert_close(summary["tracking_var"], te**2)
    assert_close(summary["factor_var"], x @ model["S"] @ x * scale)
    assert_close(summary["specific_var"], a @ (model["D"] * a) * scale)
    assert_close(summary["factor_share"], x @ model["S"] @ x / (a @ omega @ a))
    table = np.asarray(out, dtype=object)
    start = int(np.flatnonzero(table[:, 0] == "factor")[0])
    assert list(table[start, :4]) == ["factor", "active_exposure", "te_contrib", "pct_contrib"]
    factors = body(out, start + 1, 3, 1, 3)
    assert_close(factors[:, 0], x)
    assert_close(factors[:, 1], x * (model["S"] @ x) * scale / te)
    first = int(np.flatnonzero(table[:, 0] == "asset")[0])
    assert list(table[first]) == ["asset", "active_weight", "mcte", "te_contrib", "pct_contrib"]
    per_asset = body(out, first + 1, 12)
    mcte = omega @ a * scale / te
    assert_close(per_asset[:, 0], a)
    assert_close(per_asset[:, 1], mcte)
    assert_close(per_asset[:, 2], a * mcte)
    assert_close(per_asset[:, 3], a * mcte / te)
    assert_close(per_asset[:, 2].sum(), te)


# ---------------------------------------------------------------- FM_SCENARIO

def test_scenario_pnl_is_w_b_s_with_alpha_and_specific_beside(model):
    shocks = ((None, "crash", "value rally", "small caps"),
              ("MktRF", -0.10, None, 0.01),
              ("hml", 0.0, 0.02, None),  # names are matched whatever their case
              ("SMB", None, None, 0.03))
    out = call("FM_SCENARIO", row(POSITIONS), model["R"], model["F"], shocks)
    table = np.asarray(out, dtype=object)
    assert list(table[0]) == ["asset", "crash", "value rally", "small caps"]
    assert list(table[1:, 0]) == INDUSTRIES + ["book", "alpha", "specific_vol"]
    s = np.array([[-0.10, 0.0, 0.01], [0.0, 0.0, 0.03], [0.0, 0.02, 0.0]])  # in factor order MktRF SMB HML
    expected = POSITIONS[:, None] * (model["B"] @ s)
    assert_close(body(out, 1, 12), expected)
    assert_close(body(out, 13, 1).ravel(), POSITIONS @ model["B"] @ s)
    assert_close(body(out, 14, 1).ravel(), np.full(3, POSITIONS @ model["alpha"]))
    assert_close(body(out, 15, 1).ravel(), np.full(3, np.sqrt(POSITIONS @ (model["D"] * POSITIONS))))


def test_scenario_without_a_header_names_the_scenarios(model):
    out = call("FM_SCENARIO", row(POSITIONS), model["R"], model["F"], (("MktRF", -0.1, -0.2),))
    table = np.asarray(out, dtype=object)
    assert list(table[0]) == ["asset", "scenario1", "scenario2"]
    assert_close(body(out, 13, 1).ravel(), (POSITIONS @ model["B"][:, 0]) * np.array([-0.1, -0.2]))


def test_scenario_header_with_an_empty_text_cell_names_that_scenario(model):
    """A header cell holding "" (a formula's empty text) over a column of shocks: the row is still the header and
    that scenario is scenario2 (a review of the shocks rule found it refused as 'crash' in a number's place)."""
    out = call("FM_SCENARIO", row(POSITIONS), model["R"], model["F"], ((None, "crash", ""), ("MktRF", -0.1, -0.2)))
    table = np.asarray(out, dtype=object)
    assert list(table[0]) == ["asset", "crash", "scenario2"]
    assert_close(body(out, 13, 1).ravel(), (POSITIONS @ model["B"][:, 0]) * np.array([-0.1, -0.2]))


def test_scenario_reads_years_and_dates_as_names_and_leaves_out_spare_blank_rows_and_columns(model):
    """Scenarios are often named by their year or day; a range selected with room to spare has blank rows and
    columns at its end, which hold no scenario (they were once refused, or made an all-zero scenario)."""
    import datetime as dt

    shocks = ((None, 2008.0, dt.datetime(2020, 3, 16), " "),  # a header cell a formula left as text of a space
              ("MktRF", -0.17, -0.12, None),
              ("SMB", None, -0.02, ""),
              (None, None, None, None),
              ("", None, "  ", None))
    out = call("FM_SCENARIO", row(POSITIONS), model["R"], model["F"], shocks)
    table = np.asarray(out, dtype=object)
    assert list(table[0]) == ["asset", "2008", "2020-03-16"]
    s = np.array([[-0.17, -0.12], [0.0, -0.02], [0.0, 0.0]])  # in factor order MktRF SMB HML
    assert_close(body(out, 1, 12), POSITIONS[:, None] * (model["B"] @ s))
    assert_close(body(out, 13, 1).ravel(), POSITIONS @ model["B"] @ s)


# ---------------------------------------------------------------- FM_STRESS

def test_stress_replays_the_worst_months_through_the_model(model):
    out = call("FM_STRESS", row(POSITIONS), model["R"], model["F"], 4)
    table = np.asarray(out, dtype=object)
    assert list(table[0]) == ["date", "realised", "factor_pnl", "alpha", "specific"] + FF3
    pnl = model["y"].to_numpy() @ POSITIONS
    worst = np.argsort(pnl, kind="stable")[:4]
    assert_close(table[1:, 0].astype(float), dates_to_serials(model["y"].index[worst]))
    numbers = body(out, 1, 4)
    x = model["B"].T @ POSITIONS
    contrib = model["f"].to_numpy()[worst] * x
    assert_close(numbers[:, 0], pnl[worst])
    assert_close(numbers[:, 1], contrib.sum(axis=1))
    assert_close(numbers[:, 2], np.full(4, POSITIONS @ model["alpha"]))
    assert_close(numbers[:, 3], model["resid"][worst] @ POSITIONS)
    assert_close(numbers[:, 4:], contrib)
    assert np.all(np.diff(numbers[:, 0]) >= 0)


def test_stress_without_dates_labels_the_rows(model):
    out = call("FM_STRESS", row(POSITIONS), excel_range(model["y"], dates=False), excel_range(model["f"], dates=False),
               1)
    pnl = model["y"].to_numpy() @ POSITIONS
    assert out[0, 0] == "row" and out[1, 0] == float(np.argmin(pnl) + 1)


# ---------------------------------------------------------------- bad input: one #FM! line naming the argument

def _r(m):
    return m["R"]


def _f(m):
    return m["F"]


BAD = [
    ("bookhedge positions too short", "FM_BOOKHEDGE", lambda m: (row(POSITIONS[:5]), _r(m), _f(m)),
     r"positions has 5 values but returns has 12 asset columns; give one position per asset column"),
    ("bookhedge text position", "FM_BOOKHEDGE", lambda m: (((1.0,) * 11 + ("x",),), _r(m), _f(m)),
     r"positions must hold numbers, got the text 'x'"),
    ("bookhedge blank position", "FM_BOOKHEDGE", lambda m: (((1.0,) * 11 + (None,),), _r(m), _f(m)),
     r"positions has no position for 'Other', which has returns; give it a number \(0 for none: a blank is not a "
     r"zero\)"),
    ("activerisk blank benchmark weight", "FM_ACTIVERISK",
     lambda m: (row(np.full(12, 1 / 12)), ((1 / 11,) * 3 + (None,) + (1 / 11,) * 8,), _r(m), _f(m)),
     r"benchmark_weights has no weight for 'Enrgy', which has returns; give it a number \(0 for none"),
    ("bookhedge all zero", "FM_BOOKHEDGE", lambda m: (row(np.zeros(12)), _r(m), _f(m)),
     r"positions must give the book some risk"),
    ("bookhedge target_share 1", "FM_BOOKHEDGE", lambda m: (row(POSITIONS), _r(m), _f(m), 1.0),
     r"target_share must be at least 0 and below 1"),
    ("bookhedge target_share with instruments", "FM_BOOKHEDGE",
     lambda m: (row(POSITIONS), _r(m), _f(m), 0.2, _f(m)), r"target_share must be 0 with instruments"),
    ("bookhedge collinear instruments", "FM_BOOKHEDGE",
     lambda m: (row(POSITIONS), _r(m), _f(m), 0,
                excel_range(m["f"].assign(Twice=m["f"]["MktRF"] * 2))), r"instruments has collinear columns"),
    ("bookhedge instruments in percent", "FM_BOOKHEDGE",
     lambda m: (row(POSITIONS), _r(m), _f(m), 0, excel_range(m["f"] * 100)), r"instruments: column '\w+' looks like"),
    ("bookhedge position on an empty column", "FM_BOOKHEDGE",
     lambda m: (row(np.append(POSITIONS, 1.0)), excel_range(m["y"].assign(Spare=np.nan)), _f(m)),
     r"positions: gives 'Spare' a position of 1, but it has no returns"),
    ("activerisk same weights", "FM_ACTIVERISK",
     lambda m: (row(np.full(12, 1 / 12)), row(np.full(12, 1 / 12)), _r(m), _f(m)),
     r"benchmark_weights: equals weights for every asset"),
    ("activerisk benchmark too long", "FM_ACTIVERISK",
     lambda m: (row(np.full(12, 1 / 12)), row(np.full(13, 1 / 13)), _r(m), _f(m)),
     r"benchmark_weights has 13 values but returns has 12 asset columns"),
    ("activerisk periods_per_year 0", "FM_ACTIVERISK",
     lambda m: (row(POSITIONS / np.abs(POSITIONS).sum()), row(np.full(12, 1 / 12)), _r(m), _f(m), -12),
     r"periods_per_year"),
    ("scenario unknown factor", "FM_SCENARIO", lambda m: (row(POSITIONS), _r(m), _f(m), (("Momentum", -0.1),)),
     r"shocks has 'Momentum' where a factor name is due; each row starts with one of MktRF, SMB, HML"),
    ("scenario factor twice", "FM_SCENARIO",
     lambda m: (row(POSITIONS), _r(m), _f(m), (("MktRF", -0.1), ("MktRF", 0.1))), r"shocks has 'MktRF' twice"),
    ("scenario percent", "FM_SCENARIO", lambda m: (row(POSITIONS), _r(m), _f(m), (("MktRF", -10.0),)),
     r"shocks holds a move above 100% in one period; give shocks as decimals"),
    ("scenario no shock column", "FM_SCENARIO", lambda m: (row(POSITIONS), _r(m), _f(m), (("MktRF",),)),
     r"shocks needs a column of factor names and at least one column of shocks"),
    ("scenario text shock", "FM_SCENARIO", lambda m: (row(POSITIONS), _r(m), _f(m), (("MktRF", "-10%"),)),
     r"shocks must hold numbers, got the text '-10%'"),
    ("scenario text shock counted in the range", "FM_SCENARIO",
     lambda m: (row(POSITIONS), _r(m), _f(m), ((None, "crash", "rally"), ("MktRF", -0.1, 0.05), ("SMB", 0.01, "n/a"))),
     r"shocks must hold numbers, got the text 'n/a' in row 3, column 3 of the range"),
    ("scenario numbers where names are due", "FM_SCENARIO",
     lambda m: (row(POSITIONS), _r(m), _f(m), ((None, 0.05, 0.1), ("MktRF", -0.1, 0.05))),
     r"shocks has a blank cell where a factor name is due; each row starts with one of MktRF, SMB, HML \(a header "
     r"row of scenario names holds text, years or dates\)"),
    ("stress n_worst 0", "FM_STRESS", lambda m: (row(POSITIONS), _r(m), _f(m), 0),
     r"n_worst must be a whole number from 1 to 819 \(the periods where every held asset and factor has a return\)"),
    ("stress n_worst too many", "FM_STRESS", lambda m: (row(POSITIONS), _r(m), _f(m), 1000),
     r"n_worst must be a whole number from 1 to 819 \(the periods where every held asset and factor has a return\)"),
    ("stress all zero", "FM_STRESS", lambda m: (row(np.zeros(12)), _r(m), _f(m)),
     r"positions must hold at least one position other than zero"),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_input(model, case):
    _, function, args, pattern = case
    fm_line(call(function, *args(model)), function, pattern)


def test_activerisk_refuses_weights_in_percent_against_benchmark_weights_in_decimals(model):
    """Weights of 30, 20, ... against a benchmark of 1/12 each: the tracking error would be the book's own risk a
    hundred times over; a market-neutral book (adding up to 0) and a book levered tenfold are answered."""
    weights = POSITIONS / np.abs(POSITIONS).sum()
    benchmark = row(np.full(12, 1 / 12))
    got = call("FM_ACTIVERISK", row(100 * weights), benchmark, model["R"], model["F"])
    fm_line(got, "FM_ACTIVERISK", r"benchmark_weights: add up to 1 in size and weights to 100: the two are in "
                                  r"different units")
    neutral = weights - weights.mean()
    for w in (neutral, 10 * weights):
        got = np.asarray(call("FM_ACTIVERISK", row(w), benchmark, model["R"], model["F"]), dtype=object)
        active = w - 1 / 12
        expected = np.sqrt(active @ model["omega"] @ active)
        assert_close(float(values_by_label(got)["tracking_error"]), expected)
