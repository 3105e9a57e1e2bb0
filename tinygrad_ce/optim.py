"""Optimizers (SGD, Adam, AdamW) with PyTorch's update rules, and learning-rate schedules.

An optimizer holds its list of parameters and updates `p.data` in place with numpy
(nothing is recorded in the graph, and float32 stays float32). Parameters whose `.grad`
is None are skipped, as in PyTorch. `lr` is a plain attribute: change it between steps
or let a scheduler (`StepLR`, `CosineAnnealingLR`) do it.

`state_dict()` is a flat dict of numbers and ndarrays (`"lr"`, `"state.3.exp_avg"`, ...)
that `tinygrad_ce.save` writes as `.npz`; `load_state_dict` checks it against the
parameters before restoring anything.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from .tensor import Tensor


class Optimizer:
    """Base class: `params` (Tensors that require grad), `lr`, `zero_grad`, `step`, state.

    Subclasses list their hyperparameters in `hyperparameters` (attribute names saved
    with the state) and the keys of a parameter's state in `state_keys` ("step", an
    int, and ndarray buffers of the parameter's shape)."""

    hyperparameters: tuple[str, ...] = ("lr",)
    state_keys: tuple[str, ...] = ()

    def __init__(self, params: Iterable[Tensor], lr: float) -> None:
        self.params: list[Tensor] = list(params)
        name = type(self).__name__
        if not self.params:
            raise ValueError(f"{name}: got an empty parameter list")
        seen: set[int] = set()
        for i, p in enumerate(self.params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: parameter {i} is a {type(p).__name__}, not a Tensor")
            if not p.requires_grad or p.data.dtype.kind != "f" or not p.is_leaf:
                raise ValueError(f"{name}: parameter {i} (shape {p.shape}) is not a float leaf with grad")
            if id(p) in seen:
                raise ValueError(f"{name}: parameter {i} (shape {p.shape}) appears more than once")
            seen.add(id(p))
        _check(name, "lr", lr)
        self.lr = float(lr)
        self.state: list[dict[str, Any]] = [{} for _ in self.params]  # per parameter: step, buffers

    def zero_grad(self) -> None:
        """Set every parameter's `.grad` to None (the next backward starts fresh)."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Update every parameter that has a gradient, in place."""
        raise NotImplementedError

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        """Flat {key: number or ndarray}: "kind", "num_params", each hyperparameter,
        and "state.<i>.<buffer>" (copies) for every parameter that has state."""
        out: dict[str, Any] = {"kind": type(self).__name__, "num_params": len(self.params)}
        for key in self.hyperparameters:
            out[key] = getattr(self, key)
        for i, state in enumerate(self.state):
            for key, value in state.items():
                out[f"state.{i}.{key}"] = value.copy() if isinstance(value, np.ndarray) else value
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore hyperparameters and buffers saved by `state_dict` (as written by
        `tinygrad_ce.save`, values may be 0-d arrays). Everything is checked first."""
        name = type(self).__name__
        where = f"{name}.load_state_dict"
        kind = str(np.asarray(state_dict.get("kind", "")))
        if kind != name:
            raise ValueError(f"{where}: the state is for {kind or 'unknown'!r}, not {name}")
        count = int(np.asarray(state_dict.get("num_params", -1)))
        if count != len(self.params):
            raise ValueError(f"{where}: the state has {count} parameters, not {len(self.params)}")
        states: list[dict[str, Any]] = [{} for _ in self.params]
        for key, value in state_dict.items():
            if not key.startswith("state."):
                continue
            parts = key.split(".", 2)
            if len(parts) != 3 or not parts[1].isdigit() or not int(parts[1]) < count or (
                parts[2] not in self.state_keys
            ):
                raise ValueError(f"{where}: unexpected key {key!r}")
            i, buffer = int(parts[1]), parts[2]
            if buffer == "step":
                states[i]["step"] = int(np.asarray(value))
                continue
            array, param = np.asarray(value), self.params[i]
            if array.shape != param.shape:
                raise ValueError(f"{where}: {key} has shape {array.shape}, parameter {i} {param.shape}")
            states[i][buffer] = array.astype(param.dtype)  # a fresh, writable copy
        for i, state in enumerate(states):
            if state and len(state) != len(self.state_keys):
                absent = ", ".join(f"state.{i}.{key}" for key in self.state_keys if key not in state)
                raise ValueError(f"{where}: missing keys: {absent}")
        missing = [key for key in self.hyperparameters if key not in state_dict]
        if missing:
            raise ValueError(f"{where}: missing keys: {', '.join(missing)}")
        for key in self.hyperparameters:
            value = np.asarray(state_dict[key])
            setattr(self, key, tuple(float(v) for v in value) if value.ndim else _scalar(value))
        self.state = states

    def __repr__(self) -> str:
        settings = ", ".join(f"{key}={getattr(self, key)}" for key in self.hyperparameters)
        return f"{type(self).__name__}({len(self.params)} parameters, {settings})"


def _scalar(value: np.ndarray) -> Any:
    item = value.item()
    return bool(item) if value.dtype == bool else item


def _check(optimizer: str, name: str, value: float, upper: float | None = None) -> None:
    ok = isinstance(value, (int, float, np.floating, np.integer)) and value >= 0
    if not ok or (upper is not None and value >= upper) or not math.isfinite(value):
        bound = f"in [0, {upper:g})" if upper is not None else "a finite number >= 0"
        raise ValueError(f"{optimizer}: {name} must be {bound}, got {value!r}")


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's rule: g = grad + weight_decay * p;
    with momentum, buf = g on the first step, then buf = momentum*buf + (1-dampening)*g,
    and g = g + momentum*buf (nesterov) or buf; finally p -= lr * g."""

    hyperparameters = ("lr", "momentum", "dampening", "weight_decay", "nesterov")
    state_keys = ("momentum_buffer",)

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        dampening: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        for key, value in (("momentum", momentum), ("weight_decay", weight_decay), ("dampening", dampening)):
            _check("SGD", key, value)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: nesterov needs momentum > 0 and dampening = 0")
        self.momentum, self.weight_decay = float(momentum), float(weight_decay)
        self.nesterov, self.dampening = bool(nesterov), float(dampening)

    def step(self) -> None:
        lr, momentum, weight_decay = self.lr, self.momentum, self.weight_decay
        for p, state in zip(self.params, self.state):
            if p.grad is None:
                continue
            g = p.grad.data
            if weight_decay:
                g = g + weight_decay * p.data
            if momentum:
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = g.copy()
                else:
                    buf *= momentum
                    buf += g if self.dampening == 0 else (1 - self.dampening) * g
                g = g + momentum * buf if self.nesterov else buf
            p.data -= lr * g


class Adam(Optimizer):
    """Adam, PyTorch's rule (weight_decay is L2: added to the gradient):
    m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2,
    p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)."""

    hyperparameters = ("lr", "betas", "eps", "weight_decay")
    state_keys = ("step", "exp_avg", "exp_avg_sq")
    decoupled_weight_decay = False

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        name = type(self).__name__
        if len(betas) != 2:
            raise ValueError(f"{name}: betas must be a pair, got {betas!r}")
        _check(name, "betas[0]", betas[0], upper=1.0)
        _check(name, "betas[1]", betas[1], upper=1.0)
        _check(name, "eps", eps)
        _check(name, "weight_decay", weight_decay)
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps, self.weight_decay = float(eps), float(weight_decay)

    def step(self) -> None:
        lr, (beta1, beta2), eps, weight_decay = self.lr, self.betas, self.eps, self.weight_decay
        for p, state in zip(self.params, self.state):
            if p.grad is None:
                continue
            g = p.grad.data
            if not state:
                state.update(step=0, exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data))
            state["step"] += 1
            t = state["step"]
            if weight_decay and self.decoupled_weight_decay:
                p.data *= 1 - lr * weight_decay
            elif weight_decay:
                g = g + weight_decay * p.data
            m, v = state["exp_avg"], state["exp_avg_sq"]
            m += (1 - beta1) * (g - m)  # torch's lerp(m, g, 1 - beta1)
            v *= beta2
            v += (1 - beta2) * (g * g)
            step_size = lr / (1 - beta1**t)
            denom = np.sqrt(v) / math.sqrt(1 - beta2**t)
            denom += eps
            p.data -= step_size * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay (PyTorch's AdamW): p *= 1 - lr*weight_decay
    before the Adam update, which then sees the plain gradient."""

    decoupled_weight_decay = True

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)


# ----------------------------------------------------------------------------- schedules
class LRScheduler:
    """Sets `optimizer.lr` from the number of `step()` calls (usually once per epoch),
    starting from the optimizer's lr when the scheduler is made."""

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0

    def lr_at(self, epoch: int) -> float:
        raise NotImplementedError

    def step(self) -> None:
        self.last_epoch += 1
        self.optimizer.lr = self.lr_at(self.last_epoch)

    def get_last_lr(self) -> float:
        return self.optimizer.lr

    def state_dict(self) -> dict[str, Any]:
        return {"last_epoch": self.last_epoch, "base_lr": self.base_lr}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        self.last_epoch = int(np.asarray(state_dict["last_epoch"]))
        self.base_lr = float(np.asarray(state_dict["base_lr"]))
        self.optimizer.lr = self.lr_at(self.last_epoch)


class StepLR(LRScheduler):
    """lr = base_lr * gamma ** (epoch // step_size)."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        if not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"StepLR: step_size must be a positive integer, got {step_size!r}")
        super().__init__(optimizer)
        self.step_size, self.gamma = step_size, float(gamma)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        if not isinstance(T_max, int) or T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be a positive integer, got {T_max!r}")
        super().__init__(optimizer)
        self.T_max, self.eta_min = T_max, float(eta_min)

    def lr_at(self, epoch: int) -> float:
        return self.eta_min + (self.base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2
