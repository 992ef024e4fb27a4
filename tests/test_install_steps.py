"""The install steps are one text with two renderings, and every command in them runs.

The README's steps per target and the Guide sheet's rows are both rendered
from xl_factor/install/steps.py: the README is compared with a fresh
rendering, the Guide of a workbook built in memory (not the committed file)
with the plain rendering. Every command is checked against the real code:
its script or module exists and answers ``--help`` with exit 0, and each
``install_addin.py`` command, exactly as written, plans without error under
``--dry-run`` (which touches nothing) on the platform it is meant for.
"""

from __future__ import annotations

import importlib.util
import shlex
import subprocess
import sys

import pytest

from conftest import REPO
from xl_factor.install import steps
from xl_factor.templates import build_factor_hedging

#: How the steps name the Python that has xl_factor: all run as this test's interpreter.
PYTHONS = {"python", "python3", ".venv/bin/python"}
#: The platform each target's commands are typed on (for --dry-run --platform).
PLATFORM = {"excel": "win32", "libreoffice": "linux", "lite": "linux"}
COMMANDS = [(target.key, step.command) for target in steps.TARGETS for step in target.steps if step.command]


def test_readme_install_steps_match_the_source():
    text = steps.README.read_text()
    for target in steps.TARGETS:
        assert text.count(steps.start_marker(target)) == 1 and text.count(steps.end_marker(target)) == 1, target.key
    assert steps.updated(text) == text, "README install steps are stale: run python -m xl_factor.install.steps"


def test_guide_rows_are_the_plain_rendering_of_the_steps():
    ws = build_factor_hedging()["Guide"]
    rows = [(ws.cell(row=r, column=1).value, ws.cell(row=r, column=2).value) for r in range(1, ws.max_row + 1)]
    expected = steps.guide_rows()
    labels = [target.label for target in steps.TARGETS]
    column_a = [a for a, _ in rows]
    assert all(column_a.count(label) == 1 for label in labels), "each target's label once in column A"
    first = column_a.index(labels[0])
    assert rows[first:first + len(expected)] == expected, "the Guide's install rows differ from steps.guide_rows()"
    for _, text in expected:
        assert "`" not in text and "**" not in text, f"Markdown in a Guide cell: {text}"


def _run(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("key", "command"), COMMANDS, ids=[f"{k}: {c}" for k, c in COMMANDS])
def test_every_command_exists_and_answers_help(key, command):
    program, *args = shlex.split(command)
    if program == "bash":
        script, *args = args
        assert (REPO / script).is_file(), script
        done = _run(["bash", script, "--help"])
    elif program in PYTHONS and args[0] == "-m":
        # Not importlib.util.find_spec(module) here: finding "pip" in this process makes setuptools'
        # distutils shim stand down for the rest of the session (tests/test_lite_pyodide.py imports setuptools).
        module, *rest = args[1:]
        subcommands = [word for word in rest[:1] if not word.startswith("-")]
        done = _run([sys.executable, "-m", module, *subcommands, "--help"])
    elif program in PYTHONS:
        script, *args = args
        assert (REPO / script).is_file(), script
        done = _run([sys.executable, script, "--help"])
    else:
        pytest.fail(f"{command}: the test does not know the program {program}")
    assert done.returncode == 0, f"{command}: --help exited {done.returncode}\n{done.stderr}"


@pytest.mark.parametrize(("key", "command"), [c for c in COMMANDS if "install_addin.py" in c[1]],
                         ids=[c for k, c in COMMANDS if "install_addin.py" in c])
def test_every_installer_command_plans_as_written(key, command):
    program, script, *args = shlex.split(command)
    assert program in PYTHONS and script == "install_addin.py", command
    done = _run([sys.executable, script, *args, "--dry-run", "--platform", PLATFORM[key]])
    assert done.returncode == 0, f"{command} --dry-run: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert f"== {key}:" in done.stdout, f"{command} --dry-run does not plan the {key} target:\n{done.stdout}"
