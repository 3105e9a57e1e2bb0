"""Pooling options as PyTorch's: max_pool2d's ceil_mode and return_indices (flat int64
indices into each input plane), avg_pool2d's ceil_mode, count_include_pad and
divisor_override; the fused max-pool against its composed twin; clear errors."""

import numpy as np
import pytest

import tinygrad_ce.functional as F
import tinygrad_ce.nn as nn
from tinygrad_ce import Tensor, gradcheck

R = np.random.default_rng(5)

# (H, W, kernel, stride, padding, dilation): ceil_mode adds a window, drops one that would
# start in the right padding, or changes nothing
MAX_CASES = [
    (6, 7, 3, 2, 1, 1),  # H: floor 3, ceil 4 windows
    (5, 5, 2, 2, 1, 1),  # ceil's extra window would start in the right padding: dropped
    (4, 9, (3, 2), (3, 2), (1, 0), 1),  # last windows hang over the edge, one input row in them
    (7, 6, 2, 3, 0, 2),  # dilation
    (8, 8, 2, 2, 0, 1),  # nothing changes
    (9, 8, 3, 2, 1, 2),  # dilation and padding
]


def _run(fn, x, seed_grad=None):
    t = Tensor(x, requires_grad=True)
    out = fn(t)
    main = out[0] if isinstance(out, tuple) else out
    main.backward(seed_grad if seed_grad is not None else np.ones(main.shape))
    return out, t.grad.data


def _seed(shape):
    return R.normal(size=shape)


@pytest.mark.parametrize("h, w, kernel, stride, padding, dilation", MAX_CASES)
@pytest.mark.parametrize("fused", [True, False])
def test_max_pool2d_ceil_mode_and_indices_match_torch(h, w, kernel, stride, padding, dilation, fused):
    torch = pytest.importorskip("torch")
    x = R.normal(size=(2, 3, h, w))
    expected = torch.nn.functional.max_pool2d(
        torch.tensor(x), kernel, stride, padding, dilation, ceil_mode=True, return_indices=True
    )
    g = _seed(tuple(expected[0].shape))
    (out, idx), gx = _run(
        lambda t: F.max_pool2d(t, kernel, stride, padding, dilation, True, True, fused=fused), x, g
    )
    tx = torch.tensor(x, requires_grad=True)
    tout, tidx = torch.nn.functional.max_pool2d(tx, kernel, stride, padding, dilation, True, True)
    tout.backward(torch.tensor(g))
    assert out.shape == tuple(tout.shape)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=0, atol=0)
    assert idx.dtype == np.int64 and not idx.requires_grad
    np.testing.assert_array_equal(idx.data, tidx.numpy())
    np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("ceil_mode", [False, True])
def test_max_pool2d_fused_and_twin_agree_with_ceil_mode_and_ties(ceil_mode):
    x = R.integers(0, 3, size=(2, 2, 7, 6)).astype(np.float64)  # many ties
    g = _seed(F.max_pool2d(Tensor(x), 3, 2, 1, 1, ceil_mode).shape)
    results = []
    for fused in (True, False):
        (out, idx), gx = _run(lambda t, f=fused: F.max_pool2d(t, 3, 2, 1, 1, ceil_mode, True, fused=f), x, g)
        results.append((out.data, idx.data, gx))
    (out, idx, gx), (twin_out, twin_idx, twin_gx) = results
    np.testing.assert_array_equal(out, twin_out)
    np.testing.assert_array_equal(idx, twin_idx)
    np.testing.assert_allclose(gx, twin_gx, rtol=1e-14, atol=1e-15)  # sums in another order


def test_max_pool2d_indices_point_at_the_maxima():
    x = R.normal(size=(2, 3, 7, 5))
    out, idx = F.max_pool2d(Tensor(x), 3, 2, 1, ceil_mode=True, return_indices=True)
    flat = x.reshape(2, 3, -1)
    picked = np.take_along_axis(flat, idx.data.reshape(2, 3, -1), axis=2).reshape(out.shape)
    np.testing.assert_array_equal(picked, out.data)


def test_max_pool2d_ceil_mode_gradcheck_and_second_order():
    x = R.normal(size=(1, 2, 5, 6))
    assert gradcheck(lambda t: F.max_pool2d(t, 2, 2, ceil_mode=True), [Tensor(x, requires_grad=True)])
    assert gradcheck(
        lambda t: F.max_pool2d(t, 3, 2, 1, ceil_mode=True, fused=False), [Tensor(x, requires_grad=True)]
    )
    from tinygrad_ce import grad

    grads = []
    for fused in (True, False):
        t = Tensor(x, requires_grad=True)
        (g,) = grad((F.max_pool2d(t, 2, 2, ceil_mode=True, fused=fused) ** 2).sum(), [t], create_graph=True)
        (gg,) = grad((g**2).sum(), [t])
        grads.append((g.data, gg.data))
    np.testing.assert_allclose(grads[0][0], grads[1][0])
    np.testing.assert_allclose(grads[0][1], grads[1][1])


# (H, W, kernel, stride, padding)
AVG_CASES = [
    (6, 7, 3, 2, 1),
    (5, 5, 2, 2, 1),
    (4, 9, (3, 2), (3, 2), (1, 0)),
    (7, 7, 3, 3, 1),
    (8, 8, 2, 2, 0),
]


@pytest.mark.parametrize("h, w, kernel, stride, padding", AVG_CASES)
@pytest.mark.parametrize("ceil_mode", [False, True])
@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("divisor_override", [None, 5])
def test_avg_pool2d_options_match_torch(
    h, w, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
):
    torch = pytest.importorskip("torch")
    x = R.normal(size=(2, 3, h, w))
    args = (kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
    tx = torch.tensor(x, requires_grad=True)
    tout = torch.nn.functional.avg_pool2d(tx, *args)
    g = _seed(tuple(tout.shape))
    tout.backward(torch.tensor(g))
    out, gx = _run(lambda t: F.avg_pool2d(t, *args), x, g)
    assert out.shape == tuple(tout.shape)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_avg_pool2d_ceil_mode_gradcheck():
    x = R.normal(size=(1, 2, 6, 5))
    assert gradcheck(
        lambda t: F.avg_pool2d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False),
        [Tensor(x, requires_grad=True)],
    )


def test_pool_modules_match_torch():
    torch = pytest.importorskip("torch")
    x = R.normal(size=(2, 3, 7, 6)).astype(np.float32)
    ours = nn.MaxPool2d(3, 2, 1, return_indices=True, ceil_mode=True)
    out, idx = ours(Tensor(x))
    tout, tidx = torch.nn.MaxPool2d(3, 2, 1, return_indices=True, ceil_mode=True)(torch.tensor(x))
    np.testing.assert_array_equal(out.data, tout.numpy())
    np.testing.assert_array_equal(idx.data, tidx.numpy())
    assert "ceil_mode=True" in repr(ours)
    avg = nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False, divisor_override=None)
    tavg = torch.nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False)
    np.testing.assert_allclose(avg(Tensor(x)).data, tavg(torch.tensor(x)).numpy(), rtol=1e-6)
    over = nn.AvgPool2d(2, divisor_override=3)(Tensor(x))
    np.testing.assert_allclose(over.data, torch.nn.AvgPool2d(2, divisor_override=3)(torch.tensor(x)).numpy())


def test_pool_integer_input_with_ceil_mode_pads_low():
    ints = R.integers(-5, 5, size=(1, 2, 5, 5)).astype(np.int64)
    for fused in (True, False):
        out, idx = F.max_pool2d(Tensor(ints), 2, ceil_mode=True, return_indices=True, fused=fused)
        assert out.shape == (1, 2, 3, 3) and out.data[0, 0, 2, 2] == ints[0, 0, 4, 4]
        assert idx.data[0, 0, 2, 2] == 24


def test_pool_bad_options_raise_clear_errors():
    x = Tensor(np.zeros((1, 1, 4, 4)))
    with pytest.raises(TypeError, match="max_pool2d: ceil_mode must be True or False, got"):
        F.max_pool2d(x, 2, ceil_mode=1)
    with pytest.raises(TypeError, match="max_pool2d: return_indices must be True or False"):
        F.max_pool2d(x, 2, return_indices="yes")
    with pytest.raises(TypeError, match="avg_pool2d: ceil_mode must be True or False"):
        F.avg_pool2d(x, 2, ceil_mode=None)
    with pytest.raises(TypeError, match="avg_pool2d: count_include_pad must be True or False"):
        F.avg_pool2d(x, 2, count_include_pad=0)
    with pytest.raises(ValueError, match="divisor_override must not be zero"):
        F.avg_pool2d(x, 2, divisor_override=0)
    with pytest.raises(TypeError, match="divisor_override must be None or an int, got 2.5"):
        F.avg_pool2d(x, 2, divisor_override=2.5)
    with pytest.raises(ValueError, match="too small for kernel"):
        F.max_pool2d(x, 5, ceil_mode=True)
    with pytest.raises(TypeError, match="MaxPool2d: return_indices must be True or False"):
        nn.MaxPool2d(2, return_indices=None)
