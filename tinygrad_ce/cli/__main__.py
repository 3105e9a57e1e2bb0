"""`python -m tinygrad_ce.cli`: the same as `tinygrad-ce`."""

import sys

from .app import main

sys.exit(main())
