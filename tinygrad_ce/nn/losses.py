"""Losses as modules, with PyTorch's names, arguments and defaults: `CrossEntropyLoss`,
`NLLLoss`, `MSELoss`, `L1Loss`, `SmoothL1Loss`, `HuberLoss`, `BCELoss`,
`BCEWithLogitsLoss`, `KLDivLoss`. Each forwards to its function in `functional` (the
math and gradients live there). As in PyTorch, a class `weight` (and BCEWithLogitsLoss's
`pos_weight`) is a buffer: in `state_dict()` under "weight", cast by `to()`.

`CrossEntropyLoss` and `NLLLoss` take PyTorch's layouts: input (N, C) or (C,), or
(N, C, d1, ..., dk) with the classes on axis 1 (the functions `F.cross_entropy` and
`F.nll_loss` put the classes on the last axis; these modules move axis 1 there)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _checks as checks
from .. import functional as F
from .._checks import got
from ..tensor import Tensor, get_default_dtype
from .module import Module

REDUCTIONS = ("none", "mean", "sum")


def _buffer(owner: str, name: str, value: Any) -> Tensor | None:
    """`value` (None, a Tensor, or an array-like of floats) as a float buffer Tensor."""
    if value is None or isinstance(value, Tensor):
        if value is not None and value.dtype.kind != "f":
            raise TypeError(f"{owner}: {name} must hold floats, got a Tensor of dtype {value.dtype}")
        return value
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        array = None
    if array is None or array.dtype.kind not in "iuf":
        raise TypeError(f"{owner}: {name} must be a Tensor or an array of numbers, got {got(value)}")
    return Tensor(array if array.dtype.kind == "f" else array.astype(get_default_dtype()))


class _Loss(Module):
    """A loss with PyTorch's `reduction`: "mean" (the default), "sum" or "none"."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = checks.string(type(self).__name__, "reduction", reduction, choices=REDUCTIONS)


class _WeightedLoss(_Loss):
    """A loss with an optional class `weight`, registered as a buffer (PyTorch's)."""

    weight: Tensor | None  # (a buffer)

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.register_buffer("weight", _buffer(type(self).__name__, "weight", weight))


def _classes_last(x: Tensor) -> Tensor:
    """(N, C, d1, ..., dk) -> (N, d1, ..., dk, C); other shapes unchanged."""
    return x if x.ndim <= 2 else x.permute(0, *range(2, x.ndim), 1)


def _is_probabilities(target: Any) -> bool:
    """Whether a cross-entropy target holds probabilities (floats) rather than indices."""
    if isinstance(target, (Tensor, np.ndarray)):
        return target.dtype.kind == "f"
    try:
        return np.asarray(target).dtype.kind == "f"
    except (TypeError, ValueError):  # not an array: F.cross_entropy says what is wrong
        return False


def _target_classes_last(target: Any, ndim: int) -> Any:
    """A probability target of shape (N, C, d1, ..., dk) moved as the input is."""
    if ndim <= 2:
        return target
    if isinstance(target, Tensor):
        return _classes_last(target)
    return np.moveaxis(np.asarray(target), 1, -1)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of softmax(input) against `target`, PyTorch's `CrossEntropyLoss`.

    `input`: (N, C), (C,) or (N, C, d1, ..., dk) logits (classes on axis 1). `target`:
    class indices of shape (N,), () or (N, d1, ..., dk), or probabilities of the input's
    shape. `weight` (C,), `ignore_index` (default -100, never a class) and
    `label_smoothing` mean what they mean in PyTorch; the result is a scalar, or with
    reduction="none" one loss per sample. The fused `F.softmax_cross_entropy` computes
    it; differentiable in `input`."""

    def __init__(
        self,
        weight: Any = None,
        ignore_index: int = -100,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(weight, reduction)
        self.ignore_index = checks.integer("CrossEntropyLoss", "ignore_index", ignore_index)
        self.label_smoothing = checks.number(
            "CrossEntropyLoss", "label_smoothing", label_smoothing, low=0.0, high=1.0
        )

    def forward(self, input: Any, target: Any) -> Tensor:
        x = F.as_tensor(input, "CrossEntropyLoss", "input")
        probabilities = _is_probabilities(target)
        target = _target_classes_last(target, x.ndim) if probabilities else target
        ignore = None if probabilities else self.ignore_index  # PyTorch ignores it for probabilities
        return F.cross_entropy(
            _classes_last(x), target, self.reduction, self.label_smoothing, ignore, self.weight
        )


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of class indices, PyTorch's `NLLLoss`: -weight[t] *
    input[t] for log-probabilities `input` of shape (N, C), (C,) or (N, C, d1, ..., dk)
    and `target` indices of shape (N,), () or (N, d1, ..., dk); "mean" divides by the
    summed weights of the samples not ignored. Differentiable in `input`."""

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(weight, reduction)
        self.ignore_index = checks.integer("NLLLoss", "ignore_index", ignore_index)

    def forward(self, input: Any, target: Any) -> Tensor:
        x = F.as_tensor(input, "NLLLoss", "input")
        return F.nll_loss(_classes_last(x), target, self.reduction, self.weight, self.ignore_index)


class MSELoss(_Loss):
    """Mean squared error (input - target)^2 (same shapes); differentiable in both."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error |input - target| (same shapes); differentiable in both."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta, for d = input - target."""

    def __init__(self, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        self.beta = checks.number("SmoothL1Loss", "beta", beta, low=0.0)

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta), for d = input - target."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = checks.number("HuberLoss", "delta", delta, low=0.0, low_open=True)

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities `input` in [0, 1] against `target` (same
    shapes), each log clamped at -100 as PyTorch's; `weight` broadcasts over the input.
    Differentiable in `input`."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Binary cross-entropy of sigmoid(input) against `target` (same shapes), stable for
    any logit. `weight` broadcasts over the input; `pos_weight` (e.g. shape (C,) for
    (N, C) input) weighs the positive term, as PyTorch's. Differentiable in `input`."""

    pos_weight: Tensor | None  # (a buffer)

    def __init__(self, weight: Any = None, reduction: str = "mean", pos_weight: Any = None) -> None:
        super().__init__(weight, reduction)
        self.register_buffer("pos_weight", _buffer("BCEWithLogitsLoss", "pos_weight", pos_weight))

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.reduction, self.weight, self.pos_weight)


class KLDivLoss(_Loss):
    """target * (log target - input) for log-probabilities `input` (with `log_target`,
    the target is given as log-probabilities too). `reduction="batchmean"` divides the
    sum by the batch size (the KL divergence proper); "mean" averages every element."""

    def __init__(self, reduction: str = "mean", log_target: bool = False) -> None:
        Module.__init__(self)
        choices = (*REDUCTIONS, "batchmean")
        self.reduction = checks.string("KLDivLoss", "reduction", reduction, choices=choices)
        self.log_target = checks.boolean("KLDivLoss", "log_target", log_target)

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)
