"""A sweep over the logit gap and the dtype: where the fused and unfused cross-entropy
agree, and where float rounding shows. Also importable from `tinygrad_ce.lab.compare`.

    rows = sweep(scales=(1, 10, 100, 1000), dtypes=(np.float32, np.float64))
    print(format_sweep(rows))
    plot_sweep(rows, "sweep.png")     # needs matplotlib
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ... import functional as F
from ...autograd import grad
from ...io import atomic_write
from ...tensor import Tensor
from .core import Difference, _json_ready

__all__ = ["make_logits", "SweepRow", "sweep", "format_sweep", "plot_sweep"]


def make_logits(batch: int, classes: int, scale: float, dtype: Any, rng: np.random.Generator) -> np.ndarray:
    """Random logits (batch, classes) whose every row spans exactly `scale` (max - min),
    the "logit gap"; cast to `dtype`."""
    if batch < 1 or classes < 2:
        raise ValueError(f"make_logits: need batch >= 1 and classes >= 2, got {batch} and {classes}")
    z = rng.standard_normal((batch, classes))
    low, high = z.min(axis=1, keepdims=True), z.max(axis=1, keepdims=True)
    return ((z - low) / (high - low) * scale).astype(dtype)


@dataclass
class SweepRow:
    """One (logit gap, dtype) point. Losses are summed over rows for reduction="none".
    `*_error` compare a path with a reference computed in extended precision
    (np.longdouble; on platforms where that is float64, float64 rows compare with
    themselves): relative error of the loss, largest absolute error of the gradient."""

    scale: float
    dtype: str
    fused_loss: float
    unfused_loss: float
    loss_rel_diff: float  # fused vs unfused
    grad_abs_diff: float  # fused vs unfused, largest |difference|
    fused_loss_error: float
    unfused_loss_error: float
    fused_grad_error: float
    unfused_grad_error: float
    finite: bool  # both paths gave finite losses and gradients

    def to_dict(self) -> dict[str, Any]:
        """Every field as strict-JSON-ready data ("nan"/"inf" strings for non-finite numbers)."""
        return _json_ready(asdict(self))


def _loss_and_grad(data: np.ndarray, target: Any, fused: bool, options: Mapping[str, Any]) -> tuple:
    x = Tensor(data, requires_grad=True)
    loss = F.cross_entropy(x, target, fused=fused, **options)
    (g,) = grad(loss, x, grad_outputs=np.ones_like(loss.data))
    return loss.data, g.data


def _errors(loss: np.ndarray, gradient: np.ndarray, ref_loss: np.ndarray, ref_grad: np.ndarray) -> tuple:
    wide = np.longdouble
    scale = np.abs(ref_loss).max(initial=0)
    loss_error = float(np.abs(loss.astype(wide) - ref_loss).max(initial=0) / (scale if scale > 0 else 1))
    return loss_error, float(np.abs(gradient.astype(wide) - ref_grad).max(initial=0))


def sweep(
    scales: Iterable[float] = (1, 10, 30, 40, 100, 745, 1000),
    dtypes: Iterable[Any] = (np.float32, np.float64),
    *,
    batch: int = 256,
    classes: int = 10,
    seed: int = 0,
    **options: Any,
) -> list[SweepRow]:
    """Fused vs unfused, and each against an extended-precision reference, for logits
    whose rows span each gap in `scales`, in each of `dtypes`. The same random logits
    (rescaled) and targets throughout; `options` as `F.cross_entropy`."""
    rng = np.random.default_rng(seed)
    base = make_logits(batch, classes, 1.0, np.float64, rng)
    target = rng.integers(0, classes, size=batch)
    rows = []
    for dtype in dtypes:
        for scale in scales:
            data = (base * scale).astype(dtype)
            fused_loss, fused_grad = _loss_and_grad(data, target, True, options)
            unfused_loss, unfused_grad = _loss_and_grad(data, target, False, options)
            ref_loss, ref_grad = _loss_and_grad(data.astype(np.longdouble), target, True, options)
            finite = all(np.isfinite(a).all() for a in (fused_loss, unfused_loss, fused_grad, unfused_grad))
            loss_diff = Difference.of(fused_loss, unfused_loss).max_rel
            grad_diff = Difference.of(fused_grad, unfused_grad).max_abs
            rows.append(
                SweepRow(
                    float(scale),
                    np.dtype(dtype).name,
                    float(np.sum(fused_loss)),
                    float(np.sum(unfused_loss)),
                    loss_diff,
                    grad_diff,
                    *_pair(
                        _errors(fused_loss, fused_grad, ref_loss, ref_grad),
                        _errors(unfused_loss, unfused_grad, ref_loss, ref_grad),
                    ),
                    bool(finite),
                )
            )
    return rows


def _pair(fused: tuple[float, float], unfused: tuple[float, float]) -> tuple[float, float, float, float]:
    """(fused loss, unfused loss, fused grad, unfused grad) errors in SweepRow's order."""
    return fused[0], unfused[0], fused[1], unfused[1]


def format_sweep(rows: Sequence[SweepRow]) -> str:
    """The sweep as a text table (errors are against the extended-precision reference)."""
    head = (
        f"{'gap':>6}  {'dtype':>7}  {'loss':>10}  {'loss f-u':>8}  {'grad f-u':>8}  "
        f"{'loss err f':>10}  {'loss err u':>10}  {'grad err f':>10}  {'grad err u':>10}  finite"
    )
    lines = [head]
    for r in rows:
        lines.append(
            f"{r.scale:>6g}  {r.dtype:>7}  {r.fused_loss:>10.5g}  {r.loss_rel_diff:>8.2g}  "
            f"{r.grad_abs_diff:>8.2g}  {r.fused_loss_error:>10.2g}  {r.unfused_loss_error:>10.2g}  "
            f"{r.fused_grad_error:>10.2g}  {r.unfused_grad_error:>10.2g}  {'yes' if r.finite else 'NO'}"
        )
    return "\n".join(lines)


def plot_sweep(rows: Sequence[SweepRow], path: str | os.PathLike[str], title: str | None = None) -> Path:
    """Plot the sweep to `path` (.png, .svg or .pdf; written atomically) and return it.

    Three panels over the logit gap: each path's loss error and gradient error against
    the reference, and the fused-vs-unfused gradient difference. Needs matplotlib
    (the Agg backend; pyplot is not touched); without it a ModuleNotFoundError says how
    to install it. Exact zeros are drawn on the bottom edge."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ModuleNotFoundError(
            "plot_sweep needs matplotlib: pip install matplotlib (or pip install 'tinygrad-ce[extras]')",
            name="matplotlib",
        ) from None
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in ("png", "svg", "pdf"):
        raise ValueError(f"plot_sweep: the file name must end in .png, .svg or .pdf, got {path.name!r}")
    fig = Figure(figsize=(13, 3.9), layout="constrained")
    FigureCanvasAgg(fig)
    if title:
        fig.suptitle(title, fontsize=11)
    panels = (
        ("loss: relative error vs reference", "fused_loss_error", "unfused_loss_error"),
        ("gradient: max abs error vs reference", "fused_grad_error", "unfused_grad_error"),
        ("gradient: max |fused - unfused|", "grad_abs_diff", None),
    )
    colours = ("#1c7ed6", "#e8590c", "#2b8a3e", "#862e9c")
    dtypes = list(dict.fromkeys(r.dtype for r in rows))
    for ax, (title, fused_field, unfused_field) in zip(fig.subplots(1, 3), panels):
        fields = [f for f in (fused_field, unfused_field) if f]
        values = [getattr(r, f) for r in rows for f in fields]
        positive = [v for v in values if v > 0 and math.isfinite(v)]
        floor = min(positive) / 10 if positive else 1e-20
        for colour, dtype in zip(colours, dtypes):
            mine = [r for r in rows if r.dtype == dtype]
            gaps = [r.scale for r in mine]
            for f, style, who in ((fused_field, "o-", "fused "), (unfused_field, "x--", "unfused ")):
                if f is None:
                    continue
                ys = [max(getattr(r, f), floor) if math.isfinite(getattr(r, f)) else np.nan for r in mine]
                ax.plot(
                    gaps,
                    ys,
                    style,
                    color=colour,
                    label=(who if unfused_field else "") + dtype,
                    markersize=5,
                    alpha=0.85,
                )
        if any(v == 0 for v in values):
            ax.text(
                0.02,
                0.02,
                "points on the bottom edge are exact zeros",
                transform=ax.transAxes,
                fontsize=7,
                color="#868e96",
            )
        ax.set(xscale="log", yscale="log", xlabel="logit gap (max - min of each row)")
        ax.set_title(title, fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, format=fmt, dpi=110)
    return path
