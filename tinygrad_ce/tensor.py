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
    dtype = as_dtype(dtype, "set_default_dtype")
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: expected a float dtype, got {dtype}")
    _default_dtype = dtype


def get_default_dtype() -> np.dtype:
    """The float dtype of Tensors made from Python numbers and lists."""
    return _default_dtype


NUMERIC_KINDS = "biuf"  # bool, signed and unsigned integers, floats


def as_dtype(dtype: Any, owner: str, argument: str = "dtype") -> np.dtype:
    """`dtype` as a numeric numpy dtype, or a TypeError naming `owner` and `argument`."""
    try:
        result = np.dtype(dtype)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: {argument}={dtype!r} is not a numpy dtype") from None
    if result.kind not in NUMERIC_KINDS:
        raise TypeError(
            f"{owner}: {argument}={dtype!r} is not a numeric dtype "
            "(expected bool, an integer or a float dtype)"
        )
    return result


def _to_array(data: Any, dtype: Any) -> np.ndarray:
    if dtype is not None:
        dtype = as_dtype(dtype, "Tensor")
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (np.ndarray, np.generic)):  # numpy data keeps its dtype
        array = np.asarray(data)
        if array.dtype.kind not in NUMERIC_KINDS:
            raise TypeError(
                f"Tensor: data of dtype {array.dtype} is not numeric (expected bool, integer or float data)"
            )
        return array if dtype is None or array.dtype == dtype else array.astype(dtype)
    try:
        array = np.asarray(data, dtype=dtype)
    except (ValueError, TypeError, OverflowError) as err:
        kind = type(data).__name__
        raise ValueError(f"Tensor: cannot make a numeric array from this {kind}: {err}") from None
    if array.dtype.kind not in NUMERIC_KINDS:
        raise TypeError(
            f"Tensor: data must be numbers, nested lists of numbers or an ndarray, got "
            f"{type(data).__name__} (making dtype {array.dtype})"
        )
    if dtype is None and array.dtype.kind == "f":  # Python floats become the default dtype
        array = array.astype(_default_dtype, copy=False)
    return array


def normalize_axis(axis: Any, ndim: int, op: str) -> tuple[int, ...] | None:
    """`axis` (None, an int, or a tuple/list of ints) as a tuple of axes in [0, ndim).

    An axis outside [-ndim, ndim) is an `AxisError` naming it and ndim (never wrapped)."""
    if axis is None:
        return None
    items = axis if isinstance(axis, (tuple, list)) else (axis,)
    axes = []
    for a in items:
        if isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"{op}: axis must be an int, a tuple or list of ints, or None; got {axis!r}")
        if not -ndim <= a < ndim:
            raise engine.AxisError(
                f"{op}: axis {a} is out of range for a tensor with {ndim} dimension(s) "
                f"(expected {-ndim}..{ndim - 1})" if ndim else
                f"{op}: axis {a} is out of range for a 0-d tensor (it has no axes)"
            )
        axes.append(int(a) % ndim)
    if len(set(axes)) != len(axes):
        raise engine.ShapeError(f"{op}: axis {axis!r} names an axis twice")
    return tuple(axes)


def _check_flag(value: Any, op: str, argument: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{op}: {argument} must be True or False, got {value!r}")
    return bool(value)


def _check_shape(shape: tuple[Any, ...], op: str, allow_minus_one: bool = False) -> tuple[int, ...]:
    for n in shape:
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"{op}: shape must be ints, got {shape!r}")
        if n < (-1 if allow_minus_one else 0):
            raise ValueError(f"{op}: shape {shape!r} has a negative size {n}")
    if allow_minus_one and sum(n == -1 for n in shape) > 1:
        raise ValueError(f"{op}: shape {shape!r} may have at most one -1")
    return tuple(int(n) for n in shape)


class Tensor:
    """An n-dimensional array that records how it was computed, for autograd.

    `data` is a number, nested list, ndarray or Tensor. Python floats and lists of
    floats become float32 (see `set_default_dtype`); a float ndarray keeps its dtype
    and is not copied. Integer and bool data stay as they are and cannot require grad.
    """

    __slots__ = ("data", "_grad", "requires_grad", "name", "_ctx", "_seq", "__weakref__")
    __array_ufunc__ = None  # `ndarray op Tensor` defers to the Tensor's reflected operator

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        dtype: Any = None,
        name: str | None = None,
    ) -> None:
        array = _to_array(data, dtype)
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
        self.data: np.ndarray = array
        self._grad: Tensor | None = None
        self.requires_grad: bool = bool(requires_grad)
        self.name: str | None = name
        self._ctx: engine.Function | None = None
        self._seq = -1  # leaves come last in the backward order (see engine._toposort)

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
        _check_flag(requires_grad, "requires_grad_", "requires_grad")
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
        try:
            return Tensor(other)
        except (TypeError, ValueError) as err:
            shown = repr(other) if len(repr(other)) <= 60 else type(other).__name__
            raise type(err)(f"operand {shown} cannot be combined with a Tensor: {err}") from None

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
        """|x|, composed as x * sign(x) with the sign held constant: gradient sign(x), 0 at 0
        (as PyTorch). Integer tensors give numpy's abs (not differentiable)."""
        if self.data.dtype.kind != "f":
            return Tensor(np.abs(self.data))
        return self * Tensor(np.sign(self.data))

    def sqrt(self) -> Tensor:
        return self**0.5

    # ------------------------------------------------------------------ reductions
    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Sum over `axis` (None: all; an int, tuple or list); differentiable."""
        return ops.Sum.apply(self, axis=normalize_axis(axis, self.data.ndim, "sum"),
                             keepdims=_check_flag(keepdims, "sum", "keepdims"))

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Maximum; tied maxima share the gradient equally (like PyTorch's amax)."""
        if self.data.size == 0:
            raise ValueError(f"max: the tensor of shape {self.shape} is empty (a maximum needs elements)")
        return ops.Max.apply(self, axis=normalize_axis(axis, self.data.ndim, "max"),
                             keepdims=_check_flag(keepdims, "max", "keepdims"))

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
        return ops.Reshape.apply(self, shape=_check_shape(shape, "reshape", allow_minus_one=True))

    def transpose(self, *axes: Any) -> Tensor:
        """Permute axes (any permutation); no arguments reverses them."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        if not axes:
            return ops.Transpose.apply(self, axes=None)
        perm = normalize_axis(axes, self.data.ndim, "transpose")
        if perm is None or len(perm) != self.data.ndim:
            raise engine.ShapeError(
                f"transpose: axes {axes!r} are not a permutation of the {self.data.ndim} axes")
        return ops.Transpose.apply(self, axes=perm)

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
        return ops.Cast.apply(self, dtype=dtype)

    def broadcast_to(self, shape: tuple[int, ...]) -> Tensor:
        """A broadcast view of shape `shape` (numpy's rules); the gradient is summed back."""
        if isinstance(shape, (int, np.integer)):
            shape = (shape,)
        if not isinstance(shape, (tuple, list)):
            raise TypeError(f"broadcast_to: shape must be a tuple of ints, got {shape!r}")
        return ops.BroadcastTo.apply(self, shape=_check_shape(tuple(shape), "broadcast_to"))

    def __getitem__(self, index: Any) -> Tensor:
        return ops.GetItem.apply(self, index=index)


engine._Tensor = Tensor  # the engine makes op outputs of this class

from . import ops  # noqa: E402  (ops builds on Tensor and engine)

# The operators' ops, bound once (each Tensor method call would otherwise look them up).
_add, _sub, _mul, _div, _matmul = ops.Add.apply, ops.Sub.apply, ops.Mul.apply, ops.Div.apply, ops.MatMul.apply
_neg, _exp, _log, _relu, _sigmoid, _tanh = (
    ops.Neg.apply, ops.Exp.apply, ops.Log.apply, ops.ReLU.apply, ops.Sigmoid.apply, ops.Tanh.apply)
