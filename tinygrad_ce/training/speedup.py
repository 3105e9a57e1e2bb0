"""`jit_speedup`: how much faster `fit(jit=True)`'s step is than the eager one, measured.

It times the training step that `fit` runs (`loop._step`: forward, loss, `zero_grad`,
`backward`, `optimizer.step()`), eager and through `tinygrad_ce.jit`, on deep copies of
the model and optimizer, so the caller's model, optimizer state and default random
generator are as they were.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..nn import Module
from ..optim import Optimizer
from ..rng import default_generator
from ..tensor import Tensor
from ..traced import jit as _jit
from .evaluate import LossFn, _param_dtype
from .loop import _check_count, _check_fit_arguments, _describe, _Loop, _step


@dataclass(frozen=True)
class JitSpeedup:
    """What `jit_speedup` measured: the best seconds per training step, eager and
    jitted (replayed), and `speedup = eager_seconds / jit_seconds` (above 1: jit is
    faster). `str()` is one line, e.g. "jit: 1.9x faster per step (eager 120 us, jit
    63 us)"."""

    eager_seconds: float
    jit_seconds: float
    speedup: float = field(init=False)

    def __post_init__(self) -> None:
        for name in ("eager_seconds", "jit_seconds"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0 < value < float("inf"):
                raise ValueError(f"JitSpeedup: {name} must be a positive number of seconds, got {value!r}")
        object.__setattr__(self, "speedup", self.eager_seconds / self.jit_seconds)

    def __str__(self) -> str:
        ratio = max(self.speedup, 1 / self.speedup)
        digits = 2 if ratio < 1.1 else 1  # (1.04x, not 1.0x)
        how = f"{ratio:.{digits}f}x {'faster' if self.speedup >= 1 else 'slower'}"
        return (
            f"jit: {how} per step (eager {_duration(self.eager_seconds)}, jit {_duration(self.jit_seconds)})"
        )


def _duration(seconds: float) -> str:
    """A step's time in the unit that reads best: us below a millisecond, else ms."""
    return f"{seconds * 1e6:.0f} us" if seconds < 1e-3 else f"{seconds * 1e3:.1f} ms"


def _copy_loop(
    model: Module, loss_fn: LossFn, optimizer: Optimizer, forward: Callable[[Module, Any], Tensor] | None
) -> _Loop:
    """fit's per-call state on a deep copy of (model, optimizer): copied together, so
    the copied optimizer updates the copied parameters (checked, else an error)."""
    model_copy, optimizer_copy = copy.deepcopy((model, optimizer))
    params = {id(p) for p in model_copy.parameters()}
    if not all(id(p) in params for p in optimizer_copy.params):
        raise ValueError(
            "jit_speedup: optimizer holds tensors that are not model's parameters; "
            "give the optimizer of this model"
        )
    model_copy.train()
    return _Loop(model_copy, loss_fn, optimizer_copy, forward, None, _param_dtype(model_copy))


def _best_per_step(run: Callable[[Any, Any], Any], X: Any, y: Any, steps: int) -> float:
    """Seconds per step of `steps` calls of `run(X, y)`."""
    start = time.perf_counter()
    for _ in range(steps):
        run(X, y)
    return (time.perf_counter() - start) / steps


def jit_speedup(
    model: Module,
    loss_fn: LossFn,
    optimizer: Optimizer,
    X: Any,
    y: Any,
    *,
    forward: Callable[[Module, Any], Tensor] | None = None,
    steps: int = 20,
    rounds: int = 3,
) -> JitSpeedup:
    """Time `fit`'s training step on the batch `(X, y)`, eager and with `jit=True`.

    `model`, `loss_fn`, `optimizer` and `forward` are as `fit` takes them (`forward(model,
    X)` replaces `model(X)`; X is then passed as given, e.g. integer indices); X and y
    are one batch (arrays; a Tensor X too). Two deep copies of the model and optimizer
    (copied together) train: one eagerly, one through `tinygrad_ce.jit` (traced on two
    warm-up calls, then replayed). `rounds` rounds alternate `steps` eager steps with
    `steps` jitted ones, and the best round of each is kept. The caller's model,
    optimizer (parameters, state, learning rate) and default random generator are left
    as they were. Returns a `JitSpeedup` (seconds per step, eager and jit, and their
    ratio); `print` it for one line. A step that jit cannot replay raises jit's
    `TraceError`. Arguments of the wrong kind are a TypeError or ValueError naming them."""
    if isinstance(X, tuple) or isinstance(y, tuple) or X is None or y is None:
        raise TypeError(
            f"jit_speedup: X and y must be one batch of arrays, got X {_describe(X)} and y {_describe(y)}"
        )
    _renamed(_check_count, "steps", steps)
    _renamed(_check_count, "rounds", rounds)
    arguments = dict(model=model, loss_fn=loss_fn, optimizer=optimizer, forward=forward)
    arguments.update(scheduler=None, callback=None, on_step=None, check_finite=True)
    arguments.update(epochs=1, log_every=None, train_loader=(X, y), val_loader=None)
    _renamed(_check_fit_arguments, arguments)
    if not isinstance(getattr(optimizer, "params", None), list):
        raise TypeError(f"jit_speedup: optimizer must be an Optimizer, got {_describe(optimizer)}")
    generator = default_generator()
    random_state = generator.bit_generator.state  # dropout without its own rng draws here
    try:
        eager = _copy_loop(model, loss_fn, optimizer, forward)
        jitted = _copy_loop(model, loss_fn, optimizer, forward)
        replay = _jit(lambda X, y: _step(jitted, X, y))

        def run_eager(X: Any, y: Any) -> Any:
            return _step(eager, X, y)

        run_eager(X, y)  # warm-up calls: one eager; jit's first two trace, the third replays
        for _ in range(3):
            replay(X, y)
        best_eager, best_jit = np.inf, np.inf
        for _ in range(int(rounds)):
            best_eager = min(best_eager, _best_per_step(run_eager, X, y, int(steps)))
            best_jit = min(best_jit, _best_per_step(replay, X, y, int(steps)))
    finally:
        generator.bit_generator.state = random_state
    return JitSpeedup(float(best_eager), float(best_jit))


def _renamed(check: Callable[..., None], *args: Any) -> None:
    """Run one of fit's argument checks; its error names jit_speedup instead of fit."""
    try:
        check(*args)
    except (TypeError, ValueError) as err:
        raise type(err)(str(err).replace("fit:", "jit_speedup:", 1)) from None
