"""Regenerate the ladder's pictures in docs/images/ladder/ (run from anywhere):

    python scripts/make_ladder_images.py          # all five rungs, about two minutes
    python scripts/make_ladder_images.py cnn gpt  # only these rungs

Each rung's example runs with its full default settings (seeded, so the pictures only
change when the code does) and the numbers the docs quote are printed. Needs matplotlib,
Graphviz's `dot` (rung 1's graph) and scikit-learn (rung 4).
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the checkout's package, installed or not

from matplotlib.figure import Figure  # noqa: E402

from tinygrad_ce import Tensor, cat, nn  # noqa: E402
from tinygrad_ce.lab.plots import plot_decision_boundary, plot_history, save_figure  # noqa: E402
from tinygrad_ce.lab.viz import draw_graph, render  # noqa: E402
from tinygrad_ce.training import predict  # noqa: E402

IMAGES = ROOT / "docs" / "images" / "ladder"
WIDTH = 7.0  # inches; at DPI dots per inch, 700 px wide
DPI = 100


def example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"ladder_{name}", ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def save(fig: Any, name: str) -> None:
    out = Path(save_figure(fig, str(IMAGES / f"{name}.png"), dpi=DPI))
    print(f"wrote {out.relative_to(ROOT)} ({out.stat().st_size // 1024} kB)")


def smoothed(values: list[float], width: int) -> np.ndarray:
    """The running mean over `width` steps (shorter at the start)."""
    v = np.asarray(values, dtype=np.float64)
    sums = np.cumsum(np.concatenate([[0.0], v]))
    lo = np.maximum(np.arange(1, len(v) + 1) - width, 0)
    return (sums[1:] - sums[lo]) / (np.arange(1, len(v) + 1) - lo)


def loss_curve(
    losses: list[float],
    title: str,
    note: str,
    width: int,
    floor: float | None = None,
    drop: int | None = None,
) -> Figure:
    """Every step's minibatch loss (faint), its running mean, and a text box below."""
    fig = Figure(figsize=(WIDTH, 3.6), layout="constrained")
    ax = fig.subplots()
    steps = np.arange(1, len(losses) + 1)
    ax.plot(steps, losses, color="tab:blue", alpha=0.25, linewidth=0.8, label="minibatch loss")
    ax.plot(steps, smoothed(losses, width), color="tab:blue", label=f"mean of the last {width} steps")
    ax.axhline(np.log(27), color="gray", linestyle=":", label="uniform guess, log 27")
    if drop is not None:
        ax.axvline(drop, color="gray", linewidth=0.8)
        ax.annotate(" lr / 10", (drop, ax.get_ylim()[0]), va="bottom", fontsize=8, color="gray")
    if floor is not None:
        ax.axhline(
            floor, color="tab:red", linestyle="--", linewidth=1, label=f"final loss, all data: {floor:.3f}"
        )
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=8)
    fig.text(0.01, 0.01, note, fontsize=8, family="monospace", va="bottom")
    fig.get_layout_engine().set(rect=(0, 0.12, 1, 0.88))
    return fig


class _TwoLogits(nn.Module):
    """A binary model's single logit z as the two logits (0, z): argmax is z > 0."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: Tensor) -> Tensor:
        z = self.model(x)
        return cat([z * 0, z], axis=1)


def rung1() -> None:
    neuron = example("neuron")
    values, output = neuron.neuron()
    graph = draw_graph(output, rankdir="LR", legend=True)
    graph.graph_attr.update(dpi="80")
    out = render(graph, IMAGES / "neuron-graph.png")
    (IMAGES / "neuron-graph.dot").unlink()
    print(f"wrote {out.relative_to(ROOT)} ({out.stat().st_size // 1024} kB); neuron: {values}")
    model, X, y, history = neuron.train_moons()
    accuracy = neuron.moons_mlp()
    fig = plot_decision_boundary(
        _TwoLogits(model),
        X,
        y,
        classes=2,
        title=f"two moons, MLP 2-16-16-1: training accuracy {accuracy:.3f}",
    )
    fig.set_size_inches(5.2, 5.2)
    save(fig, "moons-boundary")
    print(f"moons: final loss {history.train_loss[-1]:.4f}, accuracy {accuracy:.3f}")


def rung2() -> None:
    spiral = example("spiral")
    model, history, (X, y) = spiral.train(progress=False)
    accuracy = history.train_accuracy[-1]
    fig = plot_decision_boundary(model, X, y, classes=3, title="spiral, MLP 2-100-3 (ReLU), 100 epochs")
    fig.set_size_inches(5.2, 5.2)
    save(fig, "spiral-boundary")
    curves = plot_history(history, title="spiral: loss and accuracy per epoch (Adam, lr 0.02, batch 32)")
    curves.set_size_inches(WIDTH, 2.9)
    save(curves, "spiral-curves")
    print(f"spiral: final loss {history.train_loss[-1]:.4f}, last-epoch accuracy {accuracy:.4f}")


def rung3() -> None:
    makemore = example("makemore")
    r = makemore.main(verbose=True)
    note = (
        f"samples: {' '.join(r['samples'])}\n"
        f"manual (softmax - onehot) / n vs the engine's d loss / d logits: max difference "
        f"{r['logit_gradient_difference']:.1e}"
    )
    title = f"makemore: {r['words']} words from Python itself, {r['examples']:,} examples, SGD, 2,000 steps"
    curve = loss_curve(r["losses"], title, note, 100, floor=r["loss"], drop=len(r["losses"]) * 3 // 4)
    save(curve, "makemore-loss")


def rung4() -> None:
    cnn = example("cnn")
    r = cnn.train(progress=False)
    model, (X_test, y_test) = r["model"], r["test"]
    filters = model[0].weight.data[:, 0]  # (8, 3, 3): the first convolution's kernels
    fig = Figure(figsize=(WIDTH, 2.9), layout="constrained")
    left, right = fig.subfigures(1, 2, width_ratios=(1, 1.25))
    left.suptitle("conv1's 8 learned 3x3 filters", fontsize=10)
    limit = np.abs(filters).max()
    for ax, f in zip(left.subplots(2, 4).ravel(), filters):
        ax.imshow(f, cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_axis_off()
    predicted = predict(model, X_test[:10]).argmax(axis=1)
    right.suptitle(f"test digits and predictions (test accuracy {r['accuracy']:.3f})", fontsize=10)
    for ax, image, p, t in zip(right.subplots(2, 5).ravel(), X_test[:10, 0], predicted, y_test[:10]):
        ax.imshow(image, cmap="gray_r")
        ax.set_title(str(p), color="black" if p == t else "red", fontsize=10)
        ax.set_axis_off()
    save(fig, "cnn-filters")
    maps = predict(model[:2], X_test[:1])[0]  # conv1 + ReLU on one test digit: (8, 8, 8)
    fig = Figure(figsize=(WIDTH, 1.2), layout="constrained")
    axes = fig.subplots(1, 9)
    axes[0].imshow(X_test[0, 0], cmap="gray_r")
    axes[0].set_title("input", fontsize=9)
    for i, (ax, m) in enumerate(zip(axes[1:], maps)):
        ax.imshow(m, cmap="magma")
        ax.set_title(f"filter {i + 1}", fontsize=9)
    for ax in axes:
        ax.set_axis_off()
    save(fig, "cnn-feature-maps")
    history = r["history"]
    curves = plot_history(history, title="LeNet-style CNN on the 8x8 digits: train and test per epoch")
    curves.set_size_inches(WIDTH, 2.9)
    save(curves, "cnn-curves")
    print(
        f"cnn: final train loss {history.train_loss[-1]:.4f}, test loss {history.val_loss[-1]:.4f}, "
        f"test accuracy {r['accuracy']:.4f}"
    )


def rung5() -> None:
    gpt = example("gpt")
    r = gpt.main(verbose=True)
    note = f"sample after 600 steps:\n{r['sample'].replace('.', ' ')}"
    title = "tiny GPT: 2 blocks, 4 heads, width 32, context 16; AdamW, 600 steps"
    save(loss_curve(r["losses"], title, note, 50), "gpt-loss")
    print(f"gpt: first loss {r['first_loss']:.3f}, last loss {r['last_loss']:.3f}")


RUNGS = {"neuron": rung1, "spiral": rung2, "makemore": rung3, "cnn": rung4, "gpt": rung5}


def main(names: list[str]) -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    for name in names or RUNGS:
        if name not in RUNGS:
            raise SystemExit(f"unknown rung {name!r}; choose from {', '.join(RUNGS)}")
        start = time.perf_counter()
        RUNGS[name]()
        print(f"{name}: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
