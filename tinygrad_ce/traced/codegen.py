"""A `Program` as straight-line Python: one generated function per traced signature.

The replay runs the recorded events in order, so they can be written out once as the
lines of a function, each array slot a local variable (`v3`), each gradient slot of a
backward walk another (`g0_5`), and each recorded function, constant or `Tensor` a
name bound in the function's namespace. What is left at run time is the numpy calls
inside the ops and `replayed` functions, with no loop over events, no dispatch on their
kind and no list of values. `Jit.source(...)` shows the text, e.g.:

    v5 = F1(v0, v3, v4)                      # Linear.forward
    v6 = F2(v5)                              # ReLU.forward
    ...
    if g0_1 is not None:                     # Linear.backward
        _a, _b, _c = B3(g0_1, v9, v6, v7, v8)
        g0_1 = None
        g0_2 = _a
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor import Tensor
from ..tensor.arrays import to_array
from .program import (
    CALL,
    FAST1,
    FAST2,
    FASTN,
    FIELD,
    LEAF,
    OP,
    OP1,
    OP2,
    SLOW,
    WRAP,
    Backward,
    Program,
    _accumulate,
    _rebuild_tensor,
    _slow_grads,
)


class _Writer:
    """The lines of the generated function and the names its namespace binds."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = {
            "_ndarray": np.ndarray,
            "_asarray": np.asarray,
            "_accumulate": _accumulate,
            "_slow": _slow_grads,
            "_new": _rebuild_tensor,
            "_to_array": to_array,
        }
        self._names: dict[int, str] = {}  # id(object) -> its name, each object bound once
        self.walks = 0  # backward walks written so far

    def bind(self, value: Any, prefix: str = "c") -> str:
        """A name for `value` in the namespace (the same name for the same object)."""
        name = self._names.get(id(value))
        if name is None:
            name = self._names[id(value)] = f"{prefix}{len(self.namespace)}"
            self.namespace[name] = value
        return name

    def line(self, text: str, depth: int = 1, note: str = "") -> None:
        self.lines.append("    " * depth + text + (f"  # {note}" if note else ""))

    def expression(self, src: Any) -> str:
        """Python text for a recorded reference (what `program.resolve` computes)."""
        kind = src[0]
        if kind == "slot":
            return f"v{src[1]}"
        if kind == "const":
            return self.bind(src[1])
        if kind == "arg":
            return f"args[{src[1]}]"
        if kind == "tensor":  # a carrier Tensor (made once) around this replay's array
            return f"_carry({self.bind(src[2], 't')}, v{src[1]})"
        if kind == "slots":  # constants with some slots: a list display
            parts = [self.bind(part) for part in src[2]]
            for i, s in src[3]:
                parts[i] = f"v{s}"
            return self._sequence(src[1], parts)
        if kind == "seq":
            return self._sequence(src[1], [self.expression(part) for part in src[2]])
        if kind == "dict":
            return "{" + ", ".join(f"{self.bind(k)}: {self.expression(s)}" for k, s in src[1].items()) + "}"
        raise AssertionError(kind)

    def _sequence(self, kind: type, parts: list[str]) -> str:
        display = "[" + ", ".join(parts) + "]"
        return display if kind is list else f"{self.bind(kind, 'k')}({display})"

    def output(self, spec: Any) -> str:
        """Python text that rebuilds the step's result (what `program._rebuild` does)."""
        kind = spec[0]
        if kind == "new":  # a new constant Tensor holding this call's values
            return f"_new(v{spec[1]})"
        if kind == "arg":
            return f"args[{spec[1]}]"
        if kind == "const":
            return self.bind(spec[1])
        if kind == "seq":
            return self._sequence(spec[1], [self.output(s) for s in spec[2]])
        return "{" + ", ".join(f"{self.bind(k)}: {self.output(s)}" for k, s in spec[1].items()) + "}"


def _carry(t: Tensor, data: np.ndarray) -> Tensor:
    t.data = data
    return t


def _name(fn: Any) -> str:
    return getattr(fn, "__qualname__", type(fn).__name__)


def _event(w: _Writer, event: tuple[Any, ...]) -> None:
    kind = event[0]
    if kind in (OP1, OP2):
        forward, ins, s = event[1], event[2:-1], event[-1]
        w.line(f"v{s} = {w.bind(forward, 'F')}({', '.join(f'v{i}' for i in ins)})", note=_name(forward))
    elif kind == OP:
        _, forward, ins, params, dynamic, s = event
        texts = {key: w.bind(value) for key, value in params.items()}
        texts.update({key: w.expression(src) for key, src in dynamic})
        arguments = [f"v{i}" for i in ins]
        odd = {key: text for key, text in texts.items() if not key.isidentifier() or keyword.iskeyword(key)}
        arguments += [f"{key}={text}" for key, text in texts.items() if key not in odd]
        if odd:  # (keys that are not identifiers go as a dict display)
            arguments.append("**{" + ", ".join(f"{w.bind(key)}: {text}" for key, text in odd.items()) + "}")
        w.line(f"v{s} = {w.bind(forward, 'F')}({', '.join(arguments)})", note=_name(forward))
        w.line(f"if type(v{s}) is not _ndarray: v{s} = _asarray(v{s})")
    elif kind == CALL:
        _, fn, cargs, ckwargs, arg_src, kw_src, s = event
        positional = w.expression(arg_src) if arg_src is not None else w.bind(cargs)
        keywords = w.expression(kw_src) if kw_src is not None else w.bind(ckwargs)
        call = f"{w.bind(fn, 'C')}(*{positional}" + (
            f", **{keywords})" if kw_src is not None or ckwargs else ")"
        )
        w.line(f"v{s} = {call}", note=_name(fn))
    elif kind == FIELD:
        _, s, name, out = event
        access = f"[{name}]" if type(name) is int else f".{name}"
        w.line(f"v{out} = v{s}{access}")
    elif kind == WRAP:
        _, s, dtype, out = event
        w.line(f"v{out} = _to_array(v{s}, {w.bind(dtype)})")
    else:
        _backward(w, event[1])


def _backward(w: _Writer, program: Backward) -> None:
    """One backward walk: gradient slot k of this walk is the local `g<walk>_<k>`."""
    walk, w.walks = w.walks, w.walks + 1
    g = [f"g{walk}_{k}" for k in range(program.size)]
    w.line("given = set()", note=f"backward walk {walk}")
    start = len(w.lines)  # (where the slots written inside a node's block start as None)
    written: set[int] = set()  # slots assigned so far (the first assignment needs no sum)

    def add(j: int, value: str, depth: int) -> None:
        if j < 0:
            return
        if j not in written:
            written.add(j)
            w.line(f"{g[j]} = {value}", depth)
            return
        w.line(f"if {value} is not None:", depth)
        w.line(f"{g[j]} = {value} if {g[j]} is None else {g[j]} + {value}", depth + 1)

    for k, src in program.seeds:
        w.line(f"_s = {w.expression(src)}")
        w.line("given.add(id(_s))")
        add(k, "_s", 1)

    for k, kind, fn, out, a, b, ja, jb, frees in program.entries:
        if k not in written:  # no gradient ever reaches this node or leaf
            continue
        if kind == LEAF:  # (fn: the leaf, out: its `.grad` cell)
            w.line(f"if {g[k]} is not None:")
            if type(fn) is tuple:  # an argument of the step: a new `.grad` each call
                w.line(f"_accumulate(args[{fn[1]}], {g[k]}, [None], given)", 2)
            elif out[0] is None:
                w.line(f"_accumulate({w.bind(fn, 'L')}, {g[k]}, {w.bind(out)}, given)", 2)
            else:  # the common case inline: no gradient yet, and an array that is the walk's own
                leaf, holder, a = w.bind(fn, "L"), w.bind(out[0], "H"), g[k]
                fresh = f"type({a}) is _ndarray and {a}.base is None and {a}.flags.writeable"
                w.line(f"if {leaf}._grad is None and {fresh} and id({a}) not in given:", 2)
                w.line(f"given.add(id({a}))", 3)
                w.line(f"{holder}.data = {a}", 3)
                w.line(f"{leaf}._grad = {holder}", 3)
                w.line("else:", 2)
                w.line(f"_accumulate({leaf}, {a}, {w.bind(out)}, given)", 3)
            continue
        w.line(
            f"if {g[k]} is not None:",
            note=_name(fn) if kind != SLOW else f"{_name(out[1].backward)} (checked)",
        )
        if kind == FAST2:
            w.line(f"_a, _b = {w.bind(fn, 'B')}({g[k]}, v{out}, v{a}, v{b})", 2)
            targets = [(ja, "_a"), (jb, "_b")]
        elif kind == FAST1:
            w.line(f"(_a,) = {w.bind(fn, 'B')}({g[k]}, v{out}, v{a})", 2)
            targets = [(ja, "_a")]
        elif kind == FASTN:  # (a: the input slots, b: their gradient slots)
            names = [f"_r{i}" for i in range(len(a))]  # (one gradient per input: checked at trace)
            inputs = ", ".join(f"v{i}" for i in a)
            w.line(f"{', '.join(names)}, = {w.bind(fn, 'B')}({g[k]}, v{out}, {inputs})", 2)
            targets = list(zip(b, names))
        else:  # a node whose gradients need their broadcast undone or their dtype cast
            entry = out
            names = [f"_r{i}" for i in range(len(entry[4]))]
            inputs = ", ".join(f"v{i}" for i in entry[3])
            w.line(f"{', '.join(names)}, = _slow({w.bind(entry)}, {g[k]}, v{entry[2]}, {inputs})", 2)
            targets = [(j, name) for (j, _, _), name in zip(entry[4], names)]
        w.line(f"{g[k]} = None", 2)
        for j, name in targets:
            add(j, name, 2)
        if kind != SLOW and frees is not None:
            w.line(f"{w.bind(frees, 'N')}.saved = None", 2)
    # a node whose gradient is None at run time skips its block: what it would have
    # written first must exist, as None, for the nodes after it
    inside = sorted(written - {k for k, _ in program.seeds})
    if inside:
        w.lines.insert(start, "    " + " = ".join(g[j] for j in inside) + " = None")


def generate(program: Program) -> tuple[Callable[[Any], Any], str]:
    """The replay of `program` as a Python function of the call's flat arguments, and
    its source text."""
    w = _Writer()
    w.namespace["_carry"] = _carry
    for s, i, is_tensor in program.bind:
        w.line(f"v{s} = args[{i}].data" if is_tensor else f"v{s} = args[{i}]")
    for s, t in program.live:
        w.line(f"v{s} = {w.bind(t, 'T')}.data")
    for event in program.events:
        _event(w, event)
    w.line(f"return {w.output(program.output)}")
    source = "def replay(args):\n" + "\n".join(w.lines) + "\n"
    exec(compile(source, "<tinygrad_ce.jit replay>", "exec"), w.namespace)  # noqa: S102
    return w.namespace["replay"], source
