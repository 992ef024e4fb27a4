"""Writes ``xl_factor/udfs.py``, the xlwings front door, from the catalogue.

Each function gets the decorator stack xlwings reads (``@xw.func`` with the
category, ``@xw.arg(..., "raw", doc=...)`` per argument, ``@xw.ret("raw")``)
above a signature that matches the catalogue, so Excel's function wizard shows
the catalogue's help. ``raw`` skips xlwings' per-cell cleaning on the way in
and its per-cell write loop on the way out: the sheet boundary does both,
vectorised. ``python -m xl_factor.frontdoors.xlwings_module`` rewrites the
file; a test fails when the committed file differs.
"""

from __future__ import annotations

from pathlib import Path

from ..sheet.catalogue import CATALOGUE, CATEGORY, Function

TARGET = Path(__file__).resolve().parents[1] / "udfs.py"

HEADER = '''"""xlwings front door: the FM_* worksheet functions for Excel.

GENERATED from xl_factor.sheet.catalogue by xl_factor.frontdoors.xlwings_module;
do not edit. Set "UDF MODULES" to xl_factor.udfs and import the functions.
"""

import xlwings as xw

from xl_factor.sheet.catalogue import call
from xl_factor.sheet.cells import as_cells


def _run(name, *args):
    return as_cells(call(name, *args, runtime="xlwings " + xw.__version__), blank="")
'''


def _signature(function: Function) -> str:
    parts = []
    for arg in function.args:
        parts.append(f"{arg.name}={arg.default!r}" if arg.optional else arg.name)
    return ", ".join(parts)


def render_function(function: Function) -> str:
    lines = ["", "", "", f"@xw.func(category={CATEGORY!r})"]
    for arg in function.args:
        lines.append(f"@xw.arg({arg.name!r}, 'raw', doc={arg.doc!r})")
    lines.append("@xw.ret('raw')")
    lines.append(f"def {function.name}({_signature(function)}):")
    lines.append(f"    {function.doc!r}")
    names = ", ".join(a.name for a in function.args)
    lines.append(f"    return _run({function.name!r}{', ' + names if names else ''})")
    return "\n".join(lines)


def render() -> str:
    """The full text of ``udfs.py``."""
    return HEADER + "".join(render_function(f) for f in CATALOGUE) + "\n"


def main() -> None:
    TARGET.write_text(render())
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
