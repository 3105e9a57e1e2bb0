"""How fast a run learned: the epoch it first reached a target accuracy, which is where
cross-entropy and MSE on softmax outputs differ (MSE gets there later, not lower), and
the words the CLI uses for each loss."""

from __future__ import annotations

from typing import Any

TARGET_ACCURACY = 0.9  # "epochs to reach": where cross-entropy and MSE differ most
LOSS_NAMES = {"fused": "fused cross-entropy", "unfused": "unfused cross-entropy", "mse": "MSE on softmax"}
MSE_NOTE = (
    "note: MSE on softmax outputs learns more slowly than cross-entropy (its gradient fades "
    "where the softmax saturates, wrong or right), so it needs more epochs to reach a given "
    "accuracy, not a worse final one; `tinygrad-ce demo` trains both side by side"
)


def epochs_to_reach(history: Any, target: float = TARGET_ACCURACY) -> int | None:
    """The first epoch (1-based) whose validation accuracy (training accuracy without a
    validation set) is at least `target`; None when no epoch got there."""
    accuracies = history.val_accuracy or history.train_accuracy
    return next((epoch for epoch, acc in enumerate(accuracies, 1) if acc >= target), None)


def reach_text(history: Any, epochs: int, target: float = TARGET_ACCURACY) -> str:
    """When `history` reached `target` accuracy: "epoch 12", or "not in 150 epochs"."""
    epoch = epochs_to_reach(history, target)
    return f"epoch {epoch}" if epoch is not None else f"not in {epochs} epochs"
