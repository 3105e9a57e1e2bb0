"""RMSprop and Adagrad with PyTorch's update rules (its single-tensor code, operation for
operation). Like the others they update `p.data` in place and skip parameters whose
`.grad` is None; hyperparameters live in `param_groups` and are checked by the table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..tensor import Tensor
from .base import Optimizer
from .optimizers import Params, _lerp, _scratch


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
        data = p.data
        first, second = _scratch(self, data), _scratch(self, data, 1)  # (no temporaries)
        if group["weight_decay"]:  # g = grad + weight_decay * p
            g = np.add(np.multiply(data, group["weight_decay"], out=second), g, out=second)
        square_avg = state["square_avg"]
        square_avg *= alpha
        squares = np.multiply(g, 1 - alpha, out=first)  # torch's addcmul: (value * g) * g
        squares *= g
        square_avg += squares
        if group["centered"]:  # avg = sqrt(square_avg - grad_avg^2)
            grad_avg = state.setdefault("grad_avg", np.zeros_like(data))
            _lerp(grad_avg, g, 1 - alpha, first)
            avg = np.subtract(square_avg, np.multiply(grad_avg, grad_avg, out=first), out=first)
            np.sqrt(avg, out=avg)
        else:
            avg = np.sqrt(square_avg, out=first)
        avg += group["eps"]
        if momentum > 0:
            buf = state.setdefault("momentum_buffer", np.zeros_like(data))
            buf *= momentum
            buf += np.divide(g, avg, out=avg)  # buf += g / avg
            data -= np.multiply(buf, group["lr"], out=first)  # p -= lr * buf
        else:
            update = np.multiply(g, -group["lr"], out=second)  # torch's addcdiv: (value * g) / avg
            update /= avg
            data += update


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
        data = p.data
        first, second = _scratch(self, data), _scratch(self, data, 1)  # (no temporaries)
        if group["weight_decay"]:  # g = grad + weight_decay * p
            g = np.add(np.multiply(data, group["weight_decay"], out=second), g, out=second)
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] += np.multiply(g, g, out=first)
        std = np.sqrt(state["sum"], out=first)
        std += group["eps"]
        update = np.multiply(g, -clr, out=second)  # torch's addcdiv: (value * g) / std
        update /= std
        data += update
