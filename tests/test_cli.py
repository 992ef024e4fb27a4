"""The ``xl-factor`` command as a user runs it: a separate process of this (the venv's) Python.

``--version``; a description for the program and for every command;
``templates`` writing into the current folder (or ``--out``), never into the
package's folder, and replacing a file only with ``--force``.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import require
import xl_factor
from xl_factor.cli import _parser

COMMANDS = ("demo", "bench", "templates", "refresh")
PACKAGE_DIR = Path(xl_factor.__file__).resolve().parent
CONSOLE_SCRIPT = Path(sys.executable).parent / "xl-factor"


def xl_factor_cli(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "xl_factor", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def _package_side() -> dict[str, tuple]:
    """Where a build beside the package could land (its folder, the checkout's workbook_templates/ when
    installed editable, or site-packages/workbook_templates/ when not): each file's (size, mtime_ns, sha256)."""
    places = [PACKAGE_DIR, PACKAGE_DIR / "templates", PACKAGE_DIR.parent / "workbook_templates"]
    seen = {}
    for folder in places:
        path = folder / "factor_hedging.xlsx"
        if path.exists():
            stat = path.stat()
            seen[str(path)] = (stat.st_size, stat.st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest())
        else:
            seen[str(path)] = None
    return seen


def test_version():
    done = xl_factor_cli("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"xl-factor {xl_factor.__version__}"


def test_console_script_version():
    require(CONSOLE_SCRIPT.exists(), f"the console script {CONSOLE_SCRIPT} (the package pip-installed)")
    done = subprocess.run([str(CONSOLE_SCRIPT), "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"xl-factor {xl_factor.__version__}"


def test_every_command_is_listed_with_a_summary():
    done = xl_factor_cli("--help")
    assert done.returncode == 0, done.stderr
    for name in COMMANDS:
        line = next((line for line in done.stdout.splitlines() if line.split()[:1] == [name]), None)
        assert line is not None, f"{name} is not listed in xl-factor --help"


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_a_description(name):
    done = xl_factor_cli(name, "--help")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    # argparse prints: usage, a blank line, the description, a blank line, the arguments.
    description = text.split("\n\n")[1] if "\n\n" in text else ""
    assert description.strip() and not description.lstrip().startswith(("options:", "positional arguments:")), \
        f"xl-factor {name} --help has no description:\n{text}"
    # And every argument says what it is for.
    for action in _subparser(name)._actions:
        assert action.help, f"xl-factor {name}: argument {action.dest} has no help"


def _subparser(name):
    (sub,) = [a for a in _parser()._actions if a.dest == "command"]
    return sub.choices[name]


def test_no_command_is_a_usage_error():
    done = xl_factor_cli()
    assert done.returncode == 2
    assert "usage: xl-factor" in done.stderr


def test_demo_runs():
    done = xl_factor_cli("demo")
    assert done.returncode == 0, done.stderr
    for asset in ("MSFT", "WMT", "JPM"):
        assert asset in done.stdout


def test_templates_writes_into_the_current_folder_and_never_into_the_package(tmp_path):
    before = _package_side()
    done = xl_factor_cli("templates", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    written = tmp_path / "factor_hedging.xlsx"
    assert written.is_file()
    assert done.stdout.strip() == f"wrote {written}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["factor_hedging.xlsx"]
    assert _package_side() == before, "xl-factor templates wrote beside the package"


def test_templates_replaces_an_existing_file_only_with_force(tmp_path):
    mine = tmp_path / "factor_hedging.xlsx"
    mine.write_bytes(b"a workbook the user filled in")
    done = xl_factor_cli("templates", cwd=tmp_path)
    assert done.returncode == 2
    assert "--force" in done.stderr and "nothing written" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, "one line, no traceback"
    assert mine.read_bytes() == b"a workbook the user filled in"

    done = xl_factor_cli("templates", "--force", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert mine.read_bytes()[:2] == b"PK", "replaced by the built workbook"


def test_templates_out_makes_the_folder(tmp_path):
    out = tmp_path / "a" / "b"
    done = xl_factor_cli("templates", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (out / "factor_hedging.xlsx").is_file()
    assert not (tmp_path / "factor_hedging.xlsx").exists()


def test_templates_out_that_is_a_file_is_refused(tmp_path):
    out = tmp_path / "report.xlsx"
    out.write_bytes(b"x")
    done = xl_factor_cli("templates", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 2
    assert "not a folder" in done.stderr
    assert out.read_bytes() == b"x"
