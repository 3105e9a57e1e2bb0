"""Activations, losses and joining (`import tinygrad_ce.functional as F`), composed from
public Tensor ops so their gradients come from the graph; the fused ops
(`softmax_cross_entropy`, `linear`) are single primitives with closed-form backwards,
checked by their composed twins (`fused=False`)."""
from .activations import (
    as_tensor,
    celu,
    elu,
    gelu,
    hardsigmoid,
    hardswish,
    hardtanh,
    leaky_relu,
    linear,
    log_softmax,
    logsigmoid,
    mish,
    normalize,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softmin,
    softplus,
    softsign,
    tanh,
    where,
)
from .attention import scaled_dot_product_attention
from .conv import adaptive_avg_pool2d, avg_pool2d, conv1d, conv2d, conv_transpose2d, max_pool2d
from .joining import array_split, cat, chunk, concatenate, einsum, maximum, minimum, split, stack
from .layers import dropout, one_hot, pad
from .losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
    softmax_cross_entropy,
)
from .norm import batch_norm, embedding, layer_norm
from .scopes import Scope, current_scope, named_scope

__all__ = [
    "relu", "sigmoid", "tanh", "softmax", "log_softmax", "linear", "where", "as_tensor",
    "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish", "softplus", "softsign", "hardtanh", "relu6",
    "hardsigmoid", "hardswish", "logsigmoid", "softmin", "normalize", "dropout", "one_hot", "pad",
    "softmax_cross_entropy", "cross_entropy", "nll_loss", "mse_loss", "binary_cross_entropy_with_logits",
    "binary_cross_entropy", "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div",
    "layer_norm", "batch_norm", "embedding",
    "named_scope", "Scope", "current_scope", "scaled_dot_product_attention",
    "cat", "concatenate", "stack", "split", "array_split", "chunk", "maximum", "minimum", "einsum",
    "conv1d", "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d",
]
