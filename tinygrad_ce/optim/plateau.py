"""`ReduceLROnPlateau`: PyTorch's rule for lowering the lr when a metric stops improving.
It is stepped with the metric (`step(val_loss)`), not by the epoch count alone."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import _checks as checks
from .._checks import got
from ..tensor import Tensor
from .base import Optimizer
from .saved import saved_int, saved_value
from .schedulers import LRScheduler, check_optimizer, per_group

_NAME = "ReduceLROnPlateau"
_STATE = ("last_epoch", "best", "num_bad_epochs", "cooldown_counter")


def _metric(value: Any) -> float:
    """`metrics` as a float: a real number, or a one-element ndarray or Tensor."""
    array = (
        np.asarray(value.data if isinstance(value, Tensor) else value)
        if isinstance(value, (Tensor, np.ndarray))
        else None
    )
    if array is not None and array.size == 1 and array.dtype.kind in "fiu":
        return float(array.reshape(()))
    if array is not None or not checks.is_real(value):
        raise TypeError(f"{_NAME}.step: metrics must be a number (or a one-element Tensor), got {got(value)}")
    return float(value)


class ReduceLROnPlateau(LRScheduler):
    """Multiply each group's lr by `factor` (not below its `min_lr`) once the metric has
    not improved for more than `patience` steps, then wait `cooldown` steps; a change
    smaller than `eps` is skipped. "Improved" is better than the best seen by
    `threshold`, relative (`threshold_mode="rel"`) or absolute, lower (`mode="min"`) or
    higher ("max"). A NaN metric never improves (as in PyTorch). Making the scheduler
    leaves the lrs as they are; its state dict holds `last_epoch`, `best`,
    `num_bad_epochs` and `cooldown_counter` (the lrs are in the optimizer's)."""

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0.0,
        eps: float = 1e-8,
    ) -> None:
        groups = len(check_optimizer(_NAME, optimizer).param_groups)
        self.mode = checks.string(_NAME, "mode", mode, ("min", "max"))
        self.factor = checks.number(_NAME, "factor", factor, low=0.0, high=1.0, high_open=True)
        self.patience = checks.integer(_NAME, "patience", patience, low=0)
        self.threshold = checks.number(_NAME, "threshold", threshold, low=0.0)
        self.threshold_mode = checks.string(_NAME, "threshold_mode", threshold_mode, ("rel", "abs"))
        self.cooldown = checks.integer(_NAME, "cooldown", cooldown, low=0)
        self.min_lrs = per_group(_NAME, "min_lr", min_lr, groups, low=0.0)
        self._default_min_lr = None if isinstance(min_lr, (list, tuple)) else self.min_lrs[0]
        self.eps = checks.number(_NAME, "eps", eps, low=0.0)
        self.best = math.inf if self.mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        super().__init__(optimizer)

    def _initial_step(self) -> None:
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def lr_at(self, epoch: int, group: int = 0) -> float:
        """Not defined: this lr depends on the metrics seen, not on the epoch alone."""
        raise NotImplementedError(
            f"{_NAME}: the lr depends on the metrics passed to step(), not on the "
            "epoch alone; get_last_lr() gives the current lrs"
        )

    def _is_better(self, current: float) -> bool:
        if self.mode == "min":
            return current < (
                self.best * (1.0 - self.threshold)
                if self.threshold_mode == "rel"
                else self.best - self.threshold
            )
        return current > (
            self.best * (self.threshold + 1.0) if self.threshold_mode == "rel" else self.best + self.threshold
        )

    def step(self, metrics: Any) -> None:  # type: ignore[override]
        """Count one epoch with this value of the metric; lower the lrs after a plateau."""
        current = _metric(metrics)
        self.last_epoch += 1
        if self._is_better(current):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in the cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lrs()
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _reduce_lrs(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self._default_min_lr is None:
                raise ValueError(
                    f"{_NAME}: the optimizer has {len(groups)} param groups, min_lr has "
                    f"{len(self.min_lrs)} values; set scheduler.min_lrs to match"
                )
            self.min_lrs = [self._default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs):
            old = float(group["lr"])
            new = max(old * self.factor, min_lr)
            if old - new > self.eps:
                group["lr"] = new

    def state_dict(self) -> dict[str, Any]:
        """{"last_epoch", "best", "num_bad_epochs", "cooldown_counter"}."""
        return {key: getattr(self, key) for key in _STATE}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore `state_dict()`, checked first (`best` may be inf, not NaN); the lrs
        are not touched (they come back with the optimizer's state)."""
        where = f"{_NAME}.load_state_dict: state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{where} must be a mapping, got {got(state_dict)}")
        missing = [key for key in _STATE if key not in state_dict]
        if missing:
            raise ValueError(f"{where}: missing keys: {', '.join(missing)}")
        counts = {key: saved_int(where, key, state_dict[key]) for key in _STATE if key != "best"}
        best = saved_value(state_dict["best"])
        if not checks.is_real(best) or math.isnan(best):
            raise ValueError(f"{where}: best must be a number (inf allowed), got {got(best)}")
        for key, value in counts.items():
            setattr(self, key, value)
        self.best = float(best)
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]
