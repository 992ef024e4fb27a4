"""Writes the LibreOffice add-in sources in ``xl_factor/libreoffice/addin/`` from the catalogue.

One IDL method per FM_* function (the lower-case programmatic name, e.g.
``fmbeta``; every parameter ``[in] any`` so blanks and text arrive as they
are; result ``sequence< sequence< any > >``), the ``CalcAddIn.xcu`` that shows
it under its Excel name with the catalogue's help, the thin Python component,
and the extension's manifest and description. The IDL is compiled to
``xl_factor.rdb`` with the SDK's ``unoidl-write`` when it is installed; the
.rdb is committed so that users without the SDK can build the extension.

``python -m xl_factor.libreoffice.generate`` rewrites the files; a test fails
when a committed file differs from what this module renders.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from .. import __version__
from ..sheet.catalogue import CATALOGUE, Function
from . import (
    ADDIN_DIR,
    COMPONENT_FILE,
    DESCRIPTION_FILE,
    EXTENSION_ID,
    IDL_FILE,
    IDL_MODULE,
    IMPLEMENTATION,
    INTERFACE,
    MANIFEST_FILE,
    PATHS_FILE,
    RDB_FILE,
    XCU_FILE,
    idl_name,
    prog_name,
)
from .office import find_unoidl_read, find_unoidl_write, types_rdb

#: The function-wizard category; Calc knows only its built-in categories and "Add-In".
CALC_CATEGORY = "Add-In"
LANGUAGE = "en-US"
RESULT = "sequence< sequence< any > >"
GENERATOR = "xl_factor.libreoffice.generate"


def render_idl() -> str:
    """The UNO interface: one method per catalogue function."""
    lines = [f"// GENERATED from xl_factor.sheet.catalogue by {GENERATOR}; do not edit.",
             " ".join(f"module {m} {{" for m in IDL_MODULE),
             f"    interface {INTERFACE} : com::sun::star::uno::XInterface", "    {"]
    for function in CATALOGUE:
        params = ", ".join(f"[in] any {idl_name(arg.name)}" for arg in function.args)
        lines.append(f"        {RESULT} {prog_name(function.name)}({' ' + params + ' ' if params else ''});")
    lines += ["    };", " ".join("};" for _ in IDL_MODULE), ""]
    return "\n".join(lines)


def _text_prop(name: str, text: str) -> str:
    return f'<prop oor:name="{name}"><value xml:lang="{LANGUAGE}">{escape(text)}</value></prop>'


def _xcu_function(function: Function) -> list[str]:
    lines = [f'   <node oor:name="{prog_name(function.name)}" oor:op="replace">',
             "    " + _text_prop("DisplayName", function.name),
             "    " + _text_prop("Description", function.doc),
             f'    <prop oor:name="Category"><value>{CALC_CATEGORY}</value></prop>',
             "    " + _text_prop("CompatibilityName", function.name),
             '    <node oor:name="Parameters">']
    for arg in function.args:
        doc = f"{arg.doc} (optional)" if arg.optional else arg.doc
        lines += [f'     <node oor:name="{idl_name(arg.name)}" oor:op="replace">',
                  "      " + _text_prop("DisplayName", arg.name),
                  "      " + _text_prop("Description", doc),
                  "     </node>"]
    return lines + ["    </node>", "   </node>"]


def render_xcu() -> str:
    """CalcAddIn.xcu: each method's Excel name, help text and argument help."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f"<!-- GENERATED from xl_factor.sheet.catalogue by {GENERATOR}; do not edit. -->",
             '<oor:component-data xmlns:oor="http://openoffice.org/2001/registry" '
             'xmlns:xs="http://www.w3.org/2001/XMLSchema" oor:name="CalcAddIns" oor:package="org.openoffice.Office">',
             ' <node oor:name="AddInInfo">',
             f'  <node oor:name="{IMPLEMENTATION}" oor:op="replace">',
             '   <node oor:name="AddInFunctions">']
    for function in CATALOGUE:
        lines += _xcu_function(function)
    lines += ["   </node>", "  </node>", " </node>", "</oor:component-data>", ""]
    return "\n".join(lines)


_COMPONENT_HEAD = '''"""LibreOffice Calc add-in: the FM_* worksheet functions of xl_factor.

GENERATED from xl_factor.sheet.catalogue by {generator}; do not edit.
Each method hands its arguments, as Calc passes them, to
xl_factor.sheet.catalogue.call and returns the result as rows of cells; any
failure becomes one '#FM! ...' cell. xl_factor and its dependencies are found
through XL_FACTOR_PYTHONPATH and the {paths_file} that the installer writes
into the extension.
"""

import json
import math
import numbers
import os
import sys

import unohelper
from com.sun.star.beans import PropertyValue
from com.sun.star.lang import XLocalizable, XServiceInfo, XServiceName

try:
    from {module} import {interface}
except ImportError:  # 'unopkg add' runs this file before the new type library is visible
    {interface} = object

IMPLEMENTATION = {implementation!r}
SERVICES = ("com.sun.star.sheet.AddIn", IMPLEMENTATION)


def _install_paths():
    """What the installer recorded: {{"python": "3.11", "sys_path": [...]}} (empty when absent)."""
    try:
        with open(os.path.join(os.path.dirname(__file__), {paths_file!r}), encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {{}}


def _extend_sys_path(paths):
    """Put ``paths`` before the first site-packages entry: the standard library still comes first."""
    new = [p for p in dict.fromkeys(paths) if p and p not in sys.path]
    at = next((i for i, p in enumerate(sys.path) if p.rstrip("/").endswith(("site-packages", "dist-packages"))),
              len(sys.path))
    sys.path[at:at] = new


INSTALLED = _install_paths()
_extend_sys_path(os.environ.get("XL_FACTOR_PYTHONPATH", "").split(os.pathsep) + INSTALLED.get("sys_path", []))


def _one_line(text):
    return " ".join(str(text).split())


def _cell(value):
    """A result cell as Calc takes it inside an array: a finite number, or a text ("" is a blank)."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else ""
    return "" if value is None else str(value)


def _office_version(ctx):
    try:
        provider = ctx.ServiceManager.createInstanceWithContext(
            "com.sun.star.configuration.ConfigurationProvider", ctx)
        node = PropertyValue()
        node.Name, node.Value = "nodepath", "/org.openoffice.Setup/Product"
        product = provider.createInstanceWithArguments("com.sun.star.configuration.ConfigurationAccess", (node,))
        return "LibreOffice " + product.getByName("ooSetupVersionAboutBox")
    except Exception:  # noqa: BLE001 - the version is only shown by FM_INFO
        return "LibreOffice"


def _run(name, args, runtime):
    """Rows of cells of FM_* function ``name``; never raises (Calc would show a bare #VALUE!)."""
    try:
        from xl_factor.sheet.catalogue import call
        from xl_factor.sheet.cells import as_cells
    except Exception as error:  # noqa: BLE001
        return (("#FM! {{}}: LibreOffice's Python {{}} cannot import xl_factor ({{}}); install the add-in with "
                 "python -m xl_factor.libreoffice.install, using a Python {{}} that has xl_factor".format(
                     name, sys.version.split()[0], _one_line(error), INSTALLED.get("python", "of the same version")),),)
    try:
        return tuple(tuple(_cell(c) for c in row) for row in as_cells(call(name, *args, runtime=runtime), blank=""))
    except Exception as error:  # noqa: BLE001
        return (("#FM! {{}}: internal error in the LibreOffice add-in ({{}}: {{}}); please report it".format(
            name, type(error).__name__, _one_line(error)),),)


class FactorModel(unohelper.Base, XServiceName, XServiceInfo, XLocalizable, {interface}):
    """The add-in component: one method per FM_* function, named as in the IDL."""

    def __init__(self, ctx, *args):
        self.ctx = ctx
        self.locale = None
        self.runtime = None

    def _call(self, name, *args):
        if self.runtime is None:
            self.runtime = _office_version(self.ctx)
        return _run(name, args, self.runtime)

    def getServiceName(self):
        return IMPLEMENTATION

    def getImplementationName(self):
        return IMPLEMENTATION

    def supportsService(self, name):
        return name in SERVICES

    def getSupportedServiceNames(self):
        return SERVICES

    def setLocale(self, locale):
        self.locale = locale

    def getLocale(self):
        return self.locale
'''

_COMPONENT_TAIL = '''

g_ImplementationHelper = unohelper.ImplementationHelper()
g_ImplementationHelper.addImplementation(FactorModel, IMPLEMENTATION, SERVICES)
'''


def _component_method(function: Function) -> str:
    params = "".join(", " + arg.name for arg in function.args)
    return (f"\n    def {prog_name(function.name)}(self{params}):\n"
            f"        return self._call({function.name!r}{params})\n")


def render_component() -> str:
    """The Python UNO component: thin methods over ``xl_factor.sheet.catalogue.call``."""
    head = _COMPONENT_HEAD.format(generator=GENERATOR, paths_file=PATHS_FILE, module=".".join(IDL_MODULE),
                                  interface=INTERFACE, implementation=IMPLEMENTATION)
    return head + "".join(_component_method(f) for f in CATALOGUE) + _COMPONENT_TAIL


def render_manifest() -> str:
    """META-INF/manifest.xml: the type library, the Python component and the configuration."""
    entries = ((RDB_FILE, "application/vnd.sun.star.uno-typelibrary;type=RDB"),
               (COMPONENT_FILE, "application/vnd.sun.star.uno-component;type=Python"),
               (XCU_FILE, "application/vnd.sun.star.configuration-data"))
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<manifest:manifest xmlns:manifest="http://openoffice.org/2001/manifest">']
    lines += [f" <manifest:file-entry manifest:media-type={quoteattr(kind)} manifest:full-path={quoteattr(path)}/>"
              for path, kind in entries]
    return "\n".join(lines + ["</manifest:manifest>", ""])


def render_description() -> str:
    """description.xml: the extension's identifier, version and name."""
    return "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<description xmlns="http://openoffice.org/extensions/description/2006" '
        'xmlns:xlink="http://www.w3.org/1999/xlink">',
        f' <identifier value="{EXTENSION_ID}"/>',
        f' <version value="{__version__}"/>',
        ' <display-name><name lang="en">xl_factor: factor model functions (FM_*)</name></display-name>',
        "</description>",
        "",
    ])


def render() -> dict[str, str]:
    """Every generated text file of ``addin/``, by file name."""
    return {IDL_FILE: render_idl(), XCU_FILE: render_xcu(), COMPONENT_FILE: render_component(),
            MANIFEST_FILE: render_manifest(), DESCRIPTION_FILE: render_description()}


def compile_rdb(idl: str) -> bytes | None:
    """The IDL compiled with ``unoidl-write`` to a type library, or ``None`` without the SDK."""
    tool, types = find_unoidl_write(), types_rdb()
    if tool is None or types is None:
        return None
    with tempfile.TemporaryDirectory(prefix="xl_factor_idl_") as tmp:
        source, target = Path(tmp) / IDL_FILE, Path(tmp) / RDB_FILE
        source.write_text(idl)
        subprocess.run([str(tool), str(types), str(source), str(target)], check=True, capture_output=True,
                       timeout=60)
        return target.read_bytes()


def read_rdb(rdb: bytes) -> str | None:
    """The types a compiled type library declares, as ``unoidl-read`` prints them; ``None`` without the SDK.

    What to compare two libraries by: the bytes carry the version of the
    ``unoidl-write`` that made them.
    """
    tool, types = find_unoidl_read(), types_rdb()
    if tool is None or types is None:
        return None
    with tempfile.TemporaryDirectory(prefix="xl_factor_idl_") as tmp:
        library = Path(tmp) / RDB_FILE
        library.write_bytes(rdb)
        done = subprocess.run([str(tool), str(types), str(library)], check=True, capture_output=True, text=True,
                              timeout=60)
        return done.stdout


def main() -> None:
    """Rewrite ``addin/``; recompile the .rdb when the SDK is installed and its types changed."""
    ADDIN_DIR.mkdir(exist_ok=True)
    files = render()
    for name, text in files.items():
        (ADDIN_DIR / name).write_text(text)
        print(f"wrote {ADDIN_DIR / name}")
    rdb = compile_rdb(files[IDL_FILE])
    committed = ADDIN_DIR / RDB_FILE
    if rdb is None:
        print(f"unoidl-write not found (Debian: apt-get install libreoffice-dev): {RDB_FILE} left as it is")
    elif committed.exists() and read_rdb(committed.read_bytes()) == read_rdb(rdb):
        print(f"{committed} declares the same types: left as it is")
    else:
        committed.write_bytes(rdb)
        print(f"wrote {committed}")


if __name__ == "__main__":
    main()
