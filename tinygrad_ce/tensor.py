"""`Tensor`: an ndarray plus the op that made it. Operators and methods call the
primitives in `ops.py`; composed methods (`mean`, `T`) use only public Tensor ops."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Union

import numpy as np

from . import engine

Operand = Union["Tensor", np.ndarray, float, int, Sequence[Any]]

_default_dtype: np.dtype = np.dtype(np.float32)


def set_default_dtype(dtype: Any) -> None:
    """Set the float dtype of Tensors made from Python numbers and lists (float32 or float64)."""
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: expected a float dtype, got {dtype}")
    _default_dtype = dtype


def get_default_dtype() -> np.dtype:
    """The float dtype of Tensors made from Python numbers and lists."""
    return _default_dtype


def _to_array(data: Any, dtype: Any) -> np.ndarray:
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (np.ndarray, np.generic)):  # numpy data keeps its dtype
        data = np.asarray(data)
        return data if dtype is None or data.dtype == dtype else data.astype(dtype)
    array = np.asarray(data, dtype=dtype)
    if dtype is None and array.dtype.kind == "f":  # Python floats become the default dtype
        array = array.astype(_default_dtype, copy=False)
    return array


class Tensor:
    """An n-dimensional array that records how it was computed, for autograd.

    `data` is a number, nested list, ndarray or Tensor. Python floats and lists of
    floats become float32 (see `set_default_dtype`); a float ndarray keeps its dtype
    and is not copied. Integer and bool data stay as they are and cannot require grad.
    """

    __slots__ = ("data", "grad", "requires_grad", "name", "_ctx", "_seq", "__weakref__")
    __array_ufunc__ = None  # `ndarray op Tensor` defers to the Tensor's reflected operator

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        dtype: Any = None,
        name: str | None = None,
    ) -> None:
        array = _to_array(data, dtype)
        if array.dtype == object:
            raise TypeError(f"Tensor: cannot make a numeric array from {type(data).__name__}")
        if requires_grad and array.dtype.kind not in "fc":
            raise TypeError(
                f"Tensor: only floating-point tensors can require grad, got dtype "
                f"{array.dtype}; convert first, e.g. Tensor(data, dtype=np.float32, "
                "requires_grad=True)"
            )
        self.data: np.ndarray = array
        self.grad: Tensor | None = None
        self.requires_grad: bool = bool(requires_grad)
        self.name: str | None = name
        self._ctx: engine.Function | None = None
        self._seq = -1  # leaves come last in the backward order (see engine._toposort)

    # ------------------------------------------------------------------ attributes
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op (inputs, parameters, constants)."""
        return self._ctx is None

    @property
    def grad_fn(self) -> engine.Function | None:
        """The recorded op that produced this tensor (None for leaves)."""
        return self._ctx

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is not None and dtype != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def numpy(self) -> np.ndarray:
        """The underlying ndarray (shared, not copied)."""
        return self.data

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item: only one-element tensors convert, this one has shape {self.shape}")
        return self.data.item()

    def __float__(self) -> float:
        return float(self.item())

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data, cut from the graph."""
        return Tensor(self.data)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set `requires_grad` in place on a leaf and return self."""
        if requires_grad and self.data.dtype.kind not in "fc":
            raise TypeError(f"requires_grad_: dtype {self.data.dtype} cannot require grad")
        if not self.is_leaf:
            raise RuntimeError("requires_grad_: only leaf tensors can change requires_grad")
        self.requires_grad = requires_grad
        return self

    def zero_grad(self) -> None:
        self.grad = None

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(", threshold=64)
        extras = [f"dtype={self.data.dtype}"]
        if self._ctx is not None:
            extras.append(f"grad_fn=<{self._ctx.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return f"Tensor({body}, {', '.join(extras)})"

    # ------------------------------------------------------------------ autograd
    def backward(
        self, gradient: Any = None, retain_graph: bool = False, create_graph: bool = False
    ) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's `.grad`.

        `gradient` (Tensor or ndarray of self's shape) may be omitted only for a
        one-element tensor. The graph's saved buffers are freed afterwards unless
        `retain_graph`; with `create_graph` the backward pass is itself recorded.
        """
        engine.run_backward([self], [gradient], retain_graph or create_graph, create_graph)

    # ------------------------------------------------------------------ operand handling
    def _operand(self, other: Any) -> Tensor:
        """`other` as a Tensor; a Python number takes this tensor's dtype (NEP 50)."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            # a Python number never changes the tensor's dtype (numpy's NEP 50 rule)
            kind = self.data.dtype.kind
            if kind == "f" or (kind in "iu" and isinstance(other, int)):
                return Tensor(np.asarray(other, dtype=self.data.dtype))
            return Tensor(np.asarray(other, dtype=np.result_type(self.data.dtype, other)))
        return Tensor(other)

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other: Operand) -> Tensor:
        return _add(self, (other if type(other) is Tensor else self._operand(other)))

    def __radd__(self, other: Operand) -> Tensor:
        return _add((other if type(other) is Tensor else self._operand(other)), self)

    def __sub__(self, other: Operand) -> Tensor:
        return _sub(self, (other if type(other) is Tensor else self._operand(other)))

    def __rsub__(self, other: Operand) -> Tensor:
        return _sub((other if type(other) is Tensor else self._operand(other)), self)

    def __mul__(self, other: Operand) -> Tensor:
        return _mul(self, (other if type(other) is Tensor else self._operand(other)))

    def __rmul__(self, other: Operand) -> Tensor:
        return _mul((other if type(other) is Tensor else self._operand(other)), self)

    def __truediv__(self, other: Operand) -> Tensor:
        return _div(self, (other if type(other) is Tensor else self._operand(other)))

    def __rtruediv__(self, other: Operand) -> Tensor:
        return _div((other if type(other) is Tensor else self._operand(other)), self)

    def __pow__(self, exponent: Operand) -> Tensor:
        if isinstance(exponent, (int, float)) and not isinstance(exponent, bool):
            return ops.Pow.apply(self, exponent=exponent)
        return ops.PowTensor.apply(self, (exponent if type(exponent) is Tensor else self._operand(exponent)))

    def __rpow__(self, base: Operand) -> Tensor:
        return ops.PowTensor.apply((base if type(base) is Tensor else self._operand(base)), self)

    def __matmul__(self, other: Operand) -> Tensor:
        return _matmul(self, (other if type(other) is Tensor else self._operand(other)))

    def __rmatmul__(self, other: Operand) -> Tensor:
        return _matmul((other if type(other) is Tensor else self._operand(other)), self)

    def __neg__(self) -> Tensor:
        return _neg(self)

    def __pos__(self) -> Tensor:
        return self

    def matmul(self, other: Operand) -> Tensor:
        """Matrix product with numpy's rules: 2-D, batched N-D (batch dims broadcast), 1-D vectors."""
        return self @ other

    # ------------------------------------------------------------------ comparisons
    # Not differentiable: they return bool tensors. `==` keeps Python's identity meaning
    # (Tensors are dict keys in the engine); compare values with `np.asarray(a) == b`.
    def __lt__(self, other: Operand) -> Tensor:
        return Tensor(self.data < np.asarray(other))

    def __le__(self, other: Operand) -> Tensor:
        return Tensor(self.data <= np.asarray(other))

    def __gt__(self, other: Operand) -> Tensor:
        return Tensor(self.data > np.asarray(other))

    def __ge__(self, other: Operand) -> Tensor:
        return Tensor(self.data >= np.asarray(other))

    def argmax(self, axis: int | None = None) -> Tensor:
        """Index of the maximum (an integer tensor; not differentiable)."""
        return Tensor(np.asarray(self.data.argmax(axis=axis)))

    # ------------------------------------------------------------------ elementwise
    def exp(self) -> Tensor:
        return _exp(self)

    def log(self) -> Tensor:
        return _log(self)

    def relu(self) -> Tensor:
        return _relu(self)

    def sigmoid(self) -> Tensor:
        return _sigmoid(self)

    def tanh(self) -> Tensor:
        return _tanh(self)

    def abs(self) -> Tensor:
        """|x|, composed as relu(x) + relu(-x) (gradient 0 at 0)."""
        return self.relu() + (-self).relu()

    def sqrt(self) -> Tensor:
        return self**0.5

    # ------------------------------------------------------------------ reductions
    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return ops.Sum.apply(self, axis=axis, keepdims=keepdims)

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Maximum; tied maxima share the gradient equally (like PyTorch's amax)."""
        return ops.Max.apply(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Composed: sum / count."""
        with engine.named_scope("mean"):
            return self._mean(axis, keepdims)

    def _mean(self, axis: int | tuple[int, ...] | None, keepdims: bool) -> Tensor:
        total = self.sum(axis=axis, keepdims=keepdims)
        return total / (self.data.size // max(total.data.size, 1))

    # ------------------------------------------------------------------ shape
    def reshape(self, *shape: Any) -> Tensor:
        """Reshape; takes `reshape(2, 3)` or `reshape((2, 3))`, one dim may be -1."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return ops.Reshape.apply(self, shape=shape)

    def transpose(self, *axes: Any) -> Tensor:
        """Permute axes (any permutation); no arguments reverses them."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return ops.Transpose.apply(self, axes=axes or None)

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        perm = list(range(self.ndim))
        perm[axis1], perm[axis2] = perm[axis2], perm[axis1]
        return self.transpose(perm)

    @property
    def T(self) -> Tensor:
        """Composed: all axes reversed."""
        return self.transpose()

    def astype(self, dtype: Any) -> Tensor:
        """A copy in another dtype; differentiable (the gradient is cast back)."""
        if np.dtype(dtype) == self.data.dtype:
            return self
        return ops.Cast.apply(self, dtype=np.dtype(dtype))

    def broadcast_to(self, shape: tuple[int, ...]) -> Tensor:
        return ops.BroadcastTo.apply(self, shape=tuple(shape))

    def __getitem__(self, index: Any) -> Tensor:
        return ops.GetItem.apply(self, index=index)


engine._Tensor = Tensor  # the engine makes op outputs of this class

from . import ops  # noqa: E402  (ops builds on Tensor and engine)

# The operators' ops, bound once (each Tensor method call would otherwise look them up).
_add, _sub, _mul, _div, _matmul = ops.Add.apply, ops.Sub.apply, ops.Mul.apply, ops.Div.apply, ops.MatMul.apply
_neg, _exp, _log, _relu, _sigmoid, _tanh = (
    ops.Neg.apply, ops.Exp.apply, ops.Log.apply, ops.ReLU.apply, ops.Sigmoid.apply, ops.Tanh.apply)
