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
