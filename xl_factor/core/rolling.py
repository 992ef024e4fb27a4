"""Betas that change over time: rolling-window OLS and exponentially weighted least squares, N assets at once.

Both regress each asset on K factors with a constant, ``r_t = a + b' f_t + e_t``,
once per period, on the periods up to and including it. A period in which the
asset or a factor is missing adds nothing to that asset's fits but keeps its
place, so windows and ages are counted in periods (rows), not in
observations; each asset has its own present rows (holes, a late listing).

How it is computed (O(T) whatever the window, no per-asset loop):

* The factors are shifted by their means and each asset by its own mean
  (betas do not change; the intercept is put back), so the moment sums hold
  small numbers and the centred moments ``Cxx = Sxx - sx sx' / n`` and
  ``Cxy`` lose no digits to cancellation.
* Rolling sums are built block by block (blocks of ``window`` rows): each
  window is the tail of one block plus the head of the next, two running
  sums of at most ``window`` terms each. Nothing is ever subtracted, so the
  sums do not drift the way an update/downdate does; this plays the part of
  statsmodels' ``RollingOLS.fit(reset=1)`` (a recomputation every period) at
  the cost of two cumulative sums. Exponentially weighted sums are a
  discounted running sum.
* Assets that share their pattern of present rows share the factor moments
  (a complete panel: one set for all), and every period's K x K system is
  factorised once (``L D L'``, vectorised over periods and patterns) and
  applied to each asset of the pattern.

A fit is blank (NaN) when it has fewer than ``min_nobs`` present rows, when a
factor is constant over the rows (its centred sum of squares is at most
``ROUNDING_FLOOR`` times its sum of squares: rounding of the sums) or when
its factors are ill-conditioned over the rows by the package's one rule
(:func:`xl_factor.core.conditioning.ill_conditioned`: collinear factors over
the window). A cheap determinant bound clears the well
conditioned periods; the rest are judged by ``ill_conditioned`` itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .conditioning import CONDITION_LIMIT, ill_conditioned
from .errors import InvalidArgument, ShapeMismatch
from .validation import as_2d, check_finite, column_names

#: A factor whose centred sum of squares over a window is at most this times its sum of squares about the
#: shift (its sd below 1e-6 of its size) is constant over the window: what is left is the sums' rounding.
ROUNDING_FLOOR = 1e-12

#: Upper bound on the doubles held by one chunk of assets' moment arrays (about 32 MB).
CHUNK_DOUBLES = 4_000_000


@dataclass(frozen=True)
class TimeVaryingBetas:
    """Per-period estimates for N assets: ``alpha`` (T, N), ``betas`` (T, N, K), ``n_obs`` (T, N) present rows used.

    NaN where blank (too few present rows, ill-conditioned factors, before the window fills).
    """

    alpha: np.ndarray
    betas: np.ndarray
    n_obs: np.ndarray


def _inputs(asset, factors):
    y = as_2d(asset, "asset")
    f = as_2d(factors, "factors")
    check_finite(y, "asset")
    check_finite(f, "factors", column_names(None, f.shape[1], "f"))
    if y.shape[0] != f.shape[0]:
        raise ShapeMismatch(f"asset has {y.shape[0]} rows but factors has {f.shape[0]}", "factors")
    return y, f


def _whole(value, argument: str, low: int, high: int, what: str) -> int:
    number = float(value)
    if not np.isfinite(number) or not number.is_integer() or number < low or number > high:
        raise InvalidArgument(f"{argument} must be a whole number of periods from {low} {what}, got {number:g}",
                              argument)
    return int(number)


def rolling_betas(asset, factors, window, min_nobs=None, expanding: bool = False) -> TimeVaryingBetas:
    """OLS of each asset column on the factors (with a constant) over the last ``window`` periods, per period.

    At period ``t`` (counting from 1) the fit of an asset uses rows
    ``t - window + 1 .. t`` where it and every factor are present. Periods
    before the window fills (``t < window``) are blank unless ``expanding``,
    which fits them on rows ``1 .. t``; a fit with fewer than ``min_nobs``
    present rows (default ``K + 2``) is blank. This is
    ``statsmodels.regression.rolling.RollingOLS(y, [1, f], window, min_nobs,
    expanding=expanding)`` with its default ``missing="drop"``, per asset.
    ``window`` is a whole number from ``K + 2`` to the number of periods T;
    ``min_nobs`` from ``K + 2`` to ``window``.
    """
    y, f = _inputs(asset, factors)
    n_rows, k = f.shape
    w = _whole(window, "window", k + 2, n_rows, f"(K + 2) to {n_rows} (the number of periods)")
    least = k + 2 if min_nobs is None else _whole(min_nobs, "min_nobs", k + 2, w, f"(K + 2) to {w} (the window)")
    return _fit(y, f, least, lambda v: _window_sums(v, w), None if expanding else w)


def ewma_betas(asset, factors, halflife, min_nobs=None) -> TimeVaryingBetas:
    """Exponentially weighted least-squares betas of each asset column, per period.

    At period ``t`` the coefficients minimise
    ``sum_{s <= t} w_ts (r_s - a - b' f_s)^2`` over the present rows
    ``s <= t``, with weights ``w_ts = 0.5 ** ((t - s) / halflife)``: a row
    ``halflife`` periods old weighs half as much as the current one (ages
    count periods, missing rows included). Equivalently
    ``b_t = Cov_w(f)^-1 Cov_w(f, r)``, the exponentially weighted covariances
    of pandas' ``ewm(halflife=halflife, adjust=True)``, whose normalisation
    cancels. Blank until ``min_nobs`` rows are present (default ``K + 2``,
    at most T). ``halflife`` in periods, positive and finite.
    """
    y, f = _inputs(asset, factors)
    n_rows, k = f.shape
    life = float(halflife)
    if not np.isfinite(life) or life <= 0:
        raise InvalidArgument(f"halflife must be a positive number of periods, got {life:g}", "halflife")
    least = k + 2 if min_nobs is None else _whole(
        min_nobs, "min_nobs", k + 2, n_rows, f"(K + 2) to {n_rows} (the number of periods)")
    decay = 0.5 ** (1.0 / life)
    return _fit(y, f, least, lambda v: _discounted_cumsum(v, decay), None, counts=lambda v: np.cumsum(v, axis=0))


def _fit(y, f, least: int, sums, full_from, counts=None) -> TimeVaryingBetas:
    """The per-period fits of every asset column; ``sums`` turns per-row values (C, T, M) into per-period sums.

    ``sums`` may overwrite the values it is given (they are scratch).
    ``counts`` turns the presence (T, G) into the number of present rows
    (default: the ``sums`` of the presence); ``full_from`` blanks the periods
    before that many rows (a rolling window that has not filled).
    """
    n_rows, n_assets = y.shape
    k = f.shape[1]
    f_ok = ~np.isnan(f).any(axis=1)
    f_mean = f[f_ok].mean(axis=0) if f_ok.any() else np.zeros(k)
    fc = np.where(f_ok[:, None], f - f_mean, 0.0)
    present = ~np.isnan(y) & f_ok[:, None]
    complete = present.all()  # then the masking below changes nothing and is skipped
    with np.errstate(invalid="ignore", divide="ignore"):
        y_mean = (y if complete else np.where(present, y, 0.0)).sum(axis=0) / present.sum(axis=0)
    y_mean = np.where(np.isfinite(y_mean), y_mean, 0.0)
    yc = y - y_mean if complete else np.where(present, y - y_mean, 0.0)

    alpha = np.empty((n_rows, n_assets))  # every column is written by its chunk from solved_from on
    betas = np.empty((n_rows, n_assets, k))
    n_obs = np.empty((n_rows, n_assets))
    solved_from = 0 if full_from is None else full_from - 1
    alpha[:solved_from] = betas[:solved_from] = n_obs[:solved_from] = np.nan
    per_asset = 2 * (2 + 2 * k + k * (k + 1) // 2)
    step = max(1, CHUNK_DOUBLES // max(1, n_rows * per_asset))
    for start in range(0, n_assets, step):
        cols = slice(start, min(start + step, n_assets))
        a, b, n = _fit_chunk(present[:, cols], yc[:, cols], fc, least, sums, counts, solved_from)
        np.subtract(np.add(a, y_mean[cols], out=a), sum(b[j] * f_mean[j] for j in range(k)),
                    out=alpha[solved_from:, cols])
        for j in range(k):
            betas[solved_from:, cols, j] = b[j]
        n_obs[solved_from:, cols] = n
    return TimeVaryingBetas(alpha=alpha, betas=betas, n_obs=n_obs)


def _fit_chunk(present, yc, fc, least, sums, counts, from_period: int):
    """Intercepts (P, n) of the shifted data, betas (K of (P, n)) and present-row counts (P, n) of a chunk of assets.

    P counts the periods from ``from_period`` (those before it are not solved: the
    caller blanks them); the sums run over every row. Arrays are
    component-major (one contiguous (T, columns) array per moment); the
    solve works in place on them and on its own temporaries.
    Assets sharing their present rows share one column of factor moments;
    ``on_assets`` spreads the patterns' (T, G) arrays to the assets (T, n)
    (nothing to spread when every asset has a pattern of its own).
    """
    n_rows, n_assets = yc.shape
    k = fc.shape[1]
    if present.all():
        group = np.zeros(n_assets, dtype=int)
        mask = np.ones((n_rows, 1))
    else:
        group, first = _patterns(present)
        mask = present[:, first].astype(float)  # (T, G): one column per pattern of present rows
    pairs = [(a, b) for a in range(k) for b in range(a, k)]
    g_parts = np.empty((1 + k + len(pairs), n_rows, mask.shape[1]))
    g_parts[0] = mask
    for a in range(k):
        g_parts[1 + a] = mask * fc[:, a, None]
    for c, (a, b) in enumerate(pairs):
        g_parts[1 + k + c] = mask * (fc[:, a] * fc[:, b])[:, None]
    g_count = None if counts is None else counts(mask)
    g_sums = sums(g_parts)
    g_count = (g_sums[0] if g_count is None else g_count)[from_period:]
    g_sums = g_sums[:, from_period:]
    a_parts = np.empty((1 + k, n_rows, n_assets))
    a_parts[0] = yc
    for a in range(k):
        a_parts[1 + a] = yc * fc[:, a, None]
    a_sums = sums(a_parts)[:, from_period:]

    shared = mask.shape[1] == 1 or mask.shape[1] == n_assets  # one pattern (broadcast) or one per asset

    def on_assets(values):
        return values if shared else values[:, group]

    with np.errstate(invalid="ignore", divide="ignore"):
        g_n, g_sx = g_sums[0], g_sums[1:1 + k]
        inv_n = np.where(g_n > 0, 1.0 / np.where(g_n > 0, g_n, 1.0), 0.0)
        cxx = [[None] * k for _ in range(k)]
        for c, (a, b) in enumerate(pairs):  # S_ab - s_a s_b / n
            cxx[a][b] = cxx[b][a] = _less(g_sums[1 + k + c], _times(g_sx[a], g_sx[b], inv_n))
        squares = {a: g_sums[1 + k + c] for c, (a, b) in enumerate(pairs) if a == b}
        positive = np.logical_and.reduce([cxx[a][a] > ROUNDING_FLOOR * squares[a] for a in range(k)])
        scale = []
        for a in range(k):  # 1 / sqrt(C_aa) where the factor varies
            root = np.sqrt(np.where(positive, cxx[a][a], 1.0))
            scale.append(np.divide(1.0, root, out=root))
        lower, pivots = _ldl([[_times(cxx[a][b], scale[a], scale[b]) if b <= a else None for b in range(k)]
                              for a in range(k)])
        usable = (g_count >= least - 0.5) & _well_conditioned(cxx, positive, pivots)

        sy = a_sums[0]
        n_a, s_a = on_assets(inv_n), [on_assets(s) for s in scale]
        z = [_times(_less(a_sums[1 + a], _times(on_assets(g_sx[a]), sy, n_a)), s_a[a]) for a in range(k)]
        low = [[on_assets(lower[i][j]) if j < i else None for j in range(k)] for i in range(k)]
        for i in range(k):  # L w = z, then D v = w, then L' u = v, each in place
            for j in range(i):
                np.subtract(z[i], np.multiply(low[i][j], z[j]), out=z[i])
        for i in range(k):
            np.divide(z[i], on_assets(pivots[i]), out=z[i])
        for i in range(k - 1, -1, -1):
            for j in range(i + 1, k):
                np.subtract(z[i], np.multiply(low[j][i], z[j]), out=z[i])
        blank = ~on_assets(usable)
        b = []
        for a in range(k):  # back to the unscaled factors; blank where the fit is not usable
            np.multiply(z[a], s_a[a], out=z[a])
            np.copyto(z[a], np.nan, where=blank)
            b.append(z[a])
        alpha = _times(_less(sy, sum(b[a] * on_assets(g_sx[a]) for a in range(k))), n_a)
    return alpha, b, np.broadcast_to(on_assets(g_count), alpha.shape)


def _times(x, y, *more):
    """``x * y * ...`` in that order, into one new array."""
    out = np.multiply(x, y)
    for z in more:
        np.multiply(out, z, out=out)
    return out


def _less(x, y):
    """``x - y`` written over ``y`` (a temporary of the caller's)."""
    return np.subtract(x, y, out=y)


def _patterns(present: np.ndarray):
    """Each asset's pattern of present rows (T, n): the pattern number per asset and each pattern's first asset.

    Patterns are numbered in the order of their first asset, so when no two
    assets share a pattern the numbers are the asset positions themselves.
    Two assets share a pattern when their present rows, packed to bits, are
    the same bytes.
    """
    numbers: dict[bytes, int] = {}
    group, first = [], []
    for asset, bits in enumerate(np.packbits(present, axis=0).T):
        key = bits.tobytes()
        if key not in numbers:
            numbers[key] = len(first)
            first.append(asset)
        group.append(numbers[key])
    return np.asarray(group, dtype=np.intp), np.asarray(first, dtype=np.intp)


def _well_conditioned(cxx, positive, pivots) -> np.ndarray:
    """:func:`ill_conditioned`'s verdict (negated) on the centred factor moments ``cxx`` (K x K of (T, G)).

    ``pivots`` are those of the moments scaled to a unit diagonal, whose
    eigenvalues are then at most K: a determinant (the product of the
    pivots) above ``100 K^K / CONDITION_LIMIT^2`` puts the smallest one far
    above the refusal point. Every other matrix is judged by
    ``ill_conditioned`` itself.
    """
    k = len(cxx)
    finite = np.logical_and.reduce([np.isfinite(cxx[a][b]) for a in range(k) for b in range(a + 1)])  # symmetric
    det = np.prod(pivots, axis=0)
    clear = positive & finite & np.logical_and.reduce(pivots > 0) & (det > 100.0 * k**k / CONDITION_LIMIT**2)
    unsure = positive & finite & ~clear
    ok = clear.copy()
    if unsure.any():
        ok[unsure] = ~ill_conditioned(np.stack([np.stack([c[unsure] for c in row], -1) for row in cxx], -2))
    return ok


def _ldl(m):
    """``m = L D L'`` for K x K arrays (each a stack; only the lower triangle is read): unit lower ``L`` (nested
    lists) and pivots ``D`` (K, ...).

    Vectorised over the stack, a loop over K; no pivoting (the matrices are
    scaled to a unit diagonal and positive definite where they are used).
    """
    k = len(m)
    lower = [[None] * k for _ in range(k)]
    pivots = np.empty((k,) + np.shape(m[0][0]))
    for j in range(k):
        np.subtract(m[j][j], sum(lower[j][c] ** 2 * pivots[c] for c in range(j)), out=pivots[j])
        for i in range(j + 1, k):
            below = np.subtract(m[i][j], sum(lower[i][c] * lower[j][c] * pivots[c] for c in range(j)))
            lower[i][j] = np.divide(below, pivots[j], out=below)
    return lower, pivots


def _window_sums(values: np.ndarray, window: int) -> np.ndarray:
    """``S_t = sum of rows max(0, t - window + 1) .. t`` along axis 1 of (C, T, M), O(T) and without subtraction.

    Rows are cut into blocks of ``window`` (the last one may be shorter); a
    window ending inside block b is the tail of block b - 1 (a suffix sum)
    plus the head of block b (a prefix sum), so every sum adds at most
    ``2 window`` non-cancelling partial terms and nothing drifts. The first
    ``window - 1`` sums are the expanding ones (rows from the first). The
    sums are written over ``values`` (C-contiguous), which is returned.
    """
    parts, n_rows = values.shape[:2]
    n_blocks, rest = divmod(n_rows, window)
    blocks = values[:, : n_blocks * window].reshape((parts, n_blocks, window) + values.shape[2:])
    last = values[:, n_blocks * window:]
    tails = None
    if window > 1 and n_blocks and (n_blocks > 1 or rest):
        followed = blocks if rest else blocks[:, :-1]  # the blocks that have a block after them
        tails = np.cumsum(followed[:, :, :0:-1], axis=2)[:, :, ::-1]  # tails[:, b, j - 1]: rows j .. window-1 of b
    np.cumsum(blocks, axis=2, out=blocks)
    np.cumsum(last, axis=1, out=last)
    if tails is not None:
        blocks[:, 1:, : window - 1] += tails[:, : n_blocks - 1]
        if rest:
            last += tails[:, -1, :rest]
    return values


def _discounted_cumsum(values: np.ndarray, decay: float) -> np.ndarray:
    """``S_t = sum_{s <= t} decay^(t - s) v_s`` along axis 1 of (C, T, M), by a doubling scan (log2 T vector steps).

    After step j each ``S_t`` holds the sum over the last ``2^(j+1)`` rows;
    every term is added with its own non-negative weight. The sums are
    written over ``values``, which is returned.
    """
    out = values
    shift, factor = 1, decay
    while shift < out.shape[1]:
        out[:, shift:] = out[:, shift:] + factor * out[:, :-shift]
        shift *= 2
        factor *= factor
    return out
