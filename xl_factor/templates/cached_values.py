"""Cached values: every formula cell of a template carries the value LibreOffice with the add-in computed for it.

openpyxl writes a formula with an empty ``<v>``, so a viewer that does not
calculate (Excel's Protected View, previewers, a phone, a recipient without
the add-in) shows empty cells. At build time the builder's xlsx is
recalculated in headless LibreOffice with the add-in
(:func:`xl_factor.libreoffice.recalc.recalculate`, which reads every result
over UNO as a full double), and each result goes into the builder's own file
as the cell's cached value: ``<v>`` after ``<f>``, ``t="str"`` for a text, in
every cell of an array formula's range. LibreOffice's own save is never
shipped: it rewrites the formulas. The workbook keeps ``fullCalcOnLoad``, so a
spreadsheet that calculates recomputes instead of trusting the cache.
LibreOffice reports a logical result as 1 or 0, so a formula whose result is
TRUE/FALSE would be cached as a number; the templates have none
(tests/test_cached_values.py).

A build with cached values refuses (:class:`CachedValuesError`) when
LibreOffice is missing, or when a formula cell computes to an error or an
``#FM!`` line: numbers on open must be right numbers.
"""

from __future__ import annotations

import math
import posixpath
import re
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape, unescape

from openpyxl.utils.cell import column_index_from_string, get_column_letter, range_boundaries

#: Seconds LibreOffice may take to compute a template (about 10 s for factor_hedging.xlsx).
TIMEOUT = 600.0
_ROW = re.compile(r'<row r="(\d+)"([^>]*?)(?:/>|>(.*?)</row>)', re.S)
_CELL = re.compile(r'<c r="([A-Z]+)(\d+)"([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_FORMULA = re.compile(r"<f\b[^>]*?(?:/>|>.*?</f>)", re.S)
_ARRAY_REF = re.compile(r'<f\b[^>]*\bt="array"[^>]*\bref="([A-Z0-9:]+)"')
_VALUE = re.compile(r"<v>(.*?)</v>|<v/>", re.S)
_TYPE = re.compile(r'\s+t="[^"]*"')
_SHEET = re.compile(r'<sheet\b[^>]*\bname="([^"]*)"[^>]*\br:id="([^"]*)"')
_RELATIONSHIP = re.compile(r'<Relationship\b[^>]*\bId="([^"]*)"[^>]*\bTarget="([^"]*)"|'
                           r'<Relationship\b[^>]*\bTarget="([^"]*)"[^>]*\bId="([^"]*)"')


class CachedValuesError(RuntimeError):
    """The cached values cannot be computed or do not fit the workbook; the message says what to do."""


def compute(xlsx: bytes, timeout: float = TIMEOUT) -> dict[tuple[str, str], float | str]:
    """``{(sheet, "A1"): value}`` of every formula cell of ``xlsx``, computed by LibreOffice with the add-in.

    The add-in is installed afresh into a temporary folder, so the values come
    from this checkout's code, not from whatever add-in is installed.
    """
    from ..libreoffice import install, recalc
    from ..libreoffice.office import libreoffice_available

    if not libreoffice_available():
        raise CachedValuesError("LibreOffice with Python UNO is not installed, so the templates cannot carry "
                                "cached values (see scripts/setup.sh); build with --no-cached-values to write "
                                "them without")
    with tempfile.TemporaryDirectory(prefix="xl_factor_cached_", ignore_cleanup_errors=True) as tmp:
        book = Path(tmp) / "book.xlsx"
        book.write_bytes(xlsx)
        try:
            extensions = install.install("private", Path(tmp) / "extensions")
            values = recalc.recalculate(book, extension_dir=extensions, timeout=timeout)
        except (install.InstallError, recalc.RecalcError) as error:
            raise CachedValuesError(f"LibreOffice could not compute the cached values: {error}") from None
    wrong = sorted(f"{sheet}!{cell} = {value}" for (sheet, cell), value in values.items()
                   if isinstance(value, str) and value.startswith(("#", "Err:")))
    if wrong:
        raise CachedValuesError(f"{len(wrong)} formula cells compute to an error, first: {', '.join(wrong[:5])}")
    return values


def sheet_parts(parts: dict[str, bytes]) -> dict[str, str]:
    """Sheet name -> its part (``xl/worksheets/sheet1.xml``), from the workbook and its relationships."""
    rels = parts["xl/_rels/workbook.xml.rels"].decode("utf-8")
    targets = {}
    for match in _RELATIONSHIP.finditer(rels):
        rid, target = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
        targets[rid] = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
    workbook = parts["xl/workbook.xml"].decode("utf-8")
    return {unescape(name, {"&quot;": '"', "&apos;": "'"}): targets[rid] for name, rid in _SHEET.findall(workbook)}


def value_cells(xml: str) -> set[str]:
    """Cells that carry a cached value: every formula cell and every cell of an array formula's range."""
    cells = set()
    for column, row, _, inner in _CELL.findall(xml):
        if inner and _FORMULA.search(inner):
            cells.add(f"{column}{row}")
    for reference in _ARRAY_REF.findall(xml):
        min_col, min_row, max_col, max_row = range_boundaries(reference)
        cells.update(f"{get_column_letter(c)}{r}" for r in range(min_row, max_row + 1)
                     for c in range(min_col, max_col + 1))
    return cells


def add(parts: dict[str, bytes], values: dict[tuple[str, str], float | str]) -> dict[str, bytes]:
    """``parts`` with ``values`` as the cached values of their sheets' formula cells (a new dict).

    ``values`` must hold exactly the cells of :func:`value_cells` of each
    sheet: a value for a cell without a formula, or a formula cell without a
    value, means the values belong to another workbook.
    """
    by_sheet: dict[str, dict[str, float | str]] = {}
    for (sheet, cell), value in values.items():
        by_sheet.setdefault(sheet, {})[cell] = value
    located = sheet_parts(parts)
    unknown = sorted(set(by_sheet) - set(located))
    if unknown:
        raise CachedValuesError(f"values for sheets the workbook does not have: {', '.join(unknown)}")
    out = dict(parts)
    for sheet, part in located.items():
        xml = parts[part].decode("utf-8")
        cells, given = value_cells(xml), by_sheet.get(sheet, {})
        if not cells and not given:
            continue
        if set(given) != cells:
            missing, extra = sorted(cells - set(given)), sorted(set(given) - cells)
            raise CachedValuesError(f"{sheet}: the values do not fit its formula cells (no value for "
                                    f"{missing[:5]}, a value for {extra[:5]} that holds no formula)")
        out[part] = _with_values(xml, given).encode("utf-8")
    return out


def read(parts: dict[str, bytes]) -> dict[tuple[str, str], float | str | None]:
    """The cached value of every cell of :func:`value_cells`: a float, a text, or ``None`` when it has none."""
    found = {}
    for sheet, part in sheet_parts(parts).items():
        xml = parts[part].decode("utf-8")
        cells = value_cells(xml)
        for column, row, attributes, inner in _CELL.findall(xml):
            if f"{column}{row}" in cells:
                found[(sheet, f"{column}{row}")] = _cached(attributes, inner or "")
        for cell in cells:
            found.setdefault((sheet, cell), None)  # an array cell the sheet does not even list
    return found


def _cached(attributes: str, inner: str) -> float | str | None:
    kind = re.search(r'\bt="([^"]*)"', attributes)
    match = _VALUE.search(inner)
    text = unescape(match.group(1) or "") if match else None
    if kind is not None and kind.group(1) in ("str", "e"):
        return "" if text is None else text
    return float(text) if text else None


def _typed(value: float | str) -> tuple[str, str]:
    """The ``t`` attribute and ``<v>`` text of a cached value."""
    if isinstance(value, str):
        return ' t="str"', escape(value)
    if not isinstance(value, float) or not math.isfinite(value):
        raise CachedValuesError(f"cannot cache {value!r}: a finite number or a text is expected")
    if value.is_integer() and abs(value) < 2 ** 53:
        return "", str(int(value))
    return "", repr(value)


def _cell(column: str, row: int, attributes: str, inner: str, value: float | str) -> str:
    kind, text = _typed(value)
    formula = _FORMULA.search(inner)
    return (f'<c r="{column}{row}"{_TYPE.sub("", attributes)}{kind}>{formula.group(0) if formula else ""}'
            f"<v>{text}</v></c>")


def _with_values(xml: str, values: dict[str, float | str]) -> str:
    """The sheet with ``values`` in its cells; cells and rows an array range needs but the sheet omits are added."""
    wanted: dict[int, dict[int, str]] = {}
    for cell, value in values.items():
        column = cell.rstrip("0123456789")
        wanted.setdefault(int(cell[len(column):]), {})[column_index_from_string(column)] = column

    def row_xml(number: int, attributes: str, body: str) -> str:
        cells = {}
        for match in _CELL.finditer(body):
            column, row, cell_attributes, inner = match.groups()
            given = values.get(f"{column}{row}")
            cells[column_index_from_string(column)] = (match.group(0) if given is None else
                                                       _cell(column, number, cell_attributes, inner or "", given))
        for index, column in wanted.pop(number, {}).items():
            if index not in cells:
                cells[index] = _cell(column, number, "", "", values[f"{column}{number}"])
        return f'<row r="{number}"{attributes}>{"".join(cells[i] for i in sorted(cells))}</row>'

    if "</sheetData>" not in xml:
        raise CachedValuesError("a sheet with formulas has no rows")
    head, end = xml.index(">", xml.index("<sheetData")) + 1, xml.index("</sheetData>")
    rows = {}
    for match in _ROW.finditer(xml, head, end):
        number = int(match.group(1))
        rows[number] = row_xml(number, match.group(2), match.group(3) or "")
    for number in sorted(wanted):
        rows[number] = row_xml(number, "", "")
    return xml[:head] + "".join(rows[n] for n in sorted(rows)) + xml[end:]
