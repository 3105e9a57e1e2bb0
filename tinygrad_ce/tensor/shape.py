"""Tensor methods that move elements: reshapes, axis orders, broadcasting, indexing,
joining pieces of one tensor. Primitives are called by name through PRIMITIVES; the rest
(`flatten`, `tile`, `flip`, `roll`, `gather`, ...) are composed from them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from ..autograd import PRIMITIVES, ShapeError
from ._methods import TensorMethods
from .arrays import check_shape, normalize_axis


def _one_axis(axis: Any, ndim: int, op: str) -> int:
    if axis is None or isinstance(axis, (tuple, list)):
        raise TypeError(f"{op}: axis (dim) must be one int, got {axis!r}")
    (a,) = normalize_axis(axis, ndim, op) or (None,)
    return cast(int, a)  # (an int axis normalizes to one int)


def _sizes(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """`f(2, 3)` or `f((2, 3))` -> (2, 3)."""
    return tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else tuple(args)


class ShapeMethods(TensorMethods):
    """Mixed into Tensor."""

    __slots__ = ()

    def reshape(self, *shape: Any) -> Any:
        """The same elements in a new shape (C order); takes `reshape(2, 3)` or
        `reshape((2, 3))`, one dim may be -1. Differentiable (the gradient is reshaped back)."""
        return PRIMITIVES["Reshape"](self, shape=check_shape(_sizes(shape), "reshape", allow_minus_one=True))

    def view(self, *shape: Any) -> Any:
        """PyTorch's spelling of `reshape` (here always a reshape; the gradient flows back)."""
        return self.reshape(*shape)

    def transpose(self, *axes: Any) -> Any:
        """No argument: reverse the axes. Exactly two ints: swap those two axes (PyTorch's
        `transpose(d0, d1)`). One tuple/list, or any other number of ints: numpy's
        permutation of all axes."""
        if not axes:
            return PRIMITIVES["Transpose"](self, axes=None)
        if len(axes) == 2 and not isinstance(axes[0], (tuple, list)):
            return self.swapaxes(*axes)
        return self._permuted(_sizes(axes), "transpose")

    def permute(self, *dims: Any) -> Any:
        """The axes in the order `dims` (a permutation of all of them); differentiable."""
        return self._permuted(_sizes(dims), "permute")

    def _permuted(self, dims: tuple[Any, ...], op: str) -> Any:
        perm = normalize_axis(dims, self.ndim, op)
        if perm is None or len(perm) != self.ndim:
            raise ShapeError(f"{op}: {dims!r} is not a permutation of the {self.ndim} axes")
        return PRIMITIVES["Transpose"](self, axes=perm)

    def swapaxes(self, axis1: int, axis2: int) -> Any:
        """Exchange two axes (numpy's swapaxes; PyTorch's transpose(d0, d1))."""
        a, b = _one_axis(axis1, self.ndim, "swapaxes"), _one_axis(axis2, self.ndim, "swapaxes")
        perm = list(range(self.ndim))
        perm[a], perm[b] = perm[b], perm[a]
        return PRIMITIVES["Transpose"](self, axes=tuple(perm))

    @property
    def T(self) -> Any:
        """All axes reversed (numpy's `.T`)."""
        return PRIMITIVES["Transpose"](self, axes=None)

    @property
    def mT(self) -> Any:
        """The last two axes swapped (a batch of matrices transposed)."""
        if self.ndim < 2:
            raise ShapeError(f"mT: needs at least 2 dimensions, got shape {self.shape}")
        return self.swapaxes(-2, -1)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Any:
        """Merge the axes start_dim..end_dim (inclusive) into one (PyTorch's flatten)."""
        if self.ndim == 0:
            return self.reshape(1)
        lo, hi = _one_axis(start_dim, self.ndim, "flatten"), _one_axis(end_dim, self.ndim, "flatten")
        if lo > hi:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        return self.reshape(self.shape[:lo] + (-1,) + self.shape[hi + 1 :])

    def unflatten(self, dim: int, sizes: Sequence[int]) -> Any:
        """Split axis `dim` into `sizes` (one may be -1)."""
        d = _one_axis(dim, self.ndim, "unflatten")
        return self.reshape(self.shape[:d] + tuple(sizes) + self.shape[d + 1 :])

    def unsqueeze(self, dim: int) -> Any:
        """A new axis of length 1 at `dim` (in [-ndim-1, ndim])."""
        d = _one_axis(dim, self.ndim + 1, "unsqueeze")
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def squeeze(self, dim: int | tuple[int, ...] | None = None) -> Any:
        """Drop axes of length 1: all of them, or those in `dim`; a named axis whose length
        is not 1 stays (PyTorch's rule)."""
        axes = normalize_axis(dim, self.ndim, "squeeze")
        drop = {i for i, n in enumerate(self.shape) if n == 1 and (axes is None or i in axes)}
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if i not in drop))

    def expand(self, *sizes: Any) -> Any:
        """Broadcast to `sizes` (PyTorch's expand; -1 keeps an axis's length)."""
        sizes = _sizes(sizes)
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise ShapeError(f"expand: {sizes} has fewer dimensions than the tensor's shape {self.shape}")
        shape = tuple(self.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes))
        return self.broadcast_to(shape)

    def broadcast_to(self, shape: Any) -> Any:
        """A broadcast view of shape `shape` (numpy's rules); the gradient is summed back."""
        if isinstance(shape, (int, np.integer)):
            shape = (shape,)
        if not isinstance(shape, (tuple, list)):
            raise TypeError(f"broadcast_to: shape must be a tuple of ints, got {shape!r}")
        return PRIMITIVES["BroadcastTo"](self, shape=check_shape(tuple(shape), "broadcast_to"))

    def repeat(self, repeats: Any, *sizes: Any, axis: int | None = None) -> Any:
        """numpy's repeat: each element `repeats` times along `axis` (None: of the flattened
        tensor). PyTorch's `repeat(*sizes)` tiles instead, which is `tile` here; a call that
        PyTorch would read as tiling (several sizes, or one count on a 1-D tensor without
        `axis=`) is refused rather than answered differently."""
        if sizes:
            shown = (repeats, *sizes)
            raise TypeError(
                f"repeat{shown}: PyTorch's repeat tiles: use tile{shown}; numpy's repeat is "
                "repeat(repeats, axis=...)"
            )
        if axis is None and self.ndim == 1 and isinstance(repeats, (int, np.integer)):
            raise TypeError(
                f"repeat({repeats}) on a 1-D tensor is [a, a, b, b] in numpy but [a, b, a, b] "
                f"in PyTorch: write repeat({repeats}, axis=0) for numpy's, tile({repeats}) for "
                "PyTorch's"
            )
        x = self.reshape(-1) if axis is None else self
        a = 0 if axis is None else _one_axis(axis, self.ndim, "repeat")
        try:
            index = np.repeat(np.arange(x.shape[a]), repeats)
        except (ValueError, TypeError) as err:
            raise ValueError(
                f"repeat: repeats={repeats!r} does not fit axis {a} of shape {self.shape}: {err}"
            ) from None
        return x[(slice(None),) * a + (index,)]

    def tile(self, *reps: Any) -> Any:
        """The tensor repeated `reps` times along each axis (numpy's tile, PyTorch's repeat)."""
        reps = check_shape(_sizes(reps), "tile")
        x = self.reshape((1,) * (len(reps) - self.ndim) + self.shape) if len(reps) > self.ndim else self
        reps = (1,) * (x.ndim - len(reps)) + reps
        spread = tuple(n for r, s in zip(reps, x.shape) for n in (1, s))
        full = tuple(n for r, s in zip(reps, x.shape) for n in (r, s))
        return x.reshape(spread).broadcast_to(full).reshape(tuple(r * s for r, s in zip(reps, x.shape)))

    def flip(self, dims: Any = None) -> Any:
        """Reverse the order along `dims` (None: every axis)."""
        axes: Sequence[int] | None = normalize_axis(dims, self.ndim, "flip")
        axes = range(self.ndim) if axes is None else axes
        return self[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(self.ndim))]

    def roll(self, shifts: Any, dims: Any = None) -> Any:
        """Shift elements cyclically by `shifts` along `dims` (None: the flattened tensor)."""
        if dims is None:
            return self.reshape(-1).roll(shifts, 0).reshape(self.shape)
        shifts = shifts if isinstance(shifts, (tuple, list)) else (shifts,)
        axes = normalize_axis(dims, self.ndim, "roll") or ()
        if len(shifts) != len(axes):
            raise ValueError(f"roll: {len(shifts)} shifts for {len(axes)} dims")
        out = self
        for shift, a in zip(shifts, axes):
            index = (np.arange(self.shape[a]) - int(shift)) % max(self.shape[a], 1)
            out = out[(slice(None),) * a + (index,)]
        return out

    def tril(self, diagonal: int = 0) -> Any:
        """Zero above the `diagonal`-th diagonal of the last two axes (numpy's tril(k))."""
        return self * self._wrap(np.tril(np.ones(self.shape[-2:], dtype=bool), diagonal).astype(self.dtype))

    def triu(self, diagonal: int = 0) -> Any:
        """Zero below the `diagonal`-th diagonal of the last two axes (numpy's triu(k))."""
        return self * self._wrap(np.triu(np.ones(self.shape[-2:], dtype=bool), diagonal).astype(self.dtype))

    def __getitem__(self, index: Any) -> Any:
        """numpy indexing: basic slicing, integer and bool arrays; differentiable
        (repeated indices accumulate their gradients)."""
        return PRIMITIVES["GetItem"](self, index=index)

    def _along(self, dim: int, index: Any, op: str) -> tuple[np.ndarray, ...]:
        """The full advanced index that picks `index` along `dim` (take_along_axis's)."""
        index = np.asarray(index.data if hasattr(index, "grad_fn") else index)
        if index.dtype.kind not in "iu" or index.ndim != self.ndim:
            raise IndexError(
                f"{op}: index must be an integer array with {self.ndim} dimensions, "
                f"got dtype {index.dtype} and shape {index.shape}"
            )
        d = _one_axis(dim, self.ndim, op)
        grid = list(np.indices(index.shape, sparse=True))
        grid[d] = index
        return tuple(grid)

    def gather(self, dim: int, index: Any) -> Any:
        """`out[i][j] = self[index[i][j]][j]` for dim=0 (PyTorch's gather, numpy's
        take_along_axis); differentiable in self."""
        return self[self._along(dim, index, "gather")]

    def scatter_add(self, dim: int, index: Any, src: Any) -> Any:
        """self with src added at `index` along `dim` (PyTorch's scatter_add; repeated
        indices accumulate); differentiable in self and src."""
        src = self._operand(src)
        where = self._along(dim, index, "scatter_add")
        if src.shape != np.broadcast_shapes(*(np.shape(w) for w in where)):
            raise ShapeError(f"scatter_add: src has shape {src.shape}, index has shape {np.shape(index)}")
        return self + PRIMITIVES["ScatterAdd"](src, shape=self.shape, index=where)

    def masked_fill(self, mask: Any, value: Any) -> Any:
        """`value` where `mask` is True, else self; differentiable in self (and a Tensor value)."""
        mask = np.asarray(mask.data if hasattr(mask, "grad_fn") else mask)
        if mask.dtype != bool:
            raise TypeError(f"masked_fill: mask must be a bool array, got dtype {mask.dtype}")
        return PRIMITIVES["Where"](self._operand(value), self, cond=mask)

    def pad(self, pad: Any, mode: str = "constant", value: float = 0.0) -> Any:
        """Constant padding. `pad` is PyTorch's flat tuple, last axis first: `(left, right)`
        pads the last axis, `(left, right, top, bottom)` the last two; numpy's pairs
        `((before, after), ...)` per axis, first axis first, are accepted too."""
        if mode != "constant":
            raise ValueError(f"pad: only mode='constant' is supported, got mode={mode!r}")
        if pad and all(isinstance(p, (tuple, list)) for p in pad):  # numpy's pad_width
            widths = [tuple(p) for p in pad] + [(0, 0)] * (self.ndim - len(pad))
        else:
            flat = check_shape(tuple(pad), "pad")
            if len(flat) % 2 or len(flat) // 2 > self.ndim:
                raise ValueError(f"pad: {pad!r} must hold (left, right) pairs for at most {self.ndim} axes")
            pairs = [flat[i : i + 2] for i in range(0, len(flat), 2)][::-1]
            widths = [(0, 0)] * (self.ndim - len(pairs)) + pairs
        if len(widths) != self.ndim or any(len(w) != 2 or min(w) < 0 for w in widths):
            raise ValueError(f"pad: {pad!r} does not fit a tensor of shape {self.shape}")
        return PRIMITIVES["Pad"](self, widths=tuple(widths), value=value)
