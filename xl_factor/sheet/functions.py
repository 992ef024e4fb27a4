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

from .. import __version__, core
from ..core.errors import InvalidArgument, ShapeMismatch
from .cache import FITS, PAIRS
from .excel import dates_to_serials
from .values import Table

#: Median absolute value above which a return series is taken for percent.
PERCENT_THRESHOLD = 0.5


@dataclass(frozen=True)
class Paired:
    """Asset and factor rows matched by date or position; ``rows`` index the asset's input rows."""

    asset: np.ndarray
    factors: np.ndarray
    rows: np.ndarray
    asset_names: tuple[str, ...]
    factor_names: tuple[str, ...]


def check_decimal_returns(table: Table, argument: str) -> None:
    """Refuse a return series that looks like percent (median |r| above 50% a period)."""
    values = table.values[~np.isnan(table.values)]
    if values.size and float(np.median(np.abs(values))) > PERCENT_THRESHOLD:
        raise InvalidArgument(
            f"looks like percent or prices (median size {np.median(np.abs(values)):.3g}); "
            "give returns as decimals (divide percent by 100)",
            argument,
        )


def pair(asset: Table, factors: Table, left: str = "asset", right: str = "factors") -> Paired:
    """Match the rows of two ranges: by date when both have dates, else by position."""
    check_decimal_returns(asset, left)
    check_decimal_returns(factors, right)
    if asset.dates is not None and factors.dates is not None:
        rows, f_rows = match_dates(asset, factors, left, right)
        y, f = asset.values[rows], factors.values[f_rows]
    else:
        if asset.n_rows != factors.n_rows:
            which = "neither has dates" if asset.dates is None and factors.dates is None else (
                f"only {left if asset.dates is not None else right} has dates; give both a date column or neither")
            raise ShapeMismatch(f"{left} has {asset.n_rows} rows but {right} has {factors.n_rows} and {which}", right)
        y, f, rows = asset.values, factors.values, np.arange(asset.n_rows)
    return Paired(y, f, rows, asset.labels("asset"), factors.labels("f"))


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
        return FITS.fit(p.asset, p.factors, add_constant, p.asset_names, p.factor_names, argument), p

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
    return fitted.betas


def fm_alpha(asset: Table, factors: Table, periods_per_year=None):
    fitted, _ = fit(asset, factors)
    alpha = fitted.alpha[:, None]
    return alpha if periods_per_year is None else core.annualize(alpha, "mean", periods_per_year)


def fm_regress(asset: Table, factors: Table, cov_type: str = "nonrobust", hac_lags=None):
    one_asset(asset, "FM_REGRESS")
    p = pair(asset, factors)
    stats = core.regression_statistics(p.asset, p.factors, cov_type, hac_lags, p.asset_names[0], p.factor_names)
    coefficients = labelled(
        "", ("coef", "std_err", "t", "p_value", "ci_low", "ci_high"), stats.names,
        np.column_stack([stats.coef, stats.std_err, stats.t, stats.p_value, stats.ci_low, stats.ci_high]),
    )
    return stacked(coefficients, label_values((name, float(getattr(stats, name))) for name in stats.SUMMARY))


def fm_resid(asset: Table, factors: Table):
    fitted, p = fit(asset, factors)
    return per_input_row(fitted.resid, p.rows, asset.n_rows)


def fm_tracking(asset: Table, factors: Table):
    fitted, p = fit(asset, factors)
    return per_input_row(fitted.tracking, p.rows, asset.n_rows)


def fm_hedged(asset: Table, factors: Table):
    fitted, p = fit(asset, factors)
    return per_input_row(fitted.hedged, p.rows, asset.n_rows)


def fm_hedge(position: float, asset: Table, factors: Table, target_share: float = 0.0):
    one_asset(asset, "FM_HEDGE")
    fitted, _ = fit(asset, factors)
    hedge = core.hedge_to_target(position, fitted.betas[0], fitted.factor_cov_of(0), fitted.idio_var[0], target_share)
    return hedge[None, :]


def fm_size(vol_budget: np.ndarray, variance: np.ndarray, horizon_periods: float = 1.0):
    try:
        budget, var = np.broadcast_arrays(vol_budget, variance)
    except ValueError:
        raise ShapeMismatch(
            f"vol_budget is {vol_budget.shape[0]} x {vol_budget.shape[1]} and variance {variance.shape[0]} x "
            f"{variance.shape[1]}; give one number or ranges of the same shape", "variance") from None
    out = np.full(budget.shape, np.nan)
    ok = ~(np.isnan(budget) | np.isnan(var))
    out[ok] = core.size_for_vol_budget(budget[ok], var[ok], horizon_periods)
    return out


def fm_vardecomp(asset: Table, factors: Table):
    fitted, p = fit(asset, factors)
    values = np.column_stack([fitted.total_var, fitted.factor_var, fitted.idio_var, fitted.factor_share])
    return labelled("asset", ("total_var", "factor_var", "idio_var", "factor_share"), p.asset_names, values)


def fm_riskshare(asset: Table, factors: Table, hedge=None):
    fitted, _ = fit(asset, factors)
    if hedge is None:
        return fitted.factor_share[:, None]
    h = hedge.ravel()
    if h.size != fitted.n_factors:
        raise ShapeMismatch(f"has {h.size} values but there are {fitted.n_factors} factors; give one per factor", "hedge")
    shares = [core.hedged_factor_share(fitted.betas[i], h, fitted.factor_cov_of(i), fitted.idio_var[i])
              for i in range(fitted.n_assets)]
    return np.array(shares)[:, None]


def fm_covmat(returns: Table, factors: Table, method: str = "factor", periods_per_year=None):
    cov = _covariance(returns, factors, method)
    return cov if periods_per_year is None else core.annualize(cov, "var", periods_per_year)


def fm_corrmat(returns: Table, factors: Table, method: str = "factor"):
    return core.correlation_from_covariance(_covariance(returns, factors, method))


def _covariance(returns: Table, factors: Table, method: str) -> np.ndarray:
    key = method.strip().lower()
    if key == "sample":
        check_decimal_returns(returns, "returns")
        return core.sample_covariance(returns.values)
    if key == "shrink":
        check_decimal_returns(returns, "returns")
        return core.ledoit_wolf(returns.values)[0]
    if key != "factor":
        raise InvalidArgument(f"must be factor, sample or shrink (Ledoit-Wolf), got '{method}'", "method")
    fitted, _ = fit(returns, factors, argument="returns")
    return core.factor_covariance(fitted.betas, fitted.factor_cov, fitted.idio_var)


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
    check_decimal_returns(returns, "returns")
    if isinstance(rf, Table):
        if rf.n_cols != 1:
            raise ShapeMismatch(f"must be one column or a number, got {rf.n_cols} columns", "rf")
        check_decimal_returns(rf, "rf")
        if returns.dates is not None and rf.dates is not None:
            rows, rf_rows = match_dates(returns, rf, "returns", "rf")
            excess = core.excess_returns(returns.values[rows], rf.values[rf_rows])
            return with_index(returns, excess, returns.dates[rows])
        rate = rf.values
    else:
        rate = rf
    return with_index(returns, core.excess_returns(returns.values, rate), returns.dates)


def fm_returns(prices: Table):
    values = core.simple_returns(prices.values)
    return with_index(prices, values, None if prices.dates is None else prices.dates[1:])


def fm_sharpe(returns: Table, periods_per_year=None):
    check_decimal_returns(returns, "returns")
    return core.sharpe_ratio(returns.values, periods_per_year)[None, :]


def fm_annualize(value: np.ndarray, kind: str, periods_per_year: float):
    return core.annualize(value, kind, periods_per_year)


def fm_pnl(position: float, asset: Table, factors: Table, horizon_periods: float = 1.0):
    one_asset(asset, "FM_PNL")
    fitted, _ = fit(asset, factors)
    expected, alpha_only = core.expected_pnl(
        position, fitted.alpha[0], fitted.betas[0], fitted.factor_mean_of(0), horizon_periods)
    return np.array([[expected, alpha_only]])


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
