"""Fused ops: one node with a closed-form backward, each beside the identity that makes
it agree with its composed twin (the readable definition, selected by `fused=False`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from .elementwise import where


class Linear(Function):
    """x @ weight.T + bias as one node (PyTorch's addmm): x (*, in), weight (out, in),
    bias (out,). Twin: `x @ weight.T + bias` written with Tensor ops."""

    __slots__ = ()
    name = "linear"
    fused = True

    def forward(self, x, weight, bias=None):
        out = x @ weight.T
        if bias is not None:
            out += bias
        return out

    def backward(self, g, out, x, weight, *bias):  # d(x W^T + b) = dx W^T + x dW^T + db
        parents = self.parents  # (what `needs_grad` reads, without building its tuple)
        gx = g @ weight if parents[0].requires_grad else None
        rows = g.reshape(-1, g.shape[-1])  # rows of g, whatever the leading dims
        gw = rows.T @ x.reshape(-1, x.shape[-1]) if parents[1].requires_grad else None
        if not bias:
            return gx, gw
        return gx, gw, (rows.sum(axis=0) if parents[2].requires_grad else None)


class SoftmaxCrossEntropy(Function):
    """Fused softmax + cross-entropy over the last axis of (*, C) logits.

    loss_i = sum_c w_c q_ic (lse_i - z_ic) with z = x - max(x), lse = log sum exp z;
    the coefficients w_c q_ic come from `functional.targets.Targets`. Twin: log_softmax,
    indexing, multiply and sum (`cross_entropy(..., fused=False)`).
    """

    __slots__ = ("targets", "reduction")
    name = "softmax_cross_entropy"
    fused = True

    def forward(self, x, targets, reduction):
        self.targets, self.reduction = targets, reduction
        buf, total, weighted_z, lse = _exponentials(x, targets)
        self.saved = (buf, total)  # exp(x - shift) and its row sums: p = buf / total
        losses = (lse if targets.row_total is None else targets.row_total * lse) - weighted_z
        if reduction == "none":
            return losses.reshape(targets.lead_shape)
        total_loss = np.add.reduce(losses)
        if reduction == "sum":
            return np.asarray(total_loss)
        return np.asarray(total_loss / targets.denominator if targets.denominator else np.nan, dtype=x.dtype)

    def backward(self, g, out, x):  # d loss / dz_ij = p_ij sum_c(w_c q_ic) - w_j q_ij
        t, reduction = self.targets, self.reduction
        if reduction == "mean":  # a mean over zero weight: nan loss, zero gradient
            scale = g / t.denominator if t.denominator else g * 0
        elif reduction == "none":
            scale = g.reshape(-1, 1)
        else:
            scale = g
        row_total = None if t.row_total is None else t.row_total.reshape(-1, 1)
        if isinstance(x, Tensor):  # recorded backward: p from the composed softmax
            rows = x.reshape(math.prod(t.lead_shape), t.classes)
            p = (rows if t.valid is None else where(t.valid[:, None] > 0, rows, 0)).softmax(-1)
            p_scaled = p if row_total is None else p * row_total
            plain = t.soft is None and t.uniform_coef is None and t.target_coef is None
            y = Tensor(t.dense(), name="one-hot targets" if plain else "target weights")
            return (((p_scaled - y) * scale).reshape(x.shape),)
        buf, total = self.saved
        if buf is None:  # a second backward (retain_graph): the first one gave its buffer away
            buf, total = _exponentials(x, t, loss=False)[:2]
        factor = scale / total if row_total is None else (row_total * scale) / total
        grad = buf if buf.ndim == 2 else buf.reshape(len(total), t.classes)  # (a view of buf)
        np.multiply(grad, factor.astype(grad.dtype, copy=False), out=grad)  # p * scale, in place
        t.subtract_coefficients(grad, scale)  # grad -= w q * scale, sparse for class indices
        self.saved = (None, total)  # buf is the gradient now, owned by the caller
        return (buf,)  # x's shape, a fresh array (not a view): the engine keeps it, uncopied


_FAST_SIZE = 1 << 15  # below this many logits a pass costs less than the checks that skip one
_LIMITS: dict[np.dtype, float] = {}


def _exp_limit(dtype: np.dtype) -> float:
    """How far from 0 the logits may lie for exp() without a shift (or their row maxima
    spread with one shared shift): 0.45 ln(max float), 39.9 for float32. Elements that
    underflow then are below e^-48 of their row's largest, far under float32's epsilon.
    (-1: never, for float16.)"""
    limit = _LIMITS.get(dtype)
    if limit is None:
        limit = _LIMITS[dtype] = 0.45 * math.log(float(np.finfo(dtype).max)) if dtype.itemsize >= 4 else -1.0
    return limit


def _exponentials(x: np.ndarray, targets: Any, loss: bool = True) -> tuple:
    """(buf, total, weighted_z, lse) for (*, C) logits `x`: `buf`, a fresh array of x's
    shape, holds exp(x - shift) (rows as (M, C)) and `total` (M, 1) its row sums, so that
    softmax(x) = buf / total; with `loss`, weighted_z = sum_c w_c q_ic z_ic and
    lse = log sum_c exp z_ic per row, for z = x - max(x) (the row max).

    The shift is the row max (one broadcast subtraction pass) only when needed: for class
    indices without smoothing, exp(x) is taken directly when every row max is within
    +-_exp_limit, or with the global max as a scalar shift when the row maxima spread
    less than that; the loss then uses only each row's target logit minus its max.
    Ignored rows count as zeros, so their inf/nan cannot leak. Passes over (M, C): max,
    [subtract], exp, sum; nothing is normalized here (the backward scales once)."""
    buf = np.empty(x.shape, dtype=x.dtype)
    e = buf if buf.ndim == 2 else buf.reshape(-1, x.shape[-1])
    src = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
    if targets.valid is not None:
        np.copyto(e, src)
        e[targets.valid == 0] = 0
        src = e
    top = np.maximum.reduce(src, axis=-1, keepdims=True)  # (M, 1) row maxima
    shift: Any = top
    if targets.soft is None and targets.uniform_coef is None and e.size >= _FAST_SIZE:
        lo, hi, limit = (
            np.minimum.reduce(top, axis=None),
            np.maximum.reduce(top, axis=None),
            _exp_limit(e.dtype),
        )
        if -limit <= lo and hi <= limit:  # (False for nan and inf)
            shift = None
        elif hi - lo <= limit:
            shift = hi
    weighted_z = None
    if loss and shift is not top:  # (before the exp: src may be buf itself)
        weighted_z = targets.weighted_sum_shifted(src, top[:, 0])
    if shift is None:
        np.exp(src, out=e)
    else:
        np.subtract(src, shift, out=e)
        if loss and shift is top:
            weighted_z = targets.weighted_sum(e)  # sum_c w_c q_ic z_ic, per row
        np.exp(e, out=e)
    total = np.add.reduce(e, axis=-1, keepdims=True)
    if not loss:
        return buf, total, None, None
    if shift is top:
        lse = np.log(total[:, 0])
    else:  # total = exp(max - shift) sum exp z: rescaled before the log, which stays exact
        lse = np.log(total[:, 0] * np.exp((0 if shift is None else shift) - top[:, 0]))
    return buf, total, weighted_z, lse
