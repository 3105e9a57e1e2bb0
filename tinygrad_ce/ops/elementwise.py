"""Elementwise primitives: each forward beside its derivative, the identity in a comment.

Broadcasting is undone by the engine (`sum_to`) and the gradient cast back to each
input's dtype there, so no op repeats that. Float-valued ops compute integer input in
the default float dtype (`floating`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from ._dual import floating, log, value


def where(cond: np.ndarray, a: Any, b: Any) -> Any:
    """where(cond, a, b) for a constant mask; recorded (`Where`) when a or b is a Tensor."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        dtype = (a if isinstance(a, Tensor) else b).dtype
        a, b = (x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=dtype)) for x in (a, b))
        return Where.apply(a, b, cond=cond)
    return np.where(cond, a, b)


# ----------------------------------------------------------------------------- binary
class Add(Function):
    __slots__ = ()
    name = "add"

    def forward(self, x, y):
        return x + y

    def backward(self, g, out, x, y):  # d(x + y) = dx + dy
        return g, g


class Sub(Function):
    __slots__ = ()
    name = "sub"

    def forward(self, x, y):
        return x - y

    def backward(self, g, out, x, y):  # d(x - y) = dx - dy
        return g, -g


class Mul(Function):
    __slots__ = ()
    name = "mul"

    def forward(self, x, y):
        return x * y

    def backward(self, g, out, x, y):  # d(x y) = y dx + x dy
        return g * y, g * x


class Div(Function):
    __slots__ = ()
    name = "div"

    def forward(self, x, y):
        if x.dtype.kind == "f" and y.dtype.kind == "f":
            return x / y
        return floating(x) / floating(y)

    def backward(self, g, out, x, y):  # d(x / y) = dx / y - (x / y^2) dy
        gx = g / y
        return gx, (-gx * out if self.needs_grad[1] else None)


class Pow(Function):
    """x ** c for a number c."""

    __slots__ = ("exponent",)
    name = "pow"

    def forward(self, x, exponent):
        self.exponent = exponent
        if x.dtype.kind != "f" and (exponent < 0 or exponent != int(exponent)):
            x = floating(x)  # a float-valued power of integers
        return x**exponent

    def backward(self, g, out, x):  # d x^c = c x^(c-1) dx, and 0 for c = 0 (even at x = 0)
        c = self.exponent
        if c == 0:
            return (g * 0 if isinstance(g, Tensor) else np.zeros_like(g),)
        return (g * (c * x ** (c - 1)),)


class PowTensor(Function):
    """x ** y with y a tensor. PyTorch's numbers at the special points: d/dx is 0 where
    y = 0; d/dy is 0 where x = 0 and y >= 0, -inf where x = 0 and y < 0, nan for x < 0."""

    __slots__ = ()
    name = "pow"

    def forward(self, x, y):
        if x.dtype.kind != "f" and (y.dtype.kind == "f" or np.any(y < 0)):
            x = floating(x)
        return x**y

    def backward(self, g, out, x, y):  # d x^y = y x^(y-1) dx + x^y log(x) dy
        gx = gy = None
        if self.needs_grad[0]:  # y is swapped out where it is 0, so every order stays finite
            y_zero = value(y) == 0
            y_safe = where(y_zero, 1, y)
            gx = where(y_zero, 0, g * y_safe * x ** (y_safe - 1))
        if self.needs_grad[1]:
            flat = (value(x) == 0) & (value(y) >= 0)  # 0^y is flat in y there
            with np.errstate(invalid="ignore", divide="ignore"):  # log(x < 0) = nan, as PyTorch
                gy = where(flat, 0, g * out * log(where(flat, 1, x)))
        return gx, gy


class Where(Function):
    """where(cond, a, b) with a constant bool mask `cond` (not differentiable)."""

    __slots__ = ("cond",)
    name = "where"

    def forward(self, a, b, cond):
        self.cond = cond
        return np.where(cond, a, b)

    def backward(self, g, out, a, b):  # d where(c, a, b) = where(c, da, 0) + where(c, 0, db)
        need_a, need_b = self.needs_grad
        return (where(self.cond, g, 0) if need_a else None), (where(self.cond, 0, g) if need_b else None)


# ----------------------------------------------------------------------------- unary
class Neg(Function):
    __slots__ = ()
    name = "neg"

    def forward(self, x):
        return -x

    def backward(self, g, out, x):  # d(-x) = -dx
        return (-g,)


class Exp(Function):
    __slots__ = ()
    name = "exp"

    def forward(self, x):
        return np.exp(x if x.dtype.kind == "f" else floating(x))

    def backward(self, g, out, x):  # d exp(x) = exp(x) dx
        return (g * out,)


class Log(Function):
    __slots__ = ()
    name = "log"

    def forward(self, x):
        return np.log(x if x.dtype.kind == "f" else floating(x))

    def backward(self, g, out, x):  # d log(x) = dx / x
        return (g / x,)


class ReLU(Function):
    __slots__ = ()
    name = "relu"

    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, g, out, x):  # d relu(x) = [x > 0] dx
        return (g * (value(x) > 0),)  # (a bool mask: faster than a float one up to ~1M elements)


class Sigmoid(Function):
    __slots__ = ()
    name = "sigmoid"

    def forward(self, x):
        x = floating(x)
        e = np.exp(-np.abs(x))  # stable on both sides: never exp of a large positive
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)

    def backward(self, g, out, x):  # d sigmoid(x) = s (1 - s) dx
        return (g * (out * (1 - out)),)


class Tanh(Function):
    __slots__ = ()
    name = "tanh"

    def forward(self, x):
        return np.tanh(x if x.dtype.kind == "f" else floating(x))

    def backward(self, g, out, x):  # d tanh(x) = (1 - tanh^2) dx
        return (g * (1 - out * out),)


class Cast(Function):
    __slots__ = ()
    name = "cast"

    def forward(self, x, dtype):
        return x.astype(dtype)

    def backward(self, g, out, x):  # d cast(x) = dx, in x's dtype
        return (g.astype(x.dtype),)
