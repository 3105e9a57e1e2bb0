"""The drawings: tensors and ops of a `graph.Layout` as Graphviz nodes, clusters and a legend.
The public API and what the pictures show are in `tinygrad_ce.lab.viz`."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import graphviz
import numpy as np

from ...autograd import grad
from ...functional.scopes import Scope
from ...tensor import Tensor
from .graph import Layout, Node, Walk, collapse_rule, fit_layout, walk

__all__ = [
    "draw_graph",
    "draw_backward",
    "count_nodes",
    "value_lines",
    "tensor_label",
    "STYLES",
    "LEGEND",
    "SMALL",
]

SMALL = 6  # a tensor with at most this many elements shows its values, a bigger one min/mean/max

_FONT = "Helvetica"
STYLES: dict[str, dict[str, str]] = {
    "parameter": {"shape": "box", "style": "rounded,filled", "fillcolor": "#ffe8cc", "color": "#e8590c"},
    "input": {"shape": "box", "style": "rounded,filled", "fillcolor": "#d0ebff", "color": "#1c7ed6"},
    "constant": {
        "shape": "box",
        "style": "rounded,filled",
        "fillcolor": "#f1f3f5",
        "color": "#adb5bd",
        "fontsize": "9",
        "margin": "0.04,0.02",
        "height": "0.25",
    },
    "intermediate": {"shape": "box", "style": "rounded,filled", "fillcolor": "#ffffff", "color": "#868e96"},
    "output": {
        "shape": "box",
        "style": "rounded,filled,bold",
        "fillcolor": "#d3f9d8",
        "color": "#2b8a3e",
        "penwidth": "2",
    },
    "forward": {
        "shape": "box",
        "style": "rounded,filled,dashed",
        "fillcolor": "#f8f9fa",
        "color": "#868e96",
        "fontcolor": "#495057",
    },
    "op": {
        "shape": "ellipse",
        "style": "filled",
        "fillcolor": "#fff3bf",
        "color": "#f08c00",
        "height": "0.3",
        "margin": "0.06,0.02",
    },
    "fused": {
        "shape": "ellipse",
        "style": "filled,bold",
        "fillcolor": "#ffc9c9",
        "color": "#c92a2a",
        "penwidth": "2",
    },
    "scope": {"shape": "box3d", "style": "filled", "fillcolor": "#e5dbff", "color": "#7048e8"},
    "note": {
        "shape": "note",
        "style": "filled",
        "fillcolor": "#fff5f5",
        "color": "#e03131",
        "fontcolor": "#c92a2a",
    },
}
LEGEND = {
    "parameter": "parameter\n(leaf, requires grad)",
    "input": "input (leaf)",
    "constant": "constant",
    "intermediate": "tensor",
    "output": "output",
    "forward": "value from the\nforward pass",
    "op": "op",
    "fused": "fused op",
    "scope": "collapsed scope",
}
_CLUSTER_FILLS = ("#f3f0ff", "#e7f5ff", "#fff9db", "#ebfbee")


# ----------------------------------------------------------------------------- labels
def _number(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (complex, np.complexfloating)):
        return f"{complex(v):.4g}"
    return f"{float(v):.4g}"


def value_lines(a: np.ndarray) -> list[str]:
    """The values of a small array, or min/max/mean (and non-finite counts) of a big one."""
    if a.size == 0:
        return ["(empty)"]
    if a.size <= SMALL:
        if a.ndim == 0:
            return [_number(a.item())]
        return np.array2string(a, formatter={"all": _number}, separator=" ", max_line_width=44).splitlines()
    if a.dtype.kind == "c":  # no order on complex numbers: describe the magnitudes
        return ["|x| " + line for line in value_lines(np.abs(a))]
    finite = a[np.isfinite(a)] if a.dtype.kind == "f" else a
    lines = []
    if finite.size:
        mean = finite.mean(dtype=np.float64)
        lines += [f"min {_number(finite.min())}  max {_number(finite.max())}", f"mean {_number(mean)}"]
    if finite.size != a.size:
        nans = int(np.isnan(a).sum())
        infs = a.size - finite.size - nans
        lines.append(", ".join(f"{n} {what}" for n, what in ((nans, "nan"), (infs, "inf")) if n))
    return lines


def _shape(t: Tensor) -> str:
    return "scalar" if t.data.ndim == 0 else str(tuple(t.shape))


def _small(text: str, color: str, size: int = 9) -> str:
    return f'<FONT POINT-SIZE="{size}" COLOR="{color}">{html.escape(text)}</FONT>'


def tensor_label(t: Tensor, kind: str, name: str | None, show_values: bool, show_grad: bool) -> str:
    """The HTML-like label of a tensor's node: name, shape and dtype, values, gradient."""
    if kind == "constant":
        parts = [
            html.escape(value_lines(t.data)[0] if show_values else "constant"),
            _small(str(t.dtype), "#868e96", 8),
        ]
    else:
        parts = [f"<B>{html.escape(name)}</B>"] if name else []
        parts.append(html.escape(f"{_shape(t)} {t.dtype}"))
        if show_values:
            parts += [_small(line, "#495057") for line in value_lines(t.data)]
    if show_grad and t.grad is not None:
        grad_lines = value_lines(t.grad.data)
        parts += [_small(line, "#c92a2a") for line in ["grad " + grad_lines[0]] + grad_lines[1:]]
    return "<" + "<BR/>".join(parts) + ">"


# ----------------------------------------------------------------------------- drawing
def _names(params: Any, root_names: Mapping[int, str] | None = None) -> dict[int, str]:
    names: dict[int, str] = {}
    if params is not None:
        items = params.named_parameters() if hasattr(params, "named_parameters") else params.items()
        for name, p in items:
            names[id(p)] = name
    names.update(root_names or {})
    return names


def _emit(
    container: graphviz.Digraph,
    lay: Layout,
    prefix: str,
    names: Mapping[int, str],
    show_values: bool,
    show_grad: bool,
    max_nodes: int,
) -> set[str]:
    """Add `lay`'s nodes, clusters and edges to `container`; return the node kinds drawn."""
    kinds: set[str] = set()
    clusters: dict[int, graphviz.Digraph] = {}

    def home(scope: Scope | None) -> graphviz.Digraph:
        if scope is None:
            return container
        for depth, s in enumerate(scope.path()):  # the cluster and every enclosing one
            if id(s) not in clusters:
                fill = _CLUSTER_FILLS[depth % len(_CLUSTER_FILLS)]
                name = f"cluster_{prefix}{lay.scope_keys[id(s)]}"
                clusters[id(s)] = graphviz.Digraph(
                    name=name,
                    graph_attr={
                        "label": s.name,
                        "style": "rounded,filled",
                        "color": "#9775fa",
                        "fontcolor": "#5f3dc4",
                        "fillcolor": fill,
                        "labeljust": "l",
                        "fontsize": "10",
                    },
                )
        return clusters[id(scope)]

    for node in lay.nodes:
        kind, label, tooltip = _describe(node, lay, names, show_values, show_grad)
        kinds.add(kind)
        home(node.cluster).node(prefix + node.key, label, tooltip=tooltip, **STYLES[kind])
    # attach clusters to their parents, innermost first, so each carries its children
    for sid in sorted(clusters, key=lambda s: (-len(lay.scopes[s].path()), lay.scope_keys[s])):
        parent = lay.scopes[sid].parent
        (container if parent is None else clusters[id(parent)]).subgraph(clusters[sid])
    for a, b in lay.edges:
        container.edge(prefix + a, prefix + b)
    if lay.omitted:
        kinds.add("note")
        note = f"{prefix}omitted"
        text = f"{lay.omitted:,} more nodes not drawn\\n(max_nodes={max_nodes})"
        container.node(note, text, **STYLES["note"])
        for key in lay.note_edges:
            container.edge(note, prefix + key, style="dashed", color="#e03131")
    return kinds


def _describe(
    node: Node, lay: Layout, names: Mapping[int, str], show_values: bool, show_grad: bool
) -> tuple[str, str, str]:
    """(style kind, label, tooltip) of one node."""
    w = lay.walk
    if node.kind == "op":
        fn = w.ops[node.index]
        where = repr(fn.tag) + "/" if fn.tag is not None else ""
        return ("fused" if fn.fused else "op"), fn.name, where + fn.name
    if node.kind == "scope":
        scope = lay.scope_by_number[node.index]
        count = lay.box_ops[node.index]
        ops = _small(f"{count} op" + "s" * (count != 1), "#5f3dc4")
        label = f"<<B>{html.escape(scope.name)}</B><BR/>{ops}>"
        return "scope", label, repr(scope)
    t = w.tensors[node.index]
    name = names.get(id(t), t.name)
    return node.kind, tensor_label(t, node.kind, name, show_values, show_grad), node.kind


def _new_digraph(name: str | None, rankdir: str) -> graphviz.Digraph:
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    g = graphviz.Digraph(name=name or "computation")
    g.attr(rankdir=rankdir, fontname=_FONT, fontsize="12", nodesep="0.18", ranksep="0.3", labelloc="t")
    g.attr("node", fontname=_FONT, fontsize="10")
    g.attr("edge", color="#495057", arrowsize="0.6")
    return g


def _legend(g: graphviz.Digraph, kinds: Iterable[str], rankdir: str) -> None:
    present = [k for k in LEGEND if k in set(kinds)]
    if not present:
        return
    with g.subgraph(name="cluster_legend") as legend:
        legend.attr(label="legend", style="rounded", color="#ced4da", fontcolor="#868e96", fontsize="9")
        for kind in present:
            text = LEGEND[kind].replace("\n", "\\n")
            legend.node(f"legend_{kind}", text, **{**STYLES[kind], "fontsize": "9"})
        # one row in this order: chained invisibly (in TB, also held on one rank)
        row = legend
        if rankdir in ("TB", "BT"):
            row = graphviz.Digraph(name="legend_row", graph_attr={"rank": "same"})
        for a, b in zip(present, present[1:]):
            row.edge(f"legend_{a}", f"legend_{b}", style="invis")
        if row is not legend:
            legend.subgraph(row)


def _as_roots(root: Tensor | Sequence[Tensor], what: str) -> list[Tensor]:
    roots = [root] if isinstance(root, Tensor) else list(root)
    if not roots:
        raise ValueError(f"{what}: nothing to draw (no tensors given)")
    for r in roots:
        if not isinstance(r, Tensor):
            raise TypeError(f"{what}: expected Tensors, got {type(r).__name__}")
    return roots


def _title(g: graphviz.Digraph, name: str | None, lay: Layout | None, max_nodes: int) -> None:
    lines = [name] if name else []
    if lay is not None and lay.auto_collapsed:
        lines.append(f"(scopes collapsed to fit max_nodes={max_nodes})")
    if lines:
        g.attr(label="\\n".join(lines))


def draw_graph(
    root: Tensor | Sequence[Tensor],
    *,
    show_values: bool = True,
    show_grad: bool = True,
    rankdir: str = "LR",
    collapse: bool | Iterable[str] = False,
    max_nodes: int = 500,
    name: str | None = None,
    params: Any = None,
    legend: bool = True,
) -> graphviz.Digraph:
    """A `graphviz.Digraph` of everything `root` (a Tensor or a list of them) was computed from.

    One box per tensor (name, shape, dtype, values or min/mean/max, and `.grad` when
    present) and one ellipse per recorded op. `collapse=True` draws every outermost
    named scope as one box; a list of scope names collapses those scopes. Past
    `max_nodes` nodes, scopes are collapsed from the innermost outwards and then the
    nodes farthest from `root` are left out, with a note saying how many. `params`
    (a Module, or a mapping name -> Tensor) names the tensors it holds. `name` is the
    graph's name and title; `rankdir` "LR" draws left to right, "TB" top to bottom.
    """
    roots = _as_roots(root, "draw_graph")
    return _draw(walk(roots), {}, show_values, show_grad, rankdir, collapse, max_nodes, name, params, legend)


def _draw(
    w: Walk,
    root_names: Mapping[int, str],
    show_values: bool,
    show_grad: bool,
    rankdir: str,
    collapse: bool | Iterable[str],
    max_nodes: int,
    name: str | None,
    params: Any,
    legend: bool,
) -> graphviz.Digraph:
    g = _new_digraph(name, rankdir)
    lay = fit_layout(w, collapse_rule(collapse), max_nodes)
    kinds = _emit(g, lay, "", _names(params, root_names), show_values, show_grad, max_nodes)
    _title(g, name, lay, max_nodes)
    if legend:
        _legend(g, kinds, rankdir)
    return g


def _backward_walk(
    loss: Tensor, inputs: Sequence[Tensor] | None, names: Mapping[int, str]
) -> tuple[Walk, dict[int, str]]:
    """Record the gradients of `loss` (create_graph=True) and walk the ops that compute them."""
    forward = walk([loss])
    if inputs is None:
        inputs = [t for t, kind in zip(forward.tensors, forward.kinds) if kind == "parameter"]
        if not inputs:
            raise ValueError("draw_backward: the loss depends on no leaf that requires grad; pass inputs=")
    inputs = _as_roots(inputs, "draw_backward")
    # a seed that requires grad makes every step of the backward recorded, even those that
    # only rescale it (otherwise they would run unrecorded and show up as constants)
    seed = Tensor(np.ones_like(loss.data), requires_grad=True, name="grad " + (names.get(id(loss)) or "loss"))
    grads = grad(loss, inputs, grad_outputs=seed, create_graph=True)
    root_names: dict[int, str] = {}
    for i, (x, g) in enumerate(zip(inputs, grads)):
        label = "grad " + (names.get(id(x)) or x.name or f"input {i}")
        root_names[id(g)] = root_names[id(g)] + ", " + label if id(g) in root_names else label
    return walk(list(grads), stop=forward.ops, kinds={id(seed): "input"}), root_names


def draw_backward(
    loss: Tensor,
    inputs: Tensor | Sequence[Tensor] | None = None,
    *,
    show_values: bool = True,
    show_grad: bool = False,
    rankdir: str = "LR",
    collapse: bool | Iterable[str] = False,
    max_nodes: int = 500,
    name: str | None = None,
    params: Any = None,
    legend: bool = True,
) -> graphviz.Digraph:
    """Draw the graph that computes d`loss`/d`inputs` (default: every leaf requiring grad).

    The gradients are recorded with `grad(loss, inputs, create_graph=True)` (the
    forward graph is retained, `.grad` is not touched); values of the forward pass the
    backward uses are drawn as dashed "forward" boxes. For the unfused cross-entropy
    this shows a long chain; for the fused op, `softmax(logits) - y` scaled."""
    if not isinstance(loss, Tensor):
        raise TypeError(f"draw_backward: loss must be a Tensor, got {type(loss).__name__}")
    if isinstance(inputs, Tensor):
        inputs = [inputs]
    w, root_names = _backward_walk(loss, inputs, _names(params))
    return _draw(w, root_names, show_values, show_grad, rankdir, collapse, max_nodes, name, params, legend)


def _count(nodes: int, ops: int) -> str:
    return f"{nodes} node{'s' * (nodes != 1)}, {ops} op{'s' * (ops != 1)}"


def count_nodes(root: Tensor | Sequence[Tensor]) -> dict[str, int]:
    """Tensors, ops and nodes (their sum) in the graph `root` was computed from."""
    w = walk(_as_roots(root, "count_nodes"))
    return {"tensors": len(w.tensors), "ops": len(w.ops), "nodes": w.node_count}
