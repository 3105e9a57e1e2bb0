"""`MultiheadAttention`, with PyTorch's parameter names, shapes and initialisation (so a
PyTorch state dict loads); the math is `F.linear` and `F.scaled_dot_product_attention`."""

from __future__ import annotations

import math
from typing import Any, cast

import numpy as np

from .. import _checks as checks
from .. import functional as F
from ..functional.attention import attention_weights
from ..rng import as_generator
from ..tensor import Tensor, get_default_dtype
from . import init
from .layers import Linear, _input_tensor
from .module import Module
from .parameter import Parameter


def _float_mask(name: str, mask: Any, dtype: Any) -> np.ndarray | None:
    """A MultiheadAttention mask as an additive float array: a bool mask's True means the
    key is *left out* (PyTorch's MultiheadAttention meaning, the opposite of SDPA's) -> -inf."""
    if mask is None:
        return None
    m = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if m.dtype == bool:
        return np.where(m, -np.inf, 0.0).astype(dtype)
    if m.dtype.kind != "f":
        raise TypeError(f"MultiheadAttention: {name} must be bool or float, got dtype {m.dtype}")
    return m.astype(dtype, copy=False)


class MultiheadAttention(Module):
    """PyTorch's `nn.MultiheadAttention(embed_dim, num_heads, dropout=0.0, bias=True,
    batch_first=False)` (same key and value size as the query: no kdim/vdim, bias_kv or
    zero_attn).

    Parameters: `in_proj_weight` (3E, E) (the q, k, v projections stacked; xavier_uniform_),
    `in_proj_bias` (3E,) (zeros; None without bias), `out_proj` a Linear E -> E (its weight
    Linear's default, its bias zeros), as in PyTorch.

    `forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`: query (L, N, E), key/value (S, N, E)
    ((N, L, E), (N, S, E) with `batch_first`; unbatched (L, E), (S, E) too).
    `key_padding_mask` (N, S) and `attn_mask` (L, S) or (N * num_heads, L, S): bool (True =
    left out) or float (added). `is_causal` is PyTorch's hint that `attn_mask` is the causal
    mask (it needs `attn_mask`). Returns (output of the query's shape, weights (N, L, S)
    averaged over heads, (N, num_heads, L, S) with `average_attn_weights=False`, or None
    without `need_weights`). Dropout on the attention weights in training mode only.
    Differentiable in the inputs and all parameters. Without weights the fused attention
    node runs; with them the weights are composed (as PyTorch's explicit path).
    """

    in_proj_bias: Parameter | None  # (registered in __init__)

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        batch_first: bool = False,
        rng: int | np.random.Generator | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        embed_dim = checks.integer("MultiheadAttention", "embed_dim", embed_dim, low=1)
        num_heads = checks.integer("MultiheadAttention", "num_heads", num_heads, low=1)
        if embed_dim % num_heads:
            raise ValueError(
                f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})"
            )
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.dropout = checks.number("MultiheadAttention", "dropout", dropout, low=0.0, high=1.0)
        self.batch_first = checks.boolean("MultiheadAttention", "batch_first", batch_first)
        bias = checks.boolean("MultiheadAttention", "bias", bias)
        dtype = checks.float_dtype("MultiheadAttention", "dtype", dtype)
        dtype = get_default_dtype() if dtype is None else dtype
        generator = as_generator(rng, "MultiheadAttention", "rng")
        self._rng = None if rng is None else generator
        self.in_proj_weight = Parameter(np.zeros((3 * embed_dim, embed_dim), dtype=dtype))
        init.xavier_uniform_(self.in_proj_weight, generator=generator)
        in_bias = Parameter(np.zeros(3 * embed_dim, dtype=dtype)) if bias else None
        self.register_parameter("in_proj_bias", in_bias)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, rng=generator, dtype=dtype)
        if bias:
            init.zeros_(cast(Parameter, self.out_proj.bias))  # (bias=True: it exists)

    def _bias(
        self, key_padding_mask: Any, attn_mask: Any, n: int, shape_ls: tuple[int, int], dtype: Any
    ) -> np.ndarray | None:
        """Both masks as one additive array broadcastable to (N, H, L, S)."""
        total = None
        m = _float_mask("attn_mask", attn_mask, dtype)
        if m is not None:
            if m.ndim == 3:
                want = (n * self.num_heads,) + shape_ls
                if m.shape != want:
                    raise ValueError(
                        f"MultiheadAttention: a 3-D attn_mask must be {want} "
                        f"(N * num_heads, L, S), got {m.shape}"
                    )
                m = m.reshape((n, self.num_heads) + shape_ls)
            elif m.shape != shape_ls:
                raise ValueError(
                    f"MultiheadAttention: a 2-D attn_mask must be {shape_ls} (L, S), got {m.shape}"
                )
            total = m
        pad = _float_mask("key_padding_mask", key_padding_mask, dtype)
        if pad is not None:
            if pad.shape != (n, shape_ls[1]):
                raise ValueError(
                    f"MultiheadAttention: key_padding_mask must be {(n, shape_ls[1])} (N, S), got {pad.shape}"
                )
            pad = pad[:, None, None, :]
            total = pad if total is None else total + pad
        return total

    def forward(
        self,
        query: Any,
        key: Any,
        value: Any,
        key_padding_mask: Any = None,
        need_weights: bool = True,
        attn_mask: Any = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        dtype = self.in_proj_weight.data.dtype
        q, k, v = (
            x if isinstance(x, Tensor) else _input_tensor("MultiheadAttention", x, dtype)
            for x in (query, key, value)
        )
        if is_causal and attn_mask is None:
            raise ValueError(
                "MultiheadAttention: is_causal=True is a hint about attn_mask; pass the causal "
                "attn_mask too (as PyTorch)"
            )
        unbatched = q.ndim == 2
        if unbatched:
            q, k, v = q.unsqueeze(0), k.unsqueeze(0), v.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = np.asarray(getattr(key_padding_mask, "data", key_padding_mask))[None]
        elif not self.batch_first:  # (L, N, E) -> (N, L, E)
            q, k, v = q.swapaxes(0, 1), k.swapaxes(0, 1), v.swapaxes(0, 1)
        E, H, D = self.embed_dim, self.num_heads, self.head_dim
        if (
            q.ndim != 3
            or k.ndim != 3
            or v.ndim != 3
            or q.shape[-1] != E
            or k.shape[-1] != E
            or v.shape[-1] != E
            or k.shape[:2] != v.shape[:2]
            or q.shape[0] != k.shape[0]
        ):
            raise ValueError(
                f"MultiheadAttention: expected query (N, L, {E}), key and value (N, S, {E}) "
                f"(batch first), got {q.shape}, {k.shape}, {v.shape}"
            )
        n, L, S = q.shape[0], q.shape[1], k.shape[1]
        w, b = self.in_proj_weight, self.in_proj_bias
        heads = []
        for i, x in enumerate((q, k, v)):  # project, then (N, len, E) -> (N, H, len, D)
            xi = F.linear(x, w[i * E : (i + 1) * E], None if b is None else b[i * E : (i + 1) * E])
            heads.append(xi.reshape(n, x.shape[1], H, D).swapaxes(1, 2))
        bias = self._bias(key_padding_mask, attn_mask, n, (L, S), dtype)
        p_drop = self.dropout if self.training else 0.0
        weights = None
        if need_weights:  # the weights themselves are wanted: composed, as PyTorch's explicit path
            weights = attention_weights(heads[0], heads[1], 1.0 / math.sqrt(D), bias)
            attended = F.dropout(weights, p_drop, training=p_drop > 0, rng=self._rng)
            weights, out = attended, attended @ heads[2]
            if average_attn_weights:
                weights = weights.mean(axis=1)
            if unbatched:
                weights = weights[0]
        else:
            mask = None if bias is None else Tensor(bias)
            q_h, k_h, v_h = heads
            out = F.scaled_dot_product_attention(
                q_h, k_h, v_h, attn_mask=mask, dropout_p=p_drop, rng=self._rng
            )
        out = self.out_proj(out.swapaxes(1, 2).reshape(n, L, E))
        if unbatched:
            out = out[0]
        elif not self.batch_first:
            out = out.swapaxes(0, 1)
        return out, weights

    def extra_repr(self) -> str:
        return (
            f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, "
            f"batch_first={self.batch_first}"
        )
