"""The `tinygrad-ce` command (also `python -m tinygrad_ce`).

Each subcommand lives in `tinygrad_ce/commands/<name>.py` and exposes
`register(subparsers)`, which adds its parser and sets `run(args) -> int` as default.
Bad arguments or unreadable files end with one line on stderr and exit status 2.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMANDS = ("demo", "train", "graph", "compare", "study")


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse's own convention)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tinygrad-ce", description=__doc__.splitlines()[0])
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except BrokenPipeError:  # e.g. `tinygrad-ce compare | head`: the reader left, not an error
        sys.stderr.close()
        return 0
    except CommandError as err:
        print(f"tinygrad-ce {args.command}: error: {err}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as err:
        print(f"tinygrad-ce {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tinygrad-ce: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
