"""`python -m tinygrad_ce`: the same as the `tinygrad-ce` command."""

import sys

from .cli import main

sys.exit(main())
