"""`OneCycleLR`: PyTorch's 1cycle policy, stepped once per batch. The lr rises from
max_lr/div_factor to max_lr over the first `pct_start` of `total_steps`, then falls to
max_lr/div_factor/final_div_factor (`three_phase`: back to the start first, then down);
with `cycle_momentum` (PyTorch's default) the momentum (SGD, RMSprop) or beta1 (Adam)
moves the other way, between max_momentum and base_momentum."""

from __future__ import annotations

import math
from typing import Any

from .. import _checks as checks
from .base import Optimizer
from .schedulers import LRScheduler, check_optimizer, per_group

_NAME = "OneCycleLR"


def _total_steps(total_steps: Any, epochs: Any, steps_per_epoch: Any) -> int:
    if total_steps is not None:
        return checks.integer(_NAME, "total_steps", total_steps, low=1)
    if epochs is None or steps_per_epoch is None:
        raise ValueError(
            f"{_NAME}: give total_steps, or epochs and steps_per_epoch (got total_steps=None, "
            f"epochs={epochs!r}, steps_per_epoch={steps_per_epoch!r})"
        )
    return checks.integer(_NAME, "epochs", epochs, low=1) * checks.integer(
        _NAME, "steps_per_epoch", steps_per_epoch, low=1
    )


def _anneal(strategy: str, start: float, end: float, pct: float) -> float:
    """From `start` (pct 0) to `end` (pct 1), by half a cosine or a line (PyTorch's formulas)."""
    if strategy == "cos":
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
    return (end - start) * pct + start


class OneCycleLR(LRScheduler):
    """The 1cycle schedule, PyTorch's numbers; call `step()` after every batch, at most
    `total_steps` times. With `cycle_momentum` the group's "momentum" (or "betas"[0])
    is set at every step too (also when SGD was made with momentum=0, as in PyTorch)."""

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
    ) -> None:
        groups = len(check_optimizer(_NAME, optimizer).param_groups)
        self.total_steps = _total_steps(total_steps, epochs, steps_per_epoch)
        self.max_lrs = per_group(_NAME, "max_lr", max_lr, groups, low=0.0)
        self.pct_start = checks.number(_NAME, "pct_start", pct_start, low=0.0, high=1.0)
        self.anneal_strategy = checks.string(_NAME, "anneal_strategy", anneal_strategy, ("cos", "linear"))
        self.div_factor = checks.number(_NAME, "div_factor", div_factor, low=0.0, low_open=True)
        self.final_div_factor = checks.number(
            _NAME, "final_div_factor", final_div_factor, low=0.0, low_open=True
        )
        self.three_phase = checks.boolean(_NAME, "three_phase", three_phase)
        self.cycle_momentum = checks.boolean(_NAME, "cycle_momentum", cycle_momentum)
        self._momentum_key = self._momentum_name(optimizer) if self.cycle_momentum else None
        self.base_momentums = self._momenta("base_momentum", base_momentum, groups)
        self.max_momentums = self._momenta("max_momentum", max_momentum, groups)
        self._initial = [m / self.div_factor for m in self.max_lrs]
        self._min = [lr / self.final_div_factor for lr in self._initial]
        self._phases = self._make_phases()
        super().__init__(optimizer)

    @staticmethod
    def _momentum_name(optimizer: Optimizer) -> str:
        for key in ("momentum", "betas"):
            if key in optimizer.defaults:
                return key
        raise ValueError(
            f"{_NAME}: cycle_momentum=True needs an optimizer with momentum or betas; "
            f"{type(optimizer).__name__} has neither (pass cycle_momentum=False)"
        )

    def _momenta(self, name: str, value: Any, groups: int) -> list[float]:
        beta1 = {"high": 1.0, "high_open": True} if self._momentum_key == "betas" else {}  # beta1 < 1
        return per_group(_NAME, name, value, groups, low=0.0, **beta1)

    def _make_phases(self) -> list[tuple[float, str, str, str, str]]:
        """(end step, start lr, end lr, start momentum, end momentum) per phase, as PyTorch's."""
        total, pct = self.total_steps, self.pct_start
        if self.three_phase:
            return [
                (float(pct * total) - 1, "initial", "max", "max_m", "base_m"),
                (float(2 * pct * total) - 2, "max", "initial", "base_m", "max_m"),
                (total - 1, "initial", "min", "max_m", "max_m"),
            ]
        return [
            (float(pct * total) - 1, "initial", "max", "max_m", "base_m"),
            (total - 1, "max", "min", "base_m", "max_m"),
        ]

    def _initial_lrs(self) -> list[float]:
        return list(self._initial)

    def _where(self, step: int) -> tuple[float, tuple[float, str, str, str, str]]:
        """(fraction of the phase done, the phase) at `step`."""
        if step > self.total_steps:
            raise ValueError(f"{_NAME}: tried to step {step} times; total_steps is {self.total_steps}")
        start = 0.0
        for i, phase in enumerate(self._phases):
            end = phase[0]
            if step <= end or i == len(self._phases) - 1:
                if end == start:
                    raise ValueError(
                        f"{_NAME}: step {step} falls in a phase of no length (pct_start="
                        f"{self.pct_start}, total_steps={self.total_steps}); change pct_start"
                    )
                return (step - start) / (end - start), phase
            start = end
        raise AssertionError("unreachable")

    def _value(self, key: str, group: int) -> float:
        table = {
            "initial": self._initial,
            "max": self.max_lrs,
            "min": self._min,
            "max_m": self.max_momentums,
            "base_m": self.base_momentums,
        }
        return table[key][group]

    def _lr(self, epoch: int, group: int) -> float:
        pct, phase = self._where(epoch)
        return _anneal(self.anneal_strategy, self._value(phase[1], group), self._value(phase[2], group), pct)

    def _extra_settings(self, epoch: int) -> list[dict[str, Any]]:
        if self._momentum_key is None:
            return super()._extra_settings(epoch)
        pct, phase = self._where(epoch)
        settings = []
        for g, group in enumerate(self.optimizer.param_groups):
            m = _anneal(self.anneal_strategy, self._value(phase[3], g), self._value(phase[4], g), pct)
            beta1 = self._momentum_key == "betas"
            settings.append({"betas": (m, *group["betas"][1:])} if beta1 else {"momentum": m})
        return settings
