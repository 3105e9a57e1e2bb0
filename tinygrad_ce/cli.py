"""The `tinygrad-ce` command (also `python -m tinygrad_ce`).

Each subcommand lives in `tinygrad_ce/commands/<name>.py` and exposes
`register(subparsers)`, which adds its parser and sets `run(args) -> int` as default.

Exit status: 0 on success; 2 for a bad argument, an unreadable file or an output that
cannot be written, always with one line on stderr; 130 after Ctrl-C and 143 after
SIGTERM (128 + the signal number, as shells report it), also with one line saying what
was saved (`train` and `demo` save the last completed epoch).
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from types import FrameType

from . import __version__

COMMANDS = ("demo", "train", "graph", "compare", "study")
DESCRIPTION = (
    "Train small MLPs with tinygrad_ce, draw the computation graph of their loss, and compare the "
    "fused and the unfused softmax cross-entropy. Run `tinygrad-ce COMMAND --help` for a command's options."
)
EPILOG = (
    "Exit status: 0 on success; 2 for a bad argument, an unreadable file or an unwritable output "
    "(one line on stderr); 130 after Ctrl-C and 143 after SIGTERM (train and demo first save the "
    "last completed epoch)."
)
EXIT_USAGE, EXIT_CTRL_C, EXIT_SIGTERM = 2, 128 + signal.SIGINT, 128 + signal.SIGTERM


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit status 2."""


class Interrupted(Exception):
    """Raised by a command that stopped on Ctrl-C or SIGTERM after saving what it could;
    its message (what was saved) is printed as one line, exit status 130 or 143."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised as a KeyboardInterrupt so that code which stops cleanly on Ctrl-C
    (e.g. `training.fit`) stops the same way."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse's own convention)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    """The `tinygrad-ce` parser with every subcommand that is installed."""
    parser = _Parser(prog="tinygrad-ce", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"tinygrad-ce {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"tinygrad_ce.commands.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"tinygrad_ce.commands.{name}":
                raise
            continue  # a subcommand not written yet
        module.register(subparsers)
    return parser


class _SigtermWatch:
    """Whether SIGTERM arrived while `sigterm_raises` was active."""

    received = False


@contextlib.contextmanager
def sigterm_raises() -> Iterator[_SigtermWatch]:
    """While active, SIGTERM raises `Terminated` (a KeyboardInterrupt) in the main thread,
    so a run stops as on Ctrl-C; the previous handler is restored afterwards. Outside the
    main thread (where handlers cannot be set) nothing changes."""
    watch = _SigtermWatch()

    def handler(signum: int, frame: FrameType | None) -> None:
        watch.received = True
        raise Terminated()

    if threading.current_thread() is not threading.main_thread():
        yield watch
        return
    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield watch
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Run `tinygrad-ce` with `argv` (default: sys.argv[1:]) and return the exit status."""
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
    except SystemExit as done:  # a usage error (one line, already printed), --help or --version
        return done.code if isinstance(done.code, int) else EXIT_USAGE
    name = f"tinygrad-ce {args.command}"
    if extra:  # reported here so that the line names the subcommand
        print(f"{name}: error: unrecognized arguments: {' '.join(extra)}", file=sys.stderr)
        return EXIT_USAGE
    with sigterm_raises() as sigterm:
        try:
            return int(args.run(args) or 0)
        except BrokenPipeError:  # e.g. `tinygrad-ce compare | head`: the reader left, not an error
            sys.stderr.close()
            return 0
        except (CommandError, OSError, ValueError) as err:
            print(f"{name}: error: {err}", file=sys.stderr)
            return EXIT_USAGE
        except MemoryError:
            print(f"{name}: error: out of memory; try smaller sizes", file=sys.stderr)
            return EXIT_USAGE
        except (Interrupted, KeyboardInterrupt) as err:
            print(f"{name}: {err if isinstance(err, Interrupted) else 'interrupted'}", file=sys.stderr)
            return EXIT_SIGTERM if sigterm.received or isinstance(err, Terminated) else EXIT_CTRL_C


if __name__ == "__main__":
    sys.exit(main())
