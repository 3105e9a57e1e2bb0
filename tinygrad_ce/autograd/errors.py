"""The errors an op raises, named after the op and its operands' shapes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class ShapeError(ValueError):
    """Operands whose shapes an op cannot combine; the message names the op and shapes."""


class AxisError(ValueError, IndexError):
    """An axis outside `[-ndim, ndim)` (never wrapped around); names the axis and ndim."""


def op_error(name: str, inputs: Sequence[Any], err: Exception) -> Exception:
    """`err`, raised inside op `name`'s forward, as an error that names the op and shapes."""
    if isinstance(err, (ShapeError, AxisError)):
        return type(err)(str(err) if str(err).startswith(name) else f"{name}: {err}")
    shapes = " and ".join(str(t.data.shape) for t in inputs)
    message = f"{name}: cannot apply to shape{'s' if len(inputs) > 1 else ''} {shapes}: {err}"
    if isinstance(err, ValueError):
        return ShapeError(message)
    return (IndexError if isinstance(err, IndexError) else TypeError)(message)
