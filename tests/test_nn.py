"""nn: Parameter, Module registration/traversal/state dicts, Linear, Sequential, MLP, Dropout."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_ce
import tinygrad_ce.nn as nn
from tinygrad_ce import Tensor, enable_grad, grad, gradcheck, no_grad


class Block(nn.Module):
    def __init__(self, rng: int = 0) -> None:
        super().__init__()
        self.scale = nn.Parameter(np.ones(3, dtype=np.float32))
        self.first = nn.Linear(3, 4, rng=rng)
        self.second = nn.Linear(4, 3, bias=False, rng=rng + 1)

    def forward(self, x):
        return self.second(self.first(x * self.scale).relu()) + x


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.block = Block()
        self.layers = nn.Sequential(nn.Linear(3, 5, rng=2), nn.Tanh(), nn.Linear(5, 2, rng=3))
        self.note = "not a parameter"

    def forward(self, x):
        return self.layers(self.block(x))


NET_KEYS = [
    "block.scale",
    "block.first.weight",
    "block.first.bias",
    "block.second.weight",
    "layers.0.weight",
    "layers.0.bias",
    "layers.2.weight",
    "layers.2.bias",
]


# ----------------------------------------------------------------------------- Parameter
def test_parameter_requires_grad_default_dtype_and_shares_arrays():
    p = nn.Parameter([1.0, 2.0])
    assert p.requires_grad and p.dtype == np.float32 and p.is_leaf
    array = np.zeros(3)
    q = nn.Parameter(array)
    assert q.data is array and q.dtype == np.float64
    assert nn.Parameter(Tensor(array)).data is array
    assert "Parameter containing" in repr(q)
    with pytest.raises(TypeError, match="floating-point"):
        nn.Parameter(np.arange(3))


# ----------------------------------------------------------------------------- Module
def test_named_parameters_follow_definition_order_with_dotted_names():
    net = Net()
    assert [name for name, _ in net.named_parameters()] == NET_KEYS
    assert list(net.state_dict()) == NET_KEYS
    assert [type(m).__name__ for m in net.modules()] == [
        "Net",
        "Block",
        "Linear",
        "Linear",
        "Sequential",
        "Linear",
        "Tanh",
        "Linear",
    ]
    assert [type(m).__name__ for m in net.children()] == ["Block", "Sequential"]
    assert net.note == "not a parameter"
    assert net.num_parameters() == 3 + 12 + 4 + 12 + 15 + 5 + 10 + 2


def test_shared_parameters_are_listed_once_but_saved_under_each_name():
    class Tied(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Linear(2, 2, rng=0)
            self.b = nn.Linear(2, 2, rng=1)
            self.b.weight = self.a.weight

    tied = Tied()
    assert [n for n, _ in tied.named_parameters()] == ["a.weight", "a.bias", "b.bias"]
    assert list(tied.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias"]
    assert tied.num_parameters() == 8


def test_registration_rules():
    class Early(nn.Module):
        def __init__(self) -> None:
            self.w = nn.Parameter([1.0])

    with pytest.raises(AttributeError, match=r"call super\(\).__init__\(\) first"):
        Early()
    lin = nn.Linear(2, 3, rng=0)
    with pytest.raises(TypeError, match="'weight', a registered parameter of Linear"):
        lin.weight = Tensor(np.ones((3, 2)))
    lin.bias = None  # allowed, like PyTorch
    assert [n for n, _ in lin.named_parameters()] == ["weight"]
    lin.bias = nn.Parameter(np.zeros(3, np.float32))
    assert [n for n, _ in lin.named_parameters()] == ["weight", "bias"]  # position kept
    net = Net()
    del net.block
    assert not any(name.startswith("block") for name in net.state_dict())
    loop = nn.Sequential(nn.ReLU())
    loop.add_module("1", loop)  # a cycle is not entered again, even without remove_duplicate
    assert [name for name, _ in loop.named_modules(remove_duplicate=False)] == ["", "0"]


def test_zero_grad_train_eval_are_recursive():
    net = Net()
    net(Tensor(np.ones((2, 3), np.float32))).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    assert net.eval() is net and not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_module_call_records_a_named_scope_per_module():
    model = nn.MLP([3, 4, 2], rng=0)
    out = model(np.ones((2, 3), np.float32))
    assert out.grad_fn.name == "linear"
    assert [s.name for s in out.grad_fn.tag.path()] == ["MLP", "Linear"]
    relu_node = out.grad_fn.parents[0].grad_fn
    assert [s.name for s in relu_node.tag.path()] == ["MLP", "ReLU"]
    assert relu_node.tag.parent is out.grad_fn.tag.parent  # one MLP call, one scope


# ----------------------------------------------------------------------------- state dicts
def test_state_dict_round_trip_nested_and_copies():
    source, target = Net(), Net()
    for p in target.parameters():
        p.data[...] = 0
    state = source.state_dict()
    assert all(isinstance(v, np.ndarray) for v in state.values())
    state["block.scale"][...] = 7  # a copy: the model is untouched
    assert np.all(source.block.scale.data == 1)
    result = target.load_state_dict(source.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    np.testing.assert_array_equal(target(x).data, source(x).data)


def test_load_state_dict_errors_name_every_problem_and_change_nothing():
    net = Net()
    before = net.state_dict()
    state = net.state_dict()
    del state["layers.0.bias"]
    state["extra.weight"] = np.zeros(2)
    state["layers.2.weight"] = np.zeros((3, 3))
    with pytest.raises(nn.StateDictError) as info:
        net.load_state_dict({k: v + 1 for k, v in state.items()})
    message = str(info.value)
    assert "missing keys: layers.0.bias" in message
    assert "unexpected keys: extra.weight" in message
    assert "layers.2.weight has shape (3, 3) in state_dict, (2, 5) in the model" in message
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    with pytest.raises(nn.StateDictError, match="shape"):  # a shape mismatch is an error even if not strict
        net.load_state_dict(state, strict=False)
    state["layers.2.weight"] = before["layers.2.weight"]
    result = net.load_state_dict(state, strict=False)
    assert result.missing_keys == ["layers.0.bias"] and result.unexpected_keys == ["extra.weight"]
    with pytest.raises(nn.StateDictError, match="not numeric"):
        net.load_state_dict({**before, "block.scale": np.array(["a", "b", "c"])})


def test_load_state_dict_casts_to_parameter_dtype():
    lin = nn.Linear(2, 2, rng=0)
    lin.load_state_dict({"weight": np.eye(2), "bias": [1, 2]})
    assert lin.weight.dtype == np.float32 and lin.bias.data.tolist() == [1.0, 2.0]


def test_pytorch_state_dict_loads_as_is():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    reference = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    model = nn.MLP([4, 8, 3], activation="tanh", rng=1)
    model.load_state_dict({k: v.detach().numpy() for k, v in reference.state_dict().items()})
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    expected = reference(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(model(x).data, expected, rtol=1e-5, atol=1e-6)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=2, max_size=4), st.integers(0, 2**31))
def test_state_dict_round_trip_through_save_and_load(tmp_path_factory, sizes, seed):
    path = tmp_path_factory.mktemp("sd") / "model.npz"
    source, target = nn.MLP(sizes, rng=seed), nn.MLP(sizes, rng=seed + 1)
    tinygrad_ce.save(source.state_dict(), path)
    target.load_state_dict(tinygrad_ce.load(path))
    for a, b in zip(source.parameters(), target.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


# ----------------------------------------------------------------------------- Linear
def test_linear_layout_and_pytorch_default_init():
    lin = nn.Linear(400, 30, rng=0)
    assert lin.weight.shape == (30, 400) and lin.bias.shape == (30,)
    bound = 1 / math.sqrt(400)
    for p in (lin.weight, lin.bias):
        assert p.dtype == np.float32 and np.abs(p.data).max() <= bound
    assert np.abs(lin.weight.data).max() > 0.95 * bound  # uniform over the whole interval
    assert abs(lin.weight.data.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert repr(lin) == "Linear(in_features=400, out_features=30, bias=True)"


def test_same_seed_gives_bit_identical_weights():
    a, b = nn.MLP([3, 5, 2], rng=7), nn.MLP([3, 5, 2], rng=7)
    c = nn.MLP([3, 5, 2], rng=8)
    for pa, pb, pc in zip(a.parameters(), b.parameters(), c.parameters()):
        assert np.array_equal(pa.data, pb.data) and not np.array_equal(pa.data, pc.data)
    nn.manual_seed(3)
    first = nn.Linear(3, 4).weight.data
    nn.manual_seed(3)
    assert np.array_equal(nn.Linear(3, 4).weight.data, first)
    assert not np.array_equal(nn.Linear(3, 4).weight.data, first)  # the generator moves on


def test_linear_dtype_follows_the_default_and_inputs_are_cast():
    tinygrad_ce.set_default_dtype(np.float64)
    try:
        assert nn.Linear(2, 2, rng=0).weight.dtype == np.float64
    finally:
        tinygrad_ce.set_default_dtype(np.float32)
    lin = nn.Linear(2, 3, rng=0)
    assert lin.weight.dtype == np.float32
    assert lin(np.ones((4, 2))).dtype == np.float32  # a float64 ndarray is cast to the weight dtype
    assert nn.Linear(2, 2, dtype=np.float64, rng=0).bias.dtype == np.float64


def test_linear_matches_formula_and_shape_errors():
    lin = nn.Linear(3, 2, rng=0)
    x = np.arange(12, dtype=np.float32).reshape(2, 2, 3)
    expected = x @ lin.weight.data.T + lin.bias.data
    np.testing.assert_allclose(lin(x).data, expected, rtol=1e-6)
    with pytest.raises(ValueError, match=r"Linear: expected input x of shape \(\*, 3\).*got shape \(2, 4\)"):
        lin(np.ones((2, 4)))
    with pytest.raises(ValueError, match="in_features must be a positive integer"):
        nn.Linear(0, 2)


@pytest.mark.parametrize("x_shape", [(4, 3), (2, 4, 3), (3,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradients_pass_gradcheck_including_double_backward(x_shape, bias):
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=x_shape), requires_grad=True)
    w = Tensor(rng.normal(size=(2, 3)), requires_grad=True)
    b = Tensor(rng.normal(size=2), requires_grad=True)
    inputs = [x, w, b] if bias else [x, w]
    weights = rng.normal(size=x_shape[:-1] + (2,))
    assert gradcheck(lambda *t: (nn.linear(*t) * weights).sum(), inputs)

    @enable_grad()  # gradcheck evaluates fn under no_grad; this fn needs a graph
    def squared_gradient_norm(*t):  # differentiable only if the backward is recorded
        grads = grad((nn.linear(*t) ** 2).sum(), list(t), create_graph=True)
        return sum((g * g).sum() for g in grads)

    assert gradcheck(squared_gradient_norm, inputs)


# ----------------------------------------------------------------------------- Sequential, MLP, activations
def test_sequential_indexing_len_iter():
    layers = [nn.Linear(2, 3, rng=0), nn.ReLU(), nn.Linear(3, 1, rng=1)]
    seq = nn.Sequential(*layers)
    assert len(seq) == 3 and list(seq) == layers and seq[-1] is layers[2]
    assert isinstance(seq[1:], nn.Sequential) and list(seq[1:]) == layers[1:]
    with pytest.raises(IndexError, match="index 3 out of range for 3 layers"):
        seq[3]
    with pytest.raises(TypeError, match=r"layers\[1\] is a ufunc, not a nn.Module"):
        nn.Sequential(nn.ReLU(), np.tanh)
    seq.append(nn.Sigmoid())
    assert len(seq) == 4 and list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


@pytest.mark.parametrize(
    "activation, fn",
    [("relu", lambda z: np.maximum(z, 0)), ("tanh", np.tanh), ("sigmoid", lambda z: 1 / (1 + np.exp(-z)))],
)
def test_mlp_is_linear_layers_with_activation_between(activation, fn):
    model = nn.MLP([4, 6, 5, 3], activation=activation, rng=0)
    assert [type(m).__name__ for m in model] == [
        "Linear",
        type(model[1]).__name__,
        "Linear",
        type(model[1]).__name__,
        "Linear",
    ]
    x = np.random.default_rng(1).normal(size=(7, 4)).astype(np.float32)
    h = x
    for i, layer in enumerate(model[::2]):
        h = h @ layer.weight.data.T + layer.bias.data
        h = fn(h) if i < 2 else h
    np.testing.assert_allclose(model(x).data, h, rtol=1e-5, atol=1e-6)
    assert model.num_parameters() == 4 * 6 + 6 + 6 * 5 + 5 + 5 * 3 + 3


def test_mlp_argument_errors_and_printing():
    with pytest.raises(ValueError, match="activation must be one of relu, tanh, sigmoid, got 'gelu'"):
        nn.MLP([2, 3], activation="gelu")
    with pytest.raises(ValueError, match="at least an input and an output"):
        nn.MLP([2])
    model = nn.MLP([2, 8, 3], rng=0)
    assert repr(model) == (
        "MLP(\n  (0): Linear(in_features=2, out_features=8, bias=True)\n  (1): ReLU()\n"
        "  (2): Linear(in_features=8, out_features=3, bias=True)\n)"
    )
    summary = model.summary()
    assert "0.weight" in summary and "(8, 2)" in summary and "MLP: 51 parameters (51 trainable)" in summary


def test_dropout_only_in_training_and_inverted_scaling():
    drop = nn.Dropout(0.25, rng=0)
    x = Tensor(np.ones((200, 50), np.float32), requires_grad=True)
    y = drop(x)
    kept = y.data != 0
    assert abs(kept.mean() - 0.75) < 0.02
    np.testing.assert_allclose(y.data[kept], 1 / 0.75, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, y.data)  # gradient uses the same mask
    assert drop.eval()(x) is x
    assert nn.Dropout(0.0).train()(x) is x
    assert np.all(nn.Dropout(1.0)(x).data == 0)
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\]"):
        nn.Dropout(1.5)
    model = nn.MLP([3, 4, 2], dropout=0.5, rng=0)
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Dropout", "Linear"]
    with no_grad():
        model.eval()
        out1, out2 = model(np.ones((2, 3))).data, model(np.ones((2, 3))).data
    np.testing.assert_array_equal(out1, out2)


# ----------------------------------------------------------------------------- cycles and depth
def test_a_module_inside_itself_prints_walks_and_saves():
    m = nn.Sequential(nn.Linear(2, 2, rng=0))
    m.me = m  # registered: a Module attribute
    assert repr(m).splitlines()[-2].strip() == "(me): <same Sequential as the top-level module>"
    assert [name for name, _ in m.named_modules()] == ["", "0"]
    assert [name for name, _ in m.named_modules(remove_duplicate=False)] == ["", "0"]
    assert list(m.state_dict()) == ["0.weight", "0.bias"]
    m.load_state_dict(m.state_dict())
    assert m.eval() is m and not m.training and m.num_parameters() == 6
    m.zero_grad()
    a, b = nn.Sequential(nn.ReLU()), nn.Sequential(nn.Tanh())
    a.b, b.a = b, a
    assert "(a): <same Sequential as the top-level module>" in repr(a)
    assert [name for name, _ in a.named_modules()] == ["", "0", "b", "b.0"]
    a.train(False)
    assert not b.training
    with pytest.raises(RecursionError, match="contains itself"):
        a(Tensor([1.0]))


def test_a_shared_block_is_printed_once():
    block = nn.Sequential(nn.Linear(1, 1, rng=0))
    model = nn.Sequential(block, block)
    assert "(1): <same Sequential as '0'>" in repr(model)
    assert list(model.state_dict()) == ["0.0.weight", "0.0.bias", "1.0.weight", "1.0.bias"]  # as in PyTorch
    wide = nn.ReLU()
    for _ in range(60):  # 2**60 paths: printing must not follow each one
        wide = nn.Sequential(wide, wide)
    assert len(repr(wide).splitlines()) < 200


def deep_sequential(depth: int) -> nn.Module:
    m: nn.Module = nn.Linear(2, 2, rng=0)
    for _ in range(depth):
        m = nn.Sequential(m)
    return m


def test_sequentials_nested_1000_deep_work():
    m = deep_sequential(1000)
    x = Tensor(np.ones((3, 2), np.float32))
    out = m(x)
    assert out.shape == (3, 2)
    path = [s.name for s in out.grad_fn.tag.path()]
    assert len(path) == 1001 and path[-1] == "Linear" and set(path[:-1]) == {"Sequential"}
    lines = repr(m).splitlines()
    assert len(lines) == 2001 and lines[1000].strip().startswith("(0): Linear")
    assert list(m.state_dict()) == [".".join(["0"] * 1000) + ".weight", ".".join(["0"] * 1000) + ".bias"]
    assert len(list(m.named_modules())) == 1001
    m.load_state_dict(m.state_dict())
    m.eval()
    m.zero_grad()
    out.sum().backward()
    assert m.parameters().__next__().grad is not None


class Wrap(nn.Module):
    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x)


def test_general_modules_nested_too_deep_say_so():
    m: nn.Module = nn.Linear(2, 2, rng=0)
    for _ in range(1000):
        m = Wrap(m)
    assert len(repr(m).splitlines()) == 2001
    message = r"Wrap: modules are nested too deeply to call.*\d+ Module calls deep"
    with pytest.raises(RecursionError, match=message) as info:
        m(Tensor(np.ones((1, 2), np.float32)))
    tb = info.value.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    assert os.path.dirname(tb.tb_frame.f_code.co_filename) == os.path.dirname(nn.__file__)  # raised by nn
    with tinygrad_ce.named_scope("after"):  # the scope stack was unwound
        probe = nn.Linear(2, 2, rng=0)(Tensor(np.ones((1, 2), np.float32)))
    assert [s.name for s in probe.grad_fn.tag.path()] == ["after", "Linear"]


def test_an_unrelated_recursion_error_is_left_alone():
    def recurse(n):
        return recurse(n + 1)

    class Recursive(nn.Module):
        def forward(self, x):
            return recurse(0)

    with pytest.raises(RecursionError, match="maximum recursion depth exceeded"):
        Recursive()(Tensor([1.0]))
