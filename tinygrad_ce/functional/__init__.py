"""Activations and losses (`import tinygrad_ce.functional as F`), composed from public
Tensor ops so their gradients come from the graph; the fused ops (`softmax_cross_entropy`,
`linear`) are single primitives with closed-form backwards, checked by their twins."""
from .activations import as_tensor, linear, log_softmax, relu, sigmoid, softmax, tanh, where
from .joining import array_split, cat, chunk, concatenate, einsum, maximum, minimum, split, stack
from .losses import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    mse_loss,
    nll_loss,
    softmax_cross_entropy,
)
from .scopes import Scope, current_scope, named_scope

__all__ = [
    "relu", "sigmoid", "tanh", "softmax", "log_softmax", "linear", "where", "as_tensor",
    "softmax_cross_entropy", "cross_entropy", "nll_loss", "mse_loss", "binary_cross_entropy_with_logits",
    "named_scope", "Scope", "current_scope",
    "cat", "concatenate", "stack", "split", "array_split", "chunk", "maximum", "minimum", "einsum",
]
