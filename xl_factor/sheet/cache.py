"""One fit per distinct input: a bounded cache keyed on the content of the aligned arrays.

Many cells ask for the alpha, beta, risk share and hedge of the same ranges;
they share one :class:`~xl_factor.core.FactorFit` (and its lazily computed
residual variances). The key is a SHA-1 digest of every byte of the returns
and factors, their labels and the model options, never a printed summary of
an array. The cache holds at most ``max_entries`` fits and ``max_bytes`` of
input data, least recently used first out; results are the same with or
without it.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

import numpy as np

from ..core import FactorFit, fit_factor_model


class FitCache:
    """Least-recently-used cache of factor-model fits."""

    def __init__(self, max_entries: int = 64, max_bytes: int = 512 * 2**20):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._fits: OrderedDict[bytes, FactorFit] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def fit(self, returns: np.ndarray, factors: np.ndarray, add_constant: bool, asset_names, factor_names) -> FactorFit:
        """The fit of ``returns`` on ``factors``, computed once per distinct content."""
        key = _digest(returns, factors, add_constant, asset_names, factor_names)
        fit = self._fits.get(key)
        if fit is not None:
            self._fits.move_to_end(key)
            self.hits += 1
            return fit
        self.misses += 1
        fit = fit_factor_model(returns, factors, add_constant, asset_names, factor_names)
        self._fits[key] = fit
        self._bytes += _size(fit)
        while self._fits and (len(self._fits) > self.max_entries or self._bytes > self.max_bytes):
            _, old = self._fits.popitem(last=False)
            self._bytes -= _size(old)
        return fit

    def clear(self) -> None:
        self._fits.clear()
        self._bytes = 0
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._fits)


def _size(fit: FactorFit) -> int:
    # Inputs plus the (T, N) arrays a fit may compute lazily (used, tracking, hedged, resid).
    return fit.returns.nbytes * 4 + fit.factors.nbytes


def _digest(returns, factors, add_constant, asset_names, factor_names) -> bytes:
    h = hashlib.sha1(usedforsecurity=False)
    for array in (returns, factors):
        array = np.ascontiguousarray(array, dtype=float)
        h.update(repr(array.shape).encode())
        h.update(array.data)
    h.update(repr((bool(add_constant), tuple(asset_names), tuple(factor_names))).encode())
    return h.digest()


#: The process-wide cache every front door shares.
FITS = FitCache()
