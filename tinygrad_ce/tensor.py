"""`Tensor`: an ndarray plus the op that made it.

Operators and methods call the primitives by name through `PRIMITIVES` (filled by
`tinygrad_ce.ops`, which builds on this module: the import arrow points one way);
composed methods (`mean`, `abs`, `softmax`, `T`, ...) use only public Tensor ops."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Union

import numpy as np

from .arrays import (  # noqa: F401  (get/set_default_dtype: re-exported, their old home)
    NUMERIC_KINDS,
    as_dtype,
    check_flag,
    check_shape,
    get_default_dtype,
    normalize_axis,
    set_default_dtype,
    to_array,
)
from .autograd import ShapeError, Variable, backward

Operand = Union["Tensor", np.ndarray, float, int, Sequence[Any]]

PRIMITIVES: dict[str, Callable[..., Tensor]] = {}
"""Op class name -> its `apply`, registered by `tinygrad_ce.ops` (e.g. "Add", "Exp")."""

class Tensor(Variable):
    """An n-dimensional array that records how it was computed, for autograd.

    `data` is a number, nested list, ndarray or Tensor. Python floats and lists of
    floats become float32 (see `set_default_dtype`); a float ndarray keeps its dtype
    and is not copied. Integer and bool data stay as they are and cannot require grad.
    """

    __slots__ = ("data", "_grad", "requires_grad", "name", "grad_fn", "_seq", "__weakref__")
    __array_ufunc__ = None  # `ndarray op Tensor` defers to the Tensor's reflected operator

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        dtype: Any = None,
        name: str | None = None,
    ) -> None:
        array = to_array(data, dtype)
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(f"Tensor: requires_grad must be True or False, got {requires_grad!r}")
        if requires_grad and array.dtype.kind != "f":
            raise TypeError(
                f"Tensor: only floating-point tensors can require grad, got dtype "
                f"{array.dtype}; convert first, e.g. Tensor(data, dtype=np.float32, "
                "requires_grad=True)"
            )
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Tensor: name must be a str or None, got {type(name).__name__}")
        _fill(self, array, bool(requires_grad), name)

    @staticmethod
    def _blank() -> Tensor:
        """A constant leaf with no data yet (the engine makes op outputs with it)."""
        t = _new(Tensor)
        _fill(t, None, False, None)
        return t

    @property
    def grad(self) -> Tensor | None:
        """The accumulated gradient (a Tensor of this tensor's shape and dtype), or None."""
        return self._grad

    @grad.setter
    def grad(self, value: Any) -> None:
        if value is not None:
            if isinstance(value, np.ndarray):
                value = Tensor(value) if value.dtype.kind in NUMERIC_KINDS else value
            if not isinstance(value, Tensor):
                raise TypeError(f"grad: must be a Tensor, an ndarray or None, got {type(value).__name__}")
            if value.shape != self.data.shape:
                raise ValueError(f"grad: assigned gradient has shape {value.shape} but the tensor has shape "
                                 f"{self.data.shape}")
            if value.dtype != self.data.dtype:
                raise TypeError(f"grad: assigned gradient has dtype {value.dtype} but the tensor has dtype "
                                f"{self.data.dtype}")
        self._grad = value

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
        return self.grad_fn is None

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
        check_flag(requires_grad, "requires_grad_", "requires_grad")
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"requires_grad_: dtype {self.data.dtype} cannot require grad")
        if not self.is_leaf:
            raise RuntimeError("requires_grad_: only leaf tensors can change requires_grad")
        self.requires_grad = bool(requires_grad)
        return self

    def zero_grad(self) -> None:
        self.grad = None

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(", threshold=64)
        extras = [f"dtype={self.data.dtype}"]
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name}>")
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
        backward(self, gradient, retain_graph, create_graph)

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
        try:
            return Tensor(other)
        except (TypeError, ValueError) as err:
            shown = repr(other) if len(repr(other)) <= 60 else type(other).__name__
            raise type(err)(f"operand {shown} cannot be combined with a Tensor: {err}") from None

    # ------------------------------------------------------------------ arithmetic
    # `__add__`, `__radd__`, `__sub__`, ... are generated from `_OPERATORS` below.
    def __pow__(self, exponent: Operand) -> Tensor:
        if isinstance(exponent, (int, float)) and not isinstance(exponent, bool):
            return PRIMITIVES["Pow"](self, exponent=exponent)
        return PRIMITIVES["PowTensor"](self, self._operand(exponent))

    def __rpow__(self, base: Operand) -> Tensor:
        return PRIMITIVES["PowTensor"](self._operand(base), self)

    def __matmul__(self, other: Operand) -> Tensor:
        """numpy's matmul; a 1-D operand is a row (left) or column (right), dropped after."""
        y = self._operand(other)
        if self.ndim == 1 or y.ndim == 1:  # name the shapes the user gave, not the reshaped ones
            inner = y.shape[0] if y.ndim == 1 else y.shape[-2] if y.ndim >= 2 else None
            if self.ndim >= 1 and inner is not None and self.shape[-1] != inner:
                raise ShapeError(f"matmul: cannot apply to shapes {self.shape} and {y.shape}: inner "
                                 f"dimensions differ: {self.shape[-1]} vs {inner}")
        out = PRIMITIVES["MatMul"](self.reshape(1, -1) if self.ndim == 1 else self,
                                   y.reshape(-1, 1) if y.ndim == 1 else y)
        if self.ndim != 1 and y.ndim != 1:
            return out
        shape = list(out.shape)
        if y.ndim == 1:
            shape.pop(-1)
        if self.ndim == 1:
            shape.pop(-1 if y.ndim == 1 else -2)
        return out.reshape(shape)

    def __rmatmul__(self, other: Operand) -> Tensor:
        return self._operand(other) @ self

    def __neg__(self) -> Tensor:
        return PRIMITIVES["Neg"](self)

    def __pos__(self) -> Tensor:
        return self

    def matmul(self, other: Operand) -> Tensor:
        """Matrix product with numpy's rules: 2-D, batched N-D (batch dims broadcast), 1-D vectors."""
        return self @ other

    # ------------------------------------------------------------------ comparisons
    # Not differentiable: they return bool tensors. `==` keeps Python's identity meaning
    # (Tensors are dict keys in the engine); compare values with `np.asarray(a) == b`.
    def __lt__(self, other: Operand) -> Tensor:
        return Tensor(self.data < self._operand(other).data)

    def __le__(self, other: Operand) -> Tensor:
        return Tensor(self.data <= self._operand(other).data)

    def __gt__(self, other: Operand) -> Tensor:
        return Tensor(self.data > self._operand(other).data)

    def __ge__(self, other: Operand) -> Tensor:
        return Tensor(self.data >= self._operand(other).data)

    def argmax(self, axis: int | None = None) -> Tensor:
        """Index of the maximum (an integer tensor; not differentiable)."""
        if isinstance(axis, (tuple, list)):
            raise TypeError(f"argmax: axis must be an int or None, got {axis!r}")
        normalize_axis(axis, self.data.ndim, "argmax")
        if self.data.size == 0:
            raise ValueError(f"argmax: the tensor of shape {self.shape} is empty")
        return Tensor(np.asarray(self.data.argmax(axis=axis)))

    # ------------------------------------------------------------------ elementwise
    def exp(self) -> Tensor:
        """e ** x, elementwise; differentiable. Integers compute in the default float dtype."""
        return PRIMITIVES["Exp"](self)

    def log(self) -> Tensor:
        """Natural logarithm, elementwise; differentiable (-inf at 0, nan below)."""
        return PRIMITIVES["Log"](self)

    def relu(self) -> Tensor:
        """max(x, 0), elementwise; differentiable (gradient 0 at 0, as PyTorch)."""
        return PRIMITIVES["ReLU"](self)

    def sigmoid(self) -> Tensor:
        """1 / (1 + exp(-x)), elementwise, without overflow; differentiable."""
        return PRIMITIVES["Sigmoid"](self)

    def tanh(self) -> Tensor:
        """tanh(x), elementwise; differentiable."""
        return PRIMITIVES["Tanh"](self)

    def abs(self) -> Tensor:
        """|x|, composed as x * sign(x) with the sign held constant: gradient sign(x), 0 at 0
        (as PyTorch). Integer tensors give numpy's abs (not differentiable)."""
        if self.data.dtype.kind != "f":
            return Tensor(np.abs(self.data))
        return self * Tensor(np.sign(self.data))

    def sqrt(self) -> Tensor:
        """Composed: x ** 0.5."""
        return self**0.5

    def softmax(self, axis: int = -1) -> Tensor:
        """Composed: exp(x - max) / sum(exp(x - max)) along `axis` (the max held constant:
        softmax does not change when a constant is subtracted, so the gradient is exact)."""
        z = self - self.max(axis=axis, keepdims=True).detach()
        e = z.exp()
        return e / e.sum(axis=axis, keepdims=True)

    # ------------------------------------------------------------------ reductions
    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Sum over `axis` (None: all; an int, tuple or list); differentiable."""
        return PRIMITIVES["Sum"](self, axis=normalize_axis(axis, self.data.ndim, "sum"),
                             keepdims=check_flag(keepdims, "sum", "keepdims"))

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Maximum; tied maxima share the gradient equally (like PyTorch's amax)."""
        if self.data.size == 0:
            raise ValueError(f"max: the tensor of shape {self.shape} is empty (a maximum needs elements)")
        return PRIMITIVES["Max"](self, axis=normalize_axis(axis, self.data.ndim, "max"),
                             keepdims=check_flag(keepdims, "max", "keepdims"))

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Composed: sum / count."""
        total = self.sum(axis=axis, keepdims=keepdims)
        return total / (self.data.size // max(total.data.size, 1))

    # ------------------------------------------------------------------ shape
    def reshape(self, *shape: Any) -> Tensor:
        """Reshape; takes `reshape(2, 3)` or `reshape((2, 3))`, one dim may be -1."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return PRIMITIVES["Reshape"](self, shape=check_shape(shape, "reshape", allow_minus_one=True))

    def transpose(self, *axes: Any) -> Tensor:
        """Permute axes (any permutation); no arguments reverses them."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        if not axes:
            return PRIMITIVES["Transpose"](self, axes=None)
        perm = normalize_axis(axes, self.data.ndim, "transpose")
        if perm is None or len(perm) != self.data.ndim:
            raise ShapeError(
                f"transpose: axes {axes!r} are not a permutation of the {self.data.ndim} axes")
        return PRIMITIVES["Transpose"](self, axes=perm)

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        """Exchange two axes (numpy's swapaxes); differentiable."""
        (a,) = normalize_axis(axis1, self.data.ndim, "swapaxes") or (None,)
        (b,) = normalize_axis(axis2, self.data.ndim, "swapaxes") or (None,)
        if a is None or b is None:
            raise TypeError(f"swapaxes: axis1 and axis2 must be ints, got {axis1!r} and {axis2!r}")
        perm = list(range(self.ndim))
        perm[a], perm[b] = perm[b], perm[a]
        return self.transpose(perm)

    @property
    def T(self) -> Tensor:
        """Composed: all axes reversed."""
        return self.transpose()

    def astype(self, dtype: Any) -> Tensor:
        """A copy in another dtype; differentiable (the gradient is cast back)."""
        dtype = as_dtype(dtype, "astype")
        if dtype == self.data.dtype:
            return self
        if dtype.kind != "f":  # bool/integer results are not differentiable
            return Tensor(self.data.astype(dtype))
        return PRIMITIVES["Cast"](self, dtype=dtype)

    def broadcast_to(self, shape: tuple[int, ...]) -> Tensor:
        """A broadcast view of shape `shape` (numpy's rules); the gradient is summed back."""
        if isinstance(shape, (int, np.integer)):
            shape = (shape,)
        if not isinstance(shape, (tuple, list)):
            raise TypeError(f"broadcast_to: shape must be a tuple of ints, got {shape!r}")
        return PRIMITIVES["BroadcastTo"](self, shape=check_shape(tuple(shape), "broadcast_to"))

    def __getitem__(self, index: Any) -> Tensor:
        return PRIMITIVES["GetItem"](self, index=index)


_new = object.__new__


def _fill(t: Tensor, data: Any, requires_grad: bool, name: str | None) -> None:
    """Every field of a Tensor, set in this one place."""
    t.data, t._grad, t.requires_grad, t.name, t.grad_fn, t._seq = data, None, requires_grad, name, None, -1


def _binary(op: str, reflected: bool) -> Callable[[Tensor, Operand], Tensor]:
    """The operator method for primitive `op`; `reflected` puts the other operand first."""
    def method(self: Tensor, other: Operand) -> Tensor:
        other = other if type(other) is Tensor else self._operand(other)
        return PRIMITIVES[op](other, self) if reflected else PRIMITIVES[op](self, other)

    return method


# method -> (primitive, reflected): `a + b` is Add(a, b), `2 - a` is Sub(2, a), ...
_OPERATORS = {
    "__add__": ("Add", False), "__radd__": ("Add", True), "__sub__": ("Sub", False),
    "__rsub__": ("Sub", True), "__mul__": ("Mul", False), "__rmul__": ("Mul", True),
    "__truediv__": ("Div", False), "__rtruediv__": ("Div", True),
}
for _method, (_op, _reflected) in _OPERATORS.items():
    _fn = _binary(_op, _reflected)
    _fn.__name__ = _fn.__qualname__ = _method
    _fn.__doc__ = f"The `{_op}` primitive{' with the operands swapped' if _reflected else ''}; broadcasts."
    setattr(Tensor, _method, _fn)
