"""``--uninstall --force`` with a damaged state file: remove what can be found without it.

Without the record only what is certainly the installer's is removed:

- lite: a file in the Lite folder (``--lite-dir``, else ``./xl_factor_lite``) holding exactly what the
  installer writes there (with this ``--wheel-url``); where it is gone, the backup of a file the
  installer replaced (``backups/lite/NAME``) comes back;
- libreoffice: the add-in, by ``unopkg remove``, from where this command would install it; in a private
  folder also its marker and the folder unopkg unpacked it into (``uno_packages/*.tmp_`` holding
  only ``xl_factor.oxt``), ``uno_packages`` once empty, and the default private folder once empty;
- excel (Windows): ``xl_factor.udfs`` is taken out of ``"UDF MODULES"`` in xlwings.conf. Whether the
  installer set ``INTERPRETER_WIN``, put the add-in in place or pip-installed packages is not known
  without the record: the plan names each with what to do.

The cli then renames the damaged state file aside (:func:`.state.set_aside`); it and the backups stay.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .plan import Context, Plan, Step, StepError
from .state import file_sha256, remove_empty_dirs, sha256


def targets(ctx: Context) -> list[str]:
    """The targets to clean up when none is named: this platform's default target (Excel on Windows, else
    LibreOffice) and the Lite files; ``--target libreoffice`` cleans LibreOffice on Windows too."""
    return ["excel" if ctx.platform == "win32" else "libreoffice", "lite"]


def plan(ctx: Context, target: str) -> Plan:
    return {"excel": _excel, "libreoffice": _libreoffice, "lite": _lite}[target](ctx)


def _lite(ctx: Context) -> Plan:
    from . import lite

    folder = lite.folder_of(ctx)
    backups = Path(ctx.state_dir) / "backups" / lite.TARGET

    def clean() -> str:
        done = []
        for name, data in lite.contents(ctx).items():
            path = folder / name
            if not path.is_symlink() and file_sha256(path) == sha256(data):
                path.unlink()
                done.append(f"removed {path}")
            if (backups / name).is_file() and not (path.exists() or path.is_symlink()):
                shutil.copyfile(backups / name, path)
                done.append(f"restored {path} from {backups / name}")
        return "; ".join(done) or f"nothing of the installer's in {folder}"

    result = Plan(lite.TARGET, "xlwings Lite files, found without the state file", uninstall=True)
    result.steps = [Step(f"remove the files in {folder} that hold exactly what the installer writes; put back "
                         f"a file it replaced, from its backup", [str(folder)], "", clean)]
    return result


def _libreoffice(ctx: Context) -> Plan:
    from . import libreoffice

    mode, folder, _ = libreoffice.choose(ctx)

    def clean() -> str:
        from ..libreoffice import install

        try:
            removed = install.uninstall(mode, folder)
        except install.InstallError as error:
            raise StepError(str(error), "fix the cause above and run this command again") from None
        done = [f"removed the add-in from {folder or libreoffice.WHERE[mode]}" if removed
                else f"the add-in is not in {folder or libreoffice.WHERE[mode]}"]
        if folder is not None:
            done.append(f"removed {_remove_unpacked(folder)} unpacked copies of it")
            mine = [folder / "uno_packages"] + ([] if ctx.options.get("lo_dir") else [folder, folder.parent])
            done += [f"removed empty {d}" for d in remove_empty_dirs(mine)]  # the default folder is the installer's
        return "; ".join(done)

    result = Plan(libreoffice.TARGET, "LibreOffice Calc add-in, found without the state file", uninstall=True)
    result.steps = [Step(f"unopkg remove org.xlfactor.calc.addin from {folder or libreoffice.WHERE[mode]}"
                         + (", and the copy unopkg unpacked there" if folder else ""),
                         [str(folder) if folder else libreoffice.WHERE[mode]], "", clean)]
    return result


def _remove_unpacked(folder: Path) -> int:
    """Remove unopkg's folders holding only the unpacked xl_factor.oxt, with their flag files; returns how many."""
    count = 0
    for unpacked in sorted(folder.glob("uno_packages/*.tmp_")):
        names = {p.name for p in unpacked.iterdir()}
        if unpacked.is_symlink() or "xl_factor.oxt" not in names or not names <= {"xl_factor.oxt",
                                                                                  "xl_factor.oxtproperties"}:
            continue
        shutil.rmtree(unpacked)
        for flag in (unpacked.name[:-1], unpacked.name[:-1] + "removed"):
            (unpacked.parent / flag).unlink(missing_ok=True)
        count += 1
    return count


def _excel(ctx: Context) -> Plan:
    from . import excel, xlwings_conf

    paths = excel.Paths(ctx)
    conf = Path(paths.conf)
    encoding = excel._encoding(ctx)

    def clean() -> str:
        if conf.is_symlink() or not conf.is_file():
            return f"{conf} is not a file the installer wrote (absent or a symlink): left as it is"
        data = conf.read_bytes()
        value = xlwings_conf.get(data, xlwings_conf.UDF_MODULES, encoding) or ""
        if xlwings_conf.MODULE not in xlwings_conf.modules_of(value):
            return f"{conf} does not name {xlwings_conf.MODULE}: left as it is"
        undo = {"keys": {xlwings_conf.UDF_MODULES: {"action": "added", "new": None,
                                                    "modules": [xlwings_conf.MODULE]}}, "encoding": encoding}
        data, messages = xlwings_conf.unmerge(data, undo)
        tmp = conf.with_name(conf.name + ".xl_factor.tmp")
        tmp.write_bytes(data)
        tmp.replace(conf)
        return f"{conf}: " + "; ".join(messages)

    result = Plan(excel.TARGET, "Excel on Windows, found without the state file", uninstall=True)
    if ctx.platform != "win32":
        result.blockers.append("the Excel target exists only on Windows")
    result.steps = [Step(f"take {xlwings_conf.MODULE} out of \"UDF MODULES\" in {conf}", [str(conf)], "", clean)]
    backups = Path(ctx.state_dir) / "backups" / excel.TARGET
    result.next_steps = [
        f"\"INTERPRETER_WIN\" in {conf} is kept: remove the line if the installer set it",
        f"{paths.addin}: if the installer put it there, remove it (python -m xlwings.cli addin remove)",
        "which packages pip installed for xl_factor is not known without the state file: python -m pip "
        "uninstall xl_factor removes xl_factor itself",
        f"the files as they were before the first install, where the installer backed them up: {backups}",
    ]
    return result
