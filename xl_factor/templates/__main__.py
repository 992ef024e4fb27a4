"""``python -m xl_factor.templates [OUT_DIR] [--no-cached-values]``: rebuild the shipped template workbooks.

The maintainers' door onto ``xl-factor templates``: the same build and
refusals, into ``workbook_templates/`` of the checkout by default, replacing
what is there (rebuilding the shipped files is what it is for).
"""

import argparse
import sys

from . import DEFAULT_DIR


def main(argv: list[str] | None = None) -> int:
    from ..cli import main as cli_main

    parser = argparse.ArgumentParser(prog="python -m xl_factor.templates", description=__doc__.split("\n")[0])
    parser.add_argument("out_dir", nargs="?", default=str(DEFAULT_DIR),
                        help="where to write (default: workbook_templates/ of the checkout)")
    parser.add_argument("--no-cached-values", action="store_true",
                        help="write formulas without cached values (no LibreOffice needed; viewers that do not "
                             "calculate then show empty cells)")
    args = parser.parse_args(argv)
    return cli_main(["templates", "--out", args.out_dir, "--force"]
                    + (["--no-cached-values"] if args.no_cached_values else []))


if __name__ == "__main__":
    sys.exit(main())
