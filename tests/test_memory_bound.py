"""Bounded memory: 100 distinct 2,520 x 500 ranges through FM_BETA leave the process within the caches' budget.

Each range is new content (a recalculation over fresh data), so every call
parses and fits anew; the caches must evict by the bytes their entries keep
alive (the parsed tables, the fits and the pairs that hold them), least
recently used first. The budget is the two caches' byte bounds together
(tables 256 MiB, pairs with their fits 1,024 MiB) plus 400 MiB for the interpreter's own arenas and the last
range's cells in flight.
"""

from __future__ import annotations

import gc
import resource

import numpy as np

from xl_factor.sheet import cache
from xl_factor.sheet.catalogue import call

ROWS, ASSETS, RANGES = 2520, 500, 100
SLACK = 400 * 2**20


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def test_one_hundred_distinct_big_ranges_stay_within_the_budget():
    rng = np.random.default_rng(0)
    base = rng.normal(0, 0.01, (ROWS, ASSETS))
    factors = tuple((float(v),) for v in rng.normal(0, 0.01, ROWS))
    budget = cache.TABLES.max_bytes + cache.PAIRS.max_bytes
    cache.clear_all()
    gc.collect()
    start = _rss()
    for i in range(RANGES):
        base[i % ROWS, i % ASSETS] += 1e-4  # new content: a miss in every cache
        result = call("FM_BETA", tuple(map(tuple, base.tolist())), factors)
        assert not isinstance(result, str), result
    gc.collect()
    grown = _rss() - start
    held = cache.TABLES.nbytes + cache.PAIRS.nbytes
    assert held <= budget
    assert grown <= budget + SLACK, f"grew {grown / 2**20:.0f} MiB; caches account for {held / 2**20:.0f} MiB"
