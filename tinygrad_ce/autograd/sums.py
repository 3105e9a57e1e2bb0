"""Sums along one side of a matrix as BLAS matrix-vector products with a vector of ones.

numpy reduces a short last axis (a row sum of (4096, 10)) or many rows (a bias gradient,
a column sum of (4096, 256)) several times slower than `e @ ones` / `ones @ g`, which
is one BLAS call (and no less exact: it accumulates in the array's dtype, as numpy's
sum does, but in several partial sums). Used for float32 and float64 C-contiguous
arrays; anything else reduces with numpy.
"""

from __future__ import annotations

import math

import numpy as np

_ONES: dict[tuple[int, np.dtype], np.ndarray] = {}  # (n, dtype) -> read-only ones(n)


def ones_vector(n: int, dtype: np.dtype) -> np.ndarray:
    """A read-only ones(n) of `dtype`, kept for the few sizes in use."""
    key = (n, dtype)
    ones = _ONES.get(key)
    if ones is None:
        if len(_ONES) > 64:
            _ONES.clear()
        ones = _ONES[key] = np.ones(n, dtype)
        ones.flags.writeable = False
    return ones


def _blas(a: np.ndarray) -> bool:
    return a.dtype.char in "fd" and a.flags.c_contiguous and a.size > 0


def row_sums(e: np.ndarray) -> np.ndarray:
    """The (M, 1) sums of the rows of an (M, C) array."""
    if not _blas(e):
        return np.add.reduce(e, axis=-1, keepdims=True)
    return np.matmul(e, ones_vector(e.shape[-1], e.dtype)).reshape(-1, 1)


def leading_sum(g: np.ndarray, lead: int) -> np.ndarray:
    """`g` summed over its first `lead` axes (what undoing a broadcast of leading axes
    and a bias gradient need): shape g.shape[lead:]. A tensor (a recorded backward,
    `create_graph`) sums with its own differentiable `sum`."""
    if not isinstance(g, np.ndarray):
        return g.sum(axis=tuple(range(lead))) if lead else g
    if not _blas(g) or lead == 0:
        return np.add.reduce(g, axis=tuple(range(lead))) if lead else g
    if g.ndim == 2 and lead == 1:  # (the bias gradient of a batch)
        return np.matmul(ones_vector(len(g), g.dtype), g)
    rest = g.shape[lead:]
    rows = g.reshape(-1, math.prod(rest))
    return np.matmul(ones_vector(len(rows), g.dtype), rows).reshape(rest)
