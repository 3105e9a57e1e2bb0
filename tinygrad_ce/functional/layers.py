"""Layer functions without parameters of their own: dropout and one_hot."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.trace import replayed
from ..rng import as_generator
from ..tensor import Tensor
from .activations import as_tensor


def dropout(x: Any, p: float = 0.5, training: bool = True, rng: Any = None) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p) while
    `training` (identity otherwise); the mask is a constant, so the gradient is the same
    mask and scale. Draws from `rng` or the package's generator (`tg.manual_seed`)."""
    x = as_tensor(x, "dropout", "x")
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
        raise ValueError(f"dropout: p must be a probability in [0, 1], got {p!r}")
    if not isinstance(training, bool):
        raise TypeError(f"dropout: training must be True or False, got {training!r}")
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0
    return x * Tensor(_keep_mask(x.shape, p, x.dtype, rng))


@replayed  # tinygrad_ce.jit draws a fresh mask at each replay
def _keep_mask(shape: tuple[int, ...], p: float, dtype: Any, rng: Any) -> np.ndarray:
    """The dropout mask scaled by 1 / (1 - p), drawn from `rng` (or the default generator)."""
    keep = as_generator(rng, "dropout", "rng").random(shape) >= p
    return (keep / (1 - p)).astype(dtype)


def one_hot(indices: Any, num_classes: int = -1) -> Tensor:
    """`(*)` integer class indices -> `(*, num_classes)` int64 one-hot (num_classes=-1: the
    largest index + 1, as PyTorch); not differentiable."""
    index = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    if index.dtype.kind not in "iu":
        raise TypeError(f"one_hot: indices must be integers, got dtype {index.dtype}")
    if num_classes == -1:
        num_classes = int(index.max()) + 1 if index.size else 0
    if index.size and (index.min() < 0 or index.max() >= num_classes):
        raise IndexError(f"one_hot: indices must be in [0, {num_classes}), got {index.min()}..{index.max()}")
    return Tensor((index[..., None] == np.arange(num_classes)).astype(np.int64))


def pad(x: Any, pad: Any, mode: str = "constant", value: float = 0.0) -> Tensor:
    """PyTorch's F.pad: `pad` is a flat tuple, last axis first — `(left, right)` pads the
    last axis, `(left, right, top, bottom)` the last two; only mode="constant". Differentiable."""
    return as_tensor(x, "pad", "x").pad(pad, mode, value)
