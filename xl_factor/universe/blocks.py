"""One task's work: a block of securities fitted by the core. Plain numpy; no Dask here.

:func:`fit_block` is what every Dask task runs. Each security's regression
is :func:`xl_factor.core.fit_factor_model` on its own rows (the core gives
each column its own regression on the rows where it and every factor are
present, and records an asset it cannot fit instead of failing the call), so
a security's numbers do not depend on which other securities share its
block, nor on which worker runs it.
"""

from __future__ import annotations

import numpy as np

from ..core.errors import FactorModelError
from ..core.regression import fit_factor_model

#: The per-security numbers of a fit, besides the betas.
FIELDS = ("alpha", "idio_var", "total_var", "r2", "n_obs")


def _fit(returns: np.ndarray, factors: np.ndarray, ids, factor_names, min_obs: int) -> dict:
    """alpha, betas, idio_var, total_var, r2, n_obs of each column, and {column: reason} of those not fitted."""
    n, k = returns.shape[1], factors.shape[1]
    out = {name: np.full(n, np.nan) for name in FIELDS}
    out["betas"] = np.full((n, k), np.nan)
    present = (~np.isnan(returns)).sum(axis=0)
    out["n_obs"] = present.astype(float)
    reasons: dict[int, str] = {}
    fit_cols = np.flatnonzero(present >= min_obs)
    for c in np.flatnonzero(present < min_obs):
        reasons[int(c)] = (f"{int(present[c])} returns in range, fewer than the {min_obs} --min-obs asks for")
    if fit_cols.size:
        try:
            fit = fit_factor_model(returns[:, fit_cols], factors, True, [ids[c] for c in fit_cols], factor_names)
        except FactorModelError:  # no column of the block could be fitted: each one's own reason
            for c in fit_cols:
                try:
                    fit_factor_model(returns[:, [c]], factors, True, [ids[c]], factor_names)
                except FactorModelError as error:
                    reasons[int(c)] = str(error)
            return {**out, "reasons": reasons}
        out["alpha"][fit_cols] = fit.alpha
        out["betas"][fit_cols] = fit.betas
        out["idio_var"][fit_cols] = fit.idio_var
        out["total_var"][fit_cols] = fit.total_var
        out["r2"][fit_cols] = fit.factor_share
        out["n_obs"][fit_cols] = fit.n_obs
        for position, error in fit.failures.items():
            reasons[int(fit_cols[position])] = str(error)
        failed = np.array(sorted(reasons), dtype=int)
        for name in ("alpha", "idio_var", "total_var", "r2"):
            out[name][failed] = np.nan
        out["betas"][failed] = np.nan
    return {**out, "reasons": reasons}


def fit_block(returns: np.ndarray, factors: np.ndarray, ids, factor_names, min_obs: int) -> dict:
    """The full-sample fit of a block of securities (T, b) on the factors (T, K)."""
    returns = np.asarray(returns, dtype=float)
    result = _fit(returns, factors, list(ids), list(factor_names), min_obs)
    present = ~np.isnan(returns)
    any_row = present.any(axis=0)
    result["first"] = np.where(any_row, np.argmax(present, axis=0), -1)
    result["last"] = np.where(any_row, returns.shape[0] - 1 - np.argmax(present[::-1], axis=0), -1)
    return result


def rolling_block(returns: np.ndarray, factors: np.ndarray, ids, factor_names, min_obs: int,
                  window: int, step: int) -> dict:
    """Fits over the last ``window`` rows at every ``step``-th row from row ``window - 1``.

    Returns flat arrays, one entry per (step, security) fitted: ``end`` (the
    row of the step's last date), ``col`` (the security's column in the
    block), the betas and the :data:`FIELDS`.
    """
    returns = np.asarray(returns, dtype=float)
    ends, cols, parts = [], [], []
    for end in range(window - 1, returns.shape[0], step):
        rows = slice(end - window + 1, end + 1)
        result = _fit(returns[rows], factors[rows], list(ids), list(factor_names), min_obs)
        ok = ~np.isnan(result["betas"]).any(axis=1)
        ends.append(np.full(int(ok.sum()), end))
        cols.append(np.flatnonzero(ok))
        parts.append(np.column_stack([result["betas"][ok]] + [result[f][ok] for f in FIELDS]))
    k = factors.shape[1]
    table = np.vstack(parts) if parts else np.empty((0, k + len(FIELDS)))
    return {"end": np.concatenate(ends) if ends else np.empty(0, int),
            "col": np.concatenate(cols) if cols else np.empty(0, int), "values": table}
