"""Fused ops: one node with a closed-form backward, each beside the identity that makes
it agree with its composed twin (the readable definition, selected by `fused=False`)."""

from __future__ import annotations

import math

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
        need = self.needs_grad
        gx = g @ weight if need[0] else None
        rows = g.reshape(-1, g.shape[-1])  # rows of g, whatever the leading dims
        gw = rows.T @ x.reshape(-1, x.shape[-1]) if need[1] else None
        if not bias:
            return gx, gw
        return gx, gw, (rows.sum(axis=0) if need[2] else None)


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
        if x.ndim != 2:
            x = x.reshape(-1, x.shape[-1])
        if targets.valid is not None:  # ignored rows count as zeros: their inf/nan can't leak
            x = np.where(targets.valid[:, None] > 0, x, 0)
        z = x - np.maximum.reduce(x, axis=-1, keepdims=True)  # z = x - max(x) <= 0
        weighted_z = targets.weighted_sum(z)  # sum_c w_c q_ic z_ic, per row
        p = np.exp(z, out=z)  # in place: z is not needed any more
        total = np.add.reduce(p, axis=-1, keepdims=True)
        p /= total
        self.saved = p  # softmax(x), for the backward
        lse = np.log(total[:, 0])
        losses = (lse if targets.row_total is None else targets.row_total * lse) - weighted_z
        if reduction == "none":
            return losses.reshape(targets.lead_shape)
        total_loss = np.add.reduce(losses)
        if reduction == "sum":
            return np.asarray(total_loss)
        return np.asarray(total_loss / targets.denominator if targets.denominator else np.nan, dtype=x.dtype)

    def backward(self, g, out, x):  # d loss / dz_ij = p_ij sum_c(w_c q_ic) - w_j q_ij
        t = self.targets
        m = math.prod(t.lead_shape)
        if self.reduction == "none":
            scale = g.reshape(m, 1)
        elif self.reduction == "mean":  # a mean over zero weight: nan loss, zero gradient
            scale = g / t.denominator if t.denominator else g * 0
        else:
            scale = g
        row_total = None if t.row_total is None else t.row_total.reshape(m, 1)
        if isinstance(x, Tensor):  # recorded backward: p from the composed softmax
            rows = x.reshape(m, t.classes)
            p = (rows if t.valid is None else where(t.valid[:, None] > 0, rows, 0)).softmax(-1)
            p_scaled = p if row_total is None else p * row_total
            return (((p_scaled - t.dense()) * scale).reshape(x.shape),)
        grad = self.saved * (scale if row_total is None else row_total * scale)
        t.subtract_coefficients(grad, scale)  # grad -= w q * scale, sparse for class indices
        return (grad.reshape(x.shape),)
