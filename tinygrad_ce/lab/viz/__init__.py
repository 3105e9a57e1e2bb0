"""Draw computation graphs with Graphviz: forward, backward, and fused next to unfused.

    from tinygrad_ce.lab.viz import draw_graph, draw_backward, draw_comparison, render

    g = draw_graph(loss)              # a graphviz.Digraph: shows inline in Jupyter
    render(g, "loss.svg")             # writes loss.dot, then loss.svg with Graphviz's `dot`

Each tensor is a box (its name, shape and dtype; the values when it holds at most
six elements, otherwise min/mean/max; the gradient likewise, in red, when it has one)
and each recorded op an ellipse with the op's lowercase name; fused ops (those whose
class has `fused = True`, such as `linear` and `softmax_cross_entropy`) are drawn in
red. Colours tell parameters, inputs, constants, the output and (in backward drawings)
values from the forward pass apart; `legend=True` adds a legend saying which is which
(the CLI and the saved pictures turn it on). Parameters carry their state-dict names,
found from the Modules whose forward recorded the ops. The classification rule is in
`tinygrad_ce.lab.viz.graph`. Named scopes (`softmax`, `log_softmax`, `cross_entropy`,
`mean`, a Module's forward) are drawn as labelled clusters, and `collapse=` draws chosen
scopes as single boxes. Drawings go top to bottom by default (`rankdir="TB"`), which
fits a page column. Node ids follow the graph's structure, so the same graph gives the
same DOT text. In Jupyter, a drawing shown without Graphviz's `dot` raises
`GraphvizNotFoundError` with install instructions.

- `graph`: the walk, classification, collapsing and truncation (no graphviz);
- `labels`: styles, legend words, labels and parameter names;
- `draw`: the drawings; `pairs`: fused next to unfused; `render`: writing them to files.
"""

from .draw import count_nodes, draw_backward, draw_graph
from .labels import LEGEND, SMALL, STYLES, parameter_names, tensor_label, value_lines
from .pairs import draw_comparison, draw_fused_pair
from .render import FORMATS, Drawing, GraphvizNotFoundError, render

__all__ = [
    "draw_graph",
    "draw_backward",
    "draw_comparison",
    "draw_fused_pair",
    "render",
    "count_nodes",
    "GraphvizNotFoundError",
    "Drawing",
    "parameter_names",
    "FORMATS",
    "value_lines",
    "tensor_label",
    "STYLES",
    "LEGEND",
    "SMALL",
]
