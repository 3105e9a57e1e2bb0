"""The primitives, each forward beside its derivative, split by family: `elementwise`,
`special`, `reduce`, `movement`, `linalg` and the `fused` ops (which declare `fused = True`).

`backward(g, out, *inputs)` is written once: on the fast path `g`, `out` and the inputs
are ndarrays; under `create_graph=True` they are Tensors and the same lines record a
differentiable graph. Importing this package registers every primitive in
`tinygrad_ce.autograd.PRIMITIVES`, which the Tensor's operators and methods call.

To add a primitive: write its class in the family's module (forward, backward, the
identity in a comment), list it in `ALL` below, and give it a case in
`tests/test_dual_path.py` (the test fails for an op without one).
"""

from ..autograd import PRIMITIVES
from .attention import ScaledDotProductAttention
from .conv import Col2im, Conv2d, Im2col
from .elementwise import Add, Cast, Div, Exp, Log, Mul, Neg, Pow, PowTensor, ReLU, Sigmoid, Sub, Tanh, Where
from .fused import Linear, SoftmaxCrossEntropy
from .linalg import Einsum, MatMul
from .movement import BroadcastTo, Cat, GetItem, Pad, Reshape, ScatterAdd, Transpose
from .norm import BatchNorm, LayerNorm
from .pool import MaxPool2d
from .reduce import Cumsum, LogSumExp, Max, Sum
from .special import Arccos, Arcsin, Arctan, Cos, Erf, Expm1, Log1p, Sin

ALL = (
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    PowTensor,
    Where,
    Neg,
    Exp,
    Log,
    ReLU,
    Sigmoid,
    Tanh,
    Cast,  # elementwise
    Sin,
    Cos,
    Expm1,
    Log1p,
    Arcsin,
    Arccos,
    Arctan,
    Erf,  # special functions
    Sum,
    Max,
    Cumsum,
    LogSumExp,  # reduce (LogSumExp fused)
    Reshape,
    Transpose,
    BroadcastTo,
    GetItem,
    ScatterAdd,
    Cat,
    Pad,  # movement
    MatMul,
    Einsum,  # linalg
    Linear,
    SoftmaxCrossEntropy,  # fused
    LayerNorm,
    BatchNorm,  # fused normalization
    ScaledDotProductAttention,  # fused attention
    Im2col,
    Col2im,
    Conv2d,
    MaxPool2d,  # convolution and pooling (Conv2d, MaxPool2d fused)
)
PRIMITIVES.update({op.__name__: op.apply for op in ALL})

__all__ = [op.__name__ for op in ALL] + ["ALL"]
