"""Eight threads calling FM_* functions at once: no error line, the answers of a single thread, exact byte counters.

xlwings may call from several threads and Excel's multi-threaded
recalculation will. The inputs are real monthly data, distinct per thread
and shared between threads, in small caches so that entries are evicted
and replaced all the time.
"""

from __future__ import annotations

import random
import threading

import numpy as np
import pytest

from excel_shapes import excel_range
from xl_factor.sheet import cache
from xl_factor.sheet.cache import PairCache, TableCache
from xl_factor.sheet.catalogue import call

THREADS = 8
CALLS = 1500
FUNCTIONS = ("FM_BETA", "FM_ALPHA", "FM_VARDECOMP", "FM_RISKSHARE", "FM_COVMAT")


@pytest.fixture
def small_caches(monkeypatch):
    """Caches of a few entries, so that every thread evicts what the others stored."""
    for name, store in (("TABLES", TableCache(max_entries=6)), ("PAIRS", PairCache(max_entries=4))):
        monkeypatch.setattr(cache, name, store)
    import xl_factor.sheet.data_keys as data_keys
    import xl_factor.sheet.functions as functions

    monkeypatch.setattr(data_keys, "TABLES", cache.TABLES)
    monkeypatch.setattr(functions, "PAIRS", cache.PAIRS)
    return cache.TABLES, cache.PAIRS


def _inputs(ff_monthly, industry_excess):
    """20 distinct asset ranges (different windows and columns) and two factor ranges."""
    assets = []
    for i in range(20):
        frame = industry_excess.iloc[10 * i: 10 * i + 240, i % 10: i % 10 + 3]
        assets.append(excel_range(frame))
    factors = [excel_range(ff_monthly[["MktRF"]]), excel_range(ff_monthly[["MktRF", "SMB", "HML"]])]
    return assets, factors


def _cells(result) -> str:
    return repr(np.asarray(result, dtype=object).tolist())


def test_eight_threads_get_the_single_thread_answers(ff_monthly, industry_excess, small_caches):
    assets, factors = _inputs(ff_monthly, industry_excess)
    cases = [(name, a, f) for name in FUNCTIONS for a in range(len(assets)) for f in range(len(factors))]
    expected = {case: _cells(call(case[0], assets[case[1]], factors[case[2]])) for case in cases}
    assert not any(v.startswith("'#FM!") or "#FM!" in v for v in expected.values())
    failures: list = []

    def work(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(CALLS):
            case = rng.choice(cases)
            # A fresh copy of the range each time: equal content, new objects, as a recalculation hands over.
            asset = tuple(tuple(row) for row in assets[case[1]])
            got = _cells(call(case[0], asset, factors[case[2]]))
            if got != expected[case]:
                failures.append((case, got[:200]))
                return

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures[:3]
    for store in small_caches:
        assert len(store) <= store.max_entries
        assert store.nbytes == sum(size for _, size in store._items.values())
        assert store.nbytes >= 0


def test_byte_counters_are_exact_after_concurrent_stores_of_one_key():
    """Two threads that miss on the same key both store it: the counter counts it once."""
    store = TableCache(max_entries=100)
    barrier = threading.Barrier(THREADS)
    raw = tuple((float(i), 0.01 * i) for i in range(50))

    def work() -> None:
        barrier.wait()
        for _ in range(200):
            store.get(raw, lambda r: _parsed(r))

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store) == 1
    assert store.nbytes == sum(size for _, size in store._items.values())


def _parsed(raw):
    from xl_factor.sheet.values import parse_table

    return parse_table(raw, "asset")


def test_a_call_holds_blas_to_one_thread(monkeypatch, ff_monthly, industry_excess):
    """Inside a FM_* call BLAS runs one thread (the spreadsheet has the cores); outside it is as it was."""
    from threadpoolctl import threadpool_info

    import xl_factor.sheet.functions as functions

    seen = []
    real_fit = functions.fit

    def spying_fit(*args, **kwargs):
        seen.append([lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"])
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(functions, "fit", spying_fit)
    before = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    result = call("FM_BETA", excel_range(industry_excess.iloc[:120, :3]), excel_range(ff_monthly[["MktRF"]]))
    assert not isinstance(result, str), result
    assert seen and all(threads == [1] * len(threads) for threads in seen), seen
    assert [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"] == before


SCIPY_BLAS_SCRIPT = r"""
import datetime as dt
import json
import numpy as np
from threadpoolctl import threadpool_info
import xl_factor.sheet.functions as functions
from xl_factor.sheet.catalogue import call

rng = np.random.default_rng(0)
factor = rng.normal(0, 0.01, 60)
days = [dt.datetime(2020, 1, 1) + dt.timedelta(days=i) for i in range(60)]
asset = [[None, "A"]] + [[d, float(0.001 + 1.1 * x + rng.normal(0, 0.01))] for d, x in zip(days, factor)]
factors = [[None, "Mkt"]] + [[d, float(x)] for d, x in zip(days, factor)]
first = call("FM_BETA", asset, factors)  # the BLAS libraries are looked for here: numpy's only
import scipy.linalg  # noqa: E402,F401 - brings scipy's own OpenBLAS
seen = []
real_fit = functions.fit
def spying_fit(*args, **kwargs):
    seen.append({lib["filepath"]: lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"})
    return real_fit(*args, **kwargs)
functions.fit = spying_fit
second = call("FM_BETA", asset, factors[:-1] + [[days[-1], 0.0]])
after = {lib["filepath"]: lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}
print(json.dumps({"first": str(first), "second": str(second), "seen": seen, "after": after}))
"""


def test_a_blas_library_loaded_after_the_first_call_is_held_too():
    """scipy loads its own OpenBLAS when a function first needs it: a later call holds that one to one thread as
    well, and leaves it at its own count after (two threads here, set for the child process)."""
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2"}
    out = subprocess.run([sys.executable, "-c", SCIPY_BLAS_SCRIPT], capture_output=True, text=True, env=env,
                         timeout=300, check=True).stdout
    report = json.loads(out.strip().splitlines()[-1])
    assert not report["second"].startswith("#FM!"), report
    assert len(report["after"]) >= 2, report  # numpy's and scipy's OpenBLAS
    assert report["seen"] and all(set(threads.values()) == {1} for threads in report["seen"]), report
    assert set(report["after"].values()) == {2}, report


def test_calls_on_worker_threads_are_held_to_one_blas_thread_and_the_count_comes_back(monkeypatch):
    """BLAS's thread pool is the process's. The main thread first sets a count through threadpoolctl (which
    then lets only that thread set OpenBLAS's count); 8 worker threads then call at once: inside every call each
    BLAS library runs one thread, and after the last one the count is the main thread's again."""
    from threadpoolctl import threadpool_info, threadpool_limits

    import xl_factor.sheet.functions as functions

    rng = np.random.default_rng(3)
    factor = rng.normal(0, 0.01, 80)
    seen, start = [], threading.Barrier(THREADS)
    real_fit = functions.fit

    def spying_fit(*args, **kwargs):
        seen.append([lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"])
        return real_fit(*args, **kwargs)

    def worker(i):
        start.wait()
        asset = tuple((float(0.001 * i + (1 + i / 10) * x + rng.normal(0, 0.01)),) for x in factor)
        results.append(call("FM_BETA", asset, tuple((float(x),) for x in factor)))

    results = []
    monkeypatch.setattr(functions, "fit", spying_fit)
    with threadpool_limits(limits=2, user_api="blas"):
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        after = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    assert len(results) == THREADS and not any(isinstance(r, str) for r in results), results
    assert len(seen) == THREADS and all(counts == [1] * len(counts) for counts in seen), seen
    assert after == [2] * len(after), after
