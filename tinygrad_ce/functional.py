"""Activations and losses. Everything here but `softmax_cross_entropy` is composed from
public Tensor ops, so its gradient comes from the recorded graph; the fused op is a
single primitive (`ops.SoftmaxCrossEntropy`) with the closed-form backward."""
from __future__ import annotations

from typing import Any

import numpy as np

from .engine import named_scope
from .ops import Linear, SoftmaxCrossEntropy, Where
from .targets import Targets, prepare_targets
from .tensor import Tensor, get_default_dtype


def _tensor(x: Any, op: str = "", argument: str = "input", dtype: Any = None) -> Tensor:
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
    a_t, b_t = _tensor(a), _tensor(b)
    if not isinstance(a, Tensor) and isinstance(b, Tensor):
        a_t = b_t._operand(a)
    if not isinstance(b, Tensor) and isinstance(a, Tensor):
        b_t = a_t._operand(b)
    return Where.apply(a_t, b_t, cond=cond)


# ----------------------------------------------------------------------------- activations
def relu(x: Tensor) -> Tensor:
    """max(x, 0), elementwise; differentiable (gradient 0 at 0)."""
    return _tensor(x).relu()


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), elementwise, computed without overflow; differentiable."""
    return _tensor(x).sigmoid()


def tanh(x: Tensor) -> Tensor:
    """tanh(x), elementwise; differentiable."""
    return _tensor(x).tanh()


@named_scope("softmax")
def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis`; same shape as `x`; differentiable.

    Stable: the max along `axis` is subtracted first (held constant: softmax does not
    change when a constant is subtracted, so this leaves the gradient exact)."""
    x = _tensor(x)
    z = x - x.max(axis=axis, keepdims=True).detach()
    e = z.exp()
    return e / e.sum(axis=axis, keepdims=True)


@named_scope("log_softmax")
def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """log(softmax(x)) along `axis`, computed as z - log(sum(exp(z))) with z = x - max(x);
    finite for any logit gap; same shape as `x`; differentiable."""
    x = _tensor(x)
    z = x - x.max(axis=axis, keepdims=True).detach()
    return z - z.exp().sum(axis=axis, keepdims=True).log()


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight.T + bias as one `linear` node: x (*, in), weight (out, in), bias (out,)
    -> (*, out). Differentiable in all three (twice: the backward supports create_graph)."""
    x = _tensor(x)
    return Linear.apply(x, weight) if bias is None else Linear.apply(x, weight, bias)


# ----------------------------------------------------------------------------- losses
def _reduce(losses: Tensor, reduction: str, denominator: float) -> Tensor:
    if reduction == "none":
        return losses
    total = losses.sum()
    if reduction == "sum":
        return total
    # a mean over zero weight is nan (PyTorch); the nan is a constant, so the gradient
    # stays the sum's (zero), as the fused op's does, and no nan reaches the weights
    return total / denominator if denominator else total + Tensor(np.asarray(np.nan, dtype=total.dtype))


def _float_logits(x: Any) -> Tensor:
    """Logits as a float Tensor: integer/bool logits compute in the default float dtype
    (the policy of every float-valued op), so the fused and composed paths agree."""
    x = _tensor(x)
    return x if x.dtype.kind == "f" else x.astype(get_default_dtype())


def softmax_cross_entropy(
    logits: Tensor,
    target: Any,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
    ignore_index: int | None = None,
    weight: Any = None,
) -> Tensor:
    """Fused softmax + cross-entropy: one node, backward `softmax(logits) - y` (scaled).

    `logits`: shape (*, C), classes on the last axis. `target`: integer class indices
    of shape (*) or probabilities of shape (*, C) (rows that do not sum to 1 are
    allowed, as in PyTorch). `reduction`: "mean" (a scalar; with class indices, divided
    by the summed `weight` of the rows not ignored), "sum", or "none" (shape (*)).
    `weight` (C,), `ignore_index` and `label_smoothing` mean what they mean in PyTorch.
    Differentiable in `logits` (twice: the backward supports create_graph=True).
    """
    logits = _float_logits(logits)
    targets = prepare_targets(logits.shape, logits.dtype, target, weight, ignore_index,
                              label_smoothing, reduction, op="softmax_cross_entropy")
    return SoftmaxCrossEntropy.apply(logits, targets=targets, reduction=reduction)


def cross_entropy(
    logits: Tensor,
    target: Any,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
    ignore_index: int | None = None,
    weight: Any = None,
    fused: bool = True,
) -> Tensor:
    """Cross-entropy of softmax(logits) against `target`; arguments as
    `softmax_cross_entropy`. `fused=False` builds it from `log_softmax`, indexing,
    multiply, `sum` and `mean`, so its gradient comes from the recorded graph."""
    if fused:
        return softmax_cross_entropy(logits, target, reduction, label_smoothing, ignore_index, weight)
    with named_scope("cross_entropy"):
        return _composed_cross_entropy(logits, target, reduction, label_smoothing, ignore_index, weight)


def _composed_cross_entropy(
    logits: Any, target: Any, reduction: str, label_smoothing: float, ignore_index: int | None, weight: Any
) -> Tensor:
    logits = _float_logits(logits)
    # a probability target that requires grad is differentiated too (composed path only)
    grad_target = isinstance(target, Tensor) and target.requires_grad
    targets = prepare_targets(
        logits.shape, logits.dtype, target.detach() if grad_target else target, weight,
        ignore_index, label_smoothing, reduction, op="cross_entropy",
    )
    rows_in = _as_rows(logits, targets.classes)
    if targets.valid is not None:  # ignored rows count as zeros: their inf/nan can't leak
        rows_in = where(targets.valid[:, None] > 0, rows_in, 0.0)
    log_probs = log_softmax(rows_in, axis=-1)
    if targets.index is None:  # probabilities: -sum_c w_c q_c log p_c
        q = Tensor(targets.soft)
        if grad_target:
            e = label_smoothing
            q = _as_rows(target, targets.classes) * (1 - e) + e / targets.classes
            if weight is not None:
                q = q * _tensor(weight)
        rows = -(log_probs * q).sum(axis=-1)
    else:
        rows = _nll_rows(log_probs, targets)  # -(1 - e) w[t] log p_t, zero on ignored rows
        if targets.uniform_coef is not None:  # smoothing: -sum_c (e/C) w_c log p_c
            uniform = -(log_probs * targets.uniform_coef).sum(axis=-1)
            rows = rows + (uniform if targets.valid is None else uniform * targets.valid)
    return _reduce(_reshaped(rows, targets.lead_shape), reduction, targets.denominator)


def _reshaped(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    """x.reshape(shape), without recording a no-op reshape in the graph."""
    return x if x.shape == tuple(shape) else x.reshape(shape)


def _as_rows(x: Tensor, classes: int) -> Tensor:
    """(*, C) -> (M, C)."""
    return x if x.ndim == 2 else x.reshape(-1, classes)


def _nll_rows(log_probs: Tensor, targets: Targets) -> Tensor:
    """-target_coef_i * log_probs[i, t_i] for each of the (M, C) rows; shape (M,)."""
    picked = log_probs[np.arange(log_probs.shape[0]), targets.index]
    return -(picked * targets.target_coef) if targets.target_coef is not None else -picked


@named_scope("nll_loss")
def nll_loss(
    log_probs: Tensor,
    target: Any,
    reduction: str = "mean",
    weight: Any = None,
    ignore_index: int | None = None,
) -> Tensor:
    """Negative log-likelihood of class indices: -weight[t] * log_probs[..., t].

    `log_probs`: (*, C); `target`: integer indices of shape (*). "mean" divides by the
    summed weights of the rows not ignored (PyTorch). Differentiable in `log_probs`."""
    log_probs = _float_logits(log_probs)
    targets = prepare_targets(log_probs.shape, log_probs.dtype, target, weight, ignore_index,
                              0.0, reduction, op="nll_loss")
    if targets.index is None:
        raise TypeError("nll_loss: target must hold integer class indices")
    rows_in = _as_rows(log_probs, targets.classes)
    if targets.valid is not None:  # ignored rows count as zeros: their inf/nan can't leak
        rows_in = where(targets.valid[:, None] > 0, rows_in, 0.0)
    rows = _nll_rows(rows_in, targets)
    return _reduce(_reshaped(rows, targets.lead_shape), reduction, targets.denominator)


@named_scope("mse_loss")
def mse_loss(pred: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error (pred - target)^2, reduced by "mean", "sum" or "none".

    `pred` and `target` must have the same shape (no silent broadcasting);
    differentiable in both."""
    pred = _tensor(pred)
    target = _tensor(target, "mse_loss", "target", dtype=pred.dtype)
    if pred.shape != target.shape:
        raise ValueError(f"mse_loss: pred has shape {pred.shape} but target has shape {target.shape}")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"mse_loss: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    squared = (pred - target) ** 2
    return squared if reduction == "none" else squared.mean() if reduction == "mean" else squared.sum()


@named_scope("binary_cross_entropy_with_logits")
def binary_cross_entropy_with_logits(logits: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of sigmoid(logits) against targets in [0, 1], stable for any
    logit: max(x, 0) - x y + log(1 + exp(-|x|)). Same shapes required; differentiable."""
    x = _tensor(logits)
    y = _tensor(target, "binary_cross_entropy_with_logits", "target", dtype=x.dtype)
    if x.shape != y.shape:
        raise ValueError(
            f"binary_cross_entropy_with_logits: logits have shape {x.shape} but target has shape {y.shape}"
        )
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"binary_cross_entropy_with_logits: bad reduction {reduction!r}")
    # x [x >= 0] - x y + log(1 + exp(-|x|)), with the masks held constant (|x| = x s): the
    # gradient is sigmoid(x) - y everywhere, 0.5 - y at x = 0 (relu's and abs's slope 0 at
    # the kink would give -y there), and exp never sees a positive argument.
    positive = x.data >= 0
    sign = Tensor(np.where(positive, 1, -1).astype(x.dtype))
    losses = x * (Tensor(positive.astype(x.dtype)) - y) + ((-(x * sign)).exp() + 1).log()
    return losses if reduction == "none" else losses.mean() if reduction == "mean" else losses.sum()
