"""The `tinygrad-ce` command (also `python -m tinygrad_ce`).

Each subcommand lives in `tinygrad_ce/cli/<name>.py` (`train`, `demo`, `graph`,
`compare`, `study`) and exposes `register(subparsers)`, which adds its parser and sets
`run(args) -> int` as default. What they share lives below them: `errors` (the
exceptions a command raises, and the exit codes), `options` (the argparse `type=`
validators and size bounds) and `training_run` (the train-and-save pipeline of `train`
and `demo`). `app` builds the parser from the subcommands and holds `main`; no
subcommand imports `app`, so the imports run one way: app -> subcommands -> shared.

Exit status: 0 on success; 2 for a bad argument, an unreadable file or an output that
cannot be written, always with one line on stderr; 130 after Ctrl-C and 143 after
SIGTERM (128 + the signal number, as shells report it), also with one line saying what
was saved (`train` and `demo` save the last completed epoch).
"""

from .app import COMMANDS, build_parser, main, sigterm_raises
from .errors import EXIT_CTRL_C, EXIT_SIGTERM, EXIT_USAGE, CommandError, Interrupted, Terminated

__all__ = [
    "main",
    "build_parser",
    "sigterm_raises",
    "COMMANDS",
    "CommandError",
    "Interrupted",
    "Terminated",
    "EXIT_USAGE",
    "EXIT_CTRL_C",
    "EXIT_SIGTERM",
]
