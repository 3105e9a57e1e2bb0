"""The primitives: each op's forward and its derivative side by side.

`backward(g, out, *inputs)` is written once: on the fast path `g`, `out` and the inputs
are ndarrays; under `create_graph=True` they are Tensors and the same lines record a
differentiable graph. Broadcasting is undone by the engine (`engine.sum_to`), and the
result is cast back to each input's dtype there too, so no op repeats that.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import tensor as tensor_module
from .engine import Function
from .tensor import Tensor


# ----------------------------------------------------------------------------- dual helpers
# The few functions ndarray and Tensor do not share as methods.
def _value(a: Any) -> np.ndarray:
    return a.data if isinstance(a, Tensor) else a


def _exp(a: Any) -> Any:
    return a.exp() if isinstance(a, Tensor) else np.exp(a)


def _log(a: Any) -> Any:
    return a.log() if isinstance(a, Tensor) else np.log(a)


def _where(cond: np.ndarray, a: Any, b: Any) -> Any:
    """where(cond, a, b) for a constant mask; recorded (`Where`) when a or b is a Tensor."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        like = a if isinstance(a, Tensor) else b
        return Where.apply(_constant(a, like.dtype), _constant(b, like.dtype), cond=cond)
    return np.where(cond, a, b)


def _constant(a: Any, dtype: np.dtype) -> Tensor:
    return a if isinstance(a, Tensor) else Tensor(np.asarray(a, dtype=dtype))


def _floating(x: np.ndarray) -> np.ndarray:
    """The dtype policy of float-valued ops: bool/integer input computes in the default
    float dtype (as PyTorch; numpy would pick float16 or float64 by the integer's width)."""
    return x if x.dtype.kind == "f" else x.astype(tensor_module.get_default_dtype())


def _broadcast_to(a: Any, shape: tuple[int, ...]) -> Any:
    return a.broadcast_to(shape) if isinstance(a, Tensor) else np.broadcast_to(a, shape)


def _reduced_shape(shape: tuple[int, ...], axis: Any) -> tuple[int, ...]:
    """`shape` with the reduced axes kept as 1 (the keepdims shape)."""
    if axis is None:
        return (1,) * len(shape)
    axes = axis if isinstance(axis, tuple) else (axis,)
    axes = {a % len(shape) if len(shape) else a for a in axes}
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


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
        return _floating(x) / _floating(y)

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
            x = _floating(x)  # a float-valued power of integers
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
            x = _floating(x)
        return x**y

    def backward(self, g, out, x, y):  # d x^y = y x^(y-1) dx + x^y log(x) dy
        gx = gy = None
        if self.needs_grad[0]:
            y_zero = _value(y) == 0  # (y itself is swapped out there, so every order stays finite)
            y_safe = _where(y_zero, 1, y)
            gx = _where(y_zero, 0, g * y_safe * x ** (y_safe - 1))
        if self.needs_grad[1]:
            x_flat = (_value(x) == 0) & (_value(y) >= 0)  # 0^y is flat in y there
            x_safe = _where(x_flat, 1, x)
            with np.errstate(invalid="ignore", divide="ignore"):  # log(x < 0) = nan, as PyTorch
                gy = _where(x_flat, 0, g * out * _log(x_safe))
        return gx, gy


class MatMul(Function):
    """numpy's matmul: 2-D, batched N-D with broadcast batch dims, 1-D vectors."""

    __slots__ = ()
    name = "matmul"

    def forward(self, x, y):
        if x.ndim == 0 or y.ndim == 0:
            raise ValueError("matmul needs at least 1-D operands (use * for scalars)")
        if x.shape[-1] != y.shape[0 if y.ndim == 1 else -2]:
            raise ValueError(
                f"inner dimensions differ: {x.shape[-1]} (last of x) vs "
                f"{y.shape[0 if y.ndim == 1 else -2]} ({'first' if y.ndim == 1 else 'second-to-last'} of y)"
            )
        return x @ y

    def backward(self, g, out, x, y):  # d(x @ y) = dx @ y + x @ dy
        need_x, need_y = self.needs_grad
        if x.ndim == 2 and y.ndim == 2:
            return (g @ y.T if need_x else None), (x.T @ g if need_y else None)
        # 1-D operands are promoted to matrices, as numpy does in the forward
        x2 = x.reshape((1,) + x.shape) if x.ndim == 1 else x
        y2 = y.reshape(y.shape + (1,)) if y.ndim == 1 else y
        g2 = g.reshape(g.shape[:-1] + (1,) + g.shape[-1:]) if x.ndim == 1 else g
        g2 = g2.reshape(g2.shape + (1,)) if y.ndim == 1 else g2
        gx = gy = None
        if need_x:
            gx = g2 @ y2.swapaxes(-1, -2)
            gx = gx.reshape(gx.shape[:-2] + gx.shape[-1:]) if x.ndim == 1 else gx
        if need_y:
            gy = x2.swapaxes(-1, -2) @ g2
            gy = gy.reshape(gy.shape[:-1]) if y.ndim == 1 else gy
        return gx, gy  # batch broadcasting is summed away by the engine


class Linear(Function):
    """x @ weight.T + bias as one node (PyTorch's addmm): x (*, in), weight (out, in),
    bias (out,). One node instead of transpose, matmul and add keeps an nn.Linear step
    as cheap as the same step written with raw Tensors."""

    __slots__ = ()
    name = "linear"

    def forward(self, x, weight, bias=None):
        out = x @ weight.T
        if bias is not None:
            out += bias
        return out

    def backward(self, g, out, x, weight, *bias):  # d(x W^T + b) = dx W^T + x dW^T + db
        need = self.needs_grad
        gx = g @ weight if need[0] else None
        rows = g.reshape(-1, g.shape[-1])  # rows of g, whatever the leading dims
        gw = rows.T @ x.reshape(-1, x.shape[-1]) if need[1] else None
        if not bias:
            return gx, gw
        return gx, gw, (rows.sum(axis=0) if need[2] else None)


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
        return np.exp(_floating(x))

    def backward(self, g, out, x):  # d exp(x) = exp(x) dx
        return (g * out,)


class Log(Function):
    __slots__ = ()
    name = "log"

    def forward(self, x):
        return np.log(_floating(x))

    def backward(self, g, out, x):  # d log(x) = dx / x
        return (g / x,)


class ReLU(Function):
    __slots__ = ()
    name = "relu"

    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, g, out, x):  # d relu(x) = [x > 0] dx
        return (g * (_value(x) > 0),)


class Sigmoid(Function):
    __slots__ = ()
    name = "sigmoid"

    def forward(self, x):
        x = _floating(x)
        e = np.exp(-np.abs(x))  # stable on both sides: never exp of a large positive
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)

    def backward(self, g, out, x):  # d sigmoid(x) = s (1 - s) dx
        return (g * (out * (1 - out)),)


class Tanh(Function):
    __slots__ = ()
    name = "tanh"

    def forward(self, x):
        return np.tanh(_floating(x))

    def backward(self, g, out, x):  # d tanh(x) = (1 - tanh^2) dx
        return (g * (1 - out * out),)


# ----------------------------------------------------------------------------- reductions
class Sum(Function):
    __slots__ = ("kept_shape",)
    name = "sum"

    def forward(self, x, axis, keepdims):
        self.kept_shape = _reduced_shape(x.shape, axis)
        return np.asarray(x.sum(axis=axis, keepdims=keepdims))

    def backward(self, g, out, x):  # d sum(x) = sum(dx): g spreads back over the summed axes
        return (_broadcast_to(g.reshape(self.kept_shape), x.shape),)


class Max(Function):
    __slots__ = ("kept_shape",)
    name = "max"

    def forward(self, x, axis, keepdims):
        self.kept_shape = _reduced_shape(x.shape, axis)
        return np.asarray(x.max(axis=axis, keepdims=keepdims))

    def backward(self, g, out, x):  # d max(x) = dx at the argmax; ties share it equally
        winners = _value(x) == _value(out).reshape(self.kept_shape)
        reduced = tuple(i for i, n in enumerate(self.kept_shape) if n == 1)
        share = (winners / winners.sum(axis=reduced, keepdims=True)).astype(_value(x).dtype)
        return (g.reshape(self.kept_shape) * share,)


# ----------------------------------------------------------------------------- shape
class Reshape(Function):
    __slots__ = ()
    name = "reshape"

    def forward(self, x, shape):
        return x.reshape(shape)

    def backward(self, g, out, x):  # reshape back
        return (g.reshape(x.shape),)


class Transpose(Function):
    __slots__ = ("axes", "inverse")
    name = "transpose"

    def forward(self, x, axes):
        self.axes = tuple(range(x.ndim))[::-1] if axes is None else tuple(a % max(x.ndim, 1) for a in axes)
        out = x.transpose(self.axes)  # raises for a bad permutation before we invert it
        self.inverse = tuple(sorted(range(len(self.axes)), key=self.axes.__getitem__))
        return out

    def backward(self, g, out, x):  # transpose back by the inverse permutation
        return (g.transpose(self.inverse),)


class Where(Function):
    """where(cond, a, b) with a constant bool mask `cond` (not differentiable)."""

    __slots__ = ("cond",)
    name = "where"

    def forward(self, a, b, cond):
        self.cond = cond
        return np.where(cond, a, b)

    def backward(self, g, out, a, b):  # d where(c, a, b) = where(c, da, 0) + where(c, 0, db)
        need_a, need_b = self.needs_grad
        return (_where(self.cond, g, 0) if need_a else None), (_where(self.cond, 0, g) if need_b else None)


class Cast(Function):
    __slots__ = ()
    name = "cast"

    def forward(self, x, dtype):
        return x.astype(dtype)

    def backward(self, g, out, x):  # d cast(x) = dx, in x's dtype
        return (g.astype(x.dtype),)


class BroadcastTo(Function):
    __slots__ = ()
    name = "broadcast_to"

    def forward(self, x, shape):
        return np.broadcast_to(x, shape)

    def backward(self, g, out, x):  # the engine sums g back to x's shape
        return (g,)


def _normalize_index(index: Any) -> Any:
    """Tensors and lists in an index become ndarrays (numpy's meaning of the index)."""
    items = index if isinstance(index, tuple) else (index,)
    items = tuple(
        i.data if isinstance(i, Tensor) else np.asarray(i) if isinstance(i, list) else i for i in items
    )
    return items if isinstance(index, tuple) else items[0]


def _is_advanced(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return any(isinstance(i, np.ndarray) for i in items)


class GetItem(Function):
    __slots__ = ("index",)
    name = "getitem"

    def forward(self, x, index):
        self.index = _normalize_index(index)
        return np.asarray(x[self.index])

    def backward(self, g, out, x):  # scatter g back; repeated indices accumulate
        return (ScatterAdd.apply(g, shape=x.shape, index=self.index) if isinstance(g, Tensor)
                else _scatter_add(g, x.shape, self.index),)


def _scatter_add(g: np.ndarray, shape: tuple[int, ...], index: Any) -> np.ndarray:
    full = np.zeros(shape, dtype=g.dtype)
    if _is_advanced(index):
        np.add.at(full, index, g)  # accumulates where an index repeats
    else:
        full[index] = g  # basic slicing never repeats an element
    return full


class ScatterAdd(Function):
    """The backward of getitem, recorded under create_graph: zeros with g added at index."""

    __slots__ = ("index",)
    name = "scatter_add"

    def forward(self, g, shape, index):
        self.index = index
        return _scatter_add(g, shape, index)

    def backward(self, g, out, x):  # d scatter_add(x) = g[index]
        return (g[self.index],)


# ----------------------------------------------------------------------------- fused loss
class SoftmaxCrossEntropy(Function):
    """Fused softmax + cross-entropy over the last axis of (*, C) logits.

    loss_i = sum_c w_c q_ic (lse_i - z_ic) with z = x - max(x), lse = log sum exp z;
    the coefficients w_c q_ic come from `targets.Targets` (sparse for class indices).
    """

    __slots__ = ("targets", "reduction")
    name = "softmax_cross_entropy"

    def forward(self, x, targets, reduction):
        self.targets, self.reduction = targets, reduction
        if x.ndim != 2:
            x = x.reshape(-1, x.shape[-1])
        if targets.valid is not None:  # ignored rows count as zeros: their inf/nan can't leak
            x = np.where(targets.valid[:, None] > 0, x, 0)
        z = x - np.maximum.reduce(x, axis=-1, keepdims=True)  # z = x - max(x) <= 0
        if targets.soft is not None:
            weighted_z = np.einsum("ij,ij->i", z, targets.soft)  # sum_c w_c q_ic z_ic
        else:
            weighted_z = z[targets.rows, targets.index]
            if targets.target_coef is not None:
                weighted_z = weighted_z * targets.target_coef
            if targets.uniform_coef is not None:
                smooth = z @ targets.uniform_coef
                weighted_z = weighted_z + (smooth if targets.valid is None else smooth * targets.valid)
        p = np.exp(z, out=z)  # in place: z is not needed any more
        total = np.add.reduce(p, axis=-1, keepdims=True)
        p /= total
        self.saved = p  # softmax(x), for the backward
        lse = np.log(total[:, 0])
        losses = (lse if targets.row_total is None else targets.row_total * lse) - weighted_z
        if reduction == "none":
            return losses.reshape(targets.lead_shape)
        total_loss = np.add.reduce(losses)
        if reduction == "sum":
            return np.asarray(total_loss)
        return np.asarray(total_loss / targets.denominator if targets.denominator else np.nan, dtype=x.dtype)

    def backward(self, g, out, x):  # d loss / dz_ij = p_ij sum_c(w_c q_ic) - w_j q_ij
        t = self.targets
        m = math.prod(t.lead_shape)
        if self.reduction == "none":
            scale = g.reshape(m, 1)
        elif self.reduction == "mean":  # a mean over zero weight: nan loss, zero gradient
            scale = g / t.denominator if t.denominator else g * 0
        else:
            scale = g
        row_total = None if t.row_total is None else t.row_total.reshape(m, 1)
        if isinstance(x, Tensor):  # recorded backward: p from the differentiable softmax
            from .functional import softmax

            rows = x.reshape(m, t.classes)
            p = softmax(rows if t.valid is None else _where(t.valid[:, None] > 0, rows, 0))
            p_scaled = p if row_total is None else p * row_total
            return (((p_scaled - t.dense()) * scale).reshape(x.shape),)
        grad = self.saved * (scale if row_total is None else row_total * scale)
        if t.soft is not None:
            grad -= t.soft * scale
            return (grad.reshape(x.shape),)
        picked = scale if t.target_coef is None else t.target_coef.reshape(m, 1) * scale
        grad[t.rows, t.index] -= picked.ravel() if picked.ndim else picked
        if t.uniform_coef is not None:
            grad -= (scale if t.valid is None else t.valid.reshape(m, 1) * scale) * t.uniform_coef
        return (grad.reshape(x.shape),)
