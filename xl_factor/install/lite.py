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
- the body calls :func:`xl_factor.sheet.catalogue.call`, exactly as the
  classic front door does, and returns rows of cells with ``None`` for a
  blank: Lite writes ``None`` as an empty cell, whereas a NaN would show as
  ``#NUM!``. No ``@ret`` is needed: the result already is a list of rows,
  which Lite spills.

What xlwings 0.37.8's Office.js conversion hands over (read from its source,
not run in Excel here): numbers (whole ones as ``int``), text, booleans,
``None`` for blank and error cells, and dates as serial numbers, which the
sheet layer recognises by the date rules of the README.

The xl_factor package itself must reach Lite as a wheel at an https URL the
browser may fetch (CORS), or from PyPI or the private index of a
self-hosted Lite: ``--wheel-url`` writes that URL into requirements.txt.
"""

from __future__ import annotations

from pathlib import Path

from .. import __version__
from .plan import Context, Plan, Step
from .state import file_sha256, remove_empty_dirs, sha256

TARGET = "lite"
FILES = ("main.py", "requirements.txt", "README.txt")
WHEEL = f"xl_factor-{__version__}-py3-none-any.whl"
PLACEHOLDER = f"https://YOUR-HOST/PATH/{WHEEL}"
#: Ranges are read two-dimensionally; single values (numbers, text, TRUE/FALSE) as they come.
RANGE_KINDS = ("table", "numbers", "number_or_table")
SCALAR_KINDS = ("number", "text", "bool")

HEADER = '''"""xl_factor's FM_* worksheet functions for xlwings Lite: paste this into the xlwings Lite editor (main.py).

GENERATED from xl_factor.sheet.catalogue by xl_factor.install.lite (xl_factor {version}); do not edit.
The xl_factor package must be in requirements.txt (a wheel URL): see README.txt next to this file.
Blank and error cells arrive as None (missing); dates arrive as serial numbers; a blank result is None.
"""

import xlwings
from xlwings import arg, func

from xl_factor.sheet.catalogue import call
from xl_factor.sheet.cells import as_cells

RUNTIME = "xlwings Lite " + xlwings.__version__


def _run(name, *args):
    return as_cells(call(name, *args, runtime=RUNTIME), blank=None)
'''


def _signature(function) -> str:
    return ", ".join(f"{a.name}={a.default!r}" if a.optional else a.name for a in function.args)


def render_function(function) -> str:
    lines = ["", "", "", "@func"]
    for a in function.args:
        if a.kind not in RANGE_KINDS + SCALAR_KINDS:
            raise ValueError(f"{function.name}: argument kind {a.kind!r} is new: decide how Lite should read it")
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
    """requirements.txt: xl_factor's dependencies (Pyodide builds numpy, pandas, statsmodels: not pinned), the wheel."""
    return "\n".join(["numpy", "pandas", "statsmodels", "openpyxl", wheel_url or PLACEHOLDER]) + "\n"


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
    "not verified in Excel 365 here (no Excel): main.py was imported with this Python's xlwings decorators and with "
    "stand-ins that record what Lite's @func/@arg read, and its functions were called on Excel-shaped lists and "
    "compared with xl_factor.sheet.catalogue.call",
    "blank and error cells: xlwings 0.37.8's Lite conversion reads both as None (missing); older xlwings docs "
    "said blanks arrive as 0: where a blank return matters, mark it #N/A",
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
                "requirements.txt": "requirements.txt: numpy, pandas, statsmodels, openpyxl and the xl_factor wheel "
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
