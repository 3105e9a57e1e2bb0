"""Activations, composed from public Tensor ops (their gradients come from the graph),
and `linear`, the one fused layer op here."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.trace import derived
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
    row_max = x.max(axis=axis, keepdims=True).detach()
    row_max.name = "row max (detached)"  # named for graph drawings
    z = x - row_max
    return z - z.exp().sum(axis=axis, keepdims=True).log()


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight.T + bias as one `linear` node: x (*, in), weight (out, in), bias (out,)
    -> (*, out). Differentiable in all three (twice: the backward supports create_graph)."""
    x = as_tensor(x)
    return Linear.apply(x, weight) if bias is None else Linear.apply(x, weight, bias)


# ----------------------------------------------------------------------------- more activations
# Each is composed from Tensor ops; a mask computed from the data is a constant, and a
# branch that is not chosen sees a harmless value (no inf * 0 in its gradient). The
# gradient at each kink is PyTorch's (noted where it takes a side).
def _masked(x: Tensor, mask: np.ndarray, value: float = 0.0) -> Tensor:
    """x where not `mask`, `value` where `mask` (the unused side's input made harmless)."""
    return Where.apply(x._operand(value), x, cond=mask)


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, else negative_slope * x (gradient negative_slope at 0, as PyTorch)."""
    x = as_tensor(x, "leaky_relu", "x")
    return where(derived(np.greater, x.data, 0), x, x * negative_slope)


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """x for x > 0, else alpha * (exp(x) - 1) (gradient alpha at 0)."""
    x = as_tensor(x, "elu", "x")
    positive = derived(np.greater, x.data, 0)  # (masks via `derived`: a jit replay recomputes them)
    return where(positive, x, _masked(x, positive).expm1() * alpha)


def selu(x: Any) -> Tensor:
    """scale * elu(x, alpha) with PyTorch's constants."""
    return elu(x, 1.6732632423543772848170429916717) * 1.0507009873554804934193349852946


def celu(x: Any, alpha: float = 1.0) -> Tensor:
    """x for x > 0, else alpha * (exp(x / alpha) - 1)."""
    x = as_tensor(x, "celu", "x")
    positive = derived(np.greater, x.data, 0)
    return where(positive, x, (_masked(x, positive) / alpha).expm1() * alpha)


def gelu(x: Any, approximate: str = "none") -> Tensor:
    """x * Phi(x): 0.5 x (1 + erf(x / sqrt 2)), or with approximate="tanh"
    0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))."""
    x = as_tensor(x, "gelu", "x")
    if approximate == "none":
        return x * 0.5 * ((x * (1 / np.sqrt(2.0))).erf() + 1)
    if approximate == "tanh":
        return x * 0.5 * (((x + x * x * x * 0.044715) * np.sqrt(2 / np.pi)).tanh() + 1)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(x: Any) -> Tensor:
    """x * sigmoid(x)."""
    x = as_tensor(x, "silu", "x")
    return x * x.sigmoid()


def softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (PyTorch's)."""
    x = as_tensor(x, "softplus", "x")
    linear_part = derived(_above, x.data, beta, threshold)
    z = _masked(x, linear_part) * beta
    positive = derived(np.greater_equal, z.data, 0)
    # log(1 + e^z) = z [z >= 0] + log(1 + e^-|z|), -|z| = -z at 0: exp never overflows
    soft = (where(positive, z, 0.0) + where(positive, -z, z).exp().log1p()) / beta
    return where(linear_part, x, soft)


def _above(x: np.ndarray, beta: float, threshold: float) -> np.ndarray:
    return x * beta > threshold


def mish(x: Any) -> Tensor:
    """x * tanh(softplus(x))."""
    x = as_tensor(x, "mish", "x")
    return x * softplus(x).tanh()


def softsign(x: Any) -> Tensor:
    """x / (1 + |x|)."""
    x = as_tensor(x, "softsign", "x")
    return x / (x.abs() + 1)


def hardtanh(x: Any, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """x limited to [min_val, max_val]; the gradient is 0 at the bounds (PyTorch's, unlike clamp)."""
    x = as_tensor(x, "hardtanh", "x")
    low, high = derived(np.less_equal, x.data, min_val), derived(np.greater_equal, x.data, max_val)
    return where(low, min_val, where(high, max_val, x))


def relu6(x: Any) -> Tensor:
    """hardtanh(x, 0, 6)."""
    return hardtanh(x, 0.0, 6.0)


def hardsigmoid(x: Any) -> Tensor:
    """relu6(x + 3) / 6."""
    return relu6(as_tensor(x, "hardsigmoid", "x") + 3) / 6


def hardswish(x: Any) -> Tensor:
    """0 up to -3, x (x + 3) / 6 between, x from 3 on (PyTorch 2.13's pieces and slopes:
    0 at -3, 1 at 3)."""
    x = as_tensor(x, "hardswish", "x")
    low, middle = derived(np.less_equal, x.data, -3), derived(np.less, x.data, 3)
    return where(low, 0.0, where(middle, x * (x + 3) / 6, x))


def logsigmoid(x: Any) -> Tensor:
    """log(sigmoid(x)) = x [x < 0] - log(1 + exp(-|x|)): finite for large negative x."""
    x = as_tensor(x, "logsigmoid", "x")
    negative = derived(np.less, x.data, 0)  # (-|x| is -x at 0: PyTorch's gradient 1/2 there)
    return where(negative, x, 0.0) - where(negative, x, -x).exp().log1p()


def softmin(x: Any, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """softmax(-x)."""
    return (-as_tensor(x, "softmin", "x")).softmax(axis, dim=dim)


def normalize(x: Any, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """x / max(||x||_p, eps) along `dim` (a zero vector stays zero, with zero gradient)."""
    x = as_tensor(x, "normalize", "x")
    total = (x.abs() ** p).sum(axis=dim, keepdims=True)
    nonzero = derived(np.greater, total.data, 0)
    norm = where(nonzero, _masked(total, derived(np.logical_not, nonzero), 1.0) ** (1 / p), 0.0)
    return x / where(derived(np.greater, norm.data, eps), norm, eps)
