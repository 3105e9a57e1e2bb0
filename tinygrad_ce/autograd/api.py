"""`backward` and `grad`: the checks on what a user passes in, then the walk."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import boolean
from .engine import constant, run_backward
from .function import Variable


def _numeric(value: Any) -> np.ndarray | None:
    """`value` as a numeric ndarray, or None when it is not one (strings, ragged lists)."""
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):
        return None
    return array if array.dtype.kind in "biuf" else None


def seed_gradient(t: Any, gradient: Any, create_graph: bool, who: str = "backward") -> Any:
    """The checked starting gradient of output `t`: ones for a one-element output, else
    `gradient` (a tensor or array of `t`'s shape), in `t`'s dtype."""
    if not t.requires_grad:
        raise RuntimeError(
            f"{who}: this tensor (shape {t.shape}) does not require grad and has no "
            "graph; create its inputs with requires_grad=True (and outside no_grad())"
        )
    g: np.ndarray | None
    if gradient is None:
        if t.data.size != 1:
            raise RuntimeError(
                f"{who}: gradient can be omitted only for a one-element tensor, but this "
                f"one has shape {t.shape}; pass gradient= (an array of that shape), or "
                "reduce it first (e.g. .sum() or .mean())"
            )
        g = np.ones(t.data.shape, t.data.dtype)
    else:
        g = gradient.data if isinstance(gradient, Variable) else _numeric(gradient)
        if g is None:
            raise TypeError(
                f"{who}: gradient must be a Tensor or numeric array of shape {t.shape}, "
                f"got {type(gradient).__name__}"
            )
        if g.shape != t.shape:
            raise RuntimeError(f"{who}: gradient has shape {g.shape} but the tensor has shape {t.shape}")
        if create_graph and isinstance(gradient, Variable):
            return gradient.astype(t.dtype)  # keeps its graph (astype is differentiable)
        if g.dtype != t.dtype:
            g = g.astype(t.dtype)
    return constant(t, g) if create_graph else g


def backward(t: Any, gradient: Any = None, retain_graph: bool = False, create_graph: bool = False) -> None:
    """Accumulate d(t)/d(leaf) into every leaf's `.grad` (see `Tensor.backward`)."""
    create_graph = boolean("backward", "create_graph", create_graph)
    retain_graph = boolean("backward", "retain_graph", retain_graph) or create_graph
    run_backward([t], [seed_gradient(t, gradient, create_graph)], retain_graph, create_graph)


def _as_list(x: Any, name: str) -> list[Any]:
    if x is None:
        return []
    if isinstance(x, (Variable, np.ndarray, int, float, np.generic)):
        return [x]
    if isinstance(x, (str, bytes)) or not hasattr(x, "__iter__"):
        raise TypeError(f"grad: {name} must be a Tensor or a sequence of Tensors, got {type(x).__name__}")
    return list(x)


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Any, ...]:
    """Gradients of `outputs` with respect to `inputs`, one Tensor per input.

    `outputs` and `inputs` are a Tensor or a sequence of Tensors. Leaves' `.grad` is not
    touched. `grad_outputs` gives one gradient (Tensor or ndarray, of the output's shape)
    per output; it may be omitted for one-element outputs. `retain_graph` defaults to
    `create_graph`. With `create_graph=True` the returned gradients are differentiable
    (higher-order derivatives). An input the outputs do not depend on is a RuntimeError,
    or None with `allow_unused=True`.
    """
    outs = _as_list(outputs, "outputs")
    ins = _as_list(inputs, "inputs")
    for kind, items in (("outputs", outs), ("inputs", ins)):
        for item in items:
            if not isinstance(item, Variable):
                raise TypeError(f"grad: {kind} must be Tensors, got {type(item).__name__}")
    if not outs or not ins:
        raise ValueError("grad: outputs and inputs must each name at least one Tensor")
    gouts = _as_list(grad_outputs, "grad_outputs") if grad_outputs is not None else [None] * len(outs)
    if len(gouts) != len(outs):
        raise ValueError(f"grad: {len(outs)} outputs but {len(gouts)} grad_outputs")
    create_graph = boolean("grad", "create_graph", create_graph)
    allow_unused = boolean("grad", "allow_unused", allow_unused)
    retain_graph = create_graph if retain_graph is None else boolean("grad", "retain_graph", retain_graph)
    for i, t in enumerate(ins):
        if not t.requires_grad:
            raise RuntimeError(f"grad: input {i} (shape {t.shape}) does not require grad")
    seeds = [seed_gradient(t, g, create_graph, who="grad") for t, g in zip(outs, gouts)]
    result = run_backward(outs, seeds, retain_graph, create_graph, inputs=ins)
    assert result is not None
    for i, g in enumerate(result):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {i} (shape {ins[i].shape}) was not used to compute the "
                "outputs; pass allow_unused=True to get None for it"
            )
    return tuple(result)
