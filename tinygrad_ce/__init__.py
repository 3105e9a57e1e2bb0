"""tinygrad_ce: a small autograd engine on numpy, with composed and fused softmax cross-entropy."""
from .tensor import Tensor, get_default_dtype, set_default_dtype  # noqa: I001  (tensor first: it wires ops)
from .engine import ShapeError, enable_grad, grad, is_grad_enabled, named_scope, no_grad
from .gradcheck import GradcheckError, gradcheck
from .serialization import load, save

__version__ = "0.1.0"

__all__ = [
    "Tensor", "no_grad", "enable_grad", "is_grad_enabled", "grad", "gradcheck", "GradcheckError",
    "ShapeError", "named_scope", "set_default_dtype", "get_default_dtype", "save", "load", "__version__",
]
