"""Write a `StudyResult` (`tinygrad_ce.lab.study`) to a folder: CSV, JSON, a Markdown table and PNG plots.

Every file is written atomically (`tinygrad_ce.io.atomic_write`: a temporary file in
the same folder, then a rename), so an interrupted run never leaves a half-written file.
The plots need matplotlib (optional: without it the data files are still written and the
returned note says so); it is imported lazily, and the figures are `matplotlib.figure.Figure`
objects drawn with Agg, so pyplot's global state and backend are left alone.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from ...io import atomic_write
from .core import VARIANTS, StudyResult, fused_unfused_agree, fused_unfused_gradients_agree

__all__ = [
    "format_epochs",
    "markdown_table",
    "agreement_line",
    "results_dict",
    "write_results",
    "COLORS",
    "STYLES",
    "SWEEP_LABELS",
]

COLORS = {
    "ce_fused": "#1c7ed6",
    "ce_unfused": "#000000",
    "softmax_mse": "#e8590c",
    "sigmoid_mse": "#2f9e44",
    "linear_mse": "#ae3ec9",
}
STYLES = {"ce_unfused": {"linestyle": (0, (2, 3)), "linewidth": 1.2}}
SWEEP_LABELS = {"ce_fused": "softmax + CE", "softmax_mse": "softmax + MSE", "sigmoid_mse": "sigmoid + MSE"}


# ----------------------------------------------------------------------------- text
def format_epochs(mean: float | None, std: float | None, reached: int, seeds: int) -> str:
    """'12.3 ± 1.2', with '(2/3 seeds)' when not every seed got there, '—' when none did."""
    if mean is None:
        return "—"
    text = f"{mean:.1f} ± {std:.1f}" if seeds > 1 else f"{mean:.0f}"
    return text if reached == seeds else f"{text} ({reached}/{seeds} seeds)"


def markdown_table(result: StudyResult) -> str:
    """The summary as a Markdown table per dataset, and the fused/unfused agreement line."""
    lines = []
    for dataset in result.datasets():
        lines += [
            f"**{dataset}**",
            "",
            "| variant | epochs to 90% | epochs to 95% | final train acc | final test acc "
            "| outputs outside [0, 1] (test set) |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for row in (r for r in result.summary_rows() if r["dataset"] == dataset):
            cells = [
                format_epochs(
                    row[f"epochs_to_{t}"],
                    row[f"epochs_to_{t}_std"],
                    row[f"epochs_to_{t}_reached"],
                    row["seeds"],
                )
                for t in (90, 95)
            ]
            outside = f"{100 * row['outside_unit']:.1f}%"
            if row["outside_unit"] > 0:
                outside += f" (from {row['output_min']:.2f} to {row['output_max']:.2f})"
            lines.append(
                f"| {row['label']} | {cells[0]} | {cells[1]} | {row['final_train_acc']:.3f} "
                f"| {row['final_test_acc']:.3f} | {outside} |"
            )
        lines.append("")
    lines.append(agreement_line(result))
    return "\n".join(lines) + "\n"


def agreement_line(result: StudyResult) -> str:
    """Whether (a) and (b) agree, with the largest differences, in one or two sentences."""
    diff = result.fused_unfused_difference()
    step = f"at every step their logit gradients differ by at most {diff['step_gradient']:.2g}"
    if not fused_unfused_gradients_agree(result):
        return f"(a) fused and (b) unfused DIFFER: {step}, more than rounding."
    if fused_unfused_agree(result):
        return (
            f"(a) fused and (b) unfused agree to float rounding: max |loss difference| {diff['loss']:.2g}, "
            f"max |weight difference| {diff['parameters']:.2g}, identical accuracies (float64, every epoch, "
            f"every seed); {step}."
        )
    return (
        f"(a) fused and (b) unfused drift apart (max |loss difference| {diff['loss']:.2g}) although {step}: "
        "rounding amplified by unstable training (lower the learning rate), not a gradient mismatch."
    )


# ----------------------------------------------------------------------------- files
def _atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically, making its folder if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as handle:
        handle.write(data)


def _csv_bytes(header: list[str], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def _rounded(values: list[float]) -> list[float]:
    return [float(f"{v:.7g}") for v in values]


def results_dict(result: StudyResult) -> dict[str, Any]:
    """The study's configuration, summary, per-run results and gradient pictures, JSON-ready
    (per-epoch and per-step histories are in histories.csv and first_layer_grad.csv)."""
    return {
        "config": result.config.to_dict(),
        "variants": VARIANTS,
        "summary": result.summary_rows(),
        "fused_vs_unfused": {
            **result.fused_unfused_difference(),
            "curves_agree": fused_unfused_agree(result),
            "gradients_agree": fused_unfused_gradients_agree(result),
            "statement": agreement_line(result),
        },
        "skipped": result.skipped,
        "logit_gradient_sweep": result.sweep,
        "runs": [
            {
                "dataset": r.dataset,
                "variant": r.variant,
                "seed": r.seed,
                "epochs_to_90": r.epochs_to(0.90),
                "epochs_to_95": r.epochs_to(0.95),
                "final_loss": r.loss[-1],
                "final_train_acc": r.train_acc[-1],
                "final_test_acc": r.test_acc[-1],
                "outside_unit": r.outside_unit,
                "output_range": list(r.output_range),
                "per_sample_logit_gradients": {
                    str(e): {k: _rounded(v) for k, v in s.items()} for e, s in r.scatter.items()
                },
            }
            for r in result.runs
        ],
    }


def write_results(
    result: StudyResult, out: str | Path, images: str | Path | None = None
) -> tuple[list[Path], str]:
    """Write the data files to `out` and the `study-*.png` plots to `images` (default:
    `out`). Returns the paths written and a note ('' or why the plots were skipped)."""
    out = Path(out)
    images = Path(images) if images is not None else out
    written: list[Path] = []

    def put(path: Path, data: bytes) -> None:
        _atomic_write(path, data)
        written.append(path)

    rows = result.summary_rows()
    put(out / "summary.csv", _csv_bytes(list(rows[0]), [list(r.values()) for r in rows]))
    history = [
        [r.dataset, r.variant, r.seed, epoch, f"{loss:.9g}", r.train_acc[epoch], r.test_acc[epoch]]
        for r in result.runs
        for epoch, loss in enumerate(r.loss)
    ]
    put(
        out / "histories.csv",
        _csv_bytes(["dataset", "variant", "seed", "epoch", "loss", "train_acc", "test_acc"], history),
    )
    steps = [
        [r.dataset, r.variant, r.seed, step, f"{g:.9g}"]
        for r in result.runs
        for step, g in enumerate(r.first_layer_grad)
    ]
    put(out / "first_layer_grad.csv", _csv_bytes(["dataset", "variant", "seed", "step", "grad_norm"], steps))
    put(out / "results.json", json.dumps(results_dict(result), indent=1).encode())
    put(out / "summary.md", markdown_table(result).encode())
    try:
        import matplotlib.figure  # noqa: F401  (the plots below import Figure from it)
    except ImportError:
        return written, "matplotlib is not installed: plots skipped (pip install matplotlib)"
    for name, figure in _figures(result):
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
        put(images / f"study-{name}.png", buffer.getvalue())
    return written, ""


# ----------------------------------------------------------------------------- plots
def _figures(result: StudyResult) -> list[tuple[str, Any]]:
    figures = [(f"curves-{dataset}", _curves(result, dataset)) for dataset in result.datasets()]
    figures.append(("gradient-vs-probability", _gradient_vs_probability(result)))
    figures.append(("first-layer-grad", _first_layer_grad(result)))
    return figures


def _curves(result: StudyResult, dataset: str) -> Any:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(11, 4))
    loss_ax, acc_ax = figure.subplots(1, 2)
    for variant, label in VARIANTS.items():
        runs = result.runs_of(dataset, variant)
        style = {"color": COLORS[variant], "linewidth": 1.8, **STYLES.get(variant, {})}
        epochs = np.arange(len(runs[0].loss))
        loss_ax.plot(epochs, np.mean([r.loss for r in runs], axis=0), label=label, **style)
        acc_ax.plot(epochs, np.mean([r.train_acc for r in runs], axis=0), label=label, **style)
    for threshold in (0.90, 0.95):
        acc_ax.axhline(threshold, color="#adb5bd", linewidth=0.8, zorder=0)
    seeds = result.config.seeds
    loss_ax.set(
        yscale="log",
        xlabel="epoch",
        ylabel="training loss (each variant's own)",
        title=f"{dataset}: loss (mean of {seeds} seeds)",
    )
    acc_ax.set(
        xlabel="epoch",
        ylabel="training accuracy",
        ylim=(0, 1.01),
        title=f"{dataset}: accuracy (mean of {seeds} seeds)",
    )
    acc_ax.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    return figure


def _gradient_vs_probability(result: StudyResult) -> Any:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(12, 4.6))
    sweep_ax, sample_ax = figure.subplots(1, 2)
    for variant, label in SWEEP_LABELS.items():
        curve = result.sweep[variant]
        for ax in (sweep_ax, sample_ax):
            ax.plot(curve["p_true"], curve["grad_norm"], color=COLORS[variant], linewidth=2, label=label)
        for run in (r for r in result.runs if r.variant == variant and r.scatter):
            p_true = np.concatenate([s["p_true"] for s in run.scatter.values()])
            norms = np.concatenate([s["grad_norm"] for s in run.scatter.values()])
            epochs = ", ".join(str(e) for e in run.scatter)
            sample_ax.scatter(
                p_true,
                norms,
                s=6,
                alpha=0.3,
                color=COLORS[variant],
                linewidths=0,
                label=f"{label}: {run.dataset} samples (epochs {epochs})",
            )
    sweep_ax.set(
        xscale="log",
        yscale="log",
        ylim=(1e-10, 5),
        xlabel="predicted probability of the true class",
        ylabel="|gradient of one sample's loss at its logits|",
        title="Logits swept from confidently wrong to right",
    )
    sample_ax.set(
        yscale="log",
        xlim=(0, 1),
        ylim=(1e-4, 5),
        xlabel="predicted probability of the true class",
        title="Training samples (seed 0) on the same curves",
    )
    sweep_ax.annotate("saturated and wrong:\nCE ~1, MSE -> 0", xy=(1e-8, 1e-8), fontsize=9)
    sweep_ax.legend(fontsize=8, loc="lower right")
    sample_ax.legend(fontsize=7, loc="lower left", markerscale=3)
    figure.tight_layout()
    return figure


def _first_layer_grad(result: StudyResult) -> Any:
    from matplotlib.figure import Figure

    datasets = result.datasets()
    figure = Figure(figsize=(5.5 * len(datasets), 4))
    axes = figure.subplots(1, len(datasets), squeeze=False)
    for ax, dataset in zip(axes[0], datasets):
        for variant, label in VARIANTS.items():
            run = result.runs_of(dataset, variant)[0]
            style = {"color": COLORS[variant], "linewidth": 1.2, **STYLES.get(variant, {})}
            ax.plot(run.first_layer_grad, label=label, **style)
        ax.set(
            yscale="log",
            xlabel=f"step (first {result.config.grad_epochs} epochs, seed 0)",
            ylabel="|dL/dW| of the first layer",
            title=f"{dataset}: first-layer gradient norm",
        )
    axes[0][0].legend(fontsize=7)
    figure.tight_layout()
    return figure
