"""The backward walk: reverse-mode differentiation over recorded `Function` nodes.

Op-agnostic and tensor-agnostic: it reads `grad_fn`, `data`, `requires_grad`, `_seq`
and `_grad` of the tensors and calls each node's `backward`, which is written once and
runs on ndarrays (the fast path) or on tensors (`create_graph=True`, so the gradient
computation is itself recorded). Broadcasting is undone here, in one place (`sum_to`).
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import Any

import numpy as np

from . import function as _function
from .function import Function, Variable
from .mode import mode, set_mode
from .sums import leading_sum

RELEASED = object()  # marks a node whose saved buffers were freed by a backward pass


def sum_to(g: Any, shape: tuple[int, ...]) -> Any:
    """Undo numpy broadcasting: sum `g` (ndarray or tensor) down to `shape`.

    The leading axes numpy added are summed away, then the axes that were 1 are summed
    with keepdims; the result has exactly `shape` (no reshape, so no view to copy)."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    ones = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    if isinstance(g, np.ndarray):  # (leading axes: one BLAS product with ones)
        if lead:
            g = leading_sum(g, lead)
        return np.add.reduce(g, axis=ones, keepdims=True) if ones else g
    if lead:
        g = g.sum(axis=tuple(range(lead)))
    return g.sum(axis=ones, keepdims=True) if ones else g


def _undo_broadcast(fn: Function, pg: Any, shape: tuple[int, ...]) -> Any:
    """sum_to, then a check: a gradient that still differs from its input's shape is a bug
    in the op's backward, named here instead of being stored silently."""
    try:
        pg = sum_to(pg, shape)
    except (ValueError, IndexError):
        pg = None
    if pg is None or pg.shape != shape:
        raise RuntimeError(
            f"backward of '{fn.name}': a gradient does not fit its input of shape {shape}"
            f"{'' if pg is None else f' (got shape {pg.shape})'}; the op's backward is wrong"
        )
    return pg


def constant(like: Variable, data: np.ndarray) -> Any:
    """A constant leaf of `like`'s tensor class around `data` (no checks, no copy)."""
    t = like._blank()
    t.data = data
    return t


_creation_order = attrgetter("_seq")


def _toposort(roots: Sequence[Any]) -> list[Any]:
    """Tensors that need a gradient, outputs first. Iterative: deep graphs are fine.

    Every op output gets a creation number larger than its inputs' (`_seq`; leaves
    have -1), so sorting by it, largest first, is a topological order."""
    seen = set(roots)
    found = list(roots)
    for t in found:  # (breadth first: the loop reads the tensors the loop appends)
        fn = t.grad_fn
        if fn is not None:
            for parent in fn.parents:
                if parent.requires_grad and parent not in seen:
                    seen.add(parent)
                    found.append(parent)
    found.sort(key=_creation_order, reverse=True)
    return found


def _own(g: np.ndarray, given: set[int]) -> np.ndarray:
    """A gradient array safe to store in a leaf's `.grad`: an ndarray, writable, not shared."""
    if type(g) is not np.ndarray:  # a numpy scalar (0-d results)
        g = np.array(g)
    elif id(g) in given or g.base is not None or not g.flags.writeable:
        g = g.copy()
    given.add(id(g))
    return g


def _accumulate_leaf(t: Any, g: Any, create_graph: bool, given: set[int]) -> None:
    old = t._grad
    if create_graph:
        t._grad = g if old is None else old + g
    elif old is None:
        t._grad = constant(t, _own(g, given))
    elif old.grad_fn is None and old.data.flags.writeable and old.data.shape == g.shape:
        np.add(old.data, g, out=old.data, casting="unsafe")
    else:
        t._grad = constant(t, np.asarray(old.data + g))


def _released(fn: Function) -> RuntimeError:
    return RuntimeError(
        f"backward: trying to backward through the graph a second time (the "
        f"'{fn.name}' node's saved values were freed by the first backward); "
        "pass retain_graph=True to the first backward() or grad() call"
    )


def _fit(fn: Function, pg: Any, data: np.ndarray) -> Any:
    """`pg` with its broadcasting undone and cast to `data`'s dtype (the slow case)."""
    if pg.shape != data.shape:
        pg = _undo_broadcast(fn, pg, data.shape)
    return pg.astype(data.dtype) if pg.dtype != data.dtype else pg


def _walk(order: list[Any], grads: dict[Any, Any], release: bool, given: set[int]) -> None:
    """The walk on ndarrays into the leaves' `.grad` (no `inputs=`, no `create_graph`):
    one- and two-input nodes spelled out, shape and dtype checked in one test."""
    pop, get = grads.pop, grads.get
    for t in order:
        g = pop(t, None)
        if g is None:
            continue
        fn = t.grad_fn
        if fn is None:
            _accumulate_leaf(t, g, False, given)
            continue
        if fn.saved is RELEASED:
            raise _released(fn)
        parents = fn.parents
        n = len(parents)
        if n == 2:
            a, b = parents
            ga, gb = fn.backward(g, t.data, a.data, b.data)
            if ga is not None and a.requires_grad:
                data = a.data
                if ga.shape != data.shape or ga.dtype is not data.dtype:
                    ga = _fit(fn, ga, data)
                previous = get(a)
                grads[a] = ga if previous is None else previous + ga
            if gb is not None and b.requires_grad:
                data = b.data
                if gb.shape != data.shape or gb.dtype is not data.dtype:
                    gb = _fit(fn, gb, data)
                previous = get(b)
                grads[b] = gb if previous is None else previous + gb
        elif n == 1:
            a = parents[0]
            data = a.data
            ga = fn.backward(g, t.data, data)[0]
            if ga is not None and a.requires_grad:
                if ga.shape != data.shape or ga.dtype is not data.dtype:
                    ga = _fit(fn, ga, data)
                previous = get(a)
                grads[a] = ga if previous is None else previous + ga
        else:
            datas = [p.data for p in parents]
            for parent, data, pg in zip(parents, datas, fn.backward(g, t.data, *datas)):
                if pg is None or not parent.requires_grad:
                    continue
                if pg.shape != data.shape or pg.dtype is not data.dtype:
                    pg = _fit(fn, pg, data)
                previous = get(parent)
                grads[parent] = pg if previous is None else previous + pg
        if release:
            fn.saved = RELEASED


def run_backward(
    outputs: Sequence[Any],
    seeds: Sequence[Any],
    retain_graph: bool,
    create_graph: bool,
    inputs: Sequence[Any] | None = None,
) -> list[Any] | None:
    """Backpropagate `seeds` (one checked gradient per output: an ndarray, or a tensor
    under `create_graph`) from `outputs`. With `inputs`, return their gradients and leave
    `.grad` untouched; otherwise accumulate into the leaves' `.grad`."""
    if _function.TRACER is not None:  # tinygrad_ce.jit records the walk as a program
        return _function.TRACER.backward(outputs, seeds, retain_graph, create_graph, inputs)
    grads: dict[Any, Any] = {}  # keyed by the tensor object itself (identity hash)
    for t, seed in zip(outputs, seeds):
        grads[t] = seed if t not in grads else grads[t] + seed
    wanted = {t: i for i, t in enumerate(inputs)} if inputs is not None else None
    found: list[Any] = [None] * (len(inputs) if inputs is not None else 0)
    given: set[int] = {id(g) for g in grads.values()}  # the caller's arrays are not ours

    pop, get = grads.pop, grads.get  # (bound once: this loop runs per node)
    previous_mode = mode.enabled
    set_mode(create_graph, mode.tag)  # record the backward only when asked to
    try:
        if wanted is None and not create_graph:  # the common case: its own, leaner loop
            _walk(_toposort(list(grads)), grads, not retain_graph, given)
            return None
        for t in _toposort(list(grads)):
            g = pop(t, None)
            if g is None:
                continue
            if wanted is not None and t in wanted:
                found[wanted[t]] = g
            fn = t.grad_fn
            if fn is None:
                if wanted is None:
                    _accumulate_leaf(t, g, create_graph, given)
                continue
            if fn.saved is RELEASED:
                raise _released(fn)
            parents = fn.parents
            if create_graph:
                input_grads = fn.backward(g, t, *parents)
            elif len(parents) == 1:  # (the common shapes, spelled out: no list building)
                input_grads = fn.backward(g, t.data, parents[0].data)
            elif len(parents) == 2:
                input_grads = fn.backward(g, t.data, parents[0].data, parents[1].data)
            else:
                input_grads = fn.backward(g, t.data, *[p.data for p in parents])
            for parent, pg in zip(parents, input_grads):
                if pg is None or not parent.requires_grad:
                    continue
                data = parent.data
                if pg.shape != data.shape:
                    pg = _undo_broadcast(fn, pg, data.shape)
                if pg.dtype is not data.dtype and pg.dtype != data.dtype:
                    pg = pg.astype(data.dtype)
                previous = get(parent)
                grads[parent] = pg if previous is None else previous + pg
            if not retain_graph:
                fn.saved = RELEASED
    finally:
        set_mode(previous_mode, mode.tag)
    if inputs is None:
        return None
    return [
        g if g is None or isinstance(g, Variable) else constant(inputs[i], np.asarray(g))
        for i, g in enumerate(found)
    ]
