"""Fused scaled dot-product attention: one node with the closed-form backward, beside the
identity that makes it agree with its composed twin
(`functional.scaled_dot_product_attention(..., fused=False)`: matmul, scale, mask, softmax,
dropout, matmul written with Tensor ops)."""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..tensor import Tensor


def _softmax(s: np.ndarray) -> np.ndarray:
    """softmax over the last axis, the max subtracted first (a row that is all -inf gives nan, as PyTorch)."""
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


class ScaledDotProductAttention(Function):
    """out = dropout(softmax(q k^T * scale + bias)) v as one node.

    q (..., L, E), k (..., S, E), v (..., S, Ev) -> (..., L, Ev); batch dims broadcast.
    `scale` a Python float; `bias` a constant float array broadcastable to (..., L, S)
    (a bool mask arrives as 0 / -inf) or None; `keep` a constant factor of the weights
    (the dropout mask divided by (1 - p), zero on rows that attend to nothing), or None.
    Differentiable in q, k and v (to any order: the recorded backward recomputes P from
    q and k with Tensor ops).
    """

    __slots__ = ("scale", "bias", "keep")
    name = "scaled_dot_product_attention"
    fused = True

    def forward(self, q, k, v, scale, bias=None, keep=None):
        self.scale, self.bias, self.keep = scale, bias, keep
        s = (q @ k.swapaxes(-1, -2)) * scale
        if bias is not None:
            s = s + bias
        p = _softmax(s)
        self.saved = p  # softmax weights before dropout, for the backward
        return (p if keep is None else p * keep) @ v

    # With S = q k^T scale + bias, P = softmax(S), A = P * keep, out = A v:
    #   dv = A^T g;  dA = g v^T;  dP = dA * keep;  dS = P * (dP - sum_j(P * dP))  (softmax's JVP)
    #   dq = dS k scale;  dk = dS^T q scale
    def backward(self, g, out, q, k, v):
        if isinstance(q, Tensor):  # recorded backward: P from the composed softmax
            s = (q @ k.swapaxes(-1, -2)) * self.scale
            p = (s if self.bias is None else s + self.bias).softmax(-1)
        else:
            p = self.saved
        keep = self.keep
        a = p if keep is None else p * keep
        need_q, need_k, need_v = self.needs_grad
        dv = a.swapaxes(-1, -2) @ g if need_v else None
        if not (need_q or need_k):
            return None, None, dv
        dp = g @ v.swapaxes(-1, -2)
        if keep is not None:
            dp = dp * keep
        ds = p * (dp - (p * dp).sum(axis=-1, keepdims=True)) * self.scale
        dq = ds @ k if need_q else None
        dk = ds.swapaxes(-1, -2) @ q if need_k else None
        return dq, dk, dv
