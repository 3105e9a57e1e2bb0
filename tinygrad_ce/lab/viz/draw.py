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
from .labels import _CLUSTER_FILLS, _FONT, LEGEND, STYLES, _small, parameter_names, tensor_label
from .render import Drawing

__all__ = ["draw_graph", "draw_backward", "count_nodes"]

LEGEND_ROW = 4  # legend entries per row (per column in LR drawings)


# ----------------------------------------------------------------------------- drawing
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
        if show_grad and node.kind in LEGEND and node.kind not in ("op", "scope"):
            if lay.walk.tensors[node.index].grad is not None:
                kinds.add("grad")
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
    name = t.name if id(t) not in names else names[id(t)]
    return node.kind, tensor_label(t, node.kind, name, show_values, show_grad), node.kind


def _new_digraph(name: str | None, rankdir: str) -> Drawing:
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    g = Drawing(name=name or "computation")
    g.attr(rankdir=rankdir, fontname=_FONT, fontsize="12", nodesep="0.18", ranksep="0.3", labelloc="t")
    g.attr("node", fontname=_FONT, fontsize="10")
    g.attr("edge", color="#495057", arrowsize="0.6")
    return g


def _ends(lay: Layout, prefix: str = "") -> tuple[list[str], list[str]]:
    """The drawn node ids with no edge in (sources) and the drawn roots (sinks)."""
    drawn = {n.key for n in lay.nodes}
    has_input = {b for _, b in lay.edges}
    sources = [prefix + n.key for n in lay.nodes if n.key not in has_input]
    sinks = [prefix + f"t{r}" for r in lay.walk.roots if f"t{r}" in drawn]
    return sources, sinks


def _legend(g: graphviz.Digraph, kinds: Iterable[str], after: Iterable[str] = ()) -> None:
    """A legend of the `kinds` drawn, in rows of LEGEND_ROW (columns in LR drawings),
    placed below (in LR: right of) the nodes `after` by invisible edges."""
    present = [k for k in LEGEND if k in set(kinds)]
    if not present:
        return
    with g.subgraph(name="cluster_legend") as legend:
        legend.attr(label="legend", style="rounded", color="#ced4da", fontcolor="#868e96", fontsize="9")
        for kind in present:
            text = LEGEND[kind].replace("\n", "\\n")
            legend.node(f"legend_{kind}", text, **{**STYLES[kind], "fontsize": "9"})
        rows = [present[i : i + LEGEND_ROW] for i in range(0, len(present), LEGEND_ROW)]
        for number, row in enumerate(rows):
            line = graphviz.Digraph(name=f"legend_row{number}", graph_attr={"rank": "same"})
            for a, b in zip(row, row[1:]):  # in this order along the row
                line.edge(f"legend_{a}", f"legend_{b}", style="invis")
            legend.subgraph(line)
        for upper, lower in zip(rows, rows[1:]):  # each row below (in LR: right of) the last
            legend.edge(f"legend_{upper[0]}", f"legend_{lower[0]}", style="invis")
    for node in after:
        g.edge(node, f"legend_{present[0]}", style="invis")


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


def _module_or_params(params: Any, model: Any, what: str) -> Any:
    if params is not None and model is not None:
        raise ValueError(f"{what}: pass model= or params=, not both (they name the same tensors)")
    return model if model is not None else params


def draw_graph(
    root: Tensor | Sequence[Tensor],
    *,
    show_values: bool = True,
    show_grad: bool = True,
    rankdir: str = "TB",
    collapse: bool | Iterable[str] = False,
    max_nodes: int = 500,
    name: str | None = None,
    params: Any = None,
    model: Any = None,
    legend: bool = False,
) -> Drawing:
    """A `graphviz.Digraph` (a `Drawing`) of everything `root` (a Tensor or a list of
    them) was computed from: one node per tensor and one per recorded op.

    A box per tensor (name, shape, dtype, values or min/mean/max, and `.grad` in red
    when present) and an ellipse per op. Parameters are named by their state-dict names
    in the Module whose forward used them (found from the graph's scopes); `model=` (a
    Module) or `params=` (a Module or a mapping name -> Tensor) names them explicitly.
    `collapse=True` draws every outermost named scope as one box; a list of scope names
    collapses those scopes. Past `max_nodes` nodes, scopes are collapsed from the
    innermost outwards and then the nodes farthest from `root` are left out, with a note
    saying how many. `name` is the graph's name and title; `rankdir` "TB" (default) draws
    top to bottom, "LR" left to right; `legend=True` adds a legend of the kinds drawn.
    In Jupyter the result shows inline (without Graphviz's `dot`, displaying it raises
    `GraphvizNotFoundError` with install instructions).
    """
    roots = _as_roots(root, "draw_graph")
    w = walk(roots)
    names = parameter_names(w, _module_or_params(params, model, "draw_graph"))
    return _draw(w, names, show_values, show_grad, rankdir, collapse, max_nodes, name, legend)


def _draw(
    w: Walk,
    names: Mapping[int, str],
    show_values: bool,
    show_grad: bool,
    rankdir: str,
    collapse: bool | Iterable[str],
    max_nodes: int,
    name: str | None,
    legend: bool,
) -> Drawing:
    g = _new_digraph(name, rankdir)
    lay = fit_layout(w, collapse_rule(collapse), max_nodes)
    kinds = _emit(g, lay, "", names, show_values, show_grad, max_nodes)
    _title(g, name, lay, max_nodes)
    if legend:
        _legend(g, kinds, after=_ends(lay)[1])
    return g


def _backward_walk(
    loss: Tensor, inputs: Sequence[Tensor] | None, params: Any, labels: Mapping[int, str] | None = None
) -> tuple[Walk, dict[int, str]]:
    """Record the gradients of `loss` (create_graph=True) and walk the ops that compute
    them; also the names to draw (parameters', `labels`, and each gradient's)."""
    forward = walk([loss])
    names = {**parameter_names(forward, params), **(labels or {})}
    if inputs is None:
        inputs = [t for t, kind in zip(forward.tensors, forward.kinds) if kind == "parameter"]
        if not inputs:
            raise ValueError("draw_backward: the loss depends on no leaf that requires grad; pass inputs=")
    inputs = _as_roots(inputs, "draw_backward")
    # a seed that requires grad makes every step of the backward recorded, even those that
    # only rescale it (otherwise they would run unrecorded and show up as constants)
    loss_name = names.get(id(loss)) or loss.name or "loss"
    seed = Tensor(np.ones_like(loss.data), requires_grad=True, name="grad " + loss_name)
    grads = grad(loss, inputs, grad_outputs=seed, create_graph=True)
    root_names: dict[int, str] = {}
    for i, (x, g) in enumerate(zip(inputs, grads)):
        label = "grad " + (names.get(id(x)) or x.name or f"input {i}")
        root_names[id(g)] = root_names[id(g)] + ", " + label if id(g) in root_names else label
    names.update(root_names)
    return walk(list(grads), stop=forward.ops, kinds={id(seed): "input"}), names


def draw_backward(
    loss: Tensor,
    inputs: Tensor | Sequence[Tensor] | None = None,
    *,
    show_values: bool = True,
    show_grad: bool = False,
    rankdir: str = "TB",
    collapse: bool | Iterable[str] = False,
    max_nodes: int = 500,
    name: str | None = None,
    params: Any = None,
    model: Any = None,
    legend: bool = False,
) -> Drawing:
    """Draw the graph that computes d`loss`/d`inputs` (default: every leaf requiring grad).

    The gradients are recorded with `grad(loss, inputs, create_graph=True)` (the
    forward graph is retained, `.grad` is not touched); values of the forward pass the
    backward uses are drawn as dashed "forward" boxes. For the unfused cross-entropy
    this shows a long chain; for the fused op, `softmax(logits) - y` scaled, with the
    targets drawn as the "one-hot targets" input. The options are `draw_graph`'s."""
    if not isinstance(loss, Tensor):
        raise TypeError(f"draw_backward: loss must be a Tensor, got {type(loss).__name__}")
    if isinstance(inputs, Tensor):
        inputs = [inputs]
    w, names = _backward_walk(loss, inputs, _module_or_params(params, model, "draw_backward"))
    return _draw(w, names, show_values, show_grad, rankdir, collapse, max_nodes, name, legend)


def _count(nodes: int, ops: int) -> str:
    return f"{nodes} node{'s' * (nodes != 1)}, {ops} op{'s' * (ops != 1)}"


def count_nodes(root: Tensor | Sequence[Tensor]) -> dict[str, int]:
    """Tensors, ops and nodes (their sum) in the graph `root` was computed from."""
    w = walk(_as_roots(root, "count_nodes"))
    return {"tensors": len(w.tensors), "ops": len(w.ops), "nodes": w.node_count}
