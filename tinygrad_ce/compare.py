"""Old path of `tinygrad_ce.lab.compare` (fused vs unfused cross-entropy, the sweep); import from there."""

from .lab.compare import *  # noqa: F401,F403
