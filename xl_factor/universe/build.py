"""``xl-factor model build``: read and check, fit on Dask, write B, Sigma_f, D and the manifest.

The outputs in ``DIR`` (never an N x N matrix: the model is B, Sigma_f, D):

* ``exposures.parquet``: one row per security, sorted by id: ``id``,
  ``alpha``, ``beta_<factor>`` per factor, ``idio_var``, ``total_var``,
  ``r2``, ``n_obs``, ``first_date``, ``last_date`` (per period; a security
  that could not be fitted keeps its id, ``n_obs`` and dates, NaN numbers);
* ``factor_cov.parquet``: Sigma_f (``ddof = 1``) over every date of the
  model, a ``factor`` column then one column per factor;
* with ``--window W --step S``, ``rolling_exposures.parquet``: the same
  numbers over the last W dates at every S-th date (the first at date W),
  one row per (date, security) fitted, sorted by date then id;
* ``manifest.json``: the inputs' SHA-256, the date range, the versions, the
  scheduler, the elapsed time, and the securities not fitted with why.

The files are written into a staging folder beside ``DIR`` and moved in one
by one, the manifest last; each carries the build's id, so a reader can tell
files of two builds apart (:func:`_write_model`).

A ``DIR`` that already holds any of these files (a model, or another
program's ``manifest.json``) is refused before any work is sent, unless
``--force`` (``force=True``) says to replace the model there; a replaced model
loses a ``rolling_exposures.parquet`` the new build does not make. Other files
in ``DIR`` are never touched (:func:`_refuse_replacing`).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from .blocks import FIELDS
from ..sheet.values import unclear_date_text
from .inputs import InputError, read_universe, sha256

EXPOSURES = "exposures.parquet"
FACTOR_COV = "factor_cov.parquet"
ROLLING = "rolling_exposures.parquet"
MANIFEST = "manifest.json"
#: Every file a build may write into ``--out`` (and, with ``force``, the only ones it replaces or removes).
MODEL_FILES = (EXPOSURES, FACTOR_COV, ROLLING, MANIFEST)
#: The Parquet schema metadata key that carries the build's id (the manifest's ``build_id``).
BUILD_ID_KEY = b"xl_factor_build_id"
DEFAULT_MIN_OBS = 60
DEFAULT_BLOCK = 500


def beta_column(factor: str) -> str:
    return f"beta_{factor}"


def _versions() -> dict:
    import dask
    import distributed
    import pyarrow

    return {"xl_factor": __version__, "python": platform.python_version(), "numpy": np.__version__,
            "pandas": pd.__version__, "dask": dask.__version__, "distributed": distributed.__version__,
            "pyarrow": pyarrow.__version__}


def check_options(min_obs: int, window: int | None, step: int | None, block_size: int, workers, scheduler) -> None:
    if min_obs < 1:
        raise InputError(f"--min-obs {min_obs}: give a whole number of at least 1")
    if workers is not None and workers < 1:
        raise InputError(f"--workers {workers}: give a whole number of at least 1 (or leave it out for the cores)")
    if block_size < 1:
        raise InputError(f"--block-size {block_size}: give a whole number of at least 1")
    if (window is None) != (step is None):
        raise InputError("--window and --step go together: give both (e.g. --window 252 --step 21) or neither")
    if window is not None and (window < 2 or step < 1):
        raise InputError(f"--window {window} --step {step}: give a window of at least 2 dates and a step of at least 1")
    if window is not None and window < min_obs:
        raise InputError(f"--window {window} is shorter than --min-obs {min_obs}: no window could be fitted; "
                         "give a longer window or a smaller --min-obs")
    if scheduler and workers:
        raise InputError("--workers sizes the local cluster; with --scheduler the cluster's own workers run the tasks: "
                         "give one or the other")


def build_model(returns, factors, out, scheduler=None, workers=None, start=None, end=None,
                min_obs: int = DEFAULT_MIN_OBS, window=None, step=None, block_size: int = DEFAULT_BLOCK,
                universe=None, force: bool = False) -> dict:
    """Build the model into ``out``; returns the manifest. Raises :class:`InputError` before any work is sent.

    An ``out`` that already holds any of :data:`MODEL_FILES` is refused unless ``force``; with ``force`` the
    model there is replaced, and a ``rolling_exposures.parquet`` this build does not make is removed.
    """
    from .engine import open_client, run_blocks

    began = time.perf_counter()
    check_options(min_obs, window, step, block_size, workers, scheduler)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: not a folder; give a folder to write the model into")
    _refuse_overwriting_inputs(out, returns=returns, factors=factors, universe=universe)
    _check_out(out)
    _refuse_replacing(out, force)
    start, end = _date_option("--start", start), _date_option("--end", end)
    data = read_universe(returns, factors, start, end, universe)
    read_seconds = time.perf_counter() - began
    with open_client(scheduler, workers) as (client, described):
        n_workers = len(client.scheduler_info().get("workers", {}))
        fit_began = time.perf_counter()
        blocks, rolling = run_blocks(client, data, block_size, min_obs, window, step)
        fit_seconds = time.perf_counter() - fit_began
    write_began = time.perf_counter()
    build_id = uuid.uuid4().hex
    exposures, not_fitted = _exposures(data, blocks, min_obs)
    if len(not_fitted) == len(data.ids):  # an empty model must not replace a model already in --out
        first = not_fitted[0]
        raise InputError(f"no security could be fitted (of {len(data.ids)}; the first, '{first['id']}': "
                         f"{first['reason']}); nothing written to --out {out}; lower --min-obs or give "
                         "longer histories")
    cov = np.atleast_2d(np.cov(data.factors, rowvar=False))
    tables = {EXPOSURES: exposures,
              FACTOR_COV: pd.DataFrame({"factor": list(data.factor_names),
                                        **{f: cov[:, k] for k, f in enumerate(data.factor_names)}})}
    if rolling is not None:
        tables[ROLLING] = _rolling(data, rolling, block_size)
    dates = data.dates
    manifest = {
        "model": "B Sigma_f B' + D: exposures.parquet (B, D = idio_var), factor_cov.parquet (Sigma_f)",
        "build_id": build_id,
        "inputs": {
            "returns": {"path": str(Path(returns).resolve()), "sha256": sha256(Path(returns)),
                        "bytes": Path(returns).stat().st_size, "layout": data.layout},
            "factors": {"path": str(Path(factors).resolve()), "sha256": sha256(Path(factors)),
                        "bytes": Path(factors).stat().st_size},
            **({"universe": {"path": str(Path(universe).resolve()), "sha256": sha256(Path(universe))}}
               if universe is not None else {}),
        },
        "date_range": {"first": str(pd.Timestamp(dates[0]).date()), "last": str(pd.Timestamp(dates[-1]).date()),
                       "n_dates": int(dates.size), "start": start, "end": end},
        "periods_per_year": data.periods_per_year,
        "factors": list(data.factor_names),
        "n_securities": len(data.ids),
        "n_fitted": int(len(data.ids) - len(not_fitted)),
        "options": {"min_obs": min_obs, "window": window, "step": step, "block_size": block_size,
                    "add_constant": True},
        "tasks": len(blocks) * (2 if rolling is not None else 1),
        "scheduler": described,
        "workers": n_workers,
        "versions": _versions(),
        "outputs": list(tables),
        "not_fitted": not_fitted,
    }
    _write_model(out, tables, manifest, build_id, force, lambda: {
        "read_and_check": round(read_seconds, 3), "fit": round(fit_seconds, 3),
        "write": round(time.perf_counter() - write_began, 3), "total": round(time.perf_counter() - began, 3)})
    return manifest


def _write_model(out: Path, tables: dict, manifest: dict, build_id: str, force: bool, elapsed) -> None:
    """Write the model's files into a staging folder beside ``out``, then move them into ``out``, manifest last.

    Every file carries the build's id (the Parquet files in their schema metadata, the manifest in
    ``build_id``), and the sheet reads a folder only when all its files carry the same id: a reader that
    looks while the files are being moved in (each move an atomic ``os.replace`` on one file system) sees
    files of two builds, knows it, and reads again. The staging folder keeps a half-written build out of
    ``out`` altogether: nothing in ``out`` changes until every file is complete. Without ``force`` the
    check of :func:`_refuse_replacing` is made again just before the first move, for files that came while the
    build ran.
    """
    try:
        out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    except OSError as error:
        raise InputError(f"--out {out}: the folder cannot be made ({error.strerror or error}); "
                         "give --out a folder you can write") from None
    try:
        for name, frame in tables.items():
            _write_parquet(frame, staging / name, build_id)
        manifest["elapsed_seconds"] = elapsed()
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        _refuse_replacing(out, force)
        for name in [*tables, MANIFEST]:
            os.replace(staging / name, out / name)
        if ROLLING not in tables and (out / ROLLING).exists():
            (out / ROLLING).unlink()  # a rolling table from an earlier build would not match this model
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _date_option(option: str, value):
    """``value`` of ``--start``/``--end`` as given, refused in one line unless it is a date in a form whose order of
    day and month is not in doubt (YYYY-MM-DD, not 01/02/2016: the rule of the inputs' dates)."""
    if value is None:
        return None
    if unclear_date_text(str(value)):  # 01/02/2016: 1 February or 2 January
        raise InputError(f"{option} {value}: not written YYYY-MM-DD, and its order of day and month cannot be "
                         f"told; give a date as YYYY-MM-DD (e.g. {option} 2015-01-02)")
    try:
        stamp = pd.Timestamp(str(value).strip())
    except (ValueError, TypeError, OverflowError):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise InputError(f"{option} {value}: not a date; give a date as YYYY-MM-DD (e.g. {option} 2015-01-02)")
    return value


def _check_out(out: Path) -> None:
    """Refuse an ``--out`` that cannot be a folder (a file on its path) or cannot be written, before any work."""
    for parent in [out, *out.parents]:
        if parent.exists():
            break
    if not parent.is_dir():
        raise InputError(f"--out {out}: {parent} is a file, so no folder can be made there; "
                         "give --out a folder path")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"--out {out}: {parent} cannot be written to; give --out a folder you can write")


def _refuse_replacing(out: Path, force: bool) -> None:
    """Refuse an ``out`` that already holds any file the build writes, unless ``force``: it may be another
    program's (a ``manifest.json``) or a model the user means to keep (with its rolling table)."""
    if force or not out.is_dir():
        return
    there = [name for name in MODEL_FILES if os.path.lexists(out / name)]
    if there:
        raise InputError(f"--out {out} already holds {', '.join(there)}; nothing written; "
                         "add --force to replace the model there, or give another --out")


def _refuse_overwriting_inputs(out: Path, **inputs) -> None:
    """Refuse an input that is one of the files the build writes into ``out``: it would be overwritten."""
    written = [out / name for name in MODEL_FILES]
    for option, given in inputs.items():
        if given is None:
            continue
        path = Path(given)
        for target in written:
            same = path.resolve() == target.resolve()
            if not same and path.exists() and target.exists():
                try:
                    same = os.path.samefile(path, target)
                except OSError:
                    same = False
            if same:
                raise InputError(f"--{option} {given} is the model's own {target.name} in --out {out}: the build "
                                 "would overwrite its input; copy the file elsewhere or give another --out")


def _exposures(data, blocks: list[dict], min_obs: int) -> tuple[pd.DataFrame, list[dict]]:
    cat = {name: np.concatenate([b[name] for b in blocks]) for name in FIELDS + ("first", "last")}
    betas = np.vstack([b["betas"] for b in blocks])
    not_fitted, offset = [], 0
    for b in blocks:
        for c, reason in sorted(b["reasons"].items()):
            not_fitted.append({"id": data.ids[offset + c], "n_obs": int(b["n_obs"][c]), "reason": reason})
        offset += b["betas"].shape[0]
    dates = pd.DatetimeIndex(data.dates)
    first = np.where(cat["first"] >= 0, dates.values[np.maximum(cat["first"], 0)], np.datetime64("NaT"))
    last = np.where(cat["last"] >= 0, dates.values[np.maximum(cat["last"], 0)], np.datetime64("NaT"))
    frame = pd.DataFrame({"id": list(data.ids), "alpha": cat["alpha"],
                          **{beta_column(f): betas[:, k] for k, f in enumerate(data.factor_names)},
                          "idio_var": cat["idio_var"], "total_var": cat["total_var"], "r2": cat["r2"],
                          "n_obs": cat["n_obs"].astype(np.int64),
                          "first_date": pd.to_datetime(first).date, "last_date": pd.to_datetime(last).date})
    return frame, not_fitted


def _rolling(data, rolling: list[dict], block_size: int) -> pd.DataFrame:
    ends, cols, values = [], [], []
    for i, r in enumerate(rolling):
        ends.append(r["end"])
        cols.append(r["col"] + i * block_size)
        values.append(r["values"])
    end, col = np.concatenate(ends), np.concatenate(cols)
    table = np.vstack(values)
    order = np.lexsort((col, end))
    end, col, table = end[order], col[order], table[order]
    k = len(data.factor_names)
    frame = pd.DataFrame({"date": pd.DatetimeIndex(data.dates[end]).date,
                          "id": np.asarray(data.ids, dtype=object)[col]})
    frame["alpha"] = table[:, k]
    for j, f in enumerate(data.factor_names):
        frame[beta_column(f)] = table[:, j]
    for j, name in enumerate(FIELDS[1:], start=k + 1):
        frame[name] = table[:, j]
    frame["n_obs"] = frame["n_obs"].astype(np.int64)
    return frame


def _write_parquet(frame: pd.DataFrame, path: Path, build_id: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), BUILD_ID_KEY: build_id.encode()})
    pq.write_table(table, path)
