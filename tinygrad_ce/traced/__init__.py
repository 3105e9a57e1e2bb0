"""`tinygrad_ce.jit`: traced replay of a step function (see docs/jit.md).

The first two calls with a signature (the shapes and dtypes of the Tensor/ndarray
arguments, the values of the others, and grad mode) run the function normally while
recording the numpy work, and the second recording is checked against the first: op
forwards, the backward walk, and `replayed` calls (the optimizer's `step` and
`zero_grad`, cross-entropy target preparation, dropout draws). Later calls with that
signature replay the recording: no Tensor or node objects, no topological sort, no dict
of gradients. Python control flow and Python numbers are frozen at trace time.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import update_wrapper
from typing import Any

import numpy as np

from ..autograd.mode import mode
from ..autograd.trace import TraceError, set_tracer, tracer
from ..tensor import Tensor
from .codegen import generate
from .program import Program
from .recorder import WHO, Recorder, same_trace

__all__ = ["jit", "Jit", "TraceError"]


def _key(value: Any, where: Any) -> Any:
    """The part of the signature for one argument (`where`: its index or name)."""
    if isinstance(value, Tensor):  # (dtypes compare by kind, size and byte order)
        data = value.data
        return (Tensor, data.shape, data.dtype, value.requires_grad)
    if isinstance(value, np.ndarray):
        return (np.ndarray, value.shape, value.dtype)
    try:
        hash(value)
    except TypeError:
        raise TypeError(
            f"{WHO}: argument {where!s} ({type(value).__name__}) is neither a Tensor, an ndarray "
            "nor hashable; other arguments are part of the trace's signature (frozen by value)"
        ) from None
    return (type(value), value)


class Jit:
    """A jitted function (see `jit`): call it as the function; `trace_count` says how
    many signatures it traced (each is traced on its first two calls, which are
    compared, then replayed), `programs` holds the recordings."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        if not callable(fn):
            raise TypeError(f"{WHO}: expected a function to trace, got {type(fn).__name__}")
        self.fn = fn
        self.programs: dict[Any, Program] = {}
        self._replays: dict[Any, Callable[[Any], Any]] = {}  # signature -> generated replay
        self._sources: dict[Any, str] = {}
        self._first: dict[Any, Recorder] = {}  # signature -> its first trace, until checked
        self.trace_count = 0
        update_wrapper(self, fn)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if tracer() is not None:  # inside another trace: inline (the outer one records it)
            return self.fn(*args, **kwargs)
        flat = args + tuple(kwargs[k] for k in sorted(kwargs)) if kwargs else args
        parts: list[Any] = []
        for i, a in enumerate(args):  # (_key, with its two common cases inline)
            kind = type(a)
            if kind is Tensor:
                parts.append((Tensor, a.data.shape, a.data.dtype, a.requires_grad))
            elif kind is np.ndarray:
                parts.append((np.ndarray, a.shape, a.dtype))
            else:
                parts.append(_key(a, i))
        named = tuple(sorted((k, _key(v, repr(k))) for k, v in kwargs.items())) if kwargs else ()
        key = (tuple(parts), named, mode.enabled)
        replay = self._replays.get(key)
        if replay is not None:
            return replay(flat)
        return self._trace(key, args, kwargs, flat)

    def _trace(self, key: Any, args: tuple[Any, ...], kwargs: dict[str, Any], flat: tuple[Any, ...]) -> Any:
        """Run `fn` recording it. The first call of a signature only records; the second
        records again and compares: the same ops with the same constants, or an error
        (a constant that depends on the data, control flow on values); then it replays."""
        recorder = Recorder(flat)
        set_tracer(recorder)
        try:
            result = self.fn(*args, **kwargs)
        finally:
            set_tracer(None)
        recorder.check_unchanged("by the end of the step")
        first = self._first.pop(key, None)
        if first is None:
            self._first[key] = recorder
            self.trace_count += 1
            return result
        difference = same_trace(first, recorder)
        if difference is not None:
            raise TraceError(
                f"{WHO}: the second call of the step with the same shapes did not do what the "
                f"first did: {difference}. A replay would freeze the first call's values; "
                "pass such values in as arguments (made outside the step), or call the "
                "function without jit"
            )
        program = self.programs[key] = recorder.program(result)
        self._replays[key], self._sources[key] = generate(program)
        return result

    def source(self) -> str:
        """The generated Python of every traced signature's replay (for reading: each
        line is one op's forward, one node's backward or one `replayed` call)."""
        return "\n".join(f"# signature {key!r}\n{text}" for key, text in self._sources.items())

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        """As a method decorator: bind like a function (each instance shares the cache)."""
        if obj is None:
            return self
        from functools import partial

        return partial(self.__call__, obj)

    def __repr__(self) -> str:
        name = getattr(self.fn, "__qualname__", repr(self.fn))
        return f"jit({name}, {len(self.programs)} traced signature(s))"


def jit(fn: Callable[..., Any]) -> Jit:
    """Trace `fn` on its first call with each signature and replay the recorded numpy
    work afterwards: `step = tinygrad_ce.jit(fn)` or `@tinygrad_ce.jit`.

    `fn` takes Tensors and ndarrays (and other hashable arguments, frozen by value) and
    may run a forward pass, a loss, `backward()`, `optimizer.step()` and `zero_grad()`;
    it returns Tensors (e.g. the loss), a tuple/list/dict of them, or None. A replay
    gives the same numbers as calling `fn` unjitted; returned tensors are new constant
    Tensors holding this call's values. A new shape or dtype traces again
    (`step.trace_count`). Frozen at trace time: Python control flow, Python numbers and
    other non-array arguments; the learning rate and the other hyperparameters are read
    from the optimizer at each replay (schedulers work); dropout draws fresh masks.
    The second call of a signature traces again and compares: other ops or other
    constants (a numpy array or Python number computed from the data, a random draw)
    are a `TraceError`, as is reading a traced tensor's values in Python (`.item()`,
    `.numpy()`, `float()`, `bool()`) while tracing.
    """
    return Jit(fn)
