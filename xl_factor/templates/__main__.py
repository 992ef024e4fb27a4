"""``python -m xl_factor.templates [OUT_DIR] [--no-cached-values]``: rebuild the template workbooks."""

import argparse
import sys

from . import build_templates
from .cached_values import CachedValuesError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xl_factor.templates", description=__doc__.split(":")[1].strip())
    parser.add_argument("out_dir", nargs="?", help="where to write (default: workbook_templates/ of the checkout)")
    parser.add_argument("--no-cached-values", action="store_true",
                        help="write formulas without cached values (no LibreOffice needed; viewers that do not "
                             "calculate then show empty cells)")
    args = parser.parse_args(argv)
    try:
        written = build_templates(args.out_dir, cached=not args.no_cached_values)
    except CachedValuesError as error:
        print(f"python -m xl_factor.templates: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(f"{path}{' (no cached values)' if args.no_cached_values else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
