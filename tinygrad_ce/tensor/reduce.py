"""Reductions, scans and orderings. Every axis argument is numpy's `axis=` or PyTorch's
`dim=` (an int, a tuple or a list; out of range is an AxisError), every `keepdims=` may
be `keepdim=`. `sum`, `max` and `cumsum` are primitives; `min`, `mean`, `prod`, `var`,
`std`, `cumprod` and the values of `sort`/`topk` are composed; `logsumexp` is one fused
node with a composed twin (`fused=False`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import PRIMITIVES
from ..autograd.trace import derived
from ._methods import TensorMethods
from .arrays import check_flag, either, normalize_axis


def _args(op: str, axis: Any, dim: Any, keepdims: Any, keepdim: Any) -> tuple[Any, bool]:
    return either(op, "axis", axis, None, "dim", dim), check_flag(
        either(op, "keepdims", keepdims, False, "keepdim", keepdim), op, "keepdims"
    )


def _one(op: str, axis: Any, ndim: int) -> int:
    if axis is None or isinstance(axis, (tuple, list)):
        raise TypeError(f"{op}: axis must be one int, got {axis!r}")
    return normalize_axis(axis, ndim, op)[0]  # type: ignore[index]


class ReduceMethods(TensorMethods):
    """Mixed into Tensor."""

    __slots__ = ()

    def sum(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None) -> Any:
        """Sum over `axis` (`dim`): None sums everything, an int or tuple those axes.
        The result drops the summed axes unless `keepdims` (`keepdim`); dtype as numpy's
        (float stays float). Differentiable: the gradient broadcasts `g` back to x's shape.

        Example:
            ```python
            x = Tensor([[1.0, 2.0], [3.0, 4.0]])
            x.sum()  # Tensor(10., dtype=float32)
            x.sum(axis=0)  # Tensor([4., 6.], dtype=float32)
            x.sum(1, keepdims=True).shape  # (2, 1)
            ```
        """
        axis, keepdims = _args("sum", axis, dim, keepdims, keepdim)
        return PRIMITIVES["Sum"](self, axis=normalize_axis(axis, self.ndim, "sum"), keepdims=keepdims)

    def max(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None) -> Any:
        """Maximum values (numpy's amax: values only; `argmax` gives the indices); tied
        maxima share the gradient equally."""
        axis, keepdims = _args("max", axis, dim, keepdims, keepdim)
        if self.size == 0:
            raise ValueError(f"max: the tensor of shape {self.shape} is empty (a maximum needs elements)")
        return PRIMITIVES["Max"](self, axis=normalize_axis(axis, self.ndim, "max"), keepdims=keepdims)

    def min(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None) -> Any:
        """Minimum values, -max(-x): tied minima share the gradient equally."""
        axis, keepdims = _args("min", axis, dim, keepdims, keepdim)
        return -((-self).max(axis=axis, keepdims=keepdims))

    def mean(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None) -> Any:
        """Mean over `axis` (`dim`; None: all elements), `sum / count`; the summed axes
        are dropped unless `keepdims` (`keepdim`). Float dtypes are kept (integers give the
        default float dtype). Differentiable: each element gets `g / count`."""
        axis, keepdims = _args("mean", axis, dim, keepdims, keepdim)
        total = self.sum(axis=axis, keepdims=keepdims)
        return total / (self.size // max(total.size, 1))

    def prod(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None) -> Any:
        """Product over `axis`, by pairwise multiplication (log2(n) ops, exact at zeros:
        the gradient of each element is the product of the others)."""
        axis, keepdims = _args("prod", axis, dim, keepdims, keepdim)
        axes = normalize_axis(axis, self.ndim, "prod")
        axes = tuple(range(self.ndim)) if axes is None else axes
        rest = [i for i in range(self.ndim) if i not in axes]
        x = self.permute(*rest, *axes).reshape(tuple(self.shape[i] for i in rest) + (-1,))
        while x.shape[-1] > 1:
            half = x.shape[-1] // 2
            paired = x[..., :half] * x[..., half : 2 * half]
            if x.shape[-1] % 2:  # the odd one out rides along to the next round
                paired = PRIMITIVES["Cat"](paired, x[..., 2 * half :], axis=x.ndim - 1)
            x = paired
        kept = tuple(self.shape[i] for i in rest)
        out = x.reshape(kept) if x.shape[-1] == 1 else self._wrap(np.ones(kept, self.dtype))  # empty: 1
        if keepdims:
            out = out.reshape(tuple(1 if i in axes else n for i, n in enumerate(self.shape)))
        return out

    def var(
        self,
        axis: Any = None,
        correction: int | None = None,
        keepdims: bool = False,
        *,
        dim: Any = None,
        keepdim: Any = None,
        ddof: int | None = None,
        unbiased: bool | None = None,
    ) -> Any:
        """sum((x - mean)^2) / (N - correction); correction=1 by default (PyTorch's; numpy's
        `ddof=` and PyTorch's old `unbiased=` accepted)."""
        axis, keepdims = _args("var", axis, dim, keepdims, keepdim)
        given = [c for c in (correction, ddof, None if unbiased is None else int(unbiased)) if c is not None]
        if len(given) > 1:
            raise TypeError("var: give one of correction=, ddof= or unbiased=")
        c = given[0] if given else 1
        centered = self - self.mean(axis=axis, keepdims=True)
        squares = (centered * centered).sum(axis=axis, keepdims=keepdims)
        return squares / (self.size // max(squares.size, 1) - c)

    def std(
        self,
        axis: Any = None,
        correction: int | None = None,
        keepdims: bool = False,
        *,
        dim: Any = None,
        keepdim: Any = None,
        ddof: int | None = None,
        unbiased: bool | None = None,
    ) -> Any:
        """sqrt(var); arguments as `var`."""
        var = self.var(axis, correction, keepdims, dim=dim, keepdim=keepdim, ddof=ddof, unbiased=unbiased)
        return var**0.5

    def logsumexp(
        self,
        axis: Any = None,
        keepdims: bool = False,
        *,
        dim: Any = None,
        keepdim: Any = None,
        fused: bool = True,
    ) -> Any:
        """log(sum(exp(x))) computed as m + log(sum(exp(x - m))), m the max held constant
        (finite at any gap; -inf when every element is -inf); gradient softmax(x). One fused
        `logsumexp` node (backward g * softmax(x)); `fused=False`: the composed twin."""
        axis, keepdims = _args("logsumexp", axis, dim, keepdims, keepdim)
        axes = normalize_axis(axis, self.ndim, "logsumexp")
        if check_flag(fused, "logsumexp", "fused"):
            if self.size == 0:
                raise ValueError(f"logsumexp: the tensor of shape {self.shape} is empty")
            return PRIMITIVES["LogSumExp"](self, axis=axes, keepdims=keepdims)
        m = self.max(axis=axis, keepdims=True).detach()
        m = self._wrap(derived(_finite_or_zero, m.data, self.dtype))
        out = (self - m).exp().sum(axis=axis, keepdims=True).log() + m
        if keepdims:
            return out
        return out.reshape(tuple(n for i, n in enumerate(self.shape) if axes is not None and i not in axes))

    def cumsum(self, axis: Any = None, *, dim: Any = None) -> Any:
        """Running sum along `axis` (None: of the flattened tensor); differentiable."""
        axis = either("cumsum", "axis", axis, None, "dim", dim)
        if axis is None:
            return self.reshape(-1).cumsum(0)
        return PRIMITIVES["Cumsum"](self, axis=_one("cumsum", axis, self.ndim))

    def cumprod(self, axis: Any = None, *, dim: Any = None) -> Any:
        """Running product along `axis` (None: flattened), as a prefix scan of log2(n)
        multiplications: exact at zeros, differentiable to any order."""
        axis = either("cumprod", "axis", axis, None, "dim", dim)
        if axis is None:
            return self.reshape(-1).cumprod(0)
        a = _one("cumprod", axis, self.ndim)
        out, n, shift = self, self.shape[a], 1
        while shift < n:
            before = (slice(None),) * a
            ones = self._wrap(np.ones(self.shape[:a] + (shift,) + self.shape[a + 1 :], dtype=self.dtype))
            shifted = PRIMITIVES["Cat"](ones, out[before + (slice(0, n - shift),)], axis=a)
            out = out * shifted
            shift *= 2
        return out

    def argmax(
        self, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None
    ) -> Any:
        """Index of the maximum (an int64 tensor; None: of the flattened tensor)."""
        return self._index_of("argmax", axis, dim, keepdims, keepdim)

    def argmin(
        self, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None
    ) -> Any:
        """Index of the minimum (an int64 tensor; None: of the flattened tensor)."""
        return self._index_of("argmin", axis, dim, keepdims, keepdim)

    def _index_of(self, op: str, axis: Any, dim: Any, keepdims: Any, keepdim: Any) -> Any:
        axis, keepdims = _args(op, axis, dim, keepdims, keepdim)
        a = None if axis is None else _one(op, axis, self.ndim)
        if self.size == 0:
            raise ValueError(f"{op}: the tensor of shape {self.shape} is empty")
        return self._wrap(derived(_index_reduce, self.data, op, a, keepdims))

    def argsort(self, axis: int = -1, descending: bool = False, *, dim: Any = None) -> Any:
        """Indices that sort along `axis` (stable; ties keep their order)."""
        a = _one("argsort", either("argsort", "axis", axis, -1, "dim", dim), self.ndim)
        descending = check_flag(descending, "argsort", "descending")
        return self._wrap(derived(_argsort, self.data, a, descending))

    def sort(self, axis: int = -1, descending: bool = False, *, dim: Any = None) -> tuple[Any, Any]:
        """(values, indices) sorted along `axis`, as PyTorch; the values are differentiable."""
        a = _one("sort", either("sort", "axis", axis, -1, "dim", dim), self.ndim)
        indices = self.argsort(a, descending)
        return self.gather(a, indices), indices

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> tuple[Any, Any]:  # noqa: A002
        """(values, indices) of the k largest (or smallest) along `dim`, as PyTorch."""
        a = _one("topk", dim, self.ndim)
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= self.shape[a]:
            raise ValueError(f"topk: k must be an int in [0, {self.shape[a]}], got {k!r}")
        indices = self.argsort(a, descending=largest)[(slice(None),) * a + (slice(0, k),)]
        return self.gather(a, indices), indices


# (numpy work on values that a jit replay recomputes: see `autograd.trace.derived`)
def _finite_or_zero(m: np.ndarray, dtype: np.dtype) -> np.ndarray:
    return np.where(np.isfinite(m), m, 0).astype(dtype)


def _index_reduce(x: np.ndarray, op: str, axis: int | None, keepdims: bool) -> np.ndarray:
    return np.asarray(getattr(x, op)(axis=axis, keepdims=keepdims))


def _argsort(x: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    keys = x.astype(np.int64) if x.dtype.kind in "bu" else x
    return np.argsort(-keys if descending else keys, axis=axis, kind="stable")
