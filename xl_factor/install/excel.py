"""The ``excel`` target: the FM_* functions in Excel on Windows through the classic xlwings add-in.

Install, in order (every step idempotent):

1. the Python that Excel will run (``INTERPRETER_WIN``) can import
   xl_factor, xlwings and pywin32, else ``python -m pip install <checkout>``
   into it. Its package set is recorded before pip runs, so ``--uninstall``
   removes what pip added and reinstalls the versions it replaced, also after
   a pip that failed or was interrupted half way;
2. a byte-for-byte backup of ``%USERPROFILE%\\.xlwings\\xlwings.conf``, once,
   before its first change;
3. the merge of ``"UDF MODULES"`` and ``"INTERPRETER_WIN"`` into it
   (:mod:`.xlwings_conf`);
4. ``python -m xlwings.cli addin install`` (the ``xlwings addin install``
   command; ``python -m xlwings`` does not run, the package has no
   ``__main__``), which copies ``xlwings.xlam`` into Excel's user startup
   folder ``%APPDATA%\\Microsoft\\Excel\\XLSTART`` (kept when it is already there);
5. the import of the FM_* functions into that add-in, so workbooks stay plain
   ``.xlsx``: what the add-in's ``ImportPythonUDFsToAddin`` macro does
   (``xlwings.import_udfs`` on the add-in workbook), run over COM by
   :mod:`.excel_com` in a hidden Excel. Excel must allow *Trust access to the
   VBA project object model* for it.

A running Excel stops the install before any change (it holds the add-in
open and would not see the new settings). The command runner, the process
lister, the home folder and the platform come from the :class:`~.plan.Context`,
so the whole flow runs on Linux in the tests with recorded commands.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path, PureWindowsPath

from .. import __version__
from . import xlwings_conf
from .plan import Context, Plan, Step, StepError, platform_name
from .state import State, file_sha256, missing_dirs, remove_empty_dirs

ADDIN = "xlwings.xlam"
TARGET = "excel"
EXCEL_PROCESS = "excel.exe"
TRUST = ("in Excel: File > Options > Trust Center > Trust Center Settings... > Macro Settings > tick "
         "\"Trust access to the VBA project object model\" > OK (needed only for the import; you may untick it "
         "afterwards)")
#: Run by the Python Excel will use: prints its versions, fails when a package is missing.
CHECK = ("import json, sys, xl_factor, xlwings, win32com.client; print(json.dumps({'xl_factor': "
         "xl_factor.__version__, 'xlwings': xlwings.__version__, 'python': sys.version.split()[0]}))")


class Paths:
    """xlwings.conf, the XLSTART folder and the add-in: real paths, or Windows placeholders when only describing."""

    def __init__(self, ctx: Context):
        if _live(ctx):
            home = Path(ctx.home)
            appdata = Path(ctx.env.get("APPDATA") or home / "AppData" / "Roaming")
        else:
            home, appdata = PureWindowsPath("%USERPROFILE%"), PureWindowsPath("%APPDATA%")
        self.conf = home / ".xlwings" / "xlwings.conf"
        self.xlstart = appdata / "Microsoft" / "Excel" / "XLSTART"
        self.addin = self.xlstart / ADDIN


def _live(ctx: Context) -> bool:
    """Look at this machine only when it is the Windows the plan is for; else describe with placeholders."""
    return ctx.probe and ctx.platform == "win32"


def _state(ctx: Context) -> State:
    return ctx.state() if _live(ctx) else State(PureWindowsPath(r"%LOCALAPPDATA%\xl_factor\install"), dry_run=True)


def _expand(value: str, env: dict) -> str:
    """``%VAR%`` expanded as Excel's ExpandEnvironmentStrings does (unknown names stay)."""
    upper = {k.upper(): v for k, v in env.items()}
    return re.sub(r"%([^%]+)%", lambda m: upper.get(m.group(1).upper(), m.group(0)), value)


def windowed(python: str, probe: bool = True) -> str:
    """``pythonw.exe`` next to ``python.exe`` where present (no console window), else ``python`` itself."""
    path = Path(python)
    if path.stem.lower().endswith("w"):
        return python
    candidate = path.with_name(path.stem + "w" + path.suffix)
    return str(candidate) if probe and candidate.is_file() else python


def console(python: str) -> str:
    """``python.exe`` next to ``pythonw.exe`` (to run commands and read their output), else ``python``."""
    path = Path(python)
    if path.stem.lower().endswith("w"):
        candidate = path.with_name(path.stem[:-1] + path.suffix)
        if candidate.is_file():
            return str(candidate)
    return python


def _same_file(a: str, b: str) -> bool:
    return os.path.normcase(os.path.normpath(a)) == os.path.normcase(os.path.normpath(b))


def _tail(done) -> str:
    return " ".join(((done.stdout or "") + " " + (done.stderr or "")).split())[-1500:]


def _encoding(ctx: Context) -> str:
    # VBA's Input # reads the file in the ANSI code page; xlwings' own Python writes it so too.
    return "mbcs" if ctx.platform == "win32" and os.name == "nt" else "utf-8"


class _Install:
    """The steps of an install, sharing what the look at the machine found."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.live = _live(ctx)
        self.paths = Paths(ctx)
        self.state = _state(ctx)
        self.section = self.state.section(TARGET)
        self.conf_bytes = None
        if self.live and Path(self.paths.conf).is_file():
            self.conf_bytes = Path(self.paths.conf).read_bytes()
        python = ctx.python if ctx.python_given or self.live else "python.exe"
        self.ours = windowed(python) if self.live else f"pythonw.exe next to {python}"
        existing = xlwings_conf.get(self.conf_bytes, xlwings_conf.INTERPRETER_WIN, _encoding(ctx))
        self.existing = existing if existing and existing.strip() else None
        self.excel_python = self.existing if self.existing and not ctx.force else self.ours
        self.python = console(_expand(self.excel_python, ctx.env)) if self.live else python

    # -------------------------------------------------------------- the plan

    def plan(self) -> Plan:
        ctx, paths = self.ctx, self.paths
        plan = Plan(TARGET, "Excel on Windows: the xlwings add-in with the FM_* functions")
        if ctx.platform != "win32":
            plan.blockers.append(f"classic xlwings worksheet functions run only in Excel on Windows, and this is "
                                 f"{platform_name(ctx.platform)}: use --target lite (Excel 365, any platform) or "
                                 f"--target libreoffice")
        if self.live and ctx.running(EXCEL_PROCESS):
            plan.blockers.append("Excel is running: save your work, close every Excel window (and any EXCEL.EXE "
                                 "left in Task Manager), then run this command again")
        if self.existing and not ctx.force and ctx.python_given and self.live and not (
                _same_file(_expand(self.existing, ctx.env), ctx.python)
                or _same_file(_expand(self.existing, ctx.env), self.ours)):
            plan.blockers.append(f"{paths.conf} already sets INTERPRETER_WIN to {self.existing}, so Excel would not "
                                 f"use {ctx.python}: run again with --force to replace it (--uninstall puts the old "
                                 f"value back), or leave out --python to set up {self.existing}")
        conda = [k for k in ("CONDA PATH", "CONDA ENV") if xlwings_conf.get(self.conf_bytes, k, _encoding(ctx))]
        if conda:
            plan.notes.append(f"{paths.conf} sets {' and '.join(conda)}: the xlwings add-in then starts that conda "
                              f"environment, not INTERPRETER_WIN; xl_factor must be importable there")

        plan.steps = [
            Step(f"make sure {self.python} (the Python Excel will run) can import xl_factor, xlwings and pywin32; "
                 f"if not: {self.python} -m pip install {ctx.repo if self.live else '<this checkout>'}",
                 [f"site-packages of {self.python} (only if something is missing)"],
                 self._importable_now(), self.ensure_importable),
            Step(f"back up {paths.conf} before its first change",
                 [str(self.state.dir / "backups" / TARGET / "xlwings.conf")],
                 self._backup_now(), self.backup_conf),
            Step(f"merge into {paths.conf}: \"UDF MODULES\" gets {xlwings_conf.MODULE} (modules already there are "
                 f"kept); \"INTERPRETER_WIN\" = {self.ours} (an existing value is kept unless --force)",
                 [str(paths.conf), str(self.state.path)], self._merge_now(), self.merge_conf),
            Step(f"install the xlwings add-in: {self.python} -m xlwings.cli addin install (copies {ADDIN} into Excel's "
                 f"startup folder)", [str(paths.addin)], self._addin_now(), self.install_addin),
            Step(f"import the FM_* functions into the add-in, so workbooks stay plain .xlsx (the work of the add-in's "
                 f"ImportPythonUDFsToAddin): {self.python} -m xl_factor.install.excel_com import-udfs (a hidden "
                 f"Excel opens and saves {ADDIN}); needs Trust access to the VBA project object model",
                 [str(paths.addin), str(self.state.dir / "backups" / TARGET / ADDIN) +
                  " (backup, when the add-in was there before)"], "", self.import_functions),
        ]
        plan.next_steps = [
            "start Excel (the add-in loads from XLSTART) and type =FM_INFO() in a cell: it lists xl_factor, numpy, "
            "pandas, statsmodels, python and the runtime \"xlwings <version>\"; #NAME? means the functions are not in "
            "the add-in: run this command again",
            "then =FM_BETA(asset_range, factor_range) and the rest work in any workbook, which stays a plain .xlsx",
        ]
        plan.notes.insert(0, f"the one setting to allow, once, before step 5: {TRUST}")
        return plan

    # -------------------------------------------------------------- what a look finds now

    def _importable_now(self) -> str:
        if not self.live:
            return ""
        info = self._check()
        return "missing: pip will install it" if info is None else (
            f"importable (xl_factor {info['xl_factor']}, xlwings {info['xlwings']}, Python {info['python']})")

    def _backup_now(self) -> str:
        if not self.live:
            return ""
        if "xlwings.conf" in self.section.get("files", {}):
            return "backup from the first install kept"
        return "exists: will be copied" if self.conf_bytes is not None else "absent: nothing to back up"

    def _merge_now(self) -> str:
        if not self.live:
            return ""
        merged = self._merged()
        return "; ".join(merged.messages) + ("" if merged.changed else " (file unchanged)")

    def _addin_now(self) -> str:
        if not self.live:
            return ""
        if Path(self.paths.addin).is_file():
            return "installed: kept" + (" (reinstalled with --force)" if self.ctx.force else " (--force reinstalls)")
        return "not installed"

    # -------------------------------------------------------------- actions

    def _check(self) -> dict | None:
        done = self.ctx.run([self.python, "-c", CHECK])
        if done.returncode != 0:
            return None
        try:
            return json.loads(done.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return None

    def _pip_list(self) -> dict:
        packages = _pip_list(self.ctx, self.python)
        if packages is None:
            raise StepError(f"{self.python} -m pip list does not work",
                            f"install pip into it ({self.python} -m ensurepip), or point Excel at another Python "
                            f"with --python PATH --force")
        return packages

    def ensure_importable(self) -> str:
        info = self._check()
        if info is not None and not self.ctx.force:
            return (f"{self.python} imports xl_factor {info['xl_factor']} and xlwings {info['xlwings']}: "
                    f"nothing installed")
        pip = self.section.setdefault("pip", {"python": self.python, "added": [], "changed": {}})
        if "before" not in pip:  # recorded first, so a failed or interrupted pip is undone from it
            pip["before"] = self._pip_list()  # (a run that did not finish left the earlier set: kept)
            self.state.save()
        done = self.ctx.run([self.python, "-m", "pip", "install", "--disable-pip-version-check", str(self.ctx.repo)])
        after = _pip_list(self.ctx, self.python)
        if after is not None:
            new = record_pip(pip, after)
            self.state.save()
        if done.returncode != 0:
            raise StepError(f"pip install failed: {_tail(done)}",
                            "check this machine's access to PyPI (or your index), then run this command again "
                            "(--uninstall puts back the packages pip changed)")
        info = self._check()
        if info is None:
            raise StepError(f"{self.python} still cannot import xl_factor, xlwings and win32com after pip install",
                            f"run {self.python} -c \"import xl_factor, xlwings, win32com.client\" to see why")
        return (f"installed into {self.python}: {', '.join(new) or 'no new package'}"
                + (f"; upgraded {', '.join(sorted(pip['changed']))}" if pip["changed"] else ""))

    def backup_conf(self) -> str:
        files = self.section.get("files", {})
        if "xlwings.conf" in files:
            backup = self.state.backup_path(files["xlwings.conf"])
            return f"backup from the first install kept: {backup}" if backup else \
                f"{self.paths.conf} did not exist before the first install: nothing to back up"
        record = self.state.before_change(TARGET, "xlwings.conf", self.paths.conf)
        backup = self.state.backup_path(record)
        return f"copied to {backup}" if backup else f"{self.paths.conf} does not exist: nothing to back up"

    def _merged(self) -> xlwings_conf.Merge:
        return xlwings_conf.merge(self.conf_bytes, (xlwings_conf.MODULE,), interpreter=self.ours, force=self.ctx.force,
                                  encoding=_encoding(self.ctx))

    def merge_conf(self) -> str:
        path = Path(self.paths.conf)
        self.conf_bytes = path.read_bytes() if path.is_file() else None
        merged = self._merged()
        if not merged.changed:
            return "; ".join(merged.messages) + f"; {path} unchanged"
        self.section["conf_undo"] = _combine(self.section.get("conf_undo"), merged.undo)
        self.state.write(TARGET, "xlwings.conf", path, merged.data)
        self.conf_bytes = merged.data
        return "; ".join(merged.messages) + f"; wrote {path}"

    def install_addin(self) -> str:
        addin = Path(self.paths.addin)
        record = self.section.setdefault("addin", {"path": str(addin), "installed_by_us": not addin.exists(),
                                                   "created_dirs": [str(d) for d in missing_dirs(addin.parent)]})
        self.state.save()
        if addin.is_file() and not self.ctx.force:
            return f"{addin} is there: kept" + ("" if record["installed_by_us"] else " (it was there before)")
        if addin.is_file() and not record["installed_by_us"]:
            self.state.before_change(TARGET, "xlwings.xlam", addin, detach=True)
        done = self.ctx.run([self.python, "-m", "xlwings.cli", "addin", "install"])
        # xlwings prints its errors and still exits 0: the file is the proof.
        if done.returncode != 0 or not addin.is_file():
            raise StepError(f"xlwings addin install did not put {addin} in place: {_tail(done)}",
                            "close Excel (also any EXCEL.EXE left in Task Manager) and run this command again")
        return f"installed {addin}"

    def import_functions(self) -> str:
        addin = Path(self.paths.addin)
        record = self.section["addin"]
        modules = xlwings_conf.get(self.conf_bytes, xlwings_conf.UDF_MODULES, _encoding(self.ctx)) or \
            xlwings_conf.MODULE
        modules = ";".join(xlwings_conf.modules_of(modules))
        if (not self.ctx.force and record.get("imported_sha256") == file_sha256(addin)
                and record.get("modules") == modules and record.get("xl_factor") == __version__):
            return f"the FM_* functions of xl_factor {__version__} are in {addin} already: nothing to do"
        if not record["installed_by_us"]:
            self.state.before_change(TARGET, "xlwings.xlam", addin, detach=True)
        done = self.ctx.run([self.python, "-m", "xl_factor.install.excel_com", "import-udfs", str(addin), modules])
        if done.returncode == 3:
            raise StepError("Excel does not allow access to the VBA project, which the import needs",
                            f"{TRUST}; then close Excel and run this command again")
        if done.returncode != 0:
            raise StepError(f"the import into {addin} failed: {_tail(done)}",
                            "if a module other than xl_factor.udfs is named, fix it or remove it from \"UDF "
                            "MODULES\" in xlwings.conf; close Excel; run this command again")
        record.update(imported_sha256=file_sha256(addin), modules=modules, xl_factor=__version__)
        self.state.save()
        return (done.stdout.strip().splitlines() or [f"imported {modules} into {addin}"])[-1]


def _pip_list(ctx: Context, python: str) -> dict | None:
    """``{name: version}`` of the packages in ``python`` (lower-case names), None when pip cannot tell."""
    done = ctx.run([python, "-m", "pip", "list", "--format=json", "--disable-pip-version-check"])
    try:
        return {p["name"].lower(): p["version"] for p in json.loads(done.stdout)} if done.returncode == 0 else None
    except (ValueError, TypeError, KeyError):
        return None


def record_pip(pip: dict, after: dict) -> list[str]:
    """Fold the change from ``pip["before"]`` to ``after`` into the record; returns the packages it added.

    ``added`` grows by what is new; ``changed`` keeps, per package, the version before the first change.
    ``before`` is dropped: the change is recorded.
    """
    before = pip.pop("before")
    new = sorted(n for n in after if n not in before)
    pip["added"] = sorted(set(pip["added"]) | set(new))
    for name, version in before.items():
        if name in after and after[name] != version and name not in pip["added"]:
            pip["changed"].setdefault(name, version)
    return new


def _combine(first: dict | None, later: dict) -> dict:
    """One undo record for several merges: the first run's old values, the last run's new values."""
    if not first:
        return later
    combined = {**first, "keys": dict(first["keys"])}
    for key, change in later["keys"].items():
        if key not in combined["keys"]:
            combined["keys"][key] = change
            continue
        earlier = dict(combined["keys"][key])
        earlier["new"] = change["new"]
        if "modules" in change:
            earlier["modules"] = sorted(set(earlier.get("modules", [])) | set(change["modules"]))
        combined["keys"][key] = earlier
    combined["appended_newline"] = first.get("appended_newline", False) or later.get("appended_newline", False)
    return combined


def plan_install(ctx: Context) -> Plan:
    """The install plan of the Excel target."""
    return _Install(ctx).plan()


def plan_uninstall(ctx: Context) -> Plan:
    """Undo what the state file says the Excel install did, newest first."""
    plan = Plan(TARGET, "Excel on Windows: remove what the installer added", uninstall=True)
    if ctx.platform != "win32":
        plan.blockers.append(f"the Excel target exists only on Windows, and this is {platform_name(ctx.platform)}")
    if _live(ctx) and ctx.running(EXCEL_PROCESS):
        plan.blockers.append("Excel is running: save your work, close every Excel window (and any EXCEL.EXE left "
                             "in Task Manager), then run this command again")
    paths = Paths(ctx)
    state = _state(ctx)
    if not _live(ctx):
        plan.steps = [
            Step(f"take the FM_* functions out of {paths.addin}: remove it if the installer put it there, else "
                 f"restore its backup", [str(paths.addin)]),
            Step(f"restore {paths.conf} byte for byte from its backup (or remove it if it did not exist); if you "
                 f"edited it since, take out only the entries the installer added", [str(paths.conf)]),
            Step("uninstall the packages pip added for xl_factor (if any)", ["site-packages of the Python Excel ran"]),
            Step("forget the install: the state file and backups", [str(state.dir)]),
        ]
        return plan
    section = state.data["targets"].get(TARGET)
    if not section:
        plan.notes.append(f"nothing recorded in {state.path}: the installer has not changed this machine for Excel")
        return plan
    files = section.get("files", {})
    addin = section.get("addin")
    if addin:
        path = Path(addin["path"])
        if addin["installed_by_us"]:
            def remove_addin():
                path.unlink(missing_ok=True)
                removed = remove_empty_dirs(addin.get("created_dirs", []))
                return f"removed {path}" + (f" and empty {', '.join(removed)}" if removed else "")
            plan.steps.append(Step(f"remove {path} (the installer put it there)", [str(path)], "", remove_addin))
        elif "xlwings.xlam" in files:
            addin_record = files["xlwings.xlam"]

            def restore_addin():
                if file_sha256(path) not in (addin.get("imported_sha256"), addin_record.get("written_sha256"), None):
                    return (f"{path} changed since the import: left as it is; its backup stays at "
                            f"{state.backup_path(addin_record)}")
                return state.restore(addin_record)
            plan.steps.append(Step(f"restore {path} from its backup (takes the FM_* functions out)",
                                   [str(path)], "", restore_addin))
    if "xlwings.conf" in files:
        conf_record = files["xlwings.conf"]
        conf = Path(conf_record["path"])

        def restore_conf():
            if conf_record.get("written_sha256") is None:
                return f"the installer did not change {conf}: nothing to do"
            if state.is_unchanged_since_written(conf_record):
                return state.restore(conf_record)
            if not conf.is_file():
                return f"{conf} was removed since: nothing to do"
            data, messages = xlwings_conf.unmerge(conf.read_bytes(), section.get("conf_undo", {}))
            conf.write_bytes(data)
            kept = state.backup_path(conf_record)
            return (f"{conf} was edited since the install, so only the installer's entries were taken out: "
                    + "; ".join(messages) + (f" (the original stays at {kept})" if kept else ""))
        what = ("restore it byte for byte from its backup" if conf_record["existed"]
                else "remove it (it did not exist)")
        plan.steps.append(Step(f"{conf}: {what}; if edited since, take out only the installer's entries",
                               [str(conf)], "", restore_conf))
    pip = section.get("pip")
    if pip and (pip.get("added") or pip.get("changed") or "before" in pip):
        def undo_pip():
            messages = []
            if "before" in pip:  # pip failed or was interrupted before its change was recorded
                now = _pip_list(ctx, pip["python"])
                if now is None:
                    raise StepError(f"{pip['python']} -m pip list does not work, so what pip changed is not known",
                                    "repair pip in that Python, then run this command again")
                record_pip(pip, now)
                state.save()
            if pip.get("added"):
                done = ctx.run([pip["python"], "-m", "pip", "uninstall", "-y", *pip["added"]])
                if done.returncode != 0:
                    raise StepError(f"pip uninstall failed: {_tail(done)}", "run the command above by hand")
                messages.append(f"uninstalled {', '.join(pip['added'])}")
            if pip.get("changed"):
                pins = [f"{name}=={version}" for name, version in sorted(pip["changed"].items())]
                done = ctx.run([pip["python"], "-m", "pip", "install", *pins])
                messages.append(f"reinstalled {', '.join(pins)}" if done.returncode == 0 else
                                f"could not reinstall {', '.join(pins)}: {_tail(done)}")
            return "; ".join(messages) or f"the packages of {pip['python']} are as they were: nothing to undo"
        what = " ".join(pip.get("added", [])) or "-"
        title = (f"{pip['python']} -m pip uninstall -y {what}"
                 + (f"; reinstall the earlier {', '.join(sorted(pip['changed']))}" if pip.get("changed") else ""))
        if "before" in pip:
            title = (f"put back the packages of {pip['python']} as they were before pip install ran (it did not "
                     f"finish): uninstall what it added, reinstall the versions it replaced")
        plan.steps.append(Step(title, [f"site-packages of {pip['python']}"], "", undo_pip))
    plan.steps.append(Step("forget the install: the state file and backups", [str(state.path)], "",
                           lambda: state.forget(TARGET)))
    plan.next_steps = ["start Excel: =FM_INFO() now shows #NAME?"]
    return plan
