"""Classify scikit-learn's 8x8 handwritten digits with an MLP (64 -> 128 -> 10), Adam and
a cosine learning-rate schedule; reaches >= 96% accuracy on a held-out quarter of the
data. Needs scikit-learn (`pip install scikit-learn`); without it, it says so and stops.
It trains with `fit(jit=True)` and prints how much faster the jitted step is here.

    python examples/digits.py
"""

from __future__ import annotations

import tinygrad_ce.functional as F
import tinygrad_ce.nn as nn
import tinygrad_ce.optim as optim
from tinygrad_ce.data import DataLoader, load_digits, train_val_split
from tinygrad_ce.training import evaluate, fit, jit_speedup


def main(epochs: int = 20, seed: int = 0, progress: bool = True) -> float | None:
    """Train and return the held-out test accuracy (None when scikit-learn is missing)."""
    try:
        X, y = load_digits()  # X (1797, 64) float32 in [0, 1], y (1797,) int64
    except ImportError as err:
        print(f"skipping: {err}")
        return None
    X_train, X_test, y_train, y_test = train_val_split(X, y, fraction=0.25, seed=seed)
    model = nn.MLP([64, 128, 10], rng=seed)
    optimizer = optim.Adam(model.parameters(), lr=0.005)
    scheduler = optim.CosineAnnealingLR(optimizer, T_max=epochs)
    loader = DataLoader((X_train, y_train), batch_size=32, shuffle=True, seed=seed)
    print(jit_speedup(model, F.cross_entropy, optimizer, X_train[:32], y_train[:32]))
    fit(
        model,
        F.cross_entropy,
        optimizer,
        loader,
        epochs,
        val_loader=(X_test, y_test),
        progress=progress,
        scheduler=scheduler,
        jit=True,
    )
    result = evaluate(model, (X_test, y_test), F.cross_entropy)
    print(
        f"{len(X_train)} training / {len(X_test)} test images: test accuracy {result.accuracy:.2%}, "
        f"test loss {result.loss:.4f}"
    )
    return result.accuracy


if __name__ == "__main__":
    main()
