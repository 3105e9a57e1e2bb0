"""Regenerate the graph and comparison pictures in docs/images/ (run from anywhere):

    python scripts/make_images.py            # needs Graphviz's `dot`, and matplotlib for the sweep

Everything is seeded, so the pictures only change when the drawing code does. The graphs
are drawn top to bottom (the default), the fused side above the unfused one, with the
legend on, so they read at the docs' column width; each PNG has an SVG twin to zoom into.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the checkout's package, installed or not

from tinygrad_ce import Tensor, nn  # noqa: E402
from tinygrad_ce import functional as F  # noqa: E402
from tinygrad_ce.lab.compare import plot_sweep, sweep  # noqa: E402
from tinygrad_ce.lab.viz import draw_comparison, draw_graph, render  # noqa: E402

IMAGES = ROOT / "docs" / "images"


def save(graph, name: str) -> None:  # noqa: ANN001 (a graphviz.Digraph)
    """`name`.png for the page (about 700 px wide or less, top to bottom) and `name`.svg,
    which the page links to for zooming."""
    for fmt in ("png", "svg"):
        out = render(graph, IMAGES / f"{name}.{fmt}")
        print(f"wrote {out.relative_to(ROOT)}")
    (IMAGES / f"{name}.dot").unlink()  # the DOT source render() writes next to the picture


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    target = np.array([0, 2, 1])

    # the loss alone: fused (one node) next to unfused (log_softmax, indexing, sum, mean)
    logits = Tensor(rng.normal(size=(3, 3)), requires_grad=True, name="logits")
    save(draw_comparison(logits, target, legend=True), "graph-loss-fused-vs-unfused")

    # a tiny MLP's loss: every Module is a cluster, parameters carry their state-dict names
    # (found from the Module scopes; no params= needed)
    model = nn.MLP([2, 4, 3], rng=0, dtype=np.float64)
    x = Tensor(rng.normal(size=(3, 2)), name="x")
    mlp_logits = model(x)
    save(draw_comparison(mlp_logits, target, legend=True), "graph-mlp-fused-vs-unfused")

    # the graphs that compute d loss / d logits (recorded with create_graph=True)
    save(
        draw_comparison(mlp_logits, target, backward=True, legend=True),
        "graph-backward-fused-vs-unfused",
    )

    # collapsed scopes: the whole model and the log-softmax as one box each
    unfused = F.cross_entropy(mlp_logits, target, fused=False)
    unfused.name = "loss"
    title = 'draw_graph(loss, collapse=["MLP", "log_softmax"], show_values=False)'
    collapsed = draw_graph(
        unfused, collapse=["MLP", "log_softmax"], name=title, legend=True, show_values=False
    )
    save(collapsed, "graph-mlp-collapsed")

    # where the two paths agree and where float rounding shows
    rows = sweep(batch=256, classes=10, seed=0)
    out = plot_sweep(
        rows,
        IMAGES / "compare-sweep.png",
        title="fused vs unfused cross-entropy, 256 rows x 10 classes; reference: np.longdouble",
    )
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
