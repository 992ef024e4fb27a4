"""Betas that change over time: rolling-window OLS and exponentially weighted least squares, N assets at once.

Both regress each asset on K factors with a constant, ``r_t = a + b' f_t + e_t``,
once per period, on the periods up to and including it. A period in which the
asset or a factor is missing adds nothing to that asset's fits but keeps its
place, so windows and ages are counted in periods (rows), not in
observations; each asset has its own present rows (holes, a late listing).

How it is computed (O(T) whatever the window, no per-asset loop, in tiles
that stay in a core's cache):

* The factors are shifted by their means and each asset by its own mean
  (betas do not change; the intercept is put back), so the moment sums hold
  small numbers and the centred moments ``Cxx = Sxx - sx sx' / n`` and
  ``Cxy`` lose no digits to cancellation.
* The per-row terms are the factor terms ``1, f_a, f_a f_b`` times the
  presence of each pattern of present rows, and the asset times ``1, f_a``.
  Assets that share their pattern share the factor terms (a complete panel:
  one set for all).
* Rolling sums, with nothing ever subtracted. The rows are cut into blocks
  of ``window`` rows, the first block padded in front with empty rows so
  that the last row ends a block. A window ending at position j of block b
  is the tail of block b - 1 (its rows after j: a suffix sum) plus the head
  of block b (its rows up to j: a prefix sum). The positions are taken a
  tile of positions at a time, for every block at once (each step one
  vector add over blocks, terms and assets): the prefix sums run forward
  from the previous tile's last ones, the suffix sums backward from the
  sum of the rows after the tile (the later tiles' totals, one small
  matrix product per tile, added up from the end). Every sum adds
  non-negative-weighted partial sums of at most ``window`` rows and is
  rebuilt for each tile, so nothing drifts: this plays the part of
  statsmodels' ``RollingOLS.fit(reset=1)`` (a recomputation every period).
  Exponentially weighted sums are a discounted running sum, a tile of rows
  at a time: a doubling scan within the tile, plus the previous tile's last
  sum discounted to each row.
* Each period's K x K system is factorised (``L D L'`` of the centred
  moments, vectorised over a tile of periods and patterns) and applied to
  each asset of the pattern.

A fit is blank (NaN) when it has fewer than ``min_nobs`` present rows, when a
factor is constant over the rows (its centred sum of squares is at most
``ROUNDING_FLOOR`` times its sum of squares: rounding of the sums) or when
its factors are ill-conditioned over the rows by the package's one rule
(:func:`xl_factor.core.conditioning.ill_conditioned`: collinear factors over
the window). A cheap determinant bound clears the well
conditioned periods; the rest are judged by ``ill_conditioned`` itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .conditioning import CONDITION_LIMIT, ill_conditioned
from .errors import InvalidArgument, ShapeMismatch
from .validation import as_2d, check_finite, column_names

#: A factor whose centred sum of squares over a window is at most this times its sum of squares about the
#: shift (its sd below about 3e-4 of its size there) is constant over the window for these sums: the centred
#: sum is their difference ``Sxx - sx sx' / n``, whose rounding (a few eps of ``Sxx``) would then reach 1e-8 of
#: it, and of the betas. Factor returns sit near 1 (their window mean is within a few sd of the shift); a
#: factor pinned at a level for many windows, or one that jumps to a new level, is blank there.
ROUNDING_FLOOR = 1e-7

#: Doubles in one tile of per-row terms (1 MiB): the periods x terms x assets summed and solved together,
#: small enough that a tile, its suffix sums and the solve's temporaries stay in a core's L2 cache.
TILE_DOUBLES = 131_072

#: Periods a rolling tile aims to hold (fewer when a tile of all the assets would not fit): enough to share
#: the cost of each vector step of the solve.
TILE_ROWS = 8


@dataclass(frozen=True)
class TimeVaryingBetas:
    """Per-period estimates for N assets: ``alpha`` (T, N), ``betas`` (T, N, K), ``n_obs`` (T, N) present rows used.

    NaN where blank (too few present rows, ill-conditioned factors, before the window fills). ``alpha`` and
    ``n_obs`` are None when only the betas were asked for (``betas_only``).
    """

    alpha: np.ndarray | None
    betas: np.ndarray
    n_obs: np.ndarray | None


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


def rolling_betas(asset, factors, window, min_nobs=None, expanding: bool = False,
                  betas_only: bool = False) -> TimeVaryingBetas:
    """OLS of each asset column on the factors (with a constant) over the last ``window`` periods, per period.

    At period ``t`` (counting from 1) the fit of an asset uses rows
    ``t - window + 1 .. t`` where it and every factor are present. Periods
    before the window fills (``t < window``) are blank unless ``expanding``,
    which fits them on rows ``1 .. t``; a fit with fewer than ``min_nobs``
    present rows (default ``K + 2``) is blank. This is
    ``statsmodels.regression.rolling.RollingOLS(y, [1, f], window, min_nobs,
    expanding=expanding)`` with its default ``missing="drop"``, per asset.
    ``window`` is a whole number from ``K + 2`` to the number of periods T;
    ``min_nobs`` from ``K + 2`` to ``window``. With ``betas_only`` the
    intercepts and counts are not made (the betas are the same).
    """
    y, f = _inputs(asset, factors)
    n_rows, k = f.shape
    w = _whole(window, "window", k + 2, n_rows, f"(K + 2) to {n_rows} (the number of periods)")
    least = k + 2 if min_nobs is None else _whole(min_nobs, "min_nobs", k + 2, w, f"(K + 2) to {w} (the window)")
    return _fit(y, f, least, _Windows(w, expanding), betas_only)


def ewma_betas(asset, factors, halflife, min_nobs=None, betas_only: bool = False) -> TimeVaryingBetas:
    """Exponentially weighted least-squares betas of each asset column, per period.

    At period ``t`` the coefficients minimise
    ``sum_{s <= t} w_ts (r_s - a - b' f_s)^2`` over the present rows
    ``s <= t``, with weights ``w_ts = 0.5 ** ((t - s) / halflife)``: a row
    ``halflife`` periods old weighs half as much as the current one (ages
    count periods, missing rows included). Equivalently
    ``b_t = Cov_w(f)^-1 Cov_w(f, r)``, the exponentially weighted covariances
    of pandas' ``ewm(halflife=halflife, adjust=True)``, whose normalisation
    cancels. Blank until ``min_nobs`` rows are present (default ``K + 2``,
    at most T). ``halflife`` in periods, positive and finite. ``betas_only``
    as for :func:`rolling_betas`.
    """
    y, f = _inputs(asset, factors)
    n_rows, k = f.shape
    life = float(halflife)
    if not np.isfinite(life) or life <= 0:
        raise InvalidArgument(f"halflife must be a positive number of periods, got {life:g}", "halflife")
    least = k + 2 if min_nobs is None else _whole(
        min_nobs, "min_nobs", k + 2, n_rows, f"(K + 2) to {n_rows} (the number of periods)")
    return _fit(y, f, least, _Discounted(0.5 ** (1.0 / life)), betas_only)


def _fit(y, f, least: int, sums, betas_only: bool) -> TimeVaryingBetas:
    """The per-period fits of every asset column, with the sums (``_Windows`` or ``_Discounted``) ``sums``; the
    intercepts and counts too unless ``betas_only``.

    The rows are laid out as ``sums.layout`` says (blocks of equal length,
    padded in front); each tile of sums names the positions and the blocks
    it holds, and its fits are written there.
    """
    n_rows, n_assets = y.shape
    k = f.shape[1]
    f_ok = ~np.isnan(f).any(axis=1)
    f_mean = f[f_ok].mean(axis=0) if f_ok.any() else np.zeros(k)
    fc = np.where(f_ok[:, None], f - f_mean, 0.0)
    present = ~np.isnan(y) & f_ok[:, None]
    complete = present.all()  # then the masking below changes nothing and is skipped
    kept = y if complete else np.where(present, y, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        y_mean = kept.sum(axis=0) / present.sum(axis=0)
    y_mean = np.where(np.isfinite(y_mean), y_mean, 0.0)
    if complete:
        yc = y - y_mean
    else:  # shifted where present, 0 where absent
        yc = np.subtract(kept, y_mean, out=kept)
        np.copyto(yc, 0.0, where=~present)

    pairs = [(a, b) for a in range(k) for b in range(a, k)]
    n_blocks, length = sums.layout(n_rows)
    pad = n_blocks * length - n_rows
    h = np.zeros((pad + n_rows, 1 + k + len(pairs)))  # the factor terms 1, f_a, f_a f_b per row (padding: 0)
    h[pad:, 0] = 1.0
    h[pad:, 1:1 + k] = fc
    for c, (a, b) in enumerate(pairs):
        np.multiply(fc[:, a], fc[:, b], out=h[pad:, 1 + k + c])
    yc = np.concatenate([np.zeros((pad, n_assets)), yc]) if pad else yc

    betas = np.empty((pad + n_rows, n_assets, k))  # every output row is written by a tile or blanked below
    betas4 = betas.reshape(n_blocks, length, n_assets, k)
    rest = [] if betas_only else [np.empty((pad + n_rows, n_assets)) for _ in range(2)]  # alpha, n_obs
    rest3 = [v.reshape(n_blocks, length, n_assets) for v in rest]
    step = _assets_per_chunk(n_blocks, length, h.shape[1] + 1 + k, n_assets)
    with np.errstate(invalid="ignore", divide="ignore"):
        for start in range(0, n_assets, step):
            cols = slice(start, min(start + step, n_assets))
            chunk = present[:, cols]
            if chunk.all():
                group, mask = None, np.ones((n_rows, 1))
            else:
                group, first = _patterns(chunk)
                mask = chunk[:, first].astype(float)  # (T, G): one column per pattern of present rows
            if group is not None and len(first) in (1, chunk.shape[1]):
                group = None  # one pattern, or one per asset: the pattern arrays broadcast to the assets
            mask = np.concatenate([np.zeros((pad, mask.shape[1])), mask]) if pad else mask
            for j0, j1, b0, g, a, count in sums.tiles(mask, h, yc[:, cols], k, pad):
                b_, others = _solve(g, a, count, least, group, None if betas_only else (f_mean, y_mean[cols]))
                where = (slice(b0, None), slice(j0, j1), cols)
                for i in range(k):
                    betas4[where + (i,)] = b_[i].swapaxes(0, 1)
                for out, values in zip(rest3, others):
                    out[where] = values.swapaxes(0, 1)
    betas, *rest = (v[pad:] for v in [betas] + rest)
    for v in [betas] + rest:
        v[:sums.blank_before] = np.nan
    alpha, n_obs = rest or (None, None)
    return TimeVaryingBetas(alpha=alpha, betas=betas, n_obs=n_obs)


def _assets_per_chunk(n_blocks: int, length: int, terms: int, n_assets: int) -> int:
    """Assets per chunk: as many as let a tile hold ``TILE_ROWS`` positions of every block, at least one."""
    most = max(1, TILE_DOUBLES // (n_blocks * terms * min(TILE_ROWS, length)))
    return -(-n_assets // -(-n_assets // most))  # the same number in every chunk, give or take one


class _Windows:
    """Sums over the last ``window`` rows (from the first row while the window fills, for ``expanding``).

    Layout: ceil(T / window) blocks of ``window`` rows, padded in front.
    ``blank_before`` rows (those before the window fills) are blank unless
    ``expanding``.
    """

    def __init__(self, window: int, expanding: bool):
        self.window = window
        self.blank_before = 0 if expanding else window - 1

    def layout(self, n_rows: int):
        return -(-n_rows // self.window), self.window

    def tiles(self, mask, h, yc, k: int, pad: int):
        """Window sums of one chunk of assets, a tile of positions at a time (see the module docstring).

        ``mask`` (rows, G) presence per pattern, ``h`` (rows, C) factor terms,
        ``yc`` (rows, m) shifted assets (0 where absent), all padded in front.
        Yields ``(j0, j1, b0, g, a, count)``: positions ``j0 .. j1 - 1`` of
        blocks ``b0 ..``, their sums term by term (``_by_term``) and the
        present rows (``g[0]``). A position's sums are laid out as ``_terms``
        says, the last block's tails (never used) included.
        """
        w = self.window
        n_blocks = mask.shape[0] // w
        mask3, h3, y3 = (v.reshape(n_blocks, w, -1) for v in (mask, h, yc))
        f3 = h3[:, :, :1 + k]
        sizes = (h.shape[1], mask.shape[1]), (1 + k, yc.shape[1])
        width = n_blocks * (sizes[0][0] * sizes[0][1] + sizes[1][0] * sizes[1][1])
        rows = max(1, min(w, TILE_DOUBLES // width))
        starts = range(0, w, rows)
        first = pad + self.blank_before  # the first row solved, in padded rows

        def lowest(j1):  # the first block whose position j1 - 1 is at or after the first row solved
            return max(0, -((j1 - 1 - first) // w))

        # after[i]: sums of the rows after tile i, per block (the suffix sums' start; 0 in the last block, whose
        # tails no block uses)
        after = np.zeros((len(starts), width))
        for i in range(len(starts) - 1, 0, -1):
            j0, j1 = starts[i], min(starts[i] + rows, w)
            for part, total in zip(_parts(after[i - 1], sizes), (
                    np.matmul(h3[:-1, j0:j1].transpose(0, 2, 1), mask3[:-1, j0:j1]),
                    np.matmul(f3[:-1, j0:j1].transpose(0, 2, 1), y3[:-1, j0:j1]))):
                part[:, :-1] = total.swapaxes(0, 1)
            if i < len(starts) - 1:
                after[i - 1] += after[i]

        tile = np.empty((rows, width))
        tails = np.empty((rows, width))
        space = _space(tile, sizes)
        carry = np.zeros(width)  # prefix sums at the position before the tile
        for i, j0 in enumerate(starts):
            j1 = min(j0 + rows, w)
            n = j1 - j0
            t, q = tile[:n], tails[:n]
            _terms(t, mask3[:, j0:j1], h3[:, j0:j1], y3[:, j0:j1], k, sizes)
            q[n - 1] = after[i]
            for r in range(n - 2, -1, -1):  # the suffix sums, from the tile's end
                np.add(q[r + 1], t[r + 1], out=q[r])
            t[0] += carry
            for r in range(1, n):  # the prefix sums
                np.add(t[r], t[r - 1], out=t[r])
            np.copyto(carry, t[n - 1])
            b0 = lowest(j1)
            if b0 < n_blocks:
                g, a = _by_term(t, q, b0, sizes, space)
                yield j0, j1, b0, g, a, g[0]


class _Discounted:
    """Exponentially weighted sums: ``S_t = sum_{s <= t} decay^(t - s) v_s``, a tile of rows at a time.

    Layout: one block of all the rows; every row is solved. Within a tile
    the sums are a doubling scan (:func:`_discounted_cumsum`, in cache), and
    the sum carried from the tile before comes in with its weight:
    ``S_t = local_t + decay^(r + 1) S_(j0 - 1)`` at row ``r`` of a tile
    starting at ``j0``. Every term keeps its own non-negative weight.
    """

    blank_before = 0

    def __init__(self, decay: float):
        self.decay = decay

    def layout(self, n_rows: int):
        return 1, n_rows

    def tiles(self, mask, h, yc, k: int, pad: int):
        """The sums of one chunk of assets, a tile of rows at a time (as ``_Windows.tiles``; the count of
        present rows is unweighted)."""
        n_rows = mask.shape[0]
        sizes = (h.shape[1], mask.shape[1]), (1 + k, yc.shape[1])
        width = sizes[0][0] * sizes[0][1] + sizes[1][0] * sizes[1][1]
        rows = max(1, min(n_rows, TILE_DOUBLES // width))
        tile = np.empty((rows, width))
        space = _space(tile, sizes)
        carry = np.zeros(width)  # the sums at the row before the tile (none before the first)
        weights = (self.decay ** np.arange(1.0, rows + 1.0))[:, None]
        counts = np.cumsum(mask, axis=0)[:, None]
        for j0 in range(0, n_rows, rows):
            j1 = min(j0 + rows, n_rows)
            t = tile[: j1 - j0]
            _terms(t, mask[None, j0:j1], h[None, j0:j1], yc[None, j0:j1], k, sizes)
            _discounted_cumsum(t, self.decay)
            if j0:
                t += weights[: j1 - j0] * carry
            np.copyto(carry, t[-1])
            yield (j0, j1, 0) + _by_term(t, None, 0, sizes, space) + (counts[j0:j1],)


def _by_term(heads, tails, b0: int, sizes, space):
    """One tile of sums of blocks ``b0 ..``, term by term: ``g`` (C, n, blocks, G) and ``a`` (1 + K, n, blocks, m),
    each term contiguous, written into the start of the flat arrays ``space`` (one per part).

    ``heads`` (n, X) are the prefix sums of the blocks, ``tails`` (n, X) the
    suffix sums (None: only heads), laid out as ``_terms`` says; a block's
    sums are its head plus the tail of the block before it, but the first
    block's are its head alone (its window starts with the rows).
    """
    out = []
    for head, tail, room in zip(_parts(heads, sizes), _parts(heads if tails is None else tails, sizes), space):
        head, tail = head.swapaxes(0, 1), tail.swapaxes(0, 1)  # (terms, n, blocks, columns)
        shape = head[:, :, b0:].shape
        sums = room[:math.prod(shape)].reshape(shape)
        if tails is None:
            np.copyto(sums, head)
        else:
            alone = 1 if b0 == 0 else 0
            if alone:
                np.copyto(sums[:, :, 0], head[:, :, 0])
            np.add(head[:, :, b0 + alone:], tail[:, :, b0 + alone - 1:-1], out=sums[:, :, alone:])
        out.append(sums)
    return tuple(out)


def _space(tile, sizes):
    """Room for ``_by_term``'s sums of a ``tile``: one flat array per part, made once and filled again for each
    tile (fresh arrays of this size would be fresh pages each time)."""
    return [np.empty(part.size) for part in _parts(tile, sizes)]


def _parts(values, sizes):
    """The factor terms (..., C, blocks, G) and the asset terms (..., 1 + K, blocks, m) of sums laid out as
    ``_terms`` says (``values`` (..., X), ``sizes`` the (terms, columns) of each part)."""
    (c, g), (d, m) = sizes
    lead = values.shape[:-1]
    blocks = values.shape[-1] // (c * g + d * m)
    split = c * blocks * g
    return (values[..., :split].reshape(lead + (c, blocks, g)),
            values[..., split:].reshape(lead + (d, blocks, m)))


def _terms(out, mask, h, yc, k: int, sizes):
    """Per-row terms into ``out`` (n, X) from ``mask`` (blocks, n, G), ``h`` (blocks, n, C) and ``yc`` (blocks, n,
    m): per row, the C factor terms times each pattern's presence (C, blocks, G), then the first 1 + K factor
    terms ``1, f_a`` times each asset (1 + K, blocks, m); each term's blocks side by side, so that a term of
    a tile is read in long runs."""
    terms = h.transpose(1, 2, 0)[..., None]  # (n, C, blocks, 1)
    factor, asset = _parts(out, sizes)
    np.multiply(terms, mask.swapaxes(0, 1)[:, None], out=factor)
    np.multiply(terms[:, :1 + k], yc.swapaxes(0, 1)[:, None], out=asset)


def _solve(g, a, count, least: int, group, shifts):
    """Betas (K arrays (n, ..., m)) of one tile of sums, and the intercepts and present-row counts (n, ..., m) unless
    ``shifts`` is None (else ``(f_mean, y_mean)``).

    ``g`` (C, n, ..., G): per pattern of present rows, the sums of ``1, f_a,
    f_a f_b`` (pairs a <= b in order) over the shifted factors; ``a``
    (1 + K, n, ..., m): per asset, the sums of ``y, y f_a`` (shifted; 0 where
    absent); ``count`` (n, ..., G) the present rows; ``group`` the pattern of
    each asset (None: patterns broadcast to the assets, one for all or one
    each). With ``mx = sx / n`` the window means, ``Cxx = Sxx - sx mx'``,
    ``Cxy = Sxy - sy mx``; ``Cxx = L D L'`` and ``b = Cxx^-1 Cxy``; the
    intercept is ``sy / n + y_mean - b'(mx + f_mean)`` (the ``shifts`` put
    back). Blank (NaN) where the fit is not usable (see the module
    docstring). The sums may be overwritten.
    """
    k = a.shape[0] - 1
    pairs = [(i, j) for i in range(k) for j in range(i, k)]
    n = g[0]
    r = np.divide(1.0, n)
    mx = [np.multiply(g[1 + i], r) for i in range(k)]
    cxx = [[None] * k for _ in range(k)]
    candidate = None  # every factor varies, and there are enough rows
    for c, (i, j) in enumerate(pairs):  # S_ij - sx_i mx_j
        v = np.multiply(g[1 + i], mx[j])
        cxx[i][j] = cxx[j][i] = np.subtract(g[1 + k + c], v, out=v)
        if i == j:  # the factor varies: more than rounding of its sum of squares is left
            square = g[1 + k + c]
            varies = np.greater(v, np.multiply(square, ROUNDING_FLOOR, out=square))
            candidate = varies if candidate is None else np.logical_and(candidate, varies, out=candidate)
    np.logical_and(candidate, count >= least - 0.5, out=candidate)
    pivots, low = _ldl(cxx)
    usable = _well_conditioned(cxx, candidate, pivots)
    scale = np.where(usable, 1.0, np.nan)  # 1 / d_i, NaN where blank: every beta and the intercept follow
    inverse = [np.divide(scale, d) for d in pivots]

    def on_assets(values):
        return values if group is None else values[..., group]

    low = [[None if v is None else on_assets(v) for v in row] for row in low]
    sy = a[0]
    z = []
    for i in range(k):  # Cxy_i, then L w = Cxy, D v = w, L' b = v, each in place
        z.append(np.subtract(a[1 + i], np.multiply(sy, on_assets(mx[i])), out=a[1 + i]))
    for i in range(k):
        for j in range(i):
            z[i] -= low[i][j] * z[j]
    for i in range(k):
        z[i] *= on_assets(inverse[i])
    for i in range(k - 1, -1, -1):
        for j in range(i + 1, k):
            z[i] -= low[j][i] * z[j]
    if shifts is None:
        return z, ()
    f_mean, y_mean = shifts
    alpha = np.multiply(sy, on_assets(r))
    alpha += y_mean
    for i in range(k):
        alpha -= z[i] * on_assets(np.add(mx[i], f_mean[i], out=mx[i]))  # the window mean of factor i
    return z, (alpha, np.broadcast_to(on_assets(count), alpha.shape))


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


def _ldl(cxx):
    """``Cxx = L D L'`` for K x K arrays (each a stack; nested lists): pivots ``D`` (K arrays) and unit lower ``L``
    (``L[i][j]`` for j < i, else None).

    Vectorised over the stack, a loop over K; no pivoting (positive definite
    where it is used; elsewhere the pivots say it is not).
    """
    k = len(cxx)
    pivots, low, below = [], [[None] * k for _ in range(k)], [[None] * k for _ in range(k)]
    for j in range(k):
        d = cxx[j][j]
        for c in range(j):  # d_j = C_jj - sum_c L_jc (L_jc d_c)
            d = np.subtract(d, low[j][c] * below[j][c], out=None if c == 0 else d)
        pivots.append(d)
        for i in range(j + 1, k):  # L_ij d_j = C_ij - sum_c L_ic (L_jc d_c)
            e = cxx[i][j]
            for c in range(j):
                e = np.subtract(e, low[i][c] * below[j][c], out=None if c == 0 else e)
            below[i][j] = e
            low[i][j] = np.divide(e, d)
    return pivots, low


def _well_conditioned(cxx, candidate, pivots) -> np.ndarray:
    """:func:`ill_conditioned`'s verdict (negated) on the centred factor moments ``cxx`` (K x K of (...)), where
    ``candidate`` (elsewhere False).

    The pivots of the moments scaled to a
    unit diagonal are ``d_j / C_jj``, and their eigenvalues are at most K: a
    determinant (the product of those pivots) above ``100 K^K /
    CONDITION_LIMIT^2`` puts the smallest one far above the refusal point.
    Every other candidate whose moments are finite is judged by
    ``ill_conditioned`` itself. (A moment that is not finite makes
    a pivot infinite or NaN, so it is never cleared by the bound.)
    """
    k = len(cxx)
    ok = candidate.copy()
    det = None
    for j in range(1, k):
        scaled = np.divide(pivots[j], cxx[j][j])
        np.logical_and(ok, scaled > 0, out=ok)
        det = scaled if det is None else np.multiply(det, scaled, out=det)
    if det is not None:
        np.logical_and(ok, det > 100.0 * k**k / CONDITION_LIMIT**2, out=ok)
    unsure = np.logical_xor(candidate, ok)  # cleared implies candidate
    if unsure.any():
        where = np.nonzero(unsure)
        moments = np.stack([np.stack([c[where] for c in row], -1) for row in cxx], -2)
        finite = np.isfinite(moments).all(axis=(-2, -1))
        ok[where] = finite & ~ill_conditioned(np.where(finite[:, None, None], moments, 0.0))
    return ok


def _discounted_cumsum(values: np.ndarray, decay: float) -> np.ndarray:
    """``S_t = sum_{s <= t} decay^(t - s) v_s`` along axis 0, by a doubling scan (log2 T vector steps).

    After step j each ``S_t`` holds the sum over the last ``2^(j+1)`` rows;
    every term is added with its own non-negative weight. The sums are
    written over ``values``, which is returned.
    """
    out = values
    shift, factor = 1, decay
    while shift < out.shape[0]:
        out[shift:] = out[shift:] + factor * out[:-shift]
        shift *= 2
        factor *= factor
    return out
