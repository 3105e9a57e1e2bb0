"""Convolution primitives (NCHW). `Im2col` and `Col2im` are each other's backward
(DeZero's lesson): both are linear, so every derivative order comes free. `Conv2d` is the
fused op: im2col + one batched matmul per group, with a closed-form backward.

The geometry `kernel`, `stride`, `padding`, `dilation` is four (h, w) pairs of ints
(checked by `functional.conv`). Columns have shape (N, C, kh, kw, OH, OW): element
[n, c, p, q, i, j] is the padded image at (i * sh + p * dh, j * sw + q * dw), with
OH = (H + 2 ph - dh (kh - 1) - 1) // sh + 1 (and OW alike).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..autograd import Function
from ..tensor import Tensor


def out_size(size: int, k: int, s: int, p: int, d: int) -> int:
    """Output length of a convolution/pooling window along one axis (PyTorch's formula)."""
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def im2col(x: np.ndarray, kernel, stride, padding, dilation, value: float = 0.0) -> np.ndarray:
    """(N, C, H, W) -> columns (N, C, kh, kw, OH, OW), padding with `value`."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)  # the dilated window
    win = sliding_window_view(x, span, axis=(2, 3))[:, :, ::sh, ::sw, ::dh, ::dw]  # (N, C, OH, OW, kh, kw)
    return np.ascontiguousarray(win.transpose(0, 1, 4, 5, 2, 3))


def col2im(cols: np.ndarray, shape, kernel, stride, padding, dilation) -> np.ndarray:
    """Columns (N, C, kh, kw, OH, OW) -> (N, C, H, W) = `shape`: each column element is
    added back where `im2col` took it from (overlapping windows accumulate)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    n, c, h, w = shape
    oh, ow = cols.shape[-2:]
    full = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for p in range(kh):  # strided accumulation: one slice per kernel offset
        for q in range(kw):
            top, left = p * dh, q * dw
            full[:, :, top : top + sh * (oh - 1) + 1 : sh, left : left + sw * (ow - 1) + 1 : sw] += cols[
                :, :, p, q
            ]
    return np.ascontiguousarray(full[:, :, ph : ph + h, pw : pw + w])


class Im2col(Function):
    """The sliding windows of a (N, C, H, W) image as columns (N, C, kh, kw, OH, OW)."""

    __slots__ = ("geometry", "shape")
    name = "im2col"

    def forward(self, x, kernel, stride, padding, dilation):
        self.geometry, self.shape = (kernel, stride, padding, dilation), x.shape
        return im2col(x, *self.geometry)

    def backward(self, g, out, x):  # im2col is linear: its adjoint col2im adds each window back
        return (_col2im(g, self.shape, self.geometry),)


class Col2im(Function):
    """Columns (N, C, kh, kw, OH, OW) summed back into an image of `shape`: Im2col's
    backward, recorded under create_graph (and conv_transpose2d's scatter)."""

    __slots__ = ("geometry",)
    name = "col2im"

    def forward(self, cols, shape, geometry):
        self.geometry = geometry
        return col2im(cols, shape, *geometry)

    def backward(self, g, out, cols):  # d col2im = im2col of g (the adjoint pair again)
        return (_im2col(g, self.geometry),)


def _im2col(x: Any, geometry) -> Any:
    if isinstance(x, Tensor):
        return Im2col.apply(x, **dict(zip(("kernel", "stride", "padding", "dilation"), geometry)))
    return im2col(x, *geometry)


def _col2im(cols: Any, shape, geometry) -> Any:
    return (
        Col2im.apply(cols, shape=shape, geometry=geometry)
        if isinstance(cols, Tensor)
        else col2im(cols, shape, *geometry)
    )


class Conv2d(Function):
    """Cross-correlation of x (N, C, H, W) with weight (O, C/G, kh, kw), plus bias (O,):
    out[n, o] = sum_{c, p, q} w[o, c, p, q] cols[n, c, p, q] + b[o], per group, as
    cols (N, G, K, L) multiplied by weight (G, O/G, K) with K = C/G kh kw, L = OH OW.
    Twin: `functional.conv2d(..., fused=False)`, windows gathered by indexing and an einsum."""

    __slots__ = ("geometry", "groups")
    name = "conv2d"
    fused = True

    def forward(self, x, weight, bias=None, *, stride, padding, dilation, groups):
        self.geometry, self.groups = (weight.shape[2:], stride, padding, dilation), groups
        cols = im2col(x, *self.geometry)
        self.saved = cols  # for the weight's gradient
        n, o, oh, ow = x.shape[0], weight.shape[0], cols.shape[-2], cols.shape[-1]
        w = weight.reshape(groups, o // groups, -1)
        out = (w @ cols.reshape(n, groups, -1, oh * ow)).reshape(n, o, oh, ow)
        if bias is not None:
            out += bias.reshape(-1, 1, 1)
        return out

    # d conv = conv(dx, w) + conv(x, dw) + db: dx = col2im(w^T g), dw = sum_n g cols^T, db = sum g
    def backward(self, g, out, x, weight, *bias):
        need, groups = self.needs_grad, self.groups
        n, o, oh, ow = g.shape
        rows = g.reshape(n, groups, o // groups, oh * ow)  # (N, G, O/G, L)
        w = weight.reshape(groups, o // groups, -1)  # (G, O/G, K)
        gx = gw = None
        if need[0]:
            cols_grad = (w.swapaxes(-1, -2) @ rows).reshape(x.shape[:2] + weight.shape[2:] + (oh, ow))
            gx = _col2im(cols_grad, x.shape, self.geometry)
        if need[1]:
            fast = self.saved is not None and not isinstance(x, Tensor)
            cols = self.saved if fast else _im2col(x, self.geometry)  # recorded: im2col again, as a node
            cols = cols.reshape(n, groups, -1, oh * ow).swapaxes(-1, -2)  # (N, G, L, K)
            gw = (rows @ cols).sum(axis=0).reshape(weight.shape)
        if not bias:
            return gx, gw
        return gx, gw, (g.sum(axis=(0, 2, 3)) if need[2] else None)
