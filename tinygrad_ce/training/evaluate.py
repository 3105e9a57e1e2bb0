"""Evaluation of a model: `accuracy`, `evaluate` (mean loss and accuracy over a loader)
and `predict` (logits in batches, without a graph)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import numpy as np

from ..autograd import no_grad
from ..nn import Module
from ..tensor import Tensor

LossFn = Callable[[Tensor, Any], Tensor]


# ----------------------------------------------------------------------------- metrics
def accuracy(logits: Any, target: Any) -> float:
    """Fraction of rows whose argmax over the last axis equals the target: `logits`
    (N, C); `target` class indices (N,) or one-hot/probabilities (N, C). With one
    output column (N, 1), a logit > 0 predicts class 1."""
    scores = np.asarray(logits.data if isinstance(logits, Tensor) else logits)
    labels = np.asarray(target.data if isinstance(target, Tensor) else target)
    if labels.ndim == scores.ndim and scores.shape[-1] > 1:
        labels = labels.argmax(axis=-1)
    predicted = (scores[..., 0] > 0).astype(np.int64) if scores.shape[-1:] == (1,) else scores.argmax(axis=-1)
    if predicted.shape != labels.shape:
        raise ValueError(f"accuracy: logits of shape {scores.shape} do not fit targets {labels.shape}")
    return float((predicted == labels).mean()) if labels.size else math.nan


class Evaluation(NamedTuple):
    """What `evaluate` returns: the accuracy, and the mean loss per sample."""

    accuracy: float
    loss: float | None  # None when no loss function was given


def _batches(loader: Any) -> Iterable[Any]:
    """A loader, or one `(X, y)` pair of arrays taken as a single batch."""
    if isinstance(loader, tuple) and len(loader) == 2 and not isinstance(loader[0], tuple):
        return [loader]
    return loader


def _samples(y: Any) -> int:
    """How many samples a batch's targets hold (one for a single, scalar target)."""
    return len(y) if np.ndim(y) else 1


def _input(X: Any, dtype: np.dtype | None) -> Tensor:
    """A batch as a Tensor in the model's parameter dtype (no copy when it already is)."""
    if isinstance(X, Tensor):
        return X
    X = np.asarray(X)
    return Tensor(X, dtype=dtype if dtype is not None and X.dtype != dtype else None)


def _param_dtype(model: Module) -> np.dtype | None:
    first = next(model.parameters(), None)
    return None if first is None else first.data.dtype


def _mean_per_sample(parts: list[tuple[int, float]]) -> float:
    """The mean per sample of per-batch (samples, mean) pairs. One batch's mean is
    returned as it is: multiplying by n and dividing again can move it by one ulp."""
    if len(parts) == 1:
        return parts[0][1]
    total, count = 0.0, 0
    for n, mean in parts:
        total += mean * n
        count += n
    return total / count


def evaluate(model: Module, loader: Any, loss_fn: LossFn | None = None) -> Evaluation:
    """Accuracy (and mean loss per sample, when `loss_fn` is given) of `model` over a
    loader or one `(X, y)` pair, in eval mode and without recording a graph. The
    model's train/eval mode is restored afterwards. For one batch the numbers are
    exactly `accuracy(logits, y)` and `loss_fn(logits, y).item()`."""
    was_training, dtype = model.training, _param_dtype(model)
    accuracies: list[tuple[int, float]] = []
    losses: list[tuple[int, float]] = []
    model.eval()
    try:
        with no_grad():
            for X, y, *_ in _batches(loader):
                logits = model(_input(X, dtype))
                n = _samples(y)
                accuracies.append((n, accuracy(logits, y)))
                if loss_fn is not None:
                    losses.append((n, loss_fn(logits, y).item()))
    finally:
        model.train(was_training)
    if sum(n for n, _ in accuracies) == 0:
        raise ValueError("evaluate: the loader yielded no samples")
    return Evaluation(_mean_per_sample(accuracies), _mean_per_sample(losses) if loss_fn is not None else None)


def predict(model: Module, X: Any, batch_size: int = 4096) -> np.ndarray:
    """The model's outputs (logits) for X as an ndarray, in eval mode, without a graph."""
    was_training, dtype = model.training, _param_dtype(model)
    model.eval()
    try:
        with no_grad():
            starts = range(0, len(X), batch_size)
            return np.concatenate([model(_input(X[i : i + batch_size], dtype)).data for i in starts])
    finally:
        model.train(was_training)
