"""Running blocks of securities on Dask: the local cluster by default, or an existing one.

There is one code path. :func:`open_client` gives a
``dask.distributed.Client``: on a ``LocalCluster`` of worker processes on
this machine when no scheduler is given (the embedded default, no set-up),
or on the cluster at ``--scheduler ADDRESS``. :func:`run_blocks` then builds
the same ``dask.delayed`` tasks, one per block of securities, and computes
them on that client. Each task's data travels inside the task graph (not
scattered), so a task whose worker dies is simply run again elsewhere: the
scheduler reschedules it, and the numbers cannot change because each
security's fit depends only on its own column.
"""

from __future__ import annotations

import logging
import os
import warnings
from contextlib import contextmanager

import numpy as np

from .blocks import fit_block, rolling_block


@contextmanager
def open_client(scheduler: str | None = None, workers: int | None = None):
    """Yield ``(client, description)``; a local cluster is closed on exit, a given one is left running."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        client = Client(scheduler, timeout="30s")
        try:
            yield client, f"dask.distributed cluster at {scheduler}"
        finally:
            client.close()
        return
    n = workers or max(1, min(os.cpu_count() or 1, 4))
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        yield client, f"dask.distributed LocalCluster on this machine ({n} worker process{'es' if n > 1 else ''})"


def block_slices(n: int, block_size: int) -> list[slice]:
    return [slice(i, min(i + block_size, n)) for i in range(0, n, block_size)]


def run_blocks(client, universe, block_size: int, min_obs: int, window: int | None = None,
               step: int | None = None) -> tuple[list[dict], list[dict] | None]:
    """The full-sample result of each block (and with ``window`` the rolling one), in block order."""
    import dask

    slices = block_slices(len(universe.ids), block_size)
    factors = dask.delayed(np.ascontiguousarray(universe.factors), pure=True)
    fit = dask.delayed(fit_block, pure=True)
    roll = dask.delayed(rolling_block, pure=True)
    tasks, rolling = [], []
    for s in slices:
        block = np.ascontiguousarray(universe.returns[:, s])
        ids = list(universe.ids[s])
        # pure=True: each task's key is its function's name and a hash of its inputs, so two builds on one
        # cluster never mix their blocks, and the same block asked twice is one task.
        tasks.append(fit(block, factors, ids, list(universe.factor_names), min_obs))
        if window:
            rolling.append(roll(block, factors, ids, list(universe.factor_names), min_obs, window, step))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*[Ll]arge.*graph.*")
        futures = client.compute(tasks + rolling)
        results = client.gather(futures)
    return results[: len(tasks)], (results[len(tasks):] if window else None)
