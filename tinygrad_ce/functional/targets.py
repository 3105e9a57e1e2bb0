"""Validate cross-entropy targets once, for the fused op and the composed path alike.

`prepare_targets` turns (target, weight, ignore_index, label_smoothing) into the
per-row and per-class coefficients of the loss

    loss_i = sum_c w_c q_ic (-log p_ic),   q = (1 - e) * y + e / C

in a sparse form for class indices (no one-hot is built) and a dense one for
probability targets. PyTorch's `cross_entropy` semantics: with class indices the mean
divides by the summed weights `sum_i w[t_i]` of the rows not ignored; with
probabilities it divides by the number of rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..autograd.trace import replayed
from ..tensor import Tensor

REDUCTIONS = ("mean", "sum", "none")


@dataclass(slots=True)
class Targets:
    """Coefficients of the loss for `M` rows of `C` classes (see the module docstring)."""

    lead_shape: tuple[int, ...]  # the (*) shape of the rows
    classes: int
    index: np.ndarray | None  # (M,) class per row (ignored rows point at 0); None for probs
    target_coef: np.ndarray | None  # (M,) (1-e) w[t_i] valid_i; None means all ones
    valid: np.ndarray | None  # (M,) 1.0 where the row counts; None means every row counts
    uniform_coef: np.ndarray | None  # (C,) (e/C) w_c, the smoothing part; None when e == 0
    soft: np.ndarray | None  # (M, C) w_c q_ic for probability targets
    row_total: np.ndarray | None  # (M,) sum_c w_c q_ic; None means all ones
    denominator: float  # what "mean" divides the summed loss by
    dtype: np.dtype  # the logits' dtype; every coefficient array has it
    rows: np.ndarray | None = None  # arange(M), with `index` picks each row's target class
    flat: np.ndarray | None = None  # (M,) C * row + index: the targets in a C-contiguous (M, C) array

    def weighted_sum(self, z: np.ndarray) -> np.ndarray:
        """sum_c w_c q_ic z_ic for each row of the C-contiguous (M, C) array `z` (sparse
        for indices)."""
        if self.soft is not None:
            return np.einsum("ij,ij->i", z, self.soft)
        picked = z.reshape(-1)[self.flat]  # (a 1-d gather costs half of z[rows, index])
        if self.target_coef is not None:
            picked = picked * self.target_coef
        if self.uniform_coef is not None:
            smooth = z @ self.uniform_coef
            picked = picked + (smooth if self.valid is None else smooth * self.valid)
        return picked

    def subtract_coefficients(self, grad: np.ndarray, scale: Any) -> None:
        """grad -= w_c q_ic * scale, in place, for the C-contiguous (M, C) array `grad`
        (`scale`: a number or an (M, 1) array)."""
        if self.soft is not None:
            grad -= self.soft * scale
            return
        m = len(grad)
        picked = scale if self.target_coef is None else self.target_coef.reshape(m, 1) * scale
        grad.reshape(-1)[self.flat] -= picked.ravel() if isinstance(picked, np.ndarray) else picked
        if self.uniform_coef is not None:
            grad -= (scale if self.valid is None else self.valid.reshape(m, 1) * scale) * self.uniform_coef

    def dense(self) -> np.ndarray:
        """The full (M, C) matrix w_c q_ic (for the recorded, slow path only)."""
        if self.soft is not None:
            return self.soft
        m = len(self.index)  # type: ignore[arg-type]
        full = np.zeros((m, self.classes), dtype=self.dtype)
        if self.uniform_coef is not None:
            full += self.uniform_coef
            if self.valid is not None:
                full *= self.valid[:, None]
        coef = self.target_coef if self.target_coef is not None else 1.0
        full[self.rows, self.index] += coef
        return full


def _as_array(value: Any, op: str, argument: str) -> np.ndarray:
    """`value` (Tensor, ndarray, list, number) as a numeric ndarray, or a clear error."""
    if isinstance(value, Tensor):
        return value.data
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{op}: {argument} is not a numeric array: {err}") from None
    if array.dtype.kind not in "biuf":
        kind = type(value).__name__
        raise TypeError(f"{op}: {argument} must hold numbers, got {kind} of dtype {array.dtype}")
    return array


def check_reduction(reduction: Any, op: str) -> str:
    """`reduction` if it is one of REDUCTIONS, else a ValueError naming `op`."""
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {REDUCTIONS}, got {reduction!r}")
    return reduction


@replayed  # tinygrad_ce.jit: the targets are prepared again at each replay
def prepare_targets(
    logits_shape: tuple[int, ...],
    dtype: np.dtype,
    target: Any,
    weight: Any = None,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    reduction: str = "mean",
    op: str = "cross_entropy",
) -> Targets:
    """Check the arguments of a cross-entropy call and compute its coefficients."""
    if weight is None and ignore_index is None and type(label_smoothing) is float and not label_smoothing:
        plain = _plain_indices(logits_shape, dtype, target, reduction)  # the common call, cheaply
        if plain is not None:
            return plain
    _check_options(op, reduction, label_smoothing, ignore_index, logits_shape, target)
    lead, classes = tuple(logits_shape[:-1]), logits_shape[-1]
    dtype = np.dtype(dtype)
    y = _as_array(target, op, "target")
    w = None
    if weight is not None:
        w = _as_array(weight, op, "weight")
        if w.shape != (classes,):
            raise ValueError(
                f"{op}: weight must have shape ({classes},) for logits of shape "
                f"{tuple(logits_shape)}, got {w.shape}"
            )
        w = w.astype(dtype, copy=False)
    if y.dtype.kind in "iu":
        if y.shape != lead:
            raise ValueError(
                f"{op}: class-index target must have shape {lead} for logits of shape "
                f"{tuple(logits_shape)}, got {y.shape}"
            )
        return _class_indices(op, lead, classes, dtype, y, w, ignore_index, float(label_smoothing))
    if y.dtype.kind == "f":
        if y.shape != tuple(logits_shape):
            hint = " (class indices must be an integer array)" if y.shape == lead else ""
            raise ValueError(
                f"{op}: probability target must have the logits' shape {tuple(logits_shape)}, "
                f"got {y.shape}{hint}"
            )
        if ignore_index is not None:
            raise ValueError(f"{op}: ignore_index applies only to class-index targets, not probabilities")
        rows, e = math.prod(lead), float(label_smoothing)
        q = y.reshape(rows, classes).astype(dtype, copy=False)
        if e:
            q = (1 - e) * q + e / classes
        soft = q * w if w is not None else q
        return Targets(lead, classes, None, None, None, None, soft, soft.sum(axis=-1), float(rows), dtype)
    raise TypeError(
        f"{op}: target must hold integer class indices of shape {lead} or float "
        f"probabilities of shape {tuple(logits_shape)}, got dtype {y.dtype}"
    )


_UNSIGNED: dict[int, np.dtype[Any]] = {
    1: np.dtype(np.uint8),
    2: np.dtype(np.uint16),
    4: np.dtype(np.uint32),
    8: np.dtype(np.uint64),
}
_ROWS: dict[int, np.ndarray] = {}  # arange(M), read-only, for the few batch sizes in use


def _row_numbers(rows: int) -> np.ndarray:
    found = _ROWS.get(rows)
    if found is None:
        if len(_ROWS) > 64:
            _ROWS.clear()
        found = _ROWS[rows] = np.arange(rows)
        found.flags.writeable = False
    return found


_LAYOUTS: dict[tuple, tuple | None] = {}  # what _plain_indices derives from the shapes alone


def _plain_layout(logits_shape: tuple[int, ...], dtype: np.dtype, target: np.ndarray) -> tuple | None:
    """(lead shape, C, unsigned view dtype, M as a float, arange(M), C * arange(M)) for class indices of
    `target`'s shape and dtype against logits of `logits_shape`; None when such a call
    needs the full checks of `prepare_targets`. Depends only on shapes and dtypes."""
    if target.dtype.kind not in "iu" or not logits_shape or target.shape != logits_shape[:-1]:
        return None
    if not target.size:
        return None
    classes, bits = logits_shape[-1], 8 * target.dtype.itemsize
    if target.dtype.kind == "i" and classes > 2 ** (bits - 1):  # (the unsigned view would not hold)
        return None
    rows = target.size
    numbers = _row_numbers(rows)
    return (
        logits_shape[:-1],
        classes,
        _UNSIGNED[target.dtype.itemsize],
        float(rows),
        numbers,
        numbers * classes,
    )


def _flat_positions(offsets: np.ndarray, index: np.ndarray) -> np.ndarray:
    """C * row + index, as intp (an unsigned index is cast: it is below C), from the
    offsets C * arange(M)."""
    return np.add(offsets, index, dtype=np.intp)


def _plain_indices(logits_shape: tuple[int, ...], dtype: Any, target: Any, reduction: Any) -> Targets | None:
    """The Targets of plain class indices (no weight, ignore_index or smoothing), found
    with one reduction over the targets (viewed as unsigned, a negative index is huge);
    None when the call needs the full checks (and their errors) of `prepare_targets`.
    What depends on the shapes alone is found once per shape (`_plain_layout`)."""
    if isinstance(target, Tensor):
        if target.requires_grad:
            return None
        target = target.data
    if type(target) is not np.ndarray or reduction not in REDUCTIONS:
        return None
    if type(logits_shape) is not tuple or not isinstance(dtype, np.dtype):
        return None  # (the full path takes lists and dtype names)
    key = (logits_shape, dtype, target.dtype, target.shape)
    layout = _LAYOUTS.get(key, key)
    if layout is key:
        if len(_LAYOUTS) > 64:
            _LAYOUTS.clear()
        layout = _LAYOUTS[key] = _plain_layout(logits_shape, dtype, target)
    if layout is None:
        return None
    lead, classes, unsigned, count, numbers, offsets = layout
    index = target if target.ndim == 1 else target.reshape(-1)
    if not np.maximum.reduce(index.view(unsigned)) < classes:
        return None  # out of range: the full check names the value
    flat = np.add(offsets, index) if index.dtype == np.intp else _flat_positions(offsets, index)
    return Targets(lead, classes, index, None, None, None, None, None, count, dtype, numbers, flat)


def _check_options(
    op: str,
    reduction: Any,
    label_smoothing: Any,
    ignore_index: Any,
    logits_shape: tuple[int, ...],
    target: Any,
) -> None:
    check_reduction(reduction, op)
    number = (int, float, np.floating)
    if isinstance(label_smoothing, (bool, np.bool_)) or not isinstance(label_smoothing, number):
        raise TypeError(f"{op}: label_smoothing must be a number in [0, 1], got {label_smoothing!r}")
    if ignore_index is not None and (
        isinstance(ignore_index, (bool, np.bool_)) or not isinstance(ignore_index, (int, np.integer))
    ):
        raise TypeError(f"{op}: ignore_index must be an int or None, got {ignore_index!r}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}")
    if len(logits_shape) < 1:
        raise ValueError(f"{op}: logits must have a class axis (shape (*, C)), got shape ()")
    if isinstance(target, Tensor) and target.requires_grad:
        raise ValueError(
            f"{op}: gradients with respect to the target are not computed; pass "
            "target.detach(), or use cross_entropy(..., fused=False) to differentiate it"
        )


def _checked_index(
    op: str, y: np.ndarray, classes: int, ignore_index: int | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """The (M,) class indices, and where they are ignored (None: all count), or an
    IndexError naming the first value outside [0, C) that is not ignore_index."""
    index = y.reshape(-1)
    if index.dtype.itemsize < 8:  # narrow ints: widen, so the unsigned range check below holds
        index = index.astype(np.int64 if index.dtype.kind == "i" else np.uint64)
    ignored = index == ignore_index if ignore_index is not None else None
    # one reduction checks both ends: viewed as unsigned, a negative index is huge
    unsigned = index.view(f"u{index.itemsize}") if index.dtype.kind == "i" else index
    if index.size == 0 or np.maximum.reduce(unsigned) < classes:  # all in range
        return index, (ignored if ignored is not None and ignored.any() else None)
    bad = (index < 0) | (index >= classes)
    if ignored is not None:
        bad &= ~ignored
    if bad.any():
        extra = f" or ignore_index={ignore_index}" if ignore_index is not None else ""
        raise IndexError(
            f"{op}: target value {index[np.argmax(bad)]} is out of range for {classes} classes "
            f"(expected 0..{classes - 1}{extra}); {int(bad.sum())} bad value(s)"
        )
    return index, ignored


def _class_indices(
    op: str,
    lead: tuple[int, ...],
    classes: int,
    dtype: np.dtype,
    y: np.ndarray,
    w: np.ndarray | None,
    ignore_index: int | None,
    e: float,
) -> Targets:
    """The sparse coefficients for class indices: (1-e) w[t_i] at each row's class, plus
    the smoothing part (e/C) w_c spread over every class."""
    index, ignored = _checked_index(op, y, classes, ignore_index)
    rows = index.size
    valid = None
    if ignored is not None:  # (ignored rows point at class 0, with zero weight)
        valid = (~ignored).astype(dtype)
        index = np.where(ignored, 0, index)
    row_weight = w[index] if w is not None else None  # w[t_i]
    if valid is not None:
        row_weight = valid if row_weight is None else row_weight * valid
    target_coef = row_weight
    if e and row_weight is not None:
        target_coef = ((1 - e) * row_weight).astype(dtype, copy=False)
    elif e:
        target_coef = np.full(rows, 1 - e, dtype=dtype)
    uniform = None
    row_total = target_coef
    if e:
        uniform = (np.full(classes, e / classes) if w is None else (e / classes) * w).astype(dtype)
        spread = uniform.sum()
        row_total = target_coef + (spread if valid is None else spread * valid)
    denominator = float(row_weight.sum()) if row_weight is not None else float(rows)
    numbers = np.arange(rows)
    return Targets(
        lead,
        classes,
        index,
        target_coef,
        valid,
        uniform,
        None,
        row_total,
        denominator,
        dtype,
        numbers,
        _flat_positions(numbers * classes, index),
    )
