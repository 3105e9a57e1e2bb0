"""Grad mode, per thread: whether ops record the graph, and the opaque tag each recorded
node carries (the lab's named scopes use it; the engine never looks inside)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _Mode(threading.local):
    """`enabled` and `tag` are read as attributes and set only through `set_mode` (by
    `no_grad`/`enable_grad`, `push_tag`/`pop_tag` and the engine), which keeps `record`
    in step: what `Function.apply` reads, once per op, None when recording is off,
    else `(tag,)`."""

    enabled = True  # each thread starts with recording on
    tag: Any = None  # stored on every node recorded while it is set
    record: tuple[Any] | None = (None,)

    def __init__(self) -> None:  # runs once in each thread that touches the mode
        self.saved: list[bool] = []  # grad modes to restore, innermost last
        self.tags: list[Any] = []  # tags to restore, innermost last


mode = _Mode()


def set_mode(enabled: bool, tag: Any) -> None:
    """Set this thread's grad mode and tag (and `record`, what ops read)."""
    mode.enabled, mode.tag, mode.record = enabled, tag, (tag,) if enabled else None


def is_grad_enabled() -> bool:
    """Whether ops on this thread record the graph."""
    return mode.enabled


class _SetGradMode:
    """Context manager and decorator that sets grad mode on this thread.

    The mode to restore lives on a per-thread stack, not on the instance, so one
    instance may be re-entered (`with ng: with ng:`) or shared between threads.
    Works as `with no_grad():`, `@no_grad()` and bare `@no_grad`."""

    enabled = True

    def __new__(cls, fn: Callable[..., Any] | None = None) -> Any:
        if fn is None:
            return super().__new__(cls)
        if not callable(fn):
            raise TypeError(f"{cls.__name__}: expected a function to decorate or no argument, got {fn!r}")
        return cls()(fn)  # bare decorator: @no_grad

    def __enter__(self) -> None:
        mode.saved.append(mode.enabled)
        set_mode(self.enabled, mode.tag)

    def __exit__(self, *exc: object) -> None:
        set_mode(mode.saved.pop(), mode.tag)

    def __call__(self, fn: F) -> F:
        if not callable(fn):
            raise TypeError(f"{type(self).__name__}: can only decorate a function, got {fn!r}")

        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_SetGradMode):
    """Disable graph recording on this thread: `with no_grad():`, `@no_grad()` or `@no_grad`."""

    enabled = False


class enable_grad(_SetGradMode):
    """Re-enable graph recording on this thread (inside `no_grad`, for example)."""

    enabled = True


def push_tag(tag: Any) -> None:
    """Tag the nodes recorded from now on with `tag` (until the matching `pop_tag`)."""
    mode.tags.append(mode.tag)
    set_mode(mode.enabled, tag)


def pop_tag() -> None:
    """Restore the tag that was set before the matching `push_tag`."""
    set_mode(mode.enabled, mode.tags.pop() if mode.tags else None)
