"""tinygrad_ce: a small autograd engine on numpy, with composed and fused softmax cross-entropy.

`import tinygrad_ce` needs only numpy; `tinygrad_ce.nn`, `.optim`, `.data`,
`.functional`, `.viz` (graphviz) and `.compare` are submodules.
"""
from .tensor import Tensor, get_default_dtype, set_default_dtype  # noqa: I001  (tensor first: it wires ops)
from .engine import ShapeError, enable_grad, grad, is_grad_enabled, named_scope, no_grad
from .gradcheck import GradcheckError, gradcheck
from .serialization import load, save
from .training import evaluate, fit, load_checkpoint, save_checkpoint

__version__ = "0.1.0"

__all__ = [
    "Tensor", "no_grad", "enable_grad", "is_grad_enabled", "grad", "gradcheck", "GradcheckError",
    "ShapeError", "named_scope", "set_default_dtype", "get_default_dtype", "save", "load",
    "fit", "evaluate", "save_checkpoint", "load_checkpoint", "__version__",
]
