"""``python -m xl_factor ...``: the same as the ``xl-factor`` command."""

import sys

from .cli import main

sys.exit(main())
