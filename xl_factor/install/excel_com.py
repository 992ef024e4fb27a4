"""Windows only, run by the Python that Excel will use: imports the FM_* functions into the xlwings add-in.

``python -m xl_factor.install.excel_com import-udfs ADDIN MODULES``

The xlwings add-in's ``ImportPythonUDFsToAddin`` macro calls
``xlwings.import_udfs(UDF_MODULES, <the add-in workbook>)``, which writes the
VBA module ``xlwings_udfs`` (one VBA function per Python function, with its
help texts) into the add-in. This does the same over COM from this process:
a hidden Excel is started, the add-in file is opened, ``import_udfs`` runs on
it, the add-in is saved and that Excel is closed again. Unlike the macro, a
failure comes back as an exit code and a message instead of a dialog box in
an invisible Excel.

Exit codes: 0 done; 3 Excel does not trust access to the VBA project object
model; 4 a module of ``MODULES`` does not import; 1 anything else.
"""

from __future__ import annotations

import importlib
import sys


def import_udfs(addin: str, modules: str) -> int:
    """Import the functions of ``modules`` (``;``-separated) into the add-in at ``addin``; returns the exit code."""
    for module in modules.split(";"):
        try:
            importlib.import_module(module)
        except Exception as error:  # noqa: BLE001 - reported to the installer
            print(f"module {module} does not import: {type(error).__name__}: {error}", file=sys.stderr)
            return 4
    import xlwings as xw

    app = xw.App(visible=False, add_book=False)
    try:
        app.display_alerts = False
        book = app.books.open(addin)
        try:
            book.api.VBProject.VBComponents.Count
        except Exception as error:  # noqa: BLE001 - pywintypes.com_error: access not trusted
            print(f"no access to the VBA project of {addin}: {error}", file=sys.stderr)
            return 3
        xw.import_udfs(modules, book.api)
        book.api.Save()
        names = [c.Name for c in book.api.VBProject.VBComponents]
        if "xlwings_udfs" not in names:
            print(f"the module xlwings_udfs is not in {addin} after the import", file=sys.stderr)
            return 1
        print(f"imported the functions of {modules} into {addin}")
        return 0
    finally:
        try:
            app.quit()
        except Exception:  # noqa: BLE001
            app.kill()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3 or args[0] != "import-udfs":
        print("usage: python -m xl_factor.install.excel_com import-udfs ADDIN MODULES", file=sys.stderr)
        return 2
    if not sys.platform.startswith("win"):
        print("this runs on Windows only (it drives Excel over COM)", file=sys.stderr)
        return 1
    try:
        return import_udfs(args[1], args[2])
    except Exception as error:  # noqa: BLE001 - reported to the installer
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
