"""The shipped template opened in LibreOffice as a person would: its .xlsx (LibreOffice 25.2+) and its .ods (7.x).

No formula is re-entered: each file is loaded over UNO (``loadComponentFromURL``)
with the add-in installed and LibreOffice set to recalculate on load
(``recalc.recalculate(..., as_opened=True)``). Every FM_* cell must be
computed, with the value of the headless recalculation of the same file
(for the xlsx the one that re-enters every formula, which
tests/test_templates_libreoffice.py checks against statsmodels,
linearmodels and numpy; for the .ods a full recalculation, since LibreOffice
stored its data with 15 significant digits), and that module's checks run
again on the opened values. Cached values cannot pass for computed ones: each file
is opened as a copy in which every cached number of a formula cell (array
ranges included) is replaced by a number no cell computes (the .ods caches
what LibreOffice computed when it saved it).

The .ods is made from the shipped xlsx by ``python -m xl_factor.libreoffice.ods``;
a test fails, with that command, when it no longer matches the xlsx.

Tests that need LibreOffice skip without it and FAIL when the environment
variable CI is set; a LibreOffice older than 25.2 cannot bind the xlsx's
names on open, so the xlsx test needs 25.2 or later.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, range_boundaries
from openpyxl.worksheet.formula import ArrayFormula

from conftest import require
from test_templates_libreoffice import (COMMITTED, Book, _read, check_book, check_fama_macbeth, check_first_pass,
                                        check_grs, check_hedging, check_multifactor_computes, check_no_error_cells,
                                        check_regression, check_risk_contributions, check_sample_covariance,
                                        check_series, check_sizing)
from xl_factor.libreoffice import IMPLEMENTATION, office, ods, recalc

SHIPPED_ODS = COMMITTED.with_suffix(".ods")
REGENERATE = f"python -m xl_factor.libreoffice.ods workbook_templates/{COMMITTED.name} --force"
#: An FM_* call in a formula, as the template writes it.
FM_CALL = re.compile(r"(?<![\w.])FM_\w+\s*\(")
#: The largest .ods worth shipping, in bytes.
ODS_LIMIT = 5_000_000
SAME = 1e-12  # opened against re-entered: the same functions on the same cells
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"


def fm_cells(path) -> dict[str, set[str]]:
    """The cells of each sheet that an FM_* formula fills: plain formulas, and array formulas over their range."""
    cells: dict[str, set[str]] = {}
    for ws in load_workbook(path).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, ArrayFormula) and FM_CALL.search(value.text):
                    c1, r1, c2, r2 = range_boundaries(value.ref)
                    cells.setdefault(ws.title, set()).update(
                        f"{get_column_letter(c)}{r}" for r in range(r1, r2 + 1) for c in range(c1, c2 + 1))
                elif isinstance(value, str) and value.startswith("=") and FM_CALL.search(value):
                    cells.setdefault(ws.title, set()).add(cell.coordinate)
    return cells


def fm_anchors(path) -> dict[str, set[str]]:
    """The cells of each sheet of an xlsx that hold an FM_* formula (an array formula: its top-left cell)."""
    anchors: dict[str, set[str]] = {}
    for ws in load_workbook(path).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                text = cell.value.text if isinstance(cell.value, ArrayFormula) else cell.value
                if isinstance(text, str) and text.startswith("=") and FM_CALL.search(text):
                    anchors.setdefault(ws.title, set()).add(cell.coordinate)
    return anchors


def ods_formulas(path) -> dict[str, dict[str, str]]:
    """``{sheet: {"A1": formula}}`` of every formula cell in an .ods's content.xml, repeated rows and cells counted."""
    formulas: dict[str, dict[str, str]] = {}
    with zipfile.ZipFile(path) as archive, archive.open("content.xml") as content:
        sheet, row = None, 0
        for event, element in ET.iterparse(content, events=("start", "end")):
            tag = element.tag
            if event == "start" and tag == f"{TABLE}table":
                sheet, row = element.get(f"{TABLE}name"), 0
            elif event == "start" and tag == f"{TABLE}table-row":
                column = 0
            elif event == "end" and tag in (f"{TABLE}table-cell", f"{TABLE}covered-table-cell"):
                repeat = int(element.get(f"{TABLE}number-columns-repeated", "1"))
                formula = element.get(f"{TABLE}formula")
                if formula is not None:
                    for j in range(repeat):
                        formulas.setdefault(sheet, {})[f"{get_column_letter(column + j + 1)}{row + 1}"] = formula
                column += repeat
                element.clear()
            elif event == "end" and tag == f"{TABLE}table-row":
                row += int(element.get(f"{TABLE}number-rows-repeated", "1"))
                element.clear()
    return formulas


#: What every cached number of a formula cell becomes in the copies that are opened.
FALSE_CACHE = 987654.321


def _rewrite_zip(src, dst, rewrite) -> None:
    """Copy the zip ``src`` to ``dst``, each member's bytes through ``rewrite(name, data)``, entries kept as they are."""
    with zipfile.ZipFile(src) as source, zipfile.ZipFile(dst, "w") as target:
        for item in source.infolist():
            target.writestr(item, rewrite(item.filename, source.read(item.filename)))


def false_cache_xlsx(src, dst) -> int:
    """Copy an xlsx with every cached number of a formula cell (and of array ranges) set to FALSE_CACHE; how many."""
    count = 0
    cell = re.compile(r'<c\b([^>]*?)(?:/>|>(.*?)</c>)', re.S)

    def rewrite(name: str, data: bytes) -> bytes:
        nonlocal count
        if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
            return data
        text = data.decode("utf-8")
        arrays = [range_boundaries(ref) for ref in re.findall(r'<f\b[^>]*\bt="array"[^>]*\bref="([^"]+)"', text)]

        def alter(match: re.Match) -> str:
            nonlocal count
            attributes, body = match.group(1), match.group(2) or ""
            column, row = coordinate_from_string(re.search(r'\br="([A-Z]+\d+)"', attributes).group(1))
            column = column_index_from_string(column)
            in_array = any(c1 <= column <= c2 and r1 <= row <= r2 for c1, r1, c2, r2 in arrays)
            numeric = re.search(r'\bt="(?!n")', attributes) is None
            cached = re.search(r"<v>([^<]+)</v>", body)
            if not (("<f" in body or in_array) and numeric and cached):
                return match.group(0)
            count += 1
            return match.group(0).replace(cached.group(0), f"<v>{FALSE_CACHE!r}</v>")

        return cell.sub(alter, text).encode("utf-8")

    _rewrite_zip(src, dst, rewrite)
    return count


def false_cache_ods(src, dst) -> int:
    """Copy an .ods with every cached number of a formula cell (and of matrix ranges) set to FALSE_CACHE; how many."""
    count = 0
    tag = re.compile(r"<table:table(?=[\s>])[^>]*>|<table:table-row(?=[\s>/])[^>]*>|</table:table-row>"
                     r"|<table:(?:covered-)?table-cell(?=[\s>/])[^>]*>")

    def number(attributes: str, name: str, default: int) -> int:
        found = re.search(rf'\btable:{name}="(\d+)"', attributes)
        return int(found.group(1)) if found else default

    def rewrite(name: str, data: bytes) -> bytes:
        nonlocal count
        if name != "content.xml":
            return data
        state = {"row": 0, "column": 0, "rows": 1, "matrices": []}

        def alter(match: re.Match) -> str:
            nonlocal count
            text = match.group(0)
            if text.startswith("<table:table ") or text == "<table:table>":
                state.update(row=0, matrices=[])
            elif text.startswith("<table:table-row"):
                state.update(column=0, rows=number(text, "number-rows-repeated", 1))
            elif text == "</table:table-row>":
                state["row"] += state["rows"]
            else:
                row, column = state["row"], state["column"]
                state["column"] += number(text, "number-columns-repeated", 1)
                if "table:number-matrix-rows-spanned=" in text:
                    state["matrices"].append((row, column, row + number(text, "number-matrix-rows-spanned", 1) - 1,
                                              column + number(text, "number-matrix-columns-spanned", 1) - 1))
                computed = "table:formula=" in text or any(r1 <= row <= r2 and c1 <= column <= c2
                                                           for r1, c1, r2, c2 in state["matrices"])
                if computed and 'office:value-type="float"' in text:
                    count += 1
                    return re.sub(r'\boffice:value="[^"]*"', f'office:value="{FALSE_CACHE!r}"', text)
            return text

        return tag.sub(alter, data.decode("utf-8")).encode("utf-8")

    _rewrite_zip(src, dst, rewrite)
    return count


@pytest.fixture(scope="module")
def reentered(extension_dir) -> dict:
    """The shipped xlsx recalculated with every FM_* formula re-entered: the reference."""
    return recalc.recalculate(COMMITTED, extension_dir=extension_dir, timeout=600)


@pytest.fixture(scope="module")
def reentered_ods(extension_dir) -> dict:
    """The shipped .ods recalculated in full: the reference for the .ods, whose data LibreOffice stored with
    15 significant digits (``0.005500000000000001`` in the xlsx is ``0.0055`` in the .ods), so its numbers
    can differ from the xlsx's in the last bits."""
    return recalc.recalculate(SHIPPED_ODS, extension_dir=extension_dir, timeout=600)


@pytest.fixture(scope="module")
def expected_cells() -> dict[str, set[str]]:
    return fm_cells(COMMITTED)


def _opened(path, extension_dir) -> dict:
    return recalc.recalculate(path, extension_dir=extension_dir, timeout=600, as_opened=True)


def check_opened(values: dict, reentered: dict, expected_cells: dict[str, set[str]]) -> Counter:
    """Every formula cell equal to the re-entered recalculation, no FM_* cell an error; the numbers per sheet."""
    assert values.keys() == reentered.keys(), "the opened file has other formula cells than the xlsx"
    for key, want in reentered.items():
        got = values[key]
        if isinstance(want, float):
            assert isinstance(got, float) and got == pytest.approx(want, rel=SAME, abs=0), (key, got, want)
        else:
            assert got == want, (key, got, want)
    computed = Counter()
    for sheet, cells in expected_cells.items():
        shown = [values[(sheet, cell)] for cell in cells]
        assert not [v for v in shown if recalc.is_error_result(v)], sheet
        computed[sheet] = sum(isinstance(v, float) for v in shown)
    book = Book(values, *_read(COMMITTED))
    for check in (check_no_error_cells, check_regression, check_series, check_hedging, check_sizing,
                  check_sample_covariance, check_multifactor_computes, check_first_pass, check_fama_macbeth,
                  check_grs, check_risk_contributions, check_book):
        check(book)
    return computed


def test_reference_fills_every_fm_cell(reentered, expected_cells):
    """The reference itself: every FM_* cell of the xlsx is a formula cell of the recalculation, none an error."""
    assert sum(len(cells) for cells in expected_cells.values()) > 10_000
    for sheet, cells in expected_cells.items():
        assert all((sheet, cell) in reentered for cell in cells), sheet
        assert not [c for c in cells if recalc.is_error_result(reentered[(sheet, c)])], sheet


def test_xlsx_opened_in_libreoffice_computes_every_fm_cell(extension_dir, reentered, expected_cells, tmp_path):
    major = re.search(r"LibreOffice (\d+)\.", office.libreoffice_version())
    require(major is not None and int(major.group(1)) >= 25,
            "LibreOffice 25.2 or later (7.x leaves the FM_* names of an xlsx as #NAME? on open; "
            "scripts/setup.sh --test installs 25.2 on Debian 12)")
    copy = tmp_path / COMMITTED.name
    false_cache_xlsx(COMMITTED, copy)
    computed = check_opened(_opened(copy, extension_dir), reentered, expected_cells)
    assert set(computed) == set(expected_cells) and all(computed.values()), computed


def test_ods_opened_in_libreoffice_computes_every_fm_cell(extension_dir, reentered, reentered_ods, expected_cells,
                                                          tmp_path):
    assert reentered_ods.keys() == reentered.keys(), (
        f"{SHIPPED_ODS.name} has other formula cells than {COMMITTED.name}: run {REGENERATE}")
    copy = tmp_path / SHIPPED_ODS.name
    altered = false_cache_ods(SHIPPED_ODS, copy)
    assert altered > 10_000  # the .ods caches what LibreOffice computed when it saved it
    computed = check_opened(_opened(copy, extension_dir), reentered_ods, expected_cells)
    assert set(computed) == set(expected_cells) and all(computed.values()), computed


# ---------------------------------------------------------------- the .ods as shipped (no LibreOffice needed)


def test_ods_was_made_from_the_shipped_xlsx():
    assert SHIPPED_ODS.is_file(), f"{SHIPPED_ODS.name} is missing: run {REGENERATE}"
    assert ods.recorded_source(SHIPPED_ODS) == ods.source_tag(COMMITTED), (
        f"{SHIPPED_ODS.name} was made from another {COMMITTED.name}: run {REGENERATE}")


def test_ods_holds_the_fm_formulas_of_the_xlsx_under_the_addin_names():
    """The same FM_* formula cells per sheet, each calling the add-in by its programmatic name (what 7.x binds)."""
    formulas = ods_formulas(SHIPPED_ODS)
    addin = re.compile(re.escape(IMPLEMENTATION) + r"\.FM\w+\(", re.IGNORECASE)
    found = {sheet: {cell for cell, text in cells.items() if addin.search(text)} for sheet, cells in formulas.items()}
    assert {s: c for s, c in found.items() if c} == fm_anchors(COMMITTED), (
        f"{SHIPPED_ODS.name} has other FM_* formula cells than {COMMITTED.name}: run {REGENERATE}")
    unbound = [(s, c, t) for s, cells in formulas.items() for c, t in cells.items() if FM_CALL.search(t)]
    assert not unbound, f"FM_* names the .ods does not bind to the add-in: {unbound[:3]}"


def test_ods_is_small():
    assert SHIPPED_ODS.stat().st_size < ODS_LIMIT, f"{SHIPPED_ODS.stat().st_size} bytes"
