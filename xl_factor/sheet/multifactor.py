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
from .functions import check_decimal_returns, fit, label_values, labelled, one_asset, pair, per_input_row, stacked, with_index
from .values import Table

PCA_OUTPUTS = ("loadings", "factors", "explained")
FM_COLUMNS = ("premium", "std_err", "t", "p_value", "shanken_se", "shanken_t", "shanken_p")
FM_SUMMARY = ("mean_r2", "n_periods", "n_assets", "hac_lags")
GRS_ROWS = ("f_stat", "df_num", "df_den", "p_value")
RISK_COLUMNS = ("var_contrib", "vol_contrib", "pct_contrib")
ASSET_COLUMNS = ("weight", "mcr", "vol_contrib", "pct_contrib")


def fm_famamacbeth(returns: Table, factors: Table, cov_type: str = "unadjusted"):
    p = pair(returns, factors, "returns", "factors")
    res = core.fama_macbeth(p.asset, p.factors, cov_type, p.asset_names, p.factor_names)
    values = np.column_stack([res.premia, res.std_err, res.t, res.p_value,
                              res.shanken_se, res.shanken_t, res.shanken_p])
    summary = (res.mean_r2, float(res.n_periods), float(res.n_assets),
               None if res.hac_lags is None else float(res.hac_lags))
    return stacked(labelled("", FM_COLUMNS, res.names, values), label_values(zip(FM_SUMMARY, summary)))


def fm_grs(returns: Table, factors: Table):
    p = pair(returns, factors, "returns", "factors")
    res = core.grs_test(p.asset, p.factors, p.asset_names, p.factor_names)
    values = [[res.f_stat], [float(res.df_num)], [float(res.df_den)], [res.p_value]]
    return labelled("", ("value",), GRS_ROWS, values)


def fm_pca(returns: Table, k: float, output: str = "loadings"):
    key = str(output).strip().lower()
    if key not in PCA_OUTPUTS:
        raise InvalidArgument(f"output must be loadings, factors or explained, got '{output}'", "output")
    check_decimal_returns(returns, "returns")
    pcs = core.principal_components(returns.values, k, returns.labels("asset"))
    if key == "loadings":
        return pcs.loadings
    if key == "explained":
        return pcs.explained[None, :]
    named = Table(pcs.factors, pcs.names if returns.names is not None else None, returns.dates, returns.date_label)
    return with_index(named, pcs.factors, returns.dates)


def _time_varying(asset: Table, factors: Table, function: str, estimate):
    one_asset(asset, function)
    _, p = fit(asset, factors)  # the full-sample fit checks units, constant and collinear factors, enough rows
    result = estimate(p.asset, p.factors)
    return per_input_row(result.betas, p.rows, asset.n_rows)


def fm_rolling_beta(asset: Table, factors: Table, window: float):
    return _time_varying(asset, factors, "FM_ROLLING_BETA", lambda y, f: core.rolling_betas(y, f, window))


def fm_ewma_beta(asset: Table, factors: Table, halflife: float):
    return _time_varying(asset, factors, "FM_EWMA_BETA", lambda y, f: core.ewma_betas(y, f, halflife))


def fm_adjbeta(beta: np.ndarray, weight: float = core.BLUME_WEIGHT):
    return core.blume_adjusted_beta(beta, weight)


def fm_riskcontrib(weights: np.ndarray, returns: Table, factors: Table):
    fitted, p = fit(returns, factors, argument="returns")
    res = core.risk_contributions(weights, fitted.betas, fitted.factor_cov, fitted.idio_var)
    sources = labelled(
        "source", RISK_COLUMNS, p.factor_names + ("systematic", "specific", "total"),
        np.vstack([
            np.column_stack([res.factor_var_contrib, res.factor_vol_contrib, res.factor_pct]),
            [res.systematic_var, res.systematic_vol_contrib, res.systematic_pct],
            [res.specific_var, res.specific_vol_contrib, res.specific_pct],
            [res.total_var, res.total_vol, 1.0],
        ]),
    )
    assets = labelled("asset", ASSET_COLUMNS, p.asset_names,
                      np.column_stack([res.weights, res.mcr, res.asset_vol_contrib, res.asset_pct]))
    return stacked(sources, assets)
