"""install_addin.py: dry-run plans, the xlwings.conf merge, the Excel flow on a simulated Windows,
the LibreOffice install for real, and the xlwings Lite main.py.

- The dry-run plan of every target on every platform (``--platform``: described, nothing looked at) is
  compared with ``tests/golden/install/plan_*.txt``.
- The xlwings.conf merge and unmerge are golden files (``tests/golden/install/conf``): the ``"KEY","value"``
  format, keys with spaces and in any case, CRLF and LF, modules already there kept, and the
  uninstall giving back the original bytes.
- The Excel target runs end to end on a simulated Windows: real files in a temporary home, a recorded
  command runner standing in for pip, ``xlwings addin install`` and the COM import, and a process list.
  Install, install again (nothing changes), uninstall (the folder tree is as before, byte for byte).
- LibreOffice: the add-in is installed for real into a private folder and a workbook with ``=FM_BETA`` is
  computed in headless LibreOffice. Skips without LibreOffice, FAILS when the environment variable CI is set.
- xlwings Lite: the generated main.py imports with this xlwings (pass-through decorators off Windows) and with
  stand-ins recording what Lite's decorators read; its functions answer like ``catalogue.call``.

``XL_FACTOR_UPDATE_GOLDEN=1 python -m pytest tests/test_install_addin.py`` rewrites the golden files.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from xl_factor import __version__
from xl_factor.install import cli, lite, xlwings_conf
from xl_factor.install.excel import CHECK, TRUST
from xl_factor.libreoffice import office
from xl_factor.sheet.catalogue import BY_NAME, CATALOGUE, call
from xl_factor.sheet.cells import as_cells

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden" / "install"
UPDATE = os.environ.get("XL_FACTOR_UPDATE_GOLDEN") == "1"
TARGETS = ("excel", "libreoffice", "lite")
PLATFORMS = ("win32", "linux", "darwin")
PYTHONW = r"C:\Users\ann\AppData\Local\Programs\Python\Python311\pythonw.exe"


def golden(path: Path, actual: bytes) -> bytes:
    """The golden bytes at ``path`` (rewritten first when XL_FACTOR_UPDATE_GOLDEN=1)."""
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual)
    assert path.is_file(), f"{path} is missing: run with XL_FACTOR_UPDATE_GOLDEN=1 and review it"
    return path.read_bytes()


def require_libreoffice() -> None:
    """Skip without LibreOffice; fail instead when CI is set, so that CI cannot pass without it."""
    if office.libreoffice_available():
        return
    message = "LibreOffice with Python UNO is not installed (Debian/Ubuntu: run scripts/setup.sh as root)"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI is set, so this is a failure, not a skip")
    pytest.skip(message)


def run(argv, raw: bool = False, **overrides) -> tuple[int, str]:
    """``install_addin.py argv`` in this process, on the machine ``overrides`` simulate.

    Returns the exit code and the output, with its line wrapping undone unless ``raw``.
    """
    lines: list[str] = []
    code = cli.main(argv, out=lines.append, **overrides)
    text = "\n".join(lines)
    return code, (text if raw else " ".join(text.split()))


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under ``root``."""
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))}


# ---------------------------------------------------------------- dry-run plans


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("target", TARGETS)
def test_dry_run_plan_of_every_target_on_every_platform(target, platform):
    code, text = run(["--dry-run", "--platform", platform, "--target", target], raw=True)
    assert code == 0
    text = text.replace(__version__, "<version>") + "\n"
    assert text == golden(GOLDEN / f"plan_{target}_{platform}.txt", text.encode()).decode()
    assert f"== {target}: " in text and "touches: " in text and "nothing was changed" in text
    if target == "excel" and platform != "win32":
        assert "STOP: classic xlwings worksheet functions run only in Excel on Windows" in text
    if target == "excel" and platform == "win32":
        assert "STOP" not in text
        flat = " ".join(text.split())
        for needed in ('"UDF MODULES"', '"INTERPRETER_WIN"', "-m xlwings.cli addin install", "ImportPythonUDFsToAddin",
                       "Trust access to the VBA project object model", "=FM_INFO()", r"%USERPROFILE%\.xlwings"):
            assert needed in flat


@pytest.mark.parametrize("platform", PLATFORMS)
def test_dry_run_uninstall_plans(platform):
    code, text = run(["--dry-run", "--uninstall", "--platform", platform], raw=True)
    assert code == 0
    text = text.replace(__version__, "<version>") + "\n"
    assert text == golden(GOLDEN / f"plan_uninstall_{platform}.txt", text.encode()).decode()
    assert all(f"== {t}: " in text for t in TARGETS)


def test_dry_run_without_target_explains_every_target_from_the_command_line():
    done = subprocess.run([sys.executable, "install_addin.py", "--dry-run", "--platform", "win32"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert all(f"== {t}: " in done.stdout for t in TARGETS)
    assert "default target here: excel" in done.stdout
    refused = subprocess.run([sys.executable, "install_addin.py", "--platform", "win32"], cwd=REPO,
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "--dry-run" in refused.stderr


# ---------------------------------------------------------------- xlwings.conf merge (golden files)

#: name: (file it starts from or None, force)
MERGES = {
    "new": (None, False),
    "crlf_existing": ("crlf_existing", False),
    "crlf_existing_force": ("crlf_existing", True),
    "lf_other_keys": ("lf_other_keys", False),
    "odd_spacing": ("odd_spacing", False),
}


def _before(source) -> bytes | None:
    return None if source is None else (GOLDEN / "conf" / f"{source}.before").read_bytes()


@pytest.mark.parametrize("name", MERGES)
def test_conf_merge_matches_golden_and_uninstall_restores_every_byte(name):
    source, force = MERGES[name]
    before = _before(source)
    merged = xlwings_conf.merge(before, interpreter=PYTHONW, force=force)
    assert merged.data == golden(GOLDEN / "conf" / f"{name}.after", merged.data)
    assert merged.changed
    again = xlwings_conf.merge(merged.data, interpreter=PYTHONW, force=force)  # idempotent
    assert again.data == merged.data and not again.changed
    restored, _ = xlwings_conf.unmerge(merged.data, merged.undo)
    assert restored == (before or b"")


def test_conf_merge_keeps_modules_keys_line_endings_and_the_interpreter():
    before = _before("crlf_existing")
    merged = xlwings_conf.merge(before, interpreter=PYTHONW)
    lines = merged.data.split(b"\r\n")
    assert b"\n" not in merged.data.replace(b"\r\n", b"")  # CRLF kept, no bare LF added
    assert lines[1] == b'"UDF MODULES","my_udfs;desk.pricing_udfs;xl_factor.udfs"'
    assert xlwings_conf.get(merged.data, "INTERPRETER_WIN") == r"C:\Users\ann\venv\Scripts\pythonw.exe"
    assert xlwings_conf.get(merged.data, "show console") == "False"
    forced = xlwings_conf.merge(before, interpreter=PYTHONW, force=True)
    assert xlwings_conf.get(forced.data, "INTERPRETER_WIN") == PYTHONW

    lf = xlwings_conf.merge(_before("lf_other_keys"), interpreter=PYTHONW).data
    assert b"\r" not in lf and lf.endswith(b'"INTERPRETER_WIN","' + PYTHONW.encode() + b'"\n')

    odd = xlwings_conf.merge(_before("odd_spacing"), interpreter=PYTHONW)
    assert odd.data.startswith(b'"udf modules" , "alpha;beta;xl_factor.udfs"\r\n"Interpreter_Win","')
    assert xlwings_conf.get(odd.data, "ONEDRIVE_CONSUMER_WIN") == r"C:\Users\ann\OneDrive, personal"
    assert xlwings_conf.get(odd.data, "INTERPRETER_WIN") == PYTHONW  # an empty value counts as missing


def _edit_new(data: bytes) -> bytes:  # the user points Excel at another Python after the install
    return data.replace(PYTHONW.encode(), rb"D:\conda\envs\desk\pythonw.exe")


def _edit_existing(data: bytes) -> bytes:  # the user adds a module and a setting after the install
    return data.replace(b"xl_factor.udfs", b"xl_factor.udfs;late_udfs") + b'"DEBUG UDFS","True"\r\n'


@pytest.mark.parametrize("name, edit", [("new", _edit_new), ("crlf_existing", _edit_existing)])
def test_conf_unmerge_after_user_edits_takes_out_only_what_was_added(name, edit):
    source, force = MERGES[name]
    merged = xlwings_conf.merge(_before(source), interpreter=PYTHONW, force=force)
    edited = edit(merged.data)
    unmerged, messages = xlwings_conf.unmerge(edited, merged.undo)
    assert unmerged == golden(GOLDEN / "conf" / f"{name}.edited.unmerged", unmerged)
    assert b"xl_factor.udfs" not in unmerged
    assert any("kept" in m for m in messages)


def test_conf_parse_reads_like_the_xlwings_addin():
    data = b'  "Udf Modules"  ,  "a;b"  \r\nbroken line\r\nUNQUOTED KEY,plain value\r\n"UDF MODULES","second"\r\n'
    assert xlwings_conf.get(data, "UDF MODULES") == "a;b"  # case-insensitive, the first line wins
    assert xlwings_conf.get(data, "unquoted key") == "plain value"
    assert xlwings_conf.get(None, "UDF MODULES") is None
    assert xlwings_conf.newline_of(b'"A","1"\n"B","2"\r\n') == b"\n"


# ---------------------------------------------------------------- Excel on a simulated Windows


class FakeWindows:
    """pip, ``xlwings addin install`` and the COM import as commands recorded on a simulated Windows."""

    def __init__(self, root: Path, importable: bool = False, import_code: int = 0):
        self.root = root
        self.home = root / "Users" / "ann"
        self.appdata = self.home / "AppData" / "Roaming"
        self.addin = self.appdata / "Microsoft" / "Excel" / "XLSTART" / "xlwings.xlam"
        self.conf = self.home / ".xlwings" / "xlwings.conf"
        scripts = root / "Python311"
        scripts.mkdir(parents=True)
        self.python, self.pythonw = scripts / "python.exe", scripts / "pythonw.exe"
        self.python.write_bytes(b"MZ")
        self.pythonw.write_bytes(b"MZ")
        self.home.mkdir(parents=True)
        self.importable = importable
        self.import_code = import_code
        self.packages = {"pip": "24.0", "numpy": "1.26.0"}
        self.commands: list[list[str]] = []
        self.running: list[str] = []

    def overrides(self, **more) -> dict:
        return dict(platform="win32", home=self.home, env={"APPDATA": str(self.appdata)}, python=str(self.python),
                    state_dir=self.home / "AppData" / "Local" / "xl_factor" / "install", run=self.run,
                    processes=lambda: list(self.running), is_root=False, cwd=self.root, **more)

    def run(self, command: list[str]) -> subprocess.CompletedProcess:
        self.commands.append(command)

        def done(code=0, out="", err=""):
            return subprocess.CompletedProcess(command, code, out, err)

        args = command[1:]
        if command[0] != str(self.python):  # another Python (one xlwings.conf names): a look only, it is not here
            assert args == ["-c", CHECK], command
            return done(9009, err=f"{command[0]} is not recognized")
        if args == ["-c", CHECK]:
            return done(0, json.dumps({"xl_factor": __version__, "xlwings": "0.37.8", "python": "3.11.7"})) \
                if self.importable else done(1, err="ModuleNotFoundError: No module named 'xl_factor'")
        if args[:3] == ["-m", "pip", "list"]:
            return done(0, json.dumps([{"name": n, "version": v} for n, v in self.packages.items()]))
        if args[:3] == ["-m", "pip", "install"] and "==" in args[-1]:  # earlier versions back
            self.packages.update(dict(pin.split("==") for pin in args[3:]))
            return done(0)
        if args[:3] == ["-m", "pip", "install"]:
            self.packages.update({"xl_factor": __version__, "xlwings": "0.37.8", "pywin32": "306", "numpy": "2.0.0"})
            self.importable = True
            return done(0, "Successfully installed ...")
        if args[:4] == ["-m", "pip", "uninstall", "-y"]:
            for name in args[4:]:
                self.packages.pop(name, None)
            return done(0)
        if args == ["-m", "xlwings.cli", "addin", "install"]:
            self.addin.parent.mkdir(parents=True, exist_ok=True)
            self.addin.write_bytes(b"PK xlwings.xlam 0.37.8")
            return done(0, "Successfully installed the xlwings add-in!")
        if args[:3] == ["-m", "xl_factor.install.excel_com", "import-udfs"]:
            assert args[3] == str(self.addin)
            if self.import_code:
                return done(self.import_code, err="no access to the VBA project")
            plain = self.addin.read_bytes().split(b" +")[0]
            self.addin.write_bytes(plain + b" +xlwings_udfs(" + args[4].encode() + b")")
            return done(0, f"imported the functions of {args[4]} into {args[3]}")
        raise AssertionError(f"unexpected command {command}")

    def actions(self) -> list[str]:
        """The commands that change something (all but the checks and pip list); all run with python.exe."""
        return [" ".join(c[1:4]) for c in self.commands if c[1:] != ["-c", CHECK] and c[2:4] != ["pip", "list"]]


def _users_conf(win: FakeWindows) -> bytes:
    """crlf_existing.before with its INTERPRETER_WIN pointing at the simulated machine's pythonw.exe."""
    return _before("crlf_existing").replace(rb"C:\Users\ann\venv\Scripts\pythonw.exe", str(win.pythonw).encode())


def test_excel_install_again_and_uninstall_on_simulated_windows(tmp_path):
    win = FakeWindows(tmp_path)
    win.conf.parent.mkdir(parents=True)
    win.conf.write_bytes(_users_conf(win))
    original = snapshot(tmp_path)

    code, text = run(["--target", "excel"], **win.overrides())
    assert code == 0, text
    assert win.actions() == ["-m pip install", "-m xlwings.cli addin", "-m xl_factor.install.excel_com import-udfs"]
    conf = win.conf.read_bytes()
    assert xlwings_conf.get(conf, "UDF MODULES") == "my_udfs;desk.pricing_udfs;xl_factor.udfs"
    assert xlwings_conf.get(conf, "INTERPRETER_WIN") == str(win.pythonw)  # kept
    assert win.addin.read_bytes().endswith(b"+xlwings_udfs(my_udfs;desk.pricing_udfs;xl_factor.udfs)")
    assert "=FM_INFO()" in text and "Trust access to the VBA project object model" in text

    installed = snapshot(tmp_path)
    win.commands.clear()
    code, text = run(["--target", "excel"], **win.overrides())
    assert code == 0, text
    assert win.actions() == [] and snapshot(tmp_path) == installed  # running it again changes nothing
    assert "nothing to do" in text and "unchanged" in text

    code, text = run(["--uninstall"], **win.overrides())
    assert code == 0, text
    assert win.actions() == ["-m pip uninstall", "-m pip install"]
    uninstall, reinstall = [c for c in win.commands if c[2:4] in (["pip", "uninstall"], ["pip", "install"])]
    assert sorted(uninstall[5:]) == ["pywin32", "xl_factor", "xlwings"]  # what pip added ...
    assert reinstall[4:] == ["numpy==1.26.0"]  # ... and the version it replaced
    assert win.packages == {"pip": "24.0", "numpy": "1.26.0"}
    assert snapshot(tmp_path) == original  # the machine as it was, byte for byte


def test_excel_new_config_and_an_addin_that_was_there_before(tmp_path):
    win = FakeWindows(tmp_path, importable=True)
    win.addin.parent.mkdir(parents=True)
    win.addin.write_bytes(b"PK the user's own xlwings.xlam +xlwings_udfs(their_udfs)")
    original = snapshot(tmp_path)

    code, text = run(["--target", "excel"], **win.overrides())
    assert code == 0, text
    assert win.actions() == ["-m xl_factor.install.excel_com import-udfs"]  # add-in kept, nothing pip-installed
    assert win.conf.read_bytes() == (f'"UDF MODULES","xl_factor.udfs"\r\n"INTERPRETER_WIN","{win.pythonw}"\r\n'
                                     .encode())
    code, text = run(["--uninstall", "--target", "excel"], **win.overrides())
    assert code == 0, text
    assert snapshot(tmp_path) == original  # add-in restored from its backup, xlwings.conf and .xlwings removed


def test_excel_force_replaces_the_interpreter_and_uninstall_puts_it_back(tmp_path):
    win = FakeWindows(tmp_path, importable=True)
    win.conf.parent.mkdir(parents=True)
    win.conf.write_bytes(_before("crlf_existing"))
    original = snapshot(tmp_path)
    code, text = run(["--target", "excel", "--python", str(win.python)], **win.overrides(python_given=True))
    assert code == 2 and "--force" in text and snapshot(tmp_path) == original  # refused before any change
    code, text = run(["--target", "excel", "--python", str(win.python), "--force"], **win.overrides(python_given=True))
    assert code == 0, text
    assert xlwings_conf.get(win.conf.read_bytes(), "INTERPRETER_WIN") == str(win.pythonw)
    assert run(["--uninstall"], **win.overrides())[0] == 0
    assert snapshot(tmp_path) == original


def test_the_xlwings_command_the_installer_runs_is_a_runnable_module():
    done = subprocess.run([sys.executable, "-m", "xlwings.cli", "addin", "--help"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and "install" in done.stdout
    plain = subprocess.run([sys.executable, "-m", "xlwings", "--help"], capture_output=True, text=True, timeout=120)
    assert plain.returncode != 0  # no xlwings.__main__: "python -m xlwings addin install" would not run


def test_excel_running_blocks_before_any_change(tmp_path):
    win = FakeWindows(tmp_path)
    win.running = ["explorer.exe", "excel.exe"]
    original = snapshot(tmp_path)
    code, text = run(["--target", "excel"], **win.overrides())
    assert code == 2
    assert "Excel is running" in text and "close every Excel window" in text and "nothing was changed" in text
    assert win.actions() == [] and snapshot(tmp_path) == original


def test_excel_untrusted_vba_project_says_what_to_allow_and_can_be_undone(tmp_path):
    win = FakeWindows(tmp_path, importable=True, import_code=3)
    original = snapshot(tmp_path)
    code, text = run(["--target", "excel"], **win.overrides())
    assert code == 1
    assert "Trust access to the VBA project object model" in text and "--uninstall" in text
    win.import_code = 0
    code, text = run(["--target", "excel"], **win.overrides())  # after allowing it: the same command finishes
    assert code == 0, text
    assert run(["--uninstall"], **win.overrides())[0] == 0
    assert snapshot(tmp_path) == original


def test_excel_dry_run_on_windows_touches_nothing(tmp_path):
    win = FakeWindows(tmp_path)
    win.conf.parent.mkdir(parents=True)
    win.conf.write_bytes(_before("lf_other_keys"))
    original = snapshot(tmp_path)
    code, text = run(["--dry-run", "--target", "excel"], **win.overrides(dry_run=True))
    assert code == 0
    assert snapshot(tmp_path) == original and win.actions() == []
    assert f"touches: {win.conf}" in text and f"touches: {win.addin}" in text
    assert '"UDF MODULES" added: xl_factor.udfs' in text and "missing: pip will install it" in text


# ---------------------------------------------------------------- LibreOffice, for real


def test_libreoffice_install_computes_fm_beta_is_idempotent_and_uninstalls(tmp_path):
    require_libreoffice()
    from openpyxl import Workbook
    from openpyxl.worksheet.formula import ArrayFormula

    from xl_factor.libreoffice import install, recalc

    folder, state = tmp_path / "lo" / "extensions", tmp_path / "state"
    overrides = dict(state_dir=state, cwd=tmp_path)
    code, text = run(["--target", "libreoffice", "--lo-dir", str(folder)], **overrides)
    assert code == 0, text
    assert "FM_BETA in LibreOffice equals numpy" in text
    assert install.is_private_install(folder)

    rng = np.random.default_rng(7)
    factors = rng.normal(0.0, 0.02, size=(60, 2))
    asset = 0.002 + factors @ np.array([0.8, 0.3]) + rng.normal(0.0, 0.01, size=60)
    rows = [["NoDur", "MktRF", "SMB"]] + [[float(a), *map(float, f)] for a, f in zip(asset, factors)]
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    sheet["E1"] = ArrayFormula("E1:F1", "=FM_BETA(A1:A61,B1:C61)")
    book.save(tmp_path / "beta.xlsx")
    values = recalc.recalculate(tmp_path / "beta.xlsx", extension_dir=folder)
    expected = as_cells(call("FM_BETA", tuple((r[0],) for r in rows), tuple(tuple(r[1:]) for r in rows)))
    assert [values[(sheet.title, "E1")], values[(sheet.title, "F1")]] == pytest.approx(expected[0], rel=1e-12)

    installed = snapshot(tmp_path)
    code, text = run(["--dry-run", "--target", "libreoffice", "--lo-dir", str(folder)], **overrides)
    assert code == 0 and "now: installed: kept" in text and snapshot(tmp_path) == installed
    code, text = run(["--target", "libreoffice", "--lo-dir", str(folder)], **overrides)
    assert code == 0 and "already installed" in text  # again: kept, checked again

    code, text = run(["--uninstall", "--target", "libreoffice", "--lo-dir", str(folder)], **overrides)
    assert code == 0, text
    assert not (tmp_path / "lo").exists() and not state.exists()  # folders it created, and its state, are gone


# ---------------------------------------------------------------- xlwings Lite


def _load_main(xlwings_module=None) -> types.ModuleType:
    """main.py as a module, with the installed xlwings or with ``xlwings_module`` in its place."""
    saved = sys.modules.get("xlwings")
    if xlwings_module is not None:
        sys.modules["xlwings"] = xlwings_module
    try:
        module = types.ModuleType("lite_main")
        exec(compile(lite.render_main(), "main.py", "exec"), module.__dict__)
        return module
    finally:
        if xlwings_module is not None:
            sys.modules["xlwings"] = saved


def lite_standin() -> types.ModuleType:
    """An ``xlwings`` that records what xlwings Lite's ``@func`` and ``@arg`` read (and refuses what Lite refuses)."""
    registry: dict = {}

    def func(f=None, **options):
        def inner(f):
            meta = f.__dict__.setdefault("lite", {"args": {}, "options": {}})
            meta["options"].update(options)
            registry[f.__name__.upper()] = f
            return f
        return inner if f is None else inner(f)

    def arg(name, convert=None, **options):
        def inner(f):
            if name not in inspect.signature(f).parameters:
                raise Exception(f"Invalid argument name '{name}'.")
            meta = f.__dict__.setdefault("lite", {"args": {}, "options": {}})
            meta["args"][name] = {"convert": convert, **options}
            return f
        return inner

    module = types.ModuleType("xlwings")
    module.__dict__.update(func=func, arg=arg, ret=lambda *a, **k: (lambda f: f), __version__="0.37.8",
                           registry=registry)
    return module


def test_lite_main_defines_every_catalogue_function_with_its_parameters():
    main = _load_main()  # this Python's xlwings: pass-through decorators on Linux
    for function in CATALOGUE:
        defined = getattr(main, function.name)
        parameters = inspect.signature(defined).parameters
        assert list(parameters) == [a.name for a in function.args]
        for a in function.args:
            assert parameters[a.name].default == (a.default if a.optional else inspect.Parameter.empty)
        assert defined.__doc__ == function.doc
    assert main.RUNTIME.startswith("xlwings Lite ")


def test_lite_main_decorators_read_as_xlwings_lite_reads_them():
    standin = lite_standin()
    _load_main(standin)
    assert sorted(standin.registry) == sorted(BY_NAME)
    for name, defined in standin.registry.items():
        function = BY_NAME[name]
        meta = defined.lite
        assert list(meta["args"]) == [a.name for a in reversed(function.args)]  # decorators apply bottom-up
        for a in function.args:
            options = meta["args"][a.name]
            assert options["doc"] == a.doc
            assert options.get("ndim") == (2 if a.kind in lite.RANGE_KINDS else None), (name, a.name)
            assert options["convert"] is None  # Lite's default conversion: blanks and errors as None


_REAL_DECORATORS = """
import json, sys, types
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import xlwings_windows
xlwings_windows.activate()  # xlwings' own func/arg/ret code (its Windows variant) binds the decorators
from xl_factor.install import lite
main = types.ModuleType("lite_main")
exec(compile(lite.render_main(), "main.py", "exec"), main.__dict__)
meta = {}
for name, value in vars(main).items():
    if hasattr(value, "__xlfunc__"):
        xlfunc = value.__xlfunc__
        meta[name] = {"doc": xlfunc["ret"]["doc"], "args": [
            {"name": a["name"], "doc": a["doc"], "options": a["options"], "optional": "optional" in a,
             "default": a.get("optional")}
            for a in xlfunc["args"]]}
print(json.dumps(meta))
"""


def test_lite_main_reads_through_xlwings_own_decorator_code():
    done = subprocess.run([sys.executable, "-c", _REAL_DECORATORS, str(REPO / "tests"), str(REPO)],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr
    meta = json.loads(done.stdout)
    assert sorted(meta) == sorted(BY_NAME)
    for name, function in BY_NAME.items():
        assert meta[name]["doc"] == function.doc
        assert [a["name"] for a in meta[name]["args"]] == [a.name for a in function.args]
        for got, a in zip(meta[name]["args"], function.args):
            assert got["doc"] == a.doc and got["optional"] == a.optional
            assert got["default"] == (a.default if a.optional else None)  # what an omitted argument becomes
            assert got["options"] == ({"ndim": 2} if a.kind in lite.RANGE_KINDS else {})


def _lite_range(rows):
    """A range as xlwings Lite hands it over with ndim=2: lists of rows, None for blanks, whole numbers as int."""
    return [[int(v) if isinstance(v, float) and v.is_integer() else v for v in row] for row in rows]


def test_lite_functions_answer_like_the_catalogue(monkeypatch):
    standin = lite_standin()
    main = _load_main(standin)
    rng = np.random.default_rng(3)
    factors = rng.normal(0.0, 0.02, size=(40, 2))
    asset = 0.001 + factors @ np.array([1.1, -0.2]) + rng.normal(0.0, 0.01, size=40)
    serials = [43861 + 30 * i for i in range(40)]  # dates reach Lite as serial numbers
    asset_rows = [["Date", "MSFT"]] + [[s, float(a)] for s, a in zip(serials, asset)]
    asset_rows[5][1] = None  # a blank cell
    factor_rows = [["Date", "MktRF", "SMB"]] + [[s, *map(float, f)] for s, f in zip(serials, factors)]
    a, f = _lite_range(asset_rows), _lite_range(factor_rows)

    def same(name, *args):
        got = getattr(main, name)(*args)
        want = as_cells(call(name, *args, runtime=main.RUNTIME), blank=None)
        assert got == want, name
        assert not any(isinstance(v, float) and np.isnan(v) for row in got for v in row)  # NaN would be #NUM!
        return got

    beta = same("FM_BETA", a, f)
    assert isinstance(beta[0][0], float) and len(beta[0]) == 2
    assert same("FM_BETA", a, f, False) != beta
    resid = same("FM_RESID", a, f)
    assert resid[4] == [None] and len(resid) == 40  # the row with the blank is a blank cell
    same("FM_HEDGE", 1_000_000, a, f)
    same("FM_REGRESS", a, f, "HC1")
    same("FM_SIZE", 10000, [[0.0004], [0.0009]], 21)
    same("FM_PARAMCOUNT", 12, 3)
    assert same("FM_REGRESS", a, f, "HC9")[0][0].startswith("#FM! FM_REGRESS: ")  # text, not an error value
    info = dict(same("FM_INFO"))
    assert info["xl_factor"] == __version__ and info["runtime"] == "xlwings Lite 0.37.8"


def test_lite_target_writes_the_files_again_changes_nothing_and_uninstalls(tmp_path):
    folder, state = tmp_path / "work" / "lite", tmp_path / "state"
    overrides = dict(state_dir=state, cwd=tmp_path)
    url = "https://raw.githubusercontent.com/example/wheels/main/" + lite.WHEEL
    code, text = run(["--target", "lite", "--lite-dir", str(folder), "--wheel-url", url], **overrides)
    assert code == 0, text
    assert (folder / "main.py").read_text() == lite.render_main()
    assert (folder / "requirements.txt").read_text().splitlines() == ["numpy", "pandas", "scipy", "statsmodels", url]
    assert "----- end of main.py -----" in text and "@func" in text  # printed to paste
    written = snapshot(tmp_path)
    code, text = run(["--target", "lite", "--lite-dir", str(folder), "--wheel-url", url], **overrides)
    assert code == 0 and snapshot(tmp_path) == written and text.count("up to date: unchanged") == 3

    code, text = run(["--uninstall", "--target", "lite"], **overrides)
    assert code == 0, text
    assert not (tmp_path / "work").exists() and not state.exists()


def test_lite_target_never_clobbers_a_file_it_did_not_write(tmp_path):
    folder, state = tmp_path / "lite", tmp_path / "state"
    folder.mkdir()
    (folder / "main.py").write_text("# the user's own Lite code\n")
    original = snapshot(tmp_path)
    overrides = dict(state_dir=state, cwd=tmp_path)
    code, text = run(["--target", "lite", "--lite-dir", str(folder)], **overrides)
    assert code == 2 and "is not the installer's" in text and snapshot(tmp_path) == original
    code, text = run(["--target", "lite", "--lite-dir", str(folder), "--force"], **overrides)
    assert code == 0 and (folder / "requirements.txt").read_text().endswith(lite.PLACEHOLDER + "\n")
    assert run(["--uninstall"], **overrides)[0] == 0
    assert snapshot(tmp_path) == original  # the user's main.py back from its backup


def test_dry_run_on_this_machine_touches_nothing(tmp_path):
    code, text = run(["--dry-run", "--lite-dir", str(tmp_path / "lite")], state_dir=tmp_path / "state", cwd=tmp_path)
    assert code == 0 and all(f"== {t}: " in text for t in TARGETS)
    assert list(tmp_path.iterdir()) == []


def test_excel_com_helper_refuses_off_windows_and_bad_usage(capsys):
    from xl_factor.install import excel_com

    assert excel_com.main(["import-udfs"]) == 2
    assert excel_com.main(["import-udfs", "xlwings.xlam", "xl_factor.udfs"]) == 1
    assert "Windows only" in capsys.readouterr().err


def test_nothing_recorded_means_nothing_to_uninstall(tmp_path):
    code, text = run(["--uninstall"], state_dir=tmp_path / "state", cwd=tmp_path)
    assert code == 0 and "nothing to uninstall" in text and not (tmp_path / "state").exists()
    assert TRUST.startswith("in Excel: File > Options > Trust Center")


def test_dry_run_into_a_reader_that_stops_early_ends_quietly():
    """`install_addin.py --dry-run | head -1`: the pipe closes after one line; no traceback, exit 0."""
    reader = subprocess.Popen([sys.executable, str(REPO / "install_addin.py"), "--dry-run"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, cwd=REPO)
    first = reader.stdout.readline()
    reader.stdout.close()  # what head does after its line
    _, stderr = reader.communicate(timeout=60)
    assert first.startswith(b"xl_factor ")
    assert reader.returncode == 0 and b"Traceback" not in stderr, stderr.decode()
