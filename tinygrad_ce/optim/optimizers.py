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
from .base import SMALL, Optimizer
from .hyperparameters import _HYPERPARAMETER_CHECKS  # noqa: F401 - the table, where it used to be

Params = Iterable[Tensor] | Iterable[Mapping[str, Any]]


def _scratch(owner: Any, like: np.ndarray, slot: int = 0) -> np.ndarray | None:
    """A buffer of `like`'s shape and dtype, kept on the optimizer `owner` and reused at
    every step (one per shape, dtype and `slot`), so that an update writes its
    intermediate values with `out=` and makes no temporaries: a fresh array each step
    costs an allocation and, at large sizes, page faults. None (numpy allocates, as
    `out=None` means) for small arrays."""
    if like.size < SMALL:
        return None
    pool = owner.__dict__.get("_scratch")
    if pool is None:
        pool = owner.__dict__["_scratch"] = {}
    key = (like.shape, like.dtype, slot)
    buf = pool.get(key)
    if buf is None:
        buf = pool[key] = np.empty(like.shape, like.dtype)
    return buf


def _lerp(start: np.ndarray, end: np.ndarray, weight: float, scratch: np.ndarray | None = None) -> None:
    """start += weight * (end - start) in place, computed as PyTorch's `lerp_` does
    (from the nearer end, so that weight 1 gives `end` exactly); `scratch` (start's
    shape and dtype), when given, holds the intermediate values."""
    diff = np.subtract(end, start, out=scratch)
    if weight < 0.5:
        diff *= weight
        start += diff
    else:
        diff *= 1 - weight
        np.subtract(end, diff, out=start)


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's rule: `g = grad + weight_decay * p`;
    with momentum, `buf = g` on the first step, then `buf = momentum*buf + (1-dampening)*g`,
    and `g = g + momentum*buf` (nesterov) or `buf`; finally `p -= lr * g`.
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

    def _plain_rate(self, group: Mapping[str, Any]) -> float | None:
        return None if group["momentum"] or group["weight_decay"] else group["lr"]

    def _update(self, p: Tensor, g: np.ndarray, state: dict[str, Any], group: Mapping[str, Any]) -> None:
        data, momentum, weight_decay = p.data, group["momentum"], group["weight_decay"]
        # (every intermediate goes to reused buffers, no temporaries; small arrays need none)
        step = _scratch(self, data) if data.size >= SMALL else None
        if weight_decay:  # g = grad + weight_decay * p
            decayed = _scratch(self, data, 1)
            g = np.add(np.multiply(data, weight_decay, out=decayed), g, out=decayed)
        if momentum:
            dampening = group["dampening"]
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()
            else:
                buf *= momentum
                if dampening == 0:
                    buf += g
                else:
                    buf += np.multiply(g, 1 - dampening, out=step)
            if group["nesterov"]:  # g = g + momentum * buf
                g = np.add(g, np.multiply(buf, momentum, out=step), out=step)
            else:
                g = buf
        lr = group["lr"]  # p -= lr * g (`out=None` alone costs a third of a small multiply)
        data -= g * lr if step is None else np.multiply(g, lr, out=step)


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
        data = p.data
        first, second = _scratch(self, data), _scratch(self, data, 1)  # (no temporaries)
        if weight_decay and self.decoupled_weight_decay:
            data *= 1 - lr * weight_decay
        elif weight_decay:  # g = grad + weight_decay * p
            g = np.add(np.multiply(data, weight_decay, out=second), g, out=second)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        _lerp(m, g, 1 - beta1, first)
        v *= beta2
        squares = np.multiply(g, 1 - beta2, out=first)  # torch's addcmul: (value * g) * g
        squares *= g
        v += squares
        if group["amsgrad"]:
            v = state.setdefault("max_exp_avg_sq", np.zeros_like(data))
            np.maximum(v, state["exp_avg_sq"], out=v)
        step_size = lr / (1 - beta1**t)
        denom = np.sqrt(v, out=first)
        denom /= (1 - beta2**t) ** 0.5
        denom += group["eps"]
        update = np.multiply(m, -step_size, out=second)  # torch's addcdiv: (value * m) / denom
        update /= denom
        data += update


class AdamW(Adam):
    """Adam with decoupled weight decay (PyTorch's AdamW): `p *= 1 - lr*weight_decay`
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
