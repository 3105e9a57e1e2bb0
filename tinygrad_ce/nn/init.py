"""Initialisation, PyTorch's `torch.nn.init`: each function fills a Tensor's data in
place (no graph is recorded), returns the Tensor, and draws from `generator` (a seed,
a numpy Generator, or None: the package's default, see `tinygrad_ce.manual_seed`).

Fans, gains, bounds and standard deviations are PyTorch's formulas, so the same call
gives values from the same distribution (not the same values: the generators differ).
For a tensor of shape (out, in, *kernel): fan_in = in * prod(kernel),
fan_out = out * prod(kernel)."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import _checks as checks
from .._checks import got
from ..rng import as_generator
from ..tensor import Tensor

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")
NONLINEARITIES = (*_LINEAR, "sigmoid", "tanh", "relu", "leaky_relu", "selu")


def _tensor(owner: str, tensor: Any, floating: bool = True) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{owner}: tensor must be a Tensor (or nn.Parameter), got {got(tensor)}")
    if floating and tensor.data.dtype.kind != "f":
        raise TypeError(
            f"{owner}: tensor must have a float dtype to be filled with random values, "
            f"got {tensor.data.dtype}"
        )
    if not tensor.data.flags.writeable:
        raise ValueError(f"{owner}: tensor's data is read-only, so it cannot be filled in place")
    return tensor


def _fill(tensor: Tensor, values: Any) -> Tensor:
    """Write `values` into `tensor.data` in place (cast to its dtype); returns `tensor`."""
    np.copyto(tensor.data, values, casting="unsafe")
    return tensor


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for `nonlinearity` (PyTorch's table): 1 for linear, conv and
    sigmoid, 5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for leaky_relu
    (`param`: the negative slope, default 0.01), 3/4 for selu."""
    checks.string("calculate_gain", "nonlinearity", nonlinearity, choices=NONLINEARITIES)
    if nonlinearity in _LINEAR or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4
    slope = 0.01 if param is None else checks.number("calculate_gain", "param", param)
    return math.sqrt(2.0 / (1 + slope**2))


def _calculate_fan_in_and_fan_out(tensor: Tensor, owner: str = "init") -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel), as PyTorch's."""
    shape = _tensor(owner, tensor, floating=False).shape
    if len(shape) < 2:
        raise ValueError(
            f"{owner}: fan in and fan out can not be computed for a tensor with fewer than 2 "
            f"dimensions, got tensor of shape {shape}"
        )
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) for a weight of shape (out, in, *kernel): in * prod(kernel) and
    out * prod(kernel) (PyTorch's `_calculate_fan_in_and_fan_out`)."""
    return _calculate_fan_in_and_fan_out(tensor, "calculate_fan_in_and_fan_out")


def _correct_fan(owner: str, tensor: Tensor, mode: str) -> int:
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor, owner)
    return fan_in if mode == "fan_in" else fan_out


# ----------------------------------------------------------------------------- plain fills
def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with values from U(a, b)."""
    tensor = _tensor("uniform_", tensor)
    a = checks.number("uniform_", "a", a)
    b = checks.number("uniform_", "b", b, low=a)
    return _fill(tensor, as_generator(generator, "uniform_", "generator").uniform(a, b, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with values from N(mean, std^2)."""
    tensor = _tensor("normal_", tensor)
    mean = checks.number("normal_", "mean", mean)
    std = checks.number("normal_", "std", std, low=0.0)
    return _fill(tensor, as_generator(generator, "normal_", "generator").normal(mean, std, tensor.shape))


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: Any = None,
) -> Tensor:
    """Fill with values from N(mean, std^2) truncated to [a, b] (absolute bounds, as
    PyTorch's), drawn by rejection."""
    tensor = _tensor("trunc_normal_", tensor)
    mean = checks.number("trunc_normal_", "mean", mean)
    std = checks.number("trunc_normal_", "std", std, low=0.0, low_open=True)
    a = checks.number("trunc_normal_", "a", a)
    b = checks.number("trunc_normal_", "b", b, low=a, low_open=True)
    cdf = lambda x: 0.5 * (1 + math.erf((x - mean) / (std * math.sqrt(2))))
    if cdf(b) - cdf(a) < 1e-4:
        raise ValueError(
            f"trunc_normal_: [a, b] = [{a}, {b}] holds too little of N({mean}, {std}^2) "
            "to sample by rejection; move a and b closer to the mean"
        )
    rng = as_generator(generator, "trunc_normal_", "generator")
    values = rng.normal(mean, std, tensor.data.size)
    outside = (values < a) | (values > b)
    while outside.any():
        values[outside] = rng.normal(mean, std, int(outside.sum()))
        outside = (values < a) | (values > b)
    return _fill(tensor, values.reshape(tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with `val`."""
    tensor = _tensor("constant_", tensor, floating=False)
    if not checks.is_real(val) and not isinstance(val, (bool, np.bool_)):
        raise TypeError(f"constant_: val must be a number, got {got(val)}")
    return _fill(tensor, val)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0."""
    return _fill(_tensor("zeros_", tensor, floating=False), 0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1."""
    return _fill(_tensor("ones_", tensor, floating=False), 1)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity (ones on the diagonal, rectangular allowed)."""
    tensor = _tensor("eye_", tensor, floating=False)
    if tensor.ndim != 2:
        raise ValueError(f"eye_: tensor must be 2-D, got shape {tensor.shape}")
    return _fill(tensor, np.eye(tensor.shape[0], tensor.shape[1]))


# ----------------------------------------------------------------------------- scaled by the fans
def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    tensor = _tensor("xavier_uniform_", tensor)
    gain = checks.number("xavier_uniform_", "gain", gain, low=0.0)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor, "xavier_uniform_")
    if tensor.data.size == 0:
        return tensor
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    rng = as_generator(generator, "xavier_uniform_", "generator")
    return _fill(tensor, rng.uniform(-bound, bound, tensor.shape))


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    tensor = _tensor("xavier_normal_", tensor)
    gain = checks.number("xavier_normal_", "gain", gain, low=0.0)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor, "xavier_normal_")
    if tensor.data.size == 0:
        return tensor
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    rng = as_generator(generator, "xavier_normal_", "generator")
    return _fill(tensor, rng.normal(0.0, std, tensor.shape))


def _kaiming_std(
    owner: str, tensor: Any, a: Any, mode: str, nonlinearity: str
) -> tuple[Tensor, float | None]:
    """The checked tensor and gain(nonlinearity, a) / sqrt(fan), PyTorch's `kaiming_*`
    standard deviation (None for a zero-element tensor: a no-op, with PyTorch's warning)."""
    tensor = _tensor(owner, tensor)
    a = checks.number(owner, "a", a)
    checks.string(owner, "nonlinearity", nonlinearity, choices=NONLINEARITIES)
    checks.string(owner, "mode", mode, choices=("fan_in", "fan_out"))
    if tensor.data.size == 0:
        warnings.warn(f"{owner}: initializing zero-element tensors is a no-op", UserWarning, stacklevel=3)
        return tensor, None
    return tensor, calculate_gain(nonlinearity, a) / math.sqrt(_correct_fan(owner, tensor, mode))


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Any = None,
) -> Tensor:
    """He uniform: U(-bound, bound) with bound = gain * sqrt(3 / fan), fan = fan_in or
    fan_out (`mode`), gain = calculate_gain(nonlinearity, a). With a = sqrt(5) this is
    Linear's and Conv's default initialisation of the weight."""
    tensor, std = _kaiming_std("kaiming_uniform_", tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    rng = as_generator(generator, "kaiming_uniform_", "generator")
    return _fill(tensor, rng.uniform(-bound, bound, tensor.shape))


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Any = None,
) -> Tensor:
    """He normal: N(0, std^2) with std = gain / sqrt(fan) (arguments as kaiming_uniform_)."""
    tensor, std = _kaiming_std("kaiming_normal_", tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    rng = as_generator(generator, "kaiming_normal_", "generator")
    return _fill(tensor, rng.normal(0.0, std, tensor.shape))


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """A (semi-)orthogonal matrix times `gain`, from the QR decomposition of a normal
    draw (PyTorch's method); a tensor of shape (rows, *rest) is treated as (rows, prod(rest))."""
    tensor = _tensor("orthogonal_", tensor)
    gain = checks.number("orthogonal_", "gain", gain)
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: tensor must have at least 2 dimensions, got shape {tensor.shape}")
    if tensor.data.size == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.data.size // rows
    flat = as_generator(generator, "orthogonal_", "generator").normal(0.0, 1.0, (rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))  # makes the decomposition unique (uniform over orthogonal matrices)
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor.shape))
