"""Layers: `Linear`, the first activation modules (`ReLU`, `Tanh`, `Sigmoid`; the rest
are in `activations`) and `Dropout`.
The math lives in `functional`; a layer holds its Parameters and checks its input."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _checks as checks
from .. import functional as F
from .._checks import got
from ..autograd.trace import replayed
from ..rng import as_generator, default_generator
from ..tensor import Tensor, get_default_dtype
from .module import Module
from .parameter import Parameter

linear = F.linear  # x @ weight.T + bias as one `linear` node (ops.Linear)


class Linear(Module):
    """`y = x @ weight.T + bias`, for x of shape `(*, in_features) -> (*, out_features)`.

    `weight` is (out_features, in_features) as in PyTorch, and so is the default
    initialisation: weight and bias ~ U(-1/sqrt(in_features), 1/sqrt(in_features))
    (kaiming_uniform with a=sqrt(5)). `rng`: a seed or Generator (default: see
    `manual_seed`); `dtype`: the default dtype unless given. An ndarray input is cast
    to the weight's dtype. Differentiable in x, weight and bias."""

    bias: Parameter | None  # (registered in __init__)

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        rng: int | np.random.Generator | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        in_features = checks.integer("Linear", "in_features", in_features, low=1)
        out_features = checks.integer("Linear", "out_features", out_features, low=1)
        bias = checks.boolean("Linear", "bias", bias)
        generator = as_generator(rng, "Linear", "rng")
        dtype = checks.float_dtype("Linear", "dtype", dtype)
        dtype = get_default_dtype() if dtype is None else dtype
        self.in_features, self.out_features = in_features, out_features
        bound = 1.0 / math.sqrt(in_features)
        with checks.allocating("Linear", f"in_features={in_features} x out_features={out_features}"):
            weight = generator.uniform(-bound, bound, (out_features, in_features)).astype(dtype)
            bias_values = generator.uniform(-bound, bound, out_features).astype(dtype) if bias else None
        self.weight = Parameter(weight)
        self.register_parameter("bias", None if bias_values is None else Parameter(bias_values))

    def forward(self, x: Any) -> Tensor:
        if not isinstance(x, Tensor):
            x = _input_tensor("Linear", x, self.weight.data.dtype)
        if x.data.ndim == 0 or x.data.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear: expected input x of shape (*, {self.in_features}) "
                f"(in_features={self.in_features}), got shape {x.shape}"
            )
        return linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        bias = self.bias is not None
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={bias}"


def _input_tensor(owner: str, x: Any, dtype: Any = None) -> Tensor:
    """A layer's non-Tensor input `x` as a Tensor (cast to `dtype`, if given: a real
    dtype, so complex input is refused rather than silently losing its imaginary part)."""
    try:
        array = np.asarray(x)
        if array.dtype.kind not in ("biuf" if dtype is not None else "biufc"):
            raise TypeError(f"dtype {array.dtype} is not {'real ' if dtype is not None else ''}numeric")
        return Tensor(array, dtype=dtype)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{owner}: input x must be a Tensor or numeric array, got {got(x)}: {err}") from None


class ReLU(Module):
    """max(x, 0) elementwise (gradient 0 at 0). `inplace=True` is accepted, as PyTorch's,
    and gives the same result, computed out of place (the input is not modified)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = checks.boolean("ReLU", "inplace", inplace)

    def forward(self, x: Any) -> Tensor:
        return F.relu(x)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Tanh(Module):
    """tanh(x) elementwise."""

    def forward(self, x: Any) -> Tensor:
        return F.tanh(x)


class Sigmoid(Module):
    """1 / (1 + exp(-x)) elementwise."""

    def forward(self, x: Any) -> Tensor:
        return F.sigmoid(x)


class Dropout(Module):
    """Inverted dropout: in training mode each element is zeroed with probability `p`
    and the rest scaled by 1/(1-p); in eval mode (or p=0) the input passes unchanged.
    The mask is drawn from `rng` (a seed or Generator; default: see `manual_seed`)."""

    def __init__(self, p: float = 0.5, rng: int | np.random.Generator | None = None) -> None:
        super().__init__()
        self.p = checks.number("Dropout", "p", p, low=0.0, high=1.0)
        self._rng = None if rng is None else as_generator(rng, "Dropout", "rng")

    def forward(self, x: Any) -> Tensor:
        x = x if isinstance(x, Tensor) else _input_tensor("Dropout", x)
        if not self.training or self.p == 0.0:
            return x
        return x * Tensor(_dropout_mask(x.data.shape, x.data.dtype, self.p, self._rng))

    def extra_repr(self) -> str:
        return f"p={self.p}"


@replayed  # tinygrad_ce.jit draws a fresh mask at each replay
def _dropout_mask(shape: tuple[int, ...], dtype: Any, p: float, rng: Any) -> np.ndarray:
    """Dropout's constant mask times 1/(1-p), drawn from `rng` or the default generator."""
    draw = dtype if dtype in (np.float32, np.float64) else np.float64
    generator = rng if rng is not None else default_generator()
    keep = generator.random(shape, dtype=draw) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    return (keep * scale).astype(dtype, copy=False)
