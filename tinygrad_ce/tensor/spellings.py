"""What the Tensor says when it is used the numpy or the PyTorch way: numpy functions
that would drop the graph (`_NUMPY_SPELLINGS`: our spelling of each) and `.size`."""

from __future__ import annotations

from typing import Any

_NUMPY_SPELLINGS = {
    "concatenate": "tinygrad_ce.cat(...) or tinygrad_ce.concatenate(...)",
    "stack": "tinygrad_ce.stack(...)",
    "where": "tinygrad_ce.where(cond, a, b)",
    "dot": "a @ b",
    "matmul": "a @ b",
    "clip": "t.clip(lo, hi)",
    "maximum": "tinygrad_ce.maximum(a, b)",
    "minimum": "tinygrad_ce.minimum(a, b)",
    "einsum": "tinygrad_ce.einsum",
    "split": "tinygrad_ce.split(...)",
    "mean": "t.mean()",
    "sum": "t.sum()",
    "max": "t.max()",
    "min": "t.min()",
    "transpose": "t.transpose(...)",
    "reshape": "t.reshape(...)",
    "squeeze": "t.squeeze()",
}


class _Size(int):
    """`.size`: numpy's element count; calling it the PyTorch way says what to use."""

    def __call__(self, dim: Any = None) -> Any:
        raise TypeError(
            "t.size is numpy's element count here (an int); for PyTorch's t.size() use t.shape, "
            "for t.size(d) use t.shape[d], and t.numel() for the count"
        )
