"""The comparison of the two paths on given logits (`compare_cross_entropy`), and
`Difference`, which every comparison reports.
See `tinygrad_ce.lab.compare`."""

from __future__ import annotations

import math
import statistics
import time
import tracemalloc
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ... import functional as F
from ...autograd import grad
from ...tensor import Tensor
from ..viz.graph import walk

__all__ = [
    "PathResult",
    "CrossEntropyComparison",
    "compare_cross_entropy",
    "Difference",
]


def _json_ready(value: Any) -> Any:
    """Tuples become lists, numpy scalars Python numbers, non-finite floats strings."""
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "nan", "inf", "-inf": strict JSON has no such numbers
    return value


@dataclass
class Difference:
    """How far two arrays are apart: the largest |a - b|, that divided by the largest
    |a| or |b|, where it happens, and both values there (nan/inf count as largest)."""

    max_abs: float
    max_rel: float
    worst_index: tuple[int, ...]
    fused_value: float
    unfused_value: float

    @classmethod
    def of(cls, a: np.ndarray, b: np.ndarray) -> Difference:
        """The difference of `a` (fused) and `b` (unfused), compared in float64."""
        a64, b64 = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        diff = np.abs(a64 - b64)
        bad = ~np.isfinite(diff)
        flat = int(np.argmax(bad)) if bad.any() else int(np.argmax(diff)) if diff.size else 0
        index = tuple(int(i) for i in np.unravel_index(flat, diff.shape)) if diff.size else ()
        worst = float(diff.flat[flat]) if diff.size else 0.0
        scale = float(max(np.abs(a64).max(initial=0.0), np.abs(b64).max(initial=0.0)))
        rel = worst / scale if scale > 0 else (0.0 if worst == 0 else math.inf)
        if bad.any():
            rel = math.nan
        return cls(
            worst,
            rel,
            index,
            float(a64.flat[flat]) if diff.size else 0.0,
            float(b64.flat[flat]) if diff.size else 0.0,
        )


@dataclass
class PathResult:
    """One path's numbers. `loss`: the loss (summed over rows for reduction="none");
    times in seconds (median of the repeats); `peak_bytes`: the most memory allocated
    at once during one forward and backward (tracemalloc); graph size from the logits."""

    loss: float
    forward_seconds: float
    backward_seconds: float
    peak_bytes: int
    ops: int
    nodes: int


@dataclass
class CrossEntropyComparison:
    """The result of `compare_cross_entropy`: print it for a table, `to_dict()` for JSON."""

    shape: tuple[int, ...]
    dtype: str
    options: dict[str, Any]
    repeats: int
    fused: PathResult
    unfused: PathResult
    loss_difference: Difference
    grad_difference: Difference

    def to_dict(self) -> dict[str, Any]:
        """Every field as strict-JSON-ready data (lists, Python numbers, "nan"/"inf" strings)."""
        return _json_ready(asdict(self))

    def __str__(self) -> str:
        opts = ", ".join(f"{k}={v}" for k, v in self.options.items()) or "defaults"
        title = f"cross-entropy of logits {self.shape} {self.dtype}; {opts}; {self.repeats} repeats"
        loss = ("loss", f"{self.fused.loss:.10g}", f"{self.unfused.loss:.10g}")
        differences = [("loss", self.loss_difference), ("gradient", self.grad_difference)]
        return "\n".join(paths_table(title, self.fused, self.unfused, differences, [loss]))


def paths_table(
    title: str,
    f: Any,
    u: Any,
    differences: list[tuple[str, Difference]],
    extra_rows: list[tuple[str, str, str]] | None = None,
) -> list[str]:
    """The lines of a fused-vs-unfused table: time, memory and graph size per path (`f`, `u`
    have forward_seconds, backward_seconds, peak_bytes, nodes, ops), then each difference."""
    rows = [
        *(extra_rows or []),
        ("forward (ms, median)", f"{f.forward_seconds * 1e3:.3f}", f"{u.forward_seconds * 1e3:.3f}"),
        ("backward (ms, median)", f"{f.backward_seconds * 1e3:.3f}", f"{u.backward_seconds * 1e3:.3f}"),
        ("peak memory (KiB)", f"{f.peak_bytes / 1024:,.1f}", f"{u.peak_bytes / 1024:,.1f}"),
        ("graph: nodes (ops)", f"{f.nodes} ({f.ops})", f"{u.nodes} ({u.ops})"),
    ]
    width = max(len(r[0]) for r in rows)
    lines = [title, f"{'':{width}}  {'fused':>14}  {'unfused':>14}"]
    lines += [f"{name:{width}}  {a:>14}  {b:>14}" for name, a, b in rows]
    for name, d in differences:
        where = f" at {d.worst_index}" if d.worst_index else ""
        lines.append(
            f"{name} difference: max abs {d.max_abs:.3g}, relative {d.max_rel:.3g}{where} "
            f"(fused {d.fused_value:.6g}, unfused {d.unfused_value:.6g})"
        )
    return lines


def _median_time(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _peak_bytes(fn: Callable[[], Any]) -> int:
    """The peak of traced allocations while `fn` runs, above what was allocated before."""
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        kept = fn()  # noqa: F841  (held until the peak is read)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if started:
            tracemalloc.stop()
    return max(peak - base, 0)


def _measure(data: np.ndarray, target: Any, fused: bool, repeats: int, options: Mapping[str, Any]) -> tuple:
    def forward() -> tuple[Tensor, Tensor]:
        x = Tensor(data, requires_grad=True)
        return x, F.cross_entropy(x, target, fused=fused, **options)

    def backward(x: Tensor, loss: Tensor) -> Tensor:
        return grad(loss, x, grad_outputs=np.ones_like(loss.data))[0]

    def both() -> tuple[Tensor, Tensor]:
        x, loss = forward()
        return loss, backward(x, loss)

    x, loss = forward()  # warm-up, and the graph to count
    graph = walk([loss])
    backward(x, loss)
    forward_seconds, _ = _median_time(forward, repeats)
    pairs = [forward() for _ in range(repeats)]
    backward_times = []
    for x, loss in pairs:
        start = time.perf_counter()
        gradient = backward(x, loss)
        backward_times.append(time.perf_counter() - start)
    del pairs
    peak = _peak_bytes(both)
    result = PathResult(
        float(np.sum(loss.data, dtype=np.float64)),
        forward_seconds,
        statistics.median(backward_times),
        peak,
        len(graph.ops),
        graph.node_count,
    )
    return result, loss.data, gradient.data


def compare_cross_entropy(
    logits: Any, target: Any, *, repeats: int = 5, **options: Any
) -> CrossEntropyComparison:
    """Run the fused and the unfused `F.cross_entropy` on the same `logits` ((*, C),
    a Tensor or array; only its values are used) and `target`, and compare them.

    `options` are `F.cross_entropy`'s: reduction, label_smoothing, ignore_index, weight.
    Each path runs `repeats` times (after one warm-up) for the median forward and
    backward times, and once more under tracemalloc for its peak memory."""
    if repeats < 1:
        raise ValueError(f"compare_cross_entropy: repeats must be at least 1, got {repeats}")
    unknown = set(options) - {"reduction", "label_smoothing", "ignore_index", "weight"}
    if unknown:
        raise TypeError(f"compare_cross_entropy: unknown option(s) {', '.join(sorted(unknown))}")
    data = logits.data if isinstance(logits, Tensor) else np.asarray(logits)
    if data.dtype.kind != "f":
        raise TypeError(f"compare_cross_entropy: logits must be floating point, got dtype {data.dtype}")
    fused, fused_loss, fused_grad = _measure(data, target, True, repeats, options)
    unfused, unfused_loss, unfused_grad = _measure(data, target, False, repeats, options)
    shown = {k: ("given" if k == "weight" and v is not None else v) for k, v in options.items()}
    return CrossEntropyComparison(
        tuple(data.shape),
        str(data.dtype),
        shown,
        repeats,
        fused,
        unfused,
        Difference.of(fused_loss, unfused_loss),
        Difference.of(fused_grad, unfused_grad),
    )
