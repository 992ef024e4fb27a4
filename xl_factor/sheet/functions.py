"""The FM_* worksheet functions on parsed arguments: sheet rules around core calls.

Each function takes arguments already parsed by the catalogue (``Table``
for data ranges, floats, text) and returns a cell result: a number, a 2-D
float array (NaN shows as a blank) or a 2-D object array (labelled tables).
Row matching by date, labels and output layout live here; every number
comes from :mod:`xl_factor.core`.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import __version__, core
from ..core.errors import InvalidArgument, ShapeMismatch
from ..core.validation import check_finite
from .cache import PAIRS
from .data_keys import data_key
from .excel import dates_to_serials
from .failures import cell_by_cell, failure_line, mark_failures
from .units import check_rate, check_returns, check_scales, periods_per_year_of, spacing_of
from .values import Table, refuse_id_row_over_prices


@dataclass(frozen=True)
class Paired:
    """Asset and factor rows matched by date or position; ``rows`` and ``factor_rows`` index each range's input rows."""

    asset: np.ndarray
    factors: np.ndarray
    rows: np.ndarray
    asset_names: tuple[str, ...]
    factor_names: tuple[str, ...]
    factor_rows: np.ndarray


def pair(asset: Table, factors: Table, left: str = "asset", right: str = "factors") -> Paired:
    """Match the rows of two ranges: by date when both have dates, else by position; in time order.

    Each column's units are checked first (:mod:`xl_factor.sheet.units`).
    Rows matched by date come in date order; rows matched by position come
    in the date order of whichever range has dates (newest-first exports
    are turned round), else in the order given, which is then taken as
    oldest first.
    """
    check_scales(asset, check_returns(asset, left), factors, check_returns(factors, right), left, right)
    empty = np.flatnonzero(np.isnan(factors.values).all(axis=0))
    if empty.size:
        raise ShapeMismatch(f"column '{factors.labels('f')[empty[0]]}' has no values; a factor needs its returns: "
                            "fill it or leave it out of the range", right)
    if asset.dates is not None and factors.dates is not None:
        rows, f_rows = match_dates(asset, factors, left, right)
        if rows.size < asset.n_rows or f_rows.size < factors.n_rows:  # daily against weekly matches on Fridays
            check_same_frequency(asset, factors, left, right)
        if rows.size < asset.n_rows:  # some of the asset's dates have no factor row: on other days?
            check_date_coverage(asset, factors, rows, left, right, "row")
        y, f = asset.values[rows], factors.values[f_rows]
    else:
        if asset.n_rows != factors.n_rows:
            which = "neither has dates" if asset.dates is None and factors.dates is None else (
                f"only {left if asset.dates is not None else right} has dates; give both a date column or neither")
            raise ShapeMismatch(f"{left} has {asset.n_rows} rows but {right} has {factors.n_rows} and {which}", right)
        rows = time_order(asset.dates if asset.dates is not None else factors.dates, asset.n_rows)
        f_rows = rows
        y, f = asset.values[rows], factors.values[rows]
    return Paired(y, f, rows, asset.labels("asset"), factors.labels("f"), f_rows)


def time_order(dates, n_rows: int) -> np.ndarray:
    """Row positions in date order (undated rows last, ties in the order given); as given without dates."""
    if dates is None:
        return np.arange(n_rows)
    stamps = dates.as_unit("ns").asi8.astype(float)
    stamps[dates.isna()] = np.inf
    if np.all(np.diff(stamps) >= 0):
        return np.arange(n_rows)
    return np.argsort(stamps, kind="stable")


def match_dates(left: Table, right: Table, left_name: str, right_name: str) -> tuple[np.ndarray, np.ndarray]:
    """Row positions in ``left`` and ``right`` of the dates both have, in date order."""
    left_rows, left_dates = left.dated_rows()
    right_rows, right_dates = right.dated_rows()
    aligned = core.align_on_dates(left_dates, right_dates, left_name, right_name)
    return left_rows[aligned.left], right_rows[aligned.right]


def fit(asset: Table, factors: Table, add_constant: bool = True, argument: str = "asset"):
    """The factor-model fit of every asset column on the factors, and the paired rows; cached.

    ``argument`` is the caller's name for the asset range (``returns`` for FM_COVMAT).
    """

    def compute():
        p = pair(asset, factors, argument)
        return core.fit_factor_model(p.asset, p.factors, add_constant, p.asset_names, p.factor_names, argument), p

    return PAIRS.get((asset, factors), (bool(add_constant), argument), compute)


def one_asset(asset: Table, function: str) -> None:
    if asset.n_cols != 1:
        raise ShapeMismatch(f"has {asset.n_cols} columns but {function} takes one asset column; pick one", "asset")


def per_input_row(values: np.ndarray, rows: np.ndarray, n_rows: int) -> np.ndarray:
    """Spread (T_used, N) results back to one row per input row, NaN where a row was not matched."""
    out = np.full((n_rows, values.shape[1]), np.nan)
    out[rows] = values
    return out


def labelled(corner: str, columns, row_labels, values) -> np.ndarray:
    """A labelled table: a header row (``corner`` then ``columns``) and a label column."""
    body = np.asarray(values, dtype=object)
    table = np.empty((len(row_labels) + 1, len(columns) + 1), dtype=object)
    table[0, 0] = corner
    table[0, 1:] = list(columns)
    table[1:, 0] = list(row_labels)
    table[1:, 1:] = body.reshape(len(row_labels), len(columns))
    return table


def stacked(*blocks) -> np.ndarray:
    """Tables one under the other with a blank row between, padded with blanks to the widest."""
    width = max(block.shape[1] for block in blocks)
    height = sum(block.shape[0] for block in blocks) + len(blocks) - 1
    table = np.full((height, width), None, dtype=object)
    row = 0
    for block in blocks:
        table[row:row + block.shape[0], : block.shape[1]] = block
        row += block.shape[0] + 1
    return table


def label_values(pairs) -> np.ndarray:
    """Label / value rows (a two-column block) from ``(name, value)`` pairs."""
    return np.array([[name, value] for name, value in pairs], dtype=object)


def fm_beta(asset: Table, factors: Table, add_constant: bool = True):
    fitted, _ = fit(asset, factors, add_constant)
    return mark_failures(fitted.betas, fitted.failures, axis=0)


def fm_alpha(asset: Table, factors: Table, periods_per_year=None):
    fitted, _ = fit(asset, factors)
    alpha = fitted.alpha[:, None]
    alpha = alpha if periods_per_year is None else core.annualize(alpha, "mean", periods_per_year)
    return mark_failures(alpha, fitted.failures, axis=0)


def fm_regress(asset: Table, factors: Table, cov_type: str = "nonrobust", hac_lags=None, add_constant: bool = True):
    one_asset(asset, "FM_REGRESS")
    p = pair(asset, factors)
    stats = core.regression_statistics(p.asset, p.factors, cov_type, hac_lags, p.asset_names[0], p.factor_names,
                                       add_constant)
    coefficients = labelled(
        "", ("coef", "std_err", "t", "p_value", "ci_low", "ci_high"), stats.names,
        np.column_stack([stats.coef, stats.std_err, stats.t, stats.p_value, stats.ci_low, stats.ci_high]),
    )
    return stacked(coefficients, label_values((name, float(getattr(stats, name))) for name in stats.SUMMARY))


def fm_resid(asset: Table, factors: Table):
    fitted, p = fit(asset, factors)
    return mark_failures(per_input_row(fitted.resid, p.rows, asset.n_rows), fitted.failures, axis=1)


def fm_tracking(asset: Table, factors: Table):
    fitted, p = fit(asset, factors)
    return mark_failures(per_input_row(fitted.tracking, p.rows, asset.n_rows), fitted.failures, axis=1)


def fm_hedged(asset: Table, factors: Table):
    fitted, p = fit(asset, factors)
    return mark_failures(per_input_row(fitted.hedged, p.rows, asset.n_rows), fitted.failures, axis=1)


def fm_hedge(position: float, asset: Table, factors: Table, target_share: float = 0.0):
    one_asset(asset, "FM_HEDGE")
    fitted, _ = fit(asset, factors)
    hedge = core.hedge_to_target(position, fitted.betas[0], fitted.factor_cov_of(0), fitted.idio_var[0], target_share)
    return hedge[None, :]


def fm_size(vol_budget, variance, horizon_periods: float = 1.0):
    """Sizes cell by cell, as the sheet's own formulas are: a cell without a number (a failed asset's line from
    FM_VARDECOMP) or a variance the core refuses (zero) shows its line in its own slot, the others their sizes."""
    return cell_by_cell(lambda budget, var: _sizes(budget, var, horizon_periods),
                        vol_budget=vol_budget, variance=variance)


def _sizes(budget: np.ndarray, var: np.ndarray, horizon_periods: float):
    out = np.full(budget.shape, np.nan)
    ok = ~(np.isnan(budget) | np.isnan(var))
    try:
        out[ok] = core.size_for_vol_budget(budget[ok], var[ok], horizon_periods)
        return out
    except core.FactorModelError as error:
        if budget.size == 1 or error.argument not in ("vol_budget", "variance"):  # the horizon: one line
            raise
    refused = {}
    for i, j in zip(*np.nonzero(ok)):
        try:
            out[i, j] = core.size_for_vol_budget(budget[i, j], var[i, j], horizon_periods)
        except core.FactorModelError as error:
            refused[(int(i), int(j))] = error
    if not refused:
        return out
    cells = out.astype(object)
    for (i, j), error in refused.items():
        cells[i, j] = failure_line(type(error)(f"{error} (row {i + 1}, column {j + 1})", error.argument))
    return cells


def fm_vardecomp(asset: Table, factors: Table):
    fitted, p = fit(asset, factors)
    values = np.column_stack([fitted.total_var, fitted.factor_var, fitted.idio_var, fitted.factor_share])
    table = labelled("asset", ("total_var", "factor_var", "idio_var", "factor_share"), p.asset_names, values)
    return mark_failures(table, fitted.failures, axis=0, row_offset=1, col_offset=1)


def fm_riskshare(asset: Table, factors: Table, hedge=None):
    fitted, _ = fit(asset, factors)
    if hedge is None:
        return mark_failures(fitted.factor_share[:, None], fitted.failures, axis=0)
    h = hedge.ravel()
    if h.size != fitted.n_factors:
        raise ShapeMismatch(f"has {h.size} values but there are {fitted.n_factors} factors; give one per factor", "hedge")
    shares = [core.hedged_factor_share(fitted.betas[i], h, fitted.factor_cov_of(i), fitted.idio_var[i])
              if fitted.fitted_asset(i) else np.nan for i in range(fitted.n_assets)]
    return mark_failures(np.array(shares)[:, None], fitted.failures, axis=0)


def fm_covmat(returns: Table, factors: Table, method: str = "factor", periods_per_year=None):
    cov, failures = _covariance(returns, factors, method)
    cov = cov if periods_per_year is None else core.annualize(cov, "var", periods_per_year)
    return mark_failures(cov, failures, axis=(0, 1))


def fm_corrmat(returns: Table, factors: Table, method: str = "factor"):
    cov, failures = _covariance(returns, factors, method)
    return mark_failures(core.correlation_from_covariance(cov), failures, axis=(0, 1))


def _covariance(returns: Table, factors: Table, method: str) -> tuple[np.ndarray, dict]:
    """The N x N covariance by ``method`` and the failed assets; NaN rows and columns for columns with no values."""
    key = method.strip().lower()
    if key in ("sample", "shrink"):
        check_returns(returns, "returns")
        estimate = core.sample_covariance if key == "sample" else (lambda r: core.ledoit_wolf(r)[0])
        return cross_section(returns.values, returns.labels("asset"), estimate, "returns")
    if key != "factor":
        raise InvalidArgument(f"must be factor, sample or shrink (Ledoit-Wolf), got '{method}'", "method")
    fitted, _ = fit(returns, factors, argument="returns")
    return core.factor_covariance(fitted.betas, fitted.factor_cov, fitted.idio_var), fitted.failures


def cross_section(values: np.ndarray, names, estimate, argument: str) -> tuple[np.ndarray, dict]:
    """``estimate`` (an N x N statistic over rows complete in every column) on the columns with values.

    A column with no values is left out (blank row and column); a column
    that does not vary (it has no covariance to estimate, only rounding
    error) or that has fewer than half the rows of the longest column (a
    recent listing, which would cut every other asset's history to its own)
    is a failure in its own slot.
    """
    filled = filled_columns(values)
    failures = complete_row_failures(values, names, argument, " (a constant series has no covariance to estimate)",
                                     "or use method factor")
    used = np.array([j for j in filled if j not in failures], dtype=int)
    out = np.full((values.shape[1], values.shape[1]), np.nan)
    if used.size == 0:
        raise next(iter(failures.values())) if failures else core.TooFewObservations("has no values", argument)
    out[np.ix_(used, used)] = estimate(values[:, used])
    return out, failures


def complete_row_failures(values: np.ndarray, names, argument: str, flat_why: str, instead: str = "") -> dict:
    """The columns that fail alone where rows must be complete in every column (covariances, components): one that
    does not vary over its values (``flat_why`` says what it lacks), then one with fewer than half the rows of the
    longest (:func:`short_columns`, ``instead`` the other way out it offers)."""
    flat = core.does_not_vary(values) & ((~np.isnan(values)).sum(axis=0) > 1)  # one value: left to the row count
    failures = {int(j): core.TooFewObservations(f"'{names[j]}' does not vary{flat_why}; leave it out", argument)
                for j in filled_columns(values) if flat[j]}
    failures.update((j, e) for j, e in short_columns(values, names, argument, instead).items() if j not in failures)
    return failures


def short_columns(values: np.ndarray, names, argument: str, instead: str = "") -> dict:
    """Columns with fewer than half the rows of the longest: used where rows must be complete in every column.

    A recent listing would cut every other asset's history to its own, so it
    is refused in its own slot rather than shrinking everyone's sample.
    """
    count = (~np.isnan(values)).sum(axis=0)
    longest = int(count.max()) if count.size else 0
    return {int(j): core.TooFewObservations(
        f"'{names[j]}' has {count[j]} rows against {longest} for the longest column; this uses rows complete in "
        f"every column, so it would cut every history to its own: leave it out{' ' + instead if instead else ''}",
        argument) for j in filled_columns(values) if count[j] < longest / 2}


def filled_columns(values: np.ndarray) -> np.ndarray:
    """Positions of the columns that hold at least one value (the others are not assets)."""
    return np.flatnonzero(~np.isnan(values).all(axis=0))


def fm_paramcount(n_assets: float, n_factors: float = 1.0):
    counts = core.parameter_counts(n_assets, n_factors)
    table = np.empty((2, 2), dtype=object)
    table[:, 0] = list(counts)
    table[:, 1] = [float(v) for v in counts.values()]
    return table


def with_index(table: Table, values: np.ndarray, dates) -> np.ndarray:
    """Values with the input's date column and header put back (dates as serial numbers)."""
    body = values
    if dates is not None:
        body = np.column_stack([dates_to_serials(dates), values])
    if table.names is None:
        return body
    header = list(table.names)
    if dates is not None:
        header = [table.date_label or "Date"] + header
    out = np.empty((body.shape[0] + 1, body.shape[1]), dtype=object)
    out[0] = header
    out[1:] = body
    return out


def fm_excess(returns: Table, rf):
    check_returns(returns, "returns")
    periods = periods_per_year_of(returns)
    if isinstance(rf, Table):
        if rf.n_cols != 1:
            raise ShapeMismatch(f"must be one column or a number, got {rf.n_cols} columns", "rf")
        check_rate(rf, "rf", periods)
        if returns.dates is not None and rf.dates is not None:
            check_same_frequency(returns, rf, "returns", "rf")
            rows, rf_rows = match_dates(returns, rf, "returns", "rf")
            check_date_coverage(returns, rf, rows, "returns", "rf", "rate")
            rate = np.full((returns.n_rows, 1), np.nan)  # every row of returns keeps its place; unmatched: blank
            rate[rows] = rf.values[rf_rows]
        else:
            rate = rf.values
    else:
        check_rate(rf, "rf", periods)
        rate = rf
    return with_index(returns, core.excess_returns(returns.values, rate), returns.dates)


#: How many times one range's median date gap may be the other's before the two are taken for two frequencies:
#: trading days against calendar days (1 and 1) pass; monthly against semi-monthly (30 and 15) does not.
FREQUENCY_RATIO = 1.5


def check_same_frequency(left: Table, right: Table, left_name: str, right_name: str) -> None:
    """Refuse ``right`` when its dates are further apart, or closer, than ``left``'s by more than
    :data:`FREQUENCY_RATIO` in the median (:func:`spacing_of`). Matched on the dates they share, daily returns
    against weekly ones pair a day's return with a week's (hourly bars with five-minute ones, monthly with
    semi-monthly), and a rate per period of one frequency would be taken from the other's periods: a wrong number
    either way. Ranges with fewer than two dates pass."""
    spacing, other = spacing_of(left), spacing_of(right)
    if spacing and other and not spacing / FREQUENCY_RATIO <= other <= spacing * FREQUENCY_RATIO:
        whose = f"{left_name}'" if left_name.endswith("s") else f"{left_name}'s"
        raise InvalidArgument(
            f"has dates {_gap(other)} apart in the median, {left_name} {_gap(spacing)}: a period of one length is "
            f"not one of the other, even on the dates they share; give {right_name} at the {whose} frequency (on "
            "the same dates), or both at one frequency", right_name)


def _gap(days: float) -> str:
    """A median gap as a person says it: 1 day, 7 days, 30.5 days, 1 hour, 5 minutes."""
    if days >= 1:
        return f"{days:g} day" + ("" if days == 1 else "s")
    hours = days * 24
    if hours >= 1:
        return f"{hours:.3g} hour" + ("" if hours == 1 else "s")
    minutes = hours * 60
    return f"{minutes:.3g} minute" + ("" if minutes == 1 else "s")


#: Share of one range's dates inside the other's span that may lack a row there (holidays of one market, not the
#: other's) before the two date columns are taken to be on different days (month-ends against last trading days),
#: which would leave periods out, or blank them, without a word.
UNMATCHED_DATES = 0.1


def check_date_coverage(left: Table, right: Table, matched: np.ndarray, left_name: str, right_name: str,
                        what: str) -> None:
    """Refuse ``right`` when many of ``left``'s dates inside its span have no row in it (``matched``: the rows of
    ``left`` that have one): the dates are on other days. Dates on days of the week ``right`` never has (a
    crypto asset's weekends against weekday factors) are not counted: those periods simply have no match."""
    rows, dates = left.dated_rows()
    _, right_dates = right.dated_rows()
    inside = (dates >= right_dates.min()) & (dates <= right_dates.max())
    inside &= np.isin(dates.day_of_week, np.unique(right_dates.day_of_week))
    lacking = inside & ~np.isin(rows, matched)
    if lacking.sum() > UNMATCHED_DATES * inside.sum():
        first = dates[np.flatnonzero(lacking)[0]]
        nearest = right_dates[np.argmin(np.abs((right_dates - first).asi8))]
        whose = f"the {left_name}'" if left_name.endswith("s") else f"the {left_name}'s"
        raise InvalidArgument(
            f"has no {what} for {lacking.sum()} of {whose} {inside.sum()} dates inside its own "
            f"({right_dates.min().date()} to {right_dates.max().date()}), such as {first.date()} (its nearest is "
            f"{nearest.date()}): give {right_name} on {whose} dates", right_name)


def fm_returns(prices: Table):
    """Returns in date order whatever the row order: each row's return is over the period since the one before it
    in time. A row without a date (a blank or an error in its date cell) is a period whose price is unknown: the
    return across it is blank, as it is across a blank price. A column with a price the core refuses (zero or
    negative) shows its line in its first cell; the other columns get their returns."""
    refuse_id_row_over_prices(prices, "prices")
    if prices.dates is not None:
        core.check_unique_dates(prices.dated_rows()[1], "prices")
    order = time_order(prices.dates, prices.n_rows)
    names = prices.labels("col")

    def place(row):  # of a refused price: its date, else its row in the range as given (the header counted)
        date = None if prices.dates is None else prices.dates[order[row]]
        at = f"in row {order[row] + 1 + int(prices.names is not None)} of the range"
        return at if date is None or date is pd.NaT else f"on {date.date()}"

    ordered = prices.values[order]
    failures = {}
    for j in np.flatnonzero((ordered <= 0).any(axis=0)):
        try:
            core.simple_returns(ordered[:, [j]], names=names[j:j + 1], place=place)
        except core.FactorModelError as error:
            failures[int(j)] = error
    if failures and len(failures) == filled_columns(ordered).size:
        raise failures[min(failures)]
    if failures:
        ordered = ordered.copy()
        ordered[:, list(failures)] = np.nan
    values = core.simple_returns(ordered, names=names, place=place)
    if prices.dates is None:
        return _column_failures(with_index(prices, values, None), prices, failures)
    values[_across_undated(prices, order)] = np.nan
    later = order[1:]  # each return belongs to the later of its two rows; the oldest row has none
    keep = np.sort(later)
    placed = np.empty_like(values)
    placed[np.searchsorted(keep, later)] = values
    return _column_failures(with_index(prices, placed, prices.dates[keep]), prices, failures)


def _column_failures(out: np.ndarray, table: Table, failures: dict) -> np.ndarray:
    """``out`` (:func:`with_index` of ``table``) with each failed column's line in its first cell, the rest blank."""
    return mark_failures(out, failures, axis=1, row_offset=int(table.names is not None),
                         col_offset=int(table.dates is not None))


def _across_undated(prices: Table, order: np.ndarray) -> np.ndarray:
    """(T - 1,) True for each return (from row ``order[i]`` to row ``order[i + 1]``) that spans a row without a
    date: in a range whose dated rows run one way (oldest or newest first), two rows next to each other in time
    but not in the range have only undated rows between them.

    Refused when undated rows sit among dated rows that run in no order: where they fall in time is unknown.
    """
    rows, dates = prices.dated_rows()
    dated = np.zeros(prices.n_rows, dtype=bool)
    dated[rows] = True
    if not rows.size or dated[rows[0]:rows[-1] + 1].all():  # no undated row among the dated ones
        return np.zeros(order.size - 1, dtype=bool)
    steps = np.diff(dates.values.view(np.int64))
    if not ((steps > 0).all() or (steps < 0).all()):
        raise InvalidArgument("has rows without a date among rows in no date order, so where those periods fall "
                              "in time is unknown; sort the range by date or fill in the missing dates", "prices")
    earlier, later = order[:-1], order[1:]
    return dated[earlier] & dated[later] & (np.abs(later - earlier) > 1)


def fm_sharpe(returns: Table, periods_per_year=None):
    check_returns(returns, "returns")
    values, names = returns.values, returns.labels("asset")
    # Before the constant-series test, which takes a column holding an infinity (a whole number beyond a
    # double) for one that does not vary: such a column is refused by name for its value.
    check_finite(values, "returns", names)
    count = (~np.isnan(values)).sum(axis=0)
    flat = core.does_not_vary(values)
    failures = {}
    for j in filled_columns(values):
        if count[j] < 2:
            failures[int(j)] = core.TooFewObservations(
                f"'{names[j]}' has {count[j]} return; a standard deviation needs at least 2", "returns")
        elif flat[j]:
            failures[int(j)] = core.TooFewObservations(
                f"'{names[j]}' does not vary, so it has no Sharpe ratio; leave it out", "returns")
    ratio = np.full(values.shape[1], np.nan)
    good = np.array([j for j in filled_columns(values) if j not in failures], dtype=int)
    if good.size:
        ratio[good] = core.sharpe_ratio(values[:, good], periods_per_year)
    elif failures:
        raise next(iter(failures.values()))
    return mark_failures(ratio[None, :], failures, axis=1)


def fm_annualize(value, kind: str, periods_per_year: float):
    return cell_by_cell(lambda values: core.annualize(values, kind, periods_per_year), value=value)


def fm_pnl(position: float, asset: Table, factors: Table, horizon_periods: float = 1.0):
    one_asset(asset, "FM_PNL")
    fitted, _ = fit(asset, factors)
    expected, alpha_only = core.expected_pnl(
        position, fitted.alpha[0], fitted.betas[0], fitted.factor_mean_of(0), horizon_periods)
    return np.array([[expected, alpha_only]])


def fm_data(data: Table) -> str:
    """The key of ``data`` (see :mod:`xl_factor.sheet.data_keys`); a range with no numbers has none."""
    if np.isnan(data.values).all():
        raise InvalidArgument("holds no numbers; select the cells that hold the data (with its header and dates)",
                              "data")
    return data_key(data)


def fm_info(runtime: str = "python"):
    import numpy
    import pandas

    try:  # FM_REGRESS's package: a Python without it (a bare Pyodide) still answers FM_INFO
        import statsmodels
        statsmodels_version = statsmodels.__version__
    except ImportError:
        statsmodels_version = "not installed"

    rows = [("xl_factor", __version__), ("numpy", numpy.__version__), ("pandas", pandas.__version__),
            ("statsmodels", statsmodels_version), ("python", platform.python_version()), ("runtime", runtime)]
    return np.array(rows, dtype=object)
