"""A fused op and its composed twin drawn side by side: `draw_comparison` for the
cross-entropy, `draw_fused_pair` for any function that takes `fused=`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import graphviz
import numpy as np

from ... import functional as F
from ...tensor import Tensor
from .draw import _backward_walk, _count, _emit, _ends, _legend, _module_or_params, _new_digraph
from .graph import collapse_rule, fit_layout, walk
from .labels import parameter_names
from .render import Drawing


def _leaf(x: Any, name: str) -> Tensor:
    """`x` as a tensor that requires grad (a new named leaf unless it already does)."""
    if isinstance(x, Tensor) and x.requires_grad:
        return x
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    return Tensor(data, requires_grad=True, name=getattr(x, "name", None) or name)


def _draw_pair(
    make: Callable[[bool], Tensor],
    inputs: dict[str, Tensor],
    what: str,
    output: str,
    backward: bool,
    show_values: bool,
    show_grad: bool,
    rankdir: str,
    collapse: bool | Iterable[str],
    max_nodes: int,
    params: Any,
    legend: bool,
) -> Drawing:
    """Both sides of `make(fused)` in one Digraph, each cluster labelled with its counts;
    `inputs` maps a label to each tensor differentiated, `output` labels the result."""
    labels = {id(t): label for label, t in inputs.items()}
    leaves = list(inputs.values())
    g = _new_digraph("comparison", rankdir)
    g.attr(compound="true")
    kinds: set[str] = set()
    upstream = walk(leaves)  # the graph the inputs came from, shared by both sides
    names = {**labels, **parameter_names(upstream, params)}
    sides = ((True, "fused_"), (False, "unfused_"))
    # both sides one above the other, fused on top, so the picture fits a page column: in
    # TB the fused side's ends are tied above the unfused side's starts by invisible edges;
    # in LR graphviz puts the first cluster at the bottom, so the unfused side goes first
    above: list[str] = []
    for fused, prefix in sides if rankdir in ("TB", "BT") else sides[::-1]:
        out = make(fused)
        if backward:
            w, side_names = _backward_walk(out, leaves, params, names)
            own_nodes, own_ops = w.node_count, len(w.ops)
        else:
            w, side_names = walk([out]), {**names, id(out): output}
            own_nodes, own_ops = w.node_count - upstream.node_count, len(w.ops) - len(upstream.ops)
        lay = fit_layout(w, collapse_rule(collapse), max_nodes)
        title = (
            f"{'gradient of the ' if backward else ''}{'fused' if fused else 'unfused'} {what}: "
            f"{_count(w.node_count, len(w.ops))}"
        )
        if own_ops != len(w.ops):
            title += f" (the {output} alone: {_count(own_nodes, own_ops)})"
        side = graphviz.Digraph(
            name=f"cluster_{prefix}side",
            graph_attr={
                "label": title,
                "style": "rounded",
                "color": "#495057",
                "fontsize": "12",
                "labeljust": "l",
            },
        )
        kinds |= _emit(side, lay, prefix, side_names, show_values, show_grad, max_nodes)
        g.subgraph(side)
        sources, sinks = _ends(lay, prefix)
        if rankdir in ("TB", "BT"):
            for a in above:
                for b in sources:
                    g.edge(a, b, style="invis")
        above = sinks
    if legend:
        _legend(g, kinds, after=above)
    return g


def draw_comparison(
    logits: Any,
    target: Any,
    *,
    backward: bool = False,
    show_values: bool = True,
    show_grad: bool = False,
    rankdir: str = "TB",
    collapse: bool | Iterable[str] = False,
    max_nodes: int = 500,
    params: Any = None,
    model: Any = None,
    legend: bool = False,
    **ce_options: Any,
) -> Drawing:
    """The fused and the unfused cross-entropy of the same `logits` side by side.

    Two clusters in one Digraph, each labelled with its node and op counts. `logits`
    (shape (*, C)) may carry a graph (a model's output), which both sides then include;
    an array or a tensor that does not require grad becomes a leaf that does.
    `ce_options` are those of `F.cross_entropy` (reduction, label_smoothing,
    ignore_index, weight). `backward=True` draws the graphs of d loss / d logits instead.
    Parameters are named as in `draw_graph` (`model=` or `params=` to name them
    explicitly); `legend=True` adds a legend; `rankdir` "TB" (default) puts the fused side above, "LR" beside.
    """
    logits = _leaf(logits, "logits")
    return _draw_pair(
        lambda fused: F.cross_entropy(logits, target, fused=fused, **ce_options),
        {logits.name or "logits": logits},
        "cross-entropy",
        "loss",
        backward,
        show_values,
        show_grad,
        rankdir,
        collapse,
        max_nodes,
        _module_or_params(params, model, "draw_comparison"),
        legend,
    )


def draw_fused_pair(
    fn: Callable[..., Tensor],
    *args: Any,
    backward: bool = False,
    show_values: bool = True,
    show_grad: bool = False,
    rankdir: str = "TB",
    collapse: bool | Iterable[str] = False,
    max_nodes: int = 500,
    params: Any = None,
    model: Any = None,
    legend: bool = False,
    **kwargs: Any,
) -> Drawing:
    """`fn(*args, fused=True, **kwargs)` and `fn(*args, fused=False, **kwargs)` side by side
    (e.g. `F.conv2d`, `F.layer_norm`, `F.scaled_dot_product_attention`). Float-array and
    Tensor arguments become leaves that require grad; `backward=True` draws the graphs of
    the gradient with respect to them."""
    inputs: dict[str, Tensor] = {}
    call_args = []
    for i, a in enumerate(args):
        if isinstance(a, Tensor) or (isinstance(a, np.ndarray) and a.dtype.kind == "f"):
            a = _leaf(a, f"input {i}")
            inputs[a.name or f"input {i}"] = a
        call_args.append(a)
    if not inputs:
        raise ValueError("draw_fused_pair: no float array or Tensor among the arguments to differentiate")
    what = getattr(fn, "__name__", "op")
    return _draw_pair(
        lambda fused: fn(*call_args, fused=fused, **kwargs),
        inputs,
        what,
        "output",
        backward,
        show_values,
        show_grad,
        rankdir,
        collapse,
        max_nodes,
        _module_or_params(params, model, "draw_fused_pair"),
        legend,
    )
