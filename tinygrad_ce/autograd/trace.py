"""The hooks a tracer (`tinygrad_ce.jit`) uses to record what a step function runs.

`function.TRACER` is None except while a jitted function traces; the hot paths
(`Function.apply`, `run_backward`, `Tensor()`) test only that one global. `replayed`
marks a Python function whose work is not made of ops (target preparation, an optimizer
step, a dropout draw) so that a trace records the call itself and a replay calls it again.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from . import function

F = TypeVar("F", bound=Callable[..., Any])


class TraceError(RuntimeError):
    """Something inside a function being traced by `tinygrad_ce.jit` cannot be replayed."""


def tracer() -> Any:
    """The active tracer, or None."""
    return function.TRACER


def set_tracer(value: Any) -> Any:
    """Install `value` as the active tracer (None stops tracing); returns the previous one."""
    previous, function.TRACER = function.TRACER, value
    return previous


def replayed(fn: F) -> F:
    """Decorator: while tracing, record calls of `fn` (with its arguments) so that each
    replay calls `fn` again on that replay's values; otherwise call `fn` (one global check)."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        active = function.TRACER
        if active is None:
            return fn(*args, **kwargs)
        return active.call(fn, args, kwargs)

    return wrapper  # type: ignore[return-value]


def check_read(t: Any, what: str) -> None:
    """Raise a TraceError if `t`'s values are read in Python (`what`) while it is traced."""
    active = function.TRACER
    if active is not None:
        active.check_read(t, what)


@replayed
def assign_grad(t: Any, value: Any) -> None:
    """`t.grad = value` as a traced step does it: recorded, so each replay assigns it too."""
    t.grad = value


@replayed
def derived(fn: Callable[..., Any], *args: Any) -> Any:
    """`fn(*args)`: numpy work on tensors' values outside any op (a comparison mask, a
    sign), which a tracing `tinygrad_ce.jit` records as a call, so that each replay
    computes it again from that replay's arrays (pass `t.data` itself, not an array
    computed from it, so the trace sees where the values come from)."""
    return fn(*args)
