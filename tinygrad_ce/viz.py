"""Old path of `tinygrad_ce.lab.viz` (graph drawings); import from there."""

from .lab.viz import *  # noqa: F401,F403
