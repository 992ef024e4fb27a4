"""Shared look and small writing helpers: titles, labels, input cells, named cells, array formulas."""

from __future__ import annotations

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils.cell import absolute_coordinate, range_boundaries
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula

# Number formats.
DATE = "yyyy-mm-dd"
RETURN = "0.0000"
PERCENT = "0.00%"
SHARE = "0.0%"
MONEY = "#,##0"
BETA = "0.000"
VARIANCE = "0.000000"
RATIO = "0.00"
COUNT = "0"

FONT_NAME = "Calibri"
TITLE_FONT = Font(name=FONT_NAME, bold=True, size=14, color="1F3864")
SECTION_FONT = Font(name=FONT_NAME, bold=True, size=11, color="1F3864")
HEADER_FONT = Font(name=FONT_NAME, bold=True)
NOTE_FONT = Font(name=FONT_NAME, italic=True, color="595959")
INPUT_FONT = Font(name=FONT_NAME, bold=True, color="0000CC")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
CHECK_FONT = Font(name=FONT_NAME, bold=True, color="006100")
WARNING_FONT = Font(name=FONT_NAME, bold=True, color="C00000")
INPUT_BORDER = Border(*(Side(style="thin", color="BF9000"),) * 4)
WRAP = Alignment(wrap_text=True, vertical="top")
#: Distinct colours of the series of a chart (blue, dark red, grey), so no two series share the theme colour.
SERIES_COLOURS = ("4472C4", "C00000", "7F7F7F")


def colour_series(chart) -> None:
    """Fill the series of a bar chart with distinct colours."""
    for series, colour in zip(chart.series, SERIES_COLOURS):
        series.graphicalProperties.solidFill = colour
        series.graphicalProperties.line.solidFill = colour


def title(ws, text: str, subtitle: str = "") -> None:
    ws["A1"] = text
    ws["A1"].font = TITLE_FONT
    if subtitle:
        ws["A2"] = subtitle
        ws["A2"].font = NOTE_FONT


def section(ws, cell: str, text: str) -> None:
    ws[cell] = text
    ws[cell].font = SECTION_FONT


def note(ws, cell: str, text: str) -> None:
    ws[cell] = text
    ws[cell].font = NOTE_FONT


def header(ws, row: int, first_col: int, labels) -> None:
    for offset, label in enumerate(labels):
        cell = ws.cell(row=row, column=first_col + offset, value=label)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL


def label(ws, cell: str, text: str, value=None, number_format: str | None = None) -> None:
    """A label in ``cell`` and, when given, a value or formula in the cell to its right."""
    ws[cell] = text
    if value is not None:
        target = ws[cell].offset(column=1)
        target.value = value
        if number_format:
            target.number_format = number_format


def name(wb, defined: str, reference: str) -> None:
    wb.defined_names[defined] = DefinedName(defined, attr_text=reference)


def name_cell(wb, ws, defined: str, cell: str) -> None:
    col, row = cell.rstrip("0123456789"), cell[len(cell.rstrip("0123456789")):]
    name(wb, defined, f"{ws.title}!${col}${row}")


def input_cell(wb, ws, defined: str, cell: str, value, validation: DataValidation, number_format: str | None = None):
    """A named, validated input cell with the input style."""
    ws[cell] = value
    ws[cell].font = INPUT_FONT
    ws[cell].fill = INPUT_FILL
    ws[cell].border = INPUT_BORDER
    if number_format:
        ws[cell].number_format = number_format
    validation.add(ws[cell])
    ws.add_data_validation(validation)
    name_cell(wb, ws, defined, cell)


def input_range(wb, ws, defined: str, cell_range: str, values, validation: DataValidation,
                number_format: str | None = None) -> None:
    """A named range of validated input cells with the input style: ``values`` row by row, one per cell."""
    min_col, min_row, max_col, max_row = range_boundaries(cell_range)
    cells = [cell for row in ws.iter_rows(min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col)
             for cell in row]
    for cell, value in zip(cells, values, strict=True):
        cell.value = value
        cell.font = INPUT_FONT
        cell.fill = INPUT_FILL
        cell.border = INPUT_BORDER
        if number_format:
            cell.number_format = number_format
    validation.add(cell_range)
    ws.add_data_validation(validation)
    name(wb, defined, f"{ws.title}!{absolute_coordinate(cell_range)}")


def list_validation(source: str, prompt: str) -> DataValidation:
    """A dropdown from ``source``: a named range (``AssetHeaders``, no ``=`` as Excel writes it) or a quoted list."""
    return DataValidation(type="list", formula1=source, allow_blank=False, showErrorMessage=True,
                          errorTitle="Pick from the list", error="Choose one of the values in the dropdown.",
                          showInputMessage=True, promptTitle="Input", prompt=prompt)


def decimal_validation(low, high, prompt: str, kind: str = "decimal") -> DataValidation:
    return DataValidation(type=kind, operator="between", formula1=str(low), formula2=str(high), allow_blank=False,
                          showErrorMessage=True, errorTitle="Out of range",
                          error=f"Enter a number between {low} and {high}.",
                          showInputMessage=True, promptTitle="Input", prompt=prompt)


def nonzero_validation(prompt: str) -> DataValidation:
    return DataValidation(type="decimal", operator="notEqual", formula1="0", allow_blank=False,
                          showErrorMessage=True, errorTitle="Not zero",
                          error="Enter a non-zero amount (negative for short).",
                          showInputMessage=True, promptTitle="Input", prompt=prompt)


def formula(ws, cell_range: str, text: str, number_format: str | None = None, array: bool = True) -> None:
    """Write ``text`` into ``cell_range``: an array formula over the whole range, or a plain one-cell formula.

    Array results need an array-formula range of exactly their shape: openpyxl
    cannot write dynamic-array (spill) metadata.
    """
    min_col, min_row, max_col, max_row = range_boundaries(cell_range)
    top_left = ws.cell(row=min_row, column=min_col)
    top_left.value = ArrayFormula(cell_range, text) if array else text
    if number_format:
        for row in ws.iter_rows(min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col):
            for cell in row:
                cell.number_format = number_format


def widths(ws, **columns: float) -> None:
    for letter, width in columns.items():
        ws.column_dimensions[letter].width = width


def show_axes(chart) -> None:
    """Show both axes (openpyxl 3.1 marks them deleted by default) with tick labels at the low edge."""
    for axis in (chart.x_axis, chart.y_axis):
        axis.delete = False
        axis.tickLblPos = "low"


def print_setup(ws, title_rows: str | None, area: str | None = None) -> None:
    """Landscape, fit to the page width (as many pages down as needed), header rows repeated on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    if title_rows:
        ws.print_title_rows = title_rows
    if area:
        ws.print_area = area
