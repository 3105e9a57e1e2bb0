"""Old import path (version 1): the engine now lives in `tinygrad_ce.autograd`, named
scopes in `tinygrad_ce.functional.scopes`. Kept so `from tinygrad_ce.engine import ...`
still works; nothing inside the package imports this module."""

from .autograd import (  # noqa: F401
    AxisError,
    Function,
    ShapeError,
    enable_grad,
    grad,
    is_grad_enabled,
    no_grad,
    run_backward,
    sum_to,
)
from .functional.scopes import Scope, named_scope  # noqa: F401
