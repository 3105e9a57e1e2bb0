"""What the drawings say: node styles, the legend's words, tensor labels, and the names
parameters get from the Modules that hold them (see `tinygrad_ce.lab.viz`)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any, cast

import numpy as np

from ...tensor import Tensor
from .graph import Walk

__all__ = ["value_lines", "tensor_label", "parameter_names", "STYLES", "LEGEND", "SMALL"]

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
    "grad": {"shape": "box", "style": "rounded", "color": "#c92a2a", "fontcolor": "#c92a2a"},
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
    "grad": "grad (red lines):\nthe tensor's .grad",
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
    if kind == "constant" and not name:
        parts = [
            html.escape(value_lines(t.data)[0] if show_values else "constant"),
            _small(str(t.dtype), "#868e96", 8),
        ]
    elif kind == "constant":  # named by its role: the name, then shape and values, small
        parts = [html.escape(cast(str, name)), _small(f"{_shape(t)} {t.dtype}", "#868e96", 8)]
        if show_values:
            parts += [_small(line, "#868e96", 8) for line in value_lines(t.data)]
    else:
        parts = [f"<B>{html.escape(name)}</B>"] if name else []
        parts.append(html.escape(f"{_shape(t)} {t.dtype}"))
        if show_values:
            parts += [_small(line, "#495057") for line in value_lines(t.data)]
    if show_grad and t.grad is not None:
        grad_lines = value_lines(t.grad.data)
        parts += [_small(line, "#c92a2a") for line in ["grad " + grad_lines[0]] + grad_lines[1:]]
    return "<" + "<BR/>".join(parts) + ">"


# ----------------------------------------------------------------------------- names
def parameter_names(w: Walk, params: Any = None) -> dict[int, str]:
    """id(tensor) -> name for the parameters of a drawing: the state-dict names of the
    outermost Modules whose forward recorded ops of `w` (found from the ops' scopes), then
    those of `params` (a Module, or a mapping name -> Tensor), which win."""
    names: dict[int, str] = {}
    owners: dict[int, Any] = {}  # the outermost Module of each scope, by first appearance
    seen: set[int] = set()
    for fn in w.ops:
        scope = fn.tag
        if scope is None or id(scope) in seen:
            continue
        seen.add(id(scope))
        owner = next((s.owner for s in scope.path() if getattr(s, "owner", None) is not None), None)
        if owner is not None and hasattr(owner, "named_parameters"):
            owners.setdefault(id(owner), owner)
    for owner in owners.values():
        for name, p in owner.named_parameters():
            names.setdefault(id(p), name)
    if params is not None:
        if hasattr(params, "named_parameters"):
            items = params.named_parameters()
        elif isinstance(params, Mapping):
            items = params.items()
        else:
            raise TypeError(
                f"params must be a Module or a mapping name -> Tensor, got {type(params).__name__}"
            )
        for name, p in items:
            names[id(p)] = name
    return names
