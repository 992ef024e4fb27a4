"""Multi-factor asset pricing, statistical factors and risk attribution as FM_* functions, on parsed Tables.

Same rules as :mod:`xl_factor.sheet.functions` (and its helpers are reused,
not copied): rows matched by date or position, percent refused, labelled
tables for results that name their parts, every number from
:mod:`xl_factor.core`. Cross-sectional functions (Fama-MacBeth, GRS, PCA)
use the rows where every asset and factor is present.
"""

from __future__ import annotations

import numpy as np

from .. import core
from ..core.errors import InvalidArgument
from .book import held_assets, one_per_asset, per_asset_rows
from .cells import labelled_columns
from .failures import cell_by_cell, failure_line, mark_failures
from .functions import (complete_row_failures, filled_columns, fit, label_values, labelled, pair, per_input_row,
                        stacked, with_index)
from .units import check_returns
from .values import Table

PCA_OUTPUTS = ("loadings", "factors", "explained")
FM_COLUMNS = ("premium", "std_err", "t", "p_value", "shanken_se", "shanken_t", "shanken_p")
FM_SUMMARY = ("mean_r2", "n_periods", "n_assets", "hac_lags")
GRS_ROWS = ("f_stat", "df_num", "df_den", "p_value")
RISK_COLUMNS = ("var_contrib", "vol_contrib", "pct_contrib")
ASSET_COLUMNS = ("weight", "mcr", "vol_contrib", "pct_contrib")


def _filled_pair(returns: Table, factors: Table):
    """Paired rows and the columns with values (a column with no values is not a test asset)."""
    p = pair(returns, factors, "returns", "factors")
    cols = filled_columns(p.asset)
    return p.asset[:, cols], p.factors, tuple(p.asset_names[c] for c in cols), p.factor_names


def fm_famamacbeth(returns: Table, factors: Table, cov_type: str = "unadjusted"):
    y, f, names, fnames = _filled_pair(returns, factors)
    res = core.fama_macbeth(y, f, cov_type, names, fnames)
    values = np.column_stack([res.premia, res.std_err, res.t, res.p_value,
                              res.shanken_se, res.shanken_t, res.shanken_p])
    summary = (res.mean_r2, float(res.n_periods), float(res.n_assets),
               None if res.hac_lags is None else float(res.hac_lags))
    return stacked(labelled("", FM_COLUMNS, res.names, values), label_values(zip(FM_SUMMARY, summary)))


def fm_grs(returns: Table, factors: Table):
    res = core.grs_test(*_filled_pair(returns, factors))
    values = [[res.f_stat], [float(res.df_num)], [float(res.df_den)], [res.p_value]]
    return labelled("", ("value",), GRS_ROWS, values)


def fm_pca(returns: Table, k: float, output: str = "loadings"):
    key = str(output).strip().lower()
    if key not in PCA_OUTPUTS:
        raise InvalidArgument(f"output must be loadings, factors or explained, got '{output}'", "output")
    check_returns(returns, "returns")
    names = returns.labels("asset")
    failures = complete_row_failures(returns.values, names, "returns", ", so it has no part in any component")
    filled = filled_columns(returns.values)
    cols = np.array([c for c in filled if c not in failures], dtype=int)
    if failures and not cols.size:  # every column fails: the core's word on the range as a whole (all constant)
        core.principal_components(returns.values[:, filled], k, tuple(names[c] for c in filled))
        raise failures[min(failures)]
    if failures and key != "loadings":  # no row per column to show it in: left out silently, it would mislead
        first = failures[min(failures)]
        raise type(first)(f"{first} (factors and explained have no row per column to show it in)", first.argument)
    if failures and float(k) > cols.size:
        failed = ", ".join(repr(names[c]) for c in sorted(failures))
        raise InvalidArgument(f"must be at most {cols.size}, the columns the components can use: {failed} "
                              f"{'fails' if len(failures) == 1 else 'fail'} alone (see the loadings), got "
                              f"{float(k):g}", "k")
    pcs = core.principal_components(returns.values[:, cols], k, tuple(names[c] for c in cols))
    if key == "loadings":  # a row per asset column: a column that fails alone shows why in its row
        loadings = np.full((returns.n_cols, pcs.loadings.shape[1]), np.nan)
        loadings[cols] = pcs.loadings
        return mark_failures(loadings, failures, axis=0)
    if key == "explained":
        return pcs.explained[None, :]
    named = Table(pcs.factors, pcs.names if returns.names is not None else None, returns.dates, returns.date_label)
    return with_index(named, pcs.factors, returns.dates)


def _time_varying(asset: Table, factors: Table, function: str, estimate, argument: str, factor: str = ""):
    """Betas per period of every asset column: T x K for one asset, else T x N*K (or T x N for one ``factor``).

    Each asset uses its own present rows. The full-sample fit checks units,
    constant and collinear factors and each asset (too few rows, a series
    that does not vary); an asset that fails, or whose every period is
    blank, shows its own ``#FM!`` line in the first cell of its columns
    while the others get their numbers; a column with no values stays
    blank. With more than one asset column and a header row on the asset
    range, a header row of labels ``asset:factor`` (or the asset names, for
    one ``factor``) comes first, so the result lines up with the input.
    """
    fitted, p = fit(asset, factors)  # raises when no asset can be fitted
    chosen = _chosen_factor(factor, p.factor_names)
    cols = np.array([c for c in filled_columns(p.asset) if c not in fitted.failures], dtype=int)
    failures = dict(fitted.failures)
    n_periods, n_cols = p.asset.shape
    every = cols.size == n_cols
    betas = None if every else np.full((n_periods, n_cols, p.factors.shape[1]), np.nan)
    if cols.size:
        result = estimate(p.asset if every else p.asset[:, cols], p.factors)
        if every:  # every column was fitted: its estimates as they are
            betas = result.betas
        else:
            betas[:, cols] = result.betas
        blank = np.isnan(result.betas).reshape(n_periods, -1).all(axis=0).reshape(cols.size, -1).all(axis=1)
        for c in cols[blank]:
            failures[int(c)] = InvalidArgument(
                f"leaves '{p.asset_names[c]}' no period with enough (weighted) rows for a fit; give it a larger "
                "value" + (" or leave that asset out" if asset.n_cols > 1 else ""), argument)
        if blank.all():
            raise failures[int(cols[0])]
    width = 1 if chosen is not None else p.factors.shape[1]
    values = betas[:, :, [chosen]] if chosen is not None else betas
    out = values.reshape(values.shape[0], -1)
    if not np.array_equal(p.rows, np.arange(asset.n_rows)):  # rows were reordered or left out: put them back
        out = per_input_row(out, p.rows, asset.n_rows)
    if asset.n_cols == 1:
        return out
    labels = []
    if asset.names is not None:
        labels = [list(p.asset_names) if chosen is not None else [
            f"{a}:{f}" for a in p.asset_names for f in p.factor_names]]
    return labelled_columns(labels, out, {int(i): failure_line(e) for i, e in failures.items()}, width)


def _chosen_factor(factor: str, names) -> int | None:
    """Position of the factor named by ``factor`` (its label, case-insensitive), or None for every factor."""
    key = str(factor or "").strip()
    if not key:
        return None
    for j, name in enumerate(names):
        if str(name).strip().lower() == key.lower():
            return j
    raise InvalidArgument(f"must name one of the factors ({', '.join(map(str, names))}), got '{factor}'", "factor")


def fm_rolling_beta(asset: Table, factors: Table, window: float, factor: str = "", min_nobs=None,
                    expanding: bool = False):
    return _time_varying(asset, factors, "FM_ROLLING_BETA",
                         lambda y, f: core.rolling_betas(y, f, window, min_nobs, expanding, betas_only=True), "window",
                         factor)


def fm_ewma_beta(asset: Table, factors: Table, halflife: float, factor: str = "", min_nobs=None):
    return _time_varying(asset, factors, "FM_EWMA_BETA",
                         lambda y, f: core.ewma_betas(y, f, halflife, min_nobs, betas_only=True), "halflife", factor)


def fm_adjbeta(beta, weight: float = core.BLUME_WEIGHT):
    return cell_by_cell(lambda values: core.blume_adjusted_beta(values, weight), beta=beta)


def fm_riskcontrib(weights: np.ndarray, returns: Table, factors: Table):
    fitted, p = fit(returns, factors, argument="returns")
    w = one_per_asset(weights, fitted.n_assets, "weights")
    held = held_assets([(w, "weights")], fitted, p.asset_names)
    res = core.risk_contributions(w[held], fitted.betas[held], fitted.factor_cov, fitted.idio_var[held])
    sources = labelled(
        "source", RISK_COLUMNS, p.factor_names + ("systematic", "specific", "total"),
        np.vstack([
            np.column_stack([res.factor_var_contrib, res.factor_vol_contrib, res.factor_pct]),
            [res.systematic_var, res.systematic_vol_contrib, res.systematic_pct],
            [res.specific_var, res.specific_vol_contrib, res.specific_pct],
            [res.total_var, res.total_vol, 1.0],
        ]),
    )
    per_asset = per_asset_rows(fitted, held, [res.weights, res.mcr, res.asset_vol_contrib, res.asset_pct])
    return stacked(sources, labelled("asset", ASSET_COLUMNS, p.asset_names, per_asset))
