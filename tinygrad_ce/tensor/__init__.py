"""`Tensor`: an ndarray plus the op that made it.

Operators and methods call the primitives by name through `PRIMITIVES` (filled by
`tinygrad_ce.ops`, which builds on this module: the import arrow points one way);
composed methods (`mean`, `abs`, `softmax`, `T`, ...) use only public Tensor ops."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Union

import numpy as np

from ..autograd import PRIMITIVES, ShapeError, Variable, backward
from ..autograd import function as _function
from ..autograd.trace import assign_grad, check_read, derived
from .arrays import (  # noqa: F401  (get/set_default_dtype: re-exported, their old home)
    NUMERIC_KINDS,
    as_dtype,
    check_flag,
    get_default_dtype,
    set_default_dtype,
    to_array,
)
from .elementwise import ElementwiseMethods
from .reduce import ReduceMethods
from .shape import ShapeMethods
from .spellings import _NUMPY_SPELLINGS, _Size

Operand = Union["Tensor", np.ndarray, float, int, Sequence[Any]]


class Tensor(Variable, ShapeMethods, ElementwiseMethods, ReduceMethods):
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
        if _function.TRACER is not None:  # tinygrad_ce.jit: where the values come from
            _function.TRACER.on_tensor(self, data)

    @staticmethod
    def _blank() -> Tensor:
        """A constant leaf with no data yet (the engine makes op outputs with it)."""
        t = _new(Tensor)  # (the hot path: _fill's fields, set inline)
        t._grad = t.name = t.grad_fn = None
        t.requires_grad, t._seq = False, -1
        return t

    @property
    def grad(self) -> Tensor | None:
        """The accumulated gradient (a Tensor of this tensor's shape and dtype), or None."""
        return self._grad

    @grad.setter
    def grad(self, value: Any) -> None:
        if _function.TRACER is not None:  # tinygrad_ce.jit: each replay assigns it again
            assign_grad(self, value)
            return
        if value is not None:
            if isinstance(value, np.ndarray):
                value = Tensor(value) if value.dtype.kind in NUMERIC_KINDS else value
            if not isinstance(value, Tensor):
                raise TypeError(f"grad: must be a Tensor, an ndarray or None, got {type(value).__name__}")
            if value.shape != self.data.shape:
                raise ValueError(
                    f"grad: assigned gradient has shape {value.shape} but the tensor has shape "
                    f"{self.data.shape}"
                )
            if value.dtype != self.data.dtype:
                raise TypeError(
                    f"grad: assigned gradient has dtype {value.dtype} but the tensor has dtype "
                    f"{self.data.dtype}"
                )
        self._grad = value

    # ------------------------------------------------------------------ attributes
    @property
    def shape(self) -> tuple[int, ...]:
        """The shape, a tuple of ints (numpy's; PyTorch's `t.size(d)` is `t.shape[d]`)."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """The number of axes, `len(t.shape)` (0 for a scalar tensor)."""
        return self.data.ndim

    @property
    def size(self) -> int:
        """numpy's element count (PyTorch's `.size()` is `.shape` here; `numel()` too)."""
        return _Size(self.data.size)

    @property
    def dtype(self) -> np.dtype:
        """The numpy dtype of `.data`. Python floats become float32 (the default dtype,
        see `set_default_dtype`); results follow numpy's promotion rules, and a Python
        number operand never changes it (`float32 * 0.1` stays float32)."""
        return self.data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op (inputs, parameters, constants)."""
        return self.grad_fn is None

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        check_read(self, "np.asarray()")
        if dtype is not None and dtype != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def numpy(self) -> np.ndarray:
        """The underlying ndarray (shared, not copied)."""
        check_read(self, ".numpy()")
        return self.data

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item: only one-element tensors convert, this one has shape {self.shape}")
        check_read(self, ".item()")
        return self.data.item()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(
                f"bool() of a tensor of shape {self.shape} is ambiguous; use .any() or .all() "
                "on t.numpy(), or compare one element"
            )
        check_read(self, "bool()")
        return bool(self.data.item())

    def tolist(self) -> Any:
        """The data as (nested) Python lists of numbers."""
        check_read(self, ".tolist()")
        return self.data.tolist()

    def numel(self) -> int:
        """The number of elements (PyTorch's name; `.size` is numpy's, the same number)."""
        return int(self.data.size)

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
        """Drop the accumulated gradient: `.grad` becomes None."""
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
    def backward(self, gradient: Any = None, retain_graph: bool = False, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's `.grad`.

        `gradient` (Tensor or ndarray of self's shape) may be omitted only for a
        one-element tensor. Gradients accumulate (add up over calls, as in PyTorch);
        each leaf's `.grad` has the leaf's shape and dtype. The graph's saved buffers
        are freed afterwards unless `retain_graph` (a second backward through a freed
        graph is a `RuntimeError`); with `create_graph` the backward pass is itself
        recorded, so the gradients can be differentiated again.

        Example:
            ```python
            x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
            (x * x).sum().backward()
            x.grad  # Tensor([2., 4., 6.], dtype=float32)
            ```
        """
        backward(self, gradient, retain_graph, create_graph)

    # ------------------------------------------------------------------ operand handling
    def _operand(self, other: Any) -> Tensor:
        """`other` as a Tensor; a Python number takes this tensor's dtype (NEP 50)."""
        if (type(other) is float or type(other) is int) and self.data.dtype.kind == "f":
            t = _new(Tensor)  # (the hot path: a constant leaf around a 0-d array, inline)
            t.data, t._grad, t.name, t.grad_fn, t.requires_grad, t._seq = (
                np.asarray(other, self.data.dtype),
                None,
                None,
                None,
                False,
                -1,
            )
            return t
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
                raise ShapeError(
                    f"matmul: cannot apply to shapes {self.shape} and {y.shape}: inner "
                    f"dimensions differ: {self.shape[-1]} vs {inner}"
                )
        out = PRIMITIVES["MatMul"](
            self.reshape(1, -1) if self.ndim == 1 else self, y.reshape(-1, 1) if y.ndim == 1 else y
        )
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
        """Matrix product with numpy's rules (`a @ b`): `(n, k) @ (k, m) -> (n, m)`, batched
        N-D (the batch dims broadcast), a 1-D operand is a vector (its axis is dropped from
        the result). Differentiable in both operands: `g @ b.T` and `a.T @ g`."""
        return self @ other

    # ------------------------------------------------------------------ comparisons
    # Not differentiable: they return bool tensors (a jit replay recomputes them). `==`
    # compares values; hashing stays by identity (Tensors are dict keys in the engine).
    def __lt__(self, other: Operand) -> Tensor:
        return Tensor(derived(np.less, self.data, self._operand(other).data))

    def __le__(self, other: Operand) -> Tensor:
        return Tensor(derived(np.less_equal, self.data, self._operand(other).data))

    def __gt__(self, other: Operand) -> Tensor:
        return Tensor(derived(np.greater, self.data, self._operand(other).data))

    def __ge__(self, other: Operand) -> Tensor:
        return Tensor(derived(np.greater_equal, self.data, self._operand(other).data))

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor(derived(np.equal, self.data, self._operand(other).data))

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor(derived(np.not_equal, self.data, self._operand(other).data))

    __hash__ = Variable.__hash__  # by identity: a Tensor stays usable as a dict key

    # ------------------------------------------------------------------ numpy
    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        """numpy functions would drop the graph: a TypeError naming our spelling instead
        (`np.asarray(t)` still gives the data)."""
        name = getattr(func, "__name__", str(func))
        spelling = _NUMPY_SPELLINGS.get(name, f"t.{name}(...) if it exists, or np.{name}(t.numpy())")
        raise TypeError(f"np.{name} on a Tensor would drop the graph: use {spelling}")

    def astype(self, dtype: Any) -> Tensor:
        """A copy in another dtype; differentiable to float dtypes (the gradient is cast back)."""
        dtype = as_dtype(dtype, "astype")
        if dtype == self.data.dtype:
            return self
        if dtype.kind != "f":  # bool/integer results are not differentiable
            return Tensor(self.data.astype(dtype))
        return PRIMITIVES["Cast"](self, dtype=dtype)

    def to(self, dtype: Any) -> Tensor:
        """PyTorch's spelling of `astype` (dtypes only: there are no devices here)."""
        return self.astype(dtype)

    def float(self) -> Tensor:
        """`astype(float32)`."""
        return self.astype(np.float32)

    def double(self) -> Tensor:
        """`astype(float64)`."""
        return self.astype(np.float64)

    def clone(self) -> Tensor:
        """A copy of the data that stays in the graph (the gradient flows back)."""
        return PRIMITIVES["Cast"](self, dtype=self.data.dtype)

    def _wrap(self, data: Any) -> Tensor:
        """A constant (not differentiable) tensor around `data`."""
        t = self._blank()
        t.data = np.asarray(data)
        if _function.TRACER is not None:
            _function.TRACER.on_tensor(t, data, constant=True)
        return t


_new = object.__new__
Tensor._output_type = Tensor  # what `Function.apply` makes (Parameter's op outputs too)


def _fill(t: Tensor, data: Any, requires_grad: bool, name: str | None) -> None:
    """Every field of a Tensor, set in this one place."""
    t.data, t._grad, t.requires_grad, t.name, t.grad_fn, t._seq = data, None, requires_grad, name, None, -1


def _binary(op: str, reflected: bool) -> Callable[[Tensor, Operand], Tensor]:
    """The operator method for primitive `op`; `reflected` puts the other operand first."""

    def method(self: Tensor, other: Operand, primitives: dict[str, Any] = PRIMITIVES) -> Tensor:
        other = other if type(other) is Tensor else self._operand(other)
        return primitives[op](other, self) if reflected else primitives[op](self, other)

    return method


# method -> (primitive, reflected): `a + b` is Add(a, b), `2 - a` is Sub(2, a), ...
_OPERATORS = {
    "__add__": ("Add", False),
    "__radd__": ("Add", True),
    "__sub__": ("Sub", False),
    "__rsub__": ("Sub", True),
    "__mul__": ("Mul", False),
    "__rmul__": ("Mul", True),
    "__truediv__": ("Div", False),
    "__rtruediv__": ("Div", True),
}
for _method, (_op, _reflected) in _OPERATORS.items():
    _fn = _binary(_op, _reflected)
    _fn.__name__ = _fn.__qualname__ = _method
    _fn.__doc__ = f"The `{_op}` primitive{' with the operands swapped' if _reflected else ''}; broadcasts."
    setattr(Tensor, _method, _fn)
