"""Inner script of tests/test_xlwings_udfs.py: xl_factor.udfs through xlwings' Windows UDF path.

Runs in a fresh interpreter, because the xlwings decorators bind when
``xl_factor.udfs`` is imported: activates the stand-ins of
``tests/xlwings_windows.py``, imports ``xl_factor.udfs`` and reports, as one
JSON object on stdout, the ``__xlfunc__`` metadata of its functions, the VBA
module and function-wizard texts of xlwings' "Import Functions", and the
cells of the calls it was asked to replay (with the Python types of the
values handed back to COM, which JSON would hide).

    python tests/xlwings_windows_check.py < request.json   # what the test runs
    python tests/xlwings_windows_check.py --write-golden   # rewrite tests/golden/xlwings_udfs.bas
    python tests/xlwings_windows_check.py --show-vba       # print the VBA module

The request is ``{"inputs": {name: value}, "calls": {id: {"func": name, "args": [value, ...]}}}``
in JSON: a list is a tuple (a range is a tuple of row tuples),
``{"$date": "YYYY-MM-DD"}`` a date cell (a pywintypes datetime, UTC),
``{"$decimal": "1.5"}`` a currency-formatted cell (``decimal.Decimal``),
``{"$range": value}`` a cell reference (a COM Range object whose ``Value`` is
``value``), ``{"$ref": name}`` one of the inputs. Omitted trailing arguments
are passed as VBA's missing marker.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import json
import sys
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
GOLDEN = TESTS / "golden" / "xlwings_udfs.bas"
MODULE = "xl_factor.udfs"
WORKBOOK = "xlwings.xlam"  # the add-in: functions imported with ImportPythonUDFsToAddin

sys.path[:0] = [str(REPO), str(TESTS)]

import xlwings_windows  # noqa: E402


def decoder(inputs: dict, cells: dict | None = None):
    """A function turning request JSON into what COM hands a UDF.

    ``{"$cell": call_id}`` is what a reference to the cell of an earlier
    call hands over: the value that cell shows (its one value, for a result
    of one cell).
    """
    cache: dict = {}

    def decode(value):
        if isinstance(value, list):
            return tuple(decode(v) for v in value)
        if isinstance(value, dict):
            (tag, inner), = value.items()
            if tag == "$date":
                return xlwings_windows.com_date(dt.date.fromisoformat(inner))
            if tag == "$decimal":
                return decimal.Decimal(inner)
            if tag == "$range":
                return xlwings_windows.FakeXlRange(decode(inner))
            if tag == "$cell":
                shown = cells[inner]
                while isinstance(shown, (list, tuple)) and len(shown) == 1:
                    shown = shown[0]
                return shown
            if tag == "$ref":
                if inner not in cache:
                    cache[inner] = decode(inputs[inner])
                return cache[inner]
            raise ValueError(f"unknown tag {tag}")
        return value

    return decode


def metadata(module) -> dict:
    """``__xlfunc__`` of every function in ``module`` that has it, as JSON."""
    out = {}
    for name in dir(module):
        xlf = getattr(getattr(module, name), "__xlfunc__", None)
        if xlf is None:
            continue
        out[name] = {
            "name": xlf["name"],
            "sub": xlf["sub"],
            "category": xlf["category"],
            "call_in_wizard": xlf["call_in_wizard"],
            "volatile": xlf["volatile"],
            "async_mode": xlf["async_mode"],
            "args": [{"name": a["name"], "pos": a["pos"], "doc": a["doc"], "vba": a["vba"], "vararg": a["vararg"],
                      "options": a["options"], "has_default": "optional" in a, "default": a.get("optional")}
                     for a in xlf["args"]],
            "ret": xlf["ret"],
        }
    return out


def _flat(cell):
    if isinstance(cell, (list, tuple)):
        for item in cell:
            yield from _flat(item)
    else:
        yield cell


def run(request: dict) -> dict:
    started = time.perf_counter()
    xlwings_windows.activate()
    import xlwings

    import xl_factor.udfs as module

    vba, wizard = xlwings_windows.import_functions(MODULE, WORKBOOK)
    cells, types = {}, {}
    decode = decoder(request.get("inputs", {}), cells)
    for call_id, call in request.get("calls", {}).items():
        func = getattr(module, call["func"])
        cells[call_id] = cell = xlwings_windows.replay(func, *[decode(a) for a in call["args"]])
        types[call_id] = sorted({type(c).__name__ for c in _flat(cell)})
    return {
        "xlwings": xlwings.__version__,
        "module_file": module.__file__,
        "fm_names": sorted(n for n in dir(module) if n.upper().startswith("FM_")),
        "functions": metadata(module),
        "vba": vba,
        "wizard": wizard,
        "cells": cells,
        "types": types,
        "seconds": time.perf_counter() - started,
    }


def main(argv: list[str]) -> int:
    if argv[1:2] == ["--write-golden"]:
        xlwings_windows.activate()
        vba, _ = xlwings_windows.import_functions(MODULE, WORKBOOK)
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(vba, encoding="utf-8", newline="")
        print(f"wrote {GOLDEN}")
        return 0
    if argv[1:2] == ["--show-vba"]:
        xlwings_windows.activate()
        print(xlwings_windows.import_functions(MODULE, WORKBOOK)[0], end="")
        return 0
    if argv[1:]:
        print(__doc__, file=sys.stderr)
        return 2
    request = json.load(sys.stdin)
    stdout = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):  # nothing but the JSON goes to stdout
        result = run(request)
    json.dump(result, stdout, default=repr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
