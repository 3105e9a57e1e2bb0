"""Normalization layers and `Embedding`, with PyTorch's names, shapes, buffers and
initialisation (so a PyTorch state dict loads); the math is in `functional.norm`."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _checks as checks
from .. import functional as F
from ..autograd.trace import replayed
from ..rng import as_generator
from ..tensor import Tensor, get_default_dtype
from .layers import _input_tensor
from .module import Module
from .parameter import Parameter


def _dtype(owner: str, dtype: Any) -> np.dtype:
    dtype = checks.float_dtype(owner, "dtype", dtype)
    return np.dtype(get_default_dtype() if dtype is None else dtype)


class LayerNorm(Module):
    """Normalize over the last axes, x (*, *normalized_shape) -> same shape (see
    F.layer_norm). `weight` (ones) and `bias` (zeros) of shape normalized_shape when
    `elementwise_affine` (bias only if `bias`). `fused=False` runs the composed twin."""

    weight: Parameter | None  # (registered in __init__)
    bias: Parameter | None

    def __init__(
        self,
        normalized_shape: Any,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        dtype: Any = None,
        fused: bool = True,
    ) -> None:
        super().__init__()
        one = isinstance(normalized_shape, (int, np.integer))
        dims = (normalized_shape,) if one else tuple(normalized_shape)
        self.normalized_shape = tuple(checks.integer("LayerNorm", "normalized_shape", n, low=1) for n in dims)
        self.eps = checks.number("LayerNorm", "eps", eps, low=0.0)
        self.elementwise_affine = checks.boolean("LayerNorm", "elementwise_affine", elementwise_affine)
        bias = checks.boolean("LayerNorm", "bias", bias)
        self.fused = checks.boolean("LayerNorm", "fused", fused)
        dtype = _dtype("LayerNorm", dtype)
        affine, shape = self.elementwise_affine, self.normalized_shape
        self.register_parameter("weight", Parameter(np.ones(shape, dtype)) if affine else None)
        self.register_parameter("bias", Parameter(np.zeros(shape, dtype)) if affine and bias else None)

    def forward(self, x: Any) -> Tensor:
        x = x if isinstance(x, Tensor) else _input_tensor("LayerNorm", x, self._dtype())
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps, fused=self.fused)

    def _dtype(self) -> Any:
        return None if self.weight is None else self.weight.data.dtype

    def extra_repr(self) -> str:
        affine, bias = self.elementwise_affine, self.bias is not None
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={affine}, bias={bias}"


class _BatchNorm(Module):
    """Shared by BatchNorm1d/2d (PyTorch's _BatchNorm): parameters `weight` (ones) and
    `bias` (zeros; keyword `bias=False`: none) of shape (num_features,) when `affine`; buffers `running_mean`
    (zeros), `running_var` (ones) and `num_batches_tracked` (int64 0) when
    `track_running_stats`. Training mode normalizes with the batch statistics and
    updates the buffers in place; eval mode uses the running statistics (the batch's
    when not tracked). momentum=None: a cumulative average (1 / num_batches_tracked)."""

    expected_ndim: tuple[int, ...] = ()
    weight: Parameter | None  # (registered in __init__; None without affine)
    bias: Parameter | None
    # (buffers; None without track_running_stats, and then only compared with None)
    running_mean: Tensor
    running_var: Tensor
    num_batches_tracked: Tensor

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype: Any = None,
        *,
        bias: bool = True,
        fused: bool = True,
    ) -> None:
        super().__init__()
        owner = type(self).__name__
        self.num_features = checks.integer(owner, "num_features", num_features, low=1)
        self.eps = checks.number(owner, "eps", eps, low=0.0)
        self.momentum = None if momentum is None else checks.number(owner, "momentum", momentum, 0.0, 1.0)
        self.affine = checks.boolean(owner, "affine", affine)
        self.track_running_stats = checks.boolean(owner, "track_running_stats", track_running_stats)
        self.fused = checks.boolean(owner, "fused", fused)
        dtype = _dtype(owner, dtype)
        n = self.num_features
        self.register_parameter("weight", Parameter(np.ones(n, dtype)) if affine else None)
        has_bias = affine and checks.boolean(owner, "bias", bias)
        self.register_parameter("bias", Parameter(np.zeros(n, dtype)) if has_bias else None)
        tracked = self.track_running_stats
        self.register_buffer("running_mean", Tensor(np.zeros(n, dtype)) if tracked else None)
        self.register_buffer("running_var", Tensor(np.ones(n, dtype)) if tracked else None)
        self.register_buffer("num_batches_tracked", Tensor(np.array(0, np.int64)) if tracked else None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def forward(self, x: Any) -> Tensor:
        owner = type(self).__name__
        x = x if isinstance(x, Tensor) else _input_tensor(owner, x, self.running_dtype())
        if x.ndim not in self.expected_ndim:
            wanted = " or ".join(f"{d}D" for d in self.expected_ndim)
            raise ValueError(f"{owner}: expected {wanted} input (got {x.ndim}D input of shape {x.shape})")
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{owner}: expected {self.num_features} channels (num_features) in axis 1, "
                f"got input of shape {x.shape}"
            )
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            _count_batch(self.num_batches_tracked)
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.data)
        use_batch = self.training or self.running_mean is None
        tracked = not self.training or self.track_running_stats
        return F.batch_norm(
            x,
            self.running_mean if tracked else None,
            self.running_var if tracked else None,
            self.weight,
            self.bias,
            use_batch,
            factor,
            self.eps,
            fused=self.fused,
        )

    def running_dtype(self) -> Any:
        source = self.weight if self.weight is not None else self.running_mean
        return None if source is None else source.data.dtype

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}"
        )


@replayed  # tinygrad_ce.jit counts again at each replay
def _count_batch(tracked: Tensor) -> None:
    tracked.data[...] += 1


class BatchNorm1d(_BatchNorm):
    """Batch norm of (N, C) or (N, C, L) input over N (and L), per channel C."""

    expected_ndim = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm of (N, C, H, W) input over N, H and W, per channel C."""

    expected_ndim = (4,)


class Embedding(Module):
    """A lookup table: integer idx (*) -> rows of `weight` (*, embedding_dim).
    weight (num_embeddings, embedding_dim) ~ N(0, 1), the `padding_idx` row zeroed and
    given no gradient, as PyTorch. `rng`: a seed or Generator (default: `manual_seed`)."""

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        rng: int | np.random.Generator | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.num_embeddings = checks.integer("Embedding", "num_embeddings", num_embeddings, low=1)
        self.embedding_dim = checks.integer("Embedding", "embedding_dim", embedding_dim, low=1)
        n = self.num_embeddings
        if padding_idx is not None:
            padding_idx = checks.integer("Embedding", "padding_idx", padding_idx)
            if not -n <= padding_idx < n:
                raise ValueError(
                    f"Embedding: padding_idx must be in [-{n}, {n}) (num_embeddings={n}), got {padding_idx}"
                )
            padding_idx %= n  # PyTorch stores it non-negative
        self.padding_idx = padding_idx
        dtype = _dtype("Embedding", dtype)
        with checks.allocating("Embedding", f"num_embeddings={n} x embedding_dim={embedding_dim}"):
            generator = as_generator(rng, "Embedding", "rng")
            weight = generator.standard_normal((n, self.embedding_dim)).astype(dtype)
        if padding_idx is not None:
            weight[padding_idx] = 0
        self.weight = Parameter(weight)

    def forward(self, idx: Any) -> Tensor:
        return F.embedding(idx, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"
