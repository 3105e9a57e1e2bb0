"""The few functions ndarray and Tensor do not share as methods, so that each op's
backward is written once and runs on both (see `tinygrad_ce.ops`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from ..tensor.arrays import get_default_dtype


def value(a: Any) -> np.ndarray:
    """The ndarray of `a` (a Tensor's data, or `a` itself)."""
    return a.data if isinstance(a, Tensor) else a


def log(a: Any) -> Any:
    return a.log() if isinstance(a, Tensor) else np.log(a)


def exp(a: Any) -> Any:
    return a.exp() if isinstance(a, Tensor) else np.exp(a)


def broadcast_to(a: Any, shape: tuple[int, ...]) -> Any:
    return a.broadcast_to(shape) if isinstance(a, Tensor) else np.broadcast_to(a, shape)


def floating(x: np.ndarray) -> np.ndarray:
    """The dtype policy of float-valued ops: bool/integer input computes in the default
    float dtype (as PyTorch; numpy would pick float16 or float64 by the integer's width)."""
    return x if x.dtype.kind == "f" else x.astype(get_default_dtype())


def reduced_shape(shape: tuple[int, ...], axes: tuple[int, ...] | None) -> tuple[int, ...]:
    """`shape` with the reduced axes kept as 1 (the keepdims shape); `axes` normalized."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))
