"""The install steps a user follows, per target: one text, rendered into README.md and into the Guide sheet.

Each target is a short list of steps, each a plain sentence with an optional
command to type. :func:`markdown` renders a target for the README (commands as
code blocks), :func:`guide_rows` renders every target as Guide rows (plain
text, for a spreadsheet cell). The README's steps sit between marker lines; a
test fails when they are stale, and ``python -m xl_factor.install.steps``
rewrites them. The template builder takes the Guide rows from here, so the
two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


@dataclass(frozen=True)
class Step:
    """One thing to do: a plain sentence (no Markdown), then the command to type, if any."""

    text: str
    command: str | None = None


@dataclass(frozen=True)
class Target:
    """Where the functions go: ``key`` names its README markers, ``label`` heads its Guide rows."""

    key: str
    label: str
    shell: str
    steps: tuple[Step, ...]


EXCEL = Target("excel", "Excel (Windows)", "bat", (
    Step("Install Python 3.11 or later. In a command prompt at the root of the xl_factor checkout, install its "
         "packages:", "python -m pip install -e ."),
    Step("In Excel, allow this once: File > Options > Trust Center > Trust Center Settings > Macro Settings > tick "
         "Trust access to the VBA project object model. Only the import of the functions needs it. Then close "
         "Excel."),
    Step("Install the add-in (add --python C:\\path\\to\\python.exe to have Excel run another Python):",
         "python install_addin.py --target excel"),
    Step("Start Excel and type =FM_INFO() in a cell: its runtime row reads xlwings and its version. Then open the "
         "workbook; Ctrl+Alt+F9 recalculates every cell."),
    Step("To remove it again (files it changed come back byte for byte):",
         "python install_addin.py --uninstall --target excel"),
))

LIBREOFFICE = Target("libreoffice", "LibreOffice Calc", "sh", (
    Step("On Linux, at the root of the xl_factor checkout, make its Python environment .venv. It uses the "
         "python3 on your PATH: keep that the system Python, which LibreOffice runs. LibreOffice on Windows and "
         "macOS brings its own Python, which was not tried.", "bash scripts/setup.sh"),
    Step("Close LibreOffice and install the add-in into your profile (as root, add --shared to install it for "
         "every user). The installer then computes FM_BETA in a headless LibreOffice and compares it with numpy.",
         ".venv/bin/python install_addin.py --target libreoffice"),
    Step("Start Calc and type =FM_INFO() in a cell: its runtime row reads LibreOffice and its version. "
         "LibreOffice 25.2 or later computes the FM_* cells of an .xlsx when it opens the file; LibreOffice 7.4 "
         "shows #NAME? in them until each formula is entered again."),
    Step("To remove it again:", ".venv/bin/python install_addin.py --uninstall --target libreoffice"),
))

LITE = Target("lite", "Excel 365 (Lite)", "sh", (
    Step("At the root of the xl_factor checkout, make its Python environment .venv (on Windows run "
         "python -m pip install -e . instead, and type python for .venv/bin/python below):",
         "bash scripts/setup.sh"),
    Step("Build the xl_factor wheel into the folder dist:", ".venv/bin/python -m pip wheel . --no-deps -w dist"),
    Step("Put the wheel at an https address the browser may fetch (CORS allowed): the raw file address of a GitHub "
         "repository that holds it, a package index, or the private index of a self-hosted xlwings Lite."),
    Step("Write main.py, requirements.txt and README.txt into the folder xl_factor_lite, with that address in "
         "place of URL:", ".venv/bin/python install_addin.py --target lite --wheel-url URL"),
    Step("In Excel 365, add xlwings Lite (Home > Add-ins) and open its task pane. In its requirements.txt tab, add "
         "the lines of requirements.txt below Lite's own; in its main.py tab, paste main.py. The code lives in the "
         "workbook: do this in each workbook that uses the functions."),
    Step("Type =FM_INFO() in a cell: its runtime row reads xlwings Lite and its version. If the FM_* cells of a "
         "template still show #NAME?, select its sheets, open Find & Replace (Ctrl+H), find = and replace with =, "
         "look in formulas, Replace All: Excel enters every formula again. Tried in Pyodide, the Python of "
         "xlwings Lite, not yet in Excel 365 itself."),
))

TARGETS = (EXCEL, LIBREOFFICE, LITE)


def start_marker(target: Target) -> str:
    return f"<!-- install steps ({target.key}): generated from xl_factor/install/steps.py, do not edit -->"


def end_marker(target: Target) -> str:
    return f"<!-- end of install steps ({target.key}) -->"


def markdown(target: Target) -> str:
    """The target's steps as a numbered Markdown list between its markers, each command in a code block."""
    lines = [start_marker(target), ""]
    for number, step in enumerate(target.steps, 1):
        lines += [f"{number}. {step.text}", ""]
        if step.command:
            lines += [f"   ```{target.shell}", f"   {step.command}", "   ```", ""]
    return "\n".join(lines + [end_marker(target)])


def plain(number: int, step: Step) -> str:
    """One step as the text of a spreadsheet cell: its number, its sentence and its command, no Markdown."""
    return " ".join(part for part in (f"{number}.", step.text, step.command) if part)


def guide_rows() -> list[tuple[str | None, str]]:
    """(label, text) rows of the Guide: each target's label beside its first step, one step a row."""
    return [(target.label if number == 1 else None, plain(number, step))
            for target in TARGETS for number, step in enumerate(target.steps, 1)]


def updated(text: str) -> str:
    """README text with every target's generated steps replaced."""
    for target in TARGETS:
        head, rest = text.split(start_marker(target), 1)
        _, tail = rest.split(end_marker(target), 1)
        text = head + markdown(target) + tail
    return text


def main() -> None:
    README.write_text(updated(README.read_text()))
    print(f"updated the install steps in {README}")


if __name__ == "__main__":
    main()
