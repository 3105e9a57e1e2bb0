"""`tinygrad-ce demo`: train an MLP on the 3-class spiral with the default settings,
write the checkpoint, history and plots to ./tinygrad-ce-demo/, then compare the fused
and unfused cross-entropy gradients on the trained model's logits."""
from __future__ import annotations

import argparse

import numpy as np

from ._common import add_training_arguments, train_and_save


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="train an MLP on the spiral, save checkpoint/history/plots, compare fused and unfused gradients",
        description=__doc__.splitlines()[0],
    )
    add_training_arguments(parser, dataset="spiral", out="tinygrad-ce-demo")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from tinygrad_ce import Tensor, grad
    from tinygrad_ce import functional as F

    result = train_and_save(args)
    split = result.split
    model = result.model.eval()
    first_weight = model[0].weight
    gradients = {}
    for fused in (True, False):
        logits = model(Tensor(split.X_train))
        loss = F.cross_entropy(logits, split.y_train, fused=fused)
        gradients[fused] = (loss.item(), *(g.data for g in grad(loss, [logits, first_weight])))
    (loss_f, dlogits_f, dweight_f), (loss_u, dlogits_u, dweight_u) = gradients[True], gradients[False]
    print(f"\nfused vs unfused cross-entropy on the trained model's logits {dlogits_f.shape}:")
    print(f"  loss            fused {loss_f:.9f}   unfused {loss_u:.9f}")
    print(f"  dL/dlogits      max |difference| {np.abs(dlogits_f - dlogits_u).max():.3g}")
    print(f"  dL/dW (layer 0) max |difference| {np.abs(dweight_f - dweight_u).max():.3g}")
    return 0
