"""Benchmark of ``xl-factor model build``: universes of 5,000 and 20,000 securities x 2,520 days from Parquet.

    .venv/bin/python benchmarks/universe_benchmark.py [--sizes 5000 20000] [--workers 1 2] [--sample 200]

For each size a synthetic universe (real daily returns of tests/data
resampled, ragged histories: :mod:`xl_factor.universe.synthetic`) is written
as a long Parquet table (date, id, ret); then, for each worker count, a
``LocalCluster`` of that many worker processes (one thread each) is started
and ``build_model`` runs on it through ``--scheduler``, the code path of any
cluster. Reported: seconds to read and check the inputs, to fit on Dask and
in all; the fit rate in security-dates a second per worker; the peak resident
memory of each worker process and of the driver during the build (sampled
every 50 ms); and the
ratio to a loop of statsmodels OLS (one regression per security on its own
rows), timed on a sample of securities and scaled to the universe.
Cluster start-up is not in the times (a desk's cluster is already running).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from xl_factor.universe.build import build_model  # noqa: E402
from xl_factor.universe.synthetic import synthetic_universe, to_long  # noqa: E402

DATA = REPO / "tests" / "data"
N_DATES = 2520


def real_returns():
    prices = pd.read_csv(DATA / "sp500_stocks_daily_prices_1990_2022.csv", index_col=0).join(
        pd.read_csv(DATA / "sp500_index_daily_1990_2022.csv", index_col=0))
    complete = prices.pct_change().iloc[1:].dropna()
    return complete.drop(columns="SP500").to_numpy(), complete["SP500"].to_numpy()


def statsmodels_seconds_per_security(wide: pd.DataFrame, factors: pd.DataFrame, sample: int) -> float:
    import statsmodels.api as sm

    rng = np.random.default_rng(0)
    cols = rng.choice(wide.shape[1], size=min(sample, wide.shape[1]), replace=False)
    y_all, x_all = wide.to_numpy(), sm.add_constant(factors.to_numpy())
    began = time.perf_counter()
    for c in cols:
        rows = ~np.isnan(y_all[:, c])
        if rows.sum() < 60:
            continue
        res = sm.OLS(y_all[rows, c], x_all[rows]).fit()
        _ = (res.params, res.resid.var(ddof=1), res.rsquared)
    return (time.perf_counter() - began) / len(cols)


class PeakMemory:
    """Peak resident memory (MiB) of the worker processes and of this driver, sampled every 50 ms."""

    def __init__(self, worker_pids):
        import psutil

        self.processes = {pid: psutil.Process(pid) for pid in worker_pids}
        self.driver = psutil.Process()
        self.workers = {pid: 0.0 for pid in worker_pids}
        self.driver_peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self._stop.is_set():
            for pid, process in self.processes.items():
                try:
                    self.workers[pid] = max(self.workers[pid], process.memory_info().rss / 2**20)
                except Exception:  # noqa: BLE001 - a worker that went away
                    pass
            self.driver_peak = max(self.driver_peak, self.driver.memory_info().rss / 2**20)
            self._stop.wait(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def run(sizes, worker_counts, sample: int, work: Path) -> dict:
    from dask.distributed import Client, LocalCluster

    stocks, market = real_returns()
    results = {"n_dates": N_DATES, "runs": [], "statsmodels": {}}
    for n in sizes:
        wide, factors = synthetic_universe(stocks, market, n, N_DATES, seed=n)
        returns_path, factors_path = work / f"returns_{n}.parquet", work / f"factors_{n}.csv"
        to_long(wide).to_parquet(returns_path, index=False)
        factors.to_csv(factors_path, date_format="%Y-%m-%d")
        per_security = statsmodels_seconds_per_security(wide, factors, sample)
        results["statsmodels"][n] = {"seconds_per_security": per_security, "scaled_seconds": per_security * n,
                                     "sample": sample}
        parquet_mib = returns_path.stat().st_size / 2**20
        del wide
        for workers in worker_counts:
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                              silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
                pids = list(client.run(os.getpid).values())
                with PeakMemory(pids) as memory:
                    # force: the folder is the benchmark's own (a size or worker count given twice rebuilds it)
                    manifest = build_model(returns_path, factors_path, work / f"model_{n}_{workers}",
                                           scheduler=cluster.scheduler_address, force=True)
            elapsed = manifest["elapsed_seconds"]
            row = {"securities": n, "workers": workers, "parquet_mib": round(parquet_mib, 1),
                   "tasks": manifest["tasks"], "read_and_check_s": elapsed["read_and_check"], "fit_s": elapsed["fit"],
                   "total_s": elapsed["total"],
                   "rate_per_worker": n * N_DATES / elapsed["fit"] / workers,
                   "worker_peak_mib": round(max(memory.workers.values()), 1),
                   "driver_peak_mib": round(memory.driver_peak, 1),
                   "statsmodels_ratio_fit": per_security * n / elapsed["fit"],
                   "statsmodels_ratio_total": per_security * n / elapsed["total"]}
            results["runs"].append(row)
            print(json.dumps(row), flush=True)
    return results


def table(results: dict) -> str:
    lines = ["| securities x 2,520 days | workers | tasks | read + check s | fit s | total s | "
             "security-dates/s per worker | peak MiB per worker | driver peak MiB | statsmodels loop scaled s | "
             "ratio (total) |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results["runs"]:
        sm_s = results["statsmodels"][r["securities"]]["scaled_seconds"]
        lines.append(f"| {r['securities']:,} | {r['workers']} | {r['tasks']} | {r['read_and_check_s']:.1f} | "
                     f"{r['fit_s']:.1f} | {r['total_s']:.1f} | {r['rate_per_worker']:,.0f} | "
                     f"{r['worker_peak_mib']:,.0f} | {r['driver_peak_mib']:,.0f} | {sm_s:.0f} | "
                     f"{r['statsmodels_ratio_total']:.0f}x |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 20000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--sample", type=int, default=200, help="securities in the statsmodels sample")
    parser.add_argument("--json", default=None, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="xl_factor_universe_") as work:
        results = run(args.sizes, args.workers, args.sample, Path(work))
    print(table(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
