"""FM_MODEL and FM_MODEL_COVMAT: the sheet reads the desk's model (``xl-factor model build``) by security id.

The model is the folder ``model build --out`` wrote: ``exposures.parquet``
(B and D), ``factor_cov.parquet`` (Sigma_f) and ``manifest.json``. It is
read from local files (classic Excel through xlwings, LibreOffice; xlwings
Lite runs in the browser and cannot read local files) and cached on the
files' identity (path, ``mtime_ns``, size): a rebuilt model is read again at
the next recalculation, an unchanged one is not. Reading Parquet needs
pyarrow (``pip install "xl_factor[scale]"``); the sheet never imports Dask.

Each file carries the id of the build that wrote it; a folder whose files
are of two builds (a rebuild moving its files in) is read again until they
agree, and a folder whose files do not fit together is one ``#FM!`` line
saying to rebuild it: the numbers never come from two builds.

An id the model does not hold, or a security it lists as not fitted, shows
its own ``#FM!`` line in its slot; the other ids get their numbers. A blank
cell among the ids leaves its slot blank. An id asked twice is one security:
FM_MODEL_COVMAT gives the pair its whole variance, ``b' Sigma_f b + d``, off
the diagonal as on it.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import core
from ..core.errors import InvalidArgument, TooFewObservations
from .failures import mark_failures
from .runtime import is_pyodide
from .units import refuse_contradicted_periods
from .values import as_rows, describe_cell, is_missing_argument

EXPOSURES = "exposures.parquet"
FACTOR_COV = "factor_cov.parquet"
MANIFEST = "manifest.json"
#: The Parquet schema metadata key with the id of the build that wrote the file (the manifest's ``build_id``).
BUILD_ID_KEY = b"xl_factor_build_id"
#: A folder whose files are of two builds is read again this many times, READ_PAUSE seconds apart, before it is
#: refused: a rebuild moves its complete files in within milliseconds.
READ_ATTEMPTS, READ_PAUSE = 20, 0.05
#: FM_MODEL's fields: ``betas`` (ids x K) or one number per id.
FIELDS = ("betas", "alpha", "idio_var", "total_var", "r2", "n_obs")
#: Models kept in memory at once (each is N x (K + 5) numbers: 30,000 x 8 is 2 MB).
MAX_MODELS = 8


@dataclass(frozen=True)
class Model:
    """One model folder as read: ids, B (N, K), the per-security fields, Sigma_f (K, K)."""

    ids: dict[str, int]
    factor_names: tuple[str, ...]
    betas: np.ndarray
    fields: dict[str, np.ndarray]
    factor_cov: np.ndarray
    not_fitted: dict[str, str]
    periods_per_year: float | None = None  # what the model's dates show (None: not told, or intraday dates)


class UnknownId(TooFewObservations):
    """An id the model does not hold (its own line in its slot)."""


class NotAnId(TooFewObservations):
    """A cell among the ids that cannot be an id (its own line in its slot)."""


_LOCK = threading.Lock()
_MODELS: OrderedDict[str, tuple[tuple, Model]] = OrderedDict()
#: How many times a model folder was read from disk (the tests check the cache with it).
LOADS = {"count": 0}


def parse_ids(value, argument: str) -> list[str | NotAnId | None]:
    """The security ids of a range (row by row), as text; a blank cell is ``None``.

    Whole numbers (a PERMNO typed as a number) read as their digits. A cell that cannot be an id (an
    error cell, a date, TRUE) is its :class:`NotAnId` failure, shown in its own slot.
    """
    if is_missing_argument(value):
        raise InvalidArgument("is required; give the cells that hold the security ids", argument)
    ids = []
    for row in as_rows(value, argument):
        for cell in row:
            if cell is None or (isinstance(cell, str) and cell.strip() == ""):
                ids.append(None)
            elif isinstance(cell, str):
                ids.append(cell.strip())
            elif type(cell) in (int, float) and np.isfinite(cell) and float(cell).is_integer() \
                    and abs(cell) < 2**53 and not _is_error(cell):
                ids.append(str(int(cell)))
            else:  # an error cell, a date, TRUE: fails in its own slot, described as the sheet shows it
                ids.append(NotAnId(f"the cell holds {describe_cell(cell)}, not a security id; give ids as text "
                                   "or whole numbers", "ids"))
    return ids


def _is_error(cell) -> bool:
    from .values import is_error_code

    return is_error_code(cell)


def _identity(folder: Path) -> tuple:
    out = []
    for name in (EXPOSURES, FACTOR_COV, MANIFEST):
        try:
            stat = (folder / name).stat()
        except OSError:
            if name == MANIFEST:
                out.append((name, None))
                continue
            raise InvalidArgument(
                f"'{folder}' holds no {name}; give the folder 'xl-factor model build --out' wrote", "model_dir"
            ) from None
        out.append((str(folder / name), stat.st_mtime_ns, stat.st_size))
    return tuple(out)


def load_model(model_dir: str) -> Model:
    """The model in ``model_dir``, from the cache unless its files changed (path, mtime_ns, size)."""
    if is_pyodide():
        raise InvalidArgument("cannot be read here: xlwings Lite runs in the browser and cannot read local files; "
                              "use FM_MODEL in Excel with the xlwings add-in, or in LibreOffice", "model_dir")
    if not model_dir:
        raise InvalidArgument("is required; give the folder 'xl-factor model build --out' wrote", "model_dir")
    try:  # a path the system cannot even look at ("~nobody", a NUL byte) is no folder either
        folder = Path(model_dir).expanduser()
        key = str(folder.resolve()) if folder.is_dir() else None
    except (OSError, RuntimeError, ValueError):
        key = None
    if key is None:
        raise InvalidArgument(f"'{model_dir}' is not a folder; give the folder 'xl-factor model build --out' wrote",
                              "model_dir")
    identity = _identity(folder)
    with _LOCK:
        cached = _MODELS.get(key)
        if cached is not None and cached[0] == identity:
            _MODELS.move_to_end(key)
            return cached[1]
    model = _read(folder)
    if _identity(folder) != identity:  # rewritten while being read: read the new files next time
        return model
    with _LOCK:
        _MODELS[key] = (identity, model)
        _MODELS.move_to_end(key)
        while len(_MODELS) > MAX_MODELS:
            _MODELS.popitem(last=False)
    return model


class _Mixed(Exception):
    """The folder's files carry the ids of different builds (a rebuild is moving its files in)."""


def _inconsistent(folder: Path, why: str) -> InvalidArgument:
    return InvalidArgument(f"'{folder}': the model folder is inconsistent or incomplete ({why}); "
                           "build it again with 'xl-factor model build'", "model_dir")


def _read(folder: Path) -> Model:
    """The model in ``folder``, its files all of one build: read again while a rebuild is moving its files in."""
    for attempt in range(READ_ATTEMPTS):
        try:
            return _read_once(folder)
        except _Mixed as mixed:
            why = str(mixed)
            if attempt + 1 < READ_ATTEMPTS:
                time.sleep(READ_PAUSE)
    raise _inconsistent(folder, why)


def _read_once(folder: Path) -> Model:
    try:
        import pyarrow.parquet as pq

        manifest_text = (folder / MANIFEST).read_text() if (folder / MANIFEST).exists() else None
        tables = {name: pq.read_table(folder / name) for name in (EXPOSURES, FACTOR_COV)}
    except ImportError:
        raise InvalidArgument("needs pyarrow to read the model's Parquet files; pip install \"xl_factor[scale]\"",
                              "model_dir") from None
    except Exception as error:  # noqa: BLE001 - a damaged file is one line
        raise InvalidArgument(f"'{folder}': the model's files cannot be read ({type(error).__name__}); "
                              "build the model again with 'xl-factor model build'", "model_dir") from None
    LOADS["count"] += 1
    manifest = {}
    if manifest_text is not None:
        try:
            manifest = json.loads(manifest_text)
        except ValueError:
            raise _inconsistent(folder, f"{MANIFEST} is not JSON") from None
        if not isinstance(manifest, dict):
            raise _inconsistent(folder, f"{MANIFEST} is not a JSON object")
    builds = {name: (table.schema.metadata or {}).get(BUILD_ID_KEY) for name, table in tables.items()}
    builds = {name: (b.decode(errors="replace") if b is not None else None) for name, b in builds.items()}
    if manifest_text is not None:
        builds[MANIFEST] = manifest.get("build_id")
    if len(set(builds.values())) > 1:  # files of two builds (an older build's files carry no id)
        raise _Mixed(" and ".join(f"{name} of build {b or 'unknown'}" for name, b in builds.items()))
    exposures, cov = (tables[name].to_pandas() for name in (EXPOSURES, FACTOR_COV))
    if "factor" not in cov.columns:
        raise _inconsistent(folder, f"{FACTOR_COV} has no factor column")
    names = tuple(str(f) for f in cov["factor"])
    lacking = [c for c in ("id", *FIELDS[1:], *(f"beta_{f}" for f in names)) if c not in exposures.columns]
    lacking_cov = [f for f in names if f not in cov.columns]
    if lacking or lacking_cov or len(set(names)) != len(names):
        what = (f"{EXPOSURES} lacks {', '.join(lacking)}" if lacking else
                f"{FACTOR_COV} lacks the column of {', '.join(lacking_cov)}" if lacking_cov else
                f"{FACTOR_COV} names a factor twice")
        raise _inconsistent(folder, what)
    betas = [c for c in exposures.columns if str(c).startswith("beta_")]
    if sorted(betas) != sorted(f"beta_{f}" for f in names):
        raise _inconsistent(folder, f"the factors of {EXPOSURES} ({', '.join(b[5:] for b in betas)}) are not "
                                    f"those of {FACTOR_COV} ({', '.join(names)})")
    not_fitted = manifest.get("not_fitted", [])
    if not isinstance(not_fitted, list) or not all(isinstance(e, dict) and "id" in e for e in not_fitted):
        raise _inconsistent(folder, f"the not_fitted list of {MANIFEST} is not a list of securities")
    try:
        ids = [str(i) for i in exposures["id"]]
        return Model(
            ids={i: n for n, i in enumerate(ids)},
            factor_names=names,
            betas=exposures[[f"beta_{f}" for f in names]].to_numpy(dtype=float),
            fields={f: exposures[f].to_numpy(dtype=float) for f in FIELDS[1:]},
            factor_cov=cov[list(names)].to_numpy(dtype=float),
            not_fitted={str(e["id"]): str(e.get("reason", "not fitted")) for e in not_fitted},
            periods_per_year=_shown_periods(manifest),
        )
    except (TypeError, ValueError) as error:
        raise _inconsistent(folder, f"a column does not hold numbers: {type(error).__name__}") from None


def _positions(model: Model, ids, model_dir: str):
    """Row of each id in the model (-1 for a blank), and the failure of each id that has no numbers."""
    rows, failures = np.full(len(ids), -1), {}
    for slot, security in enumerate(ids):
        if security is None:
            continue
        if isinstance(security, NotAnId):
            failures[slot] = security
            continue
        row = model.ids.get(security)
        if row is None:
            failures[slot] = UnknownId(f"'{security}' is not in the model in '{model_dir}'; check the id, "
                                       "or build the model with that security", "ids")
        elif np.isnan(model.betas[row]).any():
            why = model.not_fitted.get(security, "the model could not fit it")
            failures[slot] = TooFewObservations(f"'{security}' is not fitted in the model: {why}", "ids")
        else:
            rows[slot] = row
    return rows, failures


def fm_model(model_dir: str, ids, field: str = "betas"):
    key = str(field).strip().lower()
    if key not in FIELDS:
        raise InvalidArgument(f"must be one of {', '.join(FIELDS)}, got '{field}'", "field")
    model = load_model(model_dir)
    rows, failures = _positions(model, ids, model_dir)
    source = model.betas if key == "betas" else model.fields[key][:, None]
    out = np.full((len(ids), source.shape[1]), np.nan)
    out[rows >= 0] = source[rows[rows >= 0]]
    return mark_failures(out, failures, axis=0)


def _shown_periods(manifest: dict) -> float | None:
    """The periods a year the manifest says the model's dates show, unless its dates are under a day apart on
    average (intraday bars, whose periods a year no date tells) or it does not say."""
    periods, span = manifest.get("periods_per_year"), manifest.get("date_range") or {}
    try:
        days = (np.datetime64(span["last"]) - np.datetime64(span["first"])) / np.timedelta64(1, "D")
        intraday = days / max(int(span["n_dates"]) - 1, 1) < 1
    except (KeyError, TypeError, ValueError):
        intraday = False
    return float(periods) if isinstance(periods, (int, float)) and periods > 0 and not intraday else None


def fm_model_covmat(model_dir: str, ids, periods_per_year=None):
    model = load_model(model_dir)
    if periods_per_year is not None:
        refuse_contradicted_periods(periods_per_year, model.periods_per_year, "the model's dates")
    rows, failures = _positions(model, ids, model_dir)
    ok = rows >= 0
    cov = np.full((len(ids), len(ids)), np.nan)
    if ok.any():
        # each security once, then expanded to the slots asked: an id asked twice (or as "10012" and 10012)
        # is one security, whose covariance with itself is its whole variance b'Sigma_f b + d in every slot of
        # the pair, not b'Sigma_f b off the diagonal
        securities, slot = np.unique(rows[ok], return_inverse=True)
        once = core.factor_covariance(model.betas[securities], model.factor_cov,
                                      model.fields["idio_var"][securities])
        cov[np.ix_(ok, ok)] = once[np.ix_(slot, slot)]
    cov = cov if periods_per_year is None else core.annualize(cov, "var", periods_per_year)
    return mark_failures(cov, failures, axis=(0, 1))
