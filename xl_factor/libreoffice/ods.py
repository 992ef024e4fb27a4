"""The ``.ods`` of a template, for LibreOffice 7.x: the xlsx opened and saved by LibreOffice 25.2+ with the add-in.

LibreOffice 7.4 shows ``#NAME?`` in every FM_* cell of an xlsx: its import
does not map the Excel names to the add-in. LibreOffice 25.2 does, through
the add-in's ``CompatibilityName`` entries, and an ``.ods`` it saves stores
the add-in's programmatic names (``ORG.XLFACTOR.FACTORMODEL.FMBETA(...)``),
which 7.4 binds on open, with every value computed. So the ``.ods`` is made
by opening the xlsx as a person would (no re-entry of formulas, recalculated
on load, see :mod:`.uno_driver`) and saving it; a run where any formula cell
shows an error (an older LibreOffice, the add-in missing) writes nothing.

The ``.ods`` records the xlsx it was made from (file name and SHA-256) in
the user-defined document property ``XlFactorSource``, so a test can say
when it no longer matches the shipped xlsx.

    python -m xl_factor.libreoffice.ods TEMPLATE.xlsx [--out OUT.ods] [--force] [--extension-dir DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

from . import recalc
from .office import libreoffice_version

#: The user-defined document property that names the source xlsx.
SOURCE_PROPERTY = "XlFactorSource"
_META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"


class OdsError(RuntimeError):
    """The .ods was not written; the message says why and what to do."""


def source_tag(xlsx: str | Path) -> str:
    """What an .ods made from ``xlsx`` records: ``factor_hedging.xlsx sha256:<hex>``."""
    xlsx = Path(xlsx)
    return f"{xlsx.name} sha256:{hashlib.sha256(xlsx.read_bytes()).hexdigest()}"


def recorded_source(ods: str | Path) -> str | None:
    """The :func:`source_tag` an .ods records, or ``None`` when it records none."""
    with zipfile.ZipFile(ods) as archive:
        meta = ET.fromstring(archive.read("meta.xml"))
    for item in meta.iter(f"{_META}user-defined"):
        if item.get(f"{_META}name") == SOURCE_PROPERTY:
            return item.text
    return None


def make_ods(xlsx: str | Path, out: str | Path | None = None, force: bool = False,
             extension_dir: str | Path | None = None, timeout: float = 900.0) -> Path:
    """Write the .ods of ``xlsx`` (by default beside it) and return its path.

    An existing ``out`` is replaced only with ``force``, and only once the
    new file is complete and every formula cell computed.
    """
    xlsx = Path(xlsx)
    out = xlsx.with_suffix(".ods") if out is None else Path(out)
    if not xlsx.is_file():
        raise OdsError(f"{xlsx} is not a file")
    if out.suffix.lower() != ".ods":
        raise OdsError(f"{out}: the output must end in .ods")
    if out.is_dir():
        raise OdsError(f"{out} is a folder")
    if out.exists() and not force:
        raise OdsError(f"{out} exists: pass --force to replace it")
    partial = out.with_name(f".{out.stem}.partial.ods")
    try:
        values = recalc.recalculate(xlsx, partial, timeout=timeout, extension_dir=extension_dir, as_opened=True,
                                    properties={SOURCE_PROPERTY: source_tag(xlsx)})
        errors = [(sheet, cell, value) for (sheet, cell), value in values.items() if recalc.is_error_result(value)]
        if errors:
            sheet, cell, value = errors[0]
            raise OdsError(f"{len(errors)} formula cells show an error when {libreoffice_version()} opens {xlsx.name} "
                           f"(first: {sheet}!{cell} {value}); the .ods must be saved by LibreOffice 25.2 or later "
                           "with the add-in installed (python -m xl_factor.libreoffice.install)")
        partial.replace(out)
    except recalc.RecalcError as error:
        raise OdsError(str(error)) from error
    finally:
        partial.unlink(missing_ok=True)
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m xl_factor.libreoffice.ods TEMPLATE.xlsx``: write TEMPLATE.ods; exit 2 with one line on failure."""
    parser = argparse.ArgumentParser(prog="python -m xl_factor.libreoffice.ods", description=__doc__.split("\n")[0])
    parser.add_argument("xlsx", help="the template to convert")
    parser.add_argument("--out", help="where to write the .ods (default: beside the xlsx)")
    parser.add_argument("--force", action="store_true", help="replace an existing .ods")
    parser.add_argument("--extension-dir", help="the private folder the add-in is installed in")
    args = parser.parse_args(argv)
    try:
        out = make_ods(args.xlsx, args.out, args.force, args.extension_dir)
    except OdsError as error:
        print(f"{parser.prog}: {error}", file=sys.stderr)
        return 2
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
