"""Elementwise Tensor methods. Primitives by name through PRIMITIVES; the rest composed
from public ops (`abs`, `sqrt`, `tan`, `sinh`, `clamp`, `softmax`, ...), so their
gradients come from the graph. Rounding, signs and tests (`floor`, `sign`, `isnan`, ...)
are not differentiable: they return constant tensors."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd import PRIMITIVES
from ..autograd.trace import derived
from ._methods import TensorMethods
from .arrays import either


class ElementwiseMethods(TensorMethods):
    """Mixed into Tensor."""

    __slots__ = ()

    # ------------------------------------------------------------------ primitives
    def exp(self) -> Any:
        """e ** x, elementwise; same shape. Differentiable: the gradient is `g * exp(x)`.
        Float tensors keep their dtype; integers compute in the default float dtype (so
        do all float-valued ops)."""
        return PRIMITIVES["Exp"](self)

    def log(self) -> Any:
        """Natural logarithm, elementwise; same shape and float dtype (integers: the
        default float dtype). Differentiable: the gradient is `g / x` (-inf at 0, nan
        below 0, as numpy)."""
        return PRIMITIVES["Log"](self)

    def relu(self) -> Any:
        """max(x, 0), elementwise; same shape and dtype. Differentiable: the gradient is
        `g` where x > 0 and 0 elsewhere (0 at 0, as PyTorch)."""
        return PRIMITIVES["ReLU"](self)

    def sigmoid(self) -> Any:
        """1 / (1 + exp(-x)), without overflow; differentiable."""
        return PRIMITIVES["Sigmoid"](self)

    def tanh(self) -> Any:
        """tanh(x); differentiable."""
        return PRIMITIVES["Tanh"](self)

    def sin(self) -> Any:
        """sin(x); differentiable."""
        return PRIMITIVES["Sin"](self)

    def cos(self) -> Any:
        """cos(x); differentiable."""
        return PRIMITIVES["Cos"](self)

    def expm1(self) -> Any:
        """exp(x) - 1, accurate near 0; differentiable."""
        return PRIMITIVES["Expm1"](self)

    def log1p(self) -> Any:
        """log(1 + x), accurate near 0; differentiable."""
        return PRIMITIVES["Log1p"](self)

    def arcsin(self) -> Any:
        """arcsin(x) (also `asin`); differentiable on (-1, 1)."""
        return PRIMITIVES["Arcsin"](self)

    def arccos(self) -> Any:
        """arccos(x) (also `acos`); differentiable on (-1, 1)."""
        return PRIMITIVES["Arccos"](self)

    def arctan(self) -> Any:
        """arctan(x) (also `atan`); differentiable."""
        return PRIMITIVES["Arctan"](self)

    def erf(self) -> Any:
        """The error function, to about 1e-15; differentiable."""
        return PRIMITIVES["Erf"](self)

    asin, acos, atan = arcsin, arccos, arctan

    # ------------------------------------------------------------------ composed
    def abs(self) -> Any:
        """|x| = x * sign(x), the sign held constant (`derived`: a jit replay recomputes
        it): gradient sign(x), 0 at 0 (as PyTorch).
        Integer tensors give numpy's abs (not differentiable)."""
        if self.dtype.kind != "f":
            return self._wrap(derived(np.abs, self.data))
        return self * self._wrap(derived(np.sign, self.data))

    def sqrt(self) -> Any:
        """x ** 0.5."""
        return self**0.5

    def rsqrt(self) -> Any:
        """x ** -0.5."""
        return self**-0.5

    def square(self) -> Any:
        """x ** 2."""
        return self**2

    def exp2(self) -> Any:
        """2 ** x (exact at integers)."""
        return self._operand(2.0) ** self

    def log2(self) -> Any:
        """log(x) / log(2)."""
        return self.log() / math.log(2.0)

    def log10(self) -> Any:
        """log(x) / log(10)."""
        return self.log() / math.log(10.0)

    def tan(self) -> Any:
        """sin(x) / cos(x)."""
        return self.sin() / self.cos()

    def sinh(self) -> Any:
        """(expm1(x) - expm1(-x)) / 2 (accurate near 0)."""
        return (self.expm1() - (-self).expm1()) / 2

    def cosh(self) -> Any:
        """(exp(x) + exp(-x)) / 2."""
        return (self.exp() + (-self).exp()) / 2

    def clamp(self, min: Any = None, max: Any = None) -> Any:  # noqa: A002 (PyTorch's names)
        """x limited to [min, max] (either may be None; also `clip`). The gradient is 1
        inside, boundaries included, and goes to a Tensor bound where it is chosen."""
        if min is None and max is None:
            raise ValueError("clamp: give min, max or both")
        out = self
        if min is not None:
            low = self._operand(min)
            out = PRIMITIVES["Where"](low, out, cond=np.asarray(self.data < low.data))
        if max is not None:
            high = self._operand(max)
            out = PRIMITIVES["Where"](high, out, cond=np.asarray(out.data > high.data))
        return out

    clip = clamp
    """numpy's name for `clamp`: x limited to [min, max]; differentiable."""

    def softmax(self, axis: int = -1, *, dim: int | None = None) -> Any:
        """exp(x - max) / sum(exp(x - max)) along `axis` (`dim`); the max is held constant:
        softmax does not change when a constant is subtracted, so the gradient is exact."""
        axis = either("softmax", "axis", axis, -1, "dim", dim)
        row_max = self.max(axis=axis, keepdims=True).detach()
        row_max.name = "row max (detached)"  # named for graph drawings
        z = self - row_max
        e = z.exp()
        return e / e.sum(axis=axis, keepdims=True)

    def log_softmax(self, axis: int = -1, *, dim: int | None = None) -> Any:
        """z - log(sum(exp(z))) with z = x - max(x) along `axis` (`dim`): finite for any gap."""
        axis = either("log_softmax", "axis", axis, -1, "dim", dim)
        row_max = self.max(axis=axis, keepdims=True).detach()
        row_max.name = "row max (detached)"  # named for graph drawings
        z = self - row_max
        return z - z.exp().sum(axis=axis, keepdims=True).log()

    # ------------------------------------------------------------------ not differentiable
    def sign(self) -> Any:
        """-1, 0 or 1 (nan for nan); not differentiable."""
        return self._wrap(derived(np.sign, self.data))

    def floor(self) -> Any:
        """Round down; not differentiable."""
        return self._wrap(derived(np.floor, self.data))

    def ceil(self) -> Any:
        """Round up; not differentiable."""
        return self._wrap(derived(np.ceil, self.data))

    def round(self, decimals: int = 0) -> Any:
        """Round half to even (numpy and PyTorch); not differentiable."""
        return self._wrap(derived(np.round, self.data, decimals))

    def isnan(self) -> Any:
        """Elementwise test (a bool tensor)."""
        return self._wrap(derived(np.isnan, self.data))

    def isinf(self) -> Any:
        """Elementwise test (a bool tensor)."""
        return self._wrap(derived(np.isinf, self.data))

    def isfinite(self) -> Any:
        """Elementwise test (a bool tensor)."""
        return self._wrap(derived(np.isfinite, self.data))
