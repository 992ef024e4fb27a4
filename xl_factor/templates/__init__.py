"""Template workbooks, built by code with openpyxl: ``build_templates(out_dir)``.

``python -m xl_factor.templates [OUT_DIR] [--no-cached-values]`` (or
``xl-factor templates``) writes them into ``workbook_templates/``. Every
formula cell carries the value LibreOffice with the add-in computed for it
(:mod:`.cached_values`), so the numbers show in viewers that do not
calculate; without LibreOffice the build refuses unless told
``cached_values=False``. The build is reproducible: the zip entries carry a
fixed timestamp and the document properties a fixed date, so the same code,
data and LibreOffice give the same bytes (another LibreOffice or numpy may
round a cached double differently in its last bits).
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

from . import (book, cached_values, covariance, data_sheets, guard, guide, hedging, layout, multifactor, regression,
               sizing, style)
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
    for name in layout.RESULT_SHEETS:
        guard.banner(sheets[name])
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


def workbook_parts(wb: Workbook) -> dict[str, bytes]:
    """The parts of ``wb`` as openpyxl saves it, in order, with the fixed document dates."""
    buffer = io.BytesIO()
    wb.save(buffer)
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(buffer) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    parts["docProps/core.xml"] = _STAMP.sub(lambda m: m.group(1) + stamp + m.group(3), parts["docProps/core.xml"])
    return parts


def zip_parts(parts: dict[str, bytes]) -> bytes:
    """An xlsx of ``parts`` with fixed zip timestamps and permissions, so equal parts give equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, data)
    return out.getvalue()


def save_reproducibly(wb: Workbook, path: Path) -> Path:
    """Save ``wb`` (without cached values) with fixed zip timestamps and document dates."""
    path.write_bytes(zip_parts(workbook_parts(wb)))
    return path


#: File name -> builder of every template workbook.
TEMPLATES = {layout.WORKBOOK: build_factor_hedging}


def build_templates(out_dir: str | Path | None = None, cached: bool = True) -> list[Path]:
    """Build every template workbook into ``out_dir`` (default ``workbook_templates/``); returns the paths.

    ``cached`` (the default) puts LibreOffice's value of every formula cell into
    the file and raises :class:`~.cached_values.CachedValuesError`, writing
    nothing, when LibreOffice is missing or a cell computes to an error.
    """
    directory = Path(out_dir) if out_dir is not None else DEFAULT_DIR
    built = {}
    for name, builder in TEMPLATES.items():
        parts = workbook_parts(builder())
        if cached:
            parts = cached_values.add(parts, cached_values.compute(zip_parts(parts)))
        built[directory / name] = zip_parts(parts)
    directory.mkdir(parents=True, exist_ok=True)
    for path, data in built.items():
        path.write_bytes(data)
    return list(built)


__all__ = ["DEFAULT_DIR", "TEMPLATES", "build_factor_hedging", "build_templates", "save_reproducibly",
           "workbook_parts", "zip_parts"]
