"""The autograd engine: grad mode, the graph node (`Function`), and the backward walk.

The engine knows nothing about specific ops. An op is a `Function` subclass with
`forward(*arrays) -> ndarray` and `backward(g, out, *inputs) -> grads`; `backward`
is written once and runs on ndarrays (the fast path) or on Tensors (when
`create_graph=True`, so the gradient computation is itself recorded).

Broadcasting is undone here, in one place (`sum_to`), so no op repeats it.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from functools import wraps
from itertools import count
from operator import attrgetter
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .tensor import Tensor

F = TypeVar("F", bound=Callable[..., Any])


# ----------------------------------------------------------------------------- grad mode
class _GradMode(threading.local):
    enabled = True  # per thread: each thread starts with recording on
    scope: Scope | None = None  # the innermost named scope being recorded

    def __init__(self) -> None:  # runs once in each thread that touches grad mode
        self.saved: list[bool] = []  # the modes to restore, innermost last


_mode = _GradMode()


def is_grad_enabled() -> bool:
    """Whether ops on this thread record the graph."""
    return _mode.enabled


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
        _mode.saved.append(_mode.enabled)
        _mode.enabled = self.enabled

    def __exit__(self, *exc: object) -> None:
        _mode.enabled = _mode.saved.pop()

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


# ----------------------------------------------------------------------------- named scopes
class Scope:
    """One call of a composed function (`softmax`, a Module's forward, ...). Every node
    recorded inside it points at it, so a drawing can show the call as a cluster."""

    __slots__ = ("name", "parent")

    def __init__(self, name: str, parent: Scope | None) -> None:
        self.name, self.parent = name, parent

    def path(self) -> list[Scope]:
        """This scope and its enclosing ones, outermost first."""
        chain, scope = [], self
        while scope is not None:
            chain.append(scope)
            scope = scope.parent
        return chain[::-1]

    def __repr__(self) -> str:
        return "/".join(s.name for s in self.path())


class named_scope:
    """Record the ops inside as one call of `name`: `with named_scope("softmax"):` or
    as a decorator `@named_scope("softmax")`. Scopes nest; each entry is a new call."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> Scope:
        _mode.scope = Scope(self.name, _mode.scope)
        return _mode.scope

    def __exit__(self, *exc: object) -> None:  # the enclosing scope is the parent (re-entrant)
        _mode.scope = _mode.scope.parent if _mode.scope is not None else None

    def __call__(self, fn: F) -> F:
        name = self.name

        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with named_scope(name):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


# ----------------------------------------------------------------------------- errors
class ShapeError(ValueError):
    """Operands whose shapes an op cannot combine; the message names the op and shapes."""


class AxisError(ValueError, IndexError):
    """An axis outside `[-ndim, ndim)` (never wrapped around); names the axis and ndim."""


def _op_error(name: str, inputs: Sequence[Tensor], err: Exception) -> Exception:
    shapes = " and ".join(str(t.data.shape) for t in inputs)
    message = f"{name}: cannot apply to shape{'s' if len(inputs) > 1 else ''} {shapes}: {err}"
    if isinstance(err, (ShapeError, AxisError)):
        return type(err)(f"{name}: {err}" if not str(err).startswith(name) else str(err))
    if isinstance(err, ValueError):
        return ShapeError(message)
    return (IndexError if isinstance(err, IndexError) else TypeError)(message)


# ----------------------------------------------------------------------------- graph node
_Tensor: Any = None  # the Tensor class, registered by tensor.py (it imports this module)
_new_tensor = object.__new__
_next_seq = count().__next__  # creation order of op outputs (see _toposort)

_RELEASED = object()  # marks a node whose saved buffers were freed by a backward pass


class Function:
    """One recorded op. Subclasses define `name`, `forward` and `backward`.

    `forward(*arrays, **params)` computes the output ndarray and may keep what the
    backward needs on `self` (`self.saved` for buffers that a backward pass frees).
    `backward(g, out, *inputs)` returns one gradient per input (or None where an input
    needs none: see `self.needs_grad`). A recorded node also knows its `parents` (the
    input Tensors) and the named `scope` it was recorded in. `g`, `out` and `inputs` are ndarrays on the
    fast path, Tensors when the backward is recorded (`create_graph=True`).
    """

    __slots__ = ("parents", "saved", "scope", "__weakref__")
    name = "function"

    @classmethod
    def apply(cls, *inputs: Tensor, **params: Any) -> Tensor:
        """Run the forward on the inputs' data and, if any input requires grad (and grad
        mode is on), record this node as the output's creator."""
        fn = cls.__new__(cls)
        fn.saved = None
        try:  # (the branches only spare the hot path Python's argument packing)
            if params:
                data = fn.forward(*[t.data for t in inputs], **params)
            elif len(inputs) == 2:
                data = fn.forward(inputs[0].data, inputs[1].data)
            else:
                data = fn.forward(*[t.data for t in inputs])
        except (ValueError, IndexError, TypeError) as err:
            raise _op_error(cls.name, inputs, err) from None
        if type(data) is not np.ndarray:  # numpy returns scalars for 0-d results
            data = np.asarray(data)
        out = _new_tensor(_Tensor)
        out.data, out._grad, out.name = data, None, None
        if _mode.enabled:
            for t in inputs:
                if t.requires_grad:  # record: the output remembers this node, which knows its inputs
                    fn.parents = inputs
                    fn.scope = _mode.scope
                    out._ctx, out.requires_grad, out._seq = fn, True, _next_seq()
                    return out
        out._ctx, out.requires_grad, out._seq = None, False, -1
        return out

    @property
    def needs_grad(self) -> tuple[bool, ...]:
        """For each input, whether it needs a gradient (ops may skip the others)."""
        return tuple([p.requires_grad for p in self.parents])

    def forward(self, *arrays: np.ndarray, **params: Any) -> np.ndarray:
        raise NotImplementedError

    def backward(self, g: Any, out: Any, *inputs: Any) -> tuple[Any, ...]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{self.name}>"




def wrap(data: np.ndarray) -> Tensor:
    """A constant leaf Tensor around `data` (internal: no checks, no copy)."""
    t = _new_tensor(_Tensor)
    t.data, t._grad, t.name, t._ctx, t.requires_grad, t._seq = data, None, None, None, False, -1
    return t


# ----------------------------------------------------------------------------- helpers
def sum_to(g: Any, shape: tuple[int, ...]) -> Any:
    """Undo numpy broadcasting: sum `g` (ndarray or Tensor) down to `shape`.

    The leading axes numpy added are summed away, then the axes that were 1 are summed
    with keepdims; the result has exactly `shape` (no reshape, so no view to copy)."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    ones = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    if isinstance(g, np.ndarray):  # np.add.reduce skips ndarray.sum's Python wrapper
        if lead:
            g = np.add.reduce(g, axis=tuple(range(lead)))
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


def _toposort(roots: Sequence[Tensor]) -> list[Tensor]:
    """Tensors that need a gradient, outputs first. Iterative: deep graphs are fine.

    Every op output gets a creation number larger than its inputs' (`_seq`; leaves
    have -1), so sorting by it, largest first, is a topological order."""
    seen = set(roots)
    stack = list(roots)
    found = []
    while stack:
        t = stack.pop()
        found.append(t)
        ctx = t._ctx
        if ctx is not None:
            for parent in ctx.parents:
                if parent.requires_grad and parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
    found.sort(key=_creation_order, reverse=True)
    return found


_creation_order = attrgetter("_seq")


def _own(g: np.ndarray, given: set[int]) -> np.ndarray:
    """A gradient array safe to store in a leaf's `.grad`: writable, not shared."""
    if type(g) is not np.ndarray:  # a numpy scalar (0-d results): always an ndarray
        g = np.array(g)
    elif id(g) in given or g.base is not None or not g.flags.writeable:
        g = g.copy()
    given.add(id(g))
    return g


def _numeric(value: Any) -> np.ndarray | None:
    """`value` as a numeric ndarray, or None when it is not one (strings, ragged lists)."""
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):
        return None
    return array if array.dtype.kind in "biufc" else None


def _seed_gradient(t: Tensor, gradient: Any, create_graph: bool) -> Any:
    if not t.requires_grad:
        raise RuntimeError(
            f"backward: this tensor (shape {t.shape}) does not require grad and has no "
            "graph; create its inputs with requires_grad=True (and outside no_grad())"
        )
    if gradient is None:
        if t.data.size != 1:
            raise RuntimeError(
                f"backward: gradient can be omitted only for a one-element tensor, but this "
                f"one has shape {t.shape}; pass gradient= (an array of that shape), or "
                "reduce it first (e.g. .sum() or .mean())"
            )
        g = np.ones(t.data.shape, t.data.dtype)
    else:
        g = gradient.data if isinstance(gradient, _Tensor) else _numeric(gradient)
        if g is None:
            raise TypeError(
                f"backward: gradient must be a Tensor or numeric array of shape {t.shape}, "
                f"got {type(gradient).__name__}"
            )
        if g.shape != t.shape:
            raise RuntimeError(
                f"backward: gradient has shape {g.shape} but the tensor has shape {t.shape}"
            )
        if create_graph and isinstance(gradient, _Tensor):
            return gradient.astype(t.dtype)  # keeps its graph (astype is differentiable)
        if g.dtype != t.dtype:
            g = g.astype(t.dtype)
    return wrap(g) if create_graph else g


# ----------------------------------------------------------------------------- the walk
def run_backward(
    outputs: Sequence[Tensor],
    gradients: Sequence[Any],
    retain_graph: bool,
    create_graph: bool,
    inputs: Sequence[Tensor] | None = None,
) -> list[Any] | None:
    """Backpropagate from `outputs`. With `inputs`, return their gradients and leave
    `.grad` untouched; otherwise accumulate into the leaves' `.grad`."""
    grads: dict[Tensor, Any] = {}  # keyed by the tensor object itself (identity hash)
    for t, g in zip(outputs, gradients):
        seed = _seed_gradient(t, g, create_graph)
        grads[t] = seed if t not in grads else grads[t] + seed
    wanted = {t: i for i, t in enumerate(inputs)} if inputs is not None else None
    found: list[Any] = [None] * (len(inputs) if inputs is not None else 0)
    given: set[int] = {id(g) for g in grads.values()}  # the caller's arrays are not ours

    pop, get = grads.pop, grads.get  # (bound once: this loop runs per node)
    previous_mode = _mode.enabled
    _mode.enabled = create_graph  # record the backward only when asked to
    try:
        for t in _toposort(list(grads)):
            g = pop(t, None)
            if g is None:
                continue
            if wanted is not None and t in wanted:
                found[wanted[t]] = g
            fn = t._ctx
            if fn is None:
                if wanted is None:
                    _accumulate_leaf(t, g, create_graph, given)
                continue
            if fn.saved is _RELEASED:
                raise RuntimeError(
                    f"backward: trying to backward through the graph a second time (the "
                    f"'{fn.name}' node's saved values were freed by the first backward); "
                    "pass retain_graph=True to the first backward() or grad() call"
                )
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
                fn.saved = _RELEASED
    finally:
        _mode.enabled = previous_mode
    if inputs is None:
        return None
    return [g if g is None or isinstance(g, _Tensor) else wrap(np.asarray(g)) for g in found]


def _accumulate_leaf(t: Tensor, g: Any, create_graph: bool, given: set[int]) -> None:
    old = t._grad
    if create_graph:
        t._grad = g if old is None else old + g
    elif old is None:
        t._grad = wrap(_own(g, given))
    elif old._ctx is None and old.data.flags.writeable and old.data.shape == g.shape:
        np.add(old.data, g, out=old.data, casting="unsafe")
    else:
        t._grad = wrap(np.asarray(old.data + g))


def _as_list(x: Any, name: str) -> list[Any]:
    if x is None:
        return []
    if isinstance(x, (_Tensor, np.ndarray, int, float, np.generic)):
        return [x]
    if isinstance(x, (str, bytes)) or not hasattr(x, "__iter__"):
        raise TypeError(f"grad: {name} must be a Tensor or a sequence of Tensors, got {type(x).__name__}")
    return list(x)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """Gradients of `outputs` with respect to `inputs`, one Tensor per input.

    Leaves' `.grad` is not touched. `grad_outputs` gives one gradient (Tensor or
    ndarray, of the output's shape) per output; it may be omitted for one-element
    outputs. `retain_graph` defaults to `create_graph`. With `create_graph=True` the
    returned gradients are differentiable (higher-order derivatives). An input the
    outputs do not depend on is a RuntimeError, or None with `allow_unused=True`.
    """
    outs = _as_list(outputs, "outputs")
    ins = _as_list(inputs, "inputs")
    for kind, items in (("outputs", outs), ("inputs", ins)):
        for item in items:
            if not isinstance(item, _Tensor):
                raise TypeError(f"grad: {kind} must be Tensors, got {type(item).__name__}")
    if not outs or not ins:
        raise ValueError("grad: outputs and inputs must each name at least one Tensor")
    gouts = _as_list(grad_outputs, "grad_outputs") if grad_outputs is not None else [None] * len(outs)
    if len(gouts) != len(outs):
        raise ValueError(f"grad: {len(outs)} outputs but {len(gouts)} grad_outputs")
    for i, t in enumerate(ins):
        if not t.requires_grad:
            raise RuntimeError(f"grad: input {i} (shape {t.shape}) does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    result = run_backward(outs, gouts, retain_graph, create_graph, inputs=ins)
    assert result is not None
    for i, g in enumerate(result):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {i} (shape {ins[i].shape}) was not used to compute the "
                "outputs; pass allow_unused=True to get None for it"
            )
    return tuple(result)
