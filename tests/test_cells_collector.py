"""Result cells made without the cyclic garbage collector walking them, and the collector left as it was found.

A big result (100 assets' rolling betas: 2,520 x 300 cells) is thousands of
Python lists of floats; :func:`cells_uncollected` pauses the collector while
they are made and moves them to the oldest generation, so no collection
walks them. These tests check the cells themselves against a plain
comprehension, that no collection runs while they are made (and that one
does without the hold, so the check can fail), that the collector's state
(running, paused by the user, objects frozen by the user) is restored, also
when making the cells fails and when eight threads overlap, and that
cyclic garbage moved with the cells is still collected.
"""

from __future__ import annotations

import gc
import math
import threading
import weakref

import numpy as np
import pytest

from xl_factor.sheet import cells, runtime
from xl_factor.sheet.catalogue import call
from xl_factor.sheet.cells import as_cells, labelled_columns
from xl_factor.sheet.runtime import cells_uncollected


def _ragged_block(seed: int = 0) -> np.ndarray:
    """2,520 x 300 numbers: blank (NaN) before each column's start, as rolling betas of staggered listings are."""
    rng = np.random.default_rng(seed)
    block = rng.normal(1.0, 0.3, (2520, 300))
    for j, start in enumerate(rng.integers(0, 1200, 300)):
        block[:start, j] = np.nan
    return block


def _plain(block: np.ndarray, blank) -> list:
    return [[blank if math.isnan(v) else v for v in row] for row in block.tolist()]


class _Collections:
    """Counts the garbage collections that run inside ``with``."""

    def __enter__(self):
        self.count = 0
        gc.callbacks.append(self._seen)
        return self

    def __exit__(self, *exc):
        gc.callbacks.remove(self._seen)
        return False

    def _seen(self, phase, info):
        if phase == "start":
            self.count += 1


@pytest.fixture(autouse=True)
def collector_running():
    """Each test starts and ends with the collector running, nothing frozen and no call inside the hold."""
    assert gc.isenabled() and not gc.get_freeze_count()
    yield
    assert runtime._CollectorPaused._calls == 0
    enabled, frozen = gc.isenabled(), gc.get_freeze_count()
    gc.enable()
    gc.unfreeze()
    assert enabled and not frozen


@pytest.mark.parametrize("blank", ["", None])
def test_cells_equal_a_plain_comprehension(blank):
    block = _ragged_block()
    assert as_cells(block.copy(), blank=blank) == _plain(block, blank)
    wide = labelled_columns([[f"a{j}" for j in range(300)]], block.copy(), {3: "#FM! failed"}, 1)
    expected = [[f"a{j}" for j in range(300)]] + _plain(np.where(np.arange(300) == 3, np.nan, block), blank)
    expected[1][3] = "#FM! failed"
    assert as_cells(wide, blank=blank) == expected


def test_no_collection_runs_while_the_cells_are_made():
    block = _ragged_block(1)
    with _Collections() as unheld:  # the control: the same cells made without the hold are walked
        cells._cells(block, "")
    assert unheld.count >= 2
    with _Collections() as held:
        made = as_cells(block, "")
    assert held.count == 0
    with _Collections() as after:  # the cells were moved out of the young generation: nothing is due at once
        [[] for _ in range(100)]
    assert after.count == 0
    assert len(made) == 2520


def test_a_real_call_keeps_the_collector_running():
    rng = np.random.default_rng(2)
    factors = rng.normal(0, 0.01, (300, 2))
    asset = 0.5 * factors[:, :1] + rng.normal(0, 0.01, (300, 1))
    assert isinstance(call("FM_BETA", asset.tolist(), factors.tolist()), np.ndarray)
    assert gc.isenabled()


def test_a_collector_paused_by_the_user_stays_paused():
    gc.disable()
    try:
        as_cells(_ragged_block(3)[:50], "")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_objects_frozen_by_the_user_stay_frozen():
    gc.freeze()
    frozen = gc.get_freeze_count()
    try:
        as_cells(_ragged_block(4)[:50], "")
        assert gc.get_freeze_count() > frozen // 2  # not unfrozen (frozen objects freed meanwhile leave it)
    finally:
        gc.unfreeze()


def test_a_failure_while_making_the_cells_resumes_the_collector(monkeypatch):
    def broken(result, blank):
        assert not gc.isenabled()  # inside the hold the collector is paused
        raise RuntimeError("cells failed")

    monkeypatch.setattr(cells, "_cells", broken)
    with pytest.raises(RuntimeError, match="cells failed"):
        as_cells(np.ones((3, 3)), "")
    assert gc.isenabled()


def test_cyclic_garbage_moved_with_the_cells_is_still_collected():
    class Node:
        pass

    node = Node()
    node.self = node  # a reference cycle: only the cyclic collector frees it
    alive = weakref.ref(node)
    del node
    as_cells(_ragged_block(5)[:100], "")  # the cycle moves to the oldest generation with the cells
    assert alive() is not None
    gc.collect()
    assert alive() is None


def test_eight_threads_overlapping_leave_the_collector_running():
    block = _ragged_block(6)[:400]
    expected = _plain(block, "")
    start = threading.Barrier(8)
    inside = threading.Barrier(8)
    seen, failures = [], []

    def slow(result, blank):  # every thread inside the hold at once, then out in any order
        inside.wait(timeout=30)
        seen.append(gc.isenabled())
        return original(result, blank)

    original = cells._cells

    def worker():
        try:
            start.wait(timeout=30)
            for _ in range(5):
                assert as_cells(block, "") == expected
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append(error)

    cells._cells = slow
    try:
        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        cells._cells = original
    assert not failures
    assert seen and not any(seen)  # paused whenever a thread was making cells
    assert gc.isenabled()


def test_the_hold_nests():
    with cells_uncollected():
        with cells_uncollected():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer call is still inside
    assert gc.isenabled()
