"""xlwings' Windows UDF path, run on Linux: support code for the xlwings front-door tests.

Not a test file. On Linux ``xlwings.func/arg/ret`` are pass-through
decorators; the real ones (and ``call_udf``, the VBA generator and
``import_udfs``) live in ``xlwings/udfs.py``, which imports pywin32 at module
level. :func:`activate` makes that module importable and runnable:

1. stand-ins for ``pythoncom``, ``pywintypes`` and ``win32com.client`` go into
   ``sys.modules`` (only the names ``xlwings.udfs`` touches);
2. ``xlwings.udfs`` is imported and its decorators are bound to ``xlwings.func``,
   ``arg``, ``ret``, ``sub`` and ``script``, as ``xlwings/__init__.py`` does on
   Windows;
3. a stand-in ``xlwings._xlwindows`` is installed. Its value cleaning
   (``cell_errors``, ``_clean_value_data_element``, the ``Engine`` ...) is the
   code of the installed ``_xlwindows.py``, extracted with ``ast`` and
   executed, so it cannot drift from the installed xlwings; the engine is
   registered as ``excel``, which ``xlwings.conversion`` looks up;
4. a stand-in ``xlwings.com_server`` provides ``loop`` (``call_udf`` imports
   it) and ``CallUDF``, the method ``XLPython.CallUDF`` of the installed
   ``com_server.py``, also extracted verbatim: the squeeze that turns a 1 x 1
   result into a scalar and a 1 x N result into a flat list before COM.

Decorators bind when a UDF module is imported, so call :func:`activate` in a
fresh interpreter before importing it (``tests/xlwings_windows_check.py``
does). ``xlwings.server`` and ``xlwings.pro`` are not used.

What COM hands a UDF (and what the helpers here build): a scalar for one
cell, else a tuple of row tuples of ``float``, ``None`` (blank), ``str``,
``bool``, ``pywintypes`` datetimes (time zone UTC, as pywin32 returns them)
and ``int`` codes for error cells; :data:`MISSING` for an omitted
``Optional`` argument; a Range object (:class:`FakeXlRange`) for a cell
reference.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import datetime as dt
import io
import os
import sys
import threading
import traceback
import types

#: What VBA passes for an omitted ``Optional`` argument (DISP_E_PARAMNOTFOUND).
MISSING = -2147352572

#: Error cells as COM hands them over (VT_ERROR codes, ints through pywin32).
XL_ERRORS = {
    "#NULL!": -2146826288,
    "#DIV/0!": -2146826281,
    "#VALUE!": -2146826273,
    "#REF!": -2146826265,
    "#NAME?": -2146826259,
    "#NUM!": -2146826252,
    "#N/A": -2146826246,
}

#: Start of the text a cell shows when a UDF raised (pywin32's COM exception text).
UNEXPECTED = "Unexpected Python Error"

_STANDIN = "__xlwings_windows_standin__"
_STATE: dict = {}


def _module(name: str, **attrs) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    setattr(module, _STANDIN, True)
    return module


def _no_com(*_args, **_kwargs):
    raise NotImplementedError("COM is not available in the Linux stand-in")


def install_win32_standins() -> None:
    """Put stand-ins for ``pythoncom``, ``pywintypes`` and ``win32com(.client)`` into ``sys.modules``."""
    names = ("pythoncom", "pywintypes", "win32com", "win32com.client")
    for name in names:
        if name in sys.modules and not getattr(sys.modules[name], _STANDIN, False):
            raise RuntimeError(f"the real {name} is loaded; these stand-ins are for machines without pywin32")

    class com_error(Exception):
        pass

    class TimeType(dt.datetime):
        """``pywintypes.TimeType``: the datetime type COM values arrive as."""

    pywintypes = _module("pywintypes", com_error=com_error, TimeType=TimeType, datetime=TimeType, IID=str)
    pythoncom = _module(
        "pythoncom",
        com_error=com_error,
        CoInitialize=lambda: None,  # xlwings.udfs: ThreadPoolExecutor initializer
        CoUninitialize=lambda: None,
        IID_IDispatch="{00020400-0000-0000-C000-000000000046}",
        CoMarshalInterThreadInterfaceInStream=_no_com,  # ComRange only ("caller" argument)
        CoGetInterfaceAndReleaseStream=_no_com,
    )
    client = _module("win32com.client", Dispatch=_no_com)
    win32com = _module("win32com", client=client, __path__=[])
    sys.modules.update({"pywintypes": pywintypes, "pythoncom": pythoncom, "win32com": win32com,
                        "win32com.client": client})


def _parse(path: str) -> ast.Module:
    with open(path, encoding="utf-8") as handle:
        return ast.parse(handle.read(), filename=path)


def extract(path: str, names, namespace: dict) -> dict:
    """Execute the top-level definitions and assignments ``names`` of ``path`` into ``namespace``."""
    wanted, found, body = set(names), set(), []
    for node in _parse(path).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in wanted:
            found.add(node.name)
            body.append(node)
        elif isinstance(node, ast.Assign):
            targets = {t.id for t in node.targets if isinstance(t, ast.Name)} & wanted
            if targets:
                found |= targets
                body.append(node)
    if wanted - found:
        raise RuntimeError(f"{path}: not found {sorted(wanted - found)}; xlwings changed, adapt the stand-ins")
    exec(compile(ast.Module(body=body, type_ignores=[]), path, "exec"), namespace)
    return namespace


def extract_method(path: str, cls: str, method: str, namespace: dict):
    """Execute method ``cls.method`` of ``path`` as a plain function in ``namespace`` and return it."""
    for node in _parse(path).body:
        if isinstance(node, ast.ClassDef) and node.name == cls:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == method:
                    exec(compile(ast.Module(body=[item], type_ignores=[]), path, "exec"), namespace)
                    return namespace[method]
    raise RuntimeError(f"{path}: {cls}.{method} not found; xlwings changed, adapt the stand-ins")


class FakeXlRange:
    """The COM Range object a cell reference arrives as (``=FM_BETA(A1:B100, ...)``).

    ``Value`` is what ``Range.Value`` returns over COM: a scalar for one
    cell, else a tuple of row tuples. ``sub`` gives the sub-range xlwings
    reads when it splits a large read into chunks.
    """

    def __init__(self, value, _root=None, _r0=0, _c0=0, _shape=None):
        if _root is None:
            _root = [tuple(row) for row in value] if isinstance(value, (tuple, list)) else [(value,)]
            _shape = (len(_root), len(_root[0]))
        self.root, self.r0, self.c0 = _root, _r0, _c0
        self.nrows, self.ncols = _shape

    @property
    def Value(self):  # noqa: N802 - the COM property name
        if self.nrows == 1 and self.ncols == 1:
            return self.root[self.r0][self.c0]
        return tuple(tuple(row[self.c0:self.c0 + self.ncols]) for row in self.root[self.r0:self.r0 + self.nrows])

    def sub(self, r0, c0, nrows, ncols):
        return FakeXlRange(None, self.root, r0, c0, (nrows, ncols))


def _xlwindows_module(ns: dict) -> types.ModuleType:
    """Stand-in ``xlwings._xlwindows``: the extracted engine and cleaning code, and a Range over FakeXlRange."""
    from xlwings import base_classes

    class _App:
        engine = ns["engine"]
        pid = 0

    class _Book:
        app = _App()
        name = "Book1.xlsx"

    class _Sheet:
        book = _Book()
        name = "Sheet1"

        def __init__(self, root):
            self._root = root

        def range(self, cell1, cell2=None):
            row, col, nrows, ncols = cell1  # how xlwings.main.Range slices ask for a sub-range
            return Range(self._root.sub(row - 1, col - 1, nrows, ncols))

    class Range(base_classes.Range):
        def __init__(self, xl):
            self.xl = xl

        @property
        def api(self):
            return self.xl

        @property
        def shape(self):
            return self.xl.nrows, self.xl.ncols

        @property
        def row(self):
            return self.xl.r0 + 1

        @property
        def column(self):
            return self.xl.c0 + 1

        @property
        def sheet(self):
            return _Sheet(FakeXlRange(None, self.xl.root, 0, 0, (len(self.xl.root), len(self.xl.root[0]))))

        def __len__(self):
            return self.xl.nrows * self.xl.ncols if self.xl is not None else 0

        @property
        def raw_value(self):
            return self.xl.Value if self.xl is not None else None

    module = _module("xlwings._xlwindows", Range=Range, BOOK_CALLER=None,
                     is_range_instance=lambda xl: isinstance(xl, FakeXlRange))
    for name in ("engine", "Engine", "cell_errors", "time_types", "_clean_value_data_element",
                 "_com_time_to_datetime", "_datetime_to_com_time"):
        setattr(module, name, ns[name])
    return module


def activate():
    """Install everything (idempotent) and return the real ``xlwings.udfs`` module.

    Call before importing a UDF module, in a process that has not imported it yet.
    """
    if "udfs" in _STATE:
        return _STATE["udfs"]
    install_win32_standins()
    import numpy as np
    import pandas as pd
    import xlwings
    import xlwings.udfs as udfs
    from xlwings.utils import np_datetime_to_datetime

    package = os.path.dirname(xlwings.__file__)

    # Engine and value cleaning, verbatim from the installed _xlwindows.py.
    win32timezone = _module("win32timezone", TimeZoneInfo=types.SimpleNamespace(utc=lambda: dt.timezone.utc))
    ns = {"dt": dt, "np": np, "pd": pd, "pywintypes": sys.modules["pywintypes"], "win32timezone": win32timezone,
          "np_datetime_to_datetime": np_datetime_to_datetime}
    extract(os.path.join(package, "_xlwindows.py"),
            ["time_types", "cell_errors", "_clean_value_data_element", "_com_time_to_datetime",
             "_datetime_to_com_time", "Engine", "engine"], ns)
    xlwindows = _xlwindows_module(ns)
    sys.modules["xlwings._xlwindows"] = xlwindows
    xlwings._xlwindows = xlwindows
    if "excel" not in xlwings.engines.engines_by_name:
        xlwings.engines.add(xlwings.main.Engine(impl=ns["engine"]))
    # Windows also makes "excel" the active engine; UDFs do not need it, so it is left alone.

    # com_server: the event loop call_udf imports, and XLPython.CallUDF verbatim.
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True, name="xlwings-com-loop").start()
    call_udf_squeezed = extract_method(os.path.join(package, "com_server.py"), "XLPython", "CallUDF",
                                       {"FromVariant": lambda v: v, "call_udf": udfs.call_udf})
    com_server = _module("xlwings.com_server", loop=loop, CallUDF=call_udf_squeezed)
    sys.modules["xlwings.com_server"] = com_server
    xlwings.com_server = com_server

    # The Windows branch of xlwings/__init__.py.
    xlwings.func, xlwings.arg, xlwings.ret = udfs.xlfunc, udfs.xlarg, udfs.xlret
    xlwings.sub = xlwings.script = udfs.xlsub
    xlwings.import_udfs, xlwings.get_udf_module = udfs.import_udfs, udfs.get_udf_module
    _STATE["udfs"] = udfs
    return udfs


def com_date(value: dt.date) -> dt.datetime:
    """A date cell as pywin32 hands it over: ``pywintypes.TimeType`` at midnight, UTC."""
    time_type = sys.modules["pywintypes"].TimeType
    return time_type(value.year, value.month, value.day, tzinfo=dt.timezone.utc)


def com_args(func, args) -> tuple:
    """The argument tuple VBA passes (``Array(a, b, c)``): every declared argument, omitted ones as MISSING."""
    declared = [a for a in func.__xlfunc__["args"] if not a["vba"]]
    if any(a["vararg"] for a in declared):
        return tuple(args)
    if len(args) > len(declared):
        raise TypeError(f"{func.__xlfunc__['name']} takes {len(declared)} arguments in Excel, got {len(args)}")
    return tuple(args) + (MISSING,) * (len(declared) - len(args))


def replay(func, *args):
    """What the cell receives for ``=FUNC(args...)``: ``XLPython.CallUDF`` over the real ``call_udf``.

    When Python raises, the VBA wrapper (``On Error GoTo failed``) puts the
    COM error text into the cell: pywin32's ``Unexpected Python Error: ``
    followed by the traceback; that text is returned.
    """
    com_server = sys.modules["xlwings.com_server"]
    try:
        return com_server.CallUDF(None, func.__module__, func.__xlfunc__["name"], com_args(func, args))
    except Exception as error:  # noqa: BLE001 - this is what the cell would show
        return f"{UNEXPECTED}: " + "".join(traceback.format_exception(error))


class _Workbook:
    """The workbook ``import_udfs`` gets: records the module it imports and the wizard texts it sets."""

    def __init__(self, name: str):
        self.Name = name
        self.imported: list[str] = []
        self.macro_options: list[dict] = []
        workbook = self

        class _Components:
            def __call__(self, name):
                raise sys.modules["pywintypes"].com_error("no module " + name)

            def Remove(self, component):  # noqa: N802 - COM names
                pass

            def Import(self, path):  # noqa: N802
                with open(path, encoding="utf-8", newline="") as handle:
                    workbook.imported.append(handle.read())

        class _Application:
            Version = "16.0"

            def MacroOptions(self, macro, **options):  # noqa: N802
                workbook.macro_options.append({"macro": macro, **options})

            def Run(self, *args):  # noqa: N802
                raise NotImplementedError(args)

        self.VBProject = types.SimpleNamespace(VBComponents=_Components())
        self.Application = _Application()


def import_functions(module_name: str, workbook_name: str = "xlwings.xlam") -> tuple[str, list[dict]]:
    """Run xlwings' own "Import Functions" (``import_udfs``) into a stand-in workbook.

    Returns the VBA module text Excel would import (header plus
    ``generate_vba_wrapper`` output; ``ActiveWorkbook`` for an ``.xlam``
    add-in, ``ThisWorkbook`` otherwise) and the ``Application.MacroOptions``
    calls (description, category and argument help of the function wizard).
    """
    udfs = activate()
    import xlwings

    if xlwings.__pro__:
        raise RuntimeError("xlwings PRO is active; its import path reads the workbook over COM")
    udfs.get_udf_module(module_name, None)  # import and cache without a workbook (no COM)
    workbook = _Workbook(workbook_name)
    with contextlib.redirect_stdout(io.StringIO()):  # import_udfs prints a confirmation
        udfs.import_udfs(module_name, workbook)
    (text,) = workbook.imported
    return text, workbook.macro_options
