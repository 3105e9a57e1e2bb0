"""Learning-rate schedules: `LRScheduler` sets `optimizer.lr` from the number of its
`step()` calls (usually one per epoch); `StepLR` and `CosineAnnealingLR` follow
PyTorch's formulas. Their state dicts save and restore the schedule's position."""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .. import _checks as checks
from .._checks import got
from .optimizers import Optimizer
from .saved import saved_int, saved_value


class LRScheduler:
    """Sets `optimizer.lr` from the number of `step()` calls (usually once per epoch),
    starting from the optimizer's lr when the scheduler is made. An lr that would not
    be finite (a large `gamma` over many epochs) is a ValueError, not an inf lr."""

    def __init__(self, optimizer: Optimizer) -> None:
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: optimizer must be a tinygrad_ce Optimizer, got {got(optimizer)}")
        self.optimizer = optimizer
        self.base_lr = checks.number(name, "optimizer.lr", optimizer.lr, low=0.0)
        self.last_epoch = 0

    def lr_at(self, epoch: int) -> float:
        """The lr after `epoch` steps."""
        raise NotImplementedError

    def _set_lr(self, epoch: int) -> None:
        lr = self.lr_at(epoch)
        if not math.isfinite(lr):
            raise ValueError(f"{type(self).__name__}: the lr at epoch {epoch} is not finite ({lr}); {self!r}")
        self.optimizer.lr = lr

    def step(self) -> None:
        """Count one epoch and set the optimizer's lr for the next one."""
        self._set_lr(self.last_epoch + 1)
        self.last_epoch += 1

    def get_last_lr(self) -> float:
        """The optimizer's current lr."""
        return self.optimizer.lr

    def state_dict(self) -> dict[str, Any]:
        """{"last_epoch": ..., "base_lr": ...}."""
        return {"last_epoch": self.last_epoch, "base_lr": self.base_lr}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore `state_dict()` and set the optimizer's lr to match; checked first."""
        where = f"{type(self).__name__}.load_state_dict: state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{where} must be a mapping, got {got(state_dict)}")
        missing = [key for key in ("last_epoch", "base_lr") if key not in state_dict]
        if missing:
            raise ValueError(f"{where}: missing keys: {', '.join(missing)}")
        last_epoch = saved_int(where, "last_epoch", state_dict["last_epoch"])
        try:
            base_lr = checks.number(where, "base_lr", saved_value(state_dict["base_lr"]), low=0.0)
        except TypeError as err:
            raise ValueError(str(err)) from None
        old = self.base_lr, self.last_epoch
        self.base_lr = base_lr
        try:
            self._set_lr(last_epoch)
        except ValueError:
            self.base_lr, self.last_epoch = old
            raise
        self.last_epoch = last_epoch

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v}" for k, v in vars(self).items() if k != "optimizer")
        return f"{type(self).__name__}({settings})"

    def _check_epoch(self, epoch: Any) -> int:
        return checks.integer(f"{type(self).__name__}.lr_at", "epoch", epoch, low=0)


class StepLR(LRScheduler):
    """lr = base_lr * gamma ** (epoch // step_size)."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = checks.integer("StepLR", "step_size", step_size, low=1)
        self.gamma = checks.number("StepLR", "gamma", gamma, low=0.0)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        """base_lr * gamma ** (epoch // step_size)."""
        exponent = self._check_epoch(epoch) // self.step_size
        try:
            return self.base_lr * self.gamma**exponent
        except OverflowError:
            message = f"StepLR: the lr at epoch {epoch} overflows (gamma={self.gamma} ** {exponent})"
            raise ValueError(message) from None


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = checks.integer("CosineAnnealingLR", "T_max", T_max, low=1)
        self.eta_min = checks.number("CosineAnnealingLR", "eta_min", eta_min, low=0.0)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        """eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2."""
        epoch = self._check_epoch(epoch)
        return self.eta_min + (self.base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2
