"""Where LibreOffice's programs are: soffice, unopkg, unoidl-write and a Python that can ``import uno``.

Each finder returns a path or ``None``; environment variables override the
search (``XL_FACTOR_SOFFICE``, ``XL_FACTOR_UNO_PYTHON``), for LibreOffice
builds installed outside the usual places.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

_SOFFICE_CANDIDATES = (
    "/usr/lib/libreoffice/program/soffice",
    "/usr/lib64/libreoffice/program/soffice",
    "/opt/libreoffice*/program/soffice",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
)


@lru_cache(maxsize=None)
def find_soffice() -> Path | None:
    """The ``soffice`` launcher (symlinks resolved), or ``None`` when LibreOffice is not installed."""
    found = [os.environ.get("XL_FACTOR_SOFFICE"), shutil.which("soffice"), shutil.which("libreoffice")]
    for pattern in _SOFFICE_CANDIDATES:
        found += sorted(glob.glob(pattern), reverse=True)
    for candidate in found:
        if candidate and os.access(candidate, os.X_OK):
            return Path(candidate).resolve()
    return None


def program_dir() -> Path | None:
    """LibreOffice's ``program`` directory (holds soffice, unopkg, types.rdb)."""
    soffice = find_soffice()
    return None if soffice is None else soffice.parent


def find_unopkg() -> Path | None:
    """The extension manager ``unopkg`` next to soffice (or on PATH)."""
    directory = program_dir()
    if directory is not None and (directory / "unopkg").exists():
        return directory / "unopkg"
    found = shutil.which("unopkg")
    return None if found is None else Path(found)


def find_unoidl_write() -> Path | None:
    """The IDL compiler ``unoidl-write`` of the LibreOffice SDK (Debian: libreoffice-dev), or ``None``."""
    return _find_sdk_tool("unoidl-write")


def find_unoidl_read() -> Path | None:
    """The SDK's ``unoidl-read``, which prints a type library as IDL, or ``None``.

    Two compiled libraries of the same IDL differ byte for byte between
    LibreOffice versions (``unoidl-write`` puts its own version in the
    header); their ``unoidl-read`` dumps do not.
    """
    return _find_sdk_tool("unoidl-read")


def _find_sdk_tool(name: str) -> Path | None:
    """An SDK program on PATH, or in LibreOffice's ``sdk/bin`` or ``program`` directory."""
    found = shutil.which(name)
    if found:
        return Path(found)
    directory = program_dir()
    if directory is None:
        return None
    for candidate in (directory.parent / "sdk" / "bin" / name, directory / name):
        if candidate.exists():
            return candidate
    return None


def types_rdb() -> Path | None:
    """LibreOffice's own type library, which the add-in's IDL builds on."""
    directory = program_dir()
    if directory is None:
        return None
    for candidate in (directory / "types.rdb", directory / "types" / "offapi.rdb"):
        if candidate.exists():
            return candidate
    return None


@lru_cache(maxsize=None)
def find_uno_python() -> Path | None:
    """A Python that can ``import uno``: LibreOffice's bundled one, the system's, or this one."""
    directory = program_dir()
    candidates = [os.environ.get("XL_FACTOR_UNO_PYTHON")]
    if directory is not None:
        candidates += [str(directory / "python"), str(directory / "python.exe")]
    candidates += ["/usr/bin/python3", sys.executable]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK) and _imports_uno(candidate):
            return Path(candidate)
    return None


def _imports_uno(python: str) -> bool:
    try:
        done = subprocess.run([python, "-c", "import uno"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def office_env() -> dict[str, str]:
    """The environment to start soffice or unopkg in.

    LibreOffice's embedded Python finds its standard library by looking for
    ``python3`` on ``PATH``: with another Python first on ``PATH`` (pyenv, a
    virtualenv) it loads that one's library and crashes (``unopkg`` reports
    ``std::bad_alloc``). So the directory of the Python that can ``import uno``
    goes first, and ``PYTHONHOME`` / ``PYTHONPATH`` are dropped.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME", "PYTHONPATH")}
    python = find_uno_python()
    if python is not None:
        env["PATH"] = os.pathsep.join([str(python.parent), env.get("PATH", "")]).rstrip(os.pathsep)
    return env


def libreoffice_available() -> bool:
    """True when soffice, unopkg and a Python with ``uno`` are all present."""
    return find_soffice() is not None and find_unopkg() is not None and find_uno_python() is not None


@lru_cache(maxsize=None)
def libreoffice_version() -> str:
    """``soffice --version`` in one line (e.g. ``LibreOffice 7.4.7.2 40(Build:2)``), or ``unknown``."""
    soffice = find_soffice()
    if soffice is None:
        return "unknown"
    try:
        done = subprocess.run([str(soffice), "--version"], capture_output=True, text=True, timeout=60,
                              env=office_env())
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return " ".join(done.stdout.split()) or "unknown"
