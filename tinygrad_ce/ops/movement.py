"""Movement ops: each backward is the inverse movement (reshape back, transpose by the
inverse permutation, sum a broadcast back, scatter an index back). GetItem and
ScatterAdd are each other's backward, so every derivative order comes free."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function
from ..tensor import Tensor


class Reshape(Function):
    __slots__ = ()
    name = "reshape"

    def forward(self, x, shape):
        return x.reshape(shape)

    def backward(self, g, out, x):  # reshape back
        return (g.reshape(x.shape),)


class Transpose(Function):
    """A permutation of the axes (`axes` normalized by Tensor.transpose; None reverses)."""

    __slots__ = ("inverse",)
    name = "transpose"

    def forward(self, x, axes):
        axes = tuple(range(x.ndim))[::-1] if axes is None else axes
        self.inverse = tuple(sorted(range(len(axes)), key=axes.__getitem__))
        return x.transpose(axes)

    def backward(self, g, out, x):  # transpose back by the inverse permutation
        return (g.transpose(self.inverse),)


class BroadcastTo(Function):
    __slots__ = ()
    name = "broadcast_to"

    def forward(self, x, shape):
        return np.broadcast_to(x, shape)

    def backward(self, g, out, x):  # the engine sums g back to x's shape
        return (g,)


def _normalize_index(index: Any) -> Any:
    """Tensors and lists in an index become ndarrays (numpy's meaning of the index)."""
    items = index if isinstance(index, tuple) else (index,)
    items = tuple(
        i.data if isinstance(i, Tensor) else np.asarray(i) if isinstance(i, list) else i for i in items
    )
    return items if isinstance(index, tuple) else items[0]


def _scatter_add(g: np.ndarray, shape: tuple[int, ...], index: Any) -> np.ndarray:
    full = np.zeros(shape, dtype=g.dtype)
    items = index if isinstance(index, tuple) else (index,)
    if any(isinstance(i, np.ndarray) for i in items):
        np.add.at(full, index, g)  # advanced indexing: accumulates where an index repeats
    else:
        full[index] = g  # basic slicing never repeats an element
    return full


class GetItem(Function):
    __slots__ = ("index",)
    name = "getitem"

    def forward(self, x, index):
        self.index = _normalize_index(index)
        return np.asarray(x[self.index])

    def backward(self, g, out, x):  # scatter g back; repeated indices accumulate
        if isinstance(g, Tensor):
            return (ScatterAdd.apply(g, shape=x.shape, index=self.index),)
        return (_scatter_add(g, x.shape, self.index),)


class ScatterAdd(Function):
    """zeros(shape) with g added at index: GetItem's backward, recorded under create_graph."""

    __slots__ = ("index",)
    name = "scatter_add"

    def forward(self, g, shape, index):
        self.index = index
        return _scatter_add(g, shape, index)

    def backward(self, g, out, x):  # d scatter_add(x) = g[index]
        return (GetItem.apply(g, index=self.index) if isinstance(g, Tensor) else g[self.index],)


class Cat(Function):
    """Concatenation along `axis` (normalized); its backward slices g back apart."""

    __slots__ = ("axis", "bounds")
    name = "cat"

    def forward(self, *xs, axis):
        self.axis = axis
        self.bounds = np.cumsum([0] + [x.shape[axis] for x in xs]).tolist()
        return np.concatenate(xs, axis=axis)

    def backward(self, g, out, *xs):  # d cat(x_1, ..., x_k) = the matching slices of g
        lead = (slice(None),) * self.axis
        need = self.needs_grad
        return tuple(
            g[lead + (slice(lo, hi),)] if n else None for n, lo, hi in zip(need, self.bounds, self.bounds[1:])
        )


class Pad(Function):
    """Constant padding: `widths` is numpy's ((before, after), ...) per axis, all >= 0."""

    __slots__ = ("window",)
    name = "pad"

    def forward(self, x, widths, value):
        self.window = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, x.shape))
        return np.pad(x, widths, constant_values=value)

    def backward(self, g, out, x):  # d pad(x) = the unpadded window of g
        return (g[self.window],)
