"""Scaled dot-product attention, PyTorch's `F.scaled_dot_product_attention`: the fused op
(`ops.ScaledDotProductAttention`, one node) and its composed twin (`fused=False`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd.trace import replayed
from ..ops.attention import ScaledDotProductAttention
from ..rng import as_generator
from ..tensor import Tensor
from .activations import as_tensor
from .scopes import named_scope


def _mask_array(attn_mask: Any) -> np.ndarray | None:
    if attn_mask is None:
        return None
    mask = np.asarray(attn_mask.data if isinstance(attn_mask, Tensor) else attn_mask)
    if mask.dtype != bool and mask.dtype.kind != "f":
        raise TypeError(
            f"scaled_dot_product_attention: attn_mask must be bool or float, got dtype {mask.dtype}"
        )
    return mask


def _check(q: Tensor, k: Tensor, v: Tensor) -> None:
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise ValueError(
            f"scaled_dot_product_attention: q, k, v need at least 2 dims (..., L, E), "
            f"got shapes {q.shape}, {k.shape}, {v.shape}"
        )
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"scaled_dot_product_attention: q (..., L, E), k (..., S, E), v (..., S, Ev) do not "
            f"fit: got shapes {q.shape}, {k.shape}, {v.shape}"
        )


def attention_bias(
    shape_ls: tuple[int, int], attn_mask: Any, is_causal: bool, dtype: Any
) -> np.ndarray | None:
    """The additive constant of the scores, shape broadcastable to (..., L, S): 0 where a
    key takes part, -inf where not (a bool `attn_mask`: True takes part; `is_causal`: the
    lower triangle, aligned top-left as PyTorch), or a float `attn_mask` itself."""
    mask = _mask_array(attn_mask)
    if is_causal:
        if mask is not None:
            raise ValueError("scaled_dot_product_attention: pass attn_mask or is_causal=True, not both")
        mask = np.tril(np.ones(shape_ls, dtype=bool))
    if mask is None:
        return None
    if mask.dtype == bool:
        return np.where(mask, 0.0, -np.inf).astype(dtype)
    return mask.astype(dtype, copy=False)


@replayed  # tinygrad_ce.jit draws a fresh mask at each replay
def _dropout_keep(shape: tuple[int, ...], p: float, dtype: Any, rng: Any) -> np.ndarray | None:
    """The constant dropout mask divided by (1 - p) (zeros for p = 1), or None for p = 0."""
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
        raise ValueError(
            f"scaled_dot_product_attention: dropout_p must be a probability in [0, 1], got {p!r}"
        )
    if p == 0:
        return None
    keep = as_generator(rng, "scaled_dot_product_attention", "rng").random(shape) >= p
    return (keep * (0.0 if p == 1 else 1.0 / (1.0 - p))).astype(dtype)


def _without_empty_rows(bias: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray | None]:
    """A query row that no key takes part in (all -inf) gets weights 0, as PyTorch's SDPA:
    its bias becomes 0 (a finite softmax) and the returned factor (..., L, 1) zeroes it."""
    if bias is None:
        return None, None
    empty = np.isneginf(bias).all(axis=-1, keepdims=True)
    if not empty.any():
        return bias, None
    return np.where(empty, 0, bias).astype(bias.dtype), (~empty).astype(bias.dtype)


def attention_weights(q: Tensor, k: Tensor, scale: float, bias: np.ndarray | None) -> Tensor:
    """softmax(q k^T * scale + bias) over the keys, composed from Tensor ops: (..., L, S)."""
    scores = (q @ k.mT) * scale
    return (scores if bias is None else scores + Tensor(bias)).softmax(-1)


def scaled_dot_product_attention(
    q: Any,
    k: Any,
    v: Any,
    attn_mask: Any = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    fused: bool = True,
    rng: Any = None,
) -> Tensor:
    """softmax(q k^T * scale + mask) v, PyTorch's meaning and numbers.

    q (..., L, E), k (..., S, E), v (..., S, Ev) -> (..., L, Ev); the batch dims broadcast.
    `attn_mask` broadcastable to (..., L, S): bool (True = the key takes part, as PyTorch)
    or float (added to the scores); `is_causal`: the lower-triangular mask (not with
    `attn_mask`); `scale` defaults to 1/sqrt(E). `dropout_p` > 0 drops attention weights
    (scaling the rest by 1/(1-p)) with a mask from `rng` or the package's generator
    (`tg.manual_seed`); it is always applied, as in PyTorch (pass 0 in eval). A query that
    the mask leaves no key gets output 0 (and gradient 0), as PyTorch's. Differentiable in
    q, k and v, to any order; the mask is a constant.

    `fused=True`: one `scaled_dot_product_attention` node with the closed-form backward
    (`dS = P * (dP - sum(P * dP))`, see `ops.attention`); `fused=False`: the composed twin,
    whose gradient comes from the recorded graph. Both agree to float rounding.
    """
    q = as_tensor(q, "scaled_dot_product_attention", "q")
    k = as_tensor(k, "scaled_dot_product_attention", "k")
    v = as_tensor(v, "scaled_dot_product_attention", "v")
    _check(q, k, v)
    L, S = q.shape[-2], k.shape[-2]
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    bias = attention_bias((L, S), attn_mask, is_causal, q.dtype)
    try:
        shape = np.broadcast_shapes(
            q.shape[:-1] + (S,), k.shape[:-2] + (L, S), () if bias is None else bias.shape
        )
    except ValueError:
        raise ValueError(
            "scaled_dot_product_attention: attn_mask of shape "
            f"{None if bias is None else bias.shape} does not broadcast "
            f"to the scores' shape {q.shape[:-1] + (S,)}"
        ) from None
    keep = _dropout_keep(shape, dropout_p, q.dtype, rng)
    bias, rows = _without_empty_rows(bias)
    if rows is not None:
        keep = rows if keep is None else keep * rows
    if fused:
        return ScaledDotProductAttention.apply(q, k, v, scale=scale, bias=bias, keep=keep)
    with named_scope("scaled_dot_product_attention"):
        p = attention_weights(q, k, scale, bias)  # the twin: what the fused op computes, step by step
        if keep is not None:
            p = p * Tensor(keep)
        return p @ v
