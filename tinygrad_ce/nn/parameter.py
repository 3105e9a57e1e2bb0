"""`Parameter`: the Tensor a Module registers as trainable."""

from __future__ import annotations

from typing import Any

from .. import _checks as checks
from .._checks import got
from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor that a Module registers as trainable: `requires_grad=True` by default.

    `data` as for Tensor (an ndarray is shared, not copied; a Tensor's array is taken)."""

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None, name: str | None = None):
        requires_grad = checks.boolean("Parameter", "requires_grad", requires_grad)
        if name is not None:
            checks.string("Parameter", "name", name)
        if dtype is not None:
            dtype = checks.float_dtype("Parameter", "dtype", dtype)
        try:
            super().__init__(data.data if isinstance(data, Tensor) else data, requires_grad, dtype, name)
        except (TypeError, ValueError) as err:
            kind = TypeError if isinstance(err, TypeError) else ValueError
            raise kind(
                f"Parameter: data must be a float array, a number, a list or a Tensor, got {got(data)}: {err}"
            ) from None

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
