"""A recorded step: a flat list of events over a list of array slots (`codegen` writes
it out as the Python function that replays it), and the backward walk's helpers.

Events, in the order the traced call ran them:
- `OP`: `fn.forward(*arrays, **params)` of a recorded `Function` (the same instance
  each replay, so what the forward keeps on `self` for the backward is refreshed);
- `BACKWARD`: a `Backward` program, the backward walk with list indices instead of a dict of
  tensors, in the traced topological order (no sort, no node objects);
- `CALL`: a `replayed` Python function (target preparation, optimizer step, zero_grad,
  dropout draw), called again with this replay's values; `FIELD` reads an array field
  of its result; `WRAP`: `Tensor(argument)` converted the argument (dtype).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..autograd.engine import RELEASED, _undo_broadcast
from ..tensor import Tensor

OP, CALL, FIELD, WRAP, OP1, OP2, BACKWARD = 0, 1, 2, 3, 4, 5, 6
LEAF, SLOW, FAST1, FAST2, FASTN = 0, 1, 2, 3, 4  # kinds of compiled backward entries
_ndarray = np.ndarray
_new = object.__new__


@dataclass(frozen=True)
class Backward:
    """One `backward()`: `size` gradient slots (one per tensor of the walk), the seeds
    (slot, source) and the entries in walk order: `(k, None, leaf, cell)` for a leaf
    (`cell[0]`: the `.grad` Tensor reused across replays) or `(k, fn, out_slot,
    input_slots, targets)` for a node, `targets[i]` = (gradient slot or -1, shape, dtype)."""

    size: int
    seeds: tuple[Any, ...]
    entries: tuple[Any, ...]
    retain_graph: bool


@dataclass(frozen=True)
class Program:
    """A traced call: its events, how many array slots, where the arguments (`bind`:
    slot, argument index, is a Tensor) and the live tensors' data go, and the output."""

    events: tuple[Any, ...]
    size: int
    bind: tuple[tuple[int, int, bool], ...]
    live: tuple[tuple[int, Any], ...]
    output: Any


def resolve(src: Any, values: list[Any], args: Any) -> Any:
    """The value a recorded reference stands for in this replay."""
    kind = src[0]
    if kind == "slot":
        return values[src[1]]
    if kind == "const":
        return src[1]
    if kind == "arg":
        return args[src[1]]
    if kind == "tensor":  # a carrier Tensor (made once) around this replay's array
        src[2].data = values[src[1]]
        return src[2]
    if kind == "slots":  # a list of constants with some slots (see `compile_source`)
        parts = src[2].copy()
        for i, s in src[3]:
            parts[i] = values[s]
        return parts if src[1] is list else src[1](parts)
    if kind == "seq":
        return src[1]([resolve(s, values, args) for s in src[2]])
    if kind == "dict":
        return {k: resolve(s, values, args) for k, s in src[1].items()}
    raise AssertionError(kind)


def _own(g: Any, given: set[int]) -> np.ndarray:
    """As the engine's: a writable array not shared with anything else, for a `.grad`."""
    if type(g) is not _ndarray:
        g = np.array(g)
    elif id(g) in given or g.base is not None or not g.flags.writeable:
        g = g.copy()
    given.add(id(g))
    return g


def _accumulate(t: Any, g: Any, cell: list[Any], given: set[int]) -> None:
    """The engine's leaf accumulation; a fresh `.grad` reuses the Tensor in `cell`."""
    old = t._grad
    if old is None:
        holder = cell[0]
        if holder is None:
            holder = cell[0] = t._blank()
        holder.data = _own(g, given)
        t._grad = holder
    elif old.grad_fn is None and old.data.flags.writeable and old.data.shape == g.shape:
        np.add(old.data, g, out=old.data, casting="unsafe")
    else:
        fresh = t._blank()
        fresh.data = np.asarray(old.data + g)
        t._grad = fresh


def run_backward_program(program: Backward, values: list[Any], args: Any) -> Backward:
    """Run one recorded backward walk on this call's arrays (`values`), checking every
    gradient's shape and dtype; returns the program compiled for replays (`compiled`):
    the entries whose gradients needed no fixing take a path without the checks."""
    grads: list[Any] = [None] * program.size
    given: set[int] = set()
    for k, src in program.seeds:
        seed = resolve(src, values, args)
        given.add(id(seed))
        grads[k] = seed if grads[k] is None else grads[k] + seed
    release = not program.retain_graph
    compiled: list[tuple[Any, ...]] = []
    for entry in program.entries:
        k = entry[0]
        g = grads[k]
        fn = entry[1]
        if fn is None:  # a leaf
            leaf = entry[2]
            compiled.append((k, LEAF, leaf, entry[3], 0, 0, 0, 0, None))
            if g is not None:
                grads[k] = None
                _accumulate(
                    args[leaf[1]] if type(leaf) is tuple else leaf,
                    g,
                    [None] if type(leaf) is tuple else entry[3],
                    given,
                )
            continue
        if g is None:
            compiled.append((k, SLOW, fn, entry, 0, 0, 0, 0, None))
            continue
        grads[k] = None
        ins = entry[3]
        input_grads = fn.backward(g, values[entry[2]], *[values[i] for i in ins])
        plain = len(input_grads) == len(ins)
        for (j, shape, dtype), pg in zip(entry[4], input_grads):
            if pg is None or j < 0:
                continue
            if pg.shape != shape:
                pg, plain = _undo_broadcast(fn, pg, shape), False
            if pg.dtype is not dtype and pg.dtype != dtype:
                pg, plain = pg.astype(dtype), False
            previous = grads[j]
            grads[j] = pg if previous is None else previous + pg
        frees = release and fn.saved is not None
        if release:
            fn.saved = RELEASED
        if not plain:
            compiled.append((k, SLOW, fn, entry, 0, 0, 0, 0, None))
        elif len(ins) > 2:
            every = tuple([j for j, _, _ in entry[4]])
            compiled.append((k, FASTN, fn.backward, entry[2], ins, every, 0, 0, fn if frees else None))
        else:
            slots = [j for j, _, _ in entry[4]] + [-1, -1]
            compiled.append(
                (
                    k,
                    FAST1 if len(ins) == 1 else FAST2,
                    fn.backward,
                    entry[2],
                    ins[0],
                    ins[-1],
                    slots[0],
                    slots[1],
                    fn if frees else None,
                )
            )
    return Backward(program.size, program.seeds, tuple(compiled), program.retain_graph)


def _slow_grads(entry: Any, g: Any, out: Any, *inputs: Any) -> list[Any]:
    """A node whose gradients may need their broadcast undone or their dtype cast: its
    input gradients, fixed, one per input (None where there is none)."""
    fn = entry[1]
    fixed: list[Any] = [None] * len(entry[4])
    for i, ((j, shape, dtype), pg) in enumerate(zip(entry[4], fn.backward(g, out, *inputs))):
        if pg is None or j < 0:
            continue
        if pg.shape != shape:
            pg = _undo_broadcast(fn, pg, shape)
        if pg.dtype is not dtype and pg.dtype != dtype:
            pg = pg.astype(dtype)
        fixed[i] = pg
    return fixed


def compile_op(event: tuple[Any, ...], out: np.ndarray) -> tuple[Any, ...]:
    """An `OP` event as the replay runs it: the bound forward; one- and two-input ops
    without parameters get their own shorter events, which skip the check for a numpy
    scalar result when the traced output `out` was not 0-d (an op on arrays of the same
    shapes returns an array again)."""
    _, fn, ins, params, dynamic, s = event
    if not params and out.ndim and len(ins) == 2:
        return (OP2, fn.forward, ins[0], ins[1], s)
    if not params and out.ndim and len(ins) == 1:
        return (OP1, fn.forward, ins[0], s)
    return (OP, fn.forward, ins, params, dynamic, s)


def compile_source(src: Any) -> Any:
    """A reference as a replay resolves it fastest: a sequence whose parts are constants
    and slots becomes ("slots", type, the constants, (index, slot) pairs)."""
    if src is None or src[0] != "seq" or not all(part[0] in ("const", "slot") for part in src[2]):
        return src
    template = [part[1] if part[0] == "const" else None for part in src[2]]
    slots = tuple([(i, part[1]) for i, part in enumerate(src[2]) if part[0] == "slot"])
    return ("slots", src[1], template, slots)


def _rebuild_tensor(data: np.ndarray) -> Tensor:
    """A traced tensor of the step's result: a new constant Tensor holding `data`."""
    t = _new(Tensor)
    t.data, t._grad, t.requires_grad, t.name, t.grad_fn, t._seq = data, None, False, None, None, -1
    return t
