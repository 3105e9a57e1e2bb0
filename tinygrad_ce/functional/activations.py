"""Activations, composed from public Tensor ops (their gradients come from the graph),
and `linear`, the one fused layer op here."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..ops import Linear, Where
from ..tensor import Tensor
from .scopes import named_scope


def as_tensor(x: Any, op: str = "", argument: str = "input", dtype: Any = None) -> Tensor:
    """`x` as a Tensor; a bad value is an error naming the function and the argument."""
    if isinstance(x, Tensor):
        return x
    try:
        return Tensor(x if dtype is None or isinstance(x, np.ndarray) else np.asarray(x), dtype=dtype)
    except (TypeError, ValueError) as err:
        prefix = f"{op}: {argument}" if op else argument
        raise type(err)(f"{prefix}: {err}") from None


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Elementwise `a` where `condition` else `b` (numpy broadcasting); differentiable in
    `a` and `b` (the gradient goes to the chosen side only), not in `condition`."""
    cond = np.asarray(condition.data if isinstance(condition, Tensor) else condition)
    if cond.dtype != bool:
        raise TypeError(f"where: condition must be a bool array, got dtype {cond.dtype}")
    a_t, b_t = as_tensor(a), as_tensor(b)
    if not isinstance(a, Tensor) and isinstance(b, Tensor):
        a_t = b_t._operand(a)
    if not isinstance(b, Tensor) and isinstance(a, Tensor):
        b_t = a_t._operand(b)
    return Where.apply(a_t, b_t, cond=cond)


# ----------------------------------------------------------------------------- activations
def relu(x: Tensor) -> Tensor:
    """max(x, 0), elementwise; differentiable (gradient 0 at 0)."""
    return as_tensor(x).relu()


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), elementwise, computed without overflow; differentiable."""
    return as_tensor(x).sigmoid()


def tanh(x: Tensor) -> Tensor:
    """tanh(x), elementwise; differentiable."""
    return as_tensor(x).tanh()


@named_scope("softmax")
def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis`; same shape as `x`; differentiable.

    Stable: the max along `axis` is subtracted first (held constant: softmax does not
    change when a constant is subtracted, so this leaves the gradient exact)."""
    return as_tensor(x).softmax(axis)


@named_scope("log_softmax")
def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """log(softmax(x)) along `axis`, computed as z - log(sum(exp(z))) with z = x - max(x);
    finite for any logit gap; same shape as `x`; differentiable."""
    x = as_tensor(x)
    z = x - x.max(axis=axis, keepdims=True).detach()
    return z - z.exp().sum(axis=axis, keepdims=True).log()


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight.T + bias as one `linear` node: x (*, in), weight (out, in), bias (out,)
    -> (*, out). Differentiable in all three (twice: the backward supports create_graph)."""
    x = as_tensor(x)
    return Linear.apply(x, weight) if bias is None else Linear.apply(x, weight, bias)
