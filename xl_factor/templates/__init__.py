"""Template workbooks, built by code with openpyxl: ``build_templates(out_dir)``.

``python -m xl_factor.templates [OUT_DIR]`` (or ``xl-factor templates``)
writes them into ``workbook_templates/``. The build is reproducible: the zip
entries carry a fixed timestamp and the document properties a fixed date, so
the same code and data give the same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

from . import book, covariance, data_sheets, guide, hedging, layout, multifactor, regression, sizing, style
from . import layout as L

#: Where ``python -m xl_factor.templates`` writes: ``workbook_templates/`` beside the package's checkout.
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "workbook_templates"

#: Fixed date for the document properties and zip entries (the build must not depend on the clock).
FIXED_TIME = datetime(2024, 1, 1)
_ZIP_TIME = (2024, 1, 1, 0, 0, 0)
_STAMP = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def build_factor_hedging() -> Workbook:
    """The factor hedging workbook: Guide, Data, Excess, Regression, Hedging, Sizing, Covariance, MultiFactor, Book."""
    wb = Workbook()
    sheets = {name: (wb.active if i == 0 else wb.create_sheet()) for i, name in enumerate(layout.SHEETS)}
    for name, ws in sheets.items():
        ws.title = name
    prefilled = data_sheets.build_data(wb, sheets[layout.DATA])
    data_sheets.build_excess(wb, sheets[layout.EXCESS])
    regression.build(wb, sheets[layout.REGRESSION], prefilled)
    hedging.build(wb, sheets[layout.HEDGING], prefilled)
    sizing.build(wb, sheets[layout.SIZING])
    covariance.build(wb, sheets[layout.COVARIANCE])
    multifactor.build(wb, sheets[layout.MULTIFACTOR])
    book.build(wb, sheets[layout.BOOK])
    guide.build(wb, sheets[layout.GUIDE], prefilled)
    _print_setup(sheets, prefilled)
    wb.active = 0
    props = wb.properties
    props.creator = props.lastModifiedBy = "xl_factor"
    props.title = "Factor hedging and sizing"
    props.created = props.modified = FIXED_TIME
    wb.calculation.fullCalcOnLoad = True
    return wb


def _print_setup(sheets: dict, prefilled: int) -> None:
    """Every sheet prints landscape, fit to width, headers repeated; the long blocks only over the prefilled rows."""
    history = L.FIRST_ROW + prefilled - 1
    series = L.SERIES_FIRST_ROW + prefilled - 1
    for name, ws in sheets.items():
        if name in (L.DATA, L.EXCESS):
            style.print_setup(ws, "1:1", f"A1:{L.col(L.RF_COL if name == L.DATA else L.LAST_ASSET_COL)}{history}")
        elif name == L.REGRESSION:
            style.print_setup(ws, f"{L.SERIES_HEADER_ROW}:{L.SERIES_HEADER_ROW}",
                              f"A1:{L.col(L.REG_FACTOR_COL)}{series}")
        elif name == L.HEDGING:
            style.print_setup(ws, f"{L.SERIES_HEADER_ROW}:{L.SERIES_HEADER_ROW}",
                              f"A1:{L.col(L.CUM_HEDGED_COL)}{series}")
        else:
            style.print_setup(ws, "1:2")


def save_reproducibly(wb: Workbook, path: Path) -> Path:
    """Save ``wb`` with fixed zip timestamps and document dates, so equal content gives equal bytes."""
    buffer = io.BytesIO()
    wb.save(buffer)
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = _STAMP.sub(lambda m: m.group(1) + stamp + m.group(3), data)
            info = zipfile.ZipInfo(item.filename, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, data)
    path.write_bytes(out.getvalue())
    return path


#: File name -> builder of every template workbook.
TEMPLATES = {layout.WORKBOOK: build_factor_hedging}


def build_templates(out_dir: str | Path | None = None) -> list[Path]:
    """Build every template workbook into ``out_dir`` (default ``workbook_templates/``); returns the paths."""
    directory = Path(out_dir) if out_dir is not None else DEFAULT_DIR
    directory.mkdir(parents=True, exist_ok=True)
    return [save_reproducibly(builder(), directory / name) for name, builder in TEMPLATES.items()]


__all__ = ["DEFAULT_DIR", "TEMPLATES", "build_factor_hedging", "build_templates", "save_reproducibly"]
