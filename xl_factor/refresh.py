"""``xl-factor refresh``: a template filled with new data, recalculated without Excel, as a values-only report.

Steps: the CSV's columns are written under the matching headers of the
template's Data sheet (the header row is the first row; the first CSV column
holds the dates); LibreOffice recalculates the workbook with the FM_* add-in;
every formula cell of the filled workbook is replaced by its value; a
Provenance sheet records the sources, the time, the versions, which cells
were formulas, and what openpyxl could not carry over. The report opens on
any machine, with or without the add-in.

Safety: the inputs are never written (an output path equal to an input is
refused), and a CSV cell that a spreadsheet would run as a formula (text
starting with ``=``, ``+``, ``-`` or ``@`` that is not a number) is refused
unless ``neutralise`` stores such cells as plain text.
"""

from __future__ import annotations

import hashlib
import shutil
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

from . import __version__

DATA_SHEET = "Data"
PROVENANCE_SHEET = "Provenance"
FORMULA_START = ("=", "+", "-", "@")

# Parts of an xlsx that openpyxl does not load, so a report saved by it cannot keep them.
_PARTS_OPENPYXL_DROPS = {
    "charts": "xl/charts/chart",
    "images": "xl/media/",
    "pivot tables": "xl/pivotTables/",
    "macros (VBA)": "xl/vbaProject.bin",
    "external links": "xl/externalLinks/",
    "comments with threads": "xl/threadedComments/",
}


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
    installed_addin: Path | None = None


def refresh(template, data, out, neutralise: bool = False, timeout: float = 600.0, recalculate=None) -> Report:
    """Fill ``template``'s Data sheet with the CSV ``data``, recalculate, and write a values-only ``out``.

    ``recalculate(path_in) -> {(sheet, cell): value}`` defaults to the
    LibreOffice driver; it is a parameter so that the steps around it can be
    tested on their own.
    """
    template, data, out = Path(template), Path(data), Path(out)
    _check_paths(template, data, out)
    frame = read_csv_data(data, neutralise)
    installed_into = None
    if recalculate is None:
        recalculate, installed_into = _libreoffice_recalculation(timeout)

    with tempfile.TemporaryDirectory(prefix="xl_factor_refresh_") as tmp:
        filled_path = Path(tmp) / ("filled" + template.suffix)
        columns, blank = fill_data_sheet(template, frame, filled_path)
        values = recalculate(filled_path)
        report = Report(out, len(frame), columns, blank, dropped_parts=_parts_dropped(template),
                        installed_addin=installed_into)
        workbook = load_workbook(filled_path)
        report.formulas, formula_cells = _replace_formulas(workbook, values, report.error_cells)
        _write_provenance(workbook, template, data, report, formula_cells)
        staged = Path(tmp) / ("report" + out.suffix)
        workbook.save(staged)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staged), out)
    return report


def _libreoffice_recalculation(timeout: float):
    """The LibreOffice recalculation, with the add-in installed into its private folder first if missing."""
    from .libreoffice import install
    from .libreoffice.office import libreoffice_available
    from .libreoffice.recalc import recalculate

    if not libreoffice_available():
        raise RefreshError("LibreOffice is needed to recalculate the template: install it (Debian/Ubuntu: "
                           "apt-get install libreoffice-calc-nogui python3-uno libreoffice-script-provider-python)")
    folder = install.default_extension_dir()
    installed_into = None
    if not install.is_private_install(folder):
        installed_into = install.install("private", folder)
    return (lambda path: recalculate(path, timeout=timeout, extension_dir=folder)), installed_into


def _check_paths(template: Path, data: Path, out: Path) -> None:
    for path, what in ((template, "template"), (data, "data file")):
        if not path.is_file():
            raise RefreshError(f"the {what} {path} does not exist")
        if out.resolve() == path.resolve():
            raise RefreshError(f"--out {out} is the {what}: refresh never writes over its inputs; choose another file")
    if out.suffix.lower() != ".xlsx":
        raise RefreshError(f"--out {out} must end in .xlsx (the report is a plain workbook)")


def read_csv_data(path: Path, neutralise: bool) -> pd.DataFrame:
    """The CSV as a frame indexed by date: numbers as floats, other text kept as text.

    Raises when a cell would run as a formula in a spreadsheet, unless
    ``neutralise`` (such cells then stay text and are written as text).
    """
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    if raw.shape[1] < 2:
        raise RefreshError(f"{path} needs a date column and at least one data column")
    dangerous = [(i + 2, column, value) for column in raw.columns for i, value in enumerate(raw[column])
                 if _looks_like_formula(value)]
    if dangerous and not neutralise:
        where = "; ".join(f"row {r} column '{c}': {v[:30]!r}" for r, c, v in dangerous[:5])
        raise RefreshError(
            f"{path} has {len(dangerous)} cell(s) a spreadsheet would run as formulas ({where}); "
            "remove them, or pass --neutralise to store them as plain text")
    dates = pd.to_datetime(raw.iloc[:, 0], errors="coerce")
    if dates.isna().any():
        row = int(np.flatnonzero(dates.isna())[0]) + 2
        raise RefreshError(f"{path} row {row}: the first column must hold dates, got {raw.iloc[row - 2, 0]!r}")
    body = raw.iloc[:, 1:]
    numbers = body.apply(pd.to_numeric, errors="coerce")
    frame = numbers.astype(object).where(numbers.notna(), body.where(body != "", None))
    frame.index = pd.DatetimeIndex(dates, name=raw.columns[0])
    return frame


def _looks_like_formula(value: str) -> bool:
    text = value.strip()
    if not text.startswith(FORMULA_START):
        return False
    try:
        float(text)
        return False
    except ValueError:
        return True


def fill_data_sheet(template: Path, frame: pd.DataFrame, target: Path) -> tuple[list[str], list[str]]:
    """Write ``frame`` under the Data sheet's headers of a copy of ``template``; returns (filled, blank) columns."""
    workbook = load_workbook(template)
    if DATA_SHEET not in workbook.sheetnames:
        raise RefreshError(f"{template} has no sheet named {DATA_SHEET!r}")
    ws = workbook[DATA_SHEET]
    headers = {str(c.value).strip(): c.column for c in ws[1] if c.value is not None}
    unknown = [c for c in frame.columns if str(c).strip() not in headers]
    if unknown:
        raise RefreshError(f"columns {unknown} are not on the {DATA_SHEET} sheet, whose headers are "
                           f"{list(headers)}; rename them or use a template with those columns")
    capacity = _capacity(workbook)
    if capacity is not None and len(frame) > capacity:
        raise RefreshError(f"{len(frame)} rows of data, but the template's ranges hold {capacity} periods")
    date_col = 1
    for row in ws.iter_rows(min_row=2, max_row=ws.max_row):
        for cell in row:
            cell.value = None
    date_format = ws.cell(row=2, column=date_col).number_format
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
    blank = [name for name, j in headers.items() if j != date_col and name not in map(str, frame.columns)]
    workbook.save(target)
    return [str(c) for c in frame.columns], blank


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
            if isinstance(value, str) and (value.startswith(("#", "Err:"))):
                error_cells.append(f"{ws.title}!{address}: {value}")
            target = ws[address]
            target.value = value
            if isinstance(value, str):
                target.data_type = "s"
        if addresses:
            counts[ws.title] = len(addresses)
            cells[ws.title] = addresses
    return counts, cells


def _array_cells(ref: str) -> list[str]:
    min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
    return [f"{get_column_letter(c)}{r}" for r in range(min_row, max_row + 1) for c in range(min_col, max_col + 1)]


def _parts_dropped(template: Path) -> dict[str, int]:
    with zipfile.ZipFile(template) as archive:
        names = archive.namelist()
    found = {label: sum(n.startswith(prefix) for n in names) for label, prefix in _PARTS_OPENPYXL_DROPS.items()}
    return {label: count for label, count in found.items() if count}


def _runs(addresses: list[str]) -> str:
    """Formula cells as compact ranges, column by column (``B2:B5001, C2:C5001``)."""
    by_column: dict[str, list[int]] = {}
    for address in addresses:
        letters = address.rstrip("0123456789")
        by_column.setdefault(letters, []).append(int(address[len(letters):]))
    parts = []
    for letters, rows in by_column.items():
        rows.sort()
        start = previous = rows[0]
        for row in rows[1:] + [None]:
            if row is not None and row == previous + 1:
                previous = row
                continue
            parts.append(f"{letters}{start}" if start == previous else f"{letters}{start}:{letters}{previous}")
            if row is not None:
                start = previous = row
    return ", ".join(parts)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_provenance(workbook, template: Path, data: Path, report: Report, formula_cells: dict) -> None:
    import numpy
    import openpyxl
    import statsmodels

    from .libreoffice.office import libreoffice_version

    ws = workbook.create_sheet(PROVENANCE_SHEET)
    lost = ", ".join(f"{n} {label}" for label, n in report.dropped_parts.items()) or "nothing"
    rows = [
        ("What this is", "A values-only report: every formula was replaced by the value LibreOffice computed."),
        ("Template", str(template.resolve())),
        ("Template SHA-256", _sha256(template)),
        ("Data file", str(data.resolve())),
        ("Data SHA-256", _sha256(data)),
        ("Data rows", report.rows),
        ("Data columns filled", ", ".join(report.columns)),
        ("Data columns left blank", ", ".join(report.blank_columns) or "none"),
        ("Created (UTC)", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")),
        ("xl_factor", __version__),
        ("numpy / pandas / statsmodels / openpyxl",
         f"{numpy.__version__} / {pd.__version__} / {statsmodels.__version__} / {openpyxl.__version__}"),
        ("Calculated by", libreoffice_version()),
        ("Not carried over (openpyxl cannot keep them)", lost),
        ("Error cells", "; ".join(report.error_cells[:50]) or "none"),
        ("", ""),
        ("Sheet", "Cells that were formulas"),
    ]
    rows += [(sheet, f"{report.formulas[sheet]} cells: {_runs(cells)}") for sheet, cells in formula_cells.items()]
    for row in rows:
        ws.append(row)
    ws.column_dimensions["A"].width = 42
    ws.column_dimensions["B"].width = 100
