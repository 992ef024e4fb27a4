"""Plans: the steps an install or uninstall takes, printed for ``--dry-run`` or executed in order.

A :class:`Plan` is built by looking at the machine (never changing it): each
:class:`Step` has a one-line title, the files it may touch, what a look found
now (``status``) and an action. ``--dry-run`` prints the plan; a real run
first refuses when a blocker is found (Excel running, wrong platform), then
runs the steps in order and prints what each did. A failing step raises
:class:`StepError` with what the user must do; the steps done before it are
already in the state file, so ``--uninstall`` can undo them.

Everything the plans read about the machine goes through :class:`Context`:
the platform, environment, home folder, the command runner and the process
lister are injected, so tests simulate Windows on Linux without running a
Windows command.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

#: The checkout that holds ``install_addin.py`` and ``pyproject.toml``.
REPO = Path(__file__).resolve().parents[2]
PLATFORMS = ("win32", "linux", "darwin")
WIDTH = 110


def wrap(text: str, first: str, rest: str) -> list[str]:
    """``text`` as lines of at most :data:`WIDTH` characters; paths and commands are never split."""
    return textwrap.wrap(text, WIDTH, initial_indent=first, subsequent_indent=rest, break_long_words=False,
                         break_on_hyphens=False) or [first.rstrip()]


class StepError(RuntimeError):
    """A step could not finish; ``what_to_do`` tells the user how to go on."""

    def __init__(self, message: str, what_to_do: str = ""):
        super().__init__(message)
        self.what_to_do = what_to_do


def platform_name(platform: str) -> str:
    """``win32`` -> ``Windows`` and so on, for messages."""
    return {"win32": "Windows", "linux": "Linux", "darwin": "macOS"}.get(platform, platform)


def run_command(command: list[str], timeout: float = 900.0) -> subprocess.CompletedProcess:
    """Run a command, capturing its text output; a missing program gives returncode 127."""
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except FileNotFoundError as error:
        return subprocess.CompletedProcess(command, 127, "", str(error))
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(command, 124, "", f"{command[0]} did not finish in {timeout:.0f} s")


def running_processes(platform: str | None = None) -> list[str]:
    """Lower-case image names of the processes running now (``excel.exe``, ``soffice.bin``, ...)."""
    platform = platform or sys.platform
    if platform == "win32":
        done = run_command(["tasklist", "/FO", "CSV", "/NH"], timeout=60)
        names = []
        for line in done.stdout.splitlines():
            if line.startswith('"'):
                names.append(line.split('","')[0].strip('"').lower())
        return names
    if platform.startswith("linux"):
        names = []
        for comm in Path("/proc").glob("[0-9]*/comm"):
            try:
                names.append(comm.read_text().strip().lower())
            except OSError:
                continue
        return names
    done = run_command(["ps", "-axo", "comm="], timeout=60)
    return [Path(line.strip()).name.lower() for line in done.stdout.splitlines() if line.strip()]


def default_state_dir(platform: str, env: dict, home: Path) -> Path:
    """Where the installer keeps its state file and backups (``XL_FACTOR_INSTALL_STATE`` overrides)."""
    if env.get("XL_FACTOR_INSTALL_STATE"):
        return Path(env["XL_FACTOR_INSTALL_STATE"])
    if platform == "win32":
        return Path(env.get("LOCALAPPDATA") or home / "AppData" / "Local") / "xl_factor" / "install"
    if platform == "darwin":
        return home / "Library" / "Application Support" / "xl_factor" / "install"
    return Path(env.get("XDG_STATE_HOME") or home / ".local" / "state") / "xl_factor" / "install"


@dataclass
class Context:
    """What a plan may know about the machine, and how it acts on it.

    ``probe`` False means: describe the plan for ``platform`` without looking
    at this machine (``--platform``): no command is run, no file is read, and
    paths are shown as the platform would name them.
    """

    platform: str = sys.platform
    env: dict = field(default_factory=lambda: dict(os.environ))
    home: Path = field(default_factory=Path.home)
    python: str = sys.executable
    python_given: bool = False
    force: bool = False
    dry_run: bool = False
    probe: bool = True
    is_root: bool = field(default_factory=lambda: hasattr(os, "geteuid") and os.geteuid() == 0)
    cwd: Path = field(default_factory=Path.cwd)
    repo: Path = REPO
    state_dir: Path | None = None
    run: Callable[[list[str]], subprocess.CompletedProcess] = run_command
    processes: Callable[[], list[str]] | None = None
    out: Callable[[str], None] = print
    options: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.state_dir is None:
            self.state_dir = default_state_dir(self.platform, self.env, self.home)
        if self.processes is None:
            self.processes = lambda: running_processes(self.platform)

    def running(self, *names: str) -> list[str]:
        """Which of the process image ``names`` run now (empty when not probing)."""
        if not self.probe:
            return []
        wanted = {n.lower() for n in names}
        return sorted({p for p in self.processes() if p in wanted})

    def state(self):
        from .state import State

        return State(self.state_dir, dry_run=self.dry_run or not self.probe)


@dataclass
class Step:
    """One step: its title, the files it may touch, what a look found now, and its action."""

    title: str
    touches: list[str] = field(default_factory=list)
    status: str = ""
    action: Callable[[], str] | None = None


@dataclass
class Plan:
    """The steps of one target, with blockers, what to do next and honest notes."""

    target: str
    title: str
    steps: list[Step] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    uninstall: bool = False
    #: Printed after a successful run (the Lite files to paste).
    epilogue: Callable[[], str] | None = None

    def render(self, dry_run: bool = True) -> str:
        """The plan as text: every step and every file it would touch."""
        verb = "uninstall" if self.uninstall else "install"
        lines = wrap(f"== {self.target}: {self.title}" + (" (dry run: nothing is changed)" if dry_run else ""),
                     "", "   ")
        for blocker in self.blockers:
            lines += wrap(blocker, "   STOP: ", "         ")
        if not self.steps:
            lines.append(f"   nothing to {verb}")
        for number, step in enumerate(self.steps, start=1):
            lines += wrap(step.title, f"   {number}. ", "      ")
            for path in step.touches:
                lines += wrap(path, "        touches: ", "                 ")
            if step.status:
                lines += wrap(step.status, "        now: ", "             ")
        lines += self._tail("then:" if dry_run else "next:")
        return "\n".join(lines)

    def _tail(self, heading: str) -> list[str]:
        lines = []
        if self.next_steps:
            lines.append(f"   {heading}")
            for item in self.next_steps:
                lines += wrap(item, "     - ", "       ")
        if self.notes:
            lines.append("   notes:")
            for item in self.notes:
                lines += wrap(item, "     - ", "       ")
        return lines

    def execute(self, out: Callable[[str], None]) -> int:
        """Run the steps in order; 0 when all finished, 2 when blocked, 1 when a step failed."""
        verb = "uninstall" if self.uninstall else "install"
        def say(text: str, first: str, rest: str) -> None:
            for line in wrap(text, first, rest):
                out(line)

        say(f"== {self.target}: {self.title}", "", "   ")
        if self.blockers:
            for blocker in self.blockers:
                say(blocker, "   STOP: ", "         ")
            out("   nothing was changed.")
            return 2
        for number, step in enumerate(self.steps, start=1):
            say(step.title, f"   [{number}/{len(self.steps)}] ", "         ")
            try:
                done = step.action() if step.action else "nothing to do"
            except StepError as error:
                say(str(error), "        FAILED: ", "          ")
                if error.what_to_do:
                    say(error.what_to_do, "        what to do: ", "          ")
                if number > 1 and not self.uninstall:
                    say(f"steps 1-{number - 1} are done and recorded: run the same command again once this is "
                        f"fixed, or undo them with: python install_addin.py --uninstall --target {self.target}",
                        "        ", "        ")
                return 1
            for line in str(done).splitlines():
                say(line, "        ", "          ")
        if not self.steps:
            out(f"   nothing to {verb}")
        for line in self._tail("next:"):
            out(line)
        if self.epilogue is not None:
            out(self.epilogue())
        return 0
