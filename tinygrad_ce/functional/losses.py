"""Losses. All but `softmax_cross_entropy` are composed from public Tensor ops, so their
gradients come from the recorded graph; the fused op is a single primitive
(`ops.SoftmaxCrossEntropy`) with the closed-form backward, and `cross_entropy(...,
fused=False)` is its composed twin."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.trace import derived
from ..ops import SoftmaxCrossEntropy
from ..tensor import Tensor
from ..tensor.arrays import get_default_dtype
from .activations import as_tensor, log_softmax, logsigmoid, where
from .scopes import named_scope
from .targets import Targets, check_reduction, prepare_targets


def _reduce(losses: Tensor, reduction: str, denominator: float | None = None) -> Tensor:
    """Apply `reduction` ("none", "sum", or "mean": the sum / `denominator`, by default
    the number of elements) to per-element losses."""
    if reduction == "none":
        return losses
    total = losses.sum()
    if denominator is None:
        denominator = losses.size
    if reduction == "sum":
        return total
    # a mean over zero weight is nan (PyTorch); the nan is a constant, so the gradient
    # stays the sum's (zero), as the fused op's does, and no nan reaches the weights
    return total / denominator if denominator else total + Tensor(np.asarray(np.nan, dtype=total.dtype))


def _float_logits(x: Any) -> Tensor:
    """Logits as a float Tensor: integer/bool logits compute in the default float dtype
    (the policy of every float-valued op), so the fused and composed paths agree."""
    x = as_tensor(x)
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
    targets = prepare_targets(
        logits.shape,
        logits.dtype,
        target,
        weight,
        ignore_index,
        label_smoothing,
        reduction,
        op="softmax_cross_entropy",
    )
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
        logits.shape,
        logits.dtype,
        target.detach() if grad_target else target,
        weight,
        ignore_index,
        label_smoothing,
        reduction,
        op="cross_entropy",
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
                q = q * as_tensor(weight)
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
    targets = prepare_targets(
        log_probs.shape, log_probs.dtype, target, weight, ignore_index, 0.0, reduction, op="nll_loss"
    )
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
    pred = as_tensor(pred)
    target = as_tensor(target, "mse_loss", "target", dtype=pred.dtype)
    if pred.shape != target.shape:
        raise ValueError(f"mse_loss: pred has shape {pred.shape} but target has shape {target.shape}")
    check_reduction(reduction, "mse_loss")
    return _reduce((pred - target) ** 2, reduction)


def _pair(pred: Any, target: Any, op: str, reduction: str) -> tuple[Tensor, Tensor]:
    """Both as Tensors of one shape (no silent broadcasting), the reduction checked."""
    pred = as_tensor(pred, op, "input")
    target = as_tensor(target, op, "target", dtype=pred.dtype if pred.dtype.kind == "f" else None)
    if pred.shape != target.shape:
        raise ValueError(f"{op}: input has shape {pred.shape} but target has shape {target.shape}")
    check_reduction(reduction, op)
    return pred, target


def _weighted(losses: Tensor, weight: Any, op: str, name: str = "weight") -> Tensor:
    if weight is None:
        return losses
    w = as_tensor(weight, op, name, dtype=losses.dtype)
    try:
        np.broadcast_shapes(w.shape, losses.shape)
    except ValueError:
        raise ValueError(f"{op}: {name} of shape {w.shape} does not broadcast to {losses.shape}") from None
    return losses * w


@named_scope("binary_cross_entropy_with_logits")
def binary_cross_entropy_with_logits(
    logits: Tensor, target: Any, reduction: str = "mean", weight: Any = None, pos_weight: Any = None
) -> Tensor:
    """Binary cross-entropy of sigmoid(logits) against targets in [0, 1], stable for any
    logit: -(pos_weight y logsigmoid(x) + (1 - y) logsigmoid(-x)), times `weight`. The
    gradient is PyTorch's everywhere (0.5 - y at x = 0). Same shapes required."""
    x, y = _pair(logits, target, "binary_cross_entropy_with_logits", reduction)
    positive = (
        y
        if pos_weight is None
        else _weighted(y, pos_weight, "binary_cross_entropy_with_logits", "pos_weight")
    )
    losses = -(positive * logsigmoid(x) + (1 - y) * logsigmoid(-x))
    return _reduce(_weighted(losses, weight, "binary_cross_entropy_with_logits"), reduction)


@named_scope("binary_cross_entropy")
def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None, reduction: str = "mean") -> Tensor:
    """-(y log p + (1 - y) log(1 - p)) for probabilities p, each log limited below by -100
    (PyTorch's clamp, so p = 0 or 1 gives a finite loss), times `weight`."""
    p, y = _pair(input, target, "binary_cross_entropy", reduction)
    derived(_check_probabilities, p.data)  # (a jit replay checks each call's values too)
    log_p, log_q = p.log(), (1 - p).log()
    log_p = where(derived(np.less, log_p.data, -100), -100.0, log_p)  # (a jit replay recomputes masks)
    log_q = where(derived(np.less, log_q.data, -100), -100.0, log_q)
    return _reduce(_weighted(-(y * log_p + (1 - y) * log_q), weight, "binary_cross_entropy"), reduction)


@named_scope("l1_loss")
def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """|input - target| (gradient 0 where they are equal, as PyTorch)."""
    x, y = _pair(input, target, "l1_loss", reduction)
    return _reduce((x - y).abs(), reduction)


@named_scope("smooth_l1_loss")
def smooth_l1_loss(input: Tensor, target: Any, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target); beta = 0 is L1."""
    x, y = _pair(input, target, "smooth_l1_loss", reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    d = x - y
    if beta == 0:
        return _reduce(d.abs(), reduction)
    small = derived(_within, d.data, np.less, beta)
    return _reduce(where(small, d * d * (0.5 / beta), d.abs() - 0.5 * beta), reduction)


@named_scope("huber_loss")
def huber_loss(input: Tensor, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """0.5 d^2 where |d| <= delta, else delta (|d| - 0.5 delta)."""
    x, y = _pair(input, target, "huber_loss", reduction)
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}")
    d = x - y
    small = derived(_within, d.data, np.less_equal, delta)
    return _reduce(where(small, d * d * 0.5, (d.abs() - 0.5 * delta) * delta), reduction)


def _check_probabilities(p: np.ndarray) -> None:
    if np.any((p < 0) | (p > 1)):
        raise ValueError("binary_cross_entropy: input must hold probabilities in [0, 1]")


def _within(d: np.ndarray, compare: np.ufunc, bound: float) -> np.ndarray:
    return compare(np.abs(d), bound)


@named_scope("kl_div")
def kl_div(input: Tensor, target: Any, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """target (log target - input) elementwise, for `input` holding log-probabilities
    (0 where target is 0); `reduction="batchmean"` divides the sum by the batch size
    (the KL divergence proper; "mean" averages every element, as PyTorch)."""
    batchmean = reduction == "batchmean"
    x, t = _pair(input, target, "kl_div", "sum" if batchmean else reduction)
    if log_target:
        losses = t.exp() * (t - x)
    else:
        present = derived(np.greater, t.data, 0)
        log_t = where(present, where(present, t, 1.0).log(), 0.0)
        losses = t * log_t - t * x
    if batchmean:
        return losses.sum() / (x.shape[0] if x.ndim else 1)
    return _reduce(losses, reduction)
