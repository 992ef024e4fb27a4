"""``python -m xl_factor.templates [OUT_DIR]``: rebuild the template workbooks."""

import sys

from . import build_templates

if __name__ == "__main__":
    for written in build_templates(sys.argv[1] if len(sys.argv) > 1 else None):
        print(written)
