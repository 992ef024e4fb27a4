"""``xl-factor``: the command line front door (demo, templates, refresh, bench)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xl-factor",
        description="Factor models of returns in spreadsheet cells: the demo, the template workbooks, "
                    "refreshing a template with new data, and the core benchmark.",
        epilog="'xl-factor COMMAND --help' describes each command.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str, description: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=summary, description=description)

    command("demo", "the single-factor analysis of MSFT, WMT, JPM on bundled daily data",
            "Print the single-factor analysis of MSFT, WMT and JPM against the S&P 500 on the bundled daily "
            "data: betas and alphas, variance decomposition, hedges, sizes under a volatility budget, P&L "
            "and the factor-implied correlation against the sample one. Needs no LibreOffice or Excel.")
    bench = command("bench", "benchmark the core against statsmodels and numpy lstsq",
                    "Time alphas and betas of 500 assets on 3 factors over 2,520 daily rows: the core against "
                    "a loop of statsmodels OLS and one numpy.linalg.lstsq, as ratios measured in the same run.")
    bench.add_argument("--repeat", type=int, default=7, help="timed runs per contender (median reported)")
    templates = command(
        "templates", "write the template workbooks (into the current folder)",
        "Build the template workbooks (factor_hedging.xlsx: hedging and sizing with the FM_* functions) "
        "into the current folder, or into --out. An existing file is never replaced without --force. "
        "In a checkout, 'xl-factor templates --out workbook_templates --force' rebuilds the committed ones.")
    templates.add_argument("--out", default=None, metavar="DIR",
                           help="folder to write into, made if missing (default: the current folder)")
    templates.add_argument("--force", action="store_true", help="replace workbooks that are already there")
    templates.add_argument("--no-cached-values", action="store_true",
                           help="write formulas without the values LibreOffice computes for them (no LibreOffice "
                                "needed; viewers that do not calculate then show empty cells)")
    refresh = command(
        "refresh", "fill a template with new data, recalculate in LibreOffice, write a values-only report",
        "Put the rows of a CSV into a template's Data sheet, recalculate the workbook in a headless "
        "LibreOffice with the FM_* add-in (installed into a private folder when missing) and write a "
        "report in which every formula cell is replaced by its value.")
    refresh.add_argument("template", help="the template workbook (.xlsx)")
    refresh.add_argument("--data", required=True, help="CSV: a date column, then columns named as on the Data sheet")
    refresh.add_argument("--out", required=True, help="the report to write (.xlsx); never one of the inputs")
    refresh.add_argument("--neutralise", action="store_true",
                         help="store CSV cells that look like formulas (=, +, -, @) as text instead of refusing")
    refresh.add_argument("--timeout", type=float, default=600.0, help="seconds LibreOffice may take")
    refresh.add_argument("--force", action="store_true", help="replace --out if it exists")
    refresh.add_argument("--dayfirst", action="store_true",
                         help="read D/M/YYYY dates (without it only unambiguous M/D/YYYY, ISO, YYYY-MM, YYYYMM)")
    refresh.add_argument("--allow-errors", action="store_true",
                         help="exit 0 even when cells of the report hold errors (default: exit 3)")
    model = command(
        "model", "the desk's universe risk model on Dask (needs the scale extra)",
        "Fit a whole universe of securities on Dask and write the model (B, Sigma_f, D) that FM_MODEL and "
        "FM_MODEL_COVMAT read. Needs pip install \"xl_factor[scale]\".")
    model_commands = model.add_subparsers(dest="model_command", required=True, metavar="SUBCOMMAND",
                                          help="build: fit the universe and write the model")
    build = model_commands.add_parser(
        "build", help="fit every security, block by block, on Dask; write exposures, factor_cov, manifest",
        description="Read returns (a long table date, id, return in Parquet or CSV, or a wide CSV) and factors "
                    "(a CSV of dated columns), refuse bad input before any work is sent, fit blocks of "
                    "securities as Dask tasks with the same core as the FM_* functions, and write "
                    "exposures.parquet, factor_cov.parquet (and rolling_exposures.parquet with --window) and "
                    "manifest.json into --out. An --out that already holds any of these files is refused "
                    "before any work is sent, unless --force; other files there are never touched. Runs on a "
                    "local cluster of worker processes by default, or on the dask.distributed cluster at "
                    "--scheduler.")
    build.add_argument("--returns", required=True, metavar="PATH", help="returns: long Parquet/CSV or wide CSV")
    build.add_argument("--factors", required=True, metavar="PATH", help="factor returns: CSV, a date column first")
    build.add_argument("--out", required=True, metavar="DIR",
                       help="folder for the model, made if missing; one that already holds a model's files is "
                            "refused unless --force")
    build.add_argument("--force", action="store_true",
                       help="replace the model in --out: its exposures, factor_cov and manifest, and remove a "
                            "rolling_exposures.parquet this build does not make (without --window), which would "
                            "not match the new model; other files in --out are never touched")
    build.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="a dask.distributed scheduler (tcp://host:8786); default: a local cluster")
    build.add_argument("--workers", type=int, default=None, metavar="N",
                       help="worker processes of the local cluster (default: the cores, at most 4)")
    build.add_argument("--start", default=None, metavar="DATE", help="first date to use (YYYY-MM-DD)")
    build.add_argument("--end", default=None, metavar="DATE", help="last date to use (YYYY-MM-DD)")
    build.add_argument("--min-obs", type=int, default=60, metavar="N",
                       help="fewest returns a security needs to be fitted (default 60); fewer: listed in "
                            "the manifest, not fatal")
    build.add_argument("--window", type=int, default=None, metavar="W", help="rolling exposures over W dates")
    build.add_argument("--step", type=int, default=None, metavar="S", help="... at every S-th date")
    build.add_argument("--block-size", type=int, default=500, metavar="B",
                       help="securities per Dask task (default 500); the numbers do not depend on it")
    build.add_argument("--universe", default=None, metavar="PATH",
                       help="optional list of the desk's security ids (CSV/Parquet); other ids are refused")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    if args.command == "demo":
        from .demo import build_report

        print(build_report())
    elif args.command == "templates":
        return _templates(args)
    elif args.command == "refresh":
        return _refresh(args)
    elif args.command == "model":
        return _model_build(args)
    elif args.command == "bench":
        from .bench import run_core_benchmark

        print(run_core_benchmark(repeat=args.repeat))
    return 0


def _model_build(args) -> int:
    try:
        from .universe.build import build_model
        from .universe.inputs import InputError
    except ImportError as error:
        print(f"xl-factor model build: {error.name or error} is not installed; "
              "pip install \"xl_factor[scale]\" (Dask with distributed, pyarrow)", file=sys.stderr)
        return 2
    try:
        manifest = build_model(args.returns, args.factors, args.out, scheduler=args.scheduler, workers=args.workers,
                               start=args.start, end=args.end, min_obs=args.min_obs, window=args.window,
                               step=args.step, block_size=args.block_size, universe=args.universe,
                               force=args.force)
    except InputError as error:
        print(f"xl-factor model build: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # a disk or folder the checks could not foresee: one line, never a traceback
        print(f"xl-factor model build: {error.filename or args.out}: {error.strerror or error}; "
              "check the paths and that --out can be written", file=sys.stderr)
        return 2
    print(f"wrote {', '.join(manifest['outputs'] + ['manifest.json'])} into {args.out}: "
          f"{manifest['n_fitted']} of {manifest['n_securities']} securities fitted over "
          f"{manifest['date_range']['n_dates']} dates ({manifest['date_range']['first']} to "
          f"{manifest['date_range']['last']}) in {manifest['elapsed_seconds']['total']:.1f} s on {manifest['scheduler']}")
    if manifest["not_fitted"]:
        print(f"  {len(manifest['not_fitted'])} not fitted (listed in manifest.json), first: "
              f"{manifest['not_fitted'][0]['id']}: {manifest['not_fitted'][0]['reason']}")
    return 0


def _templates(args) -> int:
    """Build into --out or the current folder (never the package's folder); refuse to replace without --force."""
    from .templates import TEMPLATES, build_templates
    from .templates.cached_values import CachedValuesError

    out = Path(args.out) if args.out is not None else Path.cwd()
    if out.exists() and not out.is_dir():
        print(f"xl-factor templates: {out} is not a folder; give --out a folder", file=sys.stderr)
        return 2
    there = [out / name for name in TEMPLATES if (out / name).exists()]
    if there and not args.force:
        names = ", ".join(str(path) for path in there)
        print(f"xl-factor templates: {names} already there, nothing written; add --force to replace, "
              "or --out another folder", file=sys.stderr)
        return 2
    try:
        written = build_templates(out, cached=not args.no_cached_values)
    except CachedValuesError as error:
        print(f"xl-factor templates: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}{' without cached values' if args.no_cached_values else ''}")
    return 0


def _refresh(args) -> int:
    """Exit 0 on a clean report, 2 when refused (one line, nothing written), 3 when the report has error cells."""
    from .refresh import RefreshError, refresh, summarise_errors

    try:
        report = refresh(args.template, args.data, args.out, neutralise=args.neutralise, timeout=args.timeout,
                         force=args.force, dayfirst=args.dayfirst)
    except RefreshError as error:
        print(f"xl-factor refresh: {error}", file=sys.stderr)
        return 2
    if report.installed_addin:
        print(f"installed the LibreOffice add-in into {report.installed_addin}")
    total = sum(report.formulas.values())
    print(f"wrote {report.path}: {report.rows} rows of data, {total} formula cells replaced by their values")
    if report.blank_columns:
        print(f"  columns not in the data, left blank: {', '.join(report.blank_columns)}")
    if report.dropped_parts:
        lost = ", ".join(f"{n} {label}" for label, n in report.dropped_parts.items())
        print(f"  not carried over (openpyxl cannot keep them): {lost}")
    if report.error_cells:
        print(f"xl-factor refresh: the report has {len(report.error_cells)} error cells:", file=sys.stderr)
        for line in summarise_errors(report.error_cells):
            print(f"  {line}", file=sys.stderr)
        if not args.allow_errors:
            print("  (exit 3; --allow-errors accepts such a report)", file=sys.stderr)
            return 3
    return 0

if __name__ == "__main__":
    sys.exit(main())
