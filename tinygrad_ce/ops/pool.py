"""Max pooling (NCHW), the fused op: one pass per kernel offset keeps each window's
running maximum and the offset it came from; the backward sends g there: on ndarrays one
strided write per offset, on Tensors g times a constant one-hot, through conv's `col2im`
(so it is recorded, and differentiable again, under create_graph).
Twin: `functional.max_pool2d(..., fused=False)` (im2col, argmax, indexing).
The geometry is conv's: four (h, w) pairs, checked by `functional.conv`; `extra` (h, w)
pads the bottom and right further (ceil_mode's last, partial windows)."""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from .conv import _col2im, im2col


def lowest(dtype: np.dtype) -> float:
    """The padding value that never wins a maximum: -inf, or the smallest integer."""
    return np.iinfo(dtype).min if dtype.kind in "iu" else -np.inf


def window_max(
    x: np.ndarray, kernel, stride, padding, dilation, extra=(0, 0)
) -> tuple[np.ndarray, np.ndarray]:
    """The maximum of each window (N, C, OH, OW) and its offset p kw + q in the window:
    the first maximum (row-major), as PyTorch; a NaN counts as the maximum. Padding never wins."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (eh, ew) = kernel, stride, padding, dilation, extra
    if ph or pw or eh or ew:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph + eh), (pw, pw + ew)), constant_values=lowest(x.dtype))
    oh, ow = (x.shape[2] - dh * (kh - 1) - 1) // sh + 1, (x.shape[3] - dw * (kw - 1) - 1) // sw + 1
    best, where = None, np.zeros(x.shape[:2] + (oh, ow), dtype=np.int32)
    for p in range(kh):  # strided slices: one per kernel offset, no window copy
        for q in range(kw):
            s = x[:, :, p * dh : p * dh + sh * (oh - 1) + 1 : sh, q * dw : q * dw + sw * (ow - 1) + 1 : sw]
            if best is None:
                best = s.copy()
                continue
            wins = ~(s <= best) & (best == best)  # larger, or a NaN; a NaN already held stays
            where += wins * (p * kw + q - where)  # arithmetic: masked writes are ~10x slower
            np.maximum(best, s, out=best)  # a NaN propagates
    return cast(np.ndarray, best), where  # (kh, kw >= 1: best was set)


class MaxPool2d(Function):
    """The maximum of each window of x (N, C, H, W) -> (N, C, OH, OW); the offset of each
    window's winner is kept (`where`) for the backward."""

    __slots__ = ("extra", "geometry", "shape", "where")
    name = "max_pool2d"
    fused = True

    def forward(self, x, kernel, stride, padding, dilation, extra=(0, 0), keep=None):
        self.geometry, self.shape, self.extra = (kernel, stride, padding, dilation), x.shape, extra
        out, self.where = window_max(x, *self.geometry, extra)
        if keep is not None:  # a `Winners`: the caller wants them (return_indices)
            keep.where = self.where  # (each call, a jit replay's too, replaces it)
        return out

    # d max_pool2d = col2im(g at each window's first maximum, 0 at the other offsets)
    def backward(self, g, out, x):
        (n, c, h, w), (eh, ew) = self.shape, self.extra
        grown = (n, c, h + eh, w + ew)  # the input with ceil_mode's extra rows and columns
        if not isinstance(g, Tensor):
            gx = _unpool(g, self.where, grown, self.geometry)
            return (np.ascontiguousarray(gx[:, :, :h, :w]) if eh or ew else gx,)
        (kh, kw), (n, c, oh, ow) = self.geometry[0], g.shape
        onehot = self.where[:, :, None] == np.arange(kh * kw)[:, None, None]  # (N, C, kh kw, OH, OW)
        onehot = Tensor(onehot.reshape(n, c, kh, kw, oh, ow).astype(g.data.dtype))
        gx = _col2im(g.reshape(n, c, 1, 1, oh, ow) * onehot, grown, self.geometry)
        return (gx[:, :, :h, :w] if eh or ew else gx,)


def flat_indices(where: np.ndarray, width: int, kernel, stride, padding, dilation) -> np.ndarray:
    """Window offsets p kw + q (N, C, OH, OW) -> PyTorch's indices: the winner's flat
    position row W + column in its (unpadded) input plane of width `width`, int64."""
    kw, (sh, sw), (ph, pw), (dh, dw) = kernel[1], stride, padding, dilation
    oh, ow = where.shape[-2:]
    where = where.astype(np.int64)
    rows = (where // kw) * dh + (np.arange(oh) * sh - ph)[:, None]
    cols = (where % kw) * dw + (np.arange(ow) * sw - pw)[None, :]
    return (rows * width + cols).astype(np.int64)


def _unpool(g: np.ndarray, where: np.ndarray, shape, geometry) -> np.ndarray:
    """The ndarray backward, the same sums as col2im without building the columns: one
    strided slice per kernel offset receives g where that offset won. Windows that never
    overlap (stride >= the dilated kernel, e.g. stride = kernel) are written directly."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = geometry
    n, c, oh, ow = g.shape
    full = np.zeros((n, c, shape[2] + 2 * ph, shape[3] + 2 * pw), dtype=g.dtype)
    apart = sh > dh * (kh - 1) and sw > dw * (kw - 1)
    for p in range(kh):
        for q in range(kw):
            hit = (where == p * kw + q) * g
            window = full[
                :, :, p * dh : p * dh + sh * (oh - 1) + 1 : sh, q * dw : q * dw + sw * (ow - 1) + 1 : sw
            ]
            if apart:
                window[...] = hit
            else:
                window += hit
    return np.ascontiguousarray(full[:, :, ph : ph + shape[2], pw : pw + shape[3]]) if ph or pw else full


def window_winners(data: np.ndarray, geometry: tuple, extra: tuple, size: tuple, low: Any) -> tuple:
    """(first, rows, columns): each window's first maximum (and first NaN) as an offset
    into the window and as row/column indices into the padded input."""
    kernel, stride, padding, dilation = geometry
    (kh, kw), (sh, sw), (dh, dw), (eh, ew), (oh, ow) = kernel, stride, dilation, extra, size
    n, c = data.shape[:2]
    data = np.pad(data, ((0, 0), (0, 0), (0, eh), (0, ew)), constant_values=low) if eh or ew else data
    cols = im2col(data, kernel, stride, padding, dilation, value=low).reshape(n, c, kh * kw, oh, ow)
    first = np.argmax(cols, axis=2)
    rows = (first // kw) * dh + np.arange(oh)[:, None] * sh
    return first, rows, (first % kw) * dw + np.arange(ow)[None, :] * sw


class Winners:
    """Where `MaxPool2d.forward` leaves each window's winning offset for return_indices.
    An output, not a constant: any two compare equal (a jit trace compares constants)."""

    __slots__ = ("where",)
    where: np.ndarray

    def __eq__(self, other: object) -> bool:  # (and so not hashable)
        return type(other) is Winners


def kept_indices(keep: Winners, width: int, geometry: tuple) -> np.ndarray:
    """The flat indices of the winners the fused op left in `keep` (its latest call's)."""
    return flat_indices(keep.where, width, *geometry)
