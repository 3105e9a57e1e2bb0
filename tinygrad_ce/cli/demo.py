"""`tinygrad-ce demo`: train an MLP on the 3-class spiral with the default settings,
write the checkpoint, history and plots to ./tinygrad-ce-demo/, then compare the fused
and unfused cross-entropy gradients on the trained model's logits.

The options are those of `tinygrad-ce train` without --dataset and --data-dir. On
Ctrl-C (exit status 130) or SIGTERM (143) the last completed epoch is saved first.
"""

from __future__ import annotations

import argparse

import numpy as np

from .. import Tensor, grad
from .. import functional as F
from .options import MAX_ACTIVATIONS, describe
from .training_run import add_training_arguments, train_and_save


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `demo` subcommand."""
    parser = subparsers.add_parser(
        "demo",
        help="train an MLP on the spiral, save checkpoint/history/plots, compare fused and unfused gradients",
        description=describe(__doc__),
    )
    add_training_arguments(parser, dataset="spiral", out="tinygrad-ce-demo")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Train, save, then compare the fused and unfused gradients; the exit status."""
    result = train_and_save(args)
    split = result.split
    model = result.model.eval()
    first_weight = model[0].weight
    widest = max(max(p.shape) for p in model.parameters())
    rows = slice(0, max(1, MAX_ACTIVATIONS // widest))  # all of them unless that is too much memory
    gradients = {}
    for fused in (True, False):
        logits = model(Tensor(split.X_train[rows]))
        loss = F.cross_entropy(logits, split.y_train[rows], fused=fused)
        gradients[fused] = (loss.item(), *(g.data for g in grad(loss, [logits, first_weight])))
    (loss_f, dlogits_f, dweight_f), (loss_u, dlogits_u, dweight_u) = gradients[True], gradients[False]
    print(f"\nfused vs unfused cross-entropy on the trained model's logits {dlogits_f.shape}:")
    print(f"  loss            fused {loss_f:.9f}   unfused {loss_u:.9f}")
    print(f"  dL/dlogits      max |difference| {np.abs(dlogits_f - dlogits_u).max():.3g}")
    print(f"  dL/dW (layer 0) max |difference| {np.abs(dweight_f - dweight_u).max():.3g}")
    return 0
