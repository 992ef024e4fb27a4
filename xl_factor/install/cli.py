"""The command line of ``install_addin.py``: parse, choose the targets, print or run their plans."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path, PureWindowsPath

from .. import __version__
from . import excel, libreoffice, lite, salvage
from .plan import PLATFORMS, Context, default_state_dir, platform_name
from .state import StateError, set_aside

TARGETS = {"excel": excel, "libreoffice": libreoffice, "lite": lite}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python install_addin.py",
        description="Install the xl_factor FM_* worksheet functions: into Excel on Windows (xlwings add-in), "
                    "LibreOffice Calc (Calc add-in), or Excel 365 through xlwings Lite (files to paste). "
                    "Running it again changes nothing; --uninstall undoes exactly what it did.")
    parser.add_argument("--target", choices=sorted(TARGETS),
                        help="where to install (default: Excel on Windows, else LibreOffice when installed, else "
                             "lite); with --dry-run and no --target every target is explained")
    parser.add_argument("--dry-run", action="store_true",
                        help="print every step and every file it would touch; touch nothing")
    parser.add_argument("--uninstall", action="store_true",
                        help="remove exactly what the installer added and restore changed files byte for byte "
                             "(all installed targets unless --target)")
    parser.add_argument("--force", action="store_true",
                        help="replace an existing INTERPRETER_WIN, reinstall what is already installed, overwrite "
                             "Lite files that are not the installer's (everything replaced is backed up first)")
    parser.add_argument("--python", help="excel: the Python that Excel should run (default: this Python)")
    parser.add_argument("--shared", action="store_true",
                        help="libreoffice, as root: install for every user of this machine")
    parser.add_argument("--lo-dir", metavar="DIR",
                        help="libreoffice: install into this private extension folder instead")
    parser.add_argument("--lite-dir", metavar="DIR", help="lite: where to write the files (default ./xl_factor_lite)")
    parser.add_argument("--wheel-url", metavar="URL",
                        help="lite: the https URL of the xl_factor wheel, written into requirements.txt")
    parser.add_argument("--platform", choices=PLATFORMS,
                        help="with --dry-run: describe the plans as they would run on this platform, without "
                             "looking at this machine (for review and tests)")
    return parser


def default_target(ctx: Context) -> str:
    """Excel on Windows; elsewhere LibreOffice when it is installed, else xlwings Lite."""
    if ctx.platform == "win32":
        return "excel"
    if not ctx.probe:
        return "libreoffice"
    return "libreoffice" if libreoffice.probe()[0] else "lite"


def make_context(args, **overrides) -> Context:
    options = {"shared": args.shared, "lo_dir": args.lo_dir, "lite_dir": args.lite_dir, "wheel_url": args.wheel_url}
    fields = dict(force=args.force, dry_run=args.dry_run, options=options)
    if args.python:
        fields.update(python=args.python, python_given=True)
    if args.platform:
        # Describe only: nothing on this machine is looked at, paths are shown as that platform names them.
        home = Path("~")
        fields.update(platform=args.platform, probe=False, is_root=False, home=home, env={}, cwd=Path("."),
                      state_dir=(PureWindowsPath(r"%LOCALAPPDATA%\xl_factor\install") if args.platform == "win32"
                                 else default_state_dir(args.platform, {}, home)))
        if not args.python:
            fields["python"] = "python.exe" if args.platform == "win32" else "python3"
    fields.update(overrides)
    return Context(**fields)


def main(argv: list[str] | None = None, **overrides) -> int:
    """Run the installer; ``overrides`` replace :class:`Context` fields (the tests inject a simulated machine).

    Bad input gives one line and a non-zero exit, never a traceback: argparse's usage errors (2), a
    damaged state file (1, unless ``--uninstall --force``), an interrupt (130).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.platform and not args.dry_run:
        parser.error("--platform only describes plans: use it with --dry-run")
    if args.shared and args.lo_dir:
        parser.error("--shared and --lo-dir exclude each other")
    ctx = make_context(args, **overrides)
    try:
        return _run(args, ctx)
    except StateError as error:
        ctx.out(f"error: {error}")
        return 1
    except KeyboardInterrupt:
        ctx.out(f"interrupted: what was done so far is recorded in {ctx.state_dir}: run the same command again to "
                f"finish, or python3 install_addin.py --uninstall to undo it")
        return 130
    except BrokenPipeError:  # the output went to a pager or `head` that stopped reading: nothing is wrong
        sys.stdout = None  # no flush of the closed pipe at exit, which would print a traceback
        return 0


def _damage(ctx: Context) -> StateError | None:
    """The error of a damaged state file, else None."""
    try:
        ctx.state()
    except StateError as error:
        return error
    return None


def _run(args, ctx: Context) -> int:
    out = ctx.out
    damage = _damage(ctx)
    salvaging = damage is not None and args.uninstall and args.force
    if damage is not None and not salvaging:
        raise damage
    default = default_target(ctx)
    if args.target:
        targets = [args.target]
    elif salvaging:
        targets = salvage.targets(ctx)
    elif args.dry_run:
        targets = list(TARGETS)
    elif args.uninstall:
        recorded = ctx.state().data["targets"]
        targets = [t for t in TARGETS if recorded.get(t)]
        if not targets:
            out(f"nothing to uninstall: {ctx.state().path} records no install")
            return 0
    else:
        targets = [default]
    where = platform_name(ctx.platform) + ("" if ctx.probe else " (described, not looked at)")
    mode = "uninstall" if args.uninstall else "install"
    out(f"xl_factor {__version__} add-in {mode}{' - dry run' if args.dry_run else ''} on {where}; "
        f"default target here: {default}; state: {ctx.state_dir}"
        + (" (damaged: --force removes what can be found without it)" if salvaging else ""))
    worst = 0
    for target in targets:
        if salvaging:
            plan = salvage.plan(ctx, target)
        else:
            module = TARGETS[target]
            plan = module.plan_uninstall(ctx) if args.uninstall else module.plan_install(ctx)
        if args.dry_run:
            out(plan.render(dry_run=True))
            continue
        code = plan.execute(out)
        worst = max(worst, code)
        if code and not args.uninstall:
            break
    if salvaging and (worst == 0 or args.dry_run):
        out(set_aside(ctx.state_dir, dry_run=args.dry_run))
    if args.dry_run:
        out(f"dry run: nothing was changed. Run without --dry-run to {mode}"
            + ("" if args.target else f" (default target: {default}; choose with --target)") + ".")
    return worst


if __name__ == "__main__":
    sys.exit(main())
