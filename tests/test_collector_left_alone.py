"""A session of calls leaves CPython's garbage collector running on its own schedule.

The add-in runs all day inside a host (xlwings' COM server, LibreOffice's
pyuno, a Lite page) whose own reference cycles only the cyclic collector
frees. A pause of the collector around result cells, tried once (de81c53),
called ``gc.freeze()`` on the way out, which also sets the young
generation's allocation count to 0: a call allocates fewer than the 700
that start a collection, so no collection ever ran again and every cycle
made between calls was kept (RSS 190 -> 575 MB over 20,000 calls with a
20 KB cycle a call). These tests make a cycle between calls, as a host may,
and check that CPython's collector frees them by itself: at most about two
thresholds' worth may be alive at the end (the reference is CPython's own
rule, ``gc.get_threshold()``). Both fail on de81c53 (every cycle alive).
"""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

from xl_factor.sheet.catalogue import call
from xl_factor.sheet.cells import as_cells


class _Node:
    """A reference cycle once it points at itself: only the cyclic collector frees it."""


@pytest.fixture(autouse=True)
def collector_running():
    gc.collect()
    assert gc.isenabled() and not gc.get_freeze_count()
    yield
    assert gc.isenabled() and not gc.get_freeze_count()


def _session(calls: int, one_call) -> int:
    """``calls`` calls, one reference cycle made after each: how many cycles are still alive at the end."""
    alive = []
    for _ in range(calls):
        one_call()
        node = _Node()
        node.self = node
        alive.append(weakref.ref(node))
        del node
    return sum(ref() is not None for ref in alive)


def test_result_cells_leave_the_collector_collecting():
    block = np.array([[0.5, np.nan], [1.5, 2.5]])

    def one_call():
        assert as_cells(block, "") == [[0.5, ""], [1.5, 2.5]]

    left = _session(3000, one_call)
    assert left <= 2 * gc.get_threshold()[0], f"{left} of 3000 reference cycles never collected"


def test_a_session_of_real_calls_leaves_the_collector_collecting():
    rng = np.random.default_rng(0)
    factors = rng.normal(0, 0.01, (120, 2))
    asset = 0.5 * factors[:, :1] + rng.normal(0, 0.01, (120, 1))
    asset_cells, factor_cells = [["r"]] + asset.tolist(), [["m", "s"]] + factors.tolist()
    expected = np.linalg.lstsq(np.column_stack([np.ones(120), factors]), asset[:, 0], rcond=None)[0][1:]

    def one_call():
        got = as_cells(call("FM_BETA", [list(row) for row in asset_cells], factor_cells), "")
        np.testing.assert_allclose(got[0], expected, rtol=1e-9)

    left = _session(1500, one_call)
    assert left <= 2 * gc.get_threshold()[0], f"{left} of 1500 reference cycles never collected"
