"""Fused normalization: `layer_norm` and `batch_norm`, each one node with a closed-form
backward. Their composed twins (`functional.norm`, `fused=False`) are the readable
definition: xhat = (x - mean(x)) * rsqrt(var(x, correction=0) + eps), out = xhat w + b.

Both ops share one backward. With batch statistics (mean and var taken from x itself)
the gradient of the normalization is the projection

    dx = (g' - mean(g') - xhat * mean(g' * xhat)) / sigma,    g' = g * w,

(the mean over the normalized axes; `- mean(g')` is d mean, `- xhat mean(g' xhat)` is
d var), and dw = sum(g * xhat), db = sum(g) over the other axes. With constant
statistics (batch_norm in eval mode) it is dx = g' / sigma. On the recorded path
(`create_graph=True`) the statistics are recomputed from x with the same `_stats`
lines as the forward, so the backward is differentiable again.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function


def _stats(x: Any, axes: tuple[int, ...], eps: float) -> tuple[Any, Any]:
    """(mean, 1 / sqrt(var + eps)) of x over `axes`, kept as 1s; ndarray or Tensor."""
    mu = x.mean(axis=axes, keepdims=True)
    centered = x - mu
    var = (centered * centered).mean(axis=axes, keepdims=True)  # biased: correction=0
    return mu, (var + eps) ** -0.5


def _total(a: Any, axes: tuple[int, ...]) -> Any:
    return a.sum(axis=axes) if axes else a


_SLOTS = ("axes", "eps", "batch_stats", "param_shape", "param_axes")


class _Normalize:
    """The shared part of the two ops (a mixin, not an op of its own):
    out = (x - mu) * rstd * w + b; each op sets up the axes in its forward."""

    __slots__ = ()
    fused = True
    # (the fields of the ops' _SLOTS, and Function's `saved`, declared for type checkers)
    axes: tuple[int, ...]
    eps: float
    batch_stats: Any  # a bool (Any: mypy lets a mixin with empty __slots__ assign only Any-typed fields)
    param_shape: tuple[int, ...]
    param_axes: tuple[int, ...]
    saved: Any

    def _forward(
        self,
        x: np.ndarray,
        weight: np.ndarray | None,
        bias: np.ndarray | None,
        stats: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> np.ndarray:
        self.batch_stats = stats is None
        mu, rstd = _stats(x, self.axes, self.eps) if stats is None else stats
        self.saved = (mu, rstd)  # small: one value per normalized slice
        out = (x - mu) * rstd
        if weight is not None:  # (not in place: the dtypes promote as in the composed twin)
            out = out * weight.reshape(self.param_shape)
        if bias is not None:
            out = out + bias.reshape(self.param_shape)
        return out

    def backward(self, g, out, x, *affine):  # d norm = (g' - mean(g') - xhat mean(g' xhat)) / sigma
        need = self.needs_grad
        recorded = not isinstance(x, np.ndarray) and self.batch_stats
        mu, rstd = _stats(x, self.axes, self.eps) if recorded else self.saved
        xhat = (x - mu) * rstd
        gw = g * affine[0].reshape(self.param_shape) if affine else g
        gx = None
        if need[0] and self.batch_stats:
            mean_g = gw.mean(axis=self.axes, keepdims=True)
            mean_gx = (gw * xhat).mean(axis=self.axes, keepdims=True)
            gx = (gw - mean_g - xhat * mean_gx) * rstd
        elif need[0]:  # constant statistics: an affine map of x
            gx = gw * rstd
        grads = [gx]
        if affine:  # d w = sum g xhat, d b = sum g (over the axes the parameters broadcast along)
            grads.append(_total(g * xhat, self.param_axes).reshape(affine[0].shape) if need[1] else None)
        if len(affine) > 1:
            grads.append(_total(g, self.param_axes).reshape(affine[1].shape) if need[2] else None)
        return tuple(grads)


class LayerNorm(_Normalize, Function):
    """layer_norm over the last k axes of x (*, *normalized_shape); weight and bias
    (optional, bias only with a weight) have shape normalized_shape."""

    __slots__ = _SLOTS
    name = "layer_norm"

    def forward(self, x, weight=None, bias=None, *, k, eps):
        self.axes, self.eps = tuple(range(x.ndim - k, x.ndim)), eps
        self.param_shape, self.param_axes = x.shape[x.ndim - k :], tuple(range(x.ndim - k))
        return self._forward(x, weight, bias)


class BatchNorm(_Normalize, Function):
    """batch_norm of x (N, C, *) per channel; weight and bias (C,) (bias only with a
    weight). `mean`/`var` (C,) given: constant statistics (eval mode); None: the batch's."""

    __slots__ = _SLOTS
    name = "batch_norm"

    def forward(self, x, weight=None, bias=None, *, eps, mean=None, var=None):
        self.axes, self.eps = (0, *range(2, x.ndim)), eps
        self.param_shape, self.param_axes = (1, x.shape[1]) + (1,) * (x.ndim - 2), self.axes
        stats = None
        if mean is not None:  # copies: later in-place updates of running stats leave this node alone
            shape = self.param_shape
            stats = (np.array(mean.reshape(shape)), np.asarray((var.reshape(shape) + eps) ** -0.5))
        return self._forward(x, weight, bias, stats)
