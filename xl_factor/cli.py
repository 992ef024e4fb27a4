"""``xl-factor``: the command line front door (demo, bench)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="xl-factor", description="Factor models of returns in spreadsheet cells.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="the single-factor analysis of MSFT, WMT, JPM on bundled daily data")
    bench = commands.add_parser("bench", help="benchmark the core against statsmodels and numpy lstsq")
    bench.add_argument("--repeat", type=int, default=7, help="timed runs per contender (median reported)")
    args = parser.parse_args(argv)

    if args.command == "demo":
        from .demo import build_report

        print(build_report())
    elif args.command == "bench":
        from .bench import run_core_benchmark

        print(run_core_benchmark(repeat=args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
