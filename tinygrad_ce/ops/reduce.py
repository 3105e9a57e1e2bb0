"""Reductions. `axis` arrives normalized (a tuple of axes in range, or None: all)."""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ._dual import broadcast_to, exp, floating, reduced_shape, value


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


def _finite(m: np.ndarray) -> np.ndarray:
    """The max, 0 where it is not finite (an all -inf or +inf slice): a new array."""
    return np.where(np.isfinite(m), m, np.zeros((), m.dtype))


def _softmax(x, axes):
    """softmax(x) over `axes` (None: all), ndarray or Tensor; the max is a constant (0 where
    it is not finite), so a recorded softmax is exact and an all -inf slice gives nan, as torch."""
    m = _finite(value(x).max(axis=axes, keepdims=True))
    e = exp(x - m)
    return e / e.sum(axis=axes, keepdims=True)


class LogSumExp(Function):
    """log(sum(exp(x))) over `axis` in one node, as m + log(sum(exp(x - m))), m the max:
    finite at any gap, -inf for an all -inf slice. Twin: `Tensor.logsumexp(fused=False)`."""

    __slots__ = ("axis", "kept_shape")
    name = "logsumexp"
    fused = True

    def forward(self, x, axis, keepdims):
        x = floating(x)
        self.axis, self.kept_shape = axis, reduced_shape(x.shape, axis)
        m = _finite(x.max(axis=axis, keepdims=True))
        with np.errstate(divide="ignore"):  # an all -inf slice: log(0) = -inf, as intended
            out = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
        if keepdims:
            return out
        return out.reshape(tuple(n for i, n in enumerate(x.shape) if axis is not None and i not in axis))

    def backward(self, g, out, x):  # d logsumexp(x) = softmax(x) dx
        with np.errstate(invalid="ignore"):  # an all -inf slice: 0 / 0 = nan, as torch
            return (g.reshape(self.kept_shape) * _softmax(x, self.axis),)
