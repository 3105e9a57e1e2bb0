"""The autograd engine: grad mode, the graph node and how an op runs, the backward walk.

It knows no specific op and no tensor class (`Variable` is what it needs of one)."""

from .api import backward, grad, seed_gradient
from .engine import RELEASED, constant, run_backward, sum_to
from .errors import AxisError, ShapeError, op_error
from .function import PRIMITIVES, Function, Variable
from .mode import enable_grad, is_grad_enabled, mode, no_grad, pop_tag, push_tag

__all__ = [
    "Function",
    "Variable",
    "PRIMITIVES",
    "grad",
    "backward",
    "run_backward",
    "seed_gradient",
    "sum_to",
    "constant",
    "RELEASED",
    "ShapeError",
    "AxisError",
    "op_error",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "mode",
    "push_tag",
    "pop_tag",
]
