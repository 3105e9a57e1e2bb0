"""What a subcommand raises to end the run, and the exit status each one means.

`CommandError`: a user-facing failure, one line on stderr, exit status 2 (EXIT_USAGE).
`Interrupted`: stopped on Ctrl-C or SIGTERM after saving what it could, exit status 130
or 143 (128 + the signal number, as shells report it). `Terminated`: SIGTERM, raised as a
KeyboardInterrupt while `tinygrad_ce.cli.app.sigterm_raises` is active.
"""

from __future__ import annotations

import signal

EXIT_USAGE, EXIT_CTRL_C, EXIT_SIGTERM = 2, 128 + signal.SIGINT, 128 + signal.SIGTERM


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit status 2."""


class Interrupted(Exception):
    """Raised by a command that stopped on Ctrl-C or SIGTERM after saving what it could;
    its message (what was saved) is printed as one line, exit status 130 or 143."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised as a KeyboardInterrupt so that code which stops cleanly on Ctrl-C
    (e.g. `training.fit`) stops the same way."""
