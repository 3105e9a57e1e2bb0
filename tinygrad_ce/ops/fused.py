"""Fused ops: one node with a closed-form backward, each beside the identity that makes
it agree with its composed twin (the readable definition, selected by `fused=False`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd import Function
from ..autograd.sums import leading_sum, row_sums
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
        return gx, gw, (leading_sum(rows, 1) if parents[2].requires_grad else None)


class SoftmaxCrossEntropy(Function):
    """Fused softmax + cross-entropy over the last axis of (*, C) logits.

    loss_i = sum_c w_c q_ic (lse_i - x_ic), lse = log sum exp x (computed shifted);
    the coefficients w_c q_ic come from `functional.targets.Targets`. Twin: log_softmax,
    indexing, multiply and sum (`cross_entropy(..., fused=False)`).
    """

    __slots__ = ("targets", "reduction")
    name = "softmax_cross_entropy"
    fused = True

    def forward(self, x, targets, reduction):
        self.targets, self.reduction = targets, reduction
        buf, total, losses = _exponentials(x, targets)
        self.saved = (buf, total)  # exp(x - shift) and its row sums: p = buf / total
        if reduction == "none":
            return losses.reshape(targets.lead_shape)
        total_loss = np.add.reduce(losses)
        if reduction == "sum":
            return np.asarray(total_loss)
        return np.asarray(total_loss / targets.denominator if targets.denominator else np.nan, dtype=x.dtype)

    def backward(self, g, out, x):  # d loss / dz_ij = p_ij sum_c(w_c q_ic) - w_j q_ij
        t, reduction = self.targets, self.reduction
        row_total = None if t.row_total is None else t.row_total.reshape(-1, 1)
        if isinstance(x, Tensor):  # recorded backward: p from the composed softmax
            scale = _scale(g, t, reduction)
            rows = x.reshape(math.prod(t.lead_shape), t.classes)
            p = (rows if t.valid is None else where(t.valid[:, None] > 0, rows, 0)).softmax(-1)
            p_scaled = p if row_total is None else p * row_total
            plain = t.soft is None and t.uniform_coef is None and t.target_coef is None
            y = Tensor(t.dense(), name="one-hot targets" if plain else "target weights")
            return (((p_scaled - y) * scale).reshape(x.shape),)
        buf, total = self.saved
        if buf is None:  # a second backward (retain_graph): the first one gave its buffer away
            buf, total = _exponentials(x, t, loss=False)[:2]
        # (a Python number for a 0-d g: no 0-d array arithmetic, a NumPy call each)
        scale = _scale(g if reduction == "none" else float(g), t, reduction)
        factor = scale / total if row_total is None else (row_total * scale) / total
        grad = buf if buf.ndim == 2 else buf.reshape(len(total), t.classes)  # (a view of buf)
        if factor.dtype != grad.dtype:
            factor = factor.astype(grad.dtype)
        np.multiply(grad, factor, out=grad)  # p * scale, in place
        t.subtract_coefficients(grad, scale)  # grad -= w q * scale, sparse for class indices
        self.saved = (None, total)  # buf is the gradient now, owned by the caller
        return (buf,)  # x's shape, a fresh array (not a view): the engine keeps it, uncopied


def _scale(g: Any, targets: Any, reduction: str) -> Any:
    """d loss / d (each row's loss), from the incoming gradient `g` (a number, an
    ndarray or a Tensor): 1/denominator for "mean" (0 for a mean over zero weight: a nan
    loss, zero gradient), g per row (M, 1) for "none", g for "sum"."""
    if reduction == "mean":
        return g / targets.denominator if targets.denominator else g * 0
    return g.reshape(-1, 1) if reduction == "none" else g


_LIMITS: dict[np.dtype, float] = {}


def _exp_limit(dtype: np.dtype) -> float:
    """How far from the shift the logits' row maxima may lie for exp() with one shift
    shared by every row: 0.45 ln(max float), 39.9 for float32. Elements that underflow
    then are below e^-47 of their row's largest, far under float32's epsilon. (-1:
    never, for float16.)"""
    limit = _LIMITS.get(dtype)
    if limit is None:
        limit = _LIMITS[dtype] = 0.45 * math.log(float(np.finfo(dtype).max)) if dtype.itemsize >= 4 else -1.0
    return limit


def _exponentials(x: np.ndarray, targets: Any, loss: bool = True) -> tuple:
    """(buf, total, losses) for (*, C) logits `x`: `buf`, a fresh array of x's shape,
    holds exp(x - shift) (rows as (M, C)) and `total` (M, 1) its row sums, so that
    softmax(x) = buf / total; with `loss`, losses (M,) is each row's
    sum_c w_c q_ic (log sum_c' exp x_ic' - x_ic). Ignored rows count as zeros, so their
    inf/nan cannot leak. Nothing is normalized here (the backward scales once)."""
    buf = np.empty(x.shape, dtype=x.dtype)
    e = buf if buf.ndim == 2 else buf.reshape(-1, x.shape[-1])
    src = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
    if targets.valid is not None:
        np.copyto(e, src)
        e[targets.valid == 0] = 0
        src = e
    if targets.soft is None and targets.uniform_coef is None:
        found = _shared_shift(src, e, targets, loss)
        if found is not None:
            return (buf, *found)
    top = np.maximum.reduce(src, axis=-1, keepdims=True)  # (M, 1) row maxima
    np.subtract(src, top, out=e)
    weighted_z = targets.weighted_sum(e) if loss else None  # sum_c w_c q_ic z_ic, z = x - max
    np.exp(e, out=e)
    total = row_sums(e)
    if not loss:
        return buf, total, None
    lse = np.log(total[:, 0])  # log sum_c exp z_ic
    return buf, total, (lse if targets.row_total is None else targets.row_total * lse) - weighted_z


def _shared_shift(src: np.ndarray, e: np.ndarray, targets: Any, loss: bool) -> tuple | None:
    """(total, losses) with exp(x - s) for one shift s shared by all rows (0, or the
    largest logit when that is beyond +-_exp_limit): no pass for row maxima nor a
    subtraction when s = 0. Each row's loss is log(total / exp(x_target - s)), both
    read from `e` (good to ~eps absolute, as the row-max path). None, for the row-max
    path, when a logit is inf/nan or some row's target term is below C e^-limit: then
    its row's largest term may be below e^-limit (its smaller terms underflowed) or its
    loss is over ~40 (only then can the target term lose precision). With `loss` False
    the check is on each row's total instead."""
    limit = _exp_limit(e.dtype)
    if not src.size:
        return None
    peak = np.maximum.reduce(src, axis=None)
    if not (limit > 0 and math.isfinite(peak)):
        return None
    shift = 0.0 if -limit <= peak <= limit else float(peak)
    if shift:
        np.exp(np.subtract(src, e.dtype.type(shift), out=e), out=e)
    else:
        np.exp(src, out=e)
    total = row_sums(e)
    least = e.shape[-1] * math.exp(-limit)  # (a row's largest term is at least total / C)
    if not loss:
        return (total, None) if np.minimum.reduce(total, axis=None) >= least else None
    flat = targets.flat if targets.flat is not None else targets.rows * e.shape[-1] + targets.index
    target_terms = e.reshape(-1)[flat]  # exp(x_target - s), one per row (a fresh array)
    if not np.minimum.reduce(target_terms) >= least:  # (1-d: no axis argument to parse)
        return None
    losses = np.log(np.divide(total[:, 0], target_terms, out=target_terms), out=target_terms)
    return total, (losses if targets.target_coef is None else losses * targets.target_coef)
