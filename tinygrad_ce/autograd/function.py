"""The graph node (`Function`) and how an op runs (`Function.apply`).

The engine knows no tensor class: `Variable` is what it needs of one (a tensor class
subclasses it), and an op's output is made by its first input's `_blank()`.
"""

from __future__ import annotations

from itertools import count
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import op_error
from .mode import mode

TRACER: Any = None  # the active tracer of `tinygrad_ce.jit` (see `trace`); None: not tracing

next_seq = count().__next__  # creation order of op outputs (the backward walk sorts by it)
_new = object.__new__
_ndarray = np.ndarray

PRIMITIVES: dict[str, Any] = {}
"""Op class name -> its `apply` ("Add", "Exp", ...): filled by `tinygrad_ce.ops` when it is
imported; the Tensor's operators and methods call the primitives through it, by name."""


class Variable:
    """What the engine needs of a tensor: `data` (ndarray), `requires_grad`, `grad_fn`
    (the Function that made it, None for leaves), `_grad`, `_seq` (creation order, -1
    for leaves), `name` (a label, None on op outputs), `_blank()` (a new empty
    instance of the tensor class) and `_output_type` (the class of op outputs, whose
    fields `Function.apply` sets itself: the hot path makes no `_blank()` call)."""

    __slots__ = ()
    # (declared for type checkers; the tensor class's slots hold them)
    data: np.ndarray
    """The values, an ndarray (float32 by default for Python floats)."""
    requires_grad: bool
    """Whether backward computes a gradient for this tensor (floating dtypes only)."""
    grad_fn: Function | None
    """The op that produced this tensor (None for a leaf or outside grad mode)."""
    _grad: Any
    _seq: int
    name: str | None
    _output_type: type  # (a class attribute of the tensor class)

    if TYPE_CHECKING:  # (the tensor class defines it)

        def astype(self, dtype: Any) -> Any: ...

    @staticmethod
    def _blank() -> Any:
        raise NotImplementedError


class Function:
    """One op: subclasses define `name`, `forward` and `backward` (and `fused = True`
    for a fused op with a closed-form backward that has a composed twin).

    `forward(*arrays, **params)` computes the output ndarray and may keep what the
    backward needs on `self` (`self.saved` for buffers that a backward pass frees).
    `backward(g, out, *inputs)` returns one gradient per input (None where an input
    needs none: `self.needs_grad`); `g`, `out` and the inputs are ndarrays on the fast
    path and tensors when the backward is recorded (`create_graph=True`). A recorded
    node keeps its `parents` (the input tensors) and the grad mode's `tag`.
    """

    __slots__ = ("parents", "saved", "tag", "__weakref__")
    parents: tuple[Any, ...]  # the input tensors (set when the node is recorded)
    saved: Any  # buffers the backward needs and frees
    tag: Any  # the grad mode's tag when recorded
    name = "function"
    fused = False

    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Any:
        """Run the forward on the inputs' data and, if any input requires grad (and grad
        mode is on), record this node as the output's `grad_fn`."""
        fn = _new(cls)
        fn.saved = None
        try:  # (the branches only spare the hot path Python's argument packing)
            if params:
                data = fn.forward(*[t.data for t in inputs], **params)
            elif len(inputs) == 2:
                data = fn.forward(inputs[0].data, inputs[1].data)
            elif len(inputs) == 1:
                data = fn.forward(inputs[0].data)
            else:
                data = fn.forward(*[t.data for t in inputs])
        except (ValueError, IndexError, TypeError) as err:
            raise op_error(cls.name, inputs, err) from None
        if type(data) is not _ndarray:  # numpy returns scalars for 0-d results
            data = np.asarray(data)
        out = _new(inputs[0]._output_type)  # (every field set here: no _blank() call)
        out.data, out._grad, out.name = data, None, None
        if TRACER is not None:
            TRACER.record_op(fn, inputs, params, out)
        record = mode.record  # (one read of the thread-local grad mode: None or (tag,))
        if record is not None:
            for t in inputs:
                if t.requires_grad:  # record: the output remembers this node, which knows its inputs
                    fn.parents, fn.tag = inputs, record[0]
                    out.grad_fn, out.requires_grad, out._seq = fn, True, next_seq()
                    return out
        out.grad_fn, out.requires_grad, out._seq = None, False, -1
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
