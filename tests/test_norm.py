"""layer_norm, batch_norm and embedding: the fused ops against their composed twins,
gradchecks (second order through the fused backward), and PyTorch's numbers."""

import numpy as np
import pytest

import tinygrad_ce.functional as F
import tinygrad_ce.nn as nn
from tinygrad_ce import Tensor, grad, gradcheck

try:
    import torch
except ImportError:  # the PyTorch comparisons skip
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="needs torch")

R = np.random.default_rng(3)


def _t(*shape, dtype=np.float64, scale=1.0, shift=0.0):
    return Tensor((R.normal(size=shape) * scale + shift).astype(dtype), requires_grad=True)


def _loss(y):
    w = Tensor(np.linspace(-1.0, 2.0, y.size).reshape(y.shape).astype(y.dtype))
    return (y * w).sum() + (y * y).sum() * 0.1


def _assert_twins(fn, xs, rtol):
    """fused and fused=False agree in value and in every input's gradient."""
    values, grads = [], []
    for fused in (True, False):
        y = fn(*xs, fused=fused)
        values.append(y.data)
        grads.append([g.data for g in grad(_loss(y), xs)])
    np.testing.assert_allclose(values[0], values[1], rtol=rtol, atol=rtol)
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)


# ----------------------------------------------------------------------------- layer_norm
LN_CASES = [
    ((4, 5), (5,), True, True),
    ((2, 3, 4), (3, 4), True, True),
    ((3, 6), 6, False, False),
    ((3, 6), (6,), True, False),
    ((3, 6), (6,), False, True),
]


def _ln_inputs(shape, norm, has_w, has_b, dtype=np.float64, shift=0.0):
    norm = (norm,) if isinstance(norm, int) else norm
    return [_t(*shape, dtype=dtype, shift=shift)] + [_t(*norm, dtype=dtype) for h in (has_w, has_b) if h]


def _ln(norm, has_w, has_b):
    def fn(x, *p, fused=True):
        p = list(p)
        w = p.pop(0) if has_w else None
        b = p.pop(0) if has_b else None
        return F.layer_norm(x, norm, w, b, eps=1e-5, fused=fused)

    return fn


@pytest.mark.parametrize("shape, norm, has_w, has_b", LN_CASES)
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-10), (np.float32, 2e-4)])
def test_layer_norm_twins_agree(shape, norm, has_w, has_b, dtype, rtol):
    xs = _ln_inputs(shape, norm, has_w, has_b, dtype, shift=3.0)
    _assert_twins(_ln(norm, has_w, has_b), xs, rtol)
    y = _ln(norm, has_w, has_b)(*xs)
    assert y.grad_fn.name == "layer_norm" and y.dtype == dtype and y.shape == shape


@pytest.mark.parametrize("shape, norm, has_w, has_b", LN_CASES)
@pytest.mark.parametrize("fused", [True, False])
def test_layer_norm_gradcheck(shape, norm, has_w, has_b, fused):
    xs = _ln_inputs(shape, norm, has_w, has_b)
    fn = _ln(norm, has_w, has_b)
    assert gradcheck(lambda *a: _loss(fn(*a, fused=fused)), xs)


@pytest.mark.parametrize("shape, norm, has_w, has_b", LN_CASES[:2])
def test_layer_norm_second_order_through_the_fused_backward(shape, norm, has_w, has_b):
    xs = _ln_inputs(shape, norm, has_w, has_b)
    fn = _ln(norm, has_w, has_b)
    weights = [np.linspace(-1, 1, x.size).reshape(x.shape) for x in xs]

    def first_order(*a, fused=True):
        gs = grad(_loss(fn(*a, fused=fused)), list(a), create_graph=True)
        return sum((g * Tensor(w)).sum() for g, w in zip(gs, weights))

    assert gradcheck(first_order, xs, atol=1e-5)
    hf = grad(first_order(*xs), xs)
    hu = grad(first_order(*xs, fused=False), xs)
    for a, b in zip(hf, hu):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-8, atol=1e-10)


@needs_torch
@pytest.mark.parametrize("shape, norm, has_w, has_b", LN_CASES)
@pytest.mark.parametrize("fused", [True, False])
def test_layer_norm_matches_torch(shape, norm, has_w, has_b, fused):
    xs = _ln_inputs(shape, norm, has_w, has_b, np.float32)
    fn = _ln(norm, has_w, has_b)
    ours = grad(_loss(fn(*xs, fused=fused)), xs)
    ts = [torch.tensor(x.data, requires_grad=True) for x in xs]
    p = list(ts[1:])
    tw = p.pop(0) if has_w else None
    tb = p.pop(0) if has_b else None
    norm_t = (norm,) if isinstance(norm, int) else norm
    ty = torch.nn.functional.layer_norm(ts[0], norm_t, tw, tb, 1e-5)
    np.testing.assert_allclose(fn(*xs, fused=fused).data, ty.detach().numpy(), rtol=1e-5, atol=1e-5)
    tw_ = torch.tensor(np.linspace(-1.0, 2.0, ty.numel()).reshape(ty.shape).astype(np.float32))
    ((ty * tw_).sum() + (ty * ty).sum() * 0.1).backward()
    for a, t in zip(ours, ts):
        np.testing.assert_allclose(a.data, t.grad.numpy(), rtol=1e-4, atol=1e-4)


@needs_torch
def test_layer_norm_module_loads_torch_state_dict():
    torch.manual_seed(0)
    theirs = torch.nn.LayerNorm((3, 4))
    with torch.no_grad():
        theirs.weight.normal_()
        theirs.bias.normal_()
    ours = nn.LayerNorm((3, 4))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight", "bias"]
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = R.normal(size=(2, 3, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-5)
    assert not list(nn.LayerNorm(4, elementwise_affine=False).parameters())
    assert list(nn.LayerNorm(4, bias=False).state_dict()) == ["weight"]
    for kwargs in ({}, {"bias": False}, {"elementwise_affine": False}):
        assert repr(nn.LayerNorm(4, **kwargs)) == repr(torch.nn.LayerNorm(4, **kwargs))


def test_layer_norm_errors_name_the_shapes():
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4,\)"):
        F.layer_norm(x, 4)
    with pytest.raises(ValueError, match="weight must have shape"):
        F.layer_norm(x, 3, weight=Tensor(np.ones(2)))
    with pytest.raises(TypeError, match="floating-point"):
        F.layer_norm(np.zeros((2, 3), dtype=np.int64), 3)


# ----------------------------------------------------------------------------- batch_norm
BN_SHAPES = [(6, 3), (4, 3, 5), (2, 3, 4, 5)]


def _bn(training, rm=None, rv=None):
    def fn(x, w, b, fused=True):
        mean = rm if rm is not None else Tensor(np.zeros(3))
        var = rv if rv is not None else Tensor(np.ones(3))
        return F.batch_norm(
            x, Tensor(mean.data.copy()), Tensor(var.data.copy()), w, b, training, 0.1, 1e-5, fused=fused
        )

    return fn


@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-10), (np.float32, 2e-4)])
def test_batch_norm_twins_agree(shape, training, dtype, rtol):
    xs = [_t(*shape, dtype=dtype, shift=2.0), _t(3, dtype=dtype), _t(3, dtype=dtype)]
    rm, rv = Tensor(R.normal(size=3).astype(dtype)), Tensor(R.uniform(0.5, 2, 3).astype(dtype))
    _assert_twins(_bn(training, rm, rv), xs, rtol)


@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("fused", [True, False])
def test_batch_norm_gradcheck(shape, training, fused):
    xs = [_t(*shape), _t(3), _t(3)]
    fn = _bn(training, Tensor(R.normal(size=3)), Tensor(R.uniform(0.5, 2, 3)))
    assert gradcheck(lambda *a: _loss(fn(*a, fused=fused)), xs)


def test_batch_norm_second_order_through_the_fused_backward():
    xs = [_t(4, 3, 2), _t(3), _t(3)]
    fn = _bn(True)
    weights = [np.linspace(-1, 1, x.size).reshape(x.shape) for x in xs]

    def first_order(*a, fused=True):
        gs = grad(_loss(fn(*a, fused=fused)), list(a), create_graph=True)
        return sum((g * Tensor(w)).sum() for g, w in zip(gs, weights))

    assert gradcheck(first_order, xs, atol=1e-5)
    for a, b in zip(grad(first_order(*xs), xs), grad(first_order(*xs, fused=False), xs)):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-8, atol=1e-10)


@needs_torch
@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("fused", [True, False])
def test_batch_norm_matches_torch_with_running_stats(shape, fused):
    rm, rv = Tensor(np.zeros(3, np.float32)), Tensor(np.ones(3, np.float32))
    trm, trv = torch.zeros(3), torch.ones(3)
    w, b = (nn.Parameter(R.normal(size=3).astype(np.float32)) for _ in range(2))
    tw, tb = torch.tensor(w.data, requires_grad=True), torch.tensor(b.data, requires_grad=True)
    for step in range(4):
        training = step < 3
        x = Tensor(R.normal(size=shape).astype(np.float32) * 2 + 1, requires_grad=True)
        tx = torch.tensor(x.data, requires_grad=True)
        y = F.batch_norm(x, rm, rv, w, b, training=training, momentum=0.2, eps=1e-5, fused=fused)
        ty = torch.nn.functional.batch_norm(tx, trm, trv, tw, tb, training=training, momentum=0.2, eps=1e-5)
        np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(rm.data, trm.numpy(), rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(rv.data, trv.numpy(), rtol=1e-6, atol=1e-6)
        ours = grad(_loss(y), [x, w, b])
        tl = torch.tensor(np.linspace(-1.0, 2.0, ty.numel()).reshape(ty.shape).astype(np.float32))
        theirs = torch.autograd.grad((ty * tl).sum() + (ty * ty).sum() * 0.1, [tx, tw, tb])
        for a, t in zip(ours, theirs):
            np.testing.assert_allclose(a.data, t.numpy(), rtol=1e-4, atol=1e-4)


@needs_torch
@pytest.mark.parametrize(
    "cls, shape", [("BatchNorm1d", (8, 3)), ("BatchNorm1d", (4, 3, 5)), ("BatchNorm2d", (2, 3, 4, 5))]
)
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batch_norm_modules_follow_torch(cls, shape, momentum):
    torch.manual_seed(0)
    theirs = getattr(torch.nn, cls)(3, momentum=momentum)
    with torch.no_grad():
        theirs.weight.normal_()
        theirs.bias.normal_()
    theirs.train()
    for _ in range(2):  # non-trivial running statistics to load
        theirs(torch.randn(*shape) * 3 + 1)
    ours = getattr(nn, cls)(3, momentum=momentum)
    keys = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert list(ours.state_dict()) == list(theirs.state_dict()) == keys
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    for mode in ("eval", "train", "train", "eval"):
        getattr(ours, mode)()
        getattr(theirs, mode)()
        x = (R.normal(size=shape) * 2 - 1).astype(np.float32)
        expected = theirs(torch.tensor(x)).detach().numpy()
        np.testing.assert_allclose(ours(x).data, expected, rtol=1e-5, atol=1e-5)
        for k, v in theirs.state_dict().items():
            np.testing.assert_allclose(
                ours.state_dict()[k].data if hasattr(ours.state_dict()[k], "data") else ours.state_dict()[k],
                v.numpy(),
                rtol=1e-6,
                atol=1e-6,
            )
    assert repr(ours) == repr(theirs)
    for kwargs in ({"affine": False}, {"bias": False}, {"track_running_stats": False}):
        ours, theirs = getattr(nn, cls)(3, **kwargs), getattr(torch.nn, cls)(3, **kwargs)
        assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())


@needs_torch
def test_batch_norm_without_running_stats_uses_the_batch_in_eval():
    kwargs = {"track_running_stats": False, "affine": False}
    ours, theirs = nn.BatchNorm1d(3, **kwargs), torch.nn.BatchNorm1d(3, **kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == []
    ours.eval()
    theirs.eval()
    x = R.normal(size=(5, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).numpy(), rtol=1e-5, atol=1e-5)


def test_batch_norm_updates_the_running_stats_in_place_and_compare_fused_works():
    from tinygrad_ce.compare import compare_fused

    rm, rv = Tensor(np.zeros(3)), Tensor(np.ones(3))
    arrays = rm.data, rv.data
    x = R.normal(size=(5, 3, 2)) + 4
    F.batch_norm(Tensor(x), rm, rv, training=True, momentum=0.5)
    assert rm.data is arrays[0] and rv.data is arrays[1]
    np.testing.assert_allclose(rm.data, 0.5 * x.mean(axis=(0, 2)))
    np.testing.assert_allclose(rv.data, 0.5 + 0.5 * x.var(axis=(0, 2), ddof=1))
    result = compare_fused(F.layer_norm, _t(4, 6), 6, _t(6), _t(6))
    assert "max gradient difference" in str(result)


def test_batch_norm_errors():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(Tensor(np.zeros((1, 3))), None, None, training=True)
    with pytest.raises(ValueError, match="running_mean and running_var"):
        F.batch_norm(Tensor(np.zeros((2, 3))), None, None, training=False)
    with pytest.raises(ValueError, match=r"running_mean must have shape \(3,\)"):
        F.batch_norm(Tensor(np.zeros((2, 3))), Tensor(np.zeros(4)), Tensor(np.ones(3)))
    with pytest.raises(ValueError, match="expected 4D input"):
        nn.BatchNorm2d(3)(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="expected 3 channels"):
        nn.BatchNorm1d(3)(np.zeros((2, 4)))


# ----------------------------------------------------------------------------- embedding
def test_embedding_rows_and_accumulating_gradients():
    w = _t(5, 3)
    idx = np.array([[0, 2, 2], [4, 2, 1]])
    y = F.embedding(idx, w)
    np.testing.assert_array_equal(y.data, w.data[idx])
    (g,) = grad(y.sum(), [w])
    np.testing.assert_array_equal(g.data[:, 0], [1, 1, 3, 0, 1])


def test_embedding_padding_rows_get_no_gradient():
    w = _t(5, 3)
    idx = np.array([0, 2, 2, 4])
    y = F.embedding(idx, w, padding_idx=-3)  # row 2
    np.testing.assert_array_equal(y.data, w.data[idx])  # the values are the rows, padding or not
    (g,) = grad(y.sum(), [w])
    np.testing.assert_array_equal(g.data[:, 0], [1, 0, 0, 0, 1])
    assert gradcheck(lambda t: _loss(F.embedding(idx, t)), [w])  # (the padding row is by design not checked)


@needs_torch
def test_embedding_module_matches_torch():
    theirs = torch.nn.Embedding(6, 4, padding_idx=1)
    ours = nn.Embedding(6, 4, padding_idx=1, rng=0)
    assert np.all(ours.weight.data[1] == 0) and ours.weight.shape == (6, 4)
    assert ours.weight.dtype == np.float32
    assert abs(nn.Embedding(1000, 50, rng=1).weight.data.std() - 1) < 0.02  # N(0, 1)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    idx = np.array([[1, 3, 3], [5, 0, 1]])
    y, ty = ours(idx), theirs(torch.tensor(idx))
    np.testing.assert_array_equal(y.data, ty.detach().numpy())
    _loss(y).backward()
    tl = torch.tensor(np.linspace(-1.0, 2.0, ty.numel()).reshape(ty.shape).astype(np.float32))
    ((ty * tl).sum() + (ty * ty).sum() * 0.1).backward()
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), rtol=1e-5, atol=1e-6)
    assert repr(ours) == repr(theirs) == "Embedding(6, 4, padding_idx=1)"


def test_embedding_errors():
    w = Tensor(np.zeros((4, 2)))
    with pytest.raises(IndexError, match=r"\[0, 4\)"):
        F.embedding(np.array([0, 4]), w)
    with pytest.raises(TypeError, match="integers"):
        F.embedding(np.array([0.0]), w)
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(4, 2, padding_idx=4)
