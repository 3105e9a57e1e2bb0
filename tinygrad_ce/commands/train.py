"""`tinygrad-ce train`: train an MLP on a dataset, print the final accuracies, and write
the checkpoint, the history (JSON and CSV) and, with matplotlib, the plots."""
from __future__ import annotations

import argparse

from ._common import add_training_arguments, train_and_save


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train an MLP (spiral, moons, blobs, digits or MNIST) and save checkpoint, history and plots",
        description=__doc__.splitlines()[0],
    )
    add_training_arguments(parser, dataset=None, out="tinygrad-ce-train")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    train_and_save(args)
    return 0
