"""How an optimizer's arguments are checked: the hyperparameter table
(`_HYPERPARAMETER_CHECKS`, used by the constructors, `add_param_group`, `step` and
`load_state_dict`), the parameter lists and the param-group dicts.

Every check names the caller and the argument ("SGD: params[1]['lr'] must be a finite
number >= 0, got nan"): TypeError for a wrong type, ValueError for a bad value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .. import _checks as checks
from .._checks import got
from ..tensor import Tensor


def _non_negative(owner: str, name: str, value: Any) -> float:
    return checks.number(owner, name, value, low=0.0)


def _unit(owner: str, name: str, value: Any) -> float:
    return checks.number(owner, name, value, low=0.0, high=1.0)


def _betas(owner: str, name: str, value: Any) -> tuple[float, float]:
    what = "a pair (beta1, beta2) of numbers in [0, 1)"
    pair = checks.items(owner, name, value, what)
    if len(pair) != 2:
        raise TypeError(f"{owner}: {name} must be {what}, got {got(value)}")
    first, second = (
        checks.number(owner, f"{name}[{i}]", b, low=0.0, high=1.0, high_open=True) for i, b in enumerate(pair)
    )
    return first, second


def _any_setting(owner: str, name: str, value: Any) -> Any:
    """A subclass's own hyperparameter: a bool, a finite number or a tuple of them."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (tuple, list)):
        return tuple(checks.number(owner, f"{name}[{i}]", v) for i, v in enumerate(value))
    return checks.number(owner, name, value)


# how each hyperparameter is checked, in the constructors, add_param_group, step and load_state_dict
_HYPERPARAMETER_CHECKS: dict[str, Callable[[str, str, Any], Any]] = {
    "lr": _non_negative,
    "momentum": _non_negative,
    "dampening": _non_negative,
    "weight_decay": _non_negative,
    "eps": _non_negative,
    "betas": _betas,
    "nesterov": checks.boolean,
    "amsgrad": checks.boolean,
    "alpha": _unit,
    "centered": checks.boolean,
    "lr_decay": _non_negative,
    "initial_accumulator_value": _non_negative,
}


def check_hyperparameter(owner: str, name: str, value: Any, key: str | None = None) -> Any:
    """`value` checked as hyperparameter `key` (default: `name`); errors say `name`."""
    return _HYPERPARAMETER_CHECKS.get(name if key is None else key, _any_setting)(owner, name, value)


def why_not_trainable(p: Tensor) -> str:
    """Why an optimizer cannot update `p` in place ("" if it can)."""
    if not p.requires_grad:
        return "requires_grad is False"
    if p.dtype.kind != "f":
        return f"dtype {p.dtype}"
    return "" if p.is_leaf else "it was computed by an op"


def check_params(owner: str, name: str, params: Any, allow_empty: bool = False) -> list[Tensor]:
    """`params` as a list of distinct float leaf Tensors that require grad."""
    what = "an iterable of Tensors (model.parameters()) or of param-group dicts"
    params = list(checks.items(owner, name, params, what, exclude=(Tensor, np.ndarray)))
    if not params and not allow_empty:
        raise ValueError(f"{owner}: {name} is an empty parameter list")
    seen: set[int] = set()
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{owner}: {name}[{i}] is a {type(p).__name__}, not a Tensor")
        why = why_not_trainable(p)
        if why:
            raise ValueError(f"{owner}: {name}[{i}] (shape {p.shape}) is not a float leaf with grad: {why}")
        if id(p) in seen:
            raise ValueError(f"{owner}: {name}[{i}] (shape {p.shape}) appears more than once")
        seen.add(id(p))
    return params


def split_groups(owner: str, params: Any) -> list[tuple[str, Any]]:
    """`params` (Tensors, or dicts with "params" and options, as PyTorch takes them) as
    [(name for errors, group dict or Tensor list)]: one group of Tensors, or one per dict."""
    what = "an iterable of Tensors (model.parameters()) or of param-group dicts"
    items = checks.items(owner, "params", params, what, exclude=(Tensor, np.ndarray))
    if not items:
        raise ValueError(f"{owner}: params is an empty parameter list")
    if not isinstance(items[0], Mapping):
        return [("params", items)]
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise TypeError(
                f"{owner}: params[{i}] is a {type(item).__name__}, not a param-group dict "
                "(params[0] is a dict: give all groups as dicts)"
            )
    return [(f"params[{i}]", item) for i, item in enumerate(items)]


def check_group(owner: str, name: str, group: Any, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """A param-group dict checked and completed from `defaults`: {"params": [...], every
    hyperparameter}. Keys other than "params" and the hyperparameters are refused."""
    if not isinstance(group, Mapping):
        raise TypeError(f"{owner}: {name} must be a dict with 'params' and options, got {got(group)}")
    if "params" not in group:
        raise ValueError(f"{owner}: {name} has no 'params' key")
    unknown = [key for key in group if key != "params" and key not in defaults]
    if unknown:
        known = ", ".join(["params", *defaults])
        raise ValueError(f"{owner}: {name} has unknown key {unknown[0]!r} (known: {known})")
    params = group["params"]
    params = [params] if isinstance(params, Tensor) else params
    where = name if name == "params" else f"{name}['params']"  # plain Tensors: the params argument itself
    checked: dict[str, Any] = {"params": check_params(owner, where, params, allow_empty=name != "params")}
    for key, default in defaults.items():
        given = key in group
        checked[key] = check_hyperparameter(owner, f"{name}[{key!r}]", group[key], key) if given else default
    return checked
