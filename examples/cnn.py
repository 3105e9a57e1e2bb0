"""Rung 4 of the ladder: a LeNet-style CNN on scikit-learn's 8x8 digits.

conv 3x3 (1 -> 8) -> ReLU -> max-pool 2 -> conv 3x3 (8 -> 16) -> ReLU -> max-pool 2 ->
flatten -> linear (64 -> 10), trained with Adam and the fused cross-entropy. The
convolutions are the fused im2col op; `fused=False` would run the composed twin. It
trains with `fit(jit=True)` and prints how much faster the jitted step is here.

    python examples/cnn.py                  # needs scikit-learn
"""

from __future__ import annotations

import numpy as np

import tinygrad_ce.functional as F
import tinygrad_ce.nn as nn
import tinygrad_ce.optim as optim
from tinygrad_ce.data import DataLoader, load_digits, train_val_split
from tinygrad_ce.training import evaluate, fit, jit_speedup


def lenet(seed: int = 0) -> nn.Sequential:
    """The network: (N, 1, 8, 8) images -> (N, 10) logits."""
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1, rng=seed),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1, rng=seed + 1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 2 * 2, 10, rng=seed + 2),
    )


def train(epochs: int = 30, seed: int = 0, progress: bool = True) -> dict | None:
    """Train; return the model, its history, the test accuracy and the test set (None
    without scikit-learn)."""
    try:
        X, y = load_digits()
    except ImportError as err:
        print(f"skipping: {err}")
        return None
    X = X.reshape(-1, 1, 8, 8).astype(np.float32)
    X_train, X_test, y_train, y_test = train_val_split(X, y, fraction=0.25, seed=seed)
    model = lenet(seed)
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    loader = DataLoader((X_train, y_train), batch_size=64, shuffle=True, seed=seed)
    print(jit_speedup(model, F.cross_entropy, optimizer, X_train[:64], y_train[:64], steps=10))
    history = fit(
        model,
        F.cross_entropy,
        optimizer,
        loader,
        epochs,
        val_loader=(X_test, y_test),
        progress=progress,
        jit=True,
    )
    accuracy = evaluate(model, (X_test, y_test)).accuracy
    return {"model": model, "history": history, "accuracy": accuracy, "test": (X_test, y_test)}


def main(epochs: int = 30, seed: int = 0, progress: bool = True) -> float | None:
    """Train and return the test accuracy (None without scikit-learn)."""
    result = train(epochs, seed, progress)
    if result is None:
        return None
    print(f"test accuracy {result['accuracy']:.3f} after {epochs} epochs")
    return result["accuracy"]


if __name__ == "__main__":
    main()
