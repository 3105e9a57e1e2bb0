"""The graph node (`Function`) and how an op runs (`Function.apply`).

The engine knows no tensor class: `Variable` is what it needs of one (a tensor class
subclasses it), and an op's output is made by its first input's `_blank()`.
"""

from __future__ import annotations

from itertools import count
from typing import Any

import numpy as np

from .errors import op_error
from .mode import mode

next_seq = count().__next__  # creation order of op outputs (the backward walk sorts by it)

PRIMITIVES: dict[str, Any] = {}
"""Op class name -> its `apply` ("Add", "Exp", ...): filled by `tinygrad_ce.ops` when it is
imported; the Tensor's operators and methods call the primitives through it, by name."""


class Variable:
    """What the engine needs of a tensor: `data` (ndarray), `requires_grad`, `grad_fn`
    (the Function that made it, None for leaves), `_grad`, `_seq` (creation order, -1
    for leaves) and `_blank()` (a new empty instance of the tensor class)."""

    __slots__ = ()

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
    name = "function"
    fused = False

    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Any:
        """Run the forward on the inputs' data and, if any input requires grad (and grad
        mode is on), record this node as the output's `grad_fn`."""
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
            raise op_error(cls.name, inputs, err) from None
        if type(data) is not np.ndarray:  # numpy returns scalars for 0-d results
            data = np.asarray(data)
        out = inputs[0]._blank()
        out.data = data
        if mode.enabled:
            for t in inputs:
                if t.requires_grad:  # record: the output remembers this node, which knows its inputs
                    fn.parents, fn.tag = inputs, mode.tag
                    out.grad_fn, out.requires_grad, out._seq = fn, True, next_seq()
                    return out
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
