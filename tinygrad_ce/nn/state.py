"""Loading a state dict into a module's parameters and buffers: every key and shape is checked
before anything is copied (`fit_state_dict`), and what does not fit is one
`StateDictError` that names every missing, unexpected and mismatched key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from .._checks import got
from ..tensor import Tensor


class StateDictError(ValueError):
    """A state dict that does not fit a module: the message lists the keys that are
    missing, unexpected or of the wrong shape."""


class IncompatibleKeys(NamedTuple):
    """What a non-strict `load_state_dict` left out: the model's keys that the state
    dict lacked, and the state dict's keys that the model does not have."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def _as_array(value: Any) -> np.ndarray | None:
    """A state-dict value as an ndarray, or None if numpy cannot make one (ragged lists)."""
    if isinstance(value, Tensor):
        return value.data
    try:
        return np.asarray(value)
    except (TypeError, ValueError):
        return None


def fit_state_dict(
    owner: str, own: Mapping[str, Tensor], state_dict: Mapping[str, Any], strict: bool
) -> tuple[dict[str, np.ndarray], IncompatibleKeys]:
    """Check `state_dict` against the tensors `own` ({dotted name: Parameter or buffer}) of the
    module named `owner`: the arrays to copy, by key, and the keys left out. Shapes must
    match exactly, values must be numeric; with `strict` the keys must match too.
    Anything that does not fit raises one StateDictError naming every problem."""
    missing = [key for key in own if key not in state_dict]
    unexpected = [key for key in state_dict if key not in own]
    arrays: dict[str, np.ndarray] = {}
    problems = []
    for key, param in own.items():
        if key not in state_dict:
            continue
        value = state_dict[key]
        array = _as_array(value)
        if array is None or array.dtype.kind not in "fiu":
            problems.append(f"{key} is not numeric ({got(value) if array is None else array.dtype})")
        elif array.shape != param.data.shape:
            problems.append(f"{key} has shape {array.shape} in state_dict, {param.shape} in the model")
        else:
            arrays[key] = array
    if strict and missing:
        problems.append("missing keys: " + ", ".join(missing))
    if strict and unexpected:
        problems.append("unexpected keys: " + ", ".join(map(str, unexpected)))
    if problems:
        where = f"load_state_dict into {owner}: the state_dict does not fit: "
        raise StateDictError(where + "; ".join(problems))
    return arrays, IncompatibleKeys(missing, unexpected)
