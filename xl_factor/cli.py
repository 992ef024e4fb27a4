"""``xl-factor``: the command line front door (demo, templates, refresh, bench)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="xl-factor", description="Factor models of returns in spreadsheet cells.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="the single-factor analysis of MSFT, WMT, JPM on bundled daily data")
    bench = commands.add_parser("bench", help="benchmark the core against statsmodels and numpy lstsq")
    bench.add_argument("--repeat", type=int, default=7, help="timed runs per contender (median reported)")
    templates = commands.add_parser("templates", help="rebuild the template workbooks")
    templates.add_argument("--out", default=None, help="folder to write into (default: workbook_templates/)")
    refresh = commands.add_parser(
        "refresh", help="fill a template with new data, recalculate in LibreOffice, write a values-only report")
    refresh.add_argument("template", help="the template workbook (.xlsx)")
    refresh.add_argument("--data", required=True, help="CSV: a date column, then columns named as on the Data sheet")
    refresh.add_argument("--out", required=True, help="the report to write (.xlsx); never one of the inputs")
    refresh.add_argument("--neutralise", action="store_true",
                         help="store CSV cells that look like formulas (=, +, -, @) as text instead of refusing")
    refresh.add_argument("--timeout", type=float, default=600.0, help="seconds LibreOffice may take")
    args = parser.parse_args(argv)

    if args.command == "demo":
        from .demo import build_report

        print(build_report())
    elif args.command == "templates":
        from .templates import build_templates

        for path in build_templates(args.out):
            print(f"wrote {path}")
    elif args.command == "refresh":
        return _refresh(args)
    elif args.command == "bench":
        from .bench import run_core_benchmark

        print(run_core_benchmark(repeat=args.repeat))
    return 0




def _refresh(args) -> int:
    from .refresh import RefreshError, refresh

    try:
        report = refresh(args.template, args.data, args.out, neutralise=args.neutralise, timeout=args.timeout)
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
        print(f"  {len(report.error_cells)} error cells, first: {report.error_cells[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
