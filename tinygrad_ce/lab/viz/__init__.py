"""Draw computation graphs with Graphviz: forward, backward, and fused next to unfused.

    from tinygrad_ce.lab.viz import draw_graph, draw_backward, draw_comparison, render

    g = draw_graph(loss)              # a graphviz.Digraph: shows inline in Jupyter
    render(g, "loss.svg")             # writes loss.dot, then loss.svg with Graphviz's `dot`

Each tensor is a box (its name, shape and dtype; the values when it holds at most
six elements, otherwise min/mean/max; the gradient likewise when it has one) and each
recorded op an ellipse with the op's lowercase name; fused ops (those whose class has
`fused = True`, such as `linear` and `softmax_cross_entropy`) are drawn in red. Colours
tell parameters, inputs, constants, the output and (in backward drawings) values from
the forward pass apart; a legend says which is which. The classification rule is in
`tinygrad_ce.lab.viz.graph`. Named scopes (`softmax`, `log_softmax`, `cross_entropy`,
`mean`, a Module's forward) are drawn as labelled clusters, and `collapse=` draws chosen
scopes as single boxes. Node ids follow the graph's structure, so the same graph gives
the same DOT text.

- `graph`: the walk, classification, collapsing and truncation (no graphviz);
- `draw`: the drawings; `render`: writing them to files (`FORMATS`).
"""

from .draw import (
    LEGEND,
    SMALL,
    STYLES,
    count_nodes,
    draw_backward,
    draw_graph,
    tensor_label,
    value_lines,
)
from .pairs import draw_comparison, draw_fused_pair
from .render import FORMATS, GraphvizNotFoundError, render

__all__ = [
    "draw_graph",
    "draw_backward",
    "draw_comparison",
    "draw_fused_pair",
    "render",
    "count_nodes",
    "GraphvizNotFoundError",
    "FORMATS",
    "value_lines",
    "tensor_label",
    "STYLES",
    "LEGEND",
    "SMALL",
]
