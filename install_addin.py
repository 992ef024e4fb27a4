#!/usr/bin/env python3
"""Install the xl_factor FM_* worksheet functions into your spreadsheet, or take them out again.

    python install_addin.py                      # Excel on Windows; LibreOffice elsewhere (else: xlwings Lite files)
    python install_addin.py --dry-run            # every target: each step and each file it would touch
    python install_addin.py --target excel | libreoffice | lite
    python install_addin.py --uninstall          # remove exactly what was added; restore changed files

Running it again changes nothing. See "Installing the add-in" in README.md;
the work is done by the package xl_factor.install.
"""

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # this checkout's xl_factor, not another one
    from xl_factor.install.cli import main

    sys.exit(main())
