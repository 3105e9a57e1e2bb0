"""Optimizers (SGD, Adam, AdamW) with PyTorch's update rules.

An optimizer holds its list of parameters and updates `p.data` in place with numpy
(nothing is recorded in the graph, and float32 stays float32). Parameters whose `.grad`
is None are skipped, as in PyTorch. `lr` is a plain attribute: change it between steps
or let a scheduler do it. Hyperparameters are checked the same way in the constructors
and in `load_state_dict` (`_HYPERPARAMETER_CHECKS`): finite numbers, no bools, no NaN.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from .. import _checks as checks
from .._checks import got
from ..tensor import Tensor
from .saved import saved_buffer, saved_int, saved_value


def _non_negative(owner: str, name: str, value: Any) -> float:
    return checks.number(owner, name, value, low=0.0)


def _betas(owner: str, name: str, value: Any) -> tuple[float, float]:
    what = "a pair (beta1, beta2) of numbers in [0, 1)"
    pair = checks.items(owner, name, value, what)
    if len(pair) != 2:
        raise TypeError(f"{owner}: {name} must be {what}, got {got(value)}")
    first, second = (checks.number(owner, f"{name}[{i}]", b, low=0.0, high=1.0, high_open=True)
                     for i, b in enumerate(pair))
    return first, second


def _any_setting(owner: str, name: str, value: Any) -> Any:
    """A subclass's own hyperparameter: a bool, a finite number or a tuple of them."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (tuple, list)):
        return tuple(checks.number(owner, f"{name}[{i}]", v) for i, v in enumerate(value))
    return checks.number(owner, name, value)


# how each hyperparameter is checked, in the constructors and in load_state_dict
_HYPERPARAMETER_CHECKS: dict[str, Callable[[str, str, Any], Any]] = {
    "lr": _non_negative, "momentum": _non_negative, "dampening": _non_negative,
    "weight_decay": _non_negative, "eps": _non_negative, "betas": _betas, "nesterov": checks.boolean,
}


def _check_hyperparameter(owner: str, name: str, value: Any) -> Any:
    return _HYPERPARAMETER_CHECKS.get(name, _any_setting)(owner, name, value)


def _check_params(owner: str, params: Any) -> list[Tensor]:
    """`params` as a list of distinct float leaf Tensors that require grad."""
    what = "an iterable of Tensors (model.parameters())"
    params = list(checks.items(owner, "params", params, what, exclude=(Tensor, np.ndarray)))
    if not params:
        raise ValueError(f"{owner}: params is an empty parameter list")
    seen: set[int] = set()
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{owner}: params[{i}] is a {type(p).__name__}, not a Tensor")
        why = _why_not_trainable(p)
        if why:
            raise ValueError(f"{owner}: params[{i}] (shape {p.shape}) is not a float leaf with grad: {why}")
        if id(p) in seen:
            raise ValueError(f"{owner}: params[{i}] (shape {p.shape}) appears more than once")
        seen.add(id(p))
    return params


def _why_not_trainable(p: Tensor) -> str:
    """Why an optimizer cannot update `p` in place ("" if it can)."""
    if not p.requires_grad:
        return "requires_grad is False"
    if p.dtype.kind != "f":
        return f"dtype {p.dtype}"
    return "" if p.is_leaf else "it was computed by an op"


class Optimizer:
    """Base class: `params` (Tensors that require grad), `lr`, `zero_grad`, `step`, state.

    Subclasses list their hyperparameters in `hyperparameters` (attribute names saved
    with the state) and the keys of a parameter's state in `state_keys` ("step", an
    int, and ndarray buffers of the parameter's shape)."""

    hyperparameters: tuple[str, ...] = ("lr",)
    state_keys: tuple[str, ...] = ()

    def __init__(self, params: Iterable[Tensor], lr: float) -> None:
        self.params: list[Tensor] = _check_params(type(self).__name__, params)
        self._set_hyperparameters(type(self).__name__, {"lr": lr})
        self.state: list[dict[str, Any]] = [{} for _ in self.params]  # per parameter: step, buffers

    def _set_hyperparameters(self, owner: str, values: Mapping[str, Any]) -> None:
        """Check every value (`_HYPERPARAMETER_CHECKS`) and their combination; then set them all."""
        checked = {key: _check_hyperparameter(owner, key, value) for key, value in values.items()}
        self._check_combination(owner, checked)
        for key, value in checked.items():
            setattr(self, key, value)

    def _check_combination(self, owner: str, values: Mapping[str, Any]) -> None:
        """Rules that involve several hyperparameters (SGD's nesterov); none here."""

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
        `tinygrad_ce.save`, values may be 0-d arrays). Everything is checked first:
        what does not fit (a NaN lr, a buffer of the wrong shape or holding NaN) is a
        ValueError naming the key, and then nothing has changed."""
        name = type(self).__name__
        where = f"{name}.load_state_dict: state_dict"  # every message names the argument
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{where} must be a mapping of arrays, got {got(state_dict)}")
        kind = saved_value(state_dict.get("kind", "unknown"))
        if not isinstance(kind, str) or kind != name:
            raise ValueError(f"{where}: the state is for {checks.shown(kind)}, not {name} (key 'kind')")
        if "num_params" not in state_dict:
            raise ValueError(f"{where}: missing keys: num_params")
        count = saved_int(where, "num_params", state_dict["num_params"])
        if count != len(self.params):
            raise ValueError(f"{where}: num_params: the state has {count} parameters, not {len(self.params)}")
        states = self._saved_states(where, state_dict)
        missing = [key for key in self.hyperparameters if key not in state_dict]
        if missing:
            raise ValueError(f"{where}: missing keys: {', '.join(missing)}")
        saved = {key: saved_value(state_dict[key]) for key in self.hyperparameters}
        try:  # all checked before any is set
            self._set_hyperparameters(where, saved)
        except TypeError as err:  # a value of the wrong type in a state dict is a bad value
            raise ValueError(str(err)) from None
        self.state = states

    def _saved_states(self, where: str, state_dict: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The per-parameter state in `state_dict` ("state.<i>.<key>"), checked."""
        states: list[dict[str, Any]] = [{} for _ in self.params]
        for key, value in state_dict.items():
            if not isinstance(key, str):
                raise ValueError(f"{where}: unexpected key {key!r} (a {type(key).__name__}, not a string)")
            if not key.startswith("state."):
                continue
            parts = key.split(".", 2)
            if len(parts) != 3 or not parts[1].isdigit() or not int(parts[1]) < len(self.params) or (
                parts[2] not in self.state_keys
            ):
                raise ValueError(f"{where}: unexpected key {key!r}")
            i, buffer = int(parts[1]), parts[2]
            if buffer == "step":
                states[i]["step"] = saved_int(where, key, value)
            else:
                states[i][buffer] = saved_buffer(where, key, value, self.params[i], i)
        for i, state in enumerate(states):
            if state and len(state) != len(self.state_keys):
                absent = ", ".join(f"state.{i}.{key}" for key in self.state_keys if key not in state)
                raise ValueError(f"{where}: missing keys: {absent}")
        return states

    def __repr__(self) -> str:
        settings = ", ".join(f"{key}={getattr(self, key)}" for key in self.hyperparameters)
        return f"{type(self).__name__}({len(self.params)} parameters, {settings})"


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
        settings = {"momentum": momentum, "weight_decay": weight_decay, "dampening": dampening}
        self._set_hyperparameters("SGD", {**settings, "nesterov": nesterov})

    def _check_combination(self, owner: str, values: Mapping[str, Any]) -> None:
        if values.get("nesterov") and (values["momentum"] <= 0 or values["dampening"] != 0):
            raise ValueError(f"{owner}: nesterov needs momentum > 0 and dampening = 0, got "
                             f"momentum={values['momentum']}, dampening={values['dampening']}")

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
        settings = {"betas": betas, "eps": eps, "weight_decay": weight_decay}
        self._set_hyperparameters(type(self).__name__, settings)

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
