"""Argument checks shared by `nn`, `optim`, `data`, `rng` and `gradcheck`.

Each check returns the value normalised (a Python int, float or bool) or raises a
TypeError (wrong type) or ValueError (right type, bad value) that names the caller
(`owner`), the argument and the value: "SGD: lr must be a finite number >= 0, got nan".
Bools are not numbers here (`lr=True` is a TypeError), and NaN and inf are refused
wherever a number is checked. This module imports nothing from the package, so any
module may use it without an import cycle.
"""

from __future__ import annotations

import math
import numbers
import reprlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np

_repr = reprlib.Repr()
_repr.maxstring = _repr.maxother = 60


def shown(value: Any) -> str:
    """A short repr of `value` for an error message (long ones are cut with '...')."""
    return _repr.repr(value)


def got(value: Any) -> str:
    """What an error message says it got: "<type> <short repr>" ("float 0.5"), or "None"."""
    return "None" if value is None else f"{type(value).__name__} {shown(value)}"


def is_int(value: Any) -> bool:
    """An integer (Python or numpy), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def is_real(value: Any) -> bool:
    """A real number (Python or numpy int or float), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _interval(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return f"a finite number {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"a finite number {'<' if high_open else '<='} {high:g}"
    return "a finite number"


def number(
    owner: str,
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """`value` as a float, if it is a finite real number within the bounds (closed
    unless `low_open` / `high_open`)."""
    what = _interval(low, high, low_open, high_open)
    if not is_real(value):
        hint = " (bools are not numbers here)" if isinstance(value, (bool, np.bool_)) else ""
        raise TypeError(f"{owner}: {name} must be {what}, got {got(value)}{hint}")
    number = float(value) + 0.0  # -0.0 becomes 0.0 (numpy refuses a scale of -0.0)
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if not math.isfinite(number) or too_low or too_high:
        raise ValueError(f"{owner}: {name} must be {what}, got {shown(value)}")
    return number


def integer(owner: str, name: str, value: Any, low: int | None = None) -> int:
    """`value` as an int, if it is an integer (not a bool, not a float) >= `low`."""
    what = {None: "an integer", 0: "a non-negative integer", 1: "a positive integer"}.get(
        low, f"an integer >= {low}"
    )
    if not is_int(value):
        raise TypeError(f"{owner}: {name} must be {what}, got {got(value)}")
    if low is not None and value < low:
        raise ValueError(f"{owner}: {name} must be {what}, got {shown(value)}")
    return int(value)


def boolean(owner: str, name: str, value: Any) -> bool:
    """`value` as a bool, if it is a bool (Python or numpy); 0 and 1 are not."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be True or False, got {got(value)}")
    return bool(value)


def string(owner: str, name: str, value: Any, choices: Any = None) -> str:
    """`value` if it is a string (and one of `choices`, when given)."""
    if not isinstance(value, str):
        what = f"one of {', '.join(map(repr, choices))}" if choices is not None else "a string"
        raise TypeError(f"{owner}: {name} must be {what}, got {got(value)}")
    if choices is not None and value not in choices:
        raise ValueError(f"{owner}: {name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def float_dtype(owner: str, name: str, value: Any) -> np.dtype | None:
    """`value` as a numpy float dtype (None stays None: the caller's default)."""
    if value is None:
        return None
    try:
        dtype = np.dtype(value)
    except Exception:  # numpy raises TypeError, ValueError or KeyError for what is not a dtype
        dtype = None
    if dtype is None or dtype.kind != "f":
        what = "a float dtype (np.float32, np.float64) or None"
        raise TypeError(f"{owner}: {name} must be {what}, got {got(value)}")
    return dtype


def seed(owner: str, name: str, value: Any) -> Any:
    """`value` if it is a seed: an int >= 0 (as an int), a numpy Generator or None."""
    if value is None or isinstance(value, np.random.Generator):
        return value
    if not is_int(value):
        what = "a seed (an int >= 0), a numpy Generator or None"
        raise TypeError(f"{owner}: {name} must be {what}, got {got(value)}")
    if value < 0:
        raise ValueError(f"{owner}: {name} must be a seed (an int >= 0), got {value}")
    return int(value)


def items(owner: str, name: str, value: Any, what: str, exclude: tuple[type, ...] = ()) -> tuple[Any, ...]:
    """`value` as a tuple, if it is a list, tuple, 1-D array or other iterable (not a
    string, bytes, mapping, 0-d or N-d array, nor one of the `exclude` types)."""
    if (
        isinstance(value, (str, bytes, Mapping, *exclude))
        or (isinstance(value, np.ndarray) and value.ndim != 1)
        or not isinstance(value, Iterable)
    ):
        raise TypeError(f"{owner}: {name} must be {what}, got {got(value)}")
    return tuple(value)


@contextmanager
def allocating(owner: str, what: str) -> Iterator[None]:
    """Around numpy calls that allocate from already-checked sizes: an impossible size
    (numpy's MemoryError, OverflowError, "array is too big" ValueError, or linspace's
    IndexError past 2**63) becomes a ValueError naming `what` (e.g. "n=10**30")."""
    try:
        yield
    except (MemoryError, OverflowError, ValueError, IndexError) as err:
        raise ValueError(f"{owner}: {what} is too large to allocate ({type(err).__name__}: {err})") from None
