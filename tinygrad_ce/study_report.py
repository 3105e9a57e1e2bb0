"""Old path of `tinygrad_ce.lab.study.report` (the study's files, tables and plots); import from there."""

from .lab.study.report import *  # noqa: F401,F403
