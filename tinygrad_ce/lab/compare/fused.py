"""`compare_fused`: any function with a fused fast path and its composed twin (`fused=True`
/ `fused=False`), compared on the same arguments: values, gradients, time, memory, graph size.
See `tinygrad_ce.lab.compare`."""

from __future__ import annotations

import inspect
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ...autograd import grad
from ...tensor import Tensor
from ..viz.graph import walk
from .core import Difference, _json_ready, _median_time, _peak_bytes, paths_table

__all__ = ["FusedPath", "FusedComparison", "compare_fused"]


@dataclass
class FusedPath:
    """One path's cost: median seconds per forward and per backward call, the peak of
    memory allocated during one forward and backward (tracemalloc), and the graph's ops
    and nodes (tensors plus ops) from the output back to the leaves."""

    forward_seconds: float
    backward_seconds: float
    peak_bytes: int
    ops: int
    nodes: int


@dataclass(repr=False)
class FusedComparison:
    """The result of `compare_fused`; `print` it (or `repr`) for a table, `to_dict()` for JSON.

    `value_difference`: fused minus unfused output; `grad_differences`: the same for the
    gradient of each argument that requires grad (keyed by fn's parameter name, or
    `"arg0"`, ... where it has none), with its worst position; `max_grad_difference` /
    `worst_grad`: the largest of those and whose it is."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    repeats: int
    fused: FusedPath
    unfused: FusedPath
    value_difference: Difference
    grad_differences: dict[str, Difference] = field(default_factory=dict)
    max_grad_difference: float = 0.0
    worst_grad: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Every field as strict-JSON-ready data (lists, Python numbers, "nan"/"inf" strings)."""
        return _json_ready(asdict(self))

    def __str__(self) -> str:
        title = f"{self.name}: output {self.shape} {self.dtype}; {self.repeats} repeats"
        grads = [(f"grad {k}", d) for k, d in self.grad_differences.items()]
        differences = [("value", self.value_difference), *grads]
        lines = paths_table(title, self.fused, self.unfused, differences)
        if self.worst_grad is not None:
            lines.append(f"max gradient difference: {self.max_grad_difference:.3g} ({self.worst_grad})")
        return "\n".join(lines)

    __repr__ = __str__


def _output(result: Any) -> Tensor:
    """The compared output: the Tensor itself, or the first Tensor of a tuple (MultiheadAttention's)."""
    if isinstance(result, (tuple, list)):
        result = next((r for r in result if isinstance(r, Tensor)), None)
    if not isinstance(result, Tensor):
        raise TypeError(
            f"compare_fused: fn must return a Tensor (or a tuple starting with one), got "
            f"{type(result).__name__}"
        )
    return result


def _measure(
    call: Callable[..., Any], inputs: list[Tensor], seed: np.ndarray | None, repeats: int
) -> tuple[FusedPath, np.ndarray, list[np.ndarray]]:
    def backward(out: Tensor) -> list[np.ndarray]:
        if not inputs:
            return []
        g = np.ones_like(out.data) if seed is None else seed.astype(out.dtype)
        gs = grad(out, inputs, grad_outputs=g, allow_unused=True)
        return [np.zeros_like(x.data) if d is None else d.data for x, d in zip(inputs, gs)]

    def both() -> tuple[Tensor, list[np.ndarray]]:
        out = _output(call())
        return out, backward(out)

    out = _output(call())  # warm-up, and the graph to count
    graph = walk([out])
    grads = backward(out)
    forward_seconds, _ = _median_time(lambda: _output(call()), repeats)
    outs = [_output(call()) for _ in range(repeats)]
    times = []
    for o in outs:
        start = time.perf_counter()
        backward(o)
        times.append(time.perf_counter() - start)
    del outs
    path = FusedPath(
        forward_seconds, statistics.median(times), _peak_bytes(both), len(graph.ops), graph.node_count
    )
    return path, out.data, grads


def _names(fn: Callable[..., Any], count: int) -> list[str]:
    """The names of fn's first `count` positional parameters (`arg0`, ... where unknown)."""
    try:
        params = [
            p.name
            for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        params = []
    return [params[i] if i < len(params) else f"arg{i}" for i in range(count)]


def compare_fused(
    fn: Callable[..., Any], *args: Any, repeats: int = 5, grad_output: Any = "random", **kwargs: Any
) -> FusedComparison:
    """Call `fn(*args, fused=True, **kwargs)` and `fn(*args, fused=False, **kwargs)` and compare.

    `fn` returns a Tensor (or a tuple whose first Tensor is compared). The gradients are
    those of every Tensor in `args` / `kwargs` that requires grad, for the seed
    `grad_output`: "random" (a fixed standard-normal draw of the output's shape, from its
    own seeded generator: every entry then matters), None (ones) or an array. Each path runs
    `repeats` times (after one warm-up) for the median forward and backward times, and once
    more under tracemalloc for its peak memory. A random `fn` (dropout) must draw the same
    numbers on both calls to be compared."""
    if repeats < 1:
        raise ValueError(f"compare_fused: repeats must be at least 1, got {repeats}")
    if "fused" in kwargs:
        raise TypeError("compare_fused: do not pass fused=; it calls fn with fused=True and fused=False")
    named = list(zip(_names(fn, len(args)), args)) + list(kwargs.items())
    watched = [(name, a) for name, a in named if isinstance(a, Tensor) and a.requires_grad]
    inputs = [a for _, a in watched]
    probe = _output(fn(*args, fused=True, **kwargs))
    seed: np.ndarray | None
    if isinstance(grad_output, str):
        if grad_output != "random":
            raise ValueError(
                f"compare_fused: grad_output must be 'random', None or an array, got {grad_output!r}"
            )
        seed = np.random.default_rng(0).standard_normal(probe.shape)
    else:
        seed = None if grad_output is None else np.asarray(getattr(grad_output, "data", grad_output))
    results = [
        _measure(lambda f=f: fn(*args, fused=f, **kwargs), inputs, seed, repeats) for f in (True, False)
    ]
    (fused, fused_value, fused_grads), (unfused, unfused_value, unfused_grads) = results
    diffs = {name: Difference.of(a, b) for (name, _), a, b in zip(watched, fused_grads, unfused_grads)}
    worst = max(diffs, key=lambda k: (np.isnan(diffs[k].max_abs), diffs[k].max_abs), default=None)
    return FusedComparison(
        getattr(fn, "__name__", type(fn).__name__),
        tuple(probe.shape),
        str(probe.dtype),
        repeats,
        fused,
        unfused,
        Difference.of(fused_value, unfused_value),
        diffs,
        diffs[worst].max_abs if worst is not None else 0.0,
        worst,
    )
