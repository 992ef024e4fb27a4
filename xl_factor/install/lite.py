"""The ``lite`` target: main.py and requirements.txt for xlwings Lite (Excel 365 on Windows, macOS and the web).

xlwings Lite runs Python in the browser engine of Excel 365 (Pyodide). Its
code lives in the workbook: the user pastes ``main.py`` into the Lite editor
and lists the packages in its ``requirements.txt`` tab. This module writes
both (and a README.txt with the steps) into a folder, from the catalogue:

- every FM_* function gets ``@func``, an ``@arg`` per argument with the
  catalogue's help text (``ndim=2`` for ranges, so a column stays a column:
  Lite hands a one-column range over as a flat list otherwise), the
  catalogue's signature and defaults (Lite passes an omitted or empty
  optional argument as the Python default) and the docstring Excel shows;
- the body calls :func:`xl_factor.sheet.runtime.lite_call`: Lite's rule for
  a 0 in an optional single-cell argument (Lite's documentation says a blank
  cell arrives as 0: TRUE/FALSE arguments take only TRUE or FALSE, a 0 that
  is no valid value reads as empty, a 0 that would change the model is
  refused; :data:`xl_factor.sheet.runtime.LITE_ZERO`), then
  :func:`xl_factor.sheet.catalogue.call`, exactly as the classic front door
  does, and returns rows of cells with ``None`` for a blank: Lite writes
  ``None`` as an empty cell, whereas a NaN would show as ``#NUM!``. No
  ``@ret`` is needed: the result already is a list of rows, which Lite
  spills.

What xlwings 0.37.8's Office.js conversion hands over (read from its source,
not run in Excel here): numbers (whole ones as ``int``), text, booleans,
``None`` for blank and error cells, and dates as serial numbers, which the
sheet layer recognises by the date rules of the README.

The generated main.py runs in a real Pyodide 0.27.7 under Node in
``tests/test_lite_pyodide.py``: every function, compared with CPython.

requirements.txt lists what the functions import when a cell runs: numpy,
pandas, scipy (p-values of FM_GRS, FM_FAMAMACBETH) and statsmodels
(FM_REGRESS); not openpyxl (templates and refresh only) nor xlwings (Lite
brings its own).

The xl_factor package itself must reach Lite as a wheel at an https URL the
browser may fetch (CORS), or from PyPI or the private index of a
self-hosted Lite: ``--wheel-url`` writes that URL into requirements.txt.
"""

from __future__ import annotations

from pathlib import Path

from .. import __version__
from ..sheet.runtime import lite_zero_rule
from .plan import Context, Plan, Step
from .state import file_sha256, remove_empty_dirs, sha256

TARGET = "lite"
FILES = ("main.py", "requirements.txt", "README.txt")
WHEEL = f"xl_factor-{__version__}-py3-none-any.whl"
PLACEHOLDER = f"https://YOUR-HOST/PATH/{WHEEL}"
#: Ranges are read two-dimensionally; single values (numbers, text, TRUE/FALSE) as they come.
RANGE_KINDS = ("table", "numbers", "number_or_table", "ids", "block")
SCALAR_KINDS = ("number", "text", "bool")
#: What the FM_* functions import when a cell runs: scipy for p-values, statsmodels for FM_REGRESS.
#: Not openpyxl (templates, refresh) nor xlwings (Lite brings its own).
RUNTIME_PACKAGES = ("numpy", "pandas", "scipy", "statsmodels")

HEADER = '''"""xl_factor's FM_* worksheet functions for xlwings Lite: paste this into the xlwings Lite editor (main.py).

GENERATED from xl_factor.sheet.catalogue by xl_factor.install.lite (xl_factor {version}); do not edit.
The xl_factor package must be in requirements.txt (a wheel URL): see README.txt next to this file.
Blank and error cells arrive as None (missing); dates arrive as serial numbers; a blank result is None.
A 0 in an optional single-cell argument may be a blank cell: TRUE/FALSE arguments take only TRUE or FALSE;
periods_per_year, horizon_periods, n_factors, n_worst, lags and text options read 0 as empty;
hac_lags and weight refuse 0.
"""

import xlwings
from xlwings import arg, func

from xl_factor.sheet.runtime import lite_call

RUNTIME = "xlwings Lite " + xlwings.__version__


def _run(name, *args):
    return lite_call(name, args, RUNTIME)
'''


def _signature(function) -> str:
    return ", ".join(f"{a.name}={a.default!r}" if a.optional else a.name for a in function.args)


def render_function(function) -> str:
    lines = ["", "", "", "@func"]
    for a in function.args:
        if a.kind not in RANGE_KINDS + SCALAR_KINDS:
            raise ValueError(f"{function.name}: argument kind {a.kind!r} is new: decide how Lite should read it")
        try:
            lite_zero_rule(a)
        except KeyError:
            raise ValueError(f"{function.name}: optional argument {a.name!r} is new: decide in "
                             f"xl_factor.sheet.runtime.LITE_ZERO what a 0 (a blank cell under Lite) means") from None
        ndim = ", ndim=2" if a.kind in RANGE_KINDS else ""
        lines.append(f"@arg({a.name!r}{ndim}, doc={a.doc!r})")
    lines.append(f"def {function.name}({_signature(function)}):")
    lines.append(f"    {function.doc!r}")
    names = "".join(", " + a.name for a in function.args)
    lines.append(f"    return _run({function.name!r}{names})")
    return "\n".join(lines)


def render_main() -> str:
    """The text of main.py: every catalogue function."""
    from ..sheet.catalogue import CATALOGUE

    return HEADER.format(version=__version__) + "".join(render_function(f) for f in CATALOGUE) + "\n"


def render_requirements(wheel_url: str | None = None) -> str:
    """requirements.txt: what the functions import in a cell (Pyodide builds them: not pinned), and the wheel."""
    return "\n".join(list(RUNTIME_PACKAGES) + [wheel_url or PLACEHOLDER]) + "\n"


def instructions(wheel_url: str | None) -> list[str]:
    steps = []
    if not wheel_url:
        steps += [
            f"make the xl_factor wheel reachable: build it at the repository root with python -m pip wheel . "
            f"--no-deps -w dist (gives dist/{WHEEL}), put it at an https address the browser may fetch (CORS): "
            f"e.g. commit it to a GitHub repository and take its raw.githubusercontent.com URL, or publish it to "
            f"PyPI or the private index your xlwings Lite uses; then run this again with --wheel-url URL (or edit "
            f"the last line of requirements.txt)",
        ]
    steps += [
        "in Excel 365 (Windows, macOS or the web): Home > Add-ins > search xlwings Lite > Add; open its task pane",
        "requirements.txt tab: add the lines of requirements.txt below those already there (keep Lite's own "
        "xlwings line); Lite installs them and shows the log in its Output pane",
        "main.py tab: paste main.py (below or instead of the sample code); the FM_* functions register when it runs",
        "type =FM_INFO() in a cell: the runtime row shows \"xlwings Lite <version>\"; then =FM_BETA(asset, factors)",
    ]
    return steps


LIMITS = [
    "verified in a real Pyodide 0.27.7 under Node, not in Excel 365 (none here): every function of main.py on "
    "Lite-shaped values gives CPython's cells; FM_REGRESS there answers that statsmodels is missing (that "
    "Pyodide has none; xlwings Lite provides it). Still to try in Excel 365: Office.js's value conversion, the "
    "wheel's URL and CORS, and whether template formulas bind (re-enter them: Find & Replace = with =)",
    "blank and error cells: xlwings 0.37.8's Lite conversion reads both as None (missing); Lite's docs say a "
    "blank cell arrives as 0: in an optional argument TRUE/FALSE take only TRUE or FALSE, periods_per_year, "
    "horizon_periods, n_factors, n_worst, lags and text options read 0 as empty, hac_lags and weight refuse 0; "
    "where a blank "
    "data cell matters, mark it #N/A",
    "dates arrive as serial numbers, not dates: a date column is recognised by its header (Date, Month, ...) or by "
    "whole serials rising 1-366 days a step (README, How a data range is read)",
    "Python runs in the browser (Pyodide): the first call loads numpy and pandas (seconds), FM_REGRESS loads "
    "statsmodels on first use; memory is capped at 2 GB",
    "the code lives in each workbook: a workbook that uses the functions needs main.py and requirements.txt "
    "(workbooks written by openpyxl, such as the templates, do not carry them)",
]


def render_readme(wheel_url: str | None) -> str:
    lines = [f"xl_factor {__version__} for xlwings Lite (Excel 365)", "", "Steps:"]
    lines += [f"{i}. {step}" for i, step in enumerate(instructions(wheel_url), start=1)]
    lines += ["", "Limits:"] + [f"- {limit}" for limit in LIMITS]
    return "\n".join(lines) + "\n"


def folder_of(ctx: Context) -> Path:
    given = ctx.options.get("lite_dir")
    if given:
        return Path(given).expanduser() if not ctx.probe else (ctx.cwd / Path(given).expanduser()).resolve()
    return ctx.cwd / "xl_factor_lite" if ctx.probe else Path("xl_factor_lite")


def contents(ctx: Context) -> dict[str, bytes]:
    url = ctx.options.get("wheel_url")
    return {"main.py": render_main().encode(), "requirements.txt": render_requirements(url).encode(),
            "README.txt": render_readme(url).encode()}


def plan_install(ctx: Context) -> Plan:
    folder = folder_of(ctx)
    url = ctx.options.get("wheel_url")
    plan = Plan(TARGET, "Excel 365 through xlwings Lite: main.py and requirements.txt to paste")
    try:
        files = contents(ctx)
    except ImportError as error:
        plan.blockers.append(f"this Python cannot import xl_factor's catalogue ({error}): python -m pip install -e .")
        files = {name: b"" for name in FILES}
    state = ctx.state()
    records = state.section(TARGET).get("files", {})
    for name, data in files.items():
        path = folder / name
        status = ""
        if ctx.probe:
            now = file_sha256(path)
            ours = records.get(name, {}).get("written_sha256")
            if now is None:
                status = "absent: will be written"
            elif now == sha256(data):
                status = "up to date: unchanged"
            elif now == ours:
                status = "written by an earlier run: will be updated"
            elif ctx.force:
                status = "exists and differs: backed up, then replaced (--force)"
            else:
                status = "exists and differs"
                plan.blockers.append(f"{path} exists and is not the installer's: choose another --lite-dir, or "
                                     f"--force (it is backed up first and restored by --uninstall)")
        what = {"main.py": "main.py: the FM_* functions with xlwings Lite's @func/@arg, built from the catalogue",
                "requirements.txt": "requirements.txt: " + ", ".join(RUNTIME_PACKAGES) + " and the xl_factor wheel "
                                    + (f"({url})" if url else "(a placeholder URL until --wheel-url)"),
                "README.txt": "README.txt: the steps below and the limits"}[name]
        touches = [str(path)] + ([] if plan.steps else [str(state.path)])
        plan.steps.append(Step(f"write {what}", touches, status, _writer(ctx, name, path, data)))
    plan.next_steps = instructions(url)
    plan.notes = LIMITS
    plan.epilogue = (lambda: _show(folder, files)) if ctx.probe else None
    return plan


def _writer(ctx: Context, name: str, path: Path, data: bytes):
    def write():
        state = ctx.state()
        if state.write(TARGET, name, path, data):
            return f"wrote {path}"
        return f"{path} is up to date: unchanged"
    return write


def _show(folder: Path, files: dict[str, bytes]) -> str:
    parts = []
    for name in ("requirements.txt", "main.py"):
        parts += [f"----- {folder / name} -----", files[name].decode().rstrip("\n"), f"----- end of {name} -----"]
    return "\n".join(parts)


def plan_uninstall(ctx: Context) -> Plan:
    plan = Plan(TARGET, "xlwings Lite files: remove what the installer wrote", uninstall=True)
    state = ctx.state()
    if not ctx.probe:
        folder = folder_of(ctx)
        plan.steps = [Step(f"remove {folder / name} if it still holds what the installer wrote (a file it replaced "
                           f"with --force gets its backup back)", [str(folder / name)]) for name in FILES]
        plan.steps.append(Step("forget the install: the state file and backups", [str(state.path)]))
        return plan
    section = state.data["targets"].get(TARGET)
    if not section:
        plan.notes.append(f"nothing recorded in {state.path}: the installer has not written xlwings Lite files")
        return plan
    for name, record in section.get("files", {}).items():
        def undo(record=record):
            path = Path(record["path"])
            if record.get("written_sha256") is None:
                return f"the installer did not change {path}: nothing to do"
            if not state.is_unchanged_since_written(record):
                return f"{path} was edited since: kept"
            return state.restore(record)
        plan.steps.append(Step(f"remove {record['path']} (or restore the file it replaced)", [record["path"]], "",
                               undo))

    def forget():
        folders = {d for r in section.get("files", {}).values() for d in r.get("created_dirs", [])}
        removed = remove_empty_dirs(sorted(folders, key=len, reverse=True))
        return state.forget(TARGET) + (f"; removed empty {', '.join(removed)}" if removed else "")
    plan.steps.append(Step("forget the install: the state file and backups", [str(state.path)], "", forget))
    plan.next_steps = ["take main.py's FM_* functions and the xl_factor lines out of the workbooks you pasted them "
                       "into: the installer cannot reach inside a workbook"]
    return plan
