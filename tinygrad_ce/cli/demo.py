"""`tinygrad-ce demo`: train an MLP on the 3-class spiral with the default settings,
write the checkpoint, history and plots to ./tinygrad-ce-demo/, train the same model
again with the other loss (MSE on softmax outputs for cross-entropy, and the other way
round) and print how many epochs each took to reach 90% validation accuracy side by
side, then compare the fused and unfused cross-entropy gradients on the trained
model's logits.

The options are those of `tinygrad-ce train` without --dataset and --data-dir. On
Ctrl-C (exit status 130) or SIGTERM (143) the last completed epoch is saved first.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from .. import Tensor, data, grad, training
from .. import functional as F
from .models import build_model, build_optimizer, make_loss
from .options import EVAL_BATCH, MAX_ACTIVATIONS, describe
from .reach import LOSS_NAMES, TARGET_ACCURACY, reach_text
from .training_run import TrainedRun, add_training_arguments, train_and_save


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `demo` subcommand."""
    parser = subparsers.add_parser(
        "demo",
        help="train an MLP on the spiral, save checkpoint/history/plots, compare fused and unfused gradients",
        description=describe(__doc__),
    )
    add_training_arguments(parser, dataset="spiral", out="tinygrad-ce-demo")
    parser.set_defaults(run=run)


def other_loss_run(args: argparse.Namespace, result: TrainedRun, loss: str) -> Any:
    """The History of training the same MLP (same data, seed, optimizer, epochs) with
    `loss` instead, quietly and without saving anything."""
    split = result.split
    model = build_model([split.features, *args.hidden, split.classes], args.activation, args.seed)
    optimizer = build_optimizer(args, model.parameters())
    loader = data.DataLoader(
        (split.X_train, split.y_train), args.batch_size, shuffle=True, seed=args.seed + 2
    )
    val = data.DataLoader((split.X_val, split.y_val), EVAL_BATCH) if len(split.X_val) else None
    with np.errstate(all="ignore"):
        return training.fit(
            model, make_loss(loss), optimizer, loader, len(result.history), val, progress=False
        )


def print_loss_race(args: argparse.Namespace, result: TrainedRun) -> None:
    """Train with the other loss and print both runs' epochs to the target accuracy and
    final accuracies side by side: MSE gets there later, not lower. The race uses SGD
    (with momentum 0.9 and lr 0.05, as the study does, unless --optimizer sgd chose
    them): Adam rescales every gradient, which hides how small MSE's gradients are."""
    other = "fused" if args.loss == "mse" else "mse"
    setup = "same data, model, seed"
    if args.optimizer == "sgd":
        runs = {args.loss: result.history, other: other_loss_run(args, result, other)}
    else:
        race = argparse.Namespace(**{**vars(args), "optimizer": "sgd", "lr": 0.05, "momentum": 0.9})
        runs = {loss: other_loss_run(race, result, loss) for loss in (args.loss, other)}
        setup += "; SGD, momentum 0.9, lr 0.05, since Adam's rescaling hides the difference"
    epochs = len(result.history)
    which = "validation" if result.history.val_accuracy else "training"
    print(f"\n{LOSS_NAMES[args.loss]} vs {LOSS_NAMES[other]} ({setup}; {epochs} epochs):")
    print(f"  {'':<34}" + "".join(f"{LOSS_NAMES[loss]:<24}" for loss in runs).rstrip())
    reached = [reach_text(history, epochs) for history in runs.values()]
    label = f"{TARGET_ACCURACY:.0%} {which} accuracy reached"
    print(f"  {label:<34}" + "".join(f"{r:<24}" for r in reached).rstrip())
    finals = [(h.val_accuracy or h.train_accuracy)[-1] for h in runs.values()]
    print(f"  {f'final {which} accuracy':<34}" + "".join(f"{f:<24.4f}" for f in finals).rstrip())
    print("  (MSE on softmax outputs is slower to get there, not worse at the end)")


def run(args: argparse.Namespace) -> int:
    """Train and save, race the other loss, then compare the fused and unfused gradients;
    the exit status."""
    result = train_and_save(args)
    print_loss_race(args, result)
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
