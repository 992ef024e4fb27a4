"""Recalculate one workbook in a private headless LibreOffice over UNO.

Runs under LibreOffice's Python (Debian: ``/usr/bin/python3`` with
python3-uno), started by :mod:`xl_factor.libreoffice.recalc`; it imports
nothing from xl_factor, which that Python may not have.

    python3 uno_driver.py IN.xlsx RESULT.json [--soffice PATH] [--out OUT.xlsx|OUT.ods] [--extension-dir DIR]
                          [--pidfile FILE] [--timeout SECONDS] [--tmpdir DIR] [--as-opened]
                          [--property NAME=VALUE ...]

Steps: a throw-away profile; one ``--terminate_after_init`` run that creates
it and registers the extensions (soffice restarts itself after that, which
would cut a UNO connection); soffice listening on a pipe of its own; the
input copied next to the profile (no lock file beside it, no stale lock can
block the hidden load); every FM_* formula re-entered (LibreOffice 7.4 leaves
add-in names from xlsx unresolved), array formulas over their whole range;
``calculateAll``; the result of every formula cell written as JSON
``{sheet: {cell: value}}`` (full doubles, texts, errors as the cell shows
them); optionally the workbook saved as xlsx or ods, with user-defined
document properties (``--property``); soffice terminated, its process group
killed and the profile deleted.

``--as-opened`` opens the workbook as a person would: no re-entry and no
``calculateAll``, but the profile set to recalculate xlsx and ods files on
load (by default LibreOffice shows a file's cached values), so every value
read back was computed by this LibreOffice when it opened the file.
LibreOffice 25.2 binds the FM_* names of an xlsx to the add-in on load
through the add-in's ``CompatibilityName``s; 7.4 leaves them ``#NAME?``.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException

FORMULA_CELLS = 16  # com.sun.star.sheet.CellFlags.FORMULA
ERROR_RESULT = 4  # com.sun.star.sheet.FormulaResult.ERROR
#: Save filters by the output's extension.
FILTERS = {".xlsx": "Calc Office Open XML", ".ods": "calc8"}
#: Calc's setting for recalculation on load; 0 = always (default 1: never, show the cached values).
LOAD_SETTINGS = "/org.openoffice.Office.Calc/Formula/Load"
RECALC_ALWAYS = 0
ADDIN_CALL = re.compile(r"(?i)(?<![\w.])(?:_xll\.)?FM_\w+\s*\(")
XLL_PREFIX = re.compile(r"(?i)(?<![\w.])_xll\.(?=FM_)")


def _prop(name, value):
    prop = PropertyValue()
    prop.Name, prop.Value = name, value
    return prop


def _kill_group(process):
    """Kill soffice's whole process group (oosplash, soffice.bin and children)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


class Office:
    """A headless soffice with its own profile and pipe; ``close`` always cleans up."""

    def __init__(self, soffice, workdir, extension_dir=None, pidfile=None, timeout=120.0):
        self.soffice, self.workdir, self.extension_dir = soffice, workdir, extension_dir
        self.pidfile, self.timeout = pidfile, timeout
        self.process = self.desktop = self.ctx = None

    def start(self):
        """Create the profile, start soffice on a pipe of its own and connect to it."""
        deadline = time.monotonic() + self.timeout
        env = dict(os.environ)
        env.pop("PYTHONHOME", None)
        base = [self.soffice, "--headless", "--invisible", "--nologo", "--norestore", "--nodefault",
                "--nolockcheck", "--nofirststartwizard",
                "-env:UserInstallation=" + uno.systemPathToFileUrl(os.path.join(self.workdir, "profile"))]
        if self.extension_dir:
            base.append("-env:UNO_SHARED_PACKAGES_CACHE="
                        + uno.systemPathToFileUrl(os.path.abspath(self.extension_dir)))
        with open(os.path.join(self.workdir, "soffice.log"), "wb") as log:
            self.process = self._start(base + ["--terminate_after_init"], env, log)
            try:
                self.process.wait(max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                raise RuntimeError("soffice did not finish creating its profile in time") from None
            finally:
                _kill_group(self.process)
            pipe = "xl_factor_%d_%s" % (os.getpid(), uuid.uuid4().hex[:12])
            self.process = self._start(
                base + ["--accept=pipe,name=%s;urp;StarOffice.ComponentContext" % pipe], env, log)
        self.desktop = self._connect(pipe, deadline)

    def _start(self, command, env, log):
        process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        if self.pidfile:
            with open(self.pidfile, "w") as handle:
                handle.write(str(process.pid))
        return process

    def _connect(self, pipe, deadline):
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        while True:
            try:
                self.ctx = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
                return self.ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", self.ctx)
            except NoConnectException:
                if self.process.poll() is not None:
                    raise RuntimeError("soffice exited with code %s before accepting a connection"
                                       % self.process.returncode) from None
                if time.monotonic() > deadline:
                    raise RuntimeError("soffice did not accept a connection in time") from None
                time.sleep(0.05)

    def recalculate_on_load(self):
        """Set this profile to recalculate every xlsx and ods on load, instead of showing cached values."""
        provider = self.ctx.ServiceManager.createInstanceWithContext(
            "com.sun.star.configuration.ConfigurationProvider", self.ctx)
        settings = provider.createInstanceWithArguments("com.sun.star.configuration.ConfigurationUpdateAccess",
                                                        (_prop("nodepath", LOAD_SETTINGS),))
        settings.setPropertyValue("OOXMLRecalcMode", RECALC_ALWAYS)
        settings.setPropertyValue("ODFRecalcMode", RECALC_ALWAYS)
        settings.commitChanges()

    def load(self, path):
        doc = self.desktop.loadComponentFromURL(uno.systemPathToFileUrl(os.path.abspath(path)), "_blank", 0,
                                                (_prop("Hidden", True),))
        if doc is None:
            raise RuntimeError("LibreOffice could not open %s" % path)
        return doc

    def close(self):
        """Ask soffice to quit, then kill its process group and forget the pid file."""
        if self.process is not None:
            try:
                if self.desktop is not None:
                    self.desktop.terminate()
            except Exception:  # noqa: BLE001 - the bridge drops when soffice exits
                pass
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                pass
            _kill_group(self.process)
            self.process = self.desktop = self.ctx = None
        if self.pidfile and os.path.exists(self.pidfile):
            os.remove(self.pidfile)


def _cells(ranges):
    for address in ranges.getRangeAddresses():
        for row in range(address.StartRow, address.EndRow + 1):
            for column in range(address.StartColumn, address.EndColumn + 1):
                yield column, row


def _column_letters(column):
    letters = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def reenter_addin_formulas(doc):
    """Set every FM_* formula again, so that LibreOffice binds it to the add-in; returns how many.

    Formulas are read a block at a time (one UNO call per range, not per
    cell); an array formula is re-entered once, over its whole range.
    """
    count = 0
    for sheet in doc.Sheets:
        arrays = []  # (first column, first row, last column, last row) of arrays already re-entered
        for address in sheet.queryContentCells(FORMULA_CELLS).getRangeAddresses():
            formulas = sheet.getCellRangeByPosition(address.StartColumn, address.StartRow,
                                                    address.EndColumn, address.EndRow).getFormulaArray()
            for i, row in enumerate(formulas):
                for j, formula in enumerate(row):
                    if not ADDIN_CALL.search(formula):
                        continue
                    column, line = address.StartColumn + j, address.StartRow + i
                    formula = XLL_PREFIX.sub("", formula)
                    if formula.startswith("{") and formula.endswith("}"):
                        if any(c0 <= column <= c1 and r0 <= line <= r1 for c0, r0, c1, r1 in arrays):
                            continue
                        cursor = sheet.createCursorByRange(sheet.getCellByPosition(column, line))
                        cursor.collapseToCurrentArray()
                        whole = cursor.getRangeAddress()
                        arrays.append((whole.StartColumn, whole.StartRow, whole.EndColumn, whole.EndRow))
                        cursor.setArrayFormula(formula[1:-1])
                    else:
                        sheet.getCellByPosition(column, line).setFormula(formula)
                    count += 1
    return count


def formula_results(doc):
    """``{sheet: {"A1": value}}`` for every formula cell: floats, texts, or the error the cell shows."""
    results = {}
    for sheet in doc.Sheets:
        values = {}
        ranges = sheet.queryContentCells(FORMULA_CELLS)
        for address in ranges.getRangeAddresses():
            block = sheet.getCellRangeByPosition(address.StartColumn, address.StartRow,
                                                 address.EndColumn, address.EndRow).getDataArray()
            for i, row in enumerate(block):
                for j, value in enumerate(row):
                    values[_column_letters(address.StartColumn + j) + str(address.StartRow + i + 1)] = value
        for column, row in _cells(ranges.queryFormulaCells(ERROR_RESULT)):
            values[_column_letters(column) + str(row + 1)] = sheet.getCellByPosition(column, row).getString()
        if values:
            results[sheet.Name] = values
    return results


def recalculate(soffice, path, result_path, out=None, extension_dir=None, pidfile=None, timeout=120.0,
                tmpdir=None, as_opened=False, properties=()):
    """Open ``path``, re-enter FM_* formulas, calculate all, write the results (and ``out``).

    ``as_opened``: no re-entry and no ``calculateAll``, recalculation on load
    instead. ``properties``: ``(name, text)`` pairs stored as user-defined
    document properties in ``out``. The profile and the copy of the workbook
    go into a new folder in ``tmpdir``.
    """
    workdir = tempfile.mkdtemp(prefix="xl_factor_lo_", dir=tmpdir)
    office = Office(soffice, workdir, extension_dir, pidfile, timeout)
    try:
        office.start()
        if as_opened:
            office.recalculate_on_load()
        work = os.path.join(workdir, "book" + os.path.splitext(path)[1])
        shutil.copyfile(path, work)
        doc = office.load(work)
        try:
            reentered = 0
            if not as_opened:
                doc.enableAutomaticCalculation(False)
                reentered = reenter_addin_formulas(doc)
                doc.calculateAll()
                doc.enableAutomaticCalculation(True)
            results = formula_results(doc)
            for name, text in properties:
                doc.DocumentProperties.UserDefinedProperties.addProperty(name, 0, text)
            if out:
                doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(out)),
                               (_prop("FilterName", FILTERS[os.path.splitext(out)[1].lower()]),))
        finally:
            doc.close(True)
        with open(result_path, "w", encoding="utf-8") as handle:
            json.dump({"values": results, "reentered": reentered}, handle)
    finally:
        office.close()
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("path")
    parser.add_argument("result")
    parser.add_argument("--soffice", default=shutil.which("soffice") or "soffice")
    parser.add_argument("--out")
    parser.add_argument("--extension-dir")
    parser.add_argument("--pidfile")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--tmpdir", help="where to make the temporary profile (default: the system's)")
    parser.add_argument("--as-opened", action="store_true", help="no re-entry: recalculate on load")
    parser.add_argument("--property", action="append", default=[], metavar="NAME=VALUE",
                        help="a user-defined document property of --out")
    args = parser.parse_args()
    properties = [item.split("=", 1) for item in args.property]
    recalculate(args.soffice, args.path, args.result, args.out, args.extension_dir, args.pidfile, args.timeout,
                args.tmpdir, args.as_opened, properties)


if __name__ == "__main__":
    sys.exit(main())
