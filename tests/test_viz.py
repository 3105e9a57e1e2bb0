"""Graph drawings (`tinygrad_ce.lab.viz`): exact DOT structure on small known graphs, scopes
as clusters and boxes, determinism, a golden DOT file, rendering with the real `dot`,
the missing-`dot` error, and a 100,000-op chain cut down to `max_nodes`."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_ce.functional as F
from tinygrad_ce import Tensor, nn
from tinygrad_ce.lab.viz import (
    GraphvizNotFoundError,
    count_nodes,
    draw_backward,
    draw_comparison,
    draw_graph,
    render,
    value_lines,
)
from tinygrad_ce.lab.viz import graph as vg

GOLDEN = Path(__file__).parent / "golden" / "small_graph.dot"
HAS_DOT = any((Path(d) / "dot").exists() for d in os.environ.get("PATH", "").split(os.pathsep) if d)
_NODE = re.compile(r"^\s*(\w+) \[label=", re.MULTILINE)
_EDGE = re.compile(r"^\s*(\w+) -> (\w+)( \[.*\])?$", re.MULTILINE)


def graph_nodes(source: str) -> list[str]:
    """Ids of the drawn nodes, the legend left out."""
    return [n for n in _NODE.findall(source) if not n.startswith("legend_")]


def graph_edges(source: str) -> list[tuple[str, str]]:
    return [
        (a, b)
        for a, b, attrs in _EDGE.findall(source)
        if not a.startswith("legend_") and "invis" not in attrs
    ]


def label_of(source: str, node: str) -> str:
    match = re.search(rf"^\s*{node} \[label=(.*?) (color|fillcolor)=", source, re.MULTILINE)
    assert match, f"no node {node}"
    return match.group(1)


def small_graph() -> Tensor:
    """y = sum(softmax(a * b) * b), backpropagated: a parameter, an input, constants, a cluster."""
    a = Tensor(np.array([1.0, 2.0, 0.5]), requires_grad=True, name="a")
    b = Tensor(np.array([3.0, -1.0, 2.0]), name="b")
    y = (F.softmax(a * b) * b).sum()
    y.backward()
    return y


# ----------------------------------------------------------------------------- structure
def test_small_known_graph_has_exact_nodes_edges_and_labels() -> None:
    a = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True, name="a")
    out = (a * 2.0 + a).sum()
    out.backward()
    source = draw_graph(out).source
    # tensors: a, 2.0, a*2, a*2+a, sum;  ops: mul, add, sum
    assert sorted(graph_nodes(source)) == sorted(["t0", "t1", "t2", "t3", "t4", "op0", "op1", "op2"])
    assert graph_edges(source) == [
        ("t0", "op0"),
        ("t1", "op0"),
        ("op0", "t2"),
        ("t2", "op1"),
        ("t0", "op1"),
        ("op1", "t3"),
        ("t3", "op2"),
        ("op2", "t4"),
    ]
    assert [label_of(source, op) for op in ("op0", "op1", "op2")] == ["mul", "add", "sum"]
    a_label = label_of(source, "t0")
    assert "<B>a</B>" in a_label and "(2,) float32" in a_label and "[1 2]" in a_label
    assert "grad [3 3]" in a_label  # d/da sum(2a + a) = 3
    assert label_of(source, "t1").startswith("<2<BR/>")  # the constant 2.0
    assert "scalar float32" in label_of(source, "t4") and ">9<" in label_of(source, "t4")
    assert 'fillcolor="#ffe8cc"' in re.search(r"^\s*t0 \[.*$", source, re.MULTILINE).group(0)  # parameter
    assert "legend_" not in source and "rankdir=TB" in source  # legend opt-in; top to bottom
    with_legend = draw_graph(out, legend=True).source
    for kind in ("parameter", "constant", "output", "grad"):
        assert f"legend_{kind}" in with_legend, kind
    assert "legend_input" not in with_legend  # only kinds that are drawn appear in the legend
    assert graph_nodes(with_legend) == graph_nodes(source)


def test_reused_node_draws_one_node_and_both_edges() -> None:
    a = Tensor(np.ones(2), requires_grad=True, name="a")
    b = a + a
    c = b + b
    source = draw_graph(c).source
    assert sorted(graph_nodes(source)) == ["op0", "op1", "t0", "t1", "t2"]
    assert graph_edges(source) == [
        ("t0", "op0"),
        ("t0", "op0"),
        ("op0", "t1"),
        ("t1", "op1"),
        ("t1", "op1"),
        ("op1", "t2"),
    ]
    assert count_nodes(c) == {"tensors": 3, "ops": 2, "nodes": 5}


def test_kinds_follow_the_documented_rule() -> None:
    w = Tensor(np.ones((2, 2)), requires_grad=True)
    x = Tensor(np.ones((3, 2)), name="x")
    unnamed_data = Tensor(np.ones((3, 2)))
    out = ((x @ w) * 0.5 + unnamed_data).sum()
    walk = vg.walk([out])
    kinds = {id(t): k for t, k in zip(walk.tensors, walk.kinds)}
    assert kinds[id(w)] == "parameter" and kinds[id(x)] == "input" and kinds[id(unnamed_data)] == "input"
    assert kinds[id(out)] == "output"
    assert sorted(walk.kinds) == sorted(
        ["parameter", "input", "intermediate", "constant", "intermediate", "input", "intermediate", "output"]
    )


def test_value_lines_small_big_and_non_finite() -> None:
    assert value_lines(np.array(2.5)) == ["2.5"]
    assert value_lines(np.array([1.0, -2.0])) == ["[1 -2]"]
    big = np.arange(10, dtype=np.float64)
    assert value_lines(big) == ["min 0  max 9", "mean 4.5"]
    bad = np.array([1.0, np.nan, np.inf, 3.0, 5.0, 7.0, np.nan])
    assert value_lines(bad) == ["min 1  max 7", "mean 4", "2 nan, 1 inf"]
    assert value_lines(np.zeros((0, 3))) == ["(empty)"]


def test_same_graph_gives_the_same_dot_text() -> None:
    first = draw_graph(small_graph()).source
    again = draw_graph(small_graph()).source  # rebuilt from scratch: other objects, same structure
    assert first == again


def test_golden_dot_text() -> None:
    source = draw_graph(small_graph(), name="golden").source
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(source, encoding="utf-8")
    assert GOLDEN.exists(), "run with UPDATE_GOLDEN=1 to write tests/golden/small_graph.dot, then review it"
    assert source == GOLDEN.read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- scopes
def _unfused(fused: bool = False) -> tuple[Tensor, Tensor]:
    logits = Tensor(np.random.default_rng(0).normal(size=(4, 5)), requires_grad=True, name="logits")
    return logits, F.cross_entropy(logits, np.array([0, 3, 1, 4]), fused=fused)


def test_scopes_are_nested_labelled_clusters() -> None:
    _, loss = _unfused()
    source = draw_graph(loss).source
    outer = re.search(r"^\tsubgraph cluster_\d+ \{\n\t\tgraph \[.*label=cross_entropy", source, re.M)
    inner = re.search(r"^\t\tsubgraph cluster_\d+ \{\n\t\t\tgraph \[.*label=log_softmax", source, re.M)
    assert outer and inner  # log_softmax one level deeper, inside cross_entropy
    assert inner.start() > outer.start()
    assert len(graph_nodes(source)) == 21 and len(graph_edges(source)) == 21
    lay = vg.layout(vg.walk([loss]))
    names = {n.key: (n.cluster.name if n.cluster else None) for n in lay.nodes}
    ops = [n for n in lay.nodes if n.kind == "op"]
    assert [names[n.key] for n in ops].count("log_softmax") == 5
    assert [names[n.key] for n in ops].count("cross_entropy") == 4  # getitem, neg, sum, div


def test_fused_op_is_one_node() -> None:
    _, loss = _unfused(fused=True)
    source = draw_graph(loss).source
    assert sorted(graph_nodes(source)) == ["op0", "t0", "t1"]
    assert label_of(source, "op0") == "softmax_cross_entropy" and "subgraph cluster_0" not in source
    assert "legend_fused" in draw_graph(loss, legend=True).source


def test_collapse_true_and_by_name() -> None:
    _, loss = _unfused()
    whole = draw_graph(loss, collapse=True).source
    assert sorted(graph_nodes(whole)) == ["s0", "t0", "t11"]
    assert graph_edges(whole) == [("t0", "s0"), ("s0", "t11")]
    assert "<B>cross_entropy</B>" in label_of(whole, "s0") and "9 ops" in label_of(whole, "s0")
    inner = draw_graph(loss, collapse=["log_softmax"]).source
    assert len(graph_nodes(inner)) == 12  # 21 - 5 ops - 5 tensors hidden inside + 1 box
    assert "5 ops" in label_of(inner, "s1")
    assert "label=cross_entropy" in inner and "label=log_softmax" not in inner
    with pytest.raises(TypeError, match="list of scope names"):
        draw_graph(loss, collapse="log_softmax")


def test_module_scopes_and_parameter_names() -> None:
    model = nn.MLP([2, 3, 2], rng=0)
    loss = F.cross_entropy(model(Tensor(np.ones((2, 2)), name="x")), np.array([0, 1]))
    source = draw_graph(loss, params=model).source
    for scope in ("MLP", "Linear", "ReLU"):
        assert f"label={scope} " in source
    for name in ("0.weight", "0.bias", "2.weight", "2.bias"):
        assert f"<B>{name}</B>" in source
    assert "<B>MLP</B>" in draw_graph(loss, collapse=True).source


def test_past_max_nodes_scopes_collapse_first() -> None:
    _, loss = _unfused()
    lay = vg.fit_layout(vg.walk([loss]), None, 16)
    assert lay.auto_collapsed and lay.omitted == 0 and len(lay.nodes) == 12  # log_softmax boxed
    source = draw_graph(loss, max_nodes=5).source
    assert len(graph_nodes(source)) == 3 and "scopes collapsed to fit max_nodes=5" in source


# ----------------------------------------------------------------------------- backward and comparison
def test_backward_graphs_fused_is_softmax_minus_y() -> None:
    logits, fused = _unfused(fused=True)
    source = draw_backward(fused, logits).source
    ops = [label_of(source, n) for n in graph_nodes(source) if n.startswith("op")]
    assert sorted(ops) == sorted(["reshape", "sub", "exp", "sum", "div", "sub", "div", "mul", "reshape"])
    assert "<B>grad logits</B>" in source and "<B>grad loss</B>" in source
    assert logits.grad is None  # grad(..., create_graph=True) does not touch .grad
    unfused = F.cross_entropy(logits, np.array([0, 3, 1, 4]), fused=False)
    long = draw_backward(unfused, [logits]).source
    long_ops = [n for n in graph_nodes(long) if n.startswith("op")]
    assert len(long_ops) == 12 and len(long_ops) > len(ops)
    assert "legend_forward" in draw_backward(unfused, [logits], legend=True).source  # exp(z), sum(exp(z))


def test_backward_default_inputs_are_the_parameters() -> None:
    model = nn.MLP([2, 2], rng=0)
    loss = F.cross_entropy(model(np.ones((3, 2))), np.array([0, 1, 1]))
    source = draw_backward(loss, params=model).source
    assert "<B>grad 0.weight</B>" in source and "<B>grad 0.bias</B>" in source
    with pytest.raises(ValueError, match="no leaf that requires grad"):
        draw_backward(Tensor(np.ones(3)).sum())


def test_backward_drawing_of_float32_fused_loss() -> None:
    logits = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True, name="logits")
    source = draw_backward(F.cross_entropy(logits, np.array([0, 1])), logits).source
    assert "<B>grad logits</B>" in source and "(2, 3) float32" in source


def test_comparison_has_two_clusters_with_node_counts() -> None:
    logits, fused = _unfused(fused=True)
    _, unfused = _unfused()
    source = draw_comparison(logits, np.array([0, 3, 1, 4])).source
    assert "subgraph cluster_fused_side" in source and "subgraph cluster_unfused_side" in source
    assert f'label="fused cross-entropy: {count_nodes(fused)["nodes"]} nodes, 1 op"' in source
    assert f'label="unfused cross-entropy: {count_nodes(unfused)["nodes"]} nodes, 9 ops"' in source
    model = nn.MLP([2, 3], rng=0)
    mlp = draw_comparison(model(np.ones((2, 2))), np.array([0, 2])).source
    assert "fused cross-entropy: 7 nodes, 2 ops (the loss alone: 2 nodes, 1 op)" in mlp
    back = draw_comparison(logits.data, np.array([0, 3, 1, 4]), backward=True, label_smoothing=0.1).source
    assert "gradient of the fused cross-entropy" in back and "gradient of the unfused cross-entropy" in back


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["add", "mul", "sub", "exp", "tanh", "neg"]),
            st.integers(0, 50),
            st.integers(0, 50),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_random_graphs_draw_every_tensor_op_and_edge(program: list[tuple[str, int, int]]) -> None:
    values = [
        Tensor(np.array([0.1, 0.2]), requires_grad=True, name="p"),
        Tensor(np.array([1.0, 2.0]), name="x"),
    ]
    for op, i, j in program:
        a, b = values[i % len(values)], values[j % len(values)]
        if op in ("add", "mul", "sub"):
            values.append({"add": a + b, "mul": a * b, "sub": a - b}[op])
        else:
            values.append({"exp": a.exp(), "tanh": a.tanh(), "neg": -a}[op])
    root = values[-1]
    tensors, ops, edges, stack = set(), set(), 0, [root]
    while stack:  # an independent count of what the drawing must contain
        t = stack.pop()
        if id(t) in tensors:
            continue
        tensors.add(id(t))
        if t.grad_fn is not None:
            ops.add(id(t.grad_fn))
            edges += len(t.grad_fn.parents) + 1
            stack.extend(t.grad_fn.parents)
    source = draw_graph(root).source
    assert len(graph_nodes(source)) == len(tensors) + len(ops)
    assert len(graph_edges(source)) == edges


# ----------------------------------------------------------------------------- rendering
@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
def test_render_svg_with_real_dot_and_parse_it(tmp_path: Path) -> None:
    out = render(draw_graph(small_graph(), name="small", legend=True), tmp_path / "small.svg")
    assert out == tmp_path / "small.svg" and (tmp_path / "small.dot").exists()
    root = ET.parse(out).getroot()
    texts = [el.text for el in root.iter("{http://www.w3.org/2000/svg}text") if el.text]
    for expected in ("a", "b", "mul", "exp", "sum", "div", "softmax", "(3,) float64", "small"):
        assert expected in texts, expected
    assert (
        len(root.findall(".//{http://www.w3.org/2000/svg}g[@class='node']"))
        == len(graph_nodes((tmp_path / "small.dot").read_text())) + 7
    )  # and seven legend entries (grad among them)


def test_missing_dot_writes_dot_and_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    graph = draw_graph(small_graph())
    with pytest.raises(GraphvizNotFoundError) as info:
        render(graph, tmp_path / "g.png")
    assert isinstance(info.value, RuntimeError)
    message = str(info.value)
    for hint in (
        "apt-get install graphviz",
        "brew install graphviz",
        "conda",
        "https://graphviz.org/download/",
        str(tmp_path / "g.dot"),
    ):
        assert hint in message
    assert "\n" not in message
    assert (tmp_path / "g.dot").read_text(encoding="utf-8") == graph.source
    assert not (tmp_path / "g.png").exists()
    assert render(graph, tmp_path / "only.dot") == tmp_path / "only.dot"  # DOT needs no Graphviz


def test_render_rejects_bad_format_and_mismatched_name(tmp_path: Path) -> None:
    graph = draw_graph(small_graph())
    with pytest.raises(ValueError, match="format must be one of"):
        render(graph, tmp_path / "g.jpg")
    with pytest.raises(ValueError, match="does not end in .svg"):
        render(graph, tmp_path / "g.png", format="svg")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        render(graph, tmp_path / "missing" / "g.svg")


# ----------------------------------------------------------------------------- big graphs
def test_100k_op_chain_is_drawn_iteratively_within_max_nodes() -> None:
    x = Tensor(np.zeros(1, dtype=np.float32), requires_grad=True, name="x")
    y = x
    for _ in range(100_000):
        y = y + 1.0
    source = draw_graph(y, max_nodes=50).source
    nodes = graph_nodes(source)
    assert len(nodes) == 51 and "omitted" in nodes  # 50 and the note
    total = 1 + 3 * 100_000  # x, and per step: the constant, the add, its output
    assert f"{total - 50:,} more nodes not drawn" in source and "(max_nodes=50)" in source
    root = max((n for n in nodes if n.startswith("t")), key=lambda n: int(n[1:]))
    assert "1e+05" in label_of(source, root) and "penwidth=2" in source  # the output, x + 100000, is kept
    with pytest.raises(ValueError, match="max_nodes must be at least 1"):
        draw_graph(y, max_nodes=0)


def test_more_roots_than_max_nodes_keeps_the_first_roots() -> None:
    model = nn.MLP([2, 4, 3], rng=0, dtype=np.float64)
    loss = F.cross_entropy(model(Tensor(np.ones((3, 2)), name="x")), np.array([0, 2, 1]))
    source = draw_backward(loss, params=model, max_nodes=3).source  # four gradients, three nodes
    assert len(graph_nodes(source)) == 4 and "omitted" in graph_nodes(source)
    assert "<B>grad 0.weight</B>" in source and "<B>grad 2.bias</B>" not in source


def test_fused_ops_are_drawn_by_their_class_attribute() -> None:
    model = nn.MLP([2, 3], rng=0)
    source = draw_graph(F.cross_entropy(model(Tensor(np.ones((2, 2)), name="x")), np.array([0, 1]))).source
    for op in ("linear", "softmax_cross_entropy"):
        assert re.search(rf'label={op} color="#c92a2a" fillcolor="#ffc9c9"', source), op


def test_any_fused_pair_is_drawn_side_by_side() -> None:
    from tinygrad_ce.lab.viz import draw_fused_pair

    x = np.random.default_rng(0).normal(size=(2, 3, 4))
    source = draw_fused_pair(F.layer_norm, x, (4,)).source
    assert "fused layer_norm" in source and "unfused layer_norm" in source
    fused_side = source.split("cluster_fused_side")[1].split("cluster_unfused_side")[0]
    assert "layer_norm" in fused_side
    back = draw_fused_pair(F.layer_norm, x, (4,), backward=True).source
    assert "gradient of the fused layer_norm" in back


# ----------------------------------------------------------------------------- names, legend, Jupyter
def test_parameters_are_named_from_their_module_without_params() -> None:
    model = nn.MLP([2, 3, 2], rng=0)
    loss = F.cross_entropy(model(Tensor(np.ones((2, 2)), name="x")), np.array([0, 1]))
    source = draw_graph(loss).source  # no params=: the names come from the MLP's scope
    for name in ("0.weight", "0.bias", "2.weight", "2.bias"):
        assert f"<B>{name}</B>" in source, name
    assert draw_graph(loss, model=model).source == source
    renamed = {"w1": model[0].weight}
    assert "<B>w1</B>" in draw_graph(loss, params=renamed).source
    with pytest.raises(ValueError, match="model= or params=, not both"):
        draw_graph(loss, model=model, params=model)
    with pytest.raises(TypeError, match="params must be a Module or a mapping"):
        draw_graph(loss, params=[model[0].weight])
    back = draw_backward(loss).source
    assert "<B>grad 0.weight</B>" in back and "<B>grad 2.bias</B>" in back


def test_anonymous_leaves_are_named_by_their_role() -> None:
    logits, loss = _unfused()
    source = draw_graph(loss).source
    assert source.count("row max (detached)") == 1  # the detached max inside log_softmax
    assert "row max (detached)" in draw_graph(F.softmax(logits).sum()).source
    fused = F.cross_entropy(logits, np.array([0, 3, 1, 4]))
    back = draw_backward(fused, logits).source
    assert "one-hot targets" in back and "row max (detached)" in back
    smooth = F.cross_entropy(logits, np.array([0, 3, 1, 4]), label_smoothing=0.1)
    assert "target weights" in draw_backward(smooth, logits).source
    # role-named leaves are constants: hidden inside a collapsed box, like unnamed ones
    assert sorted(graph_nodes(draw_graph(loss, collapse=True).source)) == ["s0", "t0", "t11"]


def test_legend_is_opt_in_has_grad_and_wraps_into_rows() -> None:
    source = draw_graph(small_graph()).source
    assert "legend" not in source
    with_legend = draw_graph(small_graph(), legend=True).source
    assert "legend_grad" in with_legend and ".grad" in with_legend
    assert "legend_row0" in with_legend and "legend_row1" in with_legend  # 7 kinds: two rows of 4
    assert "legend_grad" not in draw_graph(small_graph(), legend=True, show_grad=False).source
    logits, _ = _unfused()
    pair = draw_comparison(logits, np.array([0, 3, 1, 4])).source
    assert (
        "legend" not in pair and "legend_fused" in draw_comparison(logits, [0, 3, 1, 4], legend=True).source
    )


def test_default_is_top_to_bottom_with_the_fused_side_above() -> None:
    logits, _ = _unfused()
    source = draw_comparison(logits, np.array([0, 3, 1, 4])).source
    assert "rankdir=TB" in source
    ties = re.findall(r"^\s*(fused_\w+) -> (unfused_\w+) \[style=invis\]$", source, re.M)
    assert ties  # the fused side's output is tied above the unfused side's first nodes
    assert "rankdir=LR" in draw_graph(small_graph(), rankdir="LR").source


def test_notebook_display_without_dot_raises_our_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import graphviz

    from tinygrad_ce.lab.viz import Drawing

    graph = draw_graph(small_graph())
    assert isinstance(graph, Drawing) and isinstance(graph, graphviz.Digraph)
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # no `dot`: what IPython calls to show the graph fails
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz") as info:
        graph._repr_mimebundle_()
    assert not isinstance(info.value, graphviz.ExecutableNotFound) and ".source" in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    pair = draw_comparison(np.zeros((2, 3)), [0, 1])
    with pytest.raises(GraphvizNotFoundError):
        pair._repr_mimebundle_(include=["image/svg+xml"])


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
def test_notebook_display_with_dot_gives_svg() -> None:
    bundle = draw_graph(small_graph())._repr_mimebundle_()
    assert "image/svg+xml" in bundle and "<svg" in bundle["image/svg+xml"]
