"""Making tensors: zeros, ones, ranges, identity, random draws. Float results take the
default dtype (float32 unless changed); `full` with an int value is an integer tensor.
Random draws come from `tinygrad_ce.rng` (seeded by `manual_seed`) unless `rng=` is given.
Each function in CREATION is also a static method of Tensor (`Tensor.zeros(2, 3)`), set
at the end of this module."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..rng import as_generator, manual_seed
from . import Tensor
from .arrays import as_dtype, check_shape, get_default_dtype


def _shape(shape: tuple[Any, ...], op: str) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return check_shape(tuple(shape), op)


def _float(dtype: Any, op: str) -> np.dtype:
    return get_default_dtype() if dtype is None else as_dtype(dtype, op)


def _make(array: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor(array, requires_grad=requires_grad)


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Any:
    """PyTorch's `torch.tensor`: `Tensor(data, requires_grad=..., dtype=...)`."""
    return Tensor(data.data if isinstance(data, Tensor) else data, requires_grad=requires_grad, dtype=dtype)


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Any:
    """Zeros of `shape` (`zeros(2, 3)` or `zeros((2, 3))`)."""
    return _make(np.zeros(_shape(shape, "zeros"), _float(dtype, "zeros")), requires_grad)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Any:
    """Ones of `shape`."""
    return _make(np.ones(_shape(shape, "ones"), _float(dtype, "ones")), requires_grad)


def empty(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Any:
    """A tensor of `shape` (here filled with zeros: nothing uninitialised leaks out)."""
    return _make(np.zeros(_shape(shape, "empty"), _float(dtype, "empty")), requires_grad)


def full(shape: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Any:
    """`fill_value` everywhere: an int value gives an integer tensor, a float the default
    float dtype, a bool a bool tensor (as PyTorch)."""
    shape = _shape((shape,) if isinstance(shape, (int, np.integer)) else (shape,), "full")
    if dtype is None:
        if isinstance(fill_value, (bool, np.bool_)):
            dtype = np.dtype(bool)
        elif isinstance(fill_value, (int, np.integer)):
            dtype = np.dtype(np.int64)
    return _make(np.full(shape, fill_value, _float(dtype, "full")), requires_grad)


def arange(
    start: Any, stop: Any = None, step: Any = 1, dtype: Any = None, requires_grad: bool = False
) -> Any:
    """numpy's arange: int arguments give int64, float ones the default float dtype."""
    if stop is None:
        start, stop = 0, start
    if dtype is None and all(isinstance(v, (int, np.integer)) for v in (start, stop, step)):
        dtype = np.int64
    return _make(np.arange(start, stop, step, dtype=_float(dtype, "arange")), requires_grad)


def linspace(
    start: float,
    stop: float,
    num: int = 50,
    *,
    steps: int | None = None,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Any:
    """`num` (PyTorch: `steps`) evenly spaced values from start to stop, both included."""
    num = num if steps is None else steps
    return _make(np.linspace(start, stop, num, dtype=_float(dtype, "linspace")), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Any:
    """The (n, m) identity (m defaults to n)."""
    return _make(np.eye(n, m, dtype=_float(dtype, "eye")), requires_grad)


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Any:
    """Zeros of t's shape and dtype (or `dtype`)."""
    return _make(np.zeros(np.shape(t.data), dtype or t.dtype), requires_grad)


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Any:
    """Ones of t's shape and dtype (or `dtype`)."""
    return _make(np.ones(np.shape(t.data), dtype or t.dtype), requires_grad)


def full_like(t: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Any:
    """`fill_value` in t's shape and dtype (or `dtype`)."""
    return _make(np.full(np.shape(t.data), fill_value, dtype or t.dtype), requires_grad)


def rand(*shape: Any, rng: Any = None, dtype: Any = None, requires_grad: bool = False) -> Any:
    """Uniform draws in [0, 1)."""
    gen = as_generator(rng, "rand", "rng")
    return _make(gen.random(_shape(shape, "rand")).astype(_float(dtype, "rand")), requires_grad)


def randn(*shape: Any, rng: Any = None, dtype: Any = None, requires_grad: bool = False) -> Any:
    """Standard normal draws."""
    gen = as_generator(rng, "randn", "rng")
    return _make(gen.standard_normal(_shape(shape, "randn")).astype(_float(dtype, "randn")), requires_grad)


def randint(low: int, high: int | None = None, size: Any = (), rng: Any = None) -> Any:
    """Integers in [low, high) (or [0, low) with one bound), int64, of shape `size`."""
    if high is None:
        low, high = 0, low
    gen = as_generator(rng, "randint", "rng")
    size = _shape((size,) if isinstance(size, (int, np.integer)) else (size,), "randint")
    if not high > low:
        raise ValueError(f"randint: need low < high, got low={low}, high={high}")
    return _make(gen.integers(low, high, size=size, dtype=np.int64), False)


CREATION = ("zeros", "ones", "empty", "full", "arange", "linspace", "eye", "rand", "randn", "randint")

for _name in CREATION:
    setattr(Tensor, _name, staticmethod(globals()[_name]))

__all__ = ["tensor", "zeros_like", "ones_like", "full_like", "manual_seed", *CREATION]
