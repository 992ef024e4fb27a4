"""The ``libreoffice`` target: the Calc add-in, installed by :mod:`xl_factor.libreoffice.install`, then checked.

Where it goes:

- a normal user: into their own LibreOffice profile (``unopkg add``), so every
  Calc window shows the FM_* functions;
- ``--shared`` (root): LibreOffice's shared extensions, for every user;
- root without ``--shared`` (unopkg refuses per-user installs as root), or
  ``--lo-dir DIR``: a private extension folder, which headless recalculation
  finds by itself and a Calc window sees when started with
  ``soffice -env:UNO_SHARED_PACKAGES_CACHE=file://DIR``.

The check computes ``=FM_BETA`` over 120 rows in a fresh headless LibreOffice
and compares it with numpy. A fresh LibreOffice has a fresh profile, so for a
profile install the check runs on a throwaway private install of the same
extension, and ``unopkg list`` proves the profile registration.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from . import tree
from .plan import Context, Plan, Step, StepError, platform_name
from .state import missing_dirs, remove_empty_dirs

TARGET = "libreoffice"
WHERE = {
    "profile": "your LibreOffice profile (unopkg add)",
    "system": "LibreOffice's shared extensions, for every user (unopkg add --shared)",
    "private": "a private extension folder (unopkg add --shared -env:UNO_SHARED_PACKAGES_CACHE=...)",
}
APT = ("apt-get install libreoffice-calc-nogui python3-uno libreoffice-script-provider-python")


def choose(ctx: Context) -> tuple[str, Path | None, str]:
    """(mode of :mod:`xl_factor.libreoffice.install`, private folder or None, why)."""
    if ctx.options.get("lo_dir"):
        return "private", Path(ctx.options["lo_dir"]).expanduser().resolve(), "the folder of --lo-dir"
    if ctx.options.get("shared"):
        return "system", None, ""
    if ctx.is_root:
        from ..libreoffice.install import default_extension_dir

        folder = default_extension_dir() if ctx.probe else Path("~/.local/share/xl_factor/libreoffice")
        return "private", folder, "as root, where unopkg refuses a per-user install (--shared: for every user)"
    return "profile", None, ""


def _profile(ctx: Context) -> str:
    """Where a LibreOffice profile keeps its extensions, as the platform names it."""
    return {"win32": r"%APPDATA%\LibreOffice\4\user\uno_packages",
            "darwin": "~/Library/Application Support/LibreOffice/4/user/uno_packages"}.get(
                ctx.platform, "~/.config/libreoffice/4/user/uno_packages")


def _soffice_arg(folder: Path) -> str:
    return "-env:UNO_SHARED_PACKAGES_CACHE=" + (folder.as_uri() if folder.is_absolute() else f"file://{folder}")


def probe() -> tuple[bool, str | None]:
    """(LibreOffice with Python UNO is installed, the minor version of its Python or None).

    Finding that Python starts it (``import uno``), and LibreOffice's start
    creates ``~/.config``: so it runs with a throwaway ``HOME``, and a dry run
    leaves the home folder as it was.
    """
    from ..libreoffice import office
    from ..libreoffice.install import scratch_home

    with scratch_home():
        if not office.libreoffice_available():
            return False, None
        version = "import sys; print('%d.%d' % sys.version_info[:2])"
        done = subprocess.run([str(office.find_uno_python()), "-c", version], capture_output=True, text=True,
                              timeout=60)
    return True, done.stdout.strip() or None


def _marker(folder: Path) -> dict | None:
    from ..libreoffice.install import MARKER

    try:
        return json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return None


def _is_installed(mode: str, folder: Path | None) -> bool:
    """``unopkg list`` shows the add-in; a private folder that does not exist is not asked (unopkg would create it)."""
    from ..libreoffice import install

    if folder is not None and not folder.exists():
        return False
    return install.is_installed(mode, folder)


def plan_install(ctx: Context) -> Plan:
    mode, folder, why = choose(ctx)
    plan = Plan(TARGET, f"LibreOffice Calc add-in, into {WHERE[mode]}")
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    if ctx.platform != "linux":
        plan.notes.append(f"on {platform_name(ctx.platform)} LibreOffice runs its own bundled Python, which must be "
                          f"the same minor version as the Python running this installer ({here}) to load numpy: "
                          f"not verified there; Linux is (LibreOffice uses the system python3)")
    if mode == "system" and not ctx.is_root and ctx.probe:
        plan.blockers.append("--shared installs for every user and needs root: sudo python3 install_addin.py "
                             "--target libreoffice --shared")
    if mode == "profile" and ctx.is_root and ctx.probe:
        plan.blockers.append("as root unopkg refuses a per-user install; use --shared (every user) or --lo-dir DIR")
    installed_now = None
    if ctx.probe:
        available, lo_python = probe()
        if not available:
            plan.blockers.append(f"LibreOffice with Python UNO is not installed; on Debian/Ubuntu: {APT}")
        else:
            if lo_python and lo_python != here:
                plan.blockers.append(f"LibreOffice's Python is {lo_python} but this installer runs Python {here}: "
                                     f"the add-in loads xl_factor, numpy and pandas from this Python's folders; run "
                                     f"install_addin.py with a Python {lo_python} that has xl_factor's dependencies")
            if folder is not None:  # the marker file, a plain read: unopkg itself writes into its folders
                from ..libreoffice.install import is_private_install

                installed_now = is_private_install(folder)
        if mode == "profile" and ctx.running("soffice.bin", "soffice"):
            plan.blockers.append("LibreOffice is running: close every LibreOffice window (File > Exit LibreOffice), "
                                 "then run this command again")
    where = str(folder) if folder else {"profile": f"{_profile(ctx)} (your profile)",
                                        "system": "LibreOffice's share/uno_packages (for every user)"}[mode]
    if not ctx.probe:
        plan.notes.append("as root: --shared installs for every user; without it the add-in goes into a private "
                          "folder (unopkg refuses a per-user install as root)")
    state = ctx.state()
    if installed_now is None:
        status = "whether it is installed is asked from unopkg when it runs" if ctx.probe else ""
    elif installed_now:
        status = "installed: reinstalled (--force)" if ctx.force else "installed: kept (--force reinstalls)"
    else:
        status = "not installed"
    plan.steps = [
        Step(f"build xl_factor.oxt for this Python ({sys.executable if ctx.probe else 'python3'}: where it finds "
             f"xl_factor, numpy, pandas, statsmodels) and add it to {WHERE[mode]}" + (f"; {why}" if why else ""),
             [where, str(state.path)], status, lambda: _install(ctx, mode, folder)),
        Step("check: compute =FM_BETA(A1:A120,B1:C120) in a fresh headless LibreOffice and compare with numpy"
             + (" (on a throwaway private install of the same extension: a fresh LibreOffice does not see a "
                "profile)" if mode == "profile" else ""),
             ["temporary files only"], "", lambda: _check(mode, folder)),
    ]
    if mode == "private":
        found = ("finds the add-in by itself" if not ctx.options.get("lo_dir") else
                 f"finds the add-in when given extension_dir={folder}")
        plan.next_steps = [f"headless recalculation (xl_factor.libreoffice.recalc.recalculate) {found}; a Calc "
                           f"window sees it when started as: soffice {_soffice_arg(folder)}"]
    else:
        plan.next_steps = ["start LibreOffice Calc" + (" (every user, after a restart)" if mode == "system" else "")
                           + " and type =FM_INFO() in a cell: it lists xl_factor, numpy, pandas, statsmodels and "
                           "the runtime \"LibreOffice <version>\""]
    plan.next_steps.append("xlsx files keep FM_BETA(...) as written by Excel; LibreOffice 7.4 shows #NAME? for them "
                           "on load (25.2 does not): re-enter the formula, or recalculate headless")
    return plan


def _install(ctx: Context, mode: str, folder: Path | None) -> str:
    from ..libreoffice import install
    from ..libreoffice.build import python_paths

    state = ctx.state()
    section = state.section(TARGET)
    try:
        with _recording(section, folder, state):  # from the start: unopkg list, too, writes into the folder
            installed = _is_installed(mode, folder)
            if installed and not ctx.force:
                marker = _marker(folder) if folder else None
                if folder is None or (marker and marker.get("sys_path") == python_paths()["sys_path"]):
                    return f"already installed in {folder or WHERE[mode]}: kept (--force reinstalls)"
            if not section:
                section.update(mode=mode, folder=str(folder) if folder else None, installed_by_us=not installed,
                               created_dirs=[str(d) for d in missing_dirs(folder)] if folder else [], added=[])
                state.save()
            install.install(mode, folder)
    except install.InstallError as error:
        raise StepError(str(error), "fix the cause above and run this command again") from None
    return f"installed org.xlfactor.calc.addin into {folder or WHERE[mode]}"


@contextlib.contextmanager
def _recording(section: dict, folder: Path | None, state):
    """What appears in a private ``folder`` meanwhile goes into ``section["added"]``, also when unopkg fails.

    Only for a section the installer keeps (an add-in installed by hand and kept is not recorded).
    """
    before = tree.listing(folder) if folder is not None else set()
    try:
        yield
    finally:
        if folder is not None and section:
            section["added"] = tree.added(before, tree.listing(folder), section.get("added", []))
            state.save()


def _check(mode: str, folder: Path | None) -> str:
    from ..libreoffice import install

    try:
        if mode != "profile":
            return (f"FM_BETA in LibreOffice equals numpy (largest relative difference "
                    f"{install.check(folder):.1e})")
        if not install.is_installed("profile"):
            raise StepError("unopkg list does not show the add-in in your profile", "run this command again")
        with tempfile.TemporaryDirectory(prefix="xl_factor_lo_check_") as tmp:
            install.install("private", tmp)
            error = install.check(tmp)
        return (f"unopkg lists the add-in in your profile; FM_BETA in a fresh LibreOffice with the same extension "
                f"equals numpy (largest relative difference {error:.1e})")
    except install.InstallError as error:
        raise StepError(f"the check failed: {error}", "see the message above; python -m "
                        "xl_factor.libreoffice.install --check reproduces it") from None


def _remove_added(section: dict, folder: Path) -> str:
    count, kept = tree.remove_added(folder, section.get("added", []))
    removed = remove_empty_dirs(section.get("created_dirs", []))
    kept_note = f"; kept {', '.join(kept)} (files of yours are in it)" if kept else ""
    return (f"removed the {count} file(s) the installer added to {folder}" + kept_note
            + (f"; removed the folders it created: {', '.join(removed)}" if removed else ""))


def plan_uninstall(ctx: Context) -> Plan:
    plan = Plan(TARGET, "LibreOffice Calc add-in: remove what the installer added", uninstall=True)
    state = ctx.state()
    if not ctx.probe:
        private = Path("~/.local/share/xl_factor/libreoffice")
        plan.steps = [Step("unopkg remove org.xlfactor.calc.addin from where the installer added it (your profile, "
                           "LibreOffice's shared extensions or a private folder); left in place if it was there "
                           "before", [f"{_profile(ctx)} (your profile)"]
                           + ([] if ctx.platform == "win32" else [f"{private} (as root)"])),
                      Step("remove the files the installer added to a private extension folder, then the folders "
                           "it created, once empty; files of yours stay", [str(private)]),
                      Step("forget the install: the state file", [str(state.path)])]
        return plan
    section = state.data["targets"].get(TARGET)
    if not section:
        plan.notes.append(f"nothing recorded in {state.path}: the installer has not installed the LibreOffice "
                          f"add-in (python -m xl_factor.libreoffice.install --uninstall removes one installed "
                          f"by hand)")
        return plan
    mode, folder = section["mode"], Path(section["folder"]) if section.get("folder") else None
    if mode == "profile" and ctx.running("soffice.bin", "soffice"):
        plan.blockers.append("LibreOffice is running: close every LibreOffice window, then run this command again")
    if mode == "system" and not ctx.is_root:
        plan.blockers.append("the add-in is in LibreOffice's shared extensions: run this as root (sudo)")
    if section.get("installed_by_us"):
        def remove():
            from ..libreoffice import install

            try:
                with _recording(section, folder, state):
                    removed = install.uninstall(mode, folder)
            except install.InstallError as error:
                raise StepError(str(error), "fix the cause above and run this command again") from None
            return f"removed the add-in from {folder or WHERE[mode]}" if removed else "the add-in was not installed"
        plan.steps.append(Step(f"unopkg remove org.xlfactor.calc.addin from {folder or WHERE[mode]}",
                               [str(folder) if folder else WHERE[mode]], "", remove))
        if folder is not None:
            plan.steps.append(Step(f"remove the files the installer added to {folder} (unopkg leaves the unpacked "
                                   f"extension there), then the folders it created, once empty; files of yours stay",
                                   [str(folder)], "", lambda: _remove_added(section, folder)))
    else:
        plan.notes.append("the add-in was installed before the installer ran: left in place (python -m "
                          "xl_factor.libreoffice.install --uninstall removes it)")
    plan.steps.append(Step("forget the install: the state file", [str(state.path)], "",
                           lambda: state.forget(TARGET)))
    return plan
