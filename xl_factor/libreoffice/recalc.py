"""Recalculate a workbook in headless LibreOffice with the add-in: every formula, FM_* included.

:func:`recalculate` runs :mod:`.uno_driver` under LibreOffice's Python (which
can ``import uno``) in a subprocess, with its own profile, pipe and temporary
copy of the workbook, all in one temporary folder that is removed afterwards
(soffice's ``TMPDIR`` points into it too, since soffice leaves ``lu*.tmp``
folders in its temporary directory), and returns the value of every formula
cell at full double precision. With ``path_out`` it also saves the
recalculated workbook as xlsx, with the add-in calls written under their
Excel names (``FM_BETA(...)``) so that the file opens in Excel, or as ods.
``as_opened`` opens the file as a person would instead of re-entering the
FM_* formulas (see :mod:`.uno_driver`). A run takes
two to three seconds plus the work in the cells; on timeout or failure no
soffice is left behind.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import tempfile
import zipfile
from pathlib import Path

from ..sheet.catalogue import CATALOGUE
from . import IMPLEMENTATION, prog_name
from .install import default_extension_dir, is_private_install
from .office import find_soffice, find_uno_python, libreoffice_available, office_env

DRIVER = Path(__file__).resolve().with_name("uno_driver.py")
#: How LibreOffice 7.4 writes an add-in call into xlsx: ``ORG.XLFACTOR.FACTORMODEL.FMBETA(``.
_EXPORTED_CALL = re.compile(re.escape(IMPLEMENTATION.upper()) + r"\.(\w+)\(", re.IGNORECASE)
#: What ``path_out`` can be; the driver picks LibreOffice's filter by it.
OUTPUT_SUFFIXES = (".xlsx", ".ods")
_EXCEL_NAMES = {prog_name(function.name).upper(): function.name for function in CATALOGUE}

__all__ = ["RecalcError", "find_soffice", "is_error_result", "libreoffice_available", "recalculate",
           "restore_excel_names"]


class RecalcError(RuntimeError):
    """LibreOffice is missing, failed, or did not finish in time."""


def recalculate(path_in: str | Path, path_out: str | Path | None = None, timeout: float = 120.0,
                extension_dir: str | Path | None = None, as_opened: bool = False,
                properties: dict[str, str] | None = None) -> dict[tuple[str, str], object]:
    """Recalculate ``path_in`` (xlsx or ods) in headless LibreOffice.

    Returns ``{(sheet, "A1"): value}`` for every formula cell: a ``float``
    (full double), a ``str`` (texts, ``""`` for a blank cell of an array, and
    ``#FM! ...`` lines), or the error LibreOffice shows (``"#NAME?"``,
    ``"#VALUE!"``, ``"Err:502"``). ``path_out`` saves the recalculated
    workbook: as xlsx with FM_* names, or as ods (by its extension), with
    ``properties`` as user-defined document properties. ``as_opened``: no
    re-entry of FM_* formulas and no ``calculateAll``; LibreOffice set to
    recalculate the file on load, so cached values cannot pass for computed
    ones (LibreOffice 25.2 binds the FM_* names of an xlsx on load; 7.4
    shows ``#NAME?``). ``timeout`` bounds the whole run, in
    seconds. ``extension_dir`` is the private folder
    the add-in was installed into; by default the one of
    :func:`~.install.default_extension_dir` when the add-in is installed
    there, else LibreOffice's own shared extensions.
    """
    soffice, python = find_soffice(), find_uno_python()
    if soffice is None or python is None:
        raise RecalcError("LibreOffice with Python UNO is not installed; on Debian/Ubuntu: apt-get install "
                          "libreoffice-calc-nogui python3-uno libreoffice-script-provider-python")
    path_in = Path(path_in).resolve()
    if not path_in.is_file():
        raise RecalcError(f"{path_in} does not exist")
    if path_out is not None and Path(path_out).suffix.lower() not in OUTPUT_SUFFIXES:
        raise RecalcError(f"{path_out}: can save only as {' or '.join(OUTPUT_SUFFIXES)}")
    if extension_dir is None and is_private_install(default_extension_dir()):
        extension_dir = default_extension_dir()
    with tempfile.TemporaryDirectory(prefix="xl_factor_recalc_", ignore_cleanup_errors=True) as tmp:
        result, pidfile = Path(tmp) / "result.json", Path(tmp) / "soffice.pid"
        command = [str(python), str(DRIVER), str(path_in), str(result), "--soffice", str(soffice),
                   "--pidfile", str(pidfile), "--timeout", str(timeout), "--tmpdir", tmp]
        if path_out is not None:
            command += ["--out", str(Path(path_out).resolve())]
        if extension_dir is not None:
            command += ["--extension-dir", str(Path(extension_dir).resolve())]
        if as_opened:
            command.append("--as-opened")
        for name, text in (properties or {}).items():
            command += ["--property", f"{name}={text}"]
        _run_driver(command, pidfile, timeout, env={**office_env(), "TMPDIR": tmp})
        values = json.loads(result.read_text(encoding="utf-8"))["values"]
    if path_out is not None and Path(path_out).suffix.lower() == ".xlsx":
        restore_excel_names(path_out)
    return {(sheet, cell): value for sheet, cells in values.items() for cell, value in cells.items()}


def is_error_result(value) -> bool:
    """True for a value of :func:`recalculate` that is an error the cell shows (``#NAME?``, ``Err:502``, ``#FM! ...``)."""
    return isinstance(value, str) and value.startswith(("#", "Err:"))


def _run_driver(command: list[str], pidfile: Path, timeout: float, env: dict[str, str]) -> None:
    """Run the driver in a process group of its own; on any failure kill it and the soffice it started."""
    driver = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _, stderr = driver.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stderr = None
    finally:
        if driver.poll() is None:
            os.killpg(driver.pid, signal.SIGKILL)
            driver.wait()
        if pidfile.exists():  # the driver did not clean up: its soffice may still run
            try:
                os.killpg(int(pidfile.read_text()), signal.SIGKILL)
            except (ValueError, ProcessLookupError, PermissionError):
                pass
    if stderr is None:
        raise RecalcError(f"LibreOffice did not finish in {timeout:.0f} s")
    if driver.returncode != 0:
        raise RecalcError(f"LibreOffice recalculation failed: {stderr.strip()[-3000:]}")


def restore_excel_names(path: str | Path) -> int:
    """Rewrite add-in calls in an xlsx saved by LibreOffice to their Excel names; returns how many.

    LibreOffice 7.4 writes ``ORG.XLFACTOR.FACTORMODEL.FMBETA(``; Excel needs
    ``FM_BETA(``.
    """
    path = Path(path)
    count = 0

    def excel_name(match: re.Match) -> str:
        nonlocal count
        name = _EXCEL_NAMES.get(match.group(1).upper())
        if name is None:
            return match.group(0)
        count += 1
        return name + "("

    rewritten = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(rewritten, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/") and item.filename.endswith(".xml"):
                data = _EXPORTED_CALL.sub(excel_name, data.decode("utf-8")).encode("utf-8")
            target.writestr(item, data)
    os.replace(rewritten, path)
    return count
