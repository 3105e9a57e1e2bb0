"""RMSprop and Adagrad with PyTorch's update rules (its single-tensor code, operation for
operation). Like the others they update `p.data` in place and skip parameters whose
`.grad` is None; hyperparameters live in `param_groups` and are checked by the table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..tensor import Tensor
from .base import Optimizer
from .optimizers import Params, _lerp


class RMSprop(Optimizer):
    """RMSprop, PyTorch's rule: g = grad + weight_decay * p, v = alpha v + (1-alpha) g^2;
    `centered`: g_avg = alpha g_avg + (1-alpha) g and avg = sqrt(v - g_avg^2), else
    avg = sqrt(v); avg += eps; with momentum, buf = momentum buf + g/avg and p -= lr buf,
    else p -= lr g/avg. A buffer that a group's settings need is created (zeros) when
    first needed, also after `momentum` or `centered` is switched on mid-run."""

    hyperparameters = ("lr", "alpha", "eps", "weight_decay", "momentum", "centered")
    state_keys = ("step", "square_avg")
    optional_state_keys = ("momentum_buffer", "grad_avg")
    non_negative_state = ("square_avg",)

    def __init__(
        self,
        params: Params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        settings = {"alpha": alpha, "eps": eps, "weight_decay": weight_decay, "momentum": momentum}
        super().__init__(params, {"lr": lr, **settings, "centered": centered})

    def _update(self, p: Tensor, g: np.ndarray, state: dict[str, Any], group: Mapping[str, Any]) -> None:
        alpha, momentum = group["alpha"], group["momentum"]
        if not state:
            state.update(step=0, square_avg=np.zeros_like(p.data))
        state["step"] += 1
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p.data
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * g * g  # torch's addcmul: (value * g) * g
        if group["centered"]:
            grad_avg = state.setdefault("grad_avg", np.zeros_like(p.data))
            _lerp(grad_avg, g, 1 - alpha)
            avg = np.sqrt(square_avg - grad_avg * grad_avg)
        else:
            avg = np.sqrt(square_avg)
        avg += group["eps"]
        if momentum > 0:
            buf = state.setdefault("momentum_buffer", np.zeros_like(p.data))
            buf *= momentum
            buf += g / avg
            p.data -= group["lr"] * buf
        else:
            p.data += (-group["lr"] * g) / avg  # torch's addcdiv: (value * g) / avg


class Adagrad(Optimizer):
    """Adagrad, PyTorch's rule: g = grad + weight_decay * p, sum += g^2 (sum starts at
    `initial_accumulator_value`), p -= lr / (1 + (t-1) lr_decay) * g / (sqrt(sum) + eps).
    A group's own `initial_accumulator_value` is used for its parameters (PyTorch takes
    the constructor's value for every group; the same unless a group overrides it)."""

    hyperparameters = ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")
    state_keys = ("step", "sum")
    non_negative_state = ("sum",)

    def __init__(
        self,
        params: Params,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ) -> None:
        settings = {
            "lr_decay": lr_decay,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "eps": eps,
        }
        super().__init__(params, {"lr": lr, **settings})

    def _update(self, p: Tensor, g: np.ndarray, state: dict[str, Any], group: Mapping[str, Any]) -> None:
        if not state:
            state.update(step=0, sum=np.full_like(p.data, group["initial_accumulator_value"]))
        state["step"] += 1
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p.data
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] += g * g
        std = np.sqrt(state["sum"])
        std += group["eps"]
        p.data += (-clr * g) / std  # torch's addcdiv: (value * g) / std
