"""Installs the add-in into LibreOffice with ``unopkg``: for a user, for CI, or system-wide.

Three targets:

``private`` (default)
    ``unopkg add --shared -f -env:UNO_SHARED_PACKAGES_CACHE=file://DIR``: the
    extension goes into a folder of its own (``DIR``, by default
    ``~/.local/share/xl_factor/libreoffice``), as a normal user and as root
    (``unopkg`` refuses per-user installs as root), touching no LibreOffice
    profile. The headless driver (:mod:`.recalc`, ``xl-factor refresh``)
    starts LibreOffice with the same ``-env``; a LibreOffice window sees it when
    started as ``soffice -env:UNO_SHARED_PACKAGES_CACHE=file://DIR``.
``profile``
    ``unopkg add -f``: into the user's own LibreOffice profile, so every
    LibreOffice window shows the FM_* functions. Not as root; close
    LibreOffice first.
``system``
    ``unopkg add --shared -f``: LibreOffice's shared extensions, for every
    user; needs root.

LibreOffice writes into the home folder whenever one of its programs starts
(``~/.config``, ``~/.cache/dconf/user``), even with a throwaway profile. So
``unopkg``, the ``import uno`` probe and the check's headless LibreOffice run
with a throwaway ``HOME`` (:func:`scratch_home`, :func:`scratch_env`); a
profile install keeps the real ``HOME``, whose profile it is meant to change,
and sends only the caches to the throwaway folder.

Every target is idempotent (``-f`` replaces an installed copy). The extension
is built at install time with the paths of the Python that runs the install
(see :mod:`.build`), so LibreOffice's Python finds xl_factor and numpy
without ``PYTHONPATH``; its minor version must match LibreOffice's Python.

``python -m xl_factor.libreoffice.install [--profile | --system] [--dir DIR] [--uninstall] [--check]``
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from .. import __version__
from . import EXTENSION_ID
from .build import build_oxt, python_paths
from .office import find_unopkg, office_env

TARGETS = ("private", "profile", "system")
#: Written into a private folder at install time; :mod:`.recalc` looks for it.
MARKER = "xl_factor_install.json"


class InstallError(RuntimeError):
    """unopkg failed, or LibreOffice is missing; the message says what to do."""


def default_extension_dir() -> Path:
    """The private extension folder: ``$XL_FACTOR_LO_EXTENSIONS``, else under the user's data dir."""
    if os.environ.get("XL_FACTOR_LO_EXTENSIONS"):
        return Path(os.environ["XL_FACTOR_LO_EXTENSIONS"]).expanduser().resolve()
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data).expanduser().resolve() / "xl_factor" / "libreoffice"


def cache_argument(extension_dir: str | Path) -> str:
    """The bootstrap argument that points LibreOffice at a private extension folder."""
    return "-env:UNO_SHARED_PACKAGES_CACHE=" + Path(extension_dir).resolve().as_uri()


def is_private_install(extension_dir: str | Path) -> bool:
    """True when :func:`install` put the add-in into ``extension_dir`` (its marker file is there)."""
    return (Path(extension_dir) / MARKER).is_file()


def scratch_env(folder: str | Path, keep_home: bool = False) -> dict[str, str]:
    """Environment variables that send what a starting LibreOffice writes into the user's home (and temporary folders) to ``folder``.

    ``keep_home`` keeps ``HOME`` and ``XDG_CONFIG_HOME`` (where the user's
    profile lives) and redirects only the caches (dconf's ``user`` file).
    """
    folder = Path(folder)
    # TMPDIR too: unopkg and soffice leave an lu*.tmp folder in the temporary directory on every start.
    env = {"XDG_CACHE_HOME": str(folder / ".cache"), "XDG_RUNTIME_DIR": str(folder / "run"), "TMPDIR": str(folder)}
    if not keep_home:
        env.update(HOME=str(folder), XDG_CONFIG_HOME=str(folder / ".config"))
    return env


@contextlib.contextmanager
def scratch_home(keep_home: bool = False):
    """Inside: ``os.environ`` points at a temporary home (see :func:`scratch_env`); after: restored, folder removed.

    For the code that starts LibreOffice's programs with the process
    environment (``find_uno_python``, the headless recalculation).
    """
    with tempfile.TemporaryDirectory(prefix="xl_factor_home_", ignore_cleanup_errors=True) as folder:
        overrides = scratch_env(folder, keep_home)
        saved = {name: os.environ.get(name) for name in overrides}
        os.environ.update(overrides)
        try:
            yield Path(folder)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def _unopkg(command: list[str], target: str, extension_dir: Path | None) -> subprocess.CompletedProcess:
    unopkg = find_unopkg()
    if unopkg is None:
        raise InstallError("LibreOffice is not installed (no unopkg); on Debian/Ubuntu: apt-get install "
                           "libreoffice-calc-nogui python3-uno libreoffice-script-provider-python")
    if target == "profile" and hasattr(os, "geteuid") and os.geteuid() == 0:
        raise InstallError("unopkg refuses to install into a profile as root; use the private (default) or "
                           "--system target")
    with scratch_home(keep_home=target == "profile") as scratch:
        args = [str(unopkg), *command]
        if target != "profile":
            args += ["--shared", "-env:UserInstallation=" + (scratch / "profile").as_uri()]
        if target == "private":
            args.append(cache_argument(extension_dir))
        try:
            return subprocess.run(args, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
                                  env=office_env())
        except subprocess.TimeoutExpired as error:
            raise InstallError(f"unopkg {command[0]} did not finish in {error.timeout:.0f} s") from None


def is_installed(target: str = "private", extension_dir: str | Path | None = None) -> bool:
    """True when ``unopkg list`` shows the add-in in ``target``."""
    done = _unopkg(["list"], target, _folder(target, extension_dir))
    return done.returncode == 0 and EXTENSION_ID in done.stdout


def install(target: str = "private", extension_dir: str | Path | None = None) -> Path | None:
    """Build the extension for this Python and add it to ``target``; returns the private folder, if any."""
    folder = _folder(target, extension_dir)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xl_factor_oxt_") as tmp:
        oxt = build_oxt(tmp)
        done = _unopkg(["add", "-f", str(oxt)], target, folder)
    if done.returncode != 0:
        raise InstallError(f"unopkg add failed ({done.returncode}): {_output(done)}")
    if folder is not None:
        marker = {"extension": EXTENSION_ID, "version": __version__, **python_paths()}
        (folder / MARKER).write_text(json.dumps(marker, indent=1) + "\n")
    return folder


def uninstall(target: str = "private", extension_dir: str | Path | None = None) -> bool:
    """Remove the add-in from ``target``; False when it was not installed there."""
    folder = _folder(target, extension_dir)
    if folder is not None and not folder.exists():
        return False
    installed = is_installed(target, folder)
    if installed:
        done = _unopkg(["remove", EXTENSION_ID], target, folder)
        if done.returncode != 0:
            raise InstallError(f"unopkg remove failed ({done.returncode}): {_output(done)}")
    if folder is not None:
        (folder / MARKER).unlink(missing_ok=True)
    return installed


def check(extension_dir: str | Path | None = None, timeout: float = 120.0) -> float:
    """Compute ``=FM_BETA`` in a fresh headless LibreOffice and compare with numpy.

    Returns the largest relative difference; raises :class:`InstallError`
    when a cell is not a number or differs by more than 1e-9.
    """
    import numpy as np
    from openpyxl import Workbook
    from openpyxl.worksheet.formula import ArrayFormula

    from .recalc import recalculate

    rng = np.random.default_rng(2024)
    factors = rng.normal(0.0, 0.02, size=(120, 2))
    asset = 0.001 + factors @ np.array([1.2, -0.4]) + rng.normal(0.0, 0.01, size=120)
    workbook = Workbook()
    sheet = workbook.active
    for y, f in zip(asset, factors):
        sheet.append([float(y), *map(float, f)])
    sheet["E1"] = ArrayFormula("E1:F1", "=FM_BETA(A1:A120,B1:C120)")
    expected = np.linalg.lstsq(np.column_stack([np.ones(120), factors]), asset, rcond=None)[0][1:]
    with tempfile.TemporaryDirectory(prefix="xl_factor_check_") as tmp, scratch_home():
        path = Path(tmp) / "check.xlsx"
        workbook.save(path)
        values = recalculate(path, timeout=timeout, extension_dir=extension_dir)
    got = [values.get((sheet.title, cell)) for cell in ("E1", "F1")]
    if not all(isinstance(v, float) for v in got):
        raise InstallError(f"FM_BETA in LibreOffice gave {got}, expected numbers {expected.tolist()}")
    error = float(np.max(np.abs(np.array(got) - expected) / np.abs(expected)))
    if error > 1e-9:
        raise InstallError(f"FM_BETA in LibreOffice gave {got}, numpy {expected.tolist()}")
    return error


def _folder(target: str, extension_dir: str | Path | None) -> Path | None:
    if target not in TARGETS:
        raise ValueError(f"target must be one of {', '.join(TARGETS)}, got {target!r}")
    if target != "private":
        return None
    return default_extension_dir() if extension_dir is None else Path(extension_dir).expanduser().resolve()


def _output(done: subprocess.CompletedProcess) -> str:
    return " ".join((done.stdout + done.stderr).split())[-2000:]


def main(argv: list[str] | None = None) -> int:
    """The command line: install (default), ``--uninstall``, ``--check``."""
    parser = argparse.ArgumentParser(prog="python -m xl_factor.libreoffice.install",
                                     description="Install the xl_factor FM_* functions into LibreOffice Calc.")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--profile", action="store_true", help="into your own LibreOffice profile (not as root)")
    where.add_argument("--system", action="store_true", help="for every user of this machine (root)")
    parser.add_argument("--dir", help=f"private extension folder (default {default_extension_dir()})")
    parser.add_argument("--uninstall", action="store_true", help="remove the add-in")
    parser.add_argument("--check", action="store_true", help="then compute FM_BETA headless and compare with numpy")
    args = parser.parse_args(argv)
    target = "profile" if args.profile else "system" if args.system else "private"
    try:
        if args.uninstall:
            removed = uninstall(target, args.dir)
            print(f"removed the add-in ({target})" if removed else f"the add-in was not installed ({target})")
            return 0
        folder = install(target, args.dir)
        print(f"installed {EXTENSION_ID} {__version__} ({target}{': ' + str(folder) if folder else ''})")
        if folder is not None:
            print(f"to use it in a LibreOffice window: soffice {cache_argument(folder)}")
        if args.check:
            print(f"check: FM_BETA in LibreOffice equals numpy (largest relative difference "
                  f"{check(folder if target == 'private' else None):.1e})")
    except InstallError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
