"""`tinygrad-ce train`: train an MLP (or, with --model cnn, a LeNet-style CNN on the
digits or MNIST) on a dataset, print the final accuracies, and write
the checkpoint, the history (JSON and CSV) and, with matplotlib, the plots to --out.

Options that cannot apply are refused (e.g. --momentum without --optimizer sgd, --classes
for the digits or MNIST). Sizes have upper bounds, given with each option. On Ctrl-C
(exit status 130) or SIGTERM (143) the checkpoint and history of the last completed epoch
are saved to --out first.
"""

from __future__ import annotations

import argparse

from .options import describe
from .training_run import add_training_arguments, train_and_save


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `train` subcommand."""
    parser = subparsers.add_parser(
        "train",
        help="train an MLP or CNN (spiral, moons, blobs, digits or MNIST); save checkpoint, history, plots",
        description=describe(__doc__),
    )
    add_training_arguments(parser, dataset=None, out="tinygrad-ce-train")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Train and save as `args` says; the exit status."""
    train_and_save(args)
    return 0
