"""Work done once per distinct input: parsed ranges and factor-model fits, in bounded caches.

Many cells ask for the alpha, beta, risk share and hedge of the same ranges.
Two caches make them share the work, both keyed on content, never on a
printed summary of an array:

* :data:`TABLES` maps a range exactly as the spreadsheet handed it over (a
  tuple of row tuples) to its parsed :class:`~xl_factor.sheet.values.Table`.
  A hit is confirmed by comparing every cell in C (see :class:`RawKey`),
  which costs a twentieth of parsing the range again.
* :data:`FITS` maps a SHA-1 digest of every byte of the aligned returns and
  factors, their labels and the model options to one
  :class:`~xl_factor.core.FactorFit` (and its lazily computed variances).

Both hold a bounded number of entries and bytes, least recently used first
out; results are the same with or without them.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

import numpy as np

from ..core import FactorFit, fit_factor_model


class _Bounded:
    """An ordered store of at most ``max_entries`` values and ``max_bytes`` (as ``size`` counts them).

    The oldest entry goes first; a ``touch`` on a hit makes it least-recently-used order.
    """

    def __init__(self, max_entries: int, max_bytes: int, size):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._size = size
        self._items: OrderedDict = OrderedDict()
        self._bytes = 0

    def lookup(self, key, touch: bool = False):
        value = self._items.get(key)
        if value is not None and touch:
            self._items.move_to_end(key)
        return value

    def store(self, key, value) -> None:
        self._items[key] = value
        self._bytes += self._size(value)
        while self._items and (len(self._items) > self.max_entries or self._bytes > self.max_bytes):
            _, old = self._items.popitem(last=False)
            self._bytes -= self._size(old)

    def clear(self) -> None:
        self._items.clear()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)


class FitCache(_Bounded):
    """Least-recently-used cache of factor-model fits, keyed on a digest of their inputs."""

    def __init__(self, max_entries: int = 64, max_bytes: int = 512 * 2**20):
        super().__init__(max_entries, max_bytes, _fit_size)

    def fit(self, returns: np.ndarray, factors: np.ndarray, add_constant: bool, asset_names, factor_names,
            asset_argument: str = "asset") -> FactorFit:
        """The fit of ``returns`` on ``factors``, computed once per distinct content."""
        key = _digest(returns, factors, add_constant, asset_names, factor_names)
        fit = self.lookup(key, touch=True)
        if fit is None:
            fit = fit_factor_model(returns, factors, add_constant, asset_names, factor_names, asset_argument)
            self.store(key, fit)
        return fit


def _fit_size(fit: FactorFit) -> int:
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


class TableCache(_Bounded):
    """First-in-first-out cache of parsed ranges, keyed on the raw cells themselves.

    No re-ordering on a hit: moving a key would hash the range again.
    """

    def __init__(self, max_entries: int = 64, max_bytes: int = 256 * 2**20):
        super().__init__(max_entries, max_bytes, _table_size)

    def get(self, raw, parse):
        """``parse(raw)``, computed once per distinct ``raw`` (unhashable values are not cached)."""
        try:
            key = RawKey(raw)
            table = self.lookup(key)
        except TypeError:  # a list or an array: not hashable, parse every time
            return parse(raw)
        if table is None:
            table = parse(raw)
            self.store(key, table)
        return table


class RawKey:
    """A range as handed over, as a dict key: equal only when every cell is equal.

    The hash reads the shape and a sample of rows (it only picks the bucket);
    equality compares every cell, in C. A hit thus costs one comparison pass,
    not a hash of every cell plus a comparison.
    """

    __slots__ = ("raw", "_hash")

    def __init__(self, raw):
        self.raw = raw
        if isinstance(raw, tuple) and len(raw) > 32:
            middle = len(raw) // 2
            self._hash = hash((len(raw), raw[:8], raw[middle - 8:middle + 8], raw[-8:]))
        else:
            self._hash = hash(raw)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other) -> bool:
        return isinstance(other, RawKey) and self.raw == other.raw


def _table_size(table) -> int:
    # The parsed floats plus the raw cells kept as the key (about 40 bytes a cell).
    return table.values.nbytes * 6


class PairCache:
    """Fits of parsed tables, keyed on the identity of the (immutable, cached) tables.

    Each entry keeps its tables alive, so an ``id`` cannot be reused while
    the entry exists. Tables parsed anew (unhashable input) simply miss.
    """

    def __init__(self, max_entries: int = 64):
        self.max_entries = max_entries
        self._entries: OrderedDict = OrderedDict()

    def get(self, tables: tuple, options: tuple, compute):
        key = tuple(id(t) for t in tables) + options
        entry = self._entries.get(key)
        if entry is not None:
            return entry[1]
        value = compute()
        self._entries[key] = (tables, value)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        self._entries.clear()


#: The process-wide caches every front door shares.
FITS = FitCache()
TABLES = TableCache()
PAIRS = PairCache()


def clear_all() -> None:
    """Empty every cache (benchmarks measure cold calls with it)."""
    FITS.clear()
    TABLES.clear()
    PAIRS.clear()
