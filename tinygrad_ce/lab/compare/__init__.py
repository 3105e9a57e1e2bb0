"""Compare the fused and the unfused cross-entropy: values, gradients, time, memory, graph size.

    from tinygrad_ce.lab.compare import compare_cross_entropy, compare_model, sweep

    result = compare_cross_entropy(logits, target, label_smoothing=0.1)
    print(result)              # a table
    result.to_dict()           # JSON-ready

Differences are fused minus unfused. A "relative" difference divides the largest
absolute difference by the largest magnitude of the two values compared (for a
gradient: its largest entry), so tiny entries do not dominate it.

- `core`: `compare_cross_entropy` (given logits) and `compare_model` (a model's
  parameters, trained a few steps with `training.fit`), and `Difference`;
- `sweep`: the logit-gap and dtype sweep (`sweep`, `format_sweep`, `plot_sweep`).
- `fused`: `compare_fused(fn, *args, **kwargs)`, any fused op against its twin
  (`fn(..., fused=True)` vs `fn(..., fused=False)`).
"""

from .core import (
    CrossEntropyComparison,
    Difference,
    PathResult,
    compare_cross_entropy,
)
from .fused import FusedComparison, FusedPath, compare_fused
from .model import ModelComparison, ParameterDifference, compare_model
from .sweep import SweepRow, format_sweep, make_logits, plot_sweep, sweep

__all__ = [
    "PathResult",
    "CrossEntropyComparison",
    "compare_cross_entropy",
    "ParameterDifference",
    "ModelComparison",
    "compare_model",
    "Difference",
    "make_logits",
    "SweepRow",
    "sweep",
    "format_sweep",
    "plot_sweep",
    "FusedPath",
    "FusedComparison",
    "compare_fused",
]
