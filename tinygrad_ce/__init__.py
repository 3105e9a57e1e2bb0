"""tinygrad_ce: a small autograd engine on numpy, with composed and fused softmax cross-entropy.

`import tinygrad_ce` needs only numpy; `tinygrad_ce.nn`, `.optim`, `.data`,
`.functional`, `.viz` (graphviz) and `.compare` are submodules.
"""

from . import ops  # noqa: F401  (importing ops registers the primitives the Tensor methods call)
from ._version import __version__
from .autograd import AxisError, ShapeError, enable_grad, grad, is_grad_enabled, no_grad
from .functional.activations import where
from .functional.joining import array_split, cat, chunk, concatenate, einsum, maximum, minimum, split, stack
from .functional.scopes import named_scope
from .gradcheck import GradcheckError, gradcheck
from .serialization import load, save
from .tensor import Tensor
from .tensor.arrays import get_default_dtype, set_default_dtype
from .tensor.creation import (
    arange,
    empty,
    eye,
    full,
    full_like,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from .traced import jit
from .training import evaluate, fit, load_checkpoint, save_checkpoint

__all__ = [
    "Tensor",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "grad",
    "gradcheck",
    "GradcheckError",
    "ShapeError",
    "AxisError",
    "named_scope",
    "set_default_dtype",
    "get_default_dtype",
    "save",
    "load",
    "fit",
    "jit",
    "evaluate",
    "save_checkpoint",
    "load_checkpoint",
    "__version__",
    "tensor",
    "zeros",
    "ones",
    "empty",
    "full",
    "arange",
    "linspace",
    "eye",
    "zeros_like",
    "ones_like",
    "full_like",
    "rand",
    "randn",
    "randint",
    "manual_seed",
    "cat",
    "concatenate",
    "stack",
    "split",
    "array_split",
    "chunk",
    "where",
    "maximum",
    "minimum",
    "einsum",
]
