"""Shape and activation layers with PyTorch's names, arguments and `repr`: `Identity`,
`Flatten`, `Unflatten`, `GELU`, `SiLU`, `LeakyReLU`, `ELU`, `CELU`, `SELU`, `Softplus`,
`Mish`, `Softsign`, `Hardtanh`, `ReLU6`, `Hardsigmoid`, `Hardswish`, `LogSigmoid`,
`Softmax`, `LogSoftmax`, `Softmin`. Each wraps one function of `functional` (the math,
and the gradient, live there); none has parameters.

`inplace=True` is accepted where PyTorch has it (so ported code runs): the result is
the same, computed out of place; the input is not modified."""

from __future__ import annotations

import warnings
from typing import Any

from .. import _checks as checks
from .. import functional as F
from ..tensor import Tensor
from .module import Module


def _tensor(owner: str, x: Any) -> Tensor:
    return F.as_tensor(x, owner, "input")


class _Inplace(Module):
    """An elementwise activation with PyTorch's `inplace` flag (see the module docstring)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = checks.boolean(type(self).__name__, "inplace", inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Identity(Module):
    """Returns its input unchanged (the same object); any arguments are ignored, as PyTorch's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:
        return input


class Flatten(Module):
    """Merges axes `start_dim`..`end_dim` (inclusive) into one: `(N, C, H, W) -> (N, C*H*W)`
    with the defaults (the batch axis is kept). Differentiable (a reshape)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = checks.integer("Flatten", "start_dim", start_dim)
        self.end_dim = checks.integer("Flatten", "end_dim", end_dim)

    def forward(self, input: Any) -> Tensor:
        return _tensor("Flatten", input).flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Splits axis `dim` into `unflattened_size` (a tuple of ints, one may be -1):
    Unflatten(1, (2, 5)) maps (N, 10) to (N, 2, 5). Differentiable (a reshape)."""

    def __init__(self, dim: int, unflattened_size: Any) -> None:
        super().__init__()
        self.dim = checks.integer("Unflatten", "dim", dim)
        sizes = checks.items("Unflatten", "unflattened_size", unflattened_size, "a tuple of ints")
        self.unflattened_size = tuple(
            checks.integer("Unflatten", f"unflattened_size[{i}]", n, low=-1) for i, n in enumerate(sizes)
        )

    def forward(self, input: Any) -> Tensor:
        return _tensor("Unflatten", input).unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class GELU(Module):
    """x * Phi(x) (Phi the standard normal CDF), or its tanh approximation with
    approximate="tanh"; elementwise, differentiable."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = checks.string("GELU", "approximate", approximate, choices=("none", "tanh"))

    def forward(self, input: Any) -> Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(_Inplace):
    """x * sigmoid(x) (swish); elementwise, differentiable."""

    def forward(self, input: Any) -> Tensor:
        return F.silu(input)


class Mish(_Inplace):
    """x * tanh(softplus(x)); elementwise, differentiable."""

    def forward(self, input: Any) -> Tensor:
        return F.mish(input)


class SELU(_Inplace):
    """scale * elu(x, alpha) with PyTorch's constants; elementwise, differentiable."""

    def forward(self, input: Any) -> Tensor:
        return F.selu(input)


class LeakyReLU(_Inplace):
    """x for x > 0, else negative_slope * x; elementwise, differentiable (slope
    negative_slope at 0, as PyTorch)."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__(inplace)
        self.negative_slope = checks.number("LeakyReLU", "negative_slope", negative_slope)

    def forward(self, input: Any) -> Tensor:
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(_Inplace):
    """x for x > 0, else alpha * (exp(x) - 1); elementwise, differentiable."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__(inplace)
        self.alpha = checks.number("ELU", "alpha", alpha)

    def forward(self, input: Any) -> Tensor:
        return F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class CELU(_Inplace):
    """x for x > 0, else alpha * (exp(x / alpha) - 1); elementwise, differentiable."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__(inplace)
        self.alpha = checks.number("CELU", "alpha", alpha)
        if self.alpha == 0:
            raise ValueError("CELU: alpha must not be 0 (it divides x), got 0")

    def forward(self, input: Any) -> Tensor:
        return F.celu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Softplus(Module):
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (PyTorch's);
    elementwise, differentiable."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = checks.number("Softplus", "beta", beta)
        if self.beta == 0:
            raise ValueError("Softplus: beta must not be 0 (it divides the result), got 0")
        self.threshold = checks.number("Softplus", "threshold", threshold)

    def forward(self, input: Any) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softsign(Module):
    """x / (1 + |x|); elementwise, differentiable."""

    def forward(self, input: Any) -> Tensor:
        return F.softsign(input)


class Hardtanh(_Inplace):
    """x clipped to [min_val, max_val]; elementwise, differentiable (0 outside)."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__(inplace)
        self.min_val = checks.number("Hardtanh", "min_val", min_val)
        self.max_val = checks.number("Hardtanh", "max_val", max_val, low=self.min_val, low_open=True)

    def forward(self, input: Any) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}" + (", inplace=True" if self.inplace else "")


class ReLU6(_Inplace):
    """min(max(x, 0), 6); elementwise, differentiable."""

    def forward(self, input: Any) -> Tensor:
        return F.relu6(input)


class Hardsigmoid(_Inplace):
    """clip(x / 6 + 1 / 2, 0, 1); elementwise, differentiable."""

    def forward(self, input: Any) -> Tensor:
        return F.hardsigmoid(input)


class Hardswish(_Inplace):
    """x * hardsigmoid(x); elementwise, differentiable."""

    def forward(self, input: Any) -> Tensor:
        return F.hardswish(input)


class LogSigmoid(Module):
    """log(sigmoid(x)), stable for any x; elementwise, differentiable."""

    def forward(self, input: Any) -> Tensor:
        return F.logsigmoid(input)


def softmax_dim(owner: str, dim: int | None, ndim: int) -> int:
    """The axis of a Softmax/LogSoftmax/Softmin: `dim`, or, when it is None, PyTorch's
    legacy choice (0 for 0-, 1- and 3-d input, else 1) with PyTorch's warning."""
    if dim is not None:
        return dim
    warnings.warn(
        f"{owner}: implicit dimension choice (dim=None) is deprecated, as in PyTorch; "
        f"pass dim=... explicitly",
        UserWarning,
        stacklevel=5,
    )
    return 0 if ndim in (0, 1, 3) else 1


class _SoftmaxLike(Module):
    """A normalisation over one axis, `dim` (an int, or None: PyTorch's legacy choice)."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = None if dim is None else checks.integer(type(self).__name__, "dim", dim)

    def _apply(self, fn: Any, input: Any) -> Tensor:
        """fn(x, axis); a 0-d input is treated as one element (PyTorch's: softmax gives 1)."""
        x = _tensor(type(self).__name__, input)
        axis = softmax_dim(type(self).__name__, self.dim, x.ndim)
        if x.ndim == 0:
            if axis not in (0, -1):
                raise IndexError(f"{type(self).__name__}: dim {axis} is out of range for a 0-d input")
            return fn(x.reshape(1), 0).reshape(())
        return fn(x, axis)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_SoftmaxLike):
    """exp(x) / sum(exp(x)) along `dim` (stable: the max is subtracted first); same shape
    as the input; differentiable."""

    def forward(self, input: Any) -> Tensor:
        return self._apply(F.softmax, input)


class LogSoftmax(_SoftmaxLike):
    """log(softmax(x)) along `dim`, finite for any logit gap; same shape as the input;
    differentiable."""

    def forward(self, input: Any) -> Tensor:
        return self._apply(F.log_softmax, input)


class Softmin(_SoftmaxLike):
    """softmax(-x) along `dim`; same shape as the input; differentiable."""

    def forward(self, input: Any) -> Tensor:
        return self._apply(F.softmin, input)
