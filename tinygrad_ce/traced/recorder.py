"""The tracer: what `jit` installs as `autograd.function.TRACER` while a step function
runs for the first time with a signature. It turns that run into a `Program`.

Every array the step works on gets a slot (an index into the replay's list of arrays):
the step's array/Tensor arguments, every op output, the live data of the tensors that
existed before the step (parameters: their `.data` is read again at each replay), and
the results of `replayed` calls (target preparation, dropout draws). Op parameters that
hold such arrays are recorded as references to their slots, everything else by value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..autograd.engine import RELEASED, _toposort
from ..autograd.trace import TraceError, set_tracer
from ..tensor import Tensor
from ..tensor.arrays import to_array
from .program import (
    BACKWARD,
    CALL,
    FIELD,
    OP,
    WRAP,
    Backward,
    Program,
    compile_op,
    compile_source,
    resolve,
    run_backward_program,
)

WHO = "tinygrad_ce.jit"
_IMMUTABLE = (type(None), bool, int, float, complex, str, bytes, tuple, frozenset, np.generic)


def _frozen_hint() -> str:
    return (
        "; make it outside the step and pass it in as an argument (or, for a constant, "
        "create it once outside the step), or call the function without tinygrad_ce.jit"
    )


class Recorder:
    """Records one traced call; `program()` gives what replays it."""

    def __init__(self, args: Sequence[Any]) -> None:
        self.values: list[Any] = []  # slot -> the value at trace time
        self.keep: list[Any] = []  # objects whose id() is a key below (kept alive)
        self.slot_of: dict[int, int] = {}  # id(tensor) -> slot
        self.traced: set[int] = set()  # ids of tensors whose values depend on the arguments
        self.array_slot: dict[int, int] = {}  # id(ndarray or derived object) -> slot
        self.events: list[tuple[Any, ...]] = []
        self.live: list[tuple[int, Any]] = []  # (slot, tensor) read again at each replay
        self.watched: list[list[Any]] = []  # [tensor, its data, a copy]: see check_unchanged
        self.bind: list[tuple[int, int, bool]] = []  # (slot, argument index, is a Tensor)
        self.arg_tensors: dict[int, int] = {}  # id(Tensor argument) -> its index
        self.arg_arrays: list[np.ndarray] = []
        self.op_outputs: set[int] = set()
        self.fingerprint: list[Any] = []  # what must not change from one trace to the next
        self.args = args
        for i, a in enumerate(args):
            if isinstance(a, Tensor):
                s = self._new_slot(a.data)
                self._name_tensor(a, s, traced=True)
                self.bind.append((s, i, True))
                self.arg_tensors[id(a)] = i
                self.arg_arrays.append(a.data)
            elif isinstance(a, np.ndarray):
                s = self._new_slot(a)
                self.bind.append((s, i, False))
                self.arg_arrays.append(a)

    # ------------------------------------------------------------------ slots
    def _new_slot(self, value: Any) -> int:
        self.values.append(value)
        s = len(self.values) - 1
        if not isinstance(value, _IMMUTABLE):  # (shared objects such as None have no provenance)
            self.keep.append(value)
            self.array_slot[id(value)] = s
        return s

    def _name_tensor(self, t: Any, s: int, traced: bool) -> None:
        self.keep.append(t)
        self.slot_of[id(t)] = s
        if traced:
            self.traced.add(id(t))

    def _shares_input(self, a: np.ndarray) -> bool:
        return any(np.may_share_memory(a, b) for b in self.arg_arrays)

    def tensor_slot(self, t: Any) -> int:
        """The slot of tensor `t` (an op input): known, or a live tensor from outside."""
        s = self.slot_of.get(id(t))
        if s is not None:
            return s
        s = self.array_slot.get(id(t.data))
        if s is not None:  # a Tensor around an array we know (made by _blank)
            self._name_tensor(t, s, traced=True)
            return s
        if self._shares_input(t.data):
            raise TraceError(
                f"{WHO}: a Tensor of shape {t.shape} shares memory with an argument of the "
                "step but was made from it in Python (a view or slice of the numpy array); "
                "index or reshape the Tensor instead, with Tensor ops" + _frozen_hint()
            )
        s = self._new_slot(t.data)
        self._name_tensor(t, s, traced=False)
        self.live.append((s, t))
        self.watched.append([t, t.data, t.data.copy()])
        return s

    def check_unchanged(self, where: str) -> None:
        """The tensors from before the step (parameters, buffers) may change only inside
        `replayed` calls (an optimizer's step): a change made in Python in between (`p.data
        -= lr * p.grad.data`) would not happen in a replay, so it is an error."""
        for t, data, copy in self.watched:
            if t.data is not data or not _same(data, copy):
                raise TraceError(
                    f"{WHO}: the values of a tensor of shape {t.shape} that existed before the "
                    f"step (a parameter or buffer) changed {where}, outside tinygrad_ce's ops "
                    "(e.g. `p.data -= lr * p.grad.data`); a replay would not change them. "
                    "Update parameters with an optimizer (its step() replays), or call the "
                    "function without tinygrad_ce.jit"
                )

    def _rewatch(self) -> None:
        """After a `replayed` call: what it changed is the new reference."""
        for entry in self.watched:
            t, data, copy = entry
            if t.data is not data or not _same(data, copy):
                entry[1:] = [t.data, t.data.copy()]

    def source(self, v: Any) -> Any:
        """How a replay finds value `v` (an op parameter or a call argument): None when
        it is a constant, else a reference (see `program.resolve`)."""
        if isinstance(v, Tensor):
            i = self.arg_tensors.get(id(v))
            if i is not None:
                return ("arg", i)
            if id(v) in self.slot_of and id(v) in self.traced:
                carrier = Tensor._blank()
                carrier.data = v.data
                return ("tensor", self.slot_of[id(v)], carrier)
            return None  # a parameter or constant tensor: itself
        if isinstance(v, (tuple, list)):
            parts = [self.source(x) for x in v]
            if all(p is None for p in parts):
                return None
            return ("seq", type(v), [("const", x) if p is None else p for x, p in zip(v, parts)])
        if isinstance(v, dict):
            found = {k: self.source(x) for k, x in v.items()}
            if all(p is None for p in found.values()):
                return None
            return ("dict", {k: ("const", v[k]) if p is None else p for k, p in found.items()})
        s = self.array_slot.get(id(v))
        if s is not None:
            return ("slot", s)
        if isinstance(v, np.ndarray) and self._shares_input(v):
            raise TraceError(
                f"{WHO}: an array of shape {v.shape} passed to an op is a view of an "
                "argument of the step made in Python; its values would be frozen" + _frozen_hint()
            )
        return None

    # ------------------------------------------------------------------ hooks
    def record_op(self, fn: Any, inputs: Sequence[Any], params: dict[str, Any], out: Any) -> None:
        """`Function.apply` ran `fn` on `inputs`: record the op and its output slot."""
        ins = tuple([self.tensor_slot(t) for t in inputs])
        dynamic = []
        if params:
            for key, value in params.items():
                src = self.source(value)
                if src is not None:
                    dynamic.append((key, src))
        s = self._new_slot(out.data)
        self._name_tensor(out, s, traced=True)
        self.op_outputs.add(id(out))
        self.events.append((OP, fn, ins, params, tuple(dynamic), s))
        skip = {key for key, _ in dynamic}
        self.fingerprint.append((OP, type(fn), ins, {k: v for k, v in params.items() if k not in skip}))

    def on_tensor(self, t: Any, data: Any, constant: bool = False) -> None:
        """A Tensor was made in the step (`Tensor(data)`, or a constant by `_wrap`)."""
        if isinstance(data, Tensor):
            s = self.slot_of.get(id(data))
            if s is None:
                return  # a copy of a parameter or constant: a constant
            data = self.values[s]
        s = self.array_slot.get(id(data))
        if s is not None:
            if t.data is not data:  # converted (dtype, copy): convert again at replay
                self.events.append((WRAP, s, t.data.dtype, len(self.values)))
                s = self._new_slot(t.data)
            self._name_tensor(t, s, traced=True)
            return
        if isinstance(data, np.ndarray) and (constant or self._shares_input(data)):
            raise TraceError(
                f"{WHO}: a Tensor of shape {t.shape} was made inside the traced step from the "
                "values of a traced tensor or argument in numpy (a view of an argument, numpy "
                "work on `.data`): its values would be frozen into every replay; the Tensor "
                "methods (comparisons, abs, sign, argmax, ...) replay" + _frozen_hint()
            )
        # any other array is a constant of the step (a mask made from shapes, ...): the
        # second call traces again and `same_trace` checks that it did not change

    def check_read(self, t: Any, what: str) -> None:
        """Values of traced tensors cannot flow into Python: the replay would not see them."""
        if id(t) in self.traced:
            raise TraceError(
                f"{WHO}: {what} reads the values of a tensor (shape {t.shape}) that the "
                "traced step computes; a replay does not run Python code, so the value "
                "would be frozen. Return the tensor from the step and read it outside "
                "(e.g. `loss = step(x, y); loss.item()`), or call the function without jit"
            )

    def call(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """A `replayed` function: run it (not traced inside) and record the call."""
        arg_src = self.source(list(args))
        kw_src = self.source(kwargs)
        self.check_unchanged(f"before {getattr(fn, '__qualname__', 'a replayed call')}")
        previous = set_tracer(None)
        try:
            result = fn(*args, **kwargs)
        finally:
            set_tracer(previous)
        self._rewatch()
        s = self._new_slot(result)
        self.events.append((CALL, fn, args, kwargs, arg_src, kw_src, s))
        self.fingerprint.append((CALL, fn, _masked(list(args), arg_src), _masked(kwargs, kw_src)))
        fields = getattr(result, "__dataclass_fields__", None)
        names = list(fields) if fields else range(len(result)) if isinstance(result, tuple) else ()
        for name in names:
            value = result[name] if isinstance(name, int) else getattr(result, name)
            if isinstance(value, np.ndarray) and id(value) not in self.array_slot:
                self.events.append((FIELD, s, name, len(self.values)))
                self._new_slot(value)
        return result

    def backward(
        self,
        outputs: Sequence[Any],
        seeds: Sequence[Any],
        retain_graph: bool,
        create_graph: bool,
        inputs: Sequence[Any] | None,
    ) -> None:
        """`run_backward` while tracing: build the walk as a program, then run it."""
        if inputs is not None or create_graph:
            raise TraceError(
                f"{WHO}: {'grad()' if inputs is not None else 'backward(create_graph=True)'} "
                "inside a traced step is not supported; use loss.backward() (gradients in "
                ".grad), or call the function without jit"
            )
        for t in outputs:
            if id(t) not in self.slot_of:
                raise TraceError(f"{WHO}: backward() of a tensor the traced step did not compute")
        order = _toposort(list(outputs))
        index = {id(t): k for k, t in enumerate(order)}
        seed_src = []
        for t, seed in zip(outputs, seeds):
            src = self.source(seed)
            seed_src.append((index[id(t)], ("const", seed) if src is None else src))
        entries: list[tuple[Any, ...]] = []
        for k, t in enumerate(order):
            fn = t.grad_fn
            if fn is None:
                i = self.arg_tensors.get(id(t))
                entries.append((k, None, ("arg", i) if i is not None else t, [None]))
                continue
            if id(t) not in self.op_outputs:
                raise TraceError(
                    f"{WHO}: backward() reaches a tensor (shape {t.shape}) computed before "
                    "the traced step; pass leaves (e.g. detach() it) into a jitted step"
                )
            if fn.saved is RELEASED:
                raise RuntimeError(
                    f"backward: trying to backward through the graph a second time (the "
                    f"'{fn.name}' node's saved values were freed by the first backward); "
                    "pass retain_graph=True to the first backward() or grad() call"
                )
            parents = fn.parents
            ins = tuple([self.tensor_slot(p) for p in parents])
            targets = tuple(
                [(index[id(p)] if p.requires_grad else -1, p.data.shape, p.data.dtype) for p in parents]
            )
            entries.append((k, fn, self.slot_of[id(t)], ins, targets))
        program = Backward(len(order), tuple(seed_src), tuple(entries), retain_graph)
        shape = [(e[0], type(e[1]), e[3] if e[1] is not None else None) for e in entries]
        self.fingerprint.append(("backward", shape, [_masked(None, src) for _, src in seed_src]))
        self.events.append((BACKWARD, run_backward_program(program, self.values, self.args)))

    # ------------------------------------------------------------------ result
    def program(self, result: Any) -> Program:
        """The replayable program; `result` (what the step returned) becomes a template."""
        return Program(
            events=tuple([_compiled(e, self.values) for e in self.events]),
            size=len(self.values),
            bind=tuple(self.bind),
            live=tuple(self.live),
            output=self._output(result),
        )

    def _output(self, value: Any) -> Any:
        if isinstance(value, Tensor):
            i = self.arg_tensors.get(id(value))
            if i is not None:
                return ("arg", i)
            if id(value) in self.traced:
                return ("new", self.slot_of[id(value)])
            return ("const", value)
        if isinstance(value, (tuple, list)):
            return ("seq", type(value), [self._output(v) for v in value])
        if isinstance(value, dict):
            return ("dict", {k: self._output(v) for k, v in value.items()})
        return ("const", value)


def _compiled(event: tuple[Any, ...], values: list[Any]) -> tuple[Any, ...]:
    """An event as a replay runs it (see `compile_op`, `compile_source`)."""
    if event[0] == OP:
        return compile_op(event, values[event[-1]])
    if event[0] == CALL:
        _, fn, args, kwargs, arg_src, kw_src, s = event
        return (CALL, fn, args, kwargs, compile_source(arg_src), kw_src, s)
    return event


def _masked(value: Any, src: Any) -> Any:
    """`value` with the parts that a replay looks up (`src` not None) replaced by where
    they come from: what is left are the constants of the trace."""
    if src is None:
        return value
    if src[0] == "const":
        return src[1]
    if src[0] == "seq":
        return [_masked(None, part) for part in src[2]]
    if src[0] == "dict":
        return {k: _masked(None, part) for k, part in src[1].items()}
    return ("from", src[0], src[1])


def _same(a: Any, b: Any) -> bool:
    """Whether two traces' constants agree (arrays by value, NaN equal to NaN)."""
    if a is b:
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return isinstance(a, Tensor) and isinstance(b, Tensor) and _same(a.data, b.data)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if type(a) is not type(b):
        return False
    try:
        return bool(a == b)
    except Exception:  # (objects whose == is not a truth value: not the same)
        return False


def same_trace(first: Recorder, second: Recorder) -> str | None:
    """None when two traces of one signature recorded the same work with the same
    constants; else what differs (for the error)."""
    if len(first.fingerprint) != len(second.fingerprint):
        return "it ran a different number of ops (Python control flow on values?)"
    for i, (a, b) in enumerate(zip(first.fingerprint, second.fingerprint)):
        if a[:2] != b[:2] or not _same(a[2:], b[2:]):
            what = getattr(a[1], "__name__", str(a[1]))
            return f"event {i} ({what}) differs: another op, or a constant that depends on the data"
    if len(first.live) != len(second.live):
        return "it read other tensors"
    for (_, t1), (_, t2) in zip(first.live, second.live):
        if t1 is not t2 and not _same(t1.data, t2.data):
            return (
                f"a constant tensor of shape {t2.shape} made in the step (from a numpy array "
                "or a Python number) has other values"
            )
    return None


def convert(value: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """What `Tensor(value)` made of an argument array at trace time (a dtype conversion)."""
    return to_array(value, dtype)


__all__ = ["Recorder", "resolve", "convert"]
