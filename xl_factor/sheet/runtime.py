"""What depends on the Python the FM_* functions run in: CPython beside Excel or LibreOffice, or Pyodide.

xlwings Lite runs Python in the browser (Pyodide: CPython compiled to
WebAssembly). Its conditions, and the cores a spreadsheet shares, change how the sheet layer behaves:

* **Memory.** The WebAssembly heap holds at most 2 GiB, shared by the
  interpreter, numpy, pandas, scipy, the Python lists Lite builds of every
  range it hands over, and the caches. :func:`runtime_memory_budget` gives
  the bytes all of the sheet's caches together may hold: 1,536 MiB on
  CPython (tables 256, pairs with their fits 1024, data keys 256), 256 MiB (an eighth of the heap)
  under Pyodide; :func:`cache_bytes` scales one cache's CPython budget to it. It is decided at run time
  (``sys.platform == "emscripten"``), not when the wheel is built: the same
  wheel serves both.
* **BLAS threads.** Inside Excel or LibreOffice the Python process shares
  the cores with the spreadsheet's own (multi-threaded) recalculation, and
  the solves of a cell are small: a second BLAS thread buys nothing and,
  under load, oversubscribes the cores (a 500-asset fit measured 2.8 ms with
  one OpenBLAS thread against 110 ms with two while another process was
  busy). :func:`blas_threads_limited` holds BLAS to ``BLAS_THREADS`` while
  any call runs, on whichever thread: the first call in sets each BLAS
  library loaded (scipy's too once imported), the last call out restores
  its count (threadpoolctl's controllers; nothing under Pyodide, which has
  no threads).
* **Blank cells as 0.** xlwings Lite's documentation says a blank single
  cell reaches a custom function as 0 (xlwings 0.37.8's source passes
  ``None``). An optional argument must never silently change the model
  because of that, so :func:`lite_call` (the body of every function in the
  generated Lite ``main.py``) reads a 0 in an optional single-cell argument
  by the rule in :data:`LITE_ZERO` before the catalogue sees it.
"""

from __future__ import annotations

import contextlib
import sys
import threading

MIB = 2**20
#: Bytes the caches may hold together on CPython (tables 256 MiB, pairs and their fits 1024 MiB, data keys 256 MiB).
CPYTHON_CACHE_BYTES = 1536 * MIB
#: Bytes the caches may hold together under Pyodide: an eighth of its 2 GiB heap.
PYODIDE_CACHE_BYTES = 256 * MIB


#: BLAS threads a FM_* call may use.
BLAS_THREADS = 1
#: The BLAS libraries found, and how many modules were loaded when they were looked for.
_BLAS = [(-1, ())]


class _BlasLimit:
    """Holds each BLAS library to :data:`BLAS_THREADS` threads while any call is inside ``with``.

    A BLAS library's thread pool is the process's, not a thread's: the first call in sets each library to the
    limit and keeps its count, the last call out restores it (a counter under a lock), so calls on several
    threads neither undo each other's limit nor leave it behind. threadpoolctl lets only one "controlling"
    Python thread set OpenBLAS's count (elsewhere its setter does nothing); its direct setter is used, so a
    call on any thread is held. Reading and setting counts costs a ctypes call each (1-2 microseconds), where
    threadpoolctl's ``limit`` first gathers a full report of every library (about 20).
    """

    __slots__ = ("_libraries",)
    _lock = threading.Lock()
    _calls = 0
    _restore: dict = {}  # library file -> (its controller, its count before the first call in)

    def __init__(self, libraries):
        self._libraries = libraries

    def __enter__(self):
        cls = type(self)
        with cls._lock:
            for lib in self._libraries:  # every call: a library loaded since the first call in is held too
                if lib.filepath not in cls._restore:
                    threads = lib.get_num_threads()
                    cls._restore[lib.filepath] = (lib, threads)
                    if threads != BLAS_THREADS:
                        _set_threads(lib, BLAS_THREADS)
            cls._calls += 1  # counted once held: a failed entry has no exit, and must not keep the count up
        return self

    def __exit__(self, *exc):
        cls = type(self)
        with cls._lock:
            cls._calls -= 1
            if not cls._calls:
                for lib, threads in cls._restore.values():
                    if threads != BLAS_THREADS:
                        _set_threads(lib, threads)
                cls._restore = {}
        return False


def _set_threads(lib, threads: int) -> None:
    """Set a BLAS library's thread count from any thread (threadpoolctl's setter without its one-thread rule)."""
    getattr(lib, "_real_set_num_threads", lib.set_num_threads)(threads)


def blas_threads_limited():
    """A context that holds BLAS to ``BLAS_THREADS`` threads (threadpoolctl's controllers; nothing in Pyodide).

    The BLAS libraries are looked for again (0.2 ms) whenever a module has been imported since the last look:
    scipy brings its own OpenBLAS when a function first needs it.
    """
    loaded, libraries = _BLAS[0]
    if loaded != len(sys.modules):
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # Pyodide, or a Python without it: nothing to limit
            libraries = ()
        else:
            libraries = tuple(ThreadpoolController().select(user_api="blas").lib_controllers)
        _BLAS[0] = (len(sys.modules), libraries)
    return _BlasLimit(libraries) if libraries else contextlib.nullcontext()


def is_pyodide() -> bool:
    """True in Pyodide (xlwings Lite, a browser, Node), read when called."""
    return sys.platform == "emscripten"


def runtime_memory_budget() -> int:
    """Bytes all of the sheet's caches together may hold in the running Python."""
    return PYODIDE_CACHE_BYTES if is_pyodide() else CPYTHON_CACHE_BYTES


def cache_bytes(cpython_bytes: int) -> int:
    """One cache's byte budget in the running Python: ``cpython_bytes`` on CPython, its share of
    :data:`PYODIDE_CACHE_BYTES` under Pyodide (e.g. ``PairCache(max_bytes=cache_bytes(1024 * MIB))``)."""
    return cpython_bytes * runtime_memory_budget() // CPYTHON_CACHE_BYTES


#: Under xlwings Lite, what a 0 in an optional single-cell argument means (a blank cell may arrive as 0):
#: ``bool``: TRUE or FALSE only, a number is refused; ``blank``: 0 is no value the argument accepts, so it is
#: read as empty (the default); ``default``: 0 is the default anyway; ``refuse``: 0 would be a different model
#: than the default, so it is refused with what to give instead.
LITE_ZERO = {
    "add_constant": "bool",
    "periods_per_year": "blank",
    "horizon_periods": "blank",
    "n_factors": "blank",
    "cov_type": "blank",
    "method": "blank",
    "output": "blank",
    "field": "blank",
    "n_worst": "blank",
    "lags": "blank",
    "target_share": "default",
    "factor": "blank",
    "min_nobs": "blank",
    "expanding": "bool",
    "hac_lags": "refuse",
    "weight": "refuse",
}
#: What to give instead of a refused 0.
LITE_REFUSED = {
    "hac_lags": "for 0 lags give cov_type HC0 (the same standard errors), or leave hac_lags empty for the default lags",
    "weight": "give a weight above 0 (0 would make every adjusted beta 1), or leave it empty for 0.67",
}
_WHY = "xlwings Lite may hand a blank cell over as 0"


def lite_zero_rule(argument) -> str | None:
    """The :data:`LITE_ZERO` rule of a catalogue argument; ``None`` for one it does not apply to.

    It applies to optional single-cell arguments (numbers, text, TRUE/FALSE);
    raises ``KeyError`` for one that has no rule yet, so a new argument
    cannot reach Lite without a decision.
    """
    if not argument.optional or argument.kind not in ("number", "text", "bool"):
        return None
    return LITE_ZERO[argument.name]


def read_lite_argument(argument, value):
    """``value`` as the catalogue should read it under xlwings Lite (see :data:`LITE_ZERO`)."""
    from ..core.errors import InvalidArgument

    rule = lite_zero_rule(argument)
    if rule is None or type(value) not in (int, float):
        return value
    if rule == "bool":
        default = "TRUE" if argument.default else "FALSE"
        raise InvalidArgument(
            f"must be TRUE or FALSE, got {value!r}: {_WHY}, so numbers are not read as TRUE/FALSE here; "
            f"leave it empty for {default}", argument.name)
    if value != 0 or rule == "default":
        return value
    if rule == "blank":
        return None
    raise InvalidArgument(f"0 is not taken: {_WHY}; {LITE_REFUSED[argument.name]}", argument.name)


def lite_call(name: str, args, runtime: str) -> list:
    """The cells of FM_* function ``name`` called from xlwings Lite: Lite's rules, then the catalogue's call."""
    from ..core.errors import FactorModelError
    from .catalogue import BY_NAME, call
    from .cells import as_cells
    from .errors import error_line

    function = BY_NAME[name]
    args = list(args)
    try:
        args = [read_lite_argument(a, v) for a, v in zip(function.args, args)] + args[len(function.args):]
    except FactorModelError as error:
        return [[error_line(name, error)]]
    return as_cells(call(name, *args, runtime=runtime), blank=None)
