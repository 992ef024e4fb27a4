"""The shipped template's cached values: in every formula cell, equal to statsmodels and numpy, not stale.

The cached values are what a viewer that does not calculate shows. The
checks of tests/test_templates_libreoffice.py against statsmodels,
linearmodels and numpy (1e-9 relative) run here on the cached values read
from the file's XML (full doubles), not on a recalculation. Without
LibreOffice: presence, types, and openpyxl's view of the result cells. With
LibreOffice: a rebuild computes the same values, and without the add-in the
banner and the guarded cells say so (these skip without LibreOffice and FAIL
when CI is set).
"""

from __future__ import annotations

import math
import re
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.formula import ArrayFormula

import test_templates_libreoffice as lo
from conftest import require
from xl_factor.libreoffice import office, recalc
from xl_factor.templates import build_templates, cached_values, guard, workbook_parts, zip_parts

COMMITTED = Path(__file__).resolve().parents[1] / "workbook_templates" / "factor_hedging.xlsx"
RESULT_SHEETS = ("Regression", "Hedging", "Sizing", "Covariance", "MultiFactor", "Book")
#: A rebuild's values against the committed ones: full doubles, relative; absolute for values that are zero up to
#: rounding (an exposure after a full hedge, a difference of equal covariances).
RTOL, ATOL = 1e-9, 1e-15
#: Cells a viewer looks at, by name (numbers), and blocks of numbers (sheet, top-left, rows, columns).
RESULT_NAMES = ("Alpha", "Beta", "RSquared", "TotalVar", "IdioVar", "FactorShare", "HedgeFull", "HedgeTarget",
                "ShareBefore", "ShareAfter", "SizeUnhedged", "SizeHedged", "SharpeUnhedged", "SharpeHedged",
                "PortfolioVol", "GRSStat", "BookVolBefore", "BookVolAfter", "TrackingError", "BookWorstPnl")
RESULT_BLOCKS = (("Regression", "B10", 2, 6), ("Covariance", "B11", 12, 12), ("Covariance", "B26", 12, 12),
                 ("MultiFactor", "B11", 12, 3), ("MultiFactor", "G11", 12, 4), ("Book", "B16", 3, 3),
                 ("Sizing", "B21", 2, 5))


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture(scope="module")
def cached() -> dict:
    return cached_values.read(_parts(COMMITTED))


@pytest.fixture(scope="module")
def cached_book(cached) -> lo.Book:
    """The committed workbook as test_templates_libreoffice sees a recalculated one, from its cached values."""
    names, data, inputs, ranges = lo._read(COMMITTED)
    return lo.Book(cached, names, data, inputs, ranges)


def _formula_cells(path: Path) -> Counter:
    """Formula cells per sheet counted by openpyxl: every formula cell, and every cell of an array range."""
    counts = Counter()
    for ws in load_workbook(path).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, ArrayFormula):
                    min_col, min_row, max_col, max_row = range_boundaries(cell.value.ref)
                    counts[ws.title] += (max_col - min_col + 1) * (max_row - min_row + 1)
                elif isinstance(cell.value, str) and cell.value.startswith("="):
                    counts[ws.title] += 1
    return counts


def test_every_formula_cell_has_a_cached_value(cached):
    missing = sorted(f"{sheet}!{cell}" for (sheet, cell), value in cached.items() if value is None)
    assert not missing, f"{len(missing)} formula cells without a cached value, first {missing[:5]}"
    counts = Counter(sheet for sheet, _ in cached)
    assert counts == _formula_cells(COMMITTED)
    print("cached values per sheet:", dict(counts), "total", sum(counts.values()))
    assert sum(counts.values()) > 100_000


def test_cached_values_are_numbers_or_texts_never_errors(cached):
    kinds = Counter(type(value).__name__ for value in cached.values())
    assert set(kinds) == {"float", "str"} and kinds["float"] > 18_000
    wrong = [k for k, v in cached.items() if isinstance(v, str) and v.startswith(("#", "Err:"))]
    assert not wrong, wrong[:5]
    assert all(math.isfinite(v) for v in cached.values() if isinstance(v, float))
    with zipfile.ZipFile(COMMITTED) as archive:
        assert not [n for n in archive.namelist() if n.startswith("xl/worksheets/") and 't="e"' in
                    archive.read(n).decode()], "an error cached as t=\"e\""


def test_banners_are_blank_in_the_cache(cached):
    """The cache was computed with the add-in loaded: every banner is blank, every check OK."""
    assert [cached[(sheet, guard.BANNER_CELL)] for sheet in RESULT_SHEETS] == [""] * len(RESULT_SHEETS)
    checks = [v for v in cached.values() if v in ("OK", "CHECK")]
    assert len(checks) >= 11 and set(checks) == {"OK"}
    assert guard.MESSAGE not in cached.values()


@pytest.mark.parametrize("check", sorted(name for name in dir(lo) if name.startswith("test_shipped_")))
def test_cached_values_pass_the_shipped_workbook_checks(cached_book, check):
    """Each check of the recalculated shipped workbook (statsmodels, linearmodels, numpy; 1e-9), on the cache."""
    getattr(lo, check)(cached_book)


def test_openpyxl_data_only_shows_the_numbers_a_viewer_looks_at():
    wb = load_workbook(COMMITTED, data_only=True)
    for name in RESULT_NAMES:
        ((sheet, ref),) = list(wb.defined_names[name].destinations)
        value = wb[sheet][ref.replace("$", "")].value
        assert isinstance(value, (int, float)) and math.isfinite(value), (name, value)  # an integral double: int
    for sheet, top_left, rows, cols in RESULT_BLOCKS:
        ws = wb[sheet]
        block = [[c.value for c in row] for row in
                 ws.iter_rows(min_row=ws[top_left].row, max_row=ws[top_left].row + rows - 1,
                              min_col=ws[top_left].column, max_col=ws[top_left].column + cols - 1)]
        assert all(isinstance(v, (int, float)) for row in block for v in row), (sheet, top_left, block)
    hedged = [wb["Hedging"][f"S{r}"].value for r in range(4, 4 + 819)]
    assert all(isinstance(v, float) for v in hedged) and len(set(hedged)) > 800  # not 1.000 on every row
    assert wb["Hedging"]["S823"].value is None  # "" after the last date


# ---------------------------------------------------------------- with LibreOffice


@pytest.fixture(scope="module")
def libreoffice():
    require(office.libreoffice_available(), "LibreOffice with Python UNO")


def test_a_rebuild_computes_the_committed_values(libreoffice, cached, tmp_path):
    """Not stale: rebuilding from the same data gives the same formulas and, to 1e-9, the same cached values."""
    (rebuilt,) = build_templates(tmp_path)
    fresh = cached_values.read(_parts(rebuilt))
    assert set(fresh) == set(cached), "the formula cells changed: rebuild with `python -m xl_factor.templates`"
    texts = {k for k, v in cached.items() if isinstance(v, str)}
    assert {k: fresh[k] for k in texts} == {k: cached[k] for k in texts}
    keys = sorted(set(cached) - texts)
    np.testing.assert_allclose([fresh[k] for k in keys], [cached[k] for k in keys], rtol=RTOL, atol=ATOL)
    # Apart from the cached doubles (which another numpy or LibreOffice may round differently), the same bytes.
    committed = _parts(COMMITTED)
    same_values = cached_values.add(_parts(rebuilt), cached)
    assert [n for n in committed if committed[n] != same_values[n]] == []


def test_without_the_add_in_the_banner_and_the_guarded_cells_say_so(libreoffice):
    """Recalculated in LibreOffice with no extension at all: #NAME? in FM_* cells, the message where guarded."""
    with tempfile.TemporaryDirectory(prefix="xl_factor_no_addin_") as empty:
        values = recalc.recalculate(COMMITTED, extension_dir=empty, timeout=300)
    assert values[("Hedging", "B8")] == "#NAME?"  # FM_BETA: the add-in really is absent
    assert [values[(sheet, guard.BANNER_CELL)] for sheet in RESULT_SHEETS] == [guard.MESSAGE] * len(RESULT_SHEETS)
    checks = ["Regression!C26", "Hedging!C10", "Hedging!C19", "Hedging!C24", "Sizing!G21", "Sizing!G22",
              "MultiFactor!C80", "MultiFactor!C81", "Book!C27", "Book!C55", "Book!C56"]
    assert [values[tuple(c.split("!"))] for c in checks] == [guard.MESSAGE] * len(checks)
    hedged = [values[("Hedging", f"S{r}")] for r in range(4, 4 + 819)]
    assert set(hedged) == {guard.MESSAGE} and values[("Hedging", "S823")] == ""
    assert values[("Sizing", "E6")] == "OK"  # periods per year from the dates: no FM_* involved
    assert isinstance(values[("Hedging", "R822")], float)  # the unhedged growth of 1 needs no add-in


def test_no_formula_returns_a_logical():
    """LibreOffice reports TRUE/FALSE as 1/0, which would be cached as numbers: no formula's result is a logical."""
    logical = re.compile(r"(?:AND|OR|NOT|XOR|TRUE|FALSE|IS[A-Z]+|EXACT)\(")
    found = []
    for ws in load_workbook(COMMITTED).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                text = cell.value.text if isinstance(cell.value, ArrayFormula) else cell.value
                if not (isinstance(text, str) and text.startswith("=")):
                    continue
                body, depth, outer = re.sub(r'"[^"]*"', '""', text[1:]), 0, ""
                for ch in body:
                    depth += (ch == "(") - (ch == ")")
                    outer += ch if depth == 0 and ch not in "()" else ""
                if re.search(r"[<>=]", outer) or logical.match(body):
                    found.append(f"{ws.title}!{cell.coordinate}: {text}")
    assert not found, found[:5]


def test_cached_values_fill_array_cells_and_rows_the_sheet_omits(tmp_path):
    """An unstyled array range has no cells below its first one in openpyxl's XML: they are added, in order."""
    wb = Workbook()
    ws = wb.active
    ws.title = "S"
    ws["C1"] = "label"
    ws["A1"] = ArrayFormula("A1:B3", "=FM_BETA(X,Y)")
    ws["D5"] = "=1/3"
    parts = workbook_parts(wb)
    values = {("S", "A1"): 0.1, ("S", "B1"): "b", ("S", "A2"): 2.0, ("S", "B2"): "", ("S", "A3"): 1e-300,
              ("S", "B3"): -7.25, ("S", "D5"): 1 / 3}
    with_values = cached_values.add(parts, values)
    assert cached_values.read(with_values) == values
    path = tmp_path / "t.xlsx"
    path.write_bytes(zip_parts(with_values))
    shown = load_workbook(path, data_only=True)["S"]
    assert [[c.value for c in row] for row in shown.iter_rows(min_row=1, max_row=5, max_col=4)] == [
        [0.1, "b", "label", None], [2, None, None, None], [1e-300, -7.25, None, None], [None] * 4,
        [None, None, None, 1 / 3]]
    formulas = load_workbook(path)["S"]
    assert formulas["A1"].value.ref == "A1:B3" and formulas["D5"].value == "=1/3"
    with pytest.raises(cached_values.CachedValuesError, match="no value for"):
        cached_values.add(parts, {k: v for k, v in values.items() if k != ("S", "B3")})
    with pytest.raises(cached_values.CachedValuesError, match="holds no formula"):
        cached_values.add(parts, {**values, ("S", "C1"): 1.0})
