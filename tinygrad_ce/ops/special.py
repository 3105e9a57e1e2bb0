"""Elementwise primitives whose derivative is a new function: trigonometry, `expm1` and
`log1p` (accurate near 0), and `erf` (computed here: numpy has none)."""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Function
from ._dual import floating


class Sin(Function):
    __slots__ = ()
    name = "sin"

    def forward(self, x):
        return np.sin(floating(x))

    def backward(self, g, out, x):  # d sin(x) = cos(x) dx
        return (g * x.cos(),) if not isinstance(x, np.ndarray) else (g * np.cos(x),)


class Cos(Function):
    __slots__ = ()
    name = "cos"

    def forward(self, x):
        return np.cos(floating(x))

    def backward(self, g, out, x):  # d cos(x) = -sin(x) dx
        return (-(g * x.sin()),) if not isinstance(x, np.ndarray) else (-(g * np.sin(x)),)


class Expm1(Function):
    __slots__ = ()
    name = "expm1"

    def forward(self, x):
        return np.expm1(floating(x))

    def backward(self, g, out, x):  # d (e^x - 1) = e^x dx = (out + 1) dx
        return (g * (out + 1),)


class Log1p(Function):
    __slots__ = ()
    name = "log1p"

    def forward(self, x):
        return np.log1p(floating(x))

    def backward(self, g, out, x):  # d log(1 + x) = dx / (1 + x)
        return (g / (x + 1),)


class Arcsin(Function):
    __slots__ = ()
    name = "arcsin"

    def forward(self, x):
        return np.arcsin(floating(x))

    def backward(self, g, out, x):  # d arcsin(x) = dx / sqrt(1 - x^2)
        return (g * (1 - x * x) ** -0.5,)


class Arccos(Function):
    __slots__ = ()
    name = "arccos"

    def forward(self, x):
        return np.arccos(floating(x))

    def backward(self, g, out, x):  # d arccos(x) = -dx / sqrt(1 - x^2)
        return (-(g * (1 - x * x) ** -0.5),)


class Arctan(Function):
    __slots__ = ()
    name = "arctan"

    def forward(self, x):
        return np.arctan(floating(x))

    def backward(self, g, out, x):  # d arctan(x) = dx / (1 + x^2)
        return (g / (x * x + 1),)


def erf_array(x: np.ndarray) -> np.ndarray:
    """erf, elementwise, to about 1e-15: its Taylor series for |x| < 1.5, else
    1 - erfc(|x|) from the continued fraction erfc(x) = e^(-x^2) / (sqrt(pi) K(x))."""
    x = np.asarray(x)
    a = np.abs(x).astype(np.float64)
    small = np.minimum(a, 1.5)  # series: 2/sqrt(pi) sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    term, total, x2 = small.copy(), small.copy(), small * small
    for n in range(1, 40):
        term *= -x2 / n
        total += term / (2 * n + 1)
    series = total * (2 / math.sqrt(math.pi))
    big = np.maximum(a, 1.5)  # K(x) = x + (1/2) / (x + 1 / (x + (3/2) / (x + ...)))
    k = big.copy()
    for n in range(120, 0, -1):
        k = big + (n / 2) / k
    tail = 1 - np.exp(-big * big) / (math.sqrt(math.pi) * k)
    result = np.where(a < 1.5, series, tail) * np.sign(x)
    return result.astype(x.dtype if x.dtype.kind == "f" else np.float64, copy=False)


class Erf(Function):
    __slots__ = ()
    name = "erf"

    def forward(self, x):
        x = floating(x)
        return erf_array(x).astype(x.dtype, copy=False)

    def backward(self, g, out, x):  # d erf(x) = 2/sqrt(pi) exp(-x^2) dx
        e = (-(x * x)).exp() if not isinstance(x, np.ndarray) else np.exp(-(x * x))
        return (g * (e * (2 / math.sqrt(math.pi))),)
