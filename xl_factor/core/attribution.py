"""Risk attribution of a portfolio under the factor model, by Euler's decomposition.

The asset covariance is the factor model's ``Omega = B Sigma_f B' + D``
(``B`` (N, K) betas, ``Sigma_f`` (K, K) factor covariance, ``D`` the
diagonal of idiosyncratic variances), per period, ``ddof = 1`` as everywhere.
Volatility is homogeneous of degree one in the weights, so it is the sum of
each weight times its marginal contribution; the variance splits likewise
into the factors' and the specific part.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InvalidArgument, NonFiniteValues, ShapeMismatch


@dataclass(frozen=True)
class RiskAttribution:
    """Risk of ``w`` under ``B Sigma_f B' + D``, per period, in the units of the weights.

    Portfolio: ``total_var = w' Omega w``, ``total_vol = sqrt(total_var)``,
    ``systematic_var = x' Sigma_f x`` with exposures ``x = B' w`` (K,),
    ``specific_var = sum_i w_i^2 d_i``.

    Per factor k: ``factor_var_contrib[k] = x_k (Sigma_f x)_k`` (they add up
    to ``systematic_var``); ``factor_vol_contrib = factor_var_contrib /
    total_vol``; ``factor_pct = factor_var_contrib / total_var``. The
    systematic and specific parts likewise (``systematic_vol_contrib``,
    ``systematic_pct``, ``specific_vol_contrib``, ``specific_pct``). Factor and specific percentages add up to 1 (100%).

    Per asset i: marginal contribution to risk ``mcr[i] = d total_vol / d w_i
    = (Omega w)_i / total_vol``; contribution ``asset_vol_contrib[i] = w_i
    mcr[i]`` (they add up to ``total_vol``); ``asset_pct = asset_vol_contrib
    / total_vol`` (they add up to 1).
    """

    weights: np.ndarray
    exposures: np.ndarray
    total_var: float
    total_vol: float
    systematic_var: float
    specific_var: float
    factor_var_contrib: np.ndarray
    factor_vol_contrib: np.ndarray
    factor_pct: np.ndarray
    systematic_vol_contrib: float
    systematic_pct: float
    specific_vol_contrib: float
    specific_pct: float
    mcr: np.ndarray
    asset_vol_contrib: np.ndarray
    asset_pct: np.ndarray


def risk_contributions(weights, betas, factor_cov, idio_var) -> RiskAttribution:
    """Euler risk attribution of portfolio ``weights`` (N,) under ``B Sigma_f B' + diag(idio_var)``.

    ``weights`` may be fractions of capital or currency amounts (volatility
    comes out in the same units, per period); each must be a finite number,
    one per asset, not all zero.
    """
    b = np.atleast_2d(np.asarray(betas, dtype=float))
    sigma_f = np.atleast_2d(np.asarray(factor_cov, dtype=float))
    d = np.asarray(idio_var, dtype=float).ravel()
    w = np.asarray(weights, dtype=float).ravel()
    n_assets = b.shape[0]
    if w.size != n_assets:
        raise ShapeMismatch(
            f"has {w.size} value{'s' if w.size != 1 else ''} but returns has {n_assets} asset column"
            f"{'s' if n_assets != 1 else ''}; give one weight per asset column", "weights")
    if not np.all(np.isfinite(w)):
        raise InvalidArgument("must hold a finite number for every asset (a blank is not a zero weight)", "weights")
    if np.any(np.abs(w) > 1e150):
        raise NonFiniteValues("are too large (above 1e150): the portfolio variance would overflow; give fractions "
                              "of capital or currency amounts", "weights")
    if not np.any(w != 0):
        raise InvalidArgument("must not all be zero; a portfolio without positions has no risk to attribute", "weights")
    with np.errstate(over="ignore", invalid="ignore"):
        exposures = b.T @ w
        sigma_x = sigma_f @ exposures
        factor_var_contrib = exposures * sigma_x
        systematic_var = float(factor_var_contrib.sum())
        specific_var = float((w * w * d).sum())
        total_var = systematic_var + specific_var
        finite = np.all(np.isfinite(factor_var_contrib)) and np.isfinite(total_var)
    if not finite:
        raise NonFiniteValues(
            "the portfolio variance overflows: returns, betas or weights are too large; give returns as decimals",
            "weights")
    if not total_var > 0:
        raise InvalidArgument("must give the portfolio some risk under the model (its variance is zero)", "weights")
    total_vol = float(np.sqrt(total_var))
    omega_w = b @ sigma_x + d * w
    mcr = omega_w / total_vol
    asset_vol = w * mcr
    return RiskAttribution(
        weights=w, exposures=exposures, total_var=total_var, total_vol=total_vol,
        systematic_var=systematic_var, specific_var=specific_var,
        factor_var_contrib=factor_var_contrib, factor_vol_contrib=factor_var_contrib / total_vol,
        factor_pct=factor_var_contrib / total_var, systematic_vol_contrib=systematic_var / total_vol,
        systematic_pct=systematic_var / total_var, specific_vol_contrib=specific_var / total_vol,
        specific_pct=specific_var / total_var, mcr=mcr, asset_vol_contrib=asset_vol,
        asset_pct=asset_vol / total_vol,
    )
