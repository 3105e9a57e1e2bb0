"""`Optimizer`, the base class: param groups (PyTorch's `param_groups`), `zero_grad`,
`step`'s loop over the parameters that have a gradient, and the flat state dict.

`optimizer.param_groups` is a list of dicts, each with "params" (a list of Tensors) and
every hyperparameter, as in PyTorch. A scheduler (or you) changes `group["lr"]` between
steps; `step` checks every group's values first, so a NaN lr set by hand is an error
naming the group, not NaN parameters. `optimizer.lr` (and `.momentum`, `.betas`, ...)
read the first group's value; writing one checks it and sets it when there is a single
group (with several, set `param_groups[i][name]`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from operator import is_
from typing import Any

import numpy as np

from .. import _checks as checks
from .._checks import got
from ..autograd.trace import replayed
from ..tensor import Tensor
from .hyperparameters import check_group, check_hyperparameter, split_groups
from .saved import saved_buffer, saved_int, saved_value

# elements (128 kB of float32, malloc's mmap threshold): below it a temporary is reused
# memory, cheaper than finding a kept buffer; above it each one would fault in new pages
SMALL = 1 << 15


class GroupSetting:
    """`optimizer.<name>`: the first param group's value. Assigning checks the value
    and sets it when the optimizer has one group; with several it is a ValueError
    (say which group: `optimizer.param_groups[i][name] = value`)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is None:
            return self
        return obj.param_groups[0][self.name]

    def __set__(self, obj: Any, value: Any) -> None:
        owner = type(obj).__name__
        if len(obj.param_groups) != 1:
            raise ValueError(
                f"{owner}: {self.name} is per group and there are {len(obj.param_groups)} "
                f"param groups; set optimizer.param_groups[i][{self.name!r}] instead"
            )
        checked = check_hyperparameter(owner, self.name, value)
        obj._check_combination(owner, {**obj.param_groups[0], self.name: checked})
        obj.param_groups[0][self.name] = checked


class Optimizer:
    """Base class: `param_groups`, `defaults`, `state`, `zero_grad`, `step`, state dicts.

    `params` is an iterable of Tensors or of dicts {"params": Tensors, option: value}
    (options override `defaults` for that group), as PyTorch's. Subclasses list their
    hyperparameters in `hyperparameters` (each becomes a `GroupSetting` attribute), the
    keys of a parameter's state in `state_keys` ("step", an int, and ndarray buffers of
    the parameter's shape; `optional_state_keys` may be absent) and implement `_update`."""

    hyperparameters: tuple[str, ...] = ("lr",)
    lr: float  # (a GroupSetting on each subclass, as every hyperparameter: the first group's value)
    state_keys: tuple[str, ...] = ()
    optional_state_keys: tuple[str, ...] = ()
    non_negative_state: tuple[str, ...] = ()  # buffers that hold sums or means of squares

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in cls.hyperparameters:
            if not isinstance(getattr(cls, name, None), GroupSetting):
                setattr(cls, name, GroupSetting(name))

    def __init__(
        self, params: Iterable[Tensor] | Iterable[Mapping[str, Any]], defaults: Mapping[str, Any]
    ) -> None:
        owner = type(self).__name__
        if set(defaults) != set(self.hyperparameters):
            raise TypeError(
                f"{owner}: defaults must have the keys {self.hyperparameters}, got {sorted(defaults)}"
            )
        self.defaults = {key: check_hyperparameter(owner, key, defaults[key]) for key in self.hyperparameters}
        self._check_combination(owner, self.defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.params: list[Tensor] = []  # every group's, in order: "state.<i>" numbers them
        self.state: list[dict[str, Any]] = []  # per parameter: step, buffers
        self._index: dict[int, int] = {}
        self._checked_values: list[tuple[Any, ...]] = []  # per group: the values `step` checked last
        for name, group in split_groups(owner, params):
            self._add_group(owner, name, {"params": group} if name == "params" else group)

    def add_param_group(self, param_group: Mapping[str, Any]) -> None:
        """Add a group {"params": Tensors, option: value}; missing options take `defaults`."""
        self._add_group(f"{type(self).__name__}.add_param_group", "param_group", param_group)

    def _add_group(self, owner: str, name: str, group: Any) -> None:
        checked = check_group(owner, name, group, self.defaults)
        self._check_combination(owner, checked)
        for i, p in enumerate(checked["params"]):
            if id(p) in self._index:
                raise ValueError(
                    f"{owner}: {name}['params'][{i}] (shape {p.shape}) is already in a param group"
                )
        for p in checked["params"]:
            self._index[id(p)] = len(self.params)
            self.params.append(p)
            self.state.append({})
        self.param_groups.append(checked)

    def _check_combination(self, owner: str, values: Mapping[str, Any]) -> None:
        """Rules that involve several hyperparameters (SGD's nesterov); none here."""

    @replayed  # (tinygrad_ce.jit records the call and replays it)
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Set every parameter's `.grad` to None (PyTorch's default), or with
        `set_to_none=False` fill it with zeros in place (a gradient that is part of a
        graph, or read-only, is replaced by zeros)."""
        if set_to_none is True:  # (the common case, and every replay of a jitted step)
            for p in self.params:
                p._grad = None  # (what the `.grad` setter does with None)
            return
        set_to_none = checks.boolean(f"{type(self).__name__}.zero_grad", "set_to_none", set_to_none)
        for p in self.params:
            if set_to_none or p.grad is None:
                p.grad = None
            elif p.grad.grad_fn is None and p.grad.data.flags.writeable:
                p.grad.data[...] = 0
            else:
                p.grad = Tensor(np.zeros_like(p.data))

    @replayed
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient, in place, with its group's
        hyperparameters, by the rule in the optimizer's class docstring. `closure`, when
        given, is called first (it recomputes the loss, as in PyTorch) and its result
        is returned. Parameters whose `.grad` is None are skipped; the update is numpy
        work on `p.data` (nothing is recorded in the graph, float32 stays float32)."""
        if closure is not None and not callable(closure):
            raise TypeError(
                f"{type(self).__name__}.step: closure must be callable or None, got {got(closure)}"
            )
        loss = closure() if closure is not None else None
        update, index, params, states = self._update, self._index, self.params, self.state
        for group in self._checked_groups():
            lr = self._plain_rate(group)
            for p in group["params"]:  # (the hot loop: no generator, no property)
                grad = p._grad
                if grad is None:
                    continue
                i = index.get(id(p))
                if i is None or params[i] is not p:
                    i, index = self._reindex(p), self._index
                data = p.data
                if lr is not None and data.size < SMALL:  # p -= lr * g, without a call
                    data -= grad.data * lr
                else:
                    update(p, grad.data, states[i], group)
        return loss

    def _plain_rate(self, group: Mapping[str, Any]) -> float | None:
        """`lr` when this group's rule is plain `p -= lr * grad` with no state (SGD
        without momentum or weight decay), which `step` then applies itself to small
        parameters; None otherwise (every update goes through `_update`)."""
        return None

    def _update(self, p: Tensor, g: np.ndarray, state: dict[str, Any], group: Mapping[str, Any]) -> None:
        """Update `p.data` in place from its gradient `g`, its `state` and its group's values."""
        raise NotImplementedError

    def _checked_groups(self) -> list[dict[str, Any]]:
        """The param groups, every hyperparameter checked again (they may have been set by hand)."""
        keys, known = self.hyperparameters, self._checked_values
        for i, group in enumerate(self.param_groups):
            if i < len(known) and all(map(is_, map(group.get, keys), known[i])):
                continue  # the very objects checked before (immutable): still valid
            owner = f"{type(self).__name__}.step"
            missing = [key for key in keys if key not in group]
            if missing:
                raise ValueError(f"{owner}: param_groups[{i}] has no {missing[0]!r}")
            checked = {
                key: check_hyperparameter(owner, f"param_groups[{i}][{key!r}]", group[key], key)
                for key in keys
            }
            self._check_combination(f"{owner}: param_groups[{i}]", checked)
            group.update(checked)
            known[i : i + 1] = [tuple(checked[key] for key in keys)]
        return self.param_groups

    def _reindex(self, p: Tensor) -> int:
        """The index of `p` after the ids changed (a copy.deepcopy), or a clear error."""
        self._index = {id(q): i for i, q in enumerate(self.params)}
        index = self._index.get(id(p))
        if index is None:
            raise ValueError(
                f"{type(self).__name__}.step: a param group holds a Tensor (shape "
                f"{p.shape}) that the optimizer was not given; use add_param_group"
            )
        return index

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        """Flat {key: number or ndarray}: "kind", "num_params", the first group's
        hyperparameters under their names, those of group g >= 1 as "group.<g>.<name>"
        (and "group_sizes", the groups' parameter counts, when there are several), and
        "state.<i>.<buffer>" (copies) for every parameter i that has state."""
        out: dict[str, Any] = {"kind": type(self).__name__, "num_params": len(self.params)}
        for g, group in enumerate(self.param_groups):
            for key in self.hyperparameters:
                out[key if g == 0 else f"group.{g}.{key}"] = group[key]
        if len(self.param_groups) > 1:
            out["group_sizes"] = np.array([len(group["params"]) for group in self.param_groups])
        for i, state in enumerate(self.state):
            for key, value in state.items():
                out[f"state.{i}.{key}"] = value.copy() if isinstance(value, np.ndarray) else value
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore hyperparameters and buffers saved by `state_dict` (as written by
        `tinygrad_ce.save`, values may be 0-d arrays). Everything is checked first:
        what does not fit (a NaN lr, other group sizes, a buffer of the wrong shape or
        holding NaN) is a ValueError naming the key, and then nothing has changed."""
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
        self._check_group_sizes(where, state_dict)
        states = self._saved_states(where, state_dict)
        settings = self._saved_settings(where, state_dict)
        for group, values in zip(self.param_groups, settings):
            group.update(values)
        self.state = states

    def _check_group_sizes(self, where: str, state_dict: Mapping[str, Any]) -> None:
        sizes = tuple(len(group["params"]) for group in self.param_groups)
        saved = saved_value(state_dict.get("group_sizes", (len(self.params),)))
        saved = saved if isinstance(saved, tuple) else (saved,)
        if not all(checks.is_int(n) and n >= 0 for n in saved):
            raise ValueError(f"{where}: group_sizes must be non-negative integers, got {checks.shown(saved)}")
        if tuple(saved) != sizes:
            raise ValueError(
                f"{where}: group_sizes: the state has param groups of {tuple(saved)} parameters, not {sizes}"
            )

    def _saved_settings(self, where: str, state_dict: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every group's hyperparameters in `state_dict`, checked (a wrong type is a ValueError too)."""
        groups = len(self.param_groups)
        for key in state_dict:
            if not (isinstance(key, str) and key.startswith("group.")):
                continue
            parts = key.split(".")
            if (
                len(parts) != 3
                or not parts[1].isdigit()
                or not 1 <= int(parts[1]) < groups
                or (parts[2] not in self.hyperparameters)
            ):
                raise ValueError(f"{where}: unexpected key {key!r}")
        keys = [
            {name: name if g == 0 else f"group.{g}.{name}" for name in self.hyperparameters}
            for g in range(groups)
        ]
        missing = [key for names in keys for key in names.values() if key not in state_dict]
        if missing:
            raise ValueError(f"{where}: missing keys: {', '.join(missing)}")
        settings = []
        try:
            for names in keys:
                values = {
                    name: check_hyperparameter(where, key, saved_value(state_dict[key]), name)
                    for name, key in names.items()
                }
                self._check_combination(where, values)
                settings.append(values)
        except TypeError as err:  # a value of the wrong type in a state dict is a bad value
            raise ValueError(str(err)) from None
        return settings

    def _saved_states(self, where: str, state_dict: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The per-parameter state in `state_dict` ("state.<i>.<key>"), checked."""
        states: list[dict[str, Any]] = [{} for _ in self.params]
        allowed = (*self.state_keys, *self.optional_state_keys)
        for key, value in state_dict.items():
            if not isinstance(key, str):
                raise ValueError(f"{where}: unexpected key {key!r} (a {type(key).__name__}, not a string)")
            if not key.startswith("state."):
                continue
            parts = key.split(".", 2)
            if (
                len(parts) != 3
                or not parts[1].isdigit()
                or not int(parts[1]) < len(self.params)
                or (parts[2] not in allowed)
            ):
                raise ValueError(f"{where}: unexpected key {key!r}")
            i, buffer = int(parts[1]), parts[2]
            if buffer == "step":
                states[i]["step"] = saved_int(where, key, value)
            else:
                positive = buffer in self.non_negative_state
                states[i][buffer] = saved_buffer(where, key, value, self.params[i], i, positive)
        for i, state in enumerate(states):
            absent = [f"state.{i}.{key}" for key in self.state_keys if key not in state]
            if state and absent:
                raise ValueError(f"{where}: missing keys: {', '.join(absent)}")
        return states

    def __repr__(self) -> str:
        def settings(group: Mapping[str, Any]) -> str:
            return ", ".join(f"{key}={group[key]}" for key in self.hyperparameters)

        name, count = type(self).__name__, len(self.params)
        if len(self.param_groups) == 1:
            return f"{name}({count} parameters, {settings(self.param_groups[0])})"
        groups = "; ".join(
            f"group {g} ({len(group['params'])}): {settings(group)}"
            for g, group in enumerate(self.param_groups)
        )
        return f"{name}({count} parameters in {len(self.param_groups)} groups; {groups})"
