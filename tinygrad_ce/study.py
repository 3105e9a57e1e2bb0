"""Old path of `tinygrad_ce.lab.study` (the CE-vs-MSE study); import from there."""

from .lab.study import *  # noqa: F401,F403
