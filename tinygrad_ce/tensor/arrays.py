"""From user data to checked numpy: the default float dtype, numeric ndarrays made from
numbers, lists and arrays, and the checks of dtypes, axes, shapes and flags that every
Tensor method shares (each error names the op and the argument)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _checks as checks
from ..autograd import AxisError, ShapeError, Variable

_default_dtype: np.dtype = np.dtype(np.float32)


def set_default_dtype(dtype: Any) -> None:
    """Set the float dtype of Tensors made from Python numbers and lists (float32 or float64)."""
    global _default_dtype
    dtype = as_dtype(dtype, "set_default_dtype")
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: expected a float dtype, got {dtype}")
    _default_dtype = dtype


def get_default_dtype() -> np.dtype:
    """The float dtype of Tensors made from Python numbers and lists."""
    return _default_dtype


NUMERIC_KINDS = "biuf"  # bool, signed and unsigned integers, floats


def as_dtype(dtype: Any, owner: str, argument: str = "dtype") -> np.dtype:
    """`dtype` as a numeric numpy dtype, or a TypeError naming `owner` and `argument`."""
    try:
        result = np.dtype(dtype)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: {argument}={dtype!r} is not a numpy dtype") from None
    if result.kind not in NUMERIC_KINDS:
        raise TypeError(
            f"{owner}: {argument}={dtype!r} is not a numeric dtype "
            "(expected bool, an integer or a float dtype)"
        )
    return result


def to_array(data: Any, dtype: Any) -> np.ndarray:
    if dtype is not None:
        dtype = as_dtype(dtype, "Tensor")
    if isinstance(data, Variable):  # a Tensor
        data = data.data
    if isinstance(data, (np.ndarray, np.generic)):  # numpy data keeps its dtype
        array = np.asarray(data)
        if array.dtype.kind not in NUMERIC_KINDS:
            raise TypeError(
                f"Tensor: data of dtype {array.dtype} is not numeric (expected bool, integer or float data)"
            )
        return array if dtype is None or array.dtype == dtype else array.astype(dtype)
    try:
        array = np.asarray(data, dtype=dtype)
    except (ValueError, TypeError, OverflowError) as err:
        kind = type(data).__name__
        raise ValueError(f"Tensor: cannot make a numeric array from this {kind}: {err}") from None
    if array.dtype.kind not in NUMERIC_KINDS:
        raise TypeError(
            f"Tensor: data must be numbers, nested lists of numbers or an ndarray, got "
            f"{type(data).__name__} (making dtype {array.dtype})"
        )
    if dtype is None and array.dtype.kind == "f":  # Python floats become the default dtype
        array = array.astype(_default_dtype, copy=False)
    return array


def normalize_axis(axis: Any, ndim: int, op: str) -> tuple[int, ...] | None:
    """`axis` (None, an int, or a tuple/list of ints) as a tuple of axes in [0, ndim).

    An axis outside [-ndim, ndim) is an `AxisError` naming it and ndim (never wrapped)."""
    if axis is None:
        return None
    items = axis if isinstance(axis, (tuple, list)) else (axis,)
    axes = []
    for a in items:
        if isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"{op}: axis must be an int, a tuple or list of ints, or None; got {axis!r}")
        if not -ndim <= a < ndim:
            raise AxisError(
                f"{op}: axis {a} is out of range for a tensor with {ndim} dimension(s) "
                f"(expected {-ndim}..{ndim - 1})"
                if ndim
                else f"{op}: axis {a} is out of range for a 0-d tensor (it has no axes)"
            )
        axes.append(int(a) % ndim)
    if len(set(axes)) != len(axes):
        raise ShapeError(f"{op}: axis {axis!r} names an axis twice")
    return tuple(axes)


def check_flag(value: Any, op: str, argument: str) -> bool:
    """`value` as a bool, if it is one (the package's shared check, `_checks.boolean`)."""
    return checks.boolean(op, argument, value)


def check_shape(shape: tuple[Any, ...], op: str, allow_minus_one: bool = False) -> tuple[int, ...]:
    for n in shape:
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"{op}: shape must be ints, got {shape!r}")
        if n < (-1 if allow_minus_one else 0):
            raise ValueError(f"{op}: shape {shape!r} has a negative size {n}")
    if allow_minus_one and sum(n == -1 for n in shape) > 1:
        raise ValueError(f"{op}: shape {shape!r} may have at most one -1")
    return tuple(int(n) for n in shape)


def either(op: str, name: str, value: Any, default: Any, alias: str, alias_value: Any) -> Any:
    """numpy's `name=` or PyTorch's `alias=` (e.g. axis/dim, keepdims/keepdim): one of them."""
    if alias_value is None:
        return value
    if value is not default and value != default:
        raise TypeError(f"{op}: give {name}= or {alias}=, not both")
    return alias_value
