"""Work done once per distinct input: parsed ranges and factor-model fits, in bounded, thread-safe caches.

Many cells ask for the alpha, beta, risk share and hedge of the same ranges.
Two caches make them share the work, each keyed on exactly what changes
the answer, never on a printed summary of an array:

* :data:`TABLES` maps a range as the spreadsheet handed it over to its
  parsed :class:`~xl_factor.sheet.values.Table`. The key of a big range,
  from the second time it is met, is its pickle (see :class:`RawKey`): it records each cell's type as well as
  its value, so ``FALSE`` and ``0.0``, ``TRUE`` and ``1.0``, ``-0.0`` and
  ``0.0``, a ``Decimal`` and a float, a naive and an aware datetime never
  share an entry; a small range is interned by its parsed content.
* :data:`PAIRS` maps the identity of two cached tables and the options to
  their fit (a :class:`~xl_factor.core.FactorFit`, with its lazily computed
  variances) and matched rows, so a hit skips the date matching and the fit.
  A fit is not cached on its own content: a digest of the aligned arrays
  (12 ms at 2,520 x 500) costs more than the fit it would save (3-7 ms).

Each holds a bounded number of entries and bytes (what its entries keep
alive; an eighth as much under Pyodide, see :mod:`.runtime`), least
recently used first out, behind a lock: several threads may
call at once (xlwings and Excel's multi-threaded recalculation do). Work is
done outside the lock; two threads that miss on the same key both compute
the same value and the second store replaces the first. Results are the
same with or without the caches.
"""

from __future__ import annotations

import hashlib
import pickle
import threading
from collections import OrderedDict

import numpy as np

from ..core import FactorFit
from .runtime import MIB, cache_bytes
from .values import forget_dates


class Bounded:
    """An ordered store of at most ``max_entries`` values and ``max_bytes``, least recently used out.

    ``size(value)`` gives the bytes an entry keeps alive; ``nbytes`` is
    always the sum over the entries held.
    """

    def __init__(self, max_entries: int, max_bytes: int, size):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._size = size
        self._items: OrderedDict = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def nbytes(self) -> int:
        return self._bytes

    def lookup(self, key):
        with self._lock:
            entry = self._items.get(key)
            if entry is None:
                return None
            self._items.move_to_end(key)
            return entry[0]

    def store(self, key, value) -> None:
        size = self._size(key, value)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (value, size)
            self._bytes += size
            while self._items and (len(self._items) > self.max_entries or self._bytes > self.max_bytes):
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)


def _fit_bytes(fit: FactorFit) -> int:
    """Bytes a fit keeps alive: its inputs plus the (T, N) arrays it may compute lazily (tracking, hedged, resid)."""
    return fit.returns.nbytes * 4 + fit.returns.size + fit.factors.nbytes


class TableCache(Bounded):
    """Least-recently-used cache of parsed ranges, keyed on the raw cells with their types."""

    def __init__(self, max_entries: int = 64, max_bytes: int = cache_bytes(256 * MIB)):
        super().__init__(max_entries, max_bytes, lambda key, table: len(key) + table_bytes(table))
        self._sightings = Bounded(SIGHTINGS, SIGHTINGS * 16, lambda key, _: len(key))

    def _seen_before(self, raw) -> bool:
        """True when a range with the same :func:`sighting` was met before (the first meeting is recorded)."""
        try:
            mark = sighting(raw)
        except Exception:  # noqa: BLE001 - a cell pickle cannot write: keyed (and refused) as before
            return True
        if self._sightings.lookup(mark) is not None:
            return True
        self._sightings.store(mark, True)
        return False

    def clear(self) -> None:
        super().clear()
        self._sightings.clear()

    def get(self, raw, parse):
        """``parse(raw)``, computed once per distinct ``raw`` (a value pickle cannot write is parsed every time).

        A big range is keyed on its cells (:class:`RawKey`) from the second
        time its :func:`sighting` is met: the exact key costs half a
        parse (48 against 79 ms at 2,520 x 500), so a range met once, the
        cell a sheet recalculates alone, is only parsed. A sighting decides
        nothing about content: a hit always needs the exact key.

        A small range (at most :data:`SMALL_RANGE` cells) is parsed every
        time and interned by its parsed content (:func:`content_digest`): its
        cells would cost as much to key as to parse (a datetime cell pickles
        18 times slower than a float), and the one Table per content keeps
        the fits of :data:`PAIRS` found. The key is the content itself
        (:func:`content_key`): a third of a digest's cost at 252 rows.
        """
        if _cell_count(raw) <= SMALL_RANGE:
            table = parse(raw)
            key = content_key(table)
            cached = self.lookup(key)
            if cached is not None:
                return cached
            self.store(key, table)
            return table
        if not self._seen_before(raw):
            return parse(raw)
        try:
            key = RawKey(raw)
        except Exception:  # noqa: BLE001 - an object pickle cannot write (a foreign COM type): no caching
            return parse(raw)
        table = self.lookup(key)
        if table is None:
            table = parse(raw)
            self.store(key, table)
        return table


#: Ranges of at most this many cells are keyed on their parsed content, not on their cells.
SMALL_RANGE = 5_000
#: Sightings of big ranges remembered (16 bytes each).
SIGHTINGS = 256


def sighting(raw) -> bytes:
    """A cheap mark of a range: a 16-byte digest of its shape and of its first, middle and last rows' pickle.

    Two ranges with different marks differ; two with the same mark may
    still differ anywhere else, so it only says "this range may have been
    met before", never which table it is.
    """
    rows = len(raw)
    sample = (rows, len(raw[0]), raw[0], raw[rows // 2], raw[-1]) if rows else (0,)
    return hashlib.blake2b(pickle.dumps(sample, protocol=pickle.HIGHEST_PROTOCOL), digest_size=16).digest()


def _cell_count(raw) -> int:
    if isinstance(raw, (tuple, list)) and raw and isinstance(raw[0], (tuple, list)):
        return len(raw) * len(raw[0])
    return len(raw) if isinstance(raw, (tuple, list)) else 1


_NANOSECONDS = np.dtype("datetime64[ns]")


def content_digest(table) -> bytes:
    """SHA-1 of everything a function reads from a parsed table: values bit for bit, labels, dates, date header."""
    h = hashlib.sha1(usedforsecurity=False)
    h.update(repr((table.values.shape, table.names, table.date_label)).encode())
    h.update(np.ascontiguousarray(table.values).data)
    if table.dates is not None:
        # In nanoseconds, whatever unit this pandas gives the index (Pyodide's and CPython's differ), so a
        # key is the same in both; every date is inside the nanosecond span (checked when parsed).
        stamps = table.dates.values
        stamps = stamps if stamps.dtype == _NANOSECONDS else stamps.astype(_NANOSECONDS)
        h.update(np.ascontiguousarray(stamps).view(np.int64).data)
    return h.digest()


def content_key(table) -> bytes:
    """Everything a function reads from a parsed table, exactly, as one bytes key: the length of a head that
    spells out the shape, labels, date header and the dates' unit, the head, then the values and the dates bit
    for bit (their lengths follow from the shape).

    For interning small tables (:meth:`TableCache.get`), where it is cheaper than :func:`content_digest`; the
    digest stays the short, runtime-independent name of a data key.
    """
    stamps = None if table.dates is None else table.dates.values
    head = repr((table.values.shape, table.names, table.date_label, None if stamps is None else stamps.dtype.str))
    head = head.encode()
    parts = [len(head).to_bytes(8, "little"), head, np.ascontiguousarray(table.values).tobytes()]
    if stamps is not None:
        parts.append(stamps.tobytes())
    return b"".join(parts)


class RawKey:
    """A range as handed over, as a dict key: equal only when every cell has the same type and value.

    The key is the range's pickle, written in C: it spells out each cell's
    type (``bool``, ``int``, ``float`` bit for bit, ``Decimal``, ``str``,
    ``datetime`` with its time zone), so no two ranges that parse
    differently can share it, and it holds no reference to the cells. The
    hash reads the length and three slices (it only picks the bucket);
    equality compares every byte.
    """

    __slots__ = ("blob", "_hash")

    def __init__(self, raw):
        self.blob = pickle.dumps(raw, protocol=pickle.HIGHEST_PROTOCOL)
        n = len(self.blob)
        if n > 4096:
            self._hash = hash((n, self.blob[:512], self.blob[n // 2 - 256:n // 2 + 256], self.blob[-512:]))
        else:
            self._hash = hash(self.blob)

    def __len__(self) -> int:
        return len(self.blob)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other) -> bool:
        return isinstance(other, RawKey) and self.blob == other.blob


def table_bytes(table) -> int:
    """Bytes a parsed table keeps alive: its values, dates and the positions of its dated rows (made here)."""
    if table.dates is None:
        return table.values.nbytes
    rows, dated = table.dated_rows()  # kept by the table once asked; asked here, so that it is counted
    return table.values.nbytes + table.dates.nbytes + rows.nbytes + (0 if dated is table.dates else dated.nbytes)


class PairCache(Bounded):
    """Fits of parsed tables, keyed on the identity of the (immutable, cached) tables and the options.

    Each entry keeps its tables alive, so an ``id`` cannot be reused while
    the entry exists; its size counts them. Tables parsed anew simply miss.
    """

    def __init__(self, max_entries: int = 64, max_bytes: int = cache_bytes(1024 * MIB)):
        super().__init__(max_entries, max_bytes, _pair_size)

    def get(self, tables: tuple, options: tuple, compute):
        key = tuple(id(t) for t in tables) + options
        entry = self.lookup(key)
        if entry is not None:
            return entry[1]
        value = compute()
        self.store(key, (tables, value))
        return value


def _pair_size(key, entry) -> int:
    tables, (fit, paired) = entry
    kept = sum(t.values.nbytes for t in tables) + paired.asset.nbytes + paired.factors.nbytes
    return kept + _fit_bytes(fit)


#: The process-wide caches every front door shares.
TABLES = TableCache()
PAIRS = PairCache()


def clear_all() -> None:
    """Empty every cache (benchmarks measure cold calls with it)."""
    TABLES.clear()
    PAIRS.clear()
    forget_dates()
