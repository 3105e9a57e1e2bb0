"""Convolution and pooling (NCHW, PyTorch's names, arguments and numbers).

`conv2d(fused=True)` is one `conv2d` node (ops.Conv2d: im2col + a matmul per group, a
closed-form backward); `fused=False` is its twin, composed from public Tensor ops (pad,
indexing with index arrays to gather the windows, einsum), whose gradient comes from the
graph. The rest is composed: `conv1d` is conv2d on a unit axis, `conv_transpose2d` is the
adjoint of conv2d (an einsum, then `col2im` adds the windows back), the pools gather
windows (`im2col`) or the selected elements (indexing). `max_pool2d(fused=True)` is one
`max_pool2d` node (ops.MaxPool2d); `fused=False` is its indexing twin.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _checks as checks
from ..autograd.trace import derived
from ..ops.conv import Col2im, Conv2d, Im2col, out_size
from ..ops.pool import MaxPool2d, Winners, flat_indices, kept_indices, lowest, window_winners
from ..tensor import Tensor
from .activations import as_tensor
from .joining import einsum


def _pair(value: Any, op: str, name: str, low: int) -> tuple[int, int]:
    """An int or a pair of ints (each >= low) as an (h, w) pair."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in pair):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if min(pair) < low:
        raise ValueError(f"{op}: {name} must be >= {low}, got {value!r}")
    return int(pair[0]), int(pair[1])


def _image(x: Any, op: str, dims: int = 4) -> Tensor:
    x = as_tensor(x, op, "input")
    if x.ndim != dims:
        layout = "(N, C, H, W)" if dims == 4 else "(N, C, L)"
        raise ValueError(f"{op}: expected input of shape {layout}, got shape {x.shape}")
    return x


def _check_size(op: str, x: Tensor, kernel, stride, padding, dilation) -> tuple[int, ...]:
    sizes = tuple(out_size(n, *args) for n, args in zip(x.shape[2:], zip(kernel, stride, padding, dilation)))
    if min(sizes) < 1:
        raise ValueError(
            f"{op}: input of shape {x.shape} is too small for kernel {kernel} with padding "
            f"{padding} and dilation {dilation} (output size {sizes})"
        )
    return sizes


def conv2d(
    x: Any,
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
    fused: bool = True,
) -> Tensor:
    """2-D cross-correlation, as torch.nn.functional.conv2d: x (N, C, H, W), weight
    (O, C/groups, kh, kw), bias (O,) -> (N, O, OH, OW), OH = (H + 2 ph - dh (kh-1) - 1) // sh + 1.
    stride, padding, dilation: an int or an (h, w) pair; padding may be "valid" (0) or
    "same" (stride 1; an odd total pads the extra row/column at the end, as PyTorch).
    Differentiable in x, weight and bias, to every order. fused=False: the composed twin."""
    x, weight = _image(x, "conv2d"), as_tensor(weight, "conv2d", "weight")
    if weight.ndim != 4:
        raise ValueError(f"conv2d: weight must have shape (out, in/groups, kh, kw), got shape {weight.shape}")
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"conv2d: groups must be a positive int, got {groups!r}")
    o, cg, kh, kw = weight.shape
    if x.shape[1] % groups or o % groups or x.shape[1] // groups != cg:
        raise ValueError(
            f"conv2d: input of shape {x.shape} and weight of shape {weight.shape} do not fit "
            f"groups={groups} (need in channels = weight.shape[1] * groups, out channels "
            "divisible by groups)"
        )
    if bias is not None:
        bias = as_tensor(bias, "conv2d", "bias")
        if bias.shape != (o,):
            raise ValueError(
                f"conv2d: bias must have shape ({o},) for weight of shape {weight.shape}, "
                f"got shape {bias.shape}"
            )
    stride, dilation = _pair(stride, "conv2d", "stride", 1), _pair(dilation, "conv2d", "dilation", 1)
    if padding in ("same", "valid"):
        padding, x = _named_padding(padding, x, (kh, kw), stride, dilation)
    else:
        padding = _pair(padding, "conv2d", "padding", 0)
    _check_size("conv2d", x, (kh, kw), stride, padding, dilation)
    if fused:
        inputs = (x, weight) if bias is None else (x, weight, bias)
        return Conv2d.apply(*inputs, stride=stride, padding=padding, dilation=dilation, groups=groups)
    return _conv2d_twin(x, weight, bias, stride, padding, dilation, groups)


def _named_padding(padding: str, x: Tensor, kernel, stride, dilation) -> tuple[tuple[int, int], Tensor]:
    """PyTorch's "valid" (no padding) and "same" (output size = input size, stride 1)."""
    if padding == "valid":
        return (0, 0), x
    if stride != (1, 1):
        raise ValueError(f"conv2d: padding='same' needs stride 1, got stride {stride}")
    totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
    extra_h, extra_w = totals[0] % 2, totals[1] % 2
    if extra_h or extra_w:  # the odd one out goes at the end (bottom, right), as PyTorch
        x = x.pad((0, extra_w, 0, extra_h))
    return (totals[0] // 2, totals[1] // 2), x


def _window_index(size_out: int, k: int, s: int, d: int) -> np.ndarray:
    """(k, size_out) rows of the padded image read by kernel offset p at output i: i s + p d."""
    return np.arange(k)[:, None] * d + np.arange(size_out)[None, :] * s


# The twin: cols[n, c, p, q, i, j] = x_pad[n, c, i sh + p dh, j sw + q dw] by indexing, then
# out[n, g, o, i, j] = sum_{c, p, q} w[g, o, c, p, q] cols[n, g, c, p, q, i, j] (+ b): the same
# sums as the fused op's matmul, so the graph's gradient is its closed form.
def _conv2d_twin(x: Tensor, weight: Tensor, bias: Any, stride, padding, dilation, groups: int) -> Tensor:
    n, c, h, w = x.shape
    o, cg, kh, kw = weight.shape
    oh, ow = _check_size("conv2d", x, (kh, kw), stride, padding, dilation)
    (ph, pw) = padding
    xp = x.pad((pw, pw, ph, ph)) if ph or pw else x
    rows, cols = _window_index(oh, kh, stride[0], dilation[0]), _window_index(ow, kw, stride[1], dilation[1])
    windows = xp[:, :, rows[:, None, :, None], cols[None, :, None, :]]  # (N, C, kh, kw, OH, OW)
    windows = windows.reshape(n, groups, cg, kh, kw, oh, ow)
    out = einsum("ngcpqij,gocpq->ngoij", windows, weight.reshape(groups, o // groups, cg, kh, kw))
    out = out.reshape(n, o, oh, ow)
    return out if bias is None else out + bias.reshape(o, 1, 1)


def conv1d(
    x: Any,
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
    fused: bool = True,
) -> Tensor:
    """1-D cross-correlation, as torch's conv1d: x (N, C, L), weight (O, C/groups, k),
    bias (O,) -> (N, O, OL); conv2d on a unit height axis. Differentiable in all three."""
    x, weight = _image(x, "conv1d", dims=3), as_tensor(weight, "conv1d", "weight")
    if weight.ndim != 3:
        raise ValueError(f"conv1d: weight must have shape (out, in/groups, k), got shape {weight.shape}")
    out = conv2d(
        x.unsqueeze(2),
        weight.unsqueeze(2),
        bias,
        _unit(stride, "stride", 1),
        _unit(padding, "padding", 0),
        _unit(dilation, "dilation", 1),
        groups,
        fused,
    )
    return out.squeeze(2)


def _unit(value: Any, name: str, unit: int) -> Any:
    """conv1d's int (or 1-tuple) argument as conv2d's (unit, value) pair; strings pass."""
    if isinstance(value, str):
        return value
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise TypeError(f"conv1d: {name} must be an int or a 1-tuple, got {value!r}")
        value = value[0]
    return (unit, value)


def conv_transpose2d(
    x: Any,
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """Transposed convolution, as torch's conv_transpose2d (the gradient of conv2d with
    respect to its input): x (N, C, H, W), weight (C, O/groups, kh, kw), bias (O,) ->
    (N, O, OH, OW), OH = (H - 1) sh - 2 ph + dh (kh - 1) + output_padding_h + 1.
    Composed: an einsum spreads each input pixel over a window (columns), `col2im` adds
    the overlapping windows back. Differentiable in x, weight and bias, to every order."""
    x, weight = _image(x, "conv_transpose2d"), as_tensor(weight, "conv_transpose2d", "weight")
    op = "conv_transpose2d"
    if weight.ndim != 4:
        raise ValueError(f"{op}: weight must have shape (in, out/groups, kh, kw), got shape {weight.shape}")
    n, c, h, w = x.shape
    cw, og, kh, kw = weight.shape
    if (
        not isinstance(groups, (int, np.integer))
        or isinstance(groups, bool)
        or groups < 1
        or c % groups
        or cw != c
    ):
        raise ValueError(
            f"{op}: input of shape {x.shape} and weight of shape {weight.shape} do not fit "
            f"groups={groups!r} (need weight.shape[0] = in channels, divisible by groups)"
        )
    stride, dilation = _pair(stride, op, "stride", 1), _pair(dilation, op, "dilation", 1)
    padding, extra = _pair(padding, op, "padding", 0), _pair(output_padding, op, "output_padding", 0)
    if extra[0] >= max(stride[0], dilation[0]) or extra[1] >= max(stride[1], dilation[1]):
        raise ValueError(
            f"{op}: output_padding {extra} must be smaller than stride {stride} or dilation {dilation}"
        )
    size = tuple(
        (n_in - 1) * s - 2 * p + d * (k - 1) + e + 1
        for n_in, k, s, p, d, e in zip((h, w), (kh, kw), stride, padding, dilation, extra)
    )
    if min(size) < 1:
        raise ValueError(
            f"{op}: input of shape {x.shape} with weight {weight.shape}, stride {stride} and "
            f"padding {padding} gives output size {size}"
        )
    xg = x.reshape(n, groups, c // groups, h, w)
    wg = weight.reshape(groups, c // groups, og, kh, kw)
    cols = einsum("ngcij,gcopq->ngopqij", xg, wg).reshape(n, groups * og, kh, kw, h, w)
    out = Col2im.apply(cols, shape=(n, groups * og) + size, geometry=((kh, kw), stride, padding, dilation))
    if bias is None:
        return out
    return out + as_tensor(bias, op, "bias").reshape(groups * og, 1, 1)


def _ceil_size(n: int, k: int, s: int, p: int, d: int) -> int:
    """ceil_mode's output length (PyTorch's rule: the last window starts inside the input
    or its left padding, never in the right padding)."""
    span = n + 2 * p - d * (k - 1) - 1
    if span < 0:
        return 0
    size = -(-span // s) + 1
    return size - 1 if (size - 1) * s >= n + p else size


def _pool_geometry(
    op: str,
    x: Tensor,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any = 1,
    ceil_mode: bool = False,
) -> tuple[
    tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]],
    tuple[int, ...],
    tuple[int, ...],
]:
    """((kernel, stride, padding, dilation), (OH, OW), extra): `extra` (h, w) is what
    ceil_mode pads further at the bottom and right so that its last windows fit."""
    ceil_mode = checks.boolean(op, "ceil_mode", ceil_mode)
    kernel = _pair(kernel_size, op, "kernel_size", 1)
    stride = kernel if stride is None or stride == [] or stride == () else _pair(stride, op, "stride", 1)
    padding, dilation = _pair(padding, op, "padding", 0), _pair(dilation, op, "dilation", 1)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"{op}: padding {padding} must be at most half of kernel_size {kernel}")
    geometry = (kernel, stride, padding, dilation)
    if not ceil_mode:
        return geometry, _check_size(op, x, *geometry), (0, 0)
    sizes = tuple(_ceil_size(n, *args) for n, args in zip(x.shape[2:], zip(*geometry)))
    if min(sizes) < 1:
        raise ValueError(
            f"{op}: input of shape {x.shape} is too small for kernel {kernel} with padding "
            f"{padding} and dilation {dilation} (output size {sizes})"
        )
    extra = tuple(
        max(0, (o - 1) * s + d * (k - 1) + 1 - (n + 2 * p))
        for o, n, k, s, p, d in zip(sizes, x.shape[2:], *geometry)
    )
    return geometry, sizes, extra


def max_pool2d(
    x: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
    fused: bool = True,
) -> Tensor | tuple[Tensor, Tensor]:
    """The maximum of each window, as torch's max_pool2d: x (N, C, H, W) -> (N, C, OH, OW);
    stride defaults to kernel_size; padding (<= kernel/2) never wins; ceil_mode=True rounds
    OH, OW up (the last window may hang over the bottom/right edge, but starts inside the
    input or its left padding). The gradient goes to the first maximum of each window
    (row-major), as PyTorch; a NaN counts as the maximum. return_indices=True also returns
    each winner's flat index into its input plane (row W + column), an int64 Tensor of the
    output's shape, as PyTorch's (not differentiable). Differentiable in x.
    fused=True: one `max_pool2d` node (ops.MaxPool2d). fused=False, the twin: the winners'
    positions are a constant index, and x is indexed there."""
    x = _image(x, "max_pool2d")
    return_indices = checks.boolean("max_pool2d", "return_indices", return_indices)
    geometry, (oh, ow), (eh, ew) = _pool_geometry(
        "max_pool2d", x, kernel_size, stride, padding, dilation, ceil_mode
    )
    width = x.shape[3]
    if fused:
        keep = Winners() if return_indices else None
        names = ("kernel", "stride", "padding", "dilation")
        out = MaxPool2d.apply(x, **dict(zip(names, geometry)), extra=(eh, ew), keep=keep)
        return (out, Tensor(derived(kept_indices, keep, width, geometry))) if return_indices else out
    (ph, pw) = geometry[2]
    n, c = x.shape[:2]
    low = lowest(x.dtype)  # the padding never wins
    # (numpy on the values: through `derived`, so that a jit replay finds the winners again)
    first, rows, columns = derived(window_winners, x.data, geometry, (eh, ew), (oh, ow), low)
    xp = x.pad((pw, pw + ew, ph, ph + eh), value=low) if ph or pw or eh or ew else x
    out = xp[np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None], rows, columns]
    return (out, Tensor(derived(flat_indices, first, width, *geometry))) if return_indices else out


def _divisors(n: int, out: int, k: int, s: int, p: int, include_pad: bool) -> np.ndarray:
    """PyTorch's avg_pool2d divisor along one axis: window i spans [i s - p, i s - p + k),
    clipped to the padded input (include_pad) or to the input itself."""
    start = np.arange(out) * s - p
    end = np.minimum(start + k, n + p)
    if not include_pad:
        start, end = np.maximum(start, 0), np.minimum(end, n)
    return end - start


def avg_pool2d(
    x: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """The mean of each window, as torch's avg_pool2d: x (N, C, H, W) -> (N, C, OH, OW);
    stride defaults to kernel_size; zero padding counts in the mean unless
    count_include_pad=False; ceil_mode=True rounds OH, OW up as in `max_pool2d` (the part
    of a last window past the padding never counts); divisor_override (a nonzero int)
    replaces every window's divisor. Composed: `im2col` windows, summed and divided.
    Differentiable in x."""
    x = _image(x, "avg_pool2d")
    include = checks.boolean("avg_pool2d", "count_include_pad", count_include_pad)
    if divisor_override is not None:
        if not isinstance(divisor_override, (int, np.integer)) or isinstance(divisor_override, bool):
            raise TypeError(f"avg_pool2d: divisor_override must be None or an int, got {divisor_override!r}")
        if divisor_override == 0:
            raise ValueError("avg_pool2d: divisor_override must not be zero, got 0")
    geometry, (oh, ow), (eh, ew) = _pool_geometry("avg_pool2d", x, kernel_size, stride, padding, 1, ceil_mode)
    kernel, stride, padding, dilation = geometry
    xp = x.pad((0, ew, 0, eh)) if eh or ew else x
    total = Im2col.apply(xp, kernel=kernel, stride=stride, padding=padding, dilation=dilation).sum(
        axis=(2, 3)
    )
    if divisor_override is not None:
        return total / int(divisor_override)
    h, w = x.shape[2:]
    rows = _divisors(h, oh, kernel[0], stride[0], padding[0], include)
    cols = _divisors(w, ow, kernel[1], stride[1], padding[1], include)
    counts = np.outer(rows, cols)
    if (counts == math.prod(kernel)).all():
        return total / math.prod(kernel)
    return total / Tensor(counts.astype(x.dtype))


def _adaptive_weights(size_in: int, size_out: int, dtype: Any) -> np.ndarray:
    """(size_out, size_in): 1 / window length on window i = [floor(i n / m), ceil((i + 1) n / m))."""
    weights = np.zeros((size_out, size_in), dtype=dtype)
    for i in range(size_out):
        start, end = (i * size_in) // size_out, -((-(i + 1) * size_in) // size_out)
        weights[i, start:end] = 1.0 / (end - start)
    return weights


def adaptive_avg_pool2d(x: Any, output_size: Any) -> Tensor:
    """Average over PyTorch's adaptive windows: x (N, C, H, W) -> (N, C, oh, ow), window i
    of an axis of length n covering [floor(i n / oh), ceil((i + 1) n / oh)); an int
    output_size is square, None keeps that axis. Composed: an einsum with two constant
    averaging matrices. Differentiable."""
    x = _image(x, "adaptive_avg_pool2d")
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    sizes = tuple(n if s is None else s for s, n in zip(sizes, x.shape[2:]))
    oh, ow = _pair(sizes, "adaptive_avg_pool2d", "output_size", 1)
    rows, cols = _adaptive_weights(x.shape[2], oh, x.dtype), _adaptive_weights(x.shape[3], ow, x.dtype)
    return einsum("nchw,ih,jw->ncij", x, Tensor(rows), Tensor(cols))
