"""Rung 1 of the ladder: micrograd's scalar neuron, then its classic two-moons MLP.

The neuron is `tanh(x1 w1 + x2 w2 + b)` on scalars, with the gradient of every input
printed (and, with `--draw`, its graph written as neuron.svg). Then an MLP (2, 16, 16, 1)
learns the two moons with the binary cross-entropy on logits.

The neuron runs eagerly (one forward and one backward: nothing to replay); the MLP
trains with `fit(jit=True)` and prints how much faster the jitted step is here.

    python examples/neuron.py [--draw]
"""

from __future__ import annotations

import sys

import numpy as np

import tinygrad_ce.functional as F
import tinygrad_ce.nn as nn
import tinygrad_ce.optim as optim
from tinygrad_ce import Tensor
from tinygrad_ce.data import DataLoader, moons
from tinygrad_ce.training import History, fit, jit_speedup


def neuron() -> tuple[dict[str, float], Tensor]:
    """micrograd's example neuron; returns its output and the gradient of each input."""
    x1, x2 = Tensor(2.0, dtype=np.float64, name="x1"), Tensor(0.0, dtype=np.float64, name="x2")
    w1, w2 = Tensor(-3.0, dtype=np.float64, name="w1"), Tensor(1.0, dtype=np.float64, name="w2")
    b = Tensor(6.8813735870195432, dtype=np.float64, name="b")
    for t in (x1, x2, w1, w2, b):
        t.requires_grad_()
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.name = "o"
    o.backward()
    return {"o": o.item(), **{t.name: t.grad.item() for t in (x1, x2, w1, w2, b)}}, o


def train_moons(epochs: int = 60, seed: int = 0) -> tuple[nn.MLP, np.ndarray, np.ndarray, History]:
    """Train an MLP (2, 16, 16, 1) on 200 moons points; return it, the points, their
    labels and the training history (per-epoch loss and accuracy)."""
    X, y = moons(200, noise=0.1, seed=seed)
    model = nn.MLP([2, 16, 16, 1], rng=seed)
    optimizer = optim.Adam(model.parameters(), lr=0.05)

    def loss_fn(logits: Tensor, target: np.ndarray) -> Tensor:
        # (Tensor(target).astype, not numpy's: a jit replay converts each batch's labels)
        return F.binary_cross_entropy_with_logits(logits[:, 0], Tensor(target).astype(logits.dtype))

    print(jit_speedup(model, loss_fn, optimizer, X[:50], y[:50]))  # on copies
    loader = DataLoader((X, y), batch_size=50, shuffle=True, seed=seed)
    history = fit(model, loss_fn, optimizer, loader, epochs, progress=False, jit=True)
    return model, X, y, history


def moons_mlp(epochs: int = 60, seed: int = 0) -> float:
    """Train the two-moons MLP; return its training accuracy."""
    model, X, y, _ = train_moons(epochs, seed)
    predicted = model(Tensor(X)).data[:, 0] > 0
    return float((predicted == (y == 1)).mean())


def main(epochs: int = 60, seed: int = 0, draw: bool = False) -> dict[str, float]:
    values, output = neuron()
    print(f"neuron: o = {values['o']:.4f}")
    print("gradients:", ", ".join(f"{k} = {v:.4f}" for k, v in values.items() if k != "o"))
    if draw:
        from tinygrad_ce.viz import draw_graph, render

        print("wrote", render(draw_graph(output, rankdir="LR", legend=True), "neuron.svg"))
    accuracy = moons_mlp(epochs, seed)
    print(f"two moons: training accuracy {accuracy:.3f}")
    return {**values, "moons_accuracy": accuracy}


if __name__ == "__main__":
    main(draw="--draw" in sys.argv[1:])
