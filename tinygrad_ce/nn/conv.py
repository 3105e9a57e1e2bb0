"""Convolution and pooling layers with PyTorch's names, arguments, parameter shapes and
default initialisation (so a PyTorch state dict loads): `Conv1d`, `Conv2d`,
`ConvTranspose2d`, `MaxPool2d`, `AvgPool2d`, `AdaptiveAvgPool2d`. The math (and the
gradient) lives in `functional.conv`; a layer holds its Parameters and its settings."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _checks as checks
from .. import functional as F
from ..rng import as_generator
from ..tensor import Tensor, get_default_dtype
from . import init
from .module import Module
from .parameter import Parameter


def _tuple(value: Any, n: int) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


class _ConvNd(Module):
    """Parameters of a convolution: weight (out, in/groups, *kernel) — (in, out/groups,
    *kernel) when `transposed` — and bias (out,). Initialisation as PyTorch's
    `reset_parameters`: kaiming_uniform_(a=sqrt(5)) for the weight, i.e.
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the bias from the same bound."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any,
        padding: Any,
        dilation: Any,
        groups: int,
        bias: bool,
        padding_mode: str,
        dims: int,
        transposed: bool,
        output_padding: Any = 0,
        rng: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        owner = type(self).__name__
        in_channels = checks.integer(owner, "in_channels", in_channels, low=1)
        out_channels = checks.integer(owner, "out_channels", out_channels, low=1)
        groups = checks.integer(owner, "groups", groups, low=1)
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"{owner}: in_channels ({in_channels}) and out_channels ({out_channels}) "
                f"must be divisible by groups ({groups})"
            )
        if padding_mode != "zeros":
            raise ValueError(f"{owner}: only padding_mode='zeros' is supported, got {padding_mode!r}")
        kernel = tuple(checks.integer(owner, "kernel_size", k, low=1) for k in _tuple(kernel_size, dims))
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel
        self.stride, self.dilation = _tuple(stride, dims), _tuple(dilation, dims)
        self.padding = padding if isinstance(padding, str) else _tuple(padding, dims)
        self.output_padding, self.groups = _tuple(output_padding, dims), groups
        self.padding_mode = padding_mode
        dtype = checks.float_dtype(owner, "dtype", dtype)
        dtype = get_default_dtype() if dtype is None else dtype
        shape = (in_channels, out_channels // groups) if transposed else (out_channels, in_channels // groups)
        generator = as_generator(rng, owner, "rng")
        with checks.allocating(owner, f"weight of shape {shape + kernel}"):
            self.weight = Parameter(np.zeros(shape + kernel, dtype=dtype))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=generator)
        if bias:
            fan_in, _ = init.calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            self.bias = Parameter(generator.uniform(-bound, bound, out_channels).astype(dtype))
        else:
            self.register_parameter("bias", None)

    def _input(self, x: Any) -> Tensor:
        return (
            x
            if isinstance(x, Tensor)
            else F.as_tensor(x, type(self).__name__, "input", dtype=self.weight.data.dtype)
        )

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        text += f", stride={self.stride}"
        if self.padding != (0,) * len(self.kernel_size):
            text += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.kernel_size):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + ("" if self.bias is not None else ", bias=False")


class Conv2d(_ConvNd):
    """2-D convolution: (N, in_channels, H, W) -> (N, out_channels, OH, OW), as
    torch.nn.Conv2d. `weight` (out, in/groups, kh, kw), `bias` (out,). `fused`: one
    conv2d node (default) or the composed twin. Differentiable in the input and both."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        rng: Any = None,
        dtype: Any = None,
        fused: bool = True,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            2,
            False,
            rng=rng,
            dtype=dtype,
        )
        self.fused = checks.boolean("Conv2d", "fused", fused)

    def forward(self, x: Any) -> Tensor:
        return F.conv2d(
            self._input(x),
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
            fused=self.fused,
        )


class Conv1d(_ConvNd):
    """1-D convolution: (N, in_channels, L) -> (N, out_channels, OL), as torch.nn.Conv1d.
    `weight` (out, in/groups, k), `bias` (out,). Differentiable in the input and both."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        rng: Any = None,
        dtype: Any = None,
        fused: bool = True,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            1,
            False,
            rng=rng,
            dtype=dtype,
        )
        self.fused = checks.boolean("Conv1d", "fused", fused)

    def forward(self, x: Any) -> Tensor:
        return F.conv1d(
            self._input(x),
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
            fused=self.fused,
        )


class ConvTranspose2d(_ConvNd):
    """Transposed 2-D convolution: (N, in_channels, H, W) -> (N, out_channels, OH, OW),
    OH = (H - 1) stride - 2 padding + dilation (k - 1) + output_padding + 1, as
    torch.nn.ConvTranspose2d. `weight` (in, out/groups, kh, kw), `bias` (out,)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
        rng: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            2,
            True,
            output_padding=output_padding,
            rng=rng,
            dtype=dtype,
        )

    def forward(self, x: Any) -> Tensor:
        return F.conv_transpose2d(
            self._input(x),
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self.output_padding,
            self.groups,
            self.dilation,
        )


class MaxPool2d(Module):
    """The maximum of each window (torch.nn.MaxPool2d; stride defaults to kernel_size);
    the gradient goes to the first maximum of each window, as PyTorch. ceil_mode rounds the
    output size up; return_indices=True returns (output, int64 flat indices into each
    input plane), as PyTorch's (see `functional.max_pool2d`)."""

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size, self.padding, self.dilation = kernel_size, padding, dilation
        self.stride = kernel_size if stride is None else stride
        self.return_indices = checks.boolean("MaxPool2d", "return_indices", return_indices)
        self.ceil_mode = checks.boolean("MaxPool2d", "ceil_mode", ceil_mode)

    def forward(self, x: Any) -> Tensor | tuple[Tensor, Tensor]:
        return F.max_pool2d(
            x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode, self.return_indices
        )

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class AvgPool2d(Module):
    """The mean of each window (torch.nn.AvgPool2d; stride defaults to kernel_size; zero
    padding counts unless count_include_pad=False; ceil_mode rounds the output size up;
    divisor_override, a nonzero int, replaces every divisor). Differentiable."""

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = kernel_size if stride is None else stride
        self.ceil_mode = checks.boolean("AvgPool2d", "ceil_mode", ceil_mode)
        self.count_include_pad = checks.boolean("AvgPool2d", "count_include_pad", count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, x: Any) -> Tensor:
        return F.avg_pool2d(
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average over PyTorch's adaptive windows to a fixed `output_size` (an int or an
    (h, w) pair, None keeping that axis), as torch.nn.AdaptiveAvgPool2d."""

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, x: Any) -> Tensor:
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
