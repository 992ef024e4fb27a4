"""Dimson, Scholes-Williams and Vasicek betas as FM_* functions, on parsed Tables.

Rows are matched and checked as for FM_BETA (:func:`~xl_factor.sheet.functions.pair`).
A lag or lead is the factor's own previous or next period: when both ranges
have dates it comes from the factor range's history in date order (a factor
history longer than the asset's gives the asset's first period its lag),
otherwise from the matched rows in time order. One asset's failure shows in
its own row. Every number comes from :mod:`xl_factor.core.beta_estimators`.
"""

from __future__ import annotations

import numpy as np

from .. import core
from ..core.errors import InvalidArgument
from .failures import mark_failures
from .functions import Paired, fit, pair, time_order
from .values import Table


def lead_lag_pair(asset: Table, factors: Table, lags: float, jointly: bool = True) -> Paired:
    """The asset's rows paired with the factors at ``t - lags .. t + lags`` (:func:`core.lead_lag`).

    The ranges are checked and matched once, as they are on the sheet (units,
    empty columns, dates), so that a refusal names a column the user can see,
    not a lagged copy of it; the lagged design takes the matched factor rows.
    """
    p = pair(asset, factors)
    if asset.dates is not None and factors.dates is not None:  # lags from the factors' own history in time order
        order = time_order(factors.dates, factors.n_rows)
        in_time = core.lead_lag(factors.values[order], lags, jointly)
        lagged = np.empty_like(in_time)
        lagged[order] = in_time  # back on the range's own rows, then on the matched ones
        design = lagged[p.factor_rows]
    else:
        design = core.lead_lag(p.factors, lags, jointly)
    names = core.lead_lag_names(p.factor_names, int(lags))
    return Paired(p.asset, design, p.rows, p.asset_names, names, p.factor_rows)


def fm_dimsonbeta(asset: Table, factors: Table, lags: float = 1.0):
    p = lead_lag_pair(asset, factors, lags)
    res = core.dimson_betas(p.asset, p.factors, factors.n_cols, p.asset_names, p.factor_names)
    return mark_failures(res.betas, res.failures, axis=0)


def fm_swbeta(asset: Table, factors: Table):
    if factors.n_cols != 1:
        raise InvalidArgument(f"has {factors.n_cols} columns; Scholes-Williams takes one factor column (the market)",
                              "factors")
    p = lead_lag_pair(asset, factors, 1, jointly=False)  # three simple regressions, not one on all three
    res = core.scholes_williams_betas(p.asset, p.factors, p.asset_names, p.factor_names)
    return mark_failures(res.betas, res.failures, axis=0)


def fm_vasicekbeta(asset: Table, factors: Table):
    fitted, _ = fit(asset, factors)
    betas = core.vasicek_betas(fitted.betas, core.beta_std_errors(fitted))
    return mark_failures(betas, fitted.failures, axis=0)
