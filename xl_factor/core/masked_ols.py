"""OLS of N assets with N different sets of present rows, at the cost of one panel.

A real universe has nearly as many patterns of present rows as assets
(listings, delistings, holidays, blanks), so fitting pattern by pattern
costs a factorisation per asset. Here every asset's normal equations come
from one matrix product of the presence mask with the products of the
factor rows:

    M_i = sum_t m_it x_t x_t',   c_i = sum_t m_it x_t y_it,   x_t = [1, z_t],

with ``z_t = (f_t - mean) / sd`` the factors centred (when the model has
a constant) and scaled over all their rows, then one batched solve of the (K+1) x (K+1) systems. Centring and scaling
keep those systems near the identity for real factors (condition numbers of
1 to 10), so squaring the conditioning costs no digit that matters; the
systems that are not are left to QR.
Assets whose factors are ill-conditioned over their own rows (condition
number above ``NORMAL_EQUATIONS_LIMIT``, or a factor nearly constant there),
whose returns (nearly) do not vary, or that have too few rows are not solved
here: the caller fits them by QR,
which checks and refuses exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .conditioning import condition_numbers
from .validation import MAX_MAGNITUDE

#: Largest condition number of an asset's centred, unit-scaled factors solved by normal equations. Their
#: error grows with its square: an index and a fund tracking it (correlation 0.99999, condition number about
#: 500) lost 3e-10 against statsmodels; the rest go to QR.
NORMAL_EQUATIONS_LIMIT = 1e2
#: Smallest variance of a factor over an asset's rows, relative to its mean square there, taken from moments:
#: below it the centred moments are cancellation error (a factor nearly constant over those rows).
NORMAL_EQUATIONS_VARIATION = 1e-6
#: Doubles in each row-block buffer of the moment sums (256 KiB each: they stay in cache).
BLOCK_DOUBLES = 32_768


@dataclass(frozen=True)
class MaskedFit:
    """Coefficients (constant first) ``coef`` (p, N), per-asset factor covariance ``factor_cov`` (N, K, K,
    ``ddof = 1``) and means ``factor_mean`` (N, K) over each asset's rows; ``solved`` (N,) marks the assets
    fitted here (the others are NaN and left to the caller). ``bounded``: every present value of ``y`` is
    at most ``MAX_MAGNITUDE`` in size (its sums of squares say so); when not, nothing is solved here."""

    coef: np.ndarray
    factor_cov: np.ndarray
    factor_mean: np.ndarray
    solved: np.ndarray
    bounded: bool


def masked_fit(y: np.ndarray, f: np.ndarray, present: np.ndarray, add_constant: bool) -> MaskedFit:
    """Fit every column of ``y`` (T, N) on ``f`` (T, K) over its rows ``present`` (T, N) by normal equations.

    ``present`` is where the asset and every factor are present: ``y`` not NaN on a row with no factor NaN.
    """
    n_rows, k = f.shape
    n_assets = y.shape[1]
    p = k + int(add_constant)
    factor_ok = ~np.isnan(f).any(axis=1)
    complete = f[factor_ok]  # none when no row has every factor: then nothing is summed, and each asset says so
    centre = complete.mean(axis=0) if add_constant and complete.size else np.zeros(k)  # no constant: scaled only
    scale = complete.std(axis=0) if complete.size else np.ones(k)
    scale = np.where(scale > 0, scale, 1.0)
    z = np.where(factor_ok[:, None], (f - centre) / scale, 0.0)
    x = np.column_stack([np.ones(n_rows), z])  # the ones column counts rows and sums returns, with or without a constant
    sums, xy, sum_yy = _masked_moments(x, y, present, factor_ok)
    if not (sum_yy <= MAX_MAGNITUDE * MAX_MAGNITUDE).all():  # an infinity, or a value too large for a return
        return MaskedFit(np.full((p, n_assets), np.nan), np.full((n_assets, k, k), np.nan),
                         np.full((n_assets, k), np.nan), np.zeros(n_assets, dtype=bool), False)
    upper = np.triu_indices(k + 1)
    full = np.empty((n_assets, k + 1, k + 1))
    full[:, upper[0], upper[1]] = sums
    full[:, upper[1], upper[0]] = sums
    moments = full if add_constant else full[:, 1:, 1:]
    count, sum_z, sum_y = full[:, 0, 0], full[:, 0, 1:], xy[:, 0]
    xy = xy if add_constant else xy[:, 1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_z = sum_z / count[:, None]
        zz = full[:, 1:, 1:]
        centred = zz / count[:, None, None] - mean_z[:, :, None] * mean_z[:, None, :]
        # A series that (nearly) does not vary: its variance from moments is cancellation error; QR decides.
        mean_y = sum_y / count
        var_y = sum_yy / count - mean_y * mean_y
        flat = ~(var_y > NORMAL_EQUATIONS_VARIATION * (var_y + mean_y * mean_y))
        enough = count > p
        cond = np.full(n_assets, np.inf)
        judged = centred if add_constant else zz / count[:, None, None]  # uncentred through the origin
        if enough.any():
            cond[enough] = condition_numbers(judged[enough])
        spread = np.einsum("nii->ni", centred)
        level = np.einsum("nii->ni", zz) / count[:, None]
        steady = (spread <= NORMAL_EQUATIONS_VARIATION * level).any(axis=1)
    solved = enough & ~flat & ~steady & (cond <= NORMAL_EQUATIONS_LIMIT)

    coef = np.full((p, n_assets), np.nan)
    if solved.any():
        c = np.linalg.solve(moments[solved], xy[solved][..., None])[..., 0]
        betas = c[:, int(add_constant):] / scale
        coef[int(add_constant):, solved] = betas.T
        if add_constant:
            coef[0, solved] = c[:, 0] - betas @ centre
    with np.errstate(invalid="ignore", divide="ignore"):
        unbiased = centred * (count / (count - 1))[:, None, None]
    factor_cov = unbiased * np.outer(scale, scale)
    factor_mean = centre + mean_z * scale
    return MaskedFit(coef, factor_cov, factor_mean, solved, True)


def _masked_moments(x: np.ndarray, y: np.ndarray, present: np.ndarray, factor_ok: np.ndarray):
    """Per asset, over its ``present`` rows: the upper triangle of ``x'x`` (N, q(q+1)/2), ``x'y`` (N, q), ``y'y`` (N,).

    ``x`` (T, q); ``present`` is ``y`` not NaN on the rows ``factor_ok`` (T,). Summed over blocks of rows that fit in cache: a block's
    presence as floats and its returns with the missing ones zeroed are
    made in reused buffers, so no (T, N) temporary is allocated. Fresh
    (T, N) arrays cost more in page faults than the arithmetic they carry
    (25 against 17 ms at 2,520 x 500 when the allocator was told to keep
    its memory).
    """
    n_rows, n_assets = y.shape
    upper = np.triu_indices(x.shape[1])
    products = x[:, upper[0]] * x[:, upper[1]]
    sums, xy, sum_yy = np.zeros((len(upper[0]), n_assets)), np.zeros((x.shape[1], n_assets)), np.zeros(n_assets)
    rows = max(8, BLOCK_DOUBLES // max(n_assets, 1))
    weight, zeroed, negative = (np.empty((rows, n_assets)) for _ in range(3))
    gaps = not factor_ok.all()
    with np.errstate(invalid="ignore", over="ignore"):  # an infinite return: ``bounded`` judges the sums
        for start in range(0, n_rows, rows):
            stop = min(start + rows, n_rows)
            w, y0, low = weight[:stop - start], zeroed[:stop - start], negative[:stop - start]
            block = y[start:stop]
            np.copyto(w, present[start:stop])
            # y0 = y where present, else 0: fmax(y, 0) + fmin(y, 0) is y exactly and 0 for NaN, and the rows
            # with a factor missing are zeroed. Three plain passes in cache: half the time of a masked copy.
            np.fmax(block, 0.0, out=y0)
            np.fmin(block, 0.0, out=low)
            np.add(y0, low, out=y0)
            if gaps:
                y0[~factor_ok[start:stop]] = 0.0
            sums += products[start:stop].T @ w
            xy += x[start:stop].T @ y0
            sum_yy += np.einsum("tn,tn->n", y0, y0)
    return sums.T, xy.T, sum_yy
