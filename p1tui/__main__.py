"""``python -m p1tui``."""

import sys

from .cli import main

sys.exit(main())
