"""nn (v2): ModuleList/ModuleDict/ParameterList/ParameterDict, buffers, apply, requires_grad_, to,
zero_grad, nn.init, nn.utils, activation and loss modules — against PyTorch where it has the same thing."""

from __future__ import annotations

import math
import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinygrad_ce
import tinygrad_ce.nn as nn
from tinygrad_ce import Tensor

try:
    import torch
except ImportError:  # the tests that compare with PyTorch skip (as pytest.importorskip would)
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="needs torch")
PACKAGE_DIR = os.path.dirname(os.path.abspath(tinygrad_ce.__file__)) + os.sep


def P(*shape, dtype=np.float32, seed=0):
    return nn.Parameter(np.random.default_rng(seed).normal(size=shape).astype(dtype))


def to_np(sd):
    return {k: v.detach().numpy() for k, v in sd.items()}


# ----------------------------------------------------------------------------- ModuleList
def test_module_list_is_a_list_with_pytorch_numbering():
    a, b, c, d = (nn.Linear(1, n, rng=n) for n in (1, 2, 3, 4))
    ml = nn.ModuleList([a, b])
    assert len(ml) == 2 and list(ml) == [a, b] and ml[-1] is b and ml[0] is a
    ml.append(c).extend([d])
    assert isinstance(ml[1:3], nn.ModuleList) and list(ml[1:3]) == [b, c] and list(ml[::-1]) == [d, c, b, a]
    ml.insert(1, nn.Tanh())
    assert [type(m).__name__ for m in ml] == ["Linear", "Tanh", "Linear", "Linear", "Linear"]
    del ml[1]
    ml[0] = d
    assert list(ml) == [d, b, c, d] and ml.pop() is d and ml.pop(0) is d and list(ml) == [b, c]
    assert [k for k in ml.state_dict()] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    del ml[:1]
    assert list(ml) == [c] and list(ml.state_dict()) == ["0.weight", "0.bias"] and not hasattr(ml, "1")
    ml += [a]
    both = ml + nn.ModuleList([b])
    assert list(both) == [c, a, b] and len(ml) == 2
    with pytest.raises(IndexError, match="index 5 is out of range for length 2"):
        ml[5]
    with pytest.raises(TypeError, match="ModuleList.append: module must be a nn.Module, got int 3"):
        ml.append(3)
    with pytest.raises(TypeError, match=r"extend: modules\[1\] must be a nn.Module"):
        ml.extend([a, "x"])
    assert len(ml) == 2  # nothing was added
    with pytest.raises(TypeError, match="index must be an int or a slice, got str"):
        ml["0"]
    with pytest.raises(NotImplementedError):
        ml(1.0)


@needs_torch
def test_module_list_edits_give_torch_keys():
    ours, theirs = nn.ModuleList(), torch.nn.ModuleList()
    for i, (n_in, n_out) in enumerate([(2, 3), (3, 4), (4, 5), (5, 6)]):
        ours.append(nn.Linear(n_in, n_out, rng=i))
        theirs.append(torch.nn.Linear(n_in, n_out))
    for ml, lin in ((ours, nn.Linear(7, 7, rng=0)), (theirs, torch.nn.Linear(7, 7))):
        del ml[1]
        ml.insert(2, lin)
        ml[0] = ml[-1]
        del ml[-1:]
    shapes = lambda sd: {k: tuple(v.shape) for k, v in sd.items()}
    assert shapes(ours.state_dict()) == shapes(theirs.state_dict())
    assert list(ours.state_dict()) == list(theirs.state_dict())


# ----------------------------------------------------------------------------- ModuleDict, ParameterList/Dict
def test_module_dict_is_a_dict():
    relu, tanh, lin = nn.ReLU(), nn.Tanh(), nn.Linear(2, 2, rng=0)
    md = nn.ModuleDict({"act": relu, "lin": lin})
    md.update([("out", tanh)])
    md["act"] = tanh
    assert md.keys() == ["act", "lin", "out"] and md.values() == [tanh, lin, tanh] and len(md) == 3
    assert list(md) == md.keys() and md.items()[1] == ("lin", lin) and "lin" in md and "zz" not in md
    assert 3 not in md and list(md.state_dict()) == ["lin.weight", "lin.bias"]
    assert md.pop("lin") is lin and "lin" not in md and not md.state_dict()
    del md["out"]
    md.clear()
    assert len(md) == 0
    with pytest.raises(KeyError, match="no key 'nope'"):
        md["nope"]
    for key in ("keys", "training", "forward"):  # would shadow a method or setting (PyTorch refuses too)
        with pytest.raises(KeyError, match=f"key '{key}' is the name of an attribute") as info:
            md[key] = relu
        assert isinstance(info.value, ValueError) and isinstance(info.value, nn.NameTakenError)
    with pytest.raises(ValueError, match="key must be a non-empty string without '.', got 'a.b'"):
        md["a.b"] = relu
    with pytest.raises(TypeError, match="key must be a string, got int 1"):
        md[1] = relu
    with pytest.raises(TypeError, match=r"update: modules\[0\] must be a \(key, value\) pair"):
        md.update(["abc"])
    with pytest.raises(TypeError, match=r"modules\['x'\] must be a nn.Module, got int 2"):
        nn.ModuleDict({"x": 2})


def test_parameter_list_and_dict_register_parameters():
    p, q = P(3), P(2, seed=1)
    pl = nn.ParameterList([p, Tensor(np.zeros(2, np.float32))])
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"] and list(pl.state_dict()) == ["0", "1"]
    assert pl[0] is p and isinstance(pl[1], nn.Parameter) and pl[1].requires_grad and len(pl) == 2
    pl.append(q)
    pl[1] = q
    assert list(pl) == [p, q, q] and list(pl.parameters()) == [p, q] and isinstance(pl[:2], nn.ParameterList)
    del pl[0]
    assert list(pl.state_dict()) == ["0", "1"]
    with pytest.raises(TypeError, match=r"append: value must be a nn.Parameter or a Tensor .*got ndarray"):
        pl.append(np.zeros(2))
    with pytest.raises(TypeError, match="must be a float Tensor"):
        pl.append(Tensor(np.arange(3)))
    with pytest.raises(TypeError, match="extend: values must be an iterable, got Parameter"):
        pl.extend(p)
    pd = nn.ParameterDict({"w": p})
    pd["b"] = Tensor(np.ones(2, np.float32))
    assert list(pd.state_dict()) == ["w", "b"] and isinstance(pd["b"], nn.Parameter) and "w" in pd
    assert pd.pop("w") is p and pd.keys() == ["b"]


@needs_torch
def test_parameter_list_repr_is_torch_s():
    ours = nn.ParameterList([P(3), P(2, 4, dtype=np.float64)])
    theirs = torch.nn.ParameterList(
        [torch.nn.Parameter(torch.zeros(3)), torch.zeros(2, 4, dtype=torch.float64)]
    )
    assert repr(ours) == repr(theirs).replace("torch.", "")


# ----------------------------------------------------------------------------- the warning
@pytest.mark.parametrize(
    "value, instead",
    [
        (lambda: [nn.Linear(2, 2, rng=0)], "nn.ModuleList"),
        (lambda: (nn.ReLU(), 3), "nn.ModuleList"),
        (lambda: {"a": nn.ReLU()}, "nn.ModuleDict"),
        (lambda: [P(2)], "nn.ParameterList"),
        (lambda: {"w": P(2)}, "nn.ParameterDict"),
    ],
)
def test_plain_containers_of_modules_or_parameters_warn(value, instead):
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.things = value()

    message = rf"Net.things: a plain \w+ holding .* not be found .*use {instead}"
    with pytest.warns(UserWarning, match=message) as rec:
        net = Net()
    assert rec[0].filename == __file__  # points at the assignment
    assert not list(net.parameters())


def test_plain_containers_of_other_things_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = nn.Module()
        m.sizes, m.names, m.table, m.tensors = [1, 2], ("a",), {"a": 1}, [Tensor([1.0])]
        m.layers = nn.ModuleList([nn.ReLU()])


# ----------------------------------------------------------------------------- buffers
class Stats(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.weight = P(3)
        self.register_buffer("running", Tensor(np.zeros(3, np.float32)))
        self.register_buffer("count", Tensor(np.array(0)))
        self.register_buffer("cache", Tensor(np.ones(2, np.float32)), persistent=False)
        self.register_buffer("absent", None)
        self.inner = nn.Linear(3, 2, rng=0)
        self.inner.register_buffer("scale", Tensor(np.ones(2, np.float32)))


def test_buffers_are_state_but_not_parameters():
    m = Stats()
    assert [n for n, _ in m.named_parameters()] == ["weight", "inner.weight", "inner.bias"]
    assert [n for n, _ in m.named_buffers()] == ["running", "count", "cache", "inner.scale"]
    assert [n for n, _ in m.named_buffers(prefix="m", recurse=False)] == ["m.running", "m.count", "m.cache"]
    assert list(m.buffers()) == [m.running, m.count, m.cache, m.inner.scale]
    assert list(m.state_dict()) == ["weight", "running", "count", "inner.weight", "inner.bias", "inner.scale"]
    state = m.state_dict()
    state["running"] = np.arange(3.0)
    state["count"] = np.array(7)
    m.load_state_dict(state)
    assert m.running.data.tolist() == [0, 1, 2] and m.count.item() == 7 and m.count.dtype.kind == "i"
    m.running = Tensor(np.full(3, 5.0, np.float32))  # assigning a Tensor replaces the buffer
    assert m.state_dict()["running"].tolist() == [5, 5, 5]
    m.running = None
    assert "running" not in m.state_dict() and "running" in m._buffers
    with pytest.raises(TypeError, match=r"cannot assign ndarray .* to 'count', a registered buffer of Stats"):
        m.count = np.array(1)
    m.weight2 = P(2)
    del m.cache
    assert "cache" not in dict(m.named_buffers())


def test_register_buffer_errors_name_the_argument():
    m = Stats()
    with pytest.raises(nn.NameTakenError, match="register_buffer: name 'weight' is already an attribute"):
        m.register_buffer("weight", Tensor([1.0]))
    with pytest.raises(KeyError):
        m.register_buffer("train", Tensor([1.0]))
    with pytest.raises(TypeError, match=r"tensor 'b' must be a Tensor or None, got ndarray .*Tensor\(arr"):
        m.register_buffer("b", np.zeros(2))
    with pytest.raises(TypeError, match="persistent must be True or False, got int 1"):
        m.register_buffer("b", Tensor([1.0]), persistent=1)
    with pytest.raises(ValueError, match="name must be a non-empty string without '.'"):
        m.register_buffer("a.b", Tensor([1.0]))

    class Early(nn.Module):
        def __init__(self) -> None:
            self.register_buffer("b", Tensor([1.0]))

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\) first"):
        Early()


def torch_stats():
    class TorchStats(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.weight = torch.nn.Parameter(torch.randn(3))
            self.register_buffer("running", torch.randn(3))
            self.register_buffer("count", torch.tensor(4))
            self.register_buffer("cache", torch.ones(2), persistent=False)
            self.register_buffer("absent", None)
            self.inner = torch.nn.Linear(3, 2)
            self.inner.register_buffer("scale", torch.randn(2))

    return TorchStats()


def tower(lib, zeros):
    """The same architecture with ModuleList, ModuleDict, ParameterList and a buffer, in
    tinygrad_ce (lib=nn) or PyTorch (lib=torch.nn)."""

    class Tower(lib.Module):
        def __init__(self) -> None:
            super().__init__()
            self.blocks = lib.ModuleList([lib.Linear(3, 4), lib.Linear(4, 3)])
            self.heads = lib.ModuleDict({"cls": lib.Linear(3, 2), "reg": lib.Linear(3, 1)})
            self.extra = lib.ParameterList([lib.Parameter(zeros(3))])
            self.register_buffer("shift", zeros(3))

        def forward(self, x):
            for block in self.blocks:
                x = block(x).tanh()
            x = x * self.extra[0] + self.shift
            return self.heads["cls"](x), self.heads["reg"](x)

    return Tower()


@needs_torch
def test_torch_state_dicts_with_containers_and_buffers_load_both_ways():
    torch.manual_seed(0)
    ours, theirs = Stats(), torch_stats()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(to_np(theirs.state_dict()))
    for key, value in ours.state_dict().items():
        np.testing.assert_array_equal(value, theirs.state_dict()[key].numpy())
    ours_t = tower(nn, lambda n: Tensor(np.zeros(n, np.float32)))
    theirs_t = tower(torch.nn, torch.randn)
    assert list(ours_t.state_dict()) == list(theirs_t.state_dict())
    ours_t.load_state_dict(to_np(theirs_t.state_dict()))
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    for a, b in zip(ours_t(Tensor(x)), theirs_t(torch.tensor(x))):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-5, atol=1e-6)
    fresh = tower(torch.nn, torch.zeros)  # and back: ours into a torch model
    fresh.load_state_dict({k: torch.tensor(v) for k, v in ours_t.state_dict().items()})
    for a, b in zip(ours_t(Tensor(x)), fresh(torch.tensor(x))):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- apply, requires_grad_, to
def _net(lib):
    inner = lib.Sequential(lib.Linear(2, 3), lib.ReLU())
    return lib.Sequential(inner, lib.ModuleList([lib.Tanh(), lib.Linear(3, 1)]), lib.Sigmoid())


@needs_torch
def test_apply_visits_children_first_as_torch():
    seen, theirs = [], []
    ours = _net(nn)
    assert ours.apply(lambda m: seen.append(type(m).__name__)) is ours
    _net(torch.nn).apply(lambda m: theirs.append(type(m).__name__))
    assert seen == theirs
    shared = nn.Linear(2, 2, rng=0)
    loop = nn.Sequential(shared, shared)
    loop.add_module("me", loop)
    count = []
    loop.apply(count.append)
    assert count == [shared, loop]  # each once, even shared or inside itself
    with pytest.raises(TypeError, match="apply: fn must be a callable"):
        loop.apply(3)


def test_apply_works_at_any_depth():
    m = nn.ModuleList()
    for _ in range(5000):
        m = nn.ModuleList([m])
    visited = []
    m.apply(visited.append)
    assert len(visited) == 5001 and visited[-1] is m and len(list(m.state_dict())) == 0


def test_requires_grad_freezes_and_unfreezes():
    net = nn.MLP([2, 3, 1], rng=0)
    assert net.requires_grad_(False) is net and not any(p.requires_grad for p in net.parameters())
    net(np.ones((1, 2), np.float32))  # no graph needed
    net[0].requires_grad_()
    assert [p.requires_grad for p in net.parameters()] == [True, True, False, False]
    with pytest.raises(TypeError, match="requires_grad_: requires_grad must be True or False, got int 0"):
        net.requires_grad_(0)


def test_to_casts_parameters_and_float_buffers_in_place():
    m = Stats()
    weight = m.weight
    m.weight.grad = Tensor(np.ones(3, np.float32))
    assert m.to(np.float64) is m and m.weight is weight
    assert weight.dtype == weight.grad.dtype == m.inner.weight.dtype == np.float64
    assert m.running.dtype == np.float64 and m.cache.dtype == np.float64 and m.count.dtype.kind == "i"
    assert m.to("cpu") is m and m.to("cpu", "float32") is m and m.weight.dtype == np.float32
    assert m.to(dtype=np.float64, device="cpu:0").weight.dtype == np.float64
    assert m.to(Tensor(np.zeros(1, np.float32))).weight.dtype == np.float32 and m.double().cpu().float() is m
    if torch is not None:
        assert m.to(torch.float64).weight.dtype == np.float64 and m.to(torch.device("cpu")) is m
    with pytest.raises(ValueError, match="device 'cuda' is not available: .*numpy on the CPU"):
        m.to("cuda")
    with pytest.raises(ValueError, match="device 'mps:0' is not available"):
        m.to(device="mps:0")
    with pytest.raises(TypeError, match="dtype must be a floating-point dtype .*got int32"):
        m.to(np.int32)
    with pytest.raises(TypeError, match="dtype must be a float dtype .*got str 'gpu'"):
        m.to("gpu")
    with pytest.raises(TypeError, match="the dtype is given twice"):
        m.to(np.float32, np.float64)


@needs_torch
def test_zero_grad_set_to_none_or_zeros_in_place_as_torch():
    ours, theirs = nn.Linear(2, 2, rng=0), torch.nn.Linear(2, 2)
    for model, x in ((ours, Tensor(np.ones((1, 2), np.float32))), (theirs, torch.ones(1, 2))):
        model.bias.requires_grad_(False)
        model(x).sum().backward()
        grad = model.weight.grad
        model.zero_grad(set_to_none=False)
        assert model.weight.grad is grad and not np.asarray(grad).any() and model.bias.grad is None
        model.zero_grad()
        assert model.weight.grad is None
    with pytest.raises(TypeError, match="zero_grad: set_to_none must be True or False"):
        ours.zero_grad("yes")


# ----------------------------------------------------------------------------- nn.init
SHAPES = [(3, 4), (5, 3, 2, 2), (2, 3, 4), (1, 1), (64, 32, 3)]


@needs_torch
@pytest.mark.parametrize("shape", SHAPES)
def test_fans_are_torch_s(shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert nn.init.calculate_fan_in_and_fan_out(Tensor(np.zeros(shape))) == expected


@needs_torch
def test_calculate_gain_is_torch_s():
    for name in nn.init.NONLINEARITIES:
        assert nn.init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))
    expected = torch.nn.init.calculate_gain("leaky_relu", 0.2)
    assert nn.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(expected)
    with pytest.raises(ValueError, match="calculate_gain: nonlinearity must be one of .*got 'swish'"):
        nn.init.calculate_gain("swish")


def _torch_std(fn, shape, **kw):
    """The standard deviation torch's initialiser `fn` aims at, from its own helpers."""
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    if fn.startswith("xavier"):
        return kw.get("gain", 1.0) * math.sqrt(2.0 / (fan_in + fan_out))
    fan = fan_in if kw.get("mode", "fan_in") == "fan_in" else fan_out
    return torch.nn.init.calculate_gain(kw.get("nonlinearity", "leaky_relu"), kw.get("a", 0)) / math.sqrt(fan)


INITS = [
    ("kaiming_uniform_", {}),
    ("kaiming_uniform_", dict(a=math.sqrt(5))),
    ("kaiming_uniform_", dict(mode="fan_out", nonlinearity="relu")),
    ("kaiming_normal_", {}),
    ("kaiming_normal_", dict(a=0.1, mode="fan_out")),
    ("xavier_uniform_", {}),
    ("xavier_uniform_", dict(gain=5 / 3)),
    ("xavier_normal_", dict(gain=2.0)),
]


@needs_torch
@pytest.mark.parametrize("name, kw", INITS, ids=[f"{n}{k}" for n, k in INITS])
@pytest.mark.parametrize("shape", [(200, 300), (64, 16, 3, 3)])
def test_scaled_inits_have_torch_s_bounds_and_std(name, kw, shape):
    t = nn.Parameter(np.zeros(shape, np.float32))
    data = t.data
    assert getattr(nn.init, name)(t, generator=0, **kw) is t and t.data is data and t.dtype == np.float32
    std = _torch_std(name, shape, **kw)
    theirs = getattr(torch.nn.init, name)(torch.empty(shape), **kw).numpy()
    assert t.data.std() == pytest.approx(std, rel=0.03) and theirs.std() == pytest.approx(std, rel=0.03)
    if name.endswith("uniform_"):
        bound = math.sqrt(3) * std
        assert np.abs(t.data).max() <= bound * (1 + 1e-6) and np.abs(t.data).max() > 0.99 * bound
        assert np.abs(theirs).max() <= bound * (1 + 1e-6)
    assert t.grad_fn is None and not t.grad


@needs_torch
def test_plain_fills_match_torch():
    t = Tensor(np.zeros((400, 500), np.float64))
    nn.init.uniform_(t, -2.0, 3.0, generator=1)
    assert t.data.min() >= -2 and t.data.max() <= 3 and t.data.mean() == pytest.approx(0.5, abs=0.02)
    nn.init.normal_(t, mean=1.0, std=0.5)
    assert t.data.mean() == pytest.approx(1.0, abs=0.01) and t.data.std() == pytest.approx(0.5, rel=0.01)
    nn.init.trunc_normal_(t, std=1.0, a=-1.0, b=0.5, generator=2)
    theirs = torch.nn.init.trunc_normal_(torch.empty(400, 500, dtype=torch.float64), std=1.0, a=-1.0, b=0.5)
    assert t.data.min() >= -1 and t.data.max() <= 0.5
    assert t.data.std() == pytest.approx(theirs.std().item(), rel=0.02)
    assert t.data.mean() == pytest.approx(theirs.mean().item(), abs=0.01)
    for ours, theirs in [
        (nn.init.zeros_, torch.nn.init.zeros_),
        (nn.init.ones_, torch.nn.init.ones_),
        (nn.init.eye_, torch.nn.init.eye_),
    ]:
        expected = theirs(torch.full((3, 5), 7.0))
        np.testing.assert_array_equal(ours(Tensor(np.full((3, 5), 7.0))).data, expected)
    assert nn.init.constant_(Tensor(np.zeros(3, np.int64)), 4).data.tolist() == [4, 4, 4]
    w = nn.init.orthogonal_(Tensor(np.zeros((4, 6))), gain=2.0, generator=0).data
    np.testing.assert_allclose(w @ w.T, 4 * np.eye(4), atol=1e-12)


def test_init_draws_from_the_seeded_default_generator():
    a, b = Tensor(np.zeros((3, 4))), Tensor(np.zeros((3, 4)))
    tinygrad_ce.manual_seed(5)
    nn.init.kaiming_uniform_(a)
    tinygrad_ce.manual_seed(5)
    nn.init.kaiming_uniform_(b)
    np.testing.assert_array_equal(a.data, b.data)
    c = nn.init.xavier_normal_(Tensor(np.zeros((3, 4))), generator=np.random.default_rng(9))
    np.testing.assert_array_equal(c.data, nn.init.xavier_normal_(Tensor(np.zeros((3, 4))), generator=9).data)


def test_init_errors_name_the_argument():
    with pytest.raises(TypeError, match="kaiming_uniform_: tensor must be a Tensor .*got ndarray"):
        nn.init.kaiming_uniform_(np.zeros((2, 2)))
    with pytest.raises(TypeError, match="normal_: tensor must have a float dtype"):
        nn.init.normal_(Tensor(np.zeros(2, np.int64)))
    with pytest.raises(ValueError, match=r"xavier_uniform_: fan in and fan out .* of shape \(3,\)"):
        nn.init.xavier_uniform_(Tensor(np.zeros(3)))
    with pytest.raises(ValueError, match="kaiming_normal_: mode must be one of fan_in, fan_out, got 'fan'"):
        nn.init.kaiming_normal_(Tensor(np.zeros((2, 2))), mode="fan")
    with pytest.raises(ValueError, match="uniform_: b must be a finite number >= 1"):
        nn.init.uniform_(Tensor(np.zeros(2)), 1.0, 0.0)
    with pytest.raises(ValueError, match="normal_: std must be a finite number >= 0"):
        nn.init.normal_(Tensor(np.zeros(2)), std=-1.0)
    with pytest.raises(TypeError, match="uniform_: generator must be a seed"):
        nn.init.uniform_(Tensor(np.zeros(2)), generator="x")
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        nn.init.kaiming_uniform_(Tensor(np.zeros((0, 3))))


# ----------------------------------------------------------------------------- nn.utils
def _grads(dtype, seed, scale):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=s).astype(dtype) * scale for s in [(3, 4), (5,), (2, 2, 2)]]


@needs_torch
@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from([2.0, 1, 3.5, math.inf, "inf"]),
    st.sampled_from([0.0, 0.1, 1.0, 5.0, 1e3, math.inf]),
    st.sampled_from([np.float32, np.float64]),
    st.integers(0, 100),
    st.sampled_from([1e-3, 1.0, 30.0]),
)
def test_clip_grad_norm_matches_torch(norm_type, max_norm, dtype, seed, scale):
    grads = _grads(dtype, seed, scale)
    ours = [nn.Parameter(np.zeros_like(g)) for g in grads] + [nn.Parameter(np.zeros(2, dtype))]
    theirs = [
        torch.zeros(
            g.shape, dtype=torch.float32 if dtype == np.float32 else torch.float64, requires_grad=True
        )
        for g in grads
    ] + [torch.zeros(2, requires_grad=True)]
    for p, q, g in zip(ours, theirs, grads):
        p.grad, q.grad = Tensor(g.copy()), torch.tensor(g.copy())
    total = nn.utils.clip_grad_norm_(iter(ours), max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    assert isinstance(total, Tensor) and total.shape == () and total.dtype == dtype
    np.testing.assert_allclose(total.data, expected.numpy(), rtol=rtol)
    for p, q in zip(ours, theirs):
        if q.grad is not None:
            np.testing.assert_allclose(p.grad.data, q.grad.numpy(), rtol=rtol, atol=1e-30)
    assert ours[-1].grad is None


@needs_torch
def test_clip_grad_norm_nonfinite_and_empty_as_torch():
    ours, theirs = nn.Parameter(np.zeros(3)), torch.zeros(3, dtype=torch.float64, requires_grad=True)
    for bad in (np.nan, np.inf):
        ours.grad = Tensor(np.array([1.0, bad, 2.0]))
        theirs.grad = torch.tensor([1.0, bad, 2.0], dtype=torch.float64)
        with pytest.raises(RuntimeError, match="non-finite"):
            nn.utils.clip_grad_norm_([ours], 1.0, error_if_nonfinite=True)
        assert ours.grad.data[0] == 1.0  # nothing scaled
        total = nn.utils.clip_grad_norm_(ours, 1.0)
        expected = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
        np.testing.assert_array_equal(total.data, expected.numpy())
        np.testing.assert_array_equal(ours.grad.data, theirs.grad.numpy())
    assert nn.utils.clip_grad_norm_([nn.Parameter(np.zeros(2))], 1.0).item() == 0.0


@needs_torch
def test_clip_grad_value_and_vectors_match_torch():
    g = np.random.default_rng(0).normal(size=(4, 5)) * 3
    ours, theirs = nn.Parameter(np.zeros((4, 5))), torch.zeros(4, 5, dtype=torch.float64, requires_grad=True)
    ours.grad, theirs.grad = Tensor(g.copy()), torch.tensor(g.copy())
    nn.utils.clip_grad_value_(ours, 1.5)
    torch.nn.utils.clip_grad_value_(theirs, 1.5)
    np.testing.assert_array_equal(ours.grad.data, theirs.grad.numpy())
    net, tnet = (
        nn.MLP([3, 4, 2], rng=0),
        torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2)),
    )
    tnet.load_state_dict({k: torch.tensor(v) for k, v in net.state_dict().items()})
    vec = nn.utils.parameters_to_vector(net.parameters())
    np.testing.assert_array_equal(vec.data, torch.nn.utils.parameters_to_vector(tnet.parameters()).detach())
    (vec * vec).sum().backward()  # differentiable
    np.testing.assert_allclose(net[0].weight.grad.data, 2 * net[0].weight.data)
    nn.utils.vector_to_parameters(Tensor(np.arange(vec.shape[0], dtype=np.float32)), net.parameters())
    torch.nn.utils.vector_to_parameters(torch.arange(vec.shape[0], dtype=torch.float32), tnet.parameters())
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(value, tnet.state_dict()[key].numpy())


def test_utils_errors_name_the_argument():
    p = nn.Parameter(np.zeros(2))
    with pytest.raises(ValueError, match="clip_grad_norm_: max_norm must be a finite number >= 0, got -1"):
        nn.utils.clip_grad_norm_([p], -1)
    with pytest.raises(ValueError, match="norm_type must be a finite number > 0, got 0"):
        nn.utils.clip_grad_norm_([p], 1.0, norm_type=0)
    with pytest.raises(TypeError, match=r"clip_grad_norm_: parameters\[1\] must be a Tensor, got int 3"):
        nn.utils.clip_grad_norm_([p, 3], 1.0)
    with pytest.raises(TypeError, match="parameters must be a Tensor or an iterable of Tensors, got None"):
        nn.utils.clip_grad_value_(None, 1.0)
    with pytest.raises(ValueError, match="clip_value must be a finite number >= 0"):
        nn.utils.clip_grad_value_([p], -0.5)
    with pytest.raises(ValueError, match="vec has 3 elements but the parameters hold 2"):
        nn.utils.vector_to_parameters(Tensor(np.zeros(3)), [p])
    with pytest.raises(TypeError, match="vec must be a Tensor, got list"):
        nn.utils.vector_to_parameters([0.0, 1.0], [p])


# ----------------------------------------------------------------------------- activation and shape layers
ACTIVATIONS = [
    ("Identity", (), {}),
    ("Flatten", (), {}),
    ("Flatten", (0, 1), {}),
    ("Unflatten", (1, (2, 2)), {}),
    ("GELU", (), {}),
    ("GELU", (), dict(approximate="tanh")),
    ("SiLU", (), {}),
    ("Mish", (), {}),
    ("SELU", (), {}),
    ("CELU", (0.5,), {}),
    ("LeakyReLU", (0.2,), {}),
    ("ELU", (), dict(alpha=0.7)),
    ("Softplus", (), dict(beta=2.0, threshold=5.0)),
    ("Softsign", (), {}),
    ("Hardtanh", (-0.5, 2.0), {}),
    ("ReLU6", (), {}),
    ("Hardsigmoid", (), {}),
    ("Hardswish", (), {}),
    ("LogSigmoid", (), {}),
    ("Softmax", (), dict(dim=1)),
    ("LogSoftmax", (), dict(dim=-1)),
    ("Softmin", (), dict(dim=0)),
    ("ReLU", (), dict(inplace=True)),
    ("LeakyReLU", (), dict(inplace=True)),
]


@needs_torch
@pytest.mark.parametrize("name, args, kw", ACTIVATIONS, ids=[f"{n}{a}{k}" for n, a, k in ACTIVATIONS])
def test_activation_modules_match_torch(name, args, kw):
    ours, theirs = getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(0).normal(size=(3, 4, 2)) * 4
    x[0, 0, 0], x[0, 0, 1] = 0.0, 30.0  # a kink and the softplus threshold
    xt = Tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    out, expected = ours(xt), theirs(tx.clone() if kw.get("inplace") else tx)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    seed = np.random.default_rng(1).normal(size=expected.shape)
    out.backward(Tensor(seed))
    expected.backward(torch.tensor(seed))
    rtol = 1e-7 if name == "Hardsigmoid" else 1e-10  # torch's backward multiplies by 1.0f / 6.0f, a float32
    np.testing.assert_allclose(xt.grad.data, tx.grad.numpy(), rtol=rtol, atol=1e-12)
    assert name != "Identity" or out is xt


@needs_torch
@pytest.mark.parametrize("shape", [(), (4,), (3, 4), (2, 3, 4), (2, 3, 4, 5)])
def test_softmax_without_dim_warns_and_picks_torch_s_axis(shape):
    x = np.random.default_rng(0).normal(size=shape)
    with pytest.warns(UserWarning, match="dim=None") as rec:
        ours = nn.Softmax()(x).data
    assert rec[0].filename == __file__
    with pytest.warns(UserWarning, match="Implicit dimension"):
        theirs = torch.nn.Softmax()(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_layer_arguments_are_checked_by_name():
    with pytest.raises(ValueError, match="GELU: approximate must be one of none, tanh, got 'fast'"):
        nn.GELU("fast")
    with pytest.raises(TypeError, match="Flatten: start_dim must be an integer, got str '1'"):
        nn.Flatten("1")
    with pytest.raises(TypeError, match="Unflatten: unflattened_size must be a tuple of ints, got int 3"):
        nn.Unflatten(1, 3)
    with pytest.raises(ValueError, match="Softplus: beta must not be 0"):
        nn.Softplus(beta=0)
    with pytest.raises(TypeError, match="LeakyReLU: inplace must be True or False"):
        nn.LeakyReLU(0.1, "no")
    with pytest.raises(ValueError, match="Hardtanh: max_val must be a finite number > 1"):
        nn.Hardtanh(1.0, 1.0)
    with pytest.raises(TypeError, match="Softmax: dim must be an integer, got float 1.0"):
        nn.Softmax(1.0)


# ----------------------------------------------------------------------------- losses
def _cls_data(shape, classes, seed=0, ignore=False):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(shape[0], classes, *shape[1:])) * 3
    target = rng.integers(0, classes, size=shape)
    if ignore:
        target.flat[::3] = -100
    return logits, target


LOSSES = [
    ("CrossEntropyLoss", {}, "index"),
    ("CrossEntropyLoss", dict(reduction="sum", label_smoothing=0.1), "index"),
    ("CrossEntropyLoss", dict(weight=[1.0, 2.0, 0.5, 1.5], reduction="mean"), "ignore"),
    ("CrossEntropyLoss", dict(ignore_index=2, reduction="none"), "index"),
    ("CrossEntropyLoss", dict(label_smoothing=0.2), "probs"),
    ("CrossEntropyLoss", dict(reduction="none"), "probs"),
    ("NLLLoss", {}, "logp"),
    ("NLLLoss", dict(weight=[1.0, 2.0, 0.5, 1.5]), "logp-ignore"),
    ("NLLLoss", dict(reduction="none", ignore_index=1), "logp"),
]


@needs_torch
@pytest.mark.parametrize("name, kw, kind", LOSSES, ids=[f"{n}{k}{t}" for n, k, t in LOSSES])
@pytest.mark.parametrize("shape", [(6,), (3, 5), (2, 3, 2)])
def test_class_losses_match_torch_with_classes_on_axis_1(name, kw, kind, shape):
    logits, target = _cls_data(shape, 4, ignore="ignore" in kind)
    if kind == "probs":
        target = np.random.default_rng(2).dirichlet(np.ones(4), size=shape).astype(np.float64)
        target = np.moveaxis(target, -1, 1)
    if kind.startswith("logp"):
        logits = torch.log_softmax(torch.tensor(logits), 1).numpy()
    tkw = {k: torch.tensor(v, dtype=torch.float64) if k == "weight" else v for k, v in kw.items()}
    ours, theirs = getattr(nn, name)(**kw), getattr(torch.nn, name)(**tkw)
    x, tx = Tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
    out, expected = ours(x, target), theirs(tx, torch.tensor(target))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    assert list(ours.state_dict()) == list(theirs.state_dict())


@needs_torch
def test_class_losses_take_unbatched_input():
    x = np.random.default_rng(0).normal(size=5)
    p = np.random.default_rng(1).dirichlet(np.ones(5))
    for ours, theirs, target in [
        (nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss(), np.array(2)),
        (nn.CrossEntropyLoss(label_smoothing=0.1), torch.nn.CrossEntropyLoss(label_smoothing=0.1), p),
        (nn.NLLLoss(), torch.nn.NLLLoss(), np.array(1)),
    ]:
        expected = theirs(torch.tensor(x), torch.tensor(target)).item()
        assert ours(x, target).item() == pytest.approx(expected, rel=1e-12)


PAIR_LOSSES = [
    ("MSELoss", {}),
    ("MSELoss", dict(reduction="sum")),
    ("L1Loss", dict(reduction="none")),
    ("SmoothL1Loss", dict(beta=0.5)),
    ("HuberLoss", dict(delta=0.7)),
    ("BCELoss", dict(weight=[0.5, 2.0, 1.0])),
    ("BCEWithLogitsLoss", dict(weight=[0.5, 2.0, 1.0], pos_weight=[3.0, 1.0, 0.2])),
    ("BCEWithLogitsLoss", dict(reduction="sum")),
    ("KLDivLoss", dict(reduction="batchmean")),
    ("KLDivLoss", dict(log_target=True, reduction="sum")),
]


@needs_torch
@pytest.mark.parametrize("name, kw", PAIR_LOSSES, ids=[f"{n}{k}" for n, k in PAIR_LOSSES])
def test_elementwise_losses_match_torch(name, kw):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    if name == "BCELoss":
        x, y = 1 / (1 + np.exp(-x)), (y > 0).astype(np.float64)
    elif name == "BCEWithLogitsLoss":
        y = rng.uniform(size=(4, 3))
    elif name == "KLDivLoss":
        x, y = torch.log_softmax(torch.tensor(x), 1).numpy(), torch.softmax(torch.tensor(y), 1).numpy()
        y = np.log(y) if kw.get("log_target") else y
    tkw = {k: torch.tensor(v, dtype=torch.float64) if isinstance(v, list) else v for k, v in kw.items()}
    ours, theirs = getattr(nn, name)(**kw), getattr(torch.nn, name)(**tkw)
    xt, tx = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours(xt, y), theirs(tx, torch.tensor(y))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(xt.grad.data, tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    assert list(ours.state_dict()) == list(theirs.state_dict()) and repr(ours) == repr(theirs)


def test_loss_weights_are_buffers_and_arguments_are_checked():
    loss = nn.CrossEntropyLoss(weight=np.array([1.0, 2.0], np.float32))
    assert list(loss.state_dict()) == ["weight"] and not list(loss.parameters())
    assert loss.to(np.float64).weight.dtype == np.float64
    assert nn.BCEWithLogitsLoss(pos_weight=[2.0]).pos_weight.dtype == np.float64
    with pytest.raises(ValueError, match="CrossEntropyLoss: reduction must be one of none, mean, sum, got"):
        nn.CrossEntropyLoss(reduction="avg")
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\], got 2"):
        nn.CrossEntropyLoss(label_smoothing=2)
    with pytest.raises(TypeError, match="ignore_index must be an integer, got float 1.5"):
        nn.NLLLoss(ignore_index=1.5)
    with pytest.raises(TypeError, match="BCELoss: weight must be a Tensor or an array of numbers, got str"):
        nn.BCELoss(weight="heavy")
    with pytest.raises(ValueError, match="KLDivLoss: reduction must be one of none, mean, sum, batchmean"):
        nn.KLDivLoss(reduction="batch")
    with pytest.raises(IndexError, match="4"):  # F's check: a class out of range names it and C
        nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0, 4]))


# ----------------------------------------------------------------------------- fuzz: wrong arguments
BAD = st.one_of(
    st.sampled_from(
        [
            None,
            "",
            "abc",
            b"x",
            [],
            [1, 2],
            {},
            (1,),
            True,
            1j,
            math.nan,
            math.inf,
            -1,
            -1.5,
            0,
            10**30,
            object(),
            np.array([1.0, 2.0]),
            Tensor([1.0, 2.0]),
            print,
        ]
    ),
    st.integers(-10, 10),
    st.floats(allow_nan=True),
    st.text(max_size=3),
)
FUZZ = [
    ("ModuleList", lambda **k: nn.ModuleList(**k), lambda: dict(modules=[nn.ReLU()])),
    (
        "ModuleList.insert",
        lambda **k: nn.ModuleList([nn.ReLU()]).insert(**k),
        lambda: dict(index=0, module=nn.Tanh()),
    ),
    ("ModuleDict", lambda **k: nn.ModuleDict(**k), lambda: dict(modules={"a": nn.ReLU()})),
    ("ParameterList", lambda **k: nn.ParameterList(**k), lambda: dict(values=[P(2)])),
    (
        "register_buffer",
        lambda **k: nn.Module().register_buffer(**k),
        lambda: dict(name="b", tensor=Tensor([1.0]), persistent=True),
    ),
    ("to", lambda **k: nn.Linear(2, 2, rng=0).to(**k), lambda: dict(dtype=np.float64, device="cpu")),
    (
        "kaiming_uniform_",
        nn.init.kaiming_uniform_,
        lambda: dict(tensor=Tensor(np.zeros((2, 3))), a=0.0, mode="fan_in", nonlinearity="relu", generator=0),
    ),
    (
        "xavier_normal_",
        nn.init.xavier_normal_,
        lambda: dict(tensor=Tensor(np.zeros((2, 3))), gain=1.0, generator=0),
    ),
    ("uniform_", nn.init.uniform_, lambda: dict(tensor=Tensor(np.zeros(3)), a=-1.0, b=1.0, generator=0)),
    (
        "clip_grad_norm_",
        nn.utils.clip_grad_norm_,
        lambda: dict(parameters=[P(3)], max_norm=1.0, norm_type=2.0, error_if_nonfinite=False),
    ),
    ("clip_grad_value_", nn.utils.clip_grad_value_, lambda: dict(parameters=[P(3)], clip_value=1.0)),
    (
        "CrossEntropyLoss",
        nn.CrossEntropyLoss,
        lambda: dict(weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0),
    ),
    ("BCEWithLogitsLoss", nn.BCEWithLogitsLoss, lambda: dict(weight=None, reduction="mean", pos_weight=None)),
    ("Unflatten", nn.Unflatten, lambda: dict(dim=1, unflattened_size=(2, 2))),
    ("Softplus", nn.Softplus, lambda: dict(beta=1.0, threshold=20.0)),
    ("GELU", nn.GELU, lambda: dict(approximate="none")),
]
CASES = [(name, call, kw, arg) for name, call, kw in FUZZ for arg in kw()]


def _last_frame(exc):
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    return os.path.abspath(tb.tb_frame.f_code.co_filename)


@pytest.mark.parametrize("name, call, kwargs, arg", CASES, ids=[f"{c[0]}-{c[3]}" for c in CASES])
@settings(
    max_examples=int(os.environ.get("TINYGRAD_CE_FUZZ_EXAMPLES", "10")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(value=BAD)
def test_a_wrong_argument_is_a_clear_error_or_works(name, call, kwargs, arg, value):
    kw = kwargs()
    kw[arg] = value
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call(**kw)
    except Exception as exc:  # noqa: BLE001 - the point is to look at any exception
        where = f"{name}({arg}={value!r}): {type(exc).__name__}: {exc}"
        assert isinstance(exc, (TypeError, ValueError, IndexError, RuntimeError)), where
        assert _last_frame(exc).startswith(PACKAGE_DIR), where
        assert arg in str(exc) or (arg == "modules" and "module" in str(exc)), where
