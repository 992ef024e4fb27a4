"""The LibreOffice front door: a Calc add-in exposing every FM_* function under its Excel name.

The add-in is generated from the catalogue (:mod:`.generate`), packed into an
``.oxt`` extension (:mod:`.build`), installed with ``unopkg``
(:mod:`.install`), and driven headless to recalculate workbooks
(:mod:`.recalc`). Names shared by those modules live here.
"""

from __future__ import annotations

from pathlib import Path

#: The committed, generated add-in sources (IDL, compiled .rdb, .xcu, component, manifests).
ADDIN_DIR = Path(__file__).resolve().parent / "addin"

#: UNO implementation and service name of the add-in component; the node name in CalcAddIn.xcu.
IMPLEMENTATION = "org.xlfactor.FactorModel"
#: UNO module and interface that declare one method per FM_* function.
IDL_MODULE = ("org", "xlfactor")
INTERFACE = "XFactorModel"
#: Extension identifier in description.xml; what ``unopkg remove`` takes.
EXTENSION_ID = "org.xlfactor.calc.addin"

#: File names inside the extension.
IDL_FILE = f"{INTERFACE}.idl"
RDB_FILE = "xl_factor.rdb"
XCU_FILE = "CalcAddIn.xcu"
COMPONENT_FILE = "xl_factor_addin.py"
MANIFEST_FILE = "manifest.xml"
DESCRIPTION_FILE = "description.xml"
#: Written into the extension at build time: where the component finds xl_factor and numpy.
PATHS_FILE = "xl_factor_paths.json"


def prog_name(excel_name: str) -> str:
    """The add-in method name of an Excel name: ``FM_BETA`` -> ``fmbeta``."""
    return excel_name.replace("_", "").lower()


def idl_name(arg_name: str) -> str:
    """An argument's IDL name, which UNO IDL wants without underscores: ``add_constant`` -> ``addConstant``."""
    first, *rest = arg_name.split("_")
    return first + "".join(part.capitalize() for part in rest)
