"""Helpers of `Module`'s attribute handling: the error for a name that is taken, the
warning for a plain list/tuple/dict of Modules or Parameters, and `Module.to`'s
argument parsing and in-place casting."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from .._checks import got
from ..tensor import Tensor
from .parameter import Parameter


class NameTakenError(KeyError, ValueError):
    """`register_parameter` / `register_buffer` / `add_module` under a name that is
    already another attribute (a method, a setting, a member of another kind). A
    KeyError, as in PyTorch, and a ValueError, as every bad argument value here."""

    __str__ = BaseException.__str__  # the message, not KeyError's quoted repr of it


# what to use instead of a plain container: (for Modules, for Parameters)
_SUGGESTIONS = {
    list: ("nn.ModuleList", "nn.ParameterList"),
    tuple: ("nn.ModuleList", "nn.ParameterList"),
    dict: ("nn.ModuleDict", "nn.ParameterDict"),
}


def warn_plain_container(owner: str, name: str, value: Any, module_cls: type) -> None:
    """A UserWarning when `value` is a plain list, tuple or dict that holds Modules or
    Parameters: a Module does not look inside them, so their parameters would be missing
    from parameters(), state_dict(), train()/eval() and to()."""
    kind = next((k for k in _SUGGESTIONS if isinstance(value, k)), None)
    if kind is None:
        return
    members: Iterable[Any] = value.values() if kind is dict else value
    has_module = has_param = False
    for member in members:
        has_module = has_module or isinstance(member, module_cls)
        has_param = has_param or isinstance(member, Parameter)
        if has_module:
            break
    if not (has_module or has_param):
        return
    what = "nn.Module" if has_module else "nn.Parameter"
    instead = _SUGGESTIONS[kind][0 if has_module else 1]
    warnings.warn(
        f"{owner}.{name}: a plain {kind.__name__} holding {what} objects is not registered, so their "
        f"parameters will not be found by parameters(), state_dict(), train()/eval() or to(); "
        f"use {instead}(...) instead",
        UserWarning,
        stacklevel=3,
    )


# ----------------------------------------------------------------------------- Module.to
_DEVICES = (
    "cpu",
    "cuda",
    "mps",
    "xpu",
    "xla",
    "meta",
    "hip",
    "hpu",
    "ipu",
    "mtia",
    "vulkan",
    "privateuseone",
)
_DTYPE_HELP = "a float dtype (np.float32, np.float64, 'float32', ...), the device 'cpu' or a Tensor"


def _device_name(value: Any) -> str | None:
    """The device type of a device string or torch.device ('cpu' for 'cpu:0'), else None."""
    if type(value).__name__ == "device":  # a torch.device, without importing torch
        value = str(value)
    if isinstance(value, str) and value.split(":")[0].strip().lower() in _DEVICES:
        return value.split(":")[0].strip().lower()
    return None


def _check_device(value: Any) -> None:
    device = _device_name(value)
    if device is None:
        raise TypeError(f"Module.to: device must be 'cpu' (or a torch.device('cpu')), got {got(value)}")
    if device != "cpu":
        raise ValueError(
            f"Module.to: device {str(value)!r} is not available: tinygrad_ce computes with "
            "numpy on the CPU only; use 'cpu' (a no-op) or leave the device out"
        )


def _float_dtype(value: Any, name: str) -> np.dtype:
    if isinstance(value, Tensor):
        value = value.dtype
    elif type(value).__module__ == "torch" and str(value).startswith("torch."):  # torch.float32
        value = str(value)[len("torch.") :]
    try:
        dtype = np.dtype(value)
    except Exception:  # numpy raises TypeError, ValueError or KeyError for what is not a dtype
        raise TypeError(f"Module.to: {name} must be {_DTYPE_HELP}, got {got(value)}") from None
    if dtype.kind != "f":
        raise TypeError(
            f"Module.to: {name} must be a floating-point dtype (Module.to casts only to float "
            f"dtypes, as PyTorch's), got {dtype}"
        )
    return dtype


def parse_to(args: tuple[Any, ...], device: Any, dtype: Any) -> np.dtype | None:
    """The dtype that `Module.to(*args, device=, dtype=)` asks for (None: keep each),
    after checking that any device named is the CPU."""
    if len(args) > 2:
        raise TypeError(f"Module.to: takes at most 2 positional arguments (device, dtype), got {len(args)}")
    found = None if dtype is None else _float_dtype(dtype, "dtype")
    if device is not None:
        _check_device(device)
    for arg in args:
        if _device_name(arg) is not None:
            _check_device(arg)
            continue
        if found is not None:
            raise TypeError(f"Module.to: the dtype is given twice (got {got(arg)} as well)")
        found = _float_dtype(arg, "dtype")
    return found


def cast_(tensor: Tensor, dtype: np.dtype) -> None:
    """Cast `tensor`'s data (and its gradient) to `dtype` in place: the same Tensor
    object afterwards, so optimizers and other references still see it."""
    if tensor.data.dtype == dtype:
        return
    tensor.data = tensor.data.astype(dtype)
    grad = tensor.grad
    if grad is not None:
        tensor.grad = Tensor(grad.data.astype(dtype))
