"""The primitives, each forward beside its derivative, split by family: `elementwise`,
`reduce`, `movement`, `linalg` and the `fused` ops (which declare `fused = True`).

`backward(g, out, *inputs)` is written once: on the fast path `g`, `out` and the inputs
are ndarrays; under `create_graph=True` they are Tensors and the same lines record a
differentiable graph. Importing this package registers every primitive in
`tinygrad_ce.tensor.PRIMITIVES`, which the Tensor's operators and methods call.

To add a primitive: write its class in the family's module (forward, backward, the
identity in a comment), list it in `ALL` below, and give it a case in
`tests/test_dual_path.py` (the test fails for an op without one).
"""
from ..tensor import PRIMITIVES
from .elementwise import Add, Cast, Div, Exp, Log, Mul, Neg, Pow, PowTensor, ReLU, Sigmoid, Sub, Tanh, Where
from .fused import Linear, SoftmaxCrossEntropy
from .linalg import MatMul
from .movement import BroadcastTo, GetItem, Reshape, ScatterAdd, Transpose
from .reduce import Max, Sum

ALL = (
    Add, Sub, Mul, Div, Pow, PowTensor, Where, Neg, Exp, Log, ReLU, Sigmoid, Tanh, Cast,  # elementwise
    Sum, Max,  # reduce
    Reshape, Transpose, BroadcastTo, GetItem, ScatterAdd,  # movement
    MatMul,  # linalg
    Linear, SoftmaxCrossEntropy,  # fused
)
PRIMITIVES.update({op.__name__: op.apply for op in ALL})

__all__ = [op.__name__ for op in ALL] + ["ALL"]
