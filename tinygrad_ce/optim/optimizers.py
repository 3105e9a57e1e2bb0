"""SGD, Adam and AdamW with PyTorch's update rules (its single-tensor code, operation
for operation, so float64 results agree to rounding).

An optimizer updates `p.data` in place with numpy (nothing is recorded in the graph, and
float32 stays float32); parameters whose `.grad` is None are skipped, as in PyTorch.
Hyperparameters live in `optimizer.param_groups` (see `base.Optimizer`) and are checked
the same way in the constructors, `add_param_group`, `step` and `load_state_dict`
(`_HYPERPARAMETER_CHECKS`): finite numbers, no bools, no NaN.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..tensor import Tensor
from .base import Optimizer
from .hyperparameters import _HYPERPARAMETER_CHECKS  # noqa: F401 - the table, where it used to be

Params = Iterable[Tensor] | Iterable[Mapping[str, Any]]


def _lerp(start: np.ndarray, end: np.ndarray, weight: float) -> None:
    """start += weight * (end - start) in place, computed as PyTorch's `lerp_` does
    (from the nearer end, so that weight 1 gives `end` exactly)."""
    if weight < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's rule: g = grad + weight_decay * p;
    with momentum, buf = g on the first step, then buf = momentum*buf + (1-dampening)*g,
    and g = g + momentum*buf (nesterov) or buf; finally p -= lr * g.
    (The positional order after lr is momentum, weight_decay: keywords are safer.)"""

    hyperparameters = ("lr", "momentum", "dampening", "weight_decay", "nesterov")
    state_keys = ("momentum_buffer",)

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        dampening: float = 0.0,
    ) -> None:
        settings = {"momentum": momentum, "dampening": dampening, "weight_decay": weight_decay}
        super().__init__(params, {"lr": lr, **settings, "nesterov": nesterov})

    def _check_combination(self, owner: str, values: Mapping[str, Any]) -> None:
        if values.get("nesterov") and (values["momentum"] <= 0 or values["dampening"] != 0):
            raise ValueError(
                f"{owner}: nesterov needs momentum > 0 and dampening = 0, got "
                f"momentum={values['momentum']}, dampening={values['dampening']}"
            )

    def _update(self, p: Tensor, g: np.ndarray, state: dict[str, Any], group: Mapping[str, Any]) -> None:
        momentum, dampening = group["momentum"], group["dampening"]
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p.data
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()
            else:
                buf *= momentum
                buf += g if dampening == 0 else (1 - dampening) * g
            g = g + momentum * buf if group["nesterov"] else buf
        p.data -= group["lr"] * g


class Adam(Optimizer):
    """Adam, PyTorch's rule (weight_decay is L2: added to the gradient):
    m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2 (with `amsgrad`, v_max = max(v_max, v)
    is used in place of v below), p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)."""

    hyperparameters = ("lr", "betas", "eps", "weight_decay", "amsgrad")
    state_keys = ("step", "exp_avg", "exp_avg_sq")
    optional_state_keys = ("max_exp_avg_sq",)
    non_negative_state = ("exp_avg_sq", "max_exp_avg_sq")
    decoupled_weight_decay = False

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ) -> None:
        settings = {"betas": betas, "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad}
        super().__init__(params, {"lr": lr, **settings})

    def _update(self, p: Tensor, g: np.ndarray, state: dict[str, Any], group: Mapping[str, Any]) -> None:
        lr, (beta1, beta2), weight_decay = group["lr"], group["betas"], group["weight_decay"]
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data))
        state["step"] += 1
        t = state["step"]
        if weight_decay and self.decoupled_weight_decay:
            p.data *= 1 - lr * weight_decay
        elif weight_decay:
            g = g + weight_decay * p.data
        m, v = state["exp_avg"], state["exp_avg_sq"]
        _lerp(m, g, 1 - beta1)
        v *= beta2
        v += (1 - beta2) * g * g  # torch's addcmul: (value * g) * g
        if group["amsgrad"]:
            v = state.setdefault("max_exp_avg_sq", np.zeros_like(p.data))
            np.maximum(v, state["exp_avg_sq"], out=v)
        step_size = lr / (1 - beta1**t)
        denom = np.sqrt(v) / (1 - beta2**t) ** 0.5
        denom += group["eps"]
        p.data += (-step_size * m) / denom  # torch's addcdiv: (value * m) / denom


class AdamW(Adam):
    """Adam with decoupled weight decay (PyTorch's AdamW): p *= 1 - lr*weight_decay
    before the Adam update, which then sees the plain gradient."""

    decoupled_weight_decay = True

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
