"""Plots of a training run, for notebooks and the CLI: the loss and accuracy curves of a
`History`, and a classifier's decision regions on 2-D data.

matplotlib is an optional extra (`pip install "tinygrad-ce[extras]"`); it is imported when
a function here is first called, never by `import tinygrad_ce`. Each function returns a
`matplotlib.figure.Figure` (no pyplot, so no global backend is touched); a notebook shows
it inline, `save_figure` writes it as a PNG atomically.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import training


def _figure_class() -> Any:
    try:
        from matplotlib.figure import Figure  # no pyplot: no global backend, Agg for PNG
    except ImportError as err:
        raise ImportError(
            "the plots need matplotlib, which is not installed: "
            'pip install matplotlib (or pip install "tinygrad-ce[extras]")'
        ) from err
    return Figure


def plot_history(history: Any, title: str | None = None) -> Any:
    """Loss and accuracy per epoch of a `training.History`, train and (when recorded)
    validation, side by side. `title` (e.g. "spiral, cross-entropy, MLP 2-64-64-3") heads
    the figure. Returns a matplotlib `Figure`."""
    if not hasattr(history, "train_loss") or not hasattr(history, "train_accuracy"):
        raise TypeError(f"history must be a training.History, got {type(history).__name__}")
    fig = _figure_class()(figsize=(9, 3.6), layout="constrained")
    loss_ax, acc_ax = fig.subplots(1, 2)
    epochs = np.arange(1, len(history.train_loss) + 1)
    for ax, key in ((loss_ax, "loss"), (acc_ax, "accuracy")):
        ax.plot(epochs, getattr(history, f"train_{key}"), label="train")
        if getattr(history, f"val_{key}", None):
            ax.plot(epochs, getattr(history, f"val_{key}"), label="validation")
        ax.set_xlabel("epoch")
        ax.set_title(key)
        ax.legend()
    if title:
        fig.suptitle(title)
    return fig


def plot_decision_boundary(
    model: Any,
    X: Any,
    y: Any,
    classes: int | None = None,
    title: str | None = None,
    resolution: int = 250,
) -> Any:
    """The regions where `model` predicts each class, over a grid covering the points
    `X` (shape (N, 2)), with the points coloured by their labels `y` (shape (N,)).
    Returns a matplotlib `Figure`."""
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (N, 2) for a decision boundary, got {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}")
    if not isinstance(resolution, int) or isinstance(resolution, bool) or not 2 <= resolution <= 2000:
        raise ValueError(f"resolution must be an int in [2, 2000], got {resolution!r}")
    if y.dtype.kind not in "iu":
        raise TypeError(f"y must hold integer class labels, got dtype {y.dtype}")
    needed = int(y.max()) + 1 if y.size else 1
    if classes is None:
        classes = needed
    elif not isinstance(classes, int) or isinstance(classes, bool) or classes < needed:
        raise ValueError(f"classes must be an int of at least {needed} (the labels in y), got {classes!r}")
    lo, hi = X.min(axis=0) - 0.25, X.max(axis=0) + 0.25
    xs, ys = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(X.dtype if X.dtype.kind == "f" else np.float32)
    regions = training.predict(model, grid).argmax(axis=1).reshape(xs.shape)
    fig = _figure_class()(figsize=(5, 5), layout="constrained")
    ax = fig.subplots()
    ax.contourf(xs, ys, regions, levels=np.arange(classes + 1) - 0.5, cmap="Set2", alpha=0.6)
    style = dict(cmap="Set2", vmin=-0.5, vmax=classes - 0.5, edgecolors="k", linewidths=0.4, s=14)
    ax.scatter(X[:, 0], X[:, 1], c=y, **style)
    if title:
        ax.set_title(title)
    return fig


def save_figure(fig: Any, path: str, dpi: int = 110) -> str:
    """Write `fig` to `path` as a PNG, atomically; returns the path."""
    with training.atomic_open(path, "wb") as f:
        fig.savefig(f, format="png", dpi=dpi)
    return path
