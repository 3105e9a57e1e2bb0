"""Values read back from a saved state dict (as `tinygrad_ce.save` wrote it: numbers may
be 0-d arrays), checked so that loading them cannot make the parameters NaN."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _checks as checks
from .._checks import got
from ..tensor import Tensor


def saved_value(value: Any) -> Any:
    """A saved value as a Python one: a 0-d array becomes its item, a 1-d array a tuple."""
    if isinstance(value, (np.ndarray, np.generic)):
        return value.item() if value.ndim == 0 else tuple(value.tolist())
    return value


def saved_int(where: str, key: str, value: Any) -> int:
    """A saved count (a step, num_params): a non-negative integer (or a 0-d array of one)."""
    value = saved_value(value)
    if not checks.is_int(value) or value < 0:
        raise ValueError(f"{where}: {key} must be a non-negative integer, got {got(value)}")
    return int(value)


def saved_buffer(
    where: str, key: str, value: Any, param: Tensor, i: int, non_negative: bool = False
) -> np.ndarray:
    """A saved buffer as a fresh array of parameter `i`'s shape and dtype; finite (and
    >= 0 when `non_negative`: a sum or mean of squares), so that loading it cannot make
    the parameters NaN."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):  # ragged lists
        array = np.asarray(None)
    if array.dtype.kind not in "fiu":
        raise ValueError(f"{where}: {key} must be a numeric array, got {got(value)}")
    if array.shape != param.shape:
        raise ValueError(f"{where}: {key} has shape {array.shape}, parameter {i} {param.shape}")
    if not np.isfinite(array).all() or (non_negative and (array < 0).any()):
        raise ValueError(f"{where}: {key} holds NaN, inf{' or negative values' if non_negative else ''}")
    return array.astype(param.dtype)  # a fresh, writable copy
