"""Learning-rate schedules: an `LRScheduler` sets every param group's `"lr"` from the
number of its `step()` calls (usually one per epoch), with PyTorch's closed forms:
`StepLR`, `CosineAnnealingLR`, `ExponentialLR`, `LambdaLR`, `LinearLR` here,
`OneCycleLR` and `ReduceLROnPlateau` beside them.

As in PyTorch, making a scheduler sets the lrs for epoch 0 (LinearLR starts at
`start_factor` times the lr), `get_last_lr()` is a list with one lr per group, and the
base lrs are the groups' lrs when the scheduler is made. Unlike PyTorch's "chainable"
forms, each lr is computed from its base lr and the epoch alone: an lr set by hand
between steps is replaced at the next step, and two schedulers on one optimizer do not
compound. The state dict ({"last_epoch", "base_lrs"}) restores the position and lrs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .. import _checks as checks
from .._checks import got
from .base import Optimizer
from .saved import saved_int, saved_value


def check_optimizer(owner: str, optimizer: Any) -> Optimizer:
    """`optimizer` if it is a tinygrad_ce Optimizer, else a TypeError."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{owner}: optimizer must be a tinygrad_ce Optimizer, got {got(optimizer)}")
    return optimizer


def per_group(owner: str, name: str, value: Any, groups: int, **bounds: Any) -> list[float]:
    """`value` (one number, or a list or tuple with one per param group) as a list of floats."""
    if isinstance(value, (list, tuple)):
        if len(value) != groups:
            raise ValueError(f"{owner}: {name} has {len(value)} values for {groups} param groups")
        return [checks.number(owner, f"{name}[{i}]", v, **bounds) for i, v in enumerate(value)]
    return [checks.number(owner, name, value, **bounds)] * groups


class LRScheduler:
    """Sets each param group's lr from the number of `step()` calls (usually once per
    epoch), starting from the groups' lrs when the scheduler is made (`base_lrs`).
    Subclasses implement `_lr(epoch, group)`. An lr that would not be finite (a large
    `gamma` over many epochs) or negative is a ValueError, and no lr changes."""

    def __init__(self, optimizer: Optimizer) -> None:
        name = type(self).__name__
        self.optimizer = check_optimizer(name, optimizer)
        self.base_lrs: list[float] = self._initial_lrs()
        self.last_epoch = 0
        self._last_lr: list[float] = []
        self._initial_step()

    def _initial_lrs(self) -> list[float]:
        name = type(self).__name__
        return [
            checks.number(name, f"optimizer.param_groups[{i}]['lr']", group["lr"], low=0.0)
            for i, group in enumerate(self.optimizer.param_groups)
        ]

    def _initial_step(self) -> None:
        """PyTorch's first step when a scheduler is made: the lrs for epoch 0."""
        self._set_lrs(0)

    def _lr(self, epoch: int, group: int) -> float:
        """The lr of param group `group` after `epoch` steps (arguments already checked)."""
        raise NotImplementedError

    def _extra_settings(self, epoch: int) -> list[dict[str, Any]]:
        """Other group values to set with the lrs (OneCycleLR's momentum); none here."""
        return [{} for _ in self.base_lrs]

    def lr_at(self, epoch: int, group: int = 0) -> float:
        """The lr of param group `group` after `epoch` steps."""
        name = type(self).__name__
        epoch = checks.integer(f"{name}.lr_at", "epoch", epoch, low=0)
        group = checks.integer(f"{name}.lr_at", "group", group, low=0)
        if group >= len(self.base_lrs):
            raise ValueError(
                f"{name}.lr_at: group {group} is out of range ({len(self.base_lrs)} param groups)"
            )
        return self._lr(epoch, group)

    def _set_lrs(self, epoch: int) -> None:
        name, groups = type(self).__name__, self.optimizer.param_groups
        if len(groups) != len(self.base_lrs):
            raise ValueError(
                f"{name}: the optimizer has {len(groups)} param groups; the scheduler was made "
                f"for {len(self.base_lrs)}"
            )
        lrs = [self._lr(epoch, g) for g in range(len(groups))]
        for g, lr in enumerate(lrs):
            if not math.isfinite(lr) or lr < 0:
                what = "not finite" if not math.isfinite(lr) else "negative"
                raise ValueError(
                    f"{name}: the lr at epoch {epoch} is {what} ({lr}, param group {g}); {self!r}"
                )
        extras = self._extra_settings(epoch)
        for group, lr, extra in zip(groups, lrs, extras):
            group["lr"] = lr
            group.update(extra)
        self._last_lr = lrs

    def step(self) -> None:
        """Count one epoch and set every group's lr for the next one."""
        self._set_lrs(self.last_epoch + 1)
        self.last_epoch += 1

    def get_last_lr(self) -> list[float]:
        """The lrs this scheduler set last, one per param group (PyTorch's list)."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """{"last_epoch": ..., "base_lrs": [one per param group]}."""
        return {"last_epoch": self.last_epoch, "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore `state_dict()` and set the groups' lrs to match; checked first. A
        v1 state with one "base_lr" loads into an optimizer with one param group."""
        where = f"{type(self).__name__}.load_state_dict: state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{where} must be a mapping, got {got(state_dict)}")
        present = {
            "last_epoch": "last_epoch" in state_dict,
            "base_lrs": "base_lrs" in state_dict or "base_lr" in state_dict,
        }
        missing = [key for key, here in present.items() if not here]
        if missing:
            raise ValueError(f"{where}: missing keys: {', '.join(missing)}")
        last_epoch = saved_int(where, "last_epoch", state_dict["last_epoch"])
        try:
            base_lrs = self._saved_base_lrs(where, state_dict)
        except TypeError as err:
            raise ValueError(str(err)) from None
        old = self.base_lrs, self.last_epoch
        self.base_lrs = base_lrs
        try:
            self._set_lrs(last_epoch)
        except ValueError:
            self.base_lrs, self.last_epoch = old
            raise
        self.last_epoch = last_epoch

    def _saved_base_lrs(self, where: str, state_dict: Mapping[str, Any]) -> list[float]:
        groups = len(self.optimizer.param_groups)
        if "base_lrs" not in state_dict:  # the v1 format
            if groups != 1:
                raise ValueError(f"{where}: base_lr is for one param group, the optimizer has {groups}")
            return [checks.number(where, "base_lr", saved_value(state_dict["base_lr"]), low=0.0)]
        value = saved_value(state_dict["base_lrs"])
        if not isinstance(value, (list, tuple)):
            raise ValueError(
                f"{where}: base_lrs must be a list of lrs, one per param group, got {got(value)}"
            )
        return per_group(where, "base_lrs", list(value), groups, low=0.0)

    def __repr__(self) -> str:
        shown = {k: v for k, v in vars(self).items() if k != "optimizer" and not k.startswith("_")}
        settings = ", ".join(f"{k}={v}" for k, v in shown.items())
        return f"{type(self).__name__}({settings})"


class StepLR(LRScheduler):
    """lr = base_lr * gamma ** (epoch // step_size)."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = checks.integer("StepLR", "step_size", step_size, low=1)
        self.gamma = checks.number("StepLR", "gamma", gamma, low=0.0)
        super().__init__(optimizer)

    def _lr(self, epoch: int, group: int) -> float:
        exponent = epoch // self.step_size
        try:
            return self.base_lrs[group] * self.gamma**exponent
        except OverflowError:
            message = f"StepLR: the lr at epoch {epoch} overflows (gamma={self.gamma} ** {exponent})"
            raise ValueError(message) from None


class ExponentialLR(LRScheduler):
    """lr = base_lr * gamma ** epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = checks.number("ExponentialLR", "gamma", gamma, low=0.0)
        super().__init__(optimizer)

    def _lr(self, epoch: int, group: int) -> float:
        try:
            return self.base_lrs[group] * self.gamma**epoch
        except OverflowError:
            message = f"ExponentialLR: the lr at epoch {epoch} overflows (gamma={self.gamma} ** {epoch})"
            raise ValueError(message) from None


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2
    (periodic past T_max, as PyTorch's; exactly base_lr at epoch 0)."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = checks.integer("CosineAnnealingLR", "T_max", T_max, low=1)
        self.eta_min = checks.number("CosineAnnealingLR", "eta_min", eta_min, low=0.0)
        super().__init__(optimizer)

    def _lr(self, epoch: int, group: int) -> float:
        base = self.base_lrs[group]
        if epoch % (2 * self.T_max) == 0:  # cos = 1: the formula's value, without its rounding
            return base
        return self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2


class LinearLR(LRScheduler):
    """lr = base_lr * (start_factor + (end_factor - start_factor) * min(epoch, total_iters)
    / total_iters): from start_factor times the lr to end_factor times it."""

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
    ) -> None:
        self.start_factor = checks.number(
            "LinearLR", "start_factor", start_factor, low=0.0, high=1.0, low_open=True
        )
        self.end_factor = checks.number("LinearLR", "end_factor", end_factor, low=0.0, high=1.0)
        self.total_iters = checks.integer("LinearLR", "total_iters", total_iters, low=1)
        super().__init__(optimizer)

    def _lr(self, epoch: int, group: int) -> float:
        factor = self.start_factor + (self.end_factor - self.start_factor) * min(self.total_iters, epoch) / (
            self.total_iters
        )
        return self.base_lrs[group] * factor


class LambdaLR(LRScheduler):
    """lr = base_lr * lr_lambda(epoch); `lr_lambda` is one function for every group or a
    list with one per group. The functions are not part of the state dict."""

    def __init__(
        self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]]
    ) -> None:
        groups = len(check_optimizer("LambdaLR", optimizer).param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != groups:
                raise ValueError(
                    f"LambdaLR: lr_lambda has {len(lr_lambda)} functions for {groups} param groups"
                )
            lambdas = list(lr_lambda)
        else:
            lambdas = [lr_lambda] * groups
        for i, fn in enumerate(lambdas):
            if not callable(fn):
                index = f"[{i}]" if isinstance(lr_lambda, (list, tuple)) else ""
                raise TypeError(f"LambdaLR: lr_lambda{index} must be a function of the epoch, got {got(fn)}")
        self.lr_lambdas = lambdas
        super().__init__(optimizer)

    def _lr(self, epoch: int, group: int) -> float:
        factor = self.lr_lambdas[group](epoch)
        if not checks.is_real(factor):
            raise TypeError(
                f"LambdaLR: lr_lambda returned {got(factor)} at epoch {epoch} (param group "
                f"{group}), not a number"
            )
        return self.base_lrs[group] * float(factor)
