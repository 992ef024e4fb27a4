"""A book of positions as FM_* functions: book hedge, active risk, factor scenarios, stress replay.

Positions and weights are 1 x N rows, one per asset column of ``returns``.
The rule for an asset that is not in the book (the function reference
states it): a column with no values and no position is left out (its slot
stays blank); an asset with a position but no numbers refuses the call,
since the book's risk cannot leave it out. Every number comes from
:mod:`xl_factor.core.book`.
"""

from __future__ import annotations

from datetime import date, datetime, time

import numpy as np

from .. import core
from ..core.errors import InvalidArgument, ShapeMismatch
from .excel import dates_to_serials
from .failures import mark_failures
from .functions import fit, label_values, labelled, pair, stacked
from .values import Table, as_rows, parse_numbers

HEDGE_SUMMARY = ("vol_before", "vol_after", "share_removed")
FACTOR_HEDGE_COLUMNS = ("exposure", "hedge", "exposure_after")
ACTIVE_SUMMARY = ("tracking_error", "tracking_var", "factor_var", "specific_var", "factor_share")
ACTIVE_FACTOR_COLUMNS = ("active_exposure", "te_contrib", "pct_contrib")
ACTIVE_ASSET_COLUMNS = ("active_weight", "mcte", "te_contrib", "pct_contrib")
SCENARIO_ROWS = ("book", "alpha", "specific_vol")
STRESS_COLUMNS = ("realised", "factor_pnl", "alpha", "specific")


def one_per_asset(values: np.ndarray, n_assets: int, argument: str) -> np.ndarray:
    """The 1 x N row ``values`` as a vector, refused unless it has one value per asset column."""
    w = values.ravel()
    if w.size != n_assets:
        noun = "position" if argument == "positions" else "weight"
        raise ShapeMismatch(
            f"has {w.size} value{'s' if w.size != 1 else ''} but returns has {n_assets} asset column"
            f"{'s' if n_assets != 1 else ''}; give one {noun} per asset column", argument)
    return w


def held_assets(amounts, fitted, names) -> np.ndarray:
    """Positions of the assets in the book, from ``amounts``: ``(values, argument)`` pairs.

    A column with no values and no amount is left out; an asset that has an
    amount but no numbers refuses the call (its own failure, or no returns),
    and so does an asset with numbers but a blank amount (a blank is not a
    zero), each by name.
    """
    held = []
    for i in range(fitted.n_assets):
        if fitted.fitted_asset(i):
            for values, argument in amounts:
                if not np.isfinite(values[i]):
                    noun = "position" if argument == "positions" else "weight"
                    if np.isinf(values[i]):
                        raise InvalidArgument(f"gives '{names[i]}' an infinite {noun}; give it a finite number",
                                              argument)
                    raise InvalidArgument(f"has no {noun} for '{names[i]}', which has returns; give it a number "
                                          f"(0 for none: a blank is not a zero)", argument)
            held.append(i)
            continue
        for values, argument in amounts:
            if np.isnan(values[i]) or values[i] == 0:
                continue
            noun = "position" if argument == "positions" else "weight"
            if i in fitted.failures:  # held, so the book needs it: say so, and how to leave it out
                failure = fitted.failures[i]
                raise type(failure)(f"{failure} (it has a {noun} of {values[i]:g} in {argument}: give it the rows "
                                    f"its fit needs, or a {noun} of 0 to leave it out of the book)", failure.argument)
            raise InvalidArgument(f"gives '{names[i]}' a {noun} of {values[i]:g}, but it has no returns; "
                                  f"give it returns or a blank {noun}", argument)
    return np.array(held, dtype=int)


def per_asset_rows(fitted, held: np.ndarray, figures) -> np.ndarray:
    """(N, C) rows of a book's figures per asset: ``figures`` (held, C) on the held assets, blank on the others,
    and an asset that could not be fitted its own ``#FM!`` line, as every result with a row per asset has."""
    figures = np.column_stack(figures) if isinstance(figures, (list, tuple)) else np.asarray(figures)
    rows = np.full((fitted.n_assets, figures.shape[1]), np.nan)
    rows[held] = figures
    return mark_failures(rows, fitted.failures, axis=0)


def _book(positions: np.ndarray, returns: Table, factors: Table):
    """The fit, paired rows, positions and the held assets of a book."""
    fitted, p = fit(returns, factors, argument="returns")
    w = one_per_asset(positions, fitted.n_assets, "positions")
    return fitted, p, w, held_assets([(w, "positions")], fitted, p.asset_names)


def _traded(w: np.ndarray, held: np.ndarray) -> np.ndarray:
    """The held assets with a position other than zero; refused when there is none."""
    traded = held[w[held] != 0]
    if traded.size == 0:
        raise InvalidArgument("must hold at least one position other than zero", "positions")
    return traded


def _vol(value: float, periods_per_year):
    return value if periods_per_year is None else float(core.annualize(value, "vol", periods_per_year))


def fm_bookhedge(positions: np.ndarray, returns: Table, factors: Table, target_share: float = 0.0,
                 instruments: Table | None = None, periods_per_year=None):
    fitted, p, w, held = _book(positions, returns, factors)
    if instruments is None:
        res = core.factor_hedge(w[held], fitted.betas[held], fitted.factor_cov, fitted.idio_var[held], target_share)
        amounts = labelled("factor", FACTOR_HEDGE_COLUMNS, p.factor_names,
                           np.column_stack([res.exposure, res.hedge, res.exposure + res.hedge]))
    else:
        if target_share != 0:
            raise InvalidArgument("must be 0 with instruments: the hedge in instruments is the minimum-variance "
                                  "one; target_share applies to the hedge in factors", "target_share")
        traded = _traded(w, held)
        q = pair(returns, instruments, "returns", "instruments")
        res = core.instrument_hedge(w[traded], q.asset[:, traded], q.factors, q.factor_names)
        amounts = labelled("instrument", ("hedge",), q.factor_names, res.hedge[:, None])
    summary = (_vol(res.vol_before, periods_per_year), _vol(res.vol_after, periods_per_year), res.share_removed)
    return stacked(amounts, label_values(zip(HEDGE_SUMMARY, summary)))


def fm_activerisk(weights: np.ndarray, benchmark_weights: np.ndarray, returns: Table, factors: Table,
                  periods_per_year=None):
    fitted, p = fit(returns, factors, argument="returns")
    w = one_per_asset(weights, fitted.n_assets, "weights")
    wb = one_per_asset(benchmark_weights, fitted.n_assets, "benchmark_weights")
    held = held_assets([(w, "weights"), (wb, "benchmark_weights")], fitted, p.asset_names)
    check_same_units(w[held], wb[held])
    res = core.active_risk(w[held], wb[held], fitted.betas[held], fitted.factor_cov, fitted.idio_var[held])
    vol = 1.0 if periods_per_year is None else float(core.annualize(1.0, "vol", periods_per_year))
    var = vol * vol
    summary = label_values(zip(ACTIVE_SUMMARY, (res.total_vol * vol, res.total_var * var, res.systematic_var * var,
                                                res.specific_var * var, res.systematic_pct)))
    by_factor = labelled("factor", ACTIVE_FACTOR_COLUMNS, p.factor_names,
                         np.column_stack([res.exposures, res.factor_vol_contrib * vol, res.factor_pct]))
    per_asset = per_asset_rows(fitted, held, [res.weights, res.mcr * vol, res.asset_vol_contrib * vol, res.asset_pct])
    return stacked(summary, by_factor, labelled("asset", ACTIVE_ASSET_COLUMNS, p.asset_names, per_asset))


#: How many times the gross size of one set of weights may be the other's: a book levered tenfold against its
#: benchmark passes; weights in percent against benchmark weights in decimals (100 times) do not.
WEIGHT_UNITS_RATIO = 30.0


def check_same_units(weights: np.ndarray, benchmark: np.ndarray) -> None:
    """Refuse weights and benchmark weights whose gross sizes (sum of absolute weights; a market-neutral book adds
    up to 0) are more than :data:`WEIGHT_UNITS_RATIO` times apart: percent against decimals, whose tracking error
    would be the portfolio's own risk a hundred times over."""
    gross, benchmark_gross = float(np.abs(weights).sum()), float(np.abs(benchmark).sum())
    if gross > 0 and benchmark_gross > 0 and not (
            1 / WEIGHT_UNITS_RATIO <= gross / benchmark_gross <= WEIGHT_UNITS_RATIO):
        raise InvalidArgument(
            f"add up to {benchmark_gross:.4g} in size and weights to {gross:.4g}: the two are in different units "
            "(percent against decimals?); give both in the same units", "benchmark_weights")


def fm_scenario(positions: np.ndarray, returns: Table, factors: Table, shocks):
    fitted, p, w, held = _book(positions, returns, factors)
    names, matrix = parse_shocks(shocks, p.factor_names)
    res = core.scenario_pnl(w[held], fitted.alpha[held], fitted.betas[held], fitted.idio_var[held], matrix)
    values = np.vstack([per_asset_rows(fitted, held, res.asset_pnl), res.book_pnl, np.full(len(names), res.alpha_pnl),
                        np.full(len(names), res.specific_vol)])
    return labelled("asset", names, p.asset_names + SCENARIO_ROWS, values)


def parse_shocks(raw, factor_names) -> tuple[tuple[str, ...], np.ndarray]:
    """Scenario names and the (K, S) shocks from a range with a factor name in each row's first cell.

    Layout: one row per shocked factor (its name, as in the factors'
    header, in the first column, any order), one column per scenario, an
    optional header row of scenario names: text, a year or a date (without
    one they are ``scenario1..S``). A factor left out, or a blank cell, is
    not shocked (0). Blank rows and columns at the end of the range (a range
    selected with room to spare) are left out.
    """
    rows = _trimmed(as_rows(raw, "shocks"))
    if len(rows[0]) < 2:
        raise ShapeMismatch("needs a column of factor names and at least one column of shocks", "shocks")
    keys = {name.strip().lower(): k for k, name in enumerate(factor_names)}
    first = rows[0]
    header = (str(first[0]).strip().lower() not in keys and any(_scenario_name(c) for c in first[1:])
              and all(c is None or isinstance(c, str) or _scenario_name(c) for c in first[1:]))
    body = rows[1:] if header else rows
    if not body:
        raise ShapeMismatch("has a header but no rows of shocks below it", "shocks")
    count = len(first) - 1
    names = (tuple(_scenario_name(c) or f"scenario{j + 1}" for j, c in enumerate(first[1:]))
             if header else tuple(f"scenario{j + 1}" for j in range(count)))
    values = parse_numbers(tuple(tuple(r[1:]) for r in body), "shocks", (int(header), 1))
    shocks = np.zeros((len(factor_names), count))
    seen = set()
    for row, values_row in zip(body, values):
        label = row[0].strip().lower() if isinstance(row[0], str) else None
        if label not in keys:
            what = "a blank cell" if row[0] is None or row[0] == "" else f"'{row[0]}'"
            raise InvalidArgument(f"has {what} where a factor name is due; each row starts with one of "
                                  f"{', '.join(factor_names)} (a header row of scenario names holds text, years "
                                  "or dates)", "shocks")
        if label in seen:
            raise InvalidArgument(f"has '{row[0].strip()}' twice; give each factor one row", "shocks")
        seen.add(label)
        shocks[keys[label]] = np.nan_to_num(values_row, nan=0.0)
    return names, shocks


#: Whole numbers read as years in a header of scenario names (``2008``); shocks are decimals far below these.
_YEARS = (1900, 2200)


def _scenario_name(cell) -> str:
    """The scenario name a header cell gives (text, a year, a date as ISO text), or "" for any other cell."""
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == time() else cell.isoformat(sep=" ")
    if isinstance(cell, date):
        return cell.isoformat()
    if type(cell) in (int, float) and float(cell).is_integer() and _YEARS[0] <= cell <= _YEARS[1]:
        return str(int(cell))
    return ""


def _trimmed(rows: list) -> list:
    """``rows`` without the rows and columns at their end whose every cell is blank (at least one of each kept)."""
    def blank(cell):
        return cell is None or (isinstance(cell, str) and not cell.strip())

    while len(rows) > 1 and all(blank(c) for c in rows[-1]):
        rows = rows[:-1]
    width = len(rows[0])
    while width > 1 and all(blank(row[width - 1]) for row in rows):
        width -= 1
    return rows if width == len(rows[0]) else [tuple(row[:width]) for row in rows]


def fm_stress(positions: np.ndarray, returns: Table, factors: Table, n_worst: float = 5.0):
    fitted, p, w, held = _book(positions, returns, factors)
    traded = _traded(w, held)
    res = core.stress_replay(w[traded], p.asset[:, traded], p.factors, fitted.alpha[traded], fitted.betas[traded],
                             n_worst)
    dates = returns.dates if returns.dates is not None else factors.dates
    rows = p.rows[res.rows]
    labels = dates_to_serials(dates[rows]) if dates is not None else rows + 1.0
    values = np.column_stack([res.realised, res.factor_pnl, np.full(rows.size, res.alpha_pnl), res.specific,
                              res.factor_contrib])
    return labelled("date" if dates is not None else "row", STRESS_COLUMNS + p.factor_names, list(labels), values)
