"""The `tinygrad-ce` parser and `main`: one subparser per subcommand module, the
SIGTERM handling, and the mapping of what a command raises to one line on stderr and
an exit status (see `tinygrad_ce.cli`). Subcommands never import this module."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from types import FrameType, ModuleType
from typing import NoReturn

from .. import __version__
from . import compare, demo, graph, study, train
from .errors import EXIT_CTRL_C, EXIT_SIGTERM, EXIT_USAGE, CommandError, Interrupted, Terminated

SUBCOMMANDS: dict[str, ModuleType] = {
    "demo": demo,
    "train": train,
    "graph": graph,
    "compare": compare,
    "study": study,
}
COMMANDS = tuple(SUBCOMMANDS)
DESCRIPTION = (
    "Train small MLPs with tinygrad_ce, draw the computation graph of their loss, and compare the "
    "fused and the unfused softmax cross-entropy. Run `tinygrad-ce COMMAND --help` for a command's options."
)
EPILOG = (
    "Exit status: 0 on success; 2 for a bad argument, an unreadable file or an unwritable output "
    "(one line on stderr); 130 after Ctrl-C and 143 after SIGTERM (train and demo first save the "
    "last completed epoch)."
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2 (argparse's own convention)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    """The `tinygrad-ce` parser with every subcommand."""
    parser = _Parser(prog="tinygrad-ce", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"tinygrad-ce {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for module in SUBCOMMANDS.values():
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
