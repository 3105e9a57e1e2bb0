"""Normalization (`layer_norm`, `batch_norm`) and `embedding`.

`fused=True` (the default) runs one `ops.LayerNorm` / `ops.BatchNorm` node with a
closed-form backward; `fused=False` is the composed twin below, written with public
Tensor ops: the definition, whose graph gives the same gradients to float rounding

    xhat = (x - mean(x)) * rsqrt(var(x, correction=0) + eps);  out = xhat * weight + bias
    # d xhat = (g - mean(g) - xhat * mean(g * xhat)) / sigma   (the fused backward)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.trace import replayed
from ..ops import BatchNorm, LayerNorm
from ..tensor import Tensor
from .activations import as_tensor, where


def _floating(x: Any, op: str, argument: str) -> Tensor:
    t = as_tensor(x, op, argument)
    if t.dtype.kind != "f":
        raise TypeError(f"{op}: {argument} must be a floating-point tensor, got dtype {t.dtype}")
    return t


def _optional(p: Any, shape: tuple[int, ...], op: str, argument: str) -> Tensor | None:
    """weight/bias: None, or a float tensor of exactly `shape` (named in the error)."""
    if p is None:
        return None
    t = _floating(p, op, argument)
    if t.shape != shape:
        raise ValueError(f"{op}: {argument} must have shape {shape}, got shape {t.shape}")
    return t


def _affine(x: Tensor, weight: Tensor | None, bias: Tensor | None) -> list[Tensor]:
    """The fused ops' parameter inputs: (), (w,) or (w, b); a bias alone gets a constant weight 1."""
    if weight is None and bias is not None:
        weight = Tensor(np.ones(bias.shape, dtype=bias.dtype))
    return [p for p in (weight, bias) if p is not None]


def layer_norm(
    x: Any, normalized_shape: Any, weight: Any = None, bias: Any = None, eps: float = 1e-5, fused: bool = True
) -> Tensor:
    """Normalize over the last len(normalized_shape) axes: x (*, *normalized_shape) ->
    same shape, each slice to mean 0 and variance 1 (biased variance, + eps), then
    `* weight + bias` (each of shape normalized_shape, optional). Differentiable in x,
    weight and bias, to any order. As PyTorch's F.layer_norm."""
    x = _floating(x, "layer_norm", "x")
    one = isinstance(normalized_shape, (int, np.integer))
    shape = (normalized_shape,) if one else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or x.ndim < k or tuple(x.shape[x.ndim - k :]) != tuple(int(n) for n in shape):
        raise ValueError(f"layer_norm: input of shape {x.shape} does not end with normalized_shape {shape}")
    shape = tuple(int(n) for n in shape)
    weight = _optional(weight, shape, "layer_norm", "weight")
    bias = _optional(bias, shape, "layer_norm", "bias")
    if fused:
        return LayerNorm.apply(x, *_affine(x, weight, bias), k=k, eps=eps)
    axes = tuple(range(x.ndim - k, x.ndim))
    var = x.var(axis=axes, correction=0, keepdims=True)
    xhat = (x - x.mean(axis=axes, keepdims=True)) * (var + eps).rsqrt()
    out = xhat if weight is None else xhat * weight
    return out if bias is None else out + bias


def batch_norm(
    x: Any,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Any = None,
    bias: Any = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
    fused: bool = True,
) -> Tensor:
    """Normalize x (N, C) or (N, C, *) per channel C, then `* weight + bias` ((C,) each).

    training=True: the batch's mean and biased variance normalize, and `running_mean` /
    `running_var` ((C,) Tensors, or None) are updated IN PLACE as PyTorch's:
    r = (1 - momentum) * r + momentum * stat, with the unbiased batch variance for
    running_var. training=False: the running statistics normalize (constants).
    Differentiable in x, weight and bias (to any order), not in the running statistics."""
    x = _floating(x, "batch_norm", "x")
    if x.ndim < 2:
        raise ValueError(f"batch_norm: x must have shape (N, C) or (N, C, *), got shape {x.shape}")
    channels = (x.shape[1],)
    weight = _optional(weight, channels, "batch_norm", "weight")
    bias = _optional(bias, channels, "batch_norm", "bias")
    stats: list[Any] = [  # (Tensor | None each; checked below before use)
        _optional(r, channels, "batch_norm", name)
        for r, name in ((running_mean, "running_mean"), (running_var, "running_var"))
    ]
    axes = (0, *range(2, x.ndim))
    if training:
        if x.size // channels[0] <= 1:
            raise ValueError(
                f"batch_norm: expected more than 1 value per channel when training, "
                f"got input of shape {x.shape}"
            )
        _update_running_stats(x.data, stats[0], stats[1], axes, momentum)
    elif stats[0] is None or stats[1] is None:
        raise ValueError("batch_norm: running_mean and running_var are needed when training=False")
    if fused:
        constants = {} if training else {"mean": stats[0].data, "var": stats[1].data}
        return BatchNorm.apply(x, *_affine(x, weight, bias), eps=eps, **constants)
    shape = (1, channels[0]) + (1,) * (x.ndim - 2)
    if training:
        mu, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, correction=0, keepdims=True)
    else:
        mu, var = stats[0].detach().reshape(shape), stats[1].detach().reshape(shape)
    out = (x - mu) * (var + eps).rsqrt()
    out = out if weight is None else out * weight.reshape(shape)
    return out if bias is None else out + bias.reshape(shape)


@replayed  # tinygrad_ce.jit updates the statistics again at each replay
def _update_running_stats(
    x: np.ndarray,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    axes: tuple[int, ...],
    momentum: float,
) -> None:
    """r = (1 - momentum) r + momentum stat, in place (not recorded); var unbiased."""
    if running_mean is not None:
        mean = x.mean(axis=axes)
        running_mean.data[...] = (1 - momentum) * running_mean.data + momentum * mean
    if running_var is not None:
        var = x.var(axis=axes, ddof=1)
        running_var.data[...] = (1 - momentum) * running_var.data + momentum * var


def embedding(idx: Any, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Rows of `weight` (num_embeddings, dim) picked by integer `idx`: `(*) -> (*, dim)`.
    Differentiable in weight: repeated indices accumulate their gradients; rows picked
    at `padding_idx` (negative counts from the end) get none. Not differentiable in idx."""
    index = np.asarray(idx.data if isinstance(idx, Tensor) else idx)
    if index.dtype.kind not in "iu":
        raise TypeError(f"embedding: idx must be integers, got dtype {index.dtype}")
    weight = as_tensor(weight, "embedding", "weight")
    if weight.ndim != 2:
        raise ValueError(
            f"embedding: weight must have shape (num_embeddings, embedding_dim), got shape {weight.shape}"
        )
    n = weight.shape[0]
    if index.size and (index.min() < 0 or index.max() >= n):
        raise IndexError(
            f"embedding: idx must be in [0, {n}) (num_embeddings={n}), "
            f"got values {index.min()}..{index.max()}"
        )
    rows = weight[index]
    if padding_idx is None:
        return rows
    if not -n <= padding_idx < n:
        raise ValueError(f"embedding: padding_idx must be in [-{n}, {n}), got {padding_idx}")
    keep = (index != padding_idx % n)[..., None]
    return where(np.broadcast_to(keep, rows.shape), rows, rows.detach())
