"""A fused op and its composed twin drawn side by side: `draw_comparison` for the
cross-entropy, `draw_fused_pair` for any function that takes `fused=`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import graphviz
import numpy as np

from ... import functional as F
from ...tensor import Tensor
from .draw import _backward_walk, _count, _emit, _legend, _names, _new_digraph
from .graph import collapse_rule, fit_layout, walk


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
) -> graphviz.Digraph:
    """Both sides of `make(fused)` in one Digraph, each cluster labelled with its counts;
    `inputs` maps a label to each tensor differentiated, `output` labels the result."""
    names = {**{id(t): label for label, t in inputs.items()}, **_names(params)}
    inputs = list(inputs.values())
    g = _new_digraph("comparison", rankdir)
    g.attr(compound="true")
    kinds: set[str] = set()
    upstream = walk(inputs)  # the graph the inputs came from, shared by both sides
    sides = ((True, "fused_"), (False, "unfused_"))
    # graphviz puts the first cluster left in TB and at the bottom in LR: keep fused left / on top
    for fused, prefix in sides if rankdir in ("TB", "BT") else sides[::-1]:
        out = make(fused)
        if backward:
            w, root_names = _backward_walk(out, inputs, names)
            own_nodes, own_ops = w.node_count, len(w.ops)
        else:
            w, root_names = walk([out]), {id(out): output}
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
        kinds |= _emit(side, lay, prefix, {**names, **root_names}, show_values, show_grad, max_nodes)
        g.subgraph(side)
    _legend(g, kinds, rankdir)
    return g


def draw_comparison(
    logits: Any,
    target: Any,
    *,
    backward: bool = False,
    show_values: bool = True,
    show_grad: bool = False,
    rankdir: str = "LR",
    collapse: bool | Iterable[str] = False,
    max_nodes: int = 500,
    params: Any = None,
    **ce_options: Any,
) -> graphviz.Digraph:
    """The fused and the unfused cross-entropy of the same `logits` side by side.

    Two clusters in one Digraph, each labelled with its node and op counts. `logits`
    (shape (*, C)) may carry a graph (a model's output), which both sides then include;
    an array or a tensor that does not require grad becomes a leaf that does.
    `ce_options` are those of `F.cross_entropy` (reduction, label_smoothing,
    ignore_index, weight). `backward=True` draws the graphs of d loss / d logits instead.
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
        params,
    )


def draw_fused_pair(
    fn: Callable[..., Tensor],
    *args: Any,
    backward: bool = False,
    show_values: bool = True,
    show_grad: bool = False,
    rankdir: str = "LR",
    collapse: bool | Iterable[str] = False,
    max_nodes: int = 500,
    params: Any = None,
    **kwargs: Any,
) -> graphviz.Digraph:
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
        params,
    )
