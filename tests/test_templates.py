"""The template workbooks: committed files equal a fresh build, and their structure holds.

The staleness check needs no LibreOffice: a fresh build without cached values,
given the committed file's cached values, must give the committed file byte
for byte (tests/test_cached_values.py checks the cached values themselves).

Structure is read back with openpyxl: sheets, named ranges, validated
inputs, no macros or external links, native charts, and every FM_* formula
calls a catalogue function with a valid number of arguments over an
array-formula range of the documented shape (FUNCTIONS.md).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.formula import ArrayFormula

from xl_factor.datasets import ff_monthly
from xl_factor.sheet.catalogue import BY_NAME
from xl_factor.templates import build_templates, cached_values, guard

REPO = Path(__file__).resolve().parents[1]
COMMITTED = REPO / "workbook_templates" / "factor_hedging.xlsx"

SHEETS = ["Guide", "Data", "Excess", "Regression", "Hedging", "Sizing", "Covariance", "MultiFactor", "Book"]
RESULT_SHEETS = SHEETS[3:]
INPUTS = {"AssetName", "FactorName", "CovType", "Position", "TargetShare", "VolBudget", "Horizon", "PeriodsPerYear",
          "BookCapital"}
#: Named input ranges: every cell is an input like those of INPUTS.
INPUT_RANGES = {"PortfolioWeights", "BookPositions", "BookShockValues"}
DATA_COLUMNS = ["Date", "NoDur", "Durbl", "Manuf", "Enrgy", "Chems", "BusEq", "Telcm", "Utils", "Shops", "Hlth",
                "Money", "Other", "MktRF", "SMB", "HML", "RF"]
#: Periods covered by the generous ranges (a header row on top).
CAPACITY = 5000
_STAMPS = re.compile(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    (path,) = build_templates(tmp_path_factory.mktemp("templates"), cached=False)
    return path


@pytest.fixture(scope="module")
def wb():
    return load_workbook(COMMITTED)


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["docProps/core.xml"] = _STAMPS.sub(b"", parts["docProps/core.xml"])
    return parts


# --- staleness -----------------------------------------------------------------------------------------

REBUILD = "rebuild with `python -m xl_factor.templates` (LibreOffice needed) and commit the result"


def test_committed_workbook_equals_a_fresh_build(built):
    assert COMMITTED.exists(), f"workbook_templates/factor_hedging.xlsx is missing: {REBUILD}"
    committed, fresh = _parts(COMMITTED), _parts(built)
    assert sorted(committed) == sorted(fresh), f"parts differ: {REBUILD}"
    cached = cached_values.read(committed)
    uncached = sorted(f"{sheet}!{cell}" for (sheet, cell), value in cached.items() if value is None)
    assert not uncached, f"{len(uncached)} formula cells without a cached value, first {uncached[:5]}: {REBUILD}"
    try:
        fresh = cached_values.add(fresh, cached)
    except cached_values.CachedValuesError as error:
        pytest.fail(f"the formula cells changed ({error}): {REBUILD}")
    stale = [name for name in fresh if committed[name] != fresh[name]]
    assert not stale, f"stale parts {stale}: {REBUILD}"


def test_build_is_reproducible(built, tmp_path):
    (again,) = build_templates(tmp_path, cached=False)
    assert again.read_bytes() == built.read_bytes()


# --- references ----------------------------------------------------------------------------------------

def _dims(reference: str) -> tuple[int, int, int, int]:
    min_col, min_row, max_col, max_row = range_boundaries(reference.replace("$", ""))
    return min_col, min_row, max_col, max_row


def _resolve(wb, text: str, sheet: str):
    """(sheet, min_col, min_row, max_col, max_row) of a name or A1 reference, else None."""
    text = text.strip()
    if text in wb.defined_names:
        ((target, reference),) = list(wb.defined_names[text].destinations)
        return (target, *_dims(reference))
    match = re.fullmatch(r"(?:(\w+)!)?(\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?)", text)
    if match:
        return (match.group(1) or sheet, *_dims(match.group(2)))
    return None


def _shape(box) -> tuple[int, int]:
    _, min_col, min_row, max_col, max_row = box
    return max_row - min_row + 1, max_col - min_col + 1


def test_every_sheet_is_present_in_order(wb):
    assert wb.sheetnames == SHEETS


def test_named_ranges_resolve(wb):
    assert INPUTS | INPUT_RANGES <= set(wb.defined_names)
    for name, defined in wb.defined_names.items():
        destinations = list(defined.destinations)
        assert len(destinations) == 1, name
        sheet, reference = destinations[0]
        assert sheet in wb.sheetnames, f"{name} points at a missing sheet {sheet}"
        min_col, min_row, max_col, max_row = _dims(reference)
        assert 1 <= min_row <= max_row and 1 <= min_col <= max_col, name


def test_generous_ranges_have_a_header_and_the_same_rows(wb):
    """Every data range starts at a header row and covers the same CAPACITY periods, so rows match by position."""
    series = ["Returns", "Factors", "RiskFree", "DataDates", "ExcessReturns", "AssetSeries", "FactorSeries",
              "SeriesDates", "TrackingSeries", "HedgedSeries"]
    for name in series:
        box = _resolve(wb, name, "")
        assert _shape(box)[0] == CAPACITY + 1, name
        sheet, min_col, min_row, max_col, _ = box
        for column in range(min_col, max_col + 1):
            head = wb[sheet].cell(row=min_row, column=column).value
            assert isinstance(head, str) and head and (not head.startswith("=") or head.startswith('=""&')), \
                f"{name}: header {head!r} is not text"
    # Data rows r and series rows r + 2 are the same period.
    assert _resolve(wb, "Returns", "")[2] + 2 == _resolve(wb, "AssetSeries", "")[2]
    assert _resolve(wb, "ExcessReturns", "")[2] == _resolve(wb, "Returns", "")[2]


# --- data ----------------------------------------------------------------------------------------------

def test_data_is_the_bundled_history(wb):
    ws = wb["Data"]
    assert [c.value for c in ws[1]] == DATA_COLUMNS
    frame = ff_monthly()[DATA_COLUMNS[1:]]
    rows = list(ws.iter_rows(min_row=2, max_row=len(frame) + 1, values_only=True))
    assert [r[0] for r in rows] == [d.to_pydatetime() for d in frame.index]
    # openpyxl writes 16 significant digits: equal to the bundled doubles within one unit in the last place.
    np.testing.assert_allclose(np.array([r[1:] for r in rows], dtype=float), frame.to_numpy(), rtol=5e-16, atol=0)
    assert ws.max_row == len(frame) + 1
    assert ws.cell(row=2, column=1).is_date


def test_excess_sheet_subtracts_rf_in_every_row_of_the_range(wb):
    ws = wb["Excess"]
    assert ws.cell(row=2, column=2).value == '=IF(COUNT(Data!B2,Data!$Q2)=2,Data!B2-Data!$Q2,"")'
    assert ws.cell(row=CAPACITY + 1, column=13).value == \
        f'=IF(COUNT(Data!M{CAPACITY + 1},Data!$Q{CAPACITY + 1})=2,Data!M{CAPACITY + 1}-Data!$Q{CAPACITY + 1},"")'


# --- inputs --------------------------------------------------------------------------------------------

def _validations(ws):
    return [dv for dv in ws.data_validations.dataValidation]


def _input_cells(wb):
    """(name, sheet, cell) of every input cell: the named cells and each cell of the named input ranges."""
    for name in sorted(INPUTS):
        sheet, col1, row1, col2, row2 = _resolve(wb, name, "")
        assert (col1, row1) == (col2, row2), f"{name} is not one cell"
        yield name, sheet, wb[sheet].cell(row=row1, column=col1)
    for name in sorted(INPUT_RANGES):
        sheet, col1, row1, col2, row2 = _resolve(wb, name, "")
        for row in wb[sheet].iter_rows(min_row=row1, max_row=row2, min_col=col1, max_col=col2):
            for cell in row:
                yield f"{name} {cell.coordinate}", sheet, cell


def test_every_input_has_data_validation_and_a_valid_default(wb):
    for name, sheet, cell in _input_cells(wb):
        ws = wb[sheet]
        assert cell.value is not None and not str(cell.value).startswith("="), f"{name} holds a formula"
        found = [dv for dv in _validations(ws) if cell.coordinate in dv.sqref]
        assert len(found) == 1, f"{name} ({sheet}!{cell.coordinate}) has no data validation"
        dv = found[0]
        assert dv.showErrorMessage and not dv.allow_blank
        if dv.type == "list":
            source = dv.formula1
            if source.startswith('"'):
                options = source.strip('"').split(",")
            else:
                assert not source.startswith("="), f"{name}: Excel writes list sources without '='"
                box = _resolve(wb, source, sheet)
                assert box is not None, f"{name}: list source {source} does not resolve"
                target, c1, r1, c2, r2 = box
                options = [wb[target].cell(row=r, column=c).value for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]
            assert str(cell.value) in [str(o) for o in options], f"{name} default {cell.value!r} not in {options}"
        else:
            assert dv.type == "decimal" and isinstance(cell.value, (int, float))
            if dv.operator == "between":
                assert float(dv.formula1) <= cell.value <= float(dv.formula2), name
            else:
                assert dv.operator == "notEqual" and cell.value != float(dv.formula1), name


def test_every_input_styled_cell_is_a_named_validated_input(wb):
    inputs = {(sheet, cell.column, cell.row) for _, sheet, cell in _input_cells(wb)}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.fill is not None and cell.fill.fgColor is not None and cell.fill.fgColor.rgb == "00FFF2CC":
                    assert (ws.title, cell.column, cell.row) in inputs, f"{ws.title}!{cell.coordinate}"


def test_portfolio_weights_are_one_per_asset_column_equal_weight(wb):
    sheet, col1, row1, col2, row2 = _resolve(wb, "PortfolioWeights", "")
    n_assets = _shape(_resolve(wb, "ExcessReturns", ""))[1]
    assert (sheet, row1 == row2, col2 - col1 + 1) == ("MultiFactor", True, n_assets)
    ws = wb[sheet]
    weights = [ws.cell(row=row1, column=c).value for c in range(col1, col2 + 1)]
    assert weights == [1 / n_assets] * n_assets
    # The row above names each weight's asset: the Excess header of the same column.
    names = [ws.cell(row=row1 - 1, column=c).value for c in range(col1, col2 + 1)]
    assert names == [f'=""&Excess!{get_column_letter(c)}$1' for c in range(2, 2 + n_assets)]


def test_book_positions_and_scenarios(wb):
    """One position per asset column, long and short, about 10m gross; the benchmark a formula; shocks by factor."""
    sheet, col1, row1, col2, row2 = _resolve(wb, "BookPositions", "")
    n_assets = _shape(_resolve(wb, "ExcessReturns", ""))[1]
    assert (sheet, row1 == row2, col2 - col1 + 1) == ("Book", True, n_assets)
    ws = wb[sheet]
    positions = [ws.cell(row=row1, column=c).value for c in range(col1, col2 + 1)]
    assert 10 <= sum(p != 0 for p in positions) <= 20 and min(positions) < 0 < max(positions)
    assert sum(abs(p) for p in positions) == 10_000_000
    names = [ws.cell(row=row1 - 1, column=c).value for c in range(col1, col2 + 1)]
    assert names == [f'=""&Excess!{get_column_letter(c)}$1' for c in range(2, 2 + n_assets)]
    for name in ("BookWeights", "BenchmarkWeights"):
        box = _resolve(wb, name, "")
        assert box[0] == "Book" and _shape(box) == (1, n_assets)
        assert all(str(ws.cell(row=box[2], column=c).value).startswith("=") for c in range(box[1], box[3] + 1))
    target, c1, r1, c2, r2 = _resolve(wb, "BookInstruments", "")
    assert (target, wb[target].cell(row=r1, column=c1).value, r2 - r1) == ("Data", "MktRF", CAPACITY)
    shocks = _resolve(wb, "BookShocks", "")
    values = _resolve(wb, "BookShockValues", "")
    assert (shocks[1] + 1, shocks[2] + 1, shocks[3], shocks[4]) == values[1:]
    factors = [ws.cell(row=r, column=shocks[1]).value for r in range(shocks[2] + 1, shocks[4] + 1)]
    assert factors == [f'=""&Data!{get_column_letter(c)}$1' for c in range(14, 17)]
    assert ws.cell(row=shocks[2], column=2).value == "market -10%"
    assert ws.cell(row=shocks[2] + 1, column=2).value == -0.1  # MktRF in the market scenario


def test_input_dropdowns_follow_the_data_headers(wb):
    ws = wb["Regression"]
    sources = {dv.formula1 for dv in _validations(ws)}
    assert {"AssetHeaders", "FactorHeaders"} <= sources
    assert [c.value for c in next(wb["Data"].iter_rows(min_row=1, max_row=1, min_col=2, max_col=13))] == \
        DATA_COLUMNS[1:13]


# --- safety --------------------------------------------------------------------------------------------

def _unquoted(text: str) -> str:
    return re.sub(r'"[^"]*"', '""', text)


def test_no_macros_and_no_external_links(wb):
    with zipfile.ZipFile(COMMITTED) as archive:
        names = archive.namelist()
        content_types = archive.read("[Content_Types].xml").decode()
        workbook_xml = archive.read("xl/workbook.xml").decode()
        chart_refs = [ref for n in names if n.startswith("xl/charts/")
                      for ref in re.findall(r"<(?:c:)?f>([^<]+)</(?:c:)?f>", archive.read(n).decode())]
    assert not [n for n in names if "vba" in n.lower() or n.endswith(".bin")]
    assert "macroEnabled" not in content_types and "vbaProject" not in content_types
    assert not [n for n in names if "externalLink" in n]
    assert "externalReference" not in workbook_xml
    formulas = [cell.value.text if isinstance(cell.value, ArrayFormula) else cell.value
                for ws in wb.worksheets for row in ws.iter_rows() for cell in row
                if isinstance(cell.value, ArrayFormula) or (isinstance(cell.value, str) and cell.value.startswith("="))]
    references = [_unquoted(f) for f in formulas] + [d.attr_text for d in wb.defined_names.values()] + chart_refs
    assert formulas and chart_refs
    for text in references:
        assert "[" not in text and ".xls" not in text.lower() and "://" not in text, text


def test_frozen_panes_everywhere(wb):
    for ws in wb.worksheets:
        assert ws.freeze_panes, f"{ws.title} has no frozen panes"


def test_full_recalculation_on_load(wb):
    assert wb.calculation.fullCalcOnLoad


# --- charts --------------------------------------------------------------------------------------------

def _chart_refs(xml: str) -> list[str]:
    """The cell references of a chart part, sheet names unquoted."""
    return [ref.replace("'", "") for ref in re.findall(r"<(?:c:)?f>([^<]+)</(?:c:)?f>", xml)]


def test_native_charts_present_on_their_sheets(wb):
    with zipfile.ZipFile(COMMITTED) as archive:
        charts = {n: archive.read(n).decode() for n in archive.namelist()
                  if re.fullmatch(r"xl/charts/chart\d+\.xml", n)}
    kinds = sorted(re.search(r"<(?:c:)?(scatterChart|lineChart|barChart)>", xml).group(1) for xml in charts.values())
    assert kinds == ["barChart", "barChart", "barChart", "lineChart", "scatterChart"]
    for xml in charts.values():
        for reference in _chart_refs(xml):
            sheet = reference.split("!")[0]
            assert sheet in SHEETS, reference
    by_sheet = {ws.title: sorted(type(c).__name__ for c in ws._charts) for ws in wb.worksheets if ws._charts}
    assert by_sheet == {"Regression": ["BarChart", "ScatterChart"], "Hedging": ["LineChart"],
                        "Covariance": ["BarChart"], "Book": ["BarChart"]}


def test_scatter_plots_asset_against_factor_with_the_tracking_line():
    with zipfile.ZipFile(COMMITTED) as archive:
        xml = next(archive.read(n).decode() for n in archive.namelist()
                   if n.startswith("xl/charts/") and re.search("<(c:)?scatterChart>", archive.read(n).decode()))
    refs = _chart_refs(xml)
    assert "Regression!$T$4:$T$822" in refs          # x: the factor
    assert "Regression!$S$4:$S$822" in refs          # y: the asset
    assert "Hedging!$P$4:$P$822" in refs             # y: tracking beta x f


# --- FM_* formulas -------------------------------------------------------------------------------------

def _calls(text: str):
    """(name, [args]) of every FM_* call in a formula, nested ones included."""
    for match in re.finditer(r"\b(FM_[A-Z]+)\(", text):
        depth, args, current, quoted = 1, [], "", False
        for ch in text[match.end():]:
            if ch == '"':
                quoted = not quoted
            elif not quoted and ch == "(":
                depth += 1
            elif not quoted and ch == ")":
                depth -= 1
                if depth == 0:
                    break
            elif not quoted and ch == "," and depth == 1:
                args.append(current)
                current = ""
                continue
            current += ch
        if current.strip() or args:
            args.append(current)
        yield match.group(1), [a.strip() for a in args]


def _fm_cells(wb):
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                text = value.text if isinstance(value, ArrayFormula) else value
                if isinstance(text, str) and text.startswith("=") and "FM_" in text:
                    yield ws, cell, value, text


def _documented_shape(wb, sheet: str, name: str, args: list[str]) -> tuple[int, int]:
    """The result shape FUNCTIONS.md documents for this call; data ranges carry a header row."""
    def table(i):
        rows, cols = _shape(_resolve(wb, args[i], sheet))
        return rows - 1, cols          # minus the header row

    def scalar_shape(i):
        box = _resolve(wb, args[i], sheet)
        return (1, 1) if box is None else _shape(box)

    if name == "FM_REGRESS":
        return table(1)[1] + 11, 7
    if name == "FM_VARDECOMP":
        return table(0)[1] + 1, 5
    if name == "FM_HEDGE":
        return 1, table(2)[1]
    if name == "FM_PNL":
        return 1, 2
    if name in ("FM_COVMAT", "FM_CORRMAT"):
        return table(0)[1], table(0)[1]
    if name == "FM_PARAMCOUNT":
        return 2, 2
    if name in ("FM_TRACKING", "FM_HEDGED", "FM_RESID"):
        return table(0)
    if name in ("FM_ALPHA", "FM_RISKSHARE"):
        return table(0)[1], 1
    if name == "FM_SHARPE":
        return 1, table(0)[1]
    if name == "FM_BETA":
        return table(0)[1], table(1)[1]
    if name == "FM_FAMAMACBETH":   # header, const and each factor, a blank row, 4 summary rows
        return 1 + (table(1)[1] + 1) + 1 + 4, 8
    if name == "FM_GRS":           # header, f_stat df_num df_den p_value
        return 5, 2
    if name == "FM_RISKCONTRIB":   # header, factors, systematic specific total, blank, asset header, assets
        return 1 + (table(2)[1] + 3) + 1 + 1 + table(1)[1], 5
    if name == "FM_BOOKHEDGE":     # factor / exposure hedge exposure_after, or instrument / hedge; blank; 3 rows
        return ((table(4)[1] + 5, 2) if len(args) > 4 and args[4] else (table(2)[1] + 5, 4))
    if name == "FM_ACTIVERISK":    # 5 summary rows, blank, factor header + K, blank, asset header + N
        return 5 + 1 + (table(3)[1] + 1) + 1 + (table(2)[1] + 1), 5
    if name == "FM_SCENARIO":      # header, assets, book alpha specific_vol; a column per scenario
        rows, cols = _shape(_resolve(wb, args[3], sheet))
        return 1 + table(1)[1] + 3, cols
    if name == "FM_STRESS":        # header, n_worst periods; label, realised factor_pnl alpha specific, K factors
        return int(float(args[3])) + 1 if len(args) > 3 else 6, 5 + table(2)[1]
    if name == "FM_SIZE":
        shapes = [scalar_shape(i) for i in range(2)]
        return tuple(max(s[k] for s in shapes) for k in range(2))
    raise AssertionError(f"{name}: no documented shape in this test")


def test_every_fm_formula_calls_a_catalogue_function_with_valid_arguments(wb):
    seen = set()
    for ws, cell, _, text in _fm_cells(wb):
        for name, args in _calls(text):
            assert name in BY_NAME, f"{ws.title}!{cell.coordinate}: {name} is not in the catalogue"
            function = BY_NAME[name]
            required = sum(not a.optional for a in function.args)
            assert required <= len(args) <= len(function.args), f"{ws.title}!{cell.coordinate}: {text}"
            for arg, spec in zip(args, function.args):
                box = _resolve(wb, arg, ws.title)
                if spec.kind == "table":
                    assert box is not None, f"{ws.title}!{cell.coordinate}: {spec.name} = {arg} is not a range"
                elif (name, spec.name) in (("FM_RISKCONTRIB", "weights"), ("FM_BOOKHEDGE", "positions"),
                                           ("FM_ACTIVERISK", "weights"), ("FM_ACTIVERISK", "benchmark_weights"),
                                           ("FM_SCENARIO", "positions"), ("FM_STRESS", "positions")):
                    returns = [a for a, s in zip(args, function.args) if s.name == "returns"][0]
                    n_assets = _shape(_resolve(wb, returns, ws.title))[1]  # one weight per asset column
                    assert box is not None and _shape(box) == (1, n_assets), f"{ws.title}!{cell.coordinate}: {arg}"
                elif spec.kind in ("number", "numbers") and box is not None:
                    assert _shape(box) == (1, 1), f"{ws.title}!{cell.coordinate}: {spec.name} = {arg}"
            seen.add(name)
    assert {"FM_REGRESS", "FM_VARDECOMP", "FM_HEDGE", "FM_TRACKING", "FM_HEDGED", "FM_SIZE", "FM_PNL",
            "FM_COVMAT", "FM_PARAMCOUNT", "FM_RISKSHARE", "FM_SHARPE", "FM_BETA", "FM_ALPHA", "FM_FAMAMACBETH",
            "FM_GRS", "FM_RISKCONTRIB", "FM_BOOKHEDGE", "FM_ACTIVERISK", "FM_SCENARIO", "FM_STRESS"} <= seen


def test_every_result_sheet_has_the_add_in_banner_and_only_it_probes_with_fm_info(wb):
    """G1 of each result sheet is blank with the add-in, the message without; row 1 holds only it and the title."""
    banner = f'=IF(OR(ISERROR(FM_INFO()),NOW()<0),"{guard.MESSAGE}","")'
    probes = {(ws.title, cell.coordinate) for ws, cell, _, text in _fm_cells(wb) if "FM_INFO" in text}
    assert probes == {(sheet, "G1") for sheet in RESULT_SHEETS}
    for sheet in RESULT_SHEETS:
        ws = wb[sheet]
        assert ws["G1"].value == banner, sheet
        assert [c.coordinate for c in ws[1] if c.value is not None] == ["A1", "G1"], sheet
        # The title (14 pt bold, about 1.3 character widths a letter) fits left of the banner.
        room = sum(ws.column_dimensions[get_column_letter(c)].width or 8.43 for c in range(1, 7))
        assert 1.3 * len(ws["A1"].value) <= room, f"{sheet}: the title runs under the banner"


def test_checks_and_the_hedged_growth_read_the_banner(wb):
    """Cells that would look like answers without the add-in (OK/CHECK cells, growth of 1) show the banner instead."""
    guard_text = 'IF($G$1<>"",$G$1,'
    checks = [(ws.title, cell.coordinate) for ws in wb.worksheets for row in ws.iter_rows() for cell in row
              if isinstance(cell.value, str) and '"OK","CHECK"' in cell.value]
    assert len(checks) == 11
    for sheet, ref in checks:
        assert wb[sheet][ref].value.startswith("=" + guard_text), f"{sheet}!{ref}"
    ws = wb["Hedging"]
    for row in (4, 5, CAPACITY + 3):
        assert guard_text in ws[f"S{row}"].value and guard_text not in ws[f"R{row}"].value


def test_array_formula_ranges_have_the_documented_shapes(wb):
    for ws, cell, value, text in _fm_cells(wb):
        if (ws.title, cell.coordinate) in {(sheet, "G1") for sheet in RESULT_SHEETS}:
            continue  # the banner: FM_INFO inside ISERROR, one cell (the test above)
        ((name, args),) = list(_calls(text))
        expected = _documented_shape(wb, ws.title, name, args)
        where = f"{ws.title}!{cell.coordinate} {text}"
        if isinstance(value, ArrayFormula):
            assert _shape((None, *_dims(value.ref))) == expected, where
            assert (cell.column, cell.row) == _dims(value.ref)[:2], where
        else:
            assert expected == (1, 1), f"{where}: a {expected} result needs an array formula range"


def test_data_ranges_in_one_call_span_the_same_rows(wb):
    """Ranges are matched by position (no date column), so every table argument of a call covers the same rows."""
    for ws, cell, _, text in _fm_cells(wb):
        for name, args in _calls(text):
            rows = {_dims_rows(_resolve(wb, a, ws.title)) for a, spec in zip(args, BY_NAME[name].args)
                    if spec.kind == "table"}
            assert len(rows) <= 1, f"{ws.title}!{cell.coordinate}: {text} mixes row spans {rows}"


def _dims_rows(box):
    _, _, min_row, _, max_row = box
    return max_row - min_row + 1


def test_native_functions_need_no_prefix(wb):
    """Functions newer than Excel 2007 need _xlfn. prefixes; the workbook uses none of them unprefixed."""
    newer = re.compile(r"(?<![._A-Z])(VAR\.S|STDEV\.S|COVARIANCE\.S|IFS|XLOOKUP|FILTER|SEQUENCE|LET|IFERROR2)\(")
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                text = cell.value.text if isinstance(cell.value, ArrayFormula) else cell.value
                if isinstance(text, str) and text.startswith("="):
                    assert not newer.search(text), f"{ws.title}!{cell.coordinate}: {text}"


# --- guide ---------------------------------------------------------------------------------------------

def test_guide_explains_every_sheet_and_name(wb):
    ws = wb["Guide"]
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    joined = "\n".join(texts)
    for sheet in SHEETS[1:]:
        assert sheet in texts, f"the Guide does not describe {sheet}"
    for phrase in ("decimals", "ddof 1", "per period", "add-in", "Data", "xlwings", "LibreOffice"):
        assert phrase in joined, phrase
    names_table = {c.value: ws.cell(row=c.row, column=3).value for c in ws["A"] if c.value in wb.defined_names}
    assert set(names_table) == set(wb.defined_names)
    assert all(names_table.values()), [n for n, v in names_table.items() if not v]
