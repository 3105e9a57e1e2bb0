"""Joining and choosing between tensors: cat/concatenate, stack, split, chunk,
array_split, where, maximum, minimum, einsum. All differentiable (in every tensor
operand; not in a condition). `axis=` or PyTorch's `dim=`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from ..autograd.trace import derived
from ..ops import Cat, Einsum
from ..tensor import Tensor
from ..tensor.arrays import either, normalize_axis
from .activations import as_tensor, where


def _tensors(tensors: Any, op: str) -> list[Tensor]:
    if isinstance(tensors, (Tensor, np.ndarray)) or not isinstance(tensors, Sequence) or not tensors:
        kind = type(tensors).__name__
        raise TypeError(f"{op}: tensors must be a non-empty list or tuple of tensors, got {kind}")
    items = [as_tensor(t, op, f"tensors[{i}]") for i, t in enumerate(tensors)]
    dtype = np.result_type(*[t.dtype for t in items])
    return [t if t.dtype == dtype else t.astype(dtype) for t in items]


def _axis(op: str, axis: Any, dim: Any, ndim: int) -> int:
    axis = either(op, "axis", axis, 0, "dim", dim)
    if isinstance(axis, (tuple, list)) or axis is None:
        raise TypeError(f"{op}: axis must be one int, got {axis!r}")
    return normalize_axis(axis, ndim, op)[0]  # type: ignore[index]


def cat(tensors: Sequence[Any], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join along an existing axis (numpy's concatenate, PyTorch's cat); dtypes promote."""
    items = _tensors(tensors, "cat")
    return Cat.apply(*items, axis=_axis("cat", axis, dim, items[0].ndim))


concatenate = cat
"""numpy's name for `cat`: join along an existing axis; differentiable."""


def stack(tensors: Sequence[Any], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join along a new axis; every tensor must have the same shape."""
    items = _tensors(tensors, "stack")
    a = _axis("stack", axis, dim, items[0].ndim + 1)
    return Cat.apply(*[t.unsqueeze(a) for t in items], axis=a)


def split(
    x: Any, split_size_or_sections: int | Sequence[int], axis: int = 0, *, dim: int | None = None
) -> tuple[Tensor, ...]:
    """PyTorch's split: pieces of `split_size` along the axis (the last may be smaller), or
    of the given sizes. numpy's split by a number of sections is `array_split`/`chunk`."""
    x = as_tensor(x, "split", "x")
    a = _axis("split", axis, dim, x.ndim)
    n = x.shape[a]
    if isinstance(split_size_or_sections, (int, np.integer)) and not isinstance(split_size_or_sections, bool):
        if split_size_or_sections <= 0:
            raise ValueError(f"split: split_size must be > 0, got {split_size_or_sections}")
        sizes = [min(split_size_or_sections, n - i) for i in range(0, n, split_size_or_sections)]
    else:
        sizes = [int(s) for s in cast(Sequence[int], split_size_or_sections)]
        if sum(sizes) != n or min(sizes, default=0) < 0:
            raise ValueError(f"split: sizes {sizes} do not add up to the axis length {n}")
    bounds = np.cumsum([0] + sizes)
    lead = (slice(None),) * a
    return tuple(x[lead + (slice(lo, hi),)] for lo, hi in zip(bounds, bounds[1:]))


def array_split(x: Any, sections: int, axis: int = 0) -> tuple[Tensor, ...]:
    """numpy's array_split: `sections` pieces as equal as possible (the first ones longer)."""
    x = as_tensor(x, "array_split", "x")
    n = x.shape[_axis("array_split", axis, None, x.ndim)]
    if isinstance(sections, bool) or not isinstance(sections, (int, np.integer)) or sections <= 0:
        raise ValueError(f"array_split: sections must be an int > 0, got {sections!r}")
    size, extra = divmod(n, sections)
    return split(x, [size + 1] * extra + [size] * (sections - extra), axis)


def chunk(x: Any, chunks: int, axis: int = 0, *, dim: int | None = None) -> tuple[Tensor, ...]:
    """PyTorch's chunk: at most `chunks` pieces of ceil(n / chunks) along the axis."""
    x = as_tensor(x, "chunk", "x")
    a = _axis("chunk", axis, dim, x.ndim)
    if isinstance(chunks, bool) or not isinstance(chunks, (int, np.integer)) or chunks <= 0:
        raise ValueError(f"chunk: chunks must be an int > 0, got {chunks!r}")
    return split(x, max(1, -(-x.shape[a] // chunks)), a)


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise max with numpy broadcasting; at ties each side gets half the gradient
    (PyTorch's rule); nan propagates."""
    a, b = (as_tensor(a, "maximum", "a"), as_tensor(b, "maximum", "b"))
    above, below = derived(np.greater, a.data, b.data), derived(np.less, a.data, b.data)
    return where(above, a, where(below, b, (a + b) / 2))


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise min; ties split the gradient equally, as `maximum`."""
    a, b = (as_tensor(a, "minimum", "a"), as_tensor(b, "minimum", "b"))
    below, above = derived(np.less, a.data, b.data), derived(np.greater, a.data, b.data)
    return where(below, a, where(above, b, (a + b) / 2))


def einsum(subscripts: str, *operands: Any) -> Tensor:
    """numpy's einsum with letters (`"ij,jk->ik"`; without `->` the output is the letters
    used once, sorted, as numpy); differentiable in every operand."""
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: subscripts must be a str such as 'ij,jk->ik', got {subscripts!r}")
    spec = subscripts.replace(" ", "")
    if "->" not in spec:
        letters = spec.replace(",", "")
        spec += "->" + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    items = _tensors(list(operands), "einsum")
    if len(spec.split("->")[0].split(",")) != len(items):
        raise ValueError(
            f"einsum: {subscripts!r} names {len(spec.split('->')[0].split(','))} operands, got {len(items)}"
        )
    return Einsum.apply(*items, subscripts=spec)
