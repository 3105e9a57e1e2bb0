"""The graph behind a drawing: walk, classify, collapse and truncate (no graphviz here).

`walk` collects every tensor and recorded op that some root tensors were computed
from, iteratively (a chain of 100,000 ops is fine), in a deterministic order with
inputs first. `layout` turns a walk into the nodes and edges to draw, with scopes
collapsed into single boxes where asked; `fit_layout` keeps it within `max_nodes`
nodes (collapsing scopes, then keeping the nodes `nearest` the roots).

How a tensor is classified (its `kind`):

- ``output``: one of the roots that was asked for;
- ``intermediate``: made by a recorded op;
- ``forward``: (backward drawings only) made by an op of the forward pass that the
  drawing stops at, so it enters the backward graph as a given value;
- ``parameter``: a leaf that requires grad (an ``nn.Parameter``, or any tensor made
  with ``requires_grad=True``);
- ``constant``: an unnamed leaf without grad that holds one element, which is what a
  Python number in an expression becomes (``x * 0.5``, ``1 - s``, ``total / n``), or a
  leaf the library made and named by its role (`ROLE_NAMES`: the detached row max
  inside softmax and log_softmax, the one-hot targets of the fused backward);
- ``input``: every other leaf (data, targets, values cut from the graph by ``detach``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ...autograd import Function
from ...functional.scopes import Scope
from ...tensor import Tensor

_Value = TypeVar("_Value", bound=Hashable)
_Producer = TypeVar("_Producer", bound=Hashable)

TENSOR_KINDS = ("parameter", "input", "constant", "intermediate", "output", "forward")
ROLE_NAMES = frozenset({"row max (detached)", "one-hot targets", "target weights"})


@dataclass
class Walk:
    """Tensors and ops of a graph, both in topological order (inputs first)."""

    tensors: list[Tensor]
    kinds: list[str]  # one of TENSOR_KINDS per tensor
    producer: list[int]  # per tensor: the index of the op that made it, -1 for leaves
    ops: list[Function]
    op_inputs: list[tuple[int, ...]]  # per op: tensor indices of its inputs, in order
    op_output: list[int]  # per op: the tensor index of its output
    roots: list[int]

    @property
    def node_count(self) -> int:
        """Tensors plus ops: the number of nodes a full drawing has."""
        return len(self.tensors) + len(self.ops)


def classify(t: Tensor, is_root: bool, stopped: bool) -> str:
    """The kind of a tensor in a drawing (see the module docstring)."""
    if is_root:
        return "output"
    if t.grad_fn is not None:
        return "forward" if stopped else "intermediate"
    if t.requires_grad:
        return "parameter"
    if (t.name is None and t.data.size == 1) or t.name in ROLE_NAMES:
        return "constant"
    return "input"


def walk(
    roots: Sequence[Tensor], stop: Iterable[Function] = (), kinds: Mapping[int, str] | None = None
) -> Walk:
    """Everything `roots` were computed from, by an iterative depth-first walk.

    Ops in `stop` are not followed: their outputs become leaves of kind "forward".
    `kinds` (id(tensor) -> kind) overrides the classification of chosen tensors."""
    stop_ids = {id(fn) for fn in stop}
    index: dict[int, int] = {}
    expanded: set[int] = set()
    tensors: list[Tensor] = []
    ops: list[Function] = []
    producer: list[int] = []
    op_inputs: list[tuple[int, ...]] = []
    op_output: list[int] = []
    for root in roots:
        stack = [root]
        while stack:  # post-order: a tensor is numbered after all its inputs
            t = stack[-1]
            key = id(t)
            if key in index:
                stack.pop()
                continue
            ctx: Any = t.grad_fn  # (a Function when followed)
            followed = ctx is not None and id(ctx) not in stop_ids
            if followed and key not in expanded:
                expanded.add(key)
                stack.extend(p for p in reversed(ctx.parents) if id(p) not in index)
                continue
            stack.pop()
            index[key] = len(tensors)
            tensors.append(t)
            if followed:
                producer.append(len(ops))
                ops.append(ctx)
                op_inputs.append(tuple([index[id(p)] for p in ctx.parents]))
                op_output.append(index[key])
            else:
                producer.append(-1)
    root_indices = [index[id(r)] for r in roots]
    overrides, root_set = kinds or {}, set(root_indices)
    labels = [
        overrides.get(id(t)) or classify(t, i in root_set, t.grad_fn is not None and producer[i] < 0)
        for i, t in enumerate(tensors)
    ]
    return Walk(tensors, labels, producer, ops, op_inputs, op_output, root_indices)


def nearest(
    roots: Iterable[_Value],
    made_by: Callable[[_Value], _Producer | None],
    inputs: Callable[[_Producer], Iterable[_Value]],
    max_nodes: int,
) -> tuple[set[_Value], set[_Producer]]:
    """The at most `max_nodes` nodes nearest the roots of a graph of values and the
    producers that made them (tensors and ops, or drawn tensors and ops/boxes): breadth
    first from the roots towards the inputs; a kept value brings its producer along
    (while the budget lasts), whose inputs join the queue. The kept values and producers."""
    values: set[_Value] = set()
    producers: set[_Producer] = set()
    queue = deque(roots)
    while queue and len(values) + len(producers) < max_nodes:
        value = queue.popleft()
        if value in values:
            continue
        values.add(value)
        producer = made_by(value)
        if producer is not None and producer not in producers and len(values) + len(producers) < max_nodes:
            producers.add(producer)
            queue.extend(inputs(producer))
    return values, producers


def truncate_walk(w: Walk, max_nodes: int) -> tuple[Walk, int, list[str]]:
    """The part of `w` `nearest` its roots, at most `max_nodes` tensors and ops,
    re-numbered; also how many nodes were left out, and the keys of the kept nodes that
    lost an input. Touches only the kept part (and sorts it)."""
    made_by = lambda t: w.producer[t] if w.producer[t] >= 0 else None
    kept_tensors, kept_ops = nearest(w.roots, made_by, lambda op: w.op_inputs[op], max_nodes)
    order = sorted(kept_tensors)
    new_index = {t: i for i, t in enumerate(order)}
    roots = [new_index[r] for r in w.roots if r in new_index]  # all of them, unless more than max_nodes
    sub = Walk([], [], [], [], [], [], roots)
    cut: list[str] = []
    for t in order:
        sub.tensors.append(w.tensors[t])
        sub.kinds.append(w.kinds[t])
        op = w.producer[t]
        if op not in kept_ops:
            sub.producer.append(-1)
            if op >= 0:
                cut.append(f"t{new_index[t]}")
            continue
        inputs = w.op_inputs[op]
        if any(i not in kept_tensors for i in inputs):
            cut.append(f"op{len(sub.ops)}")
        sub.producer.append(len(sub.ops))
        sub.ops.append(w.ops[op])
        sub.op_inputs.append(tuple(new_index[i] for i in inputs if i in kept_tensors))
        sub.op_output.append(new_index[t])
    return sub, w.node_count - sub.node_count, cut


# ----------------------------------------------------------------------------- layout
@dataclass
class Node:
    """One thing to draw: a tensor ("t12"), an op ("op3") or a collapsed scope ("s1")."""

    key: str
    kind: str  # a tensor kind, "op", or "scope"
    index: int  # tensor index, op index, or scope number
    cluster: Scope | None  # the scope cluster the node is drawn in (None: top level)


@dataclass
class Layout:
    """Nodes and edges to draw, in topological order; see `layout`."""

    walk: Walk
    nodes: list[Node]
    edges: list[tuple[str, str]]
    scope_keys: dict[int, int]  # id(Scope) -> its number, by first appearance
    scopes: dict[int, Scope]  # id(Scope) -> the Scope
    box_ops: dict[int, int] = field(default_factory=dict)  # scope number -> ops inside its box
    omitted: int = 0  # nodes left out by truncation
    note_edges: list[str] = field(default_factory=list)  # kept nodes that lost an input
    auto_collapsed: bool = False  # scopes were collapsed to fit max_nodes

    @property
    def scope_by_number(self) -> dict[int, Scope]:
        """Scope number -> the Scope (the inverse of `scope_keys`)."""
        return {self.scope_keys[sid]: s for sid, s in self.scopes.items()}


CollapseRule = Callable[[Scope, int], bool]  # (scope, depth) -> draw it as one box?


def collapse_rule(collapse: bool | Iterable[str] | None) -> CollapseRule | None:
    """`True`: every outermost scope; a collection of names: the scopes with those names."""
    if collapse is None or collapse is False:
        return None
    if collapse is True:
        return lambda scope, depth: True
    if isinstance(collapse, str):
        raise TypeError("collapse: expected True/False or a list of scope names, got a string")
    names = frozenset(collapse)
    return lambda scope, depth: scope.name in names


def _number_scopes(
    ops: Sequence[Function],
) -> tuple[dict[int, int], dict[int, Scope], dict[int, list[Scope]]]:
    """Number every scope (and enclosing scope) by first appearance; the path of each."""
    keys: dict[int, int] = {}
    scopes: dict[int, Scope] = {}
    paths: dict[int, list[Scope]] = {}
    for fn in ops:
        scope = fn.tag
        if scope is None or id(scope) in paths:
            continue
        path = scope.path()
        paths[id(scope)] = path
        for s in path:
            if id(s) not in keys:
                keys[id(s)] = len(keys)
                scopes[id(s)] = s
    return keys, scopes, paths


def max_scope_depth(w: Walk) -> int:
    """The deepest nesting of scopes among the ops (0: no scopes at all)."""
    _, _, paths = _number_scopes(w.ops)
    return max((len(p) for p in paths.values()), default=0)


def _boxes(w: Walk, rule: CollapseRule | None, paths: Mapping[int, list[Scope]]) -> list[Scope | None]:
    """Per op: the outermost scope around it that `rule` collapses (None: drawn as an op)."""
    box_of: list[Scope | None] = []
    for fn in w.ops:
        box = None
        if rule is not None and fn.tag is not None:
            box = next((s for depth, s in enumerate(paths[id(fn.tag)]) if rule(s, depth)), None)
        box_of.append(box)
    return box_of


def layout(w: Walk, rule: CollapseRule | None = None) -> Layout:
    """The nodes and edges of the drawing, with scopes matching `rule` as boxes."""
    keys, scopes, paths = _number_scopes(w.ops)
    box_of = _boxes(w, rule, paths)
    consumers: list[list[int]] = [[] for _ in w.tensors]
    for i, inputs in enumerate(w.op_inputs):
        for t in inputs:
            consumers[t].append(i)
    roots = set(w.roots)

    def placement_of_op(i: int) -> Scope | None:
        box = box_of[i]
        return box.parent if box is not None else w.ops[i].tag

    nodes: list[Node] = []
    shown = [True] * len(w.tensors)
    boxes_seen: dict[int, int] = {}  # scope number -> ops inside
    for t, kind in enumerate(w.kinds):
        made_by, users, placed = w.producer[t], consumers[t], None
        inside_one_box = False  # used only inside one collapsed box (so hidden in it)
        if rule is not None and users and t not in roots:
            first = box_of[users[0]]
            inside_one_box = first is not None and all(box_of[u] is first for u in users)
        if made_by >= 0:
            box = box_of[made_by]
            if box is not None:
                number = keys[id(box)]
                if number not in boxes_seen:
                    boxes_seen[number] = 0
                    nodes.append(Node(f"s{number}", "scope", number, box.parent))
                boxes_seen[number] += 1
                shown[t] = not (inside_one_box and box_of[users[0]] is box)
            else:
                nodes.append(Node(f"op{made_by}", "op", made_by, w.ops[made_by].tag))
            placed = placement_of_op(made_by)
        elif kind == "constant" or (kind == "input" and w.tensors[t].name is None):
            # drawn beside the ops that use it (and hidden in their box) when they share one scope
            shown[t] = not inside_one_box
            spots = {id(placement_of_op(u)) for u in users}
            placed = placement_of_op(users[0]) if len(spots) == 1 else None
        if shown[t]:
            nodes.append(Node(f"t{t}", kind, t, placed))
    return Layout(w, nodes, _edges(w, box_of, shown, keys), keys, scopes, boxes_seen)


def _edges(
    w: Walk, box_of: Sequence[Scope | None], shown: Sequence[bool], keys: Mapping[int, int]
) -> list[tuple[str, str]]:
    """The drawn edges: into and out of each op, or (once each) of the box it is hidden in."""
    edges: list[tuple[str, str]] = []
    box_edges: set[tuple[str, str]] = set()
    for i, inputs in enumerate(w.op_inputs):
        out = w.op_output[i]
        box = box_of[i]
        if box is None:
            edges.extend((f"t{t}", f"op{i}") for t in inputs)
            edges.append((f"op{i}", f"t{out}"))
            continue
        key = f"s{keys[id(box)]}"
        new = [
            (f"t{t}", key)
            for t in inputs
            if shown[t] and (w.producer[t] < 0 or box_of[w.producer[t]] is not box)
        ]
        if shown[out]:
            new.append((key, f"t{out}"))
        for edge in new:
            if edge not in box_edges:
                box_edges.add(edge)
                edges.append(edge)
    return edges


def truncate(lay: Layout, max_nodes: int) -> Layout:
    """Keep the `max_nodes` drawn nodes `nearest` the roots (a tensor's producer is the
    op or box its one incoming edge comes from); record how many were left out and which
    kept nodes lost inputs."""
    if len(lay.nodes) <= max_nodes:
        return lay
    incoming: dict[str, list[str]] = {}
    for a, b in lay.edges:
        incoming.setdefault(b, []).append(a)
    producers = {n.key for n in lay.nodes if n.kind in ("op", "scope")}
    made_by = lambda key: next((a for a in incoming.get(key, ()) if a in producers), None)
    values, kept_producers = nearest(
        (f"t{r}" for r in lay.walk.roots), made_by, lambda key: incoming.get(key, ()), max_nodes
    )
    kept = values | kept_producers
    lay.omitted = len(lay.nodes) - len(kept)
    lay.nodes = [n for n in lay.nodes if n.key in kept]
    cut = {b for a, b in lay.edges if b in kept and a not in kept}
    lay.edges = [(a, b) for a, b in lay.edges if a in kept and b in kept]
    lay.note_edges = [n.key for n in lay.nodes if n.key in cut]
    return lay


def fit_layout(w: Walk, rule: CollapseRule | None, max_nodes: int) -> Layout:
    """The layout for `rule`; past `max_nodes`, collapse scopes from the innermost level
    outwards until it fits, and truncate if even that is not enough."""
    if max_nodes < 1:
        raise ValueError(f"max_nodes must be at least 1, got {max_nodes}")
    if w.node_count <= max_nodes:
        return layout(w, rule)
    depth = max_scope_depth(w)
    if depth == 0:  # no scopes: cut the walk itself (before laying out all of it)
        sub, omitted, cut = truncate_walk(w, max_nodes)
        lay = layout(sub)
        lay.omitted, lay.note_edges = omitted, cut
        return lay
    lay = layout(w, rule)
    if len(lay.nodes) <= max_nodes:
        return lay
    for level in range(depth - 1, -1, -1):

        def deeper(scope: Scope, depth: int, level: int = level) -> bool:
            return depth >= level or (rule is not None and rule(scope, depth))

        lay = layout(w, deeper)
        lay.auto_collapsed = True
        if len(lay.nodes) <= max_nodes:
            return lay
    return truncate(lay, max_nodes)
