"""install_addin.py never loses or leaves anything (issue 12, part 4).

- ``--dry-run`` starts nothing that writes: a home folder it runs in stays bit for bit as it was
  (LibreOffice's Python, started to find ``import uno``, would create ``~/.config``).
- A LibreOffice install and its uninstall leave no profile side effects in the home folder
  (``~/.config``, ``~/.cache/dconf/user``); an uninstall after ``--lo-dir DIR`` removes exactly the files
  the installs added and the folders they created, keeping a file the user put there.
- A symlinked ``main.py`` or ``xlwings.conf`` comes back as the same symlink.
- A damaged state file is one line with what to do and a non-zero exit, never a traceback;
  ``--uninstall --force`` cleans what it can find and keeps the damaged file aside.
- On (simulated) Windows the package set is recorded before pip runs, so an uninstall after a failed or
  interrupted pip install puts it back.

The LibreOffice cases run the real installer in a subprocess with ``HOME`` set to an empty folder; they
skip without LibreOffice and fail when the environment variable CI is set.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_install_addin import REPO, FakeWindows, require_libreoffice, run

from xl_factor.install import lite, xlwings_conf


def files_under(root: Path) -> dict[str, bytes | str | None]:
    """Every entry under ``root``: a file's bytes, a symlink's target text, None for a folder."""
    found = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        if path.is_symlink():
            found[key] = "-> " + os.readlink(path)
        else:
            found[key] = path.read_bytes() if path.is_file() else None
    return found


def installer(args: list[str], home: Path, **env) -> subprocess.CompletedProcess:
    """``python install_addin.py args`` in a fresh process whose home folder is ``home``."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    environment.update(HOME=str(home), **env)
    return subprocess.run([sys.executable, "install_addin.py", *args], cwd=REPO, env=environment,
                          capture_output=True, text=True, timeout=600)


def test_dry_run_leaves_an_empty_home_empty(tmp_path):
    require_libreoffice()  # without LibreOffice nothing would start, and the test would prove nothing
    home = tmp_path / "home"
    home.mkdir()
    done = installer(["--dry-run"], home)
    assert done.returncode == 0, done.stderr
    assert "== libreoffice: " in done.stdout and "dry run: nothing was changed" in done.stdout
    assert files_under(home) == {}


def test_libreoffice_install_and_uninstall_leave_home_alone_and_remove_exactly_what_they_added(tmp_path):
    require_libreoffice()
    home, state, folder = tmp_path / "home", tmp_path / "state", tmp_path / "lo"
    home.mkdir()
    folder.mkdir()
    (folder / "notes.txt").write_text("the user's, there before\n")
    env = {"XL_FACTOR_INSTALL_STATE": str(state)}
    done = installer(["--target", "libreoffice", "--lo-dir", str(folder)], home, **env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FM_BETA in LibreOffice equals numpy" in done.stdout
    assert files_under(home) == {}  # no ~/.config, no ~/.cache/dconf/user
    unpacked = [p for p in (folder / "uno_packages").rglob("xl_factor_addin.py")]
    assert unpacked, files_under(folder).keys()

    (folder / "later.txt").write_text("the user's, put there after the install\n")
    (folder / "uno_packages" / "mine.txt").write_text("in a folder the installer created\n")
    done = installer(["--uninstall", "--target", "libreoffice"], home, **env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert files_under(folder) == {"later.txt": b"the user's, put there after the install\n",
                                   "notes.txt": b"the user's, there before\n", "uno_packages": None,
                                   "uno_packages/mine.txt": b"in a folder the installer created\n"}
    assert files_under(home) == {} and not state.exists()


# ---------------------------------------------------------------- symlinks come back as symlinks


def test_a_symlinked_xlwings_conf_and_addin_come_back_as_the_same_symlinks(tmp_path):
    win = FakeWindows(tmp_path)
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    (dotfiles / "xlwings.conf").write_bytes(b'"UDF MODULES","my_udfs"\r\n')
    (dotfiles / "xlwings.xlam").write_bytes(b"PK the user's own add-in")
    win.conf.parent.mkdir(parents=True)
    win.conf.symlink_to(Path("..", "..", "..", "dotfiles", "xlwings.conf"))  # a relative link, kept as written
    win.addin.parent.mkdir(parents=True)
    win.addin.symlink_to(dotfiles / "xlwings.xlam")
    original = files_under(tmp_path)

    code, text = run(["--target", "excel"], **win.overrides())
    assert code == 0, text
    assert not win.conf.is_symlink() and not win.addin.is_symlink()  # never written through the links
    assert xlwings_conf.get(win.conf.read_bytes(), "UDF MODULES") == "my_udfs;xl_factor.udfs"
    assert b"+xlwings_udfs(" in win.addin.read_bytes()
    assert files_under(dotfiles) == {k[len("dotfiles/"):]: v for k, v in original.items()
                                     if k.startswith("dotfiles/")}

    code, text = run(["--uninstall"], **win.overrides())
    assert code == 0, text
    assert files_under(tmp_path) == original  # both links as they were, pointing where they pointed


def test_a_symlinked_lite_main_py_comes_back_as_the_same_symlink(tmp_path):
    folder, mine = tmp_path / "lite", tmp_path / "my_code.py"
    folder.mkdir()
    mine.write_text("# the user's own Lite code\n")
    (folder / "main.py").symlink_to("../my_code.py")
    original = files_under(tmp_path)
    overrides = dict(state_dir=tmp_path / "state", cwd=tmp_path)
    code, text = run(["--target", "lite", "--lite-dir", str(folder), "--force"], **overrides)
    assert code == 0, text
    assert (folder / "main.py").read_text() == lite.render_main() and not (folder / "main.py").is_symlink()
    assert mine.read_text() == "# the user's own Lite code\n"
    code, text = run(["--uninstall", "--target", "lite"], **overrides)
    assert code == 0, text
    assert files_under(tmp_path) == original


# ---------------------------------------------------------------- a damaged state file


def _damage(state: Path, how: str) -> None:
    path = state / "state.json"
    if how == "truncated":
        path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    elif how == "not json":
        path.write_bytes(b"\xff\xfe garbage")
    else:
        path.write_text('["a list, not the installer\'s"]')


@pytest.mark.parametrize("how", ["truncated", "not json", "wrong shape"])
def test_a_damaged_state_file_is_one_line_with_what_to_do_and_force_cleans_up(tmp_path, how):
    folder, state = tmp_path / "lite", tmp_path / "state"
    folder.mkdir()
    (folder / "main.py").write_text("# the user's own Lite code\n")
    overrides = dict(state_dir=state, cwd=tmp_path)
    lite_args = ["--target", "lite", "--lite-dir", str(folder)]
    assert run(lite_args + ["--force"], **overrides)[0] == 0  # main.py backed up, then replaced
    _damage(state, how)
    damaged = (state / "state.json").read_bytes()

    for argv in (lite_args, lite_args + ["--dry-run"], ["--uninstall"], ["--uninstall", "--target", "lite"]):
        code, text = run(argv, raw=True, **overrides)
        assert code == 1 and len(text.splitlines()) == 1, (argv, text)
        assert text.startswith(f"error: the installer's state file {state / 'state.json'} is damaged (")
        assert "--uninstall --force" in text and "Traceback" not in text
    assert (state / "state.json").read_bytes() == damaged

    code, text = run(["--uninstall", "--force", "--target", "lite", "--lite-dir", str(folder)], **overrides)
    assert code == 0, text
    assert files_under(folder) == {"main.py": b"# the user's own Lite code\n"}  # the installer's gone, the user's back
    aside = [p.name for p in state.iterdir() if p.name.startswith("state.json.damaged-")]
    assert len(aside) == 1 and (state / aside[0]).read_bytes() == damaged and (state / "backups").is_dir()
    assert not (state / "state.json").exists()
    assert run(lite_args, **overrides)[0] == 2  # a fresh start: the user's main.py is protected again


def test_a_damaged_state_file_from_the_command_line_gives_no_traceback(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / "state.json").write_text('{"format": 1, "targets": {"lite": {"files": ')
    for args in (["--target", "lite", "--lite-dir", str(tmp_path / "lite")], ["--uninstall"]):
        done = installer(args, tmp_path, XL_FACTOR_INSTALL_STATE=str(state))
        assert done.returncode == 1 and done.stderr == "", done.stderr
        assert len(done.stdout.splitlines()) == 1 and "is damaged" in done.stdout


def test_uninstall_force_with_a_damaged_state_file_cleans_xlwings_conf_on_simulated_windows(tmp_path):
    win = FakeWindows(tmp_path, importable=True)
    win.conf.parent.mkdir(parents=True)
    win.conf.write_bytes(b'"UDF MODULES","my_udfs"\r\n"SHOW CONSOLE","False"\r\n')
    assert run(["--target", "excel"], **win.overrides())[0] == 0
    state = win.overrides()["state_dir"]
    _damage(state, "truncated")
    code, text = run(["--uninstall"], **win.overrides())
    assert code == 1 and "is damaged" in text
    code, text = run(["--uninstall", "--force"], **win.overrides())
    assert code == 0, text
    conf = win.conf.read_bytes()
    assert xlwings_conf.get(conf, "UDF MODULES") == "my_udfs" and b"SHOW CONSOLE" in conf
    assert "INTERPRETER_WIN" in text and "addin remove" in text and "pip uninstall xl_factor" in text
    assert not (state / "state.json").exists()


def test_uninstall_force_with_a_damaged_state_file_removes_the_libreoffice_addin_it_finds(tmp_path):
    require_libreoffice()
    home, state, folder = tmp_path / "home", tmp_path / "state", tmp_path / "lo"
    home.mkdir()
    folder.mkdir()
    (folder / "notes.txt").write_text("the user's\n")
    env = {"XL_FACTOR_INSTALL_STATE": str(state)}
    args = ["--target", "libreoffice", "--lo-dir", str(folder)]
    done = installer(args, home, **env)
    assert done.returncode == 0, done.stdout + done.stderr
    (state / "state.json").write_text("{")
    done = installer(["--uninstall"] + args, home, **env)
    assert done.returncode == 1 and len(done.stdout.splitlines()) == 1 and done.stderr == ""
    done = installer(["--uninstall", "--force"] + args, home, **env)
    assert done.returncode == 0, done.stdout + done.stderr
    flat = " ".join(done.stdout.split())
    assert "removed the add-in from" in flat and "removed 1 unpacked copies" in flat
    assert files_under(folder) == {"notes.txt": b"the user's\n"} and files_under(home) == {}


# ---------------------------------------------------------------- pip that fails or is interrupted


class HalfwayPip(FakeWindows):
    """A pip install that changes the packages, then fails (``how="fails"``) or is interrupted (Ctrl+C)."""

    def __init__(self, root: Path, how: str):
        super().__init__(root)
        self.how = how

    def run(self, command):
        if command[2:4] == ["pip", "install"] and "==" not in command[-1]:
            self.commands.append(command)
            self.packages.update({"xlwings": "0.37.8", "numpy": "2.0.0", "pandas": "2.2.0"})  # then it stops
            if self.how == "interrupted":
                raise KeyboardInterrupt
            return subprocess.CompletedProcess(command, 1, "", "ERROR: Could not install packages (disk full)")
        return super().run(command)


@pytest.mark.parametrize("how", ["fails", "interrupted"])
def test_uninstall_after_a_pip_install_that_did_not_finish_restores_the_packages(tmp_path, how):
    win = HalfwayPip(tmp_path, how)
    original = files_under(tmp_path)
    code, text = run(["--target", "excel"], raw=True, **win.overrides())
    if how == "fails":
        assert code == 1 and "pip install failed" in text and "--uninstall" in text
    else:
        assert code == 130 and text.splitlines()[-1].startswith("interrupted: ") and "--uninstall" in text
    assert win.packages == {"pip": "24.0", "numpy": "2.0.0", "xlwings": "0.37.8", "pandas": "2.2.0"}

    code, text = run(["--uninstall"], **win.overrides())
    assert code == 0, text
    assert win.packages == {"pip": "24.0", "numpy": "1.26.0"}  # xlwings and pandas gone, numpy back
    uninstall = [c for c in win.commands if c[2:4] == ["pip", "uninstall"]][-1]
    assert sorted(uninstall[5:]) == ["pandas", "xlwings"]
    assert files_under(tmp_path) == original  # and the state file is gone
