"""`tinygrad-ce demo`: build a small graph, backpropagate, compare fused and unfused
cross-entropy gradients side by side."""
from __future__ import annotations

import argparse

import numpy as np


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="a short tour: backprop and fused vs unfused cross-entropy")
    parser.add_argument("--seed", type=int, default=0)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from tinygrad_ce import Tensor
    from tinygrad_ce import functional as F

    rng = np.random.default_rng(args.seed)
    x = Tensor(rng.normal(size=(4, 3)), name="x")
    w = Tensor(rng.normal(size=(3, 5)), requires_grad=True, name="W")
    target = np.array([0, 3, 1, 4])
    logits = x @ w
    print("logits = x @ W, shape", logits.shape, "\n")
    fused = F.cross_entropy(logits, target, fused=True)
    fused.backward()
    grad_fused = w.grad.data.copy()
    w.grad = None
    unfused = F.cross_entropy(x @ w, target, fused=False)
    unfused.backward()
    grad_unfused = w.grad.data
    print(f"loss   fused {fused.item():.12f}   unfused {unfused.item():.12f}")
    print("dL/dW  fused | unfused")
    for a, b in zip(grad_fused, grad_unfused):
        print("  " + " ".join(f"{v:+.6f}" for v in a) + "  |  " + " ".join(f"{v:+.6f}" for v in b))
    print(f"max |difference| = {np.abs(grad_fused - grad_unfused).max():.3g}")
    return 0
