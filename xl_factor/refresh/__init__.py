"""``xl-factor refresh``: a template filled with new data, recalculated without Excel, as a values-only report.

Steps: the template is checked (a readable xlsx whose parts do not inflate
past :data:`MAX_TEMPLATE_BYTES`); the CSV is read strictly
(:mod:`.csv_input`: one notation of dates, plain numbers, nothing guessed)
and each series' units are checked with the rules the FM_* functions apply
(:func:`xl_factor.sheet.units.check_returns`), before LibreOffice is started;
the CSV's columns are written under the matching headers of the template's
Data sheet, oldest row first; LibreOffice recalculates the workbook with the
FM_* add-in; every formula cell is replaced by its value; a Provenance sheet
records the sources (file names and SHA-256), the time, the versions, which
cells were formulas, and what was carried over. The report opens on any
machine, with or without the add-in. Error cells in the report are listed in
:attr:`Report.error_cells` (the command line exits 3 on them).

Safety: the inputs are never written (an output path equal to an input is
refused), an existing output is replaced only with ``force``, the report is
written to a temporary file beside it and moved into place, and a CSV cell
that a spreadsheet would run as a formula is refused unless ``neutralise``
stores such cells as plain text.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.formula import ArrayFormula

from .. import __version__
from .csv_input import CsvError, looks_like_formula, read_csv_data as _read_csv

DATA_SHEET = "Data"
GUIDE_SHEET = "Guide"
PROVENANCE_SHEET = "Provenance"
#: Largest sum of the uncompressed sizes of a template's parts (the shipped one is about 11 MB).
MAX_TEMPLATE_BYTES = 256 * 1024 * 1024
#: Largest ratio of uncompressed to compressed size of one part (the shipped one's largest is about 15).
MAX_INFLATION = 200

# Parts of an xlsx that openpyxl does not load, so a report saved by it cannot keep them.
_PARTS_OPENPYXL_DROPS = {
    "pivot tables": "xl/pivotTables/",
    "macros (VBA)": "xl/vbaProject.bin",
    "external links": "xl/externalLinks/",
    "comments with threads": "xl/threadedComments/",
    "slicers": "xl/slicers/",
}
# Parts openpyxl reads and writes again, with part of their formatting.
_PARTS_CARRIED = {"charts": "xl/charts/chart", "images": "xl/media/"}


class RefreshError(Exception):
    """A refresh that cannot be done, with what to do about it."""


@dataclass
class Report:
    """What a refresh did: the output, and the facts written on the Provenance sheet."""

    path: Path
    rows: int
    columns: list[str]
    blank_columns: list[str]
    formulas: dict[str, int] = field(default_factory=dict)
    error_cells: list[str] = field(default_factory=list)
    dropped_parts: dict[str, int] = field(default_factory=dict)
    carried_parts: dict[str, int] = field(default_factory=dict)
    installed_addin: Path | None = None
    first_date: str = ""
    last_date: str = ""
    sorted_rows: bool = False
    inputs_changed: list[str] = field(default_factory=list)


def refresh(template, data, out, neutralise: bool = False, timeout: float = 600.0, recalculate=None,
            force: bool = False, dayfirst: bool = False) -> Report:
    """Fill ``template``'s Data sheet with the CSV ``data``, recalculate, and write a values-only ``out``.

    ``recalculate(path_in) -> {(sheet, cell): value}`` defaults to the
    LibreOffice driver; it is a parameter so that the steps around it can be
    tested on their own. Every refusal is a :class:`RefreshError`.
    """
    template, data, out = Path(template), Path(data), Path(out)
    _check_paths(template, data, out, force)
    check_template_archive(template)
    frame = read_csv_data(data, neutralise, dayfirst)
    workbook = _load_template(template)
    roles = _roles(workbook)
    check_units(frame, roles, data.name)
    installed_into = None
    if recalculate is None:
        recalculate, installed_into = _libreoffice_recalculation(timeout)

    with tempfile.TemporaryDirectory(prefix="xl_factor_refresh_", ignore_cleanup_errors=True) as tmp:
        filled_path = Path(tmp) / "filled.xlsx"
        notes: list[str] = []
        columns, blank = fill_data_sheet(template, frame, filled_path, workbook=workbook, notes=notes)
        try:
            values = recalculate(filled_path)
        except RefreshError:
            raise
        except Exception as error:  # LibreOffice missing, failed or timed out: one line, no traceback
            raise RefreshError(f"the recalculation failed: {str(error).strip().splitlines()[-1][:500]}") from error
        report = Report(out, len(frame), columns, blank, dropped_parts=_parts_found(template, _PARTS_OPENPYXL_DROPS),
                        carried_parts=_parts_found(template, _PARTS_CARRIED), installed_addin=installed_into,
                        first_date=f"{frame.index[0]:%Y-%m-%d}", last_date=f"{frame.index[-1]:%Y-%m-%d}",
                        sorted_rows=bool(getattr(frame, "attrs", {}).get("sorted")), inputs_changed=notes)
        workbook = load_workbook(filled_path)
        report.formulas, formula_cells = _replace_formulas(workbook, values, report.error_cells)
        _describe_data(workbook, report)
        _write_provenance(workbook, template, data, report, formula_cells)
        out.parent.mkdir(parents=True, exist_ok=True)
        staged = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        try:
            workbook.save(staged)
            os.replace(staged, out)
        finally:
            staged.unlink(missing_ok=True)
    return report


def read_csv_data(path: Path, neutralise: bool = False, dayfirst: bool = False) -> pd.DataFrame:
    """The CSV as a frame indexed by date, oldest row first (see :mod:`.csv_input` for what is refused)."""
    try:
        frame = _read_csv(Path(path), neutralise, dayfirst)
    except CsvError as error:
        raise RefreshError(str(error)) from None
    if not frame.index.is_monotonic_increasing:
        frame = frame.sort_index()
        frame.attrs["sorted"] = True
    return frame


def _libreoffice_recalculation(timeout: float):
    """The LibreOffice recalculation, with the add-in installed into its private folder first if missing."""
    from ..libreoffice import install
    from ..libreoffice.office import libreoffice_available
    from ..libreoffice.recalc import recalculate

    if not libreoffice_available():
        raise RefreshError("LibreOffice is needed to recalculate the template: install it (Debian/Ubuntu: "
                           "apt-get install libreoffice-calc-nogui python3-uno libreoffice-script-provider-python)")
    folder = install.default_extension_dir()
    installed_into = None
    if not install.is_private_install(folder):
        try:
            installed_into = install.install("private", folder)
        except Exception as error:
            raise RefreshError(f"installing the LibreOffice add-in into {folder} failed: {error}") from error
    def run(path: Path):
        return recalculate(path, timeout=timeout, extension_dir=folder)  # recalc keeps soffice's temporary folders

    return run, installed_into


def _check_paths(template: Path, data: Path, out: Path, force: bool) -> None:
    for path, what in ((template, "template"), (data, "data file")):
        if not path.exists():
            raise RefreshError(f"the {what} {path} does not exist")
        if not path.is_file():
            raise RefreshError(f"the {what} {path} is not a file")
        if out.resolve() == path.resolve():
            raise RefreshError(f"--out {out} is the {what}: refresh never writes over its inputs; choose another file")
    if out.suffix.lower() != ".xlsx":
        raise RefreshError(f"--out {out} must end in .xlsx (the report is a plain workbook)")
    if out.is_dir():
        raise RefreshError(f"--out {out} is a folder; give the report's file name (e.g. {out / 'report.xlsx'})")
    if out.exists() and not force:
        raise RefreshError(f"--out {out} already exists; add --force to replace it, or choose another name")
    if out.parent.exists() and not out.parent.is_dir():
        raise RefreshError(f"--out {out}: {out.parent} is not a folder")


def check_template_archive(template: Path) -> None:
    """Refuse a template that is not a zip of xlsx parts, or whose parts inflate past the limits."""
    try:
        with zipfile.ZipFile(template) as archive:
            items = archive.infolist()
    except (zipfile.BadZipFile, OSError) as error:
        raise RefreshError(f"the template {template.name} is not an xlsx workbook ({error}); give a .xlsx "
                           "template such as workbook_templates/factor_hedging.xlsx") from None
    names = {item.filename for item in items}
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        raise RefreshError(f"the template {template.name} is a zip but not an xlsx workbook (no xl/workbook.xml)")
    total = sum(item.file_size for item in items)
    if total > MAX_TEMPLATE_BYTES:
        raise RefreshError(f"the template {template.name} inflates to {total / 2**20:,.0f} MiB, more than the "
                           f"{MAX_TEMPLATE_BYTES // 2**20} MiB a refresh opens: not a template of this package")
    for item in items:
        if item.file_size > 1024 * 1024 and item.file_size > MAX_INFLATION * max(item.compress_size, 1):
            raise RefreshError(f"the template {template.name}'s part {item.filename} inflates "
                               f"{item.file_size / max(item.compress_size, 1):,.0f} times (limit {MAX_INFLATION}): "
                               "refused as a possible zip bomb")


def _load_template(template: Path):
    try:
        workbook = load_workbook(template)
    except Exception as error:  # openpyxl raises many kinds on a damaged file
        raise RefreshError(f"the template {template.name} cannot be read as a workbook: "
                           f"{type(error).__name__}: {error}") from None
    if DATA_SHEET not in workbook.sheetnames:
        raise RefreshError(f"the template {template.name} has no sheet named {DATA_SHEET!r}")
    return workbook


def _roles(workbook) -> dict[str, str]:
    """Data header -> its role from the template's names: ``returns`` (Returns), ``factors`` (Factors), ``rate``."""
    ws = workbook[DATA_SHEET]
    roles = {}
    for defined, role in (("Returns", "returns"), ("Factors", "factors"), ("RiskFree", "rate")):
        name = workbook.defined_names.get(defined)
        if name is None:
            continue
        for sheet, ref in name.destinations:
            if sheet != DATA_SHEET:
                continue
            c1, _, c2, _ = range_boundaries(ref.replace("$", ""))
            for column in range(c1, c2 + 1):
                header = ws.cell(row=1, column=column).value
                if header is not None:
                    roles[str(header).strip()] = role
    return roles


def check_units(frame: pd.DataFrame, roles: dict[str, str], name: str) -> None:
    """Each series judged by the units rules of the FM_* functions, before any recalculation.

    Asset returns and factor returns go through
    :func:`~xl_factor.sheet.units.check_returns` (per column, and against the
    other columns of their range), the two ranges against each other through
    :func:`~xl_factor.sheet.units.check_scales`, the risk-free rate through
    :func:`~xl_factor.sheet.units.check_rate`.
    """
    from ..core.errors import FactorModelError
    from ..sheet.units import check_rate, check_returns, check_scales
    from ..sheet.values import Table

    def table(columns):
        values = np.array([[v if isinstance(v, float) else np.nan for v in frame[c]] for c in columns],
                          dtype=float).T.reshape(len(frame), len(columns))
        return Table(values=values, names=tuple(columns), dates=pd.DatetimeIndex(frame.index), date_label="Date")

    by_role = {role: [c for c in frame.columns if roles.get(str(c).strip()) == role] for role in
               ("returns", "factors", "rate")}
    try:
        sizes, tables = {}, {}
        for role, label in (("returns", "asset returns"), ("factors", "factor returns")):
            if by_role[role]:
                tables[role] = table(by_role[role])
                sizes[role] = check_returns(tables[role], label)
        if len(sizes) == 2:
            check_scales(tables["returns"], sizes["returns"], tables["factors"], sizes["factors"],
                         "asset returns", "factor returns")
        for column in by_role["rate"]:
            check_rate(table([column]), f"risk-free rate {column!r}")
    except FactorModelError as error:
        where = f" ({error.argument})" if getattr(error, "argument", None) else ""
        raise RefreshError(f"{name}{where}: {error}") from None


def fill_data_sheet(template: Path, frame: pd.DataFrame, target: Path, workbook=None,
                    notes: list | None = None) -> tuple[list[str], list[str]]:
    """Write ``frame`` under the Data sheet's headers of a copy of ``template``; returns (filled, blank) columns."""
    workbook = workbook if workbook is not None else _load_template(template)
    ws = workbook[DATA_SHEET]
    headers = {str(c.value).strip(): c.column for c in ws[1] if c.value is not None}
    by_lower = {name.lower(): name for name in headers}
    unknown = [c for c in frame.columns if str(c).strip() not in headers]
    if unknown:
        hints = [f"{c!r} (the template spells it {by_lower[str(c).strip().lower()]!r})"
                 for c in unknown if str(c).strip().lower() in by_lower]
        hint = f"; {', '.join(hints)}" if hints else ""
        raise RefreshError(f"columns {unknown} are not on the {DATA_SHEET} sheet, whose headers are "
                           f"{list(headers)}{hint}; rename them, leave them out, or use a template with those columns")
    matched = [c for c in frame.columns if headers[str(c).strip()] != 1]
    if not matched:
        raise RefreshError(f"none of the CSV's columns is a data column of the {DATA_SHEET} sheet")
    capacity = _capacity(workbook)
    if capacity is not None and len(frame) > capacity:
        raise RefreshError(f"{len(frame)} rows of data, but the template's ranges hold {capacity} periods; give "
                           f"the latest {capacity} rows")
    date_col = 1
    date_format = ws.cell(row=2, column=date_col).number_format
    prefilled = _filled_rows(ws)
    for row in ws.iter_rows(min_row=2, max_row=ws.max_row):
        for cell in row:
            cell.value = None
    for i, stamp in enumerate(frame.index):
        ws.cell(row=2 + i, column=date_col, value=stamp.to_pydatetime()).number_format = date_format
    for column in frame.columns:
        j = headers[str(column).strip()]
        for i, value in enumerate(frame[column].tolist()):
            cell = ws.cell(row=2 + i, column=j)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # text, never a formula, whatever it starts with
                cell.quotePrefix = True
    _follow_length(workbook, prefilled, len(frame))
    present = {str(c).strip() for c in frame.columns
               if any(isinstance(v, float) for v in frame[c].tolist())}
    blank = [name for name, j in headers.items() if j != date_col and name not in present]
    if notes is not None:
        notes.extend(_adapt_inputs(workbook, present))
    workbook.save(target)
    return [str(c) for c in frame.columns], blank


def _filled_rows(ws) -> int:
    """Periods the Data sheet holds: its last row with a date, header excluded."""
    last = 1
    for (cell,) in ws.iter_rows(min_row=2, min_col=1, max_col=1):
        if cell.value is not None:
            last = cell.row
    return last - 1


#: Rows above the first period: Data and Excess (a header row), the series blocks of Regression and Hedging.
_ROWS_ABOVE = (1, 3)


def _follow_length(workbook, old: int, new: int) -> None:
    """Print areas and chart ranges that end at the template's last period end at the data's last period."""
    if old <= 0 or old == new:
        return
    ends = {f"${above + old}": f"${above + new}" for above in _ROWS_ABOVE}
    pattern = re.compile("|".join(re.escape(end) + r"\b" for end in ends))

    def moved(text):
        return pattern.sub(lambda m: ends[m.group(0)], text) if isinstance(text, str) else text

    for ws in workbook.worksheets:
        if ws.print_area:
            areas = [moved(area) for area in (ws.print_area if isinstance(ws.print_area, list) else
                                              str(ws.print_area).split(","))]
            ws.print_area = [area.split("!")[-1] for area in areas]
        for chart in getattr(ws, "_charts", []):
            for series in chart.series:
                for part in ("val", "cat", "xVal", "yVal", "tx"):
                    source = getattr(series, part, None)
                    for kind in ("numRef", "strRef"):
                        ref = getattr(source, kind, None) if source is not None else None
                        if ref is not None and ref.f:
                            ref.f = moved(ref.f)


def _cells_of(workbook, defined: str):
    """The cells a defined name points to (one destination), row by row; empty when the name is missing."""
    name = workbook.defined_names.get(defined)
    if name is None:
        return []
    destinations = list(name.destinations)
    if len(destinations) != 1 or destinations[0][0] not in workbook.sheetnames:
        return []
    sheet, ref = destinations[0]
    c1, r1, c2, r2 = range_boundaries(ref.replace("$", ""))
    ws = workbook[sheet]
    return [ws.cell(row=r, column=c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]


def _adapt_inputs(workbook, present: set[str]) -> list[str]:
    """Inputs that would refer to a column without data, set for the data; returns what was changed.

    The template's equal portfolio weights (``PortfolioWeights``, one per
    column of ``Returns``) become equal weights over the assets with data and 0
    for the others (FM_RISKCONTRIB refuses a weight on an asset without
    returns); weights the user chose are kept as they are. A book position
    (``BookPositions``) on a column without data becomes 0 (the FM_* book
    functions refuse a position on an asset without returns). A picked asset or
    factor (``AssetName``, ``FactorName``) without data becomes the first one
    with data.
    """
    notes = []
    headers = [str(c.value).strip() if c.value is not None else "" for c in _cells_of(workbook, "AssetHeaders")]
    weights = _cells_of(workbook, "PortfolioWeights")
    values = [c.value for c in weights]
    equal = (len(weights) == len(headers) > 0 and all(isinstance(v, (int, float)) for v in values)
             and max(values) - min(values) < 1e-12 and abs(values[0] * len(values) - 1) < 1e-9)
    with_data = [h for h in headers if h in present]
    if equal and with_data and len(with_data) < len(headers):
        for cell, header in zip(weights, headers):
            cell.value = 1 / len(with_data) if header in with_data else 0
        notes.append(f"portfolio weights: 1/{len(with_data)} on each asset with data, 0 on the "
                     f"{len(headers) - len(with_data)} without")
    positions = _cells_of(workbook, "BookPositions")
    if len(positions) == len(headers) > 0:
        cleared = [header for cell, header in zip(positions, headers)
                   if header not in present and isinstance(cell.value, (int, float)) and cell.value != 0]
        for cell, header in zip(positions, headers):
            if header in cleared:
                cell.value = 0
        if cleared:
            notes.append(f"book positions: 0 on {', '.join(cleared)} (no data)")
    for defined, list_name in (("AssetName", "AssetHeaders"), ("FactorName", "FactorHeaders")):
        cells = _cells_of(workbook, defined)
        options = [str(c.value).strip() for c in _cells_of(workbook, list_name) if c.value is not None]
        choices = [o for o in options if o in present]
        if len(cells) == 1 and choices and str(cells[0].value).strip() not in present:
            notes.append(f"{defined}: {cells[0].value} has no data, {choices[0]} picked instead")
            cells[0].value = choices[0]
    return notes


def _capacity(workbook) -> int | None:
    """Periods the defined names over the Data sheet cover (header in row 1), if any name points there."""
    last = []
    for name in workbook.defined_names.values():
        for sheet, ref in name.destinations:
            if sheet == DATA_SHEET and ":" in ref:
                last.append(range_boundaries(ref.replace("$", ""))[3])
    return max(last) - 1 if last else None


def _replace_formulas(workbook, values: dict, error_cells: list) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Every formula cell (array formulas cell by cell) replaced by its recalculated value."""
    from ..libreoffice.recalc import is_error_result

    counts, cells = {}, {}
    for ws in workbook.worksheets:
        addresses = []
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, ArrayFormula):
                    addresses += _array_cells(cell.value.ref)
                elif cell.data_type == "f":
                    addresses.append(cell.coordinate)
        for address in addresses:
            if (ws.title, address) not in values:
                raise RefreshError(f"LibreOffice returned no value for the formula in {ws.title}!{address}")
            value = values[(ws.title, address)]
            if is_error_result(value):
                error_cells.append(f"{ws.title}!{address}: {value}")
            target = ws[address]
            target.value = value
            if isinstance(value, str):
                target.data_type = "s"
        if addresses:
            counts[ws.title] = len(addresses)
            cells[ws.title] = addresses
    return counts, cells


def summarise_errors(error_cells: list[str], limit: int = 12) -> list[str]:
    """Error cells grouped by sheet and message, as compact ranges: ``MultiFactor!A26:H35 (80 cells): #FM! ...``."""
    groups: dict[tuple[str, str], list[str]] = {}
    for entry in error_cells:
        where, message = entry.split(": ", 1)
        sheet, address = where.rsplit("!", 1)
        groups.setdefault((sheet, message), []).append(address)
    lines = [f"{sheet}!{_runs(addresses)} ({len(addresses)} cell{'s' if len(addresses) > 1 else ''}): "
             f"{message[:200]}" for (sheet, message), addresses in groups.items()]
    if len(lines) > limit:
        lines = lines[:limit] + [f"... and {len(lines) - limit} more kinds of error"]
    return lines


def _array_cells(ref: str) -> list[str]:
    min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
    return [f"{get_column_letter(c)}{r}" for r in range(min_row, max_row + 1) for c in range(min_col, max_col + 1)]


def _parts_found(template: Path, prefixes: dict[str, str]) -> dict[str, int]:
    with zipfile.ZipFile(template) as archive:
        names = archive.namelist()
    found = {label: sum(n.startswith(prefix) for n in names) for label, prefix in prefixes.items()}
    return {label: count for label, count in found.items() if count}


def _runs(addresses: list[str]) -> str:
    """Cells as compact ranges: rectangles of whole column runs (``A26:H35``), else column by column."""
    by_column: dict[str, list[int]] = {}
    for address in addresses:
        letters = address.rstrip("0123456789")
        by_column.setdefault(letters, []).append(int(address[len(letters):]))
    runs = []
    for letters, rows in by_column.items():
        rows.sort()
        start = previous = rows[0]
        for row in rows[1:] + [None]:
            if row is not None and row == previous + 1:
                previous = row
                continue
            runs.append((letters, start, previous))
            if row is not None:
                start = previous = row
    # Merge runs of neighbouring columns over the same rows into rectangles.
    from openpyxl.utils import column_index_from_string

    merged: list[list] = []
    for letters, start, end in sorted(runs, key=lambda r: (r[1], r[2], column_index_from_string(r[0]))):
        index = column_index_from_string(letters)
        if merged and merged[-1][1:3] == [start, end] and merged[-1][4] == index - 1:
            merged[-1][4] = index
            continue
        merged.append([letters, start, end, index, index])
    parts = []
    for letters, start, end, first, last in merged:
        top_left, bottom_right = f"{letters}{start}", f"{get_column_letter(last)}{end}"
        parts.append(top_left if top_left == bottom_right else f"{top_left}:{bottom_right}")
    return ", ".join(parts)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _describe_data(workbook, report: Report) -> None:
    """The Guide's paragraphs about the prefilled data rewritten for the data of this refresh."""
    if GUIDE_SHEET not in workbook.sheetnames:
        return
    ws = workbook[GUIDE_SHEET]
    blank = ", ".join(report.blank_columns) or "none"
    texts = {
        "Prefilled:": (f"Refreshed by xl-factor refresh: {report.rows} periods from {report.first_date} to "
                       f"{report.last_date}; columns filled: {', '.join(report.columns)}; columns left blank (not "
                       f"assets of this report): {blank}. See the Provenance sheet."),
        "The charts plot rows": (f"The charts were built for the template's prefilled history; they plot the rows "
                                 f"of their ranges that hold this report's {report.rows} periods."),
    }
    for row in ws.iter_rows(min_col=2, max_col=2):
        cell = row[0]
        if isinstance(cell.value, str):
            for start, text in texts.items():
                if cell.value.startswith(start):
                    cell.value = text


def _write_provenance(workbook, template: Path, data: Path, report: Report, formula_cells: dict) -> None:
    import numpy
    import openpyxl
    import statsmodels

    from ..libreoffice.office import libreoffice_version

    ws = workbook.create_sheet(PROVENANCE_SHEET)
    lost = ", ".join(f"{n} {label}" for label, n in report.dropped_parts.items()) or "nothing"
    carried = ", ".join(f"{n} {label}" for label, n in report.carried_parts.items())
    carried = (f"{carried}, with their data ranges; their styles (colours, fonts, layout details) may be simplified"
               if carried else "no charts or images in the template")
    errors = summarise_errors(report.error_cells, limit=30)
    rows = [
        ("What this is", "A values-only report: every formula was replaced by the value LibreOffice computed."),
        ("Template", template.name),
        ("Template SHA-256", _sha256(template)),
        ("Data file", data.name),
        ("Data SHA-256", _sha256(data)),
        ("Data rows", report.rows),
        ("Data dates", f"{report.first_date} to {report.last_date}"
                       + (" (rows sorted oldest first)" if report.sorted_rows else "")),
        ("Data columns filled", ", ".join(report.columns)),
        ("Data columns left blank", ", ".join(report.blank_columns) or "none"),
        ("Inputs set for this data", "; ".join(report.inputs_changed) or "none"),
        ("Created (UTC)", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")),
        ("xl_factor", __version__),
        ("numpy / pandas / statsmodels / openpyxl",
         f"{numpy.__version__} / {pd.__version__} / {statsmodels.__version__} / {openpyxl.__version__}"),
        ("Calculated by", libreoffice_version()),
        ("Carried over", carried),
        ("Not carried over (openpyxl cannot keep them)", lost),
        ("Error cells", f"{len(report.error_cells)}: " + "; ".join(errors) if errors else "none"),
        ("", ""),
        ("Sheet", "Cells that were formulas"),
    ]
    rows += [(sheet, f"{report.formulas[sheet]} cells: {_runs(cells)}") for sheet, cells in formula_cells.items()]
    for row in rows:
        ws.append(row)
    ws.column_dimensions["A"].width = 42
    ws.column_dimensions["B"].width = 100


__all__ = ["MAX_TEMPLATE_BYTES", "RefreshError", "Report", "check_template_archive", "check_units",
           "fill_data_sheet", "looks_like_formula", "read_csv_data", "refresh", "summarise_errors"]
