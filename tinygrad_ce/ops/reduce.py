"""Reductions. `axis` arrives normalized (a tuple of axes in range, or None: all)."""
from __future__ import annotations

import numpy as np

from ..autograd import Function
from ._dual import broadcast_to, reduced_shape, value


class Sum(Function):
    __slots__ = ("kept_shape",)
    name = "sum"

    def forward(self, x, axis, keepdims):
        self.kept_shape = reduced_shape(x.shape, axis)
        return np.asarray(x.sum(axis=axis, keepdims=keepdims))

    def backward(self, g, out, x):  # d sum(x) = sum(dx): g spreads back over the summed axes
        return (broadcast_to(g.reshape(self.kept_shape), x.shape),)


class Max(Function):
    __slots__ = ("kept_shape",)
    name = "max"

    def forward(self, x, axis, keepdims):
        self.kept_shape = reduced_shape(x.shape, axis)
        return np.asarray(x.max(axis=axis, keepdims=keepdims))

    def backward(self, g, out, x):  # d max(x) = dx at the argmax; ties share it equally
        winners = value(x) == value(out).reshape(self.kept_shape)
        reduced = tuple(i for i, n in enumerate(self.kept_shape) if n == 1)
        share = (winners / winners.sum(axis=reduced, keepdims=True)).astype(value(x).dtype)
        return (g.reshape(self.kept_shape) * share,)


class Cumsum(Function):
    """Running sum along `axis` (normalized)."""

    __slots__ = ("axis",)
    name = "cumsum"

    def forward(self, x, axis):
        self.axis = axis
        return np.cumsum(x, axis=axis)

    def backward(self, g, out, x):  # d cumsum(x)_i = sum_{j >= i} g_j: a reversed cumsum
        reverse = (slice(None),) * self.axis + (slice(None, None, -1),)
        if isinstance(g, np.ndarray):
            return (np.cumsum(g[reverse], axis=self.axis)[reverse],)
        return (Cumsum.apply(g[reverse], axis=self.axis)[reverse],)
