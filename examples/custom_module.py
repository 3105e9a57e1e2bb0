"""A user-defined Module with a residual connection, trained twice from the same
initial weights on the same batches: once with the fused softmax cross-entropy (one
node, closed-form backward) and once with the unfused one (log_softmax, indexing, sum,
mean: the gradient comes from the recorded graph). The two parameter trajectories agree
to float rounding.

(Plain SGD keeps it that way. With heavy momentum and a large step, training becomes
chaotic and even float32 rounding differences grow step by step, as they would between
two machines: try `momentum=0.9` to see it.)

    python examples/custom_module.py
"""

from __future__ import annotations

import numpy as np

import tinygrad_ce.functional as F
import tinygrad_ce.nn as nn
import tinygrad_ce.optim as optim
from tinygrad_ce import Tensor
from tinygrad_ce.data import DataLoader, spiral
from tinygrad_ce.training import evaluate


class ResidualBlock(nn.Module):
    """x + W2 relu(W1 x): the identity path lets the gradient skip the block."""

    def __init__(self, width: int, rng: np.random.Generator) -> None:
        super().__init__()
        self.inner = nn.Linear(width, width, rng=rng)
        self.outer = nn.Linear(width, width, rng=rng)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.outer(self.inner(x).relu())


class ResidualNet(nn.Module):
    """Linear -> tanh -> ResidualBlock -> relu -> Linear (logits)."""

    def __init__(self, features: int, width: int, classes: int, seed: int) -> None:
        super().__init__()
        rng = np.random.default_rng(seed)
        self.embed = nn.Linear(features, width, rng=rng)
        self.block = ResidualBlock(width, rng)
        self.head = nn.Linear(width, classes, rng=rng)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.block(self.embed(x).tanh()).relu())


def train(
    fused: bool, X: np.ndarray, y: np.ndarray, epochs: int, seed: int
) -> tuple[list[np.ndarray], float]:
    """A hand-written training loop; returns the parameters after every step (flattened)
    and the final training accuracy."""
    model = ResidualNet(2, 32, 3, seed)
    optimizer = optim.SGD(model.parameters(), lr=0.5)
    loader = DataLoader((X, y), batch_size=32, shuffle=True, seed=seed)
    trajectory = []
    for _ in range(epochs):
        for X_batch, y_batch in loader:
            loss = F.cross_entropy(model(Tensor(X_batch)), y_batch, fused=fused)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            trajectory.append(np.concatenate([p.data.ravel() for p in model.parameters()]))
    return trajectory, evaluate(model, (X, y)).accuracy


def main(epochs: int = 30, seed: int = 0) -> dict[str, float]:
    X, y = spiral(100, classes=3, seed=seed)
    print(ResidualNet(2, 32, 3, seed))
    fused_path, fused_accuracy = train(True, X, y, epochs, seed)
    unfused_path, unfused_accuracy = train(False, X, y, epochs, seed)
    difference = max(float(np.abs(a - b).max()) for a, b in zip(fused_path, unfused_path))
    scale = max(float(np.abs(a).max()) for a in fused_path)
    print(f"training accuracy: fused {fused_accuracy:.2%}, unfused {unfused_accuracy:.2%}")
    print(
        f"parameter trajectories over {len(fused_path)} steps are identical to float rounding: "
        f"max |fused - unfused| = {difference:.3g} (largest parameter {scale:.3g})"
    )
    return {
        "max_difference": difference,
        "fused_accuracy": fused_accuracy,
        "unfused_accuracy": unfused_accuracy,
        "steps": len(fused_path),
    }


if __name__ == "__main__":
    main()
