"""Convolution and pooling: the fused conv2d against its composed twin, both against
finite differences (float64) and against PyTorch (values and gradients of x, weight and
bias); conv1d, conv_transpose2d and the pools against PyTorch; the layers' parameter
shapes, initialisation and PyTorch state dicts."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as TF  # noqa: E402

import tinygrad_ce.functional as F  # noqa: E402
import tinygrad_ce.nn as nn  # noqa: E402
from tinygrad_ce import Tensor, grad, gradcheck  # noqa: E402

R = np.random.default_rng(11)
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch's note on even kernels

# (stride, padding, dilation, groups), with weight (6, 6 / groups, 3, 2) on x (2, 6, 9, 8)
GEOMETRIES = [
    (1, 0, 1, 1),
    (2, 1, 1, 1),
    (1, 2, 2, 1),
    ((2, 1), (1, 0), (1, 2), 2),
    (3, 1, 1, 3),
    (1, "same", (2, 1), 6),
    (1, "valid", 1, 2),
]


def _run(fn, arrays, seed_grad=None):
    """fn's output and the gradients of sum(out * seed_grad) for each array, ours."""
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*xs)
    out.backward(seed_grad if seed_grad is not None else np.ones(out.shape))
    return out.data, [x.grad.data for x in xs]


def _torch(fn, arrays, seed_grad):
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*ts)
    out.backward(torch.tensor(seed_grad))
    return out.detach().numpy(), [t.grad.numpy() for t in ts]


def _agree(fn, tfn, arrays, rtol=1e-10, atol=1e-10):
    shape = tfn(*[torch.tensor(a) for a in arrays]).shape
    g = R.normal(size=shape).astype(arrays[0].dtype)
    out, grads = _run(fn, arrays, g)
    ref, ref_grads = _torch(tfn, arrays, g)
    assert out.shape == ref.shape and out.dtype == ref.dtype
    np.testing.assert_allclose(out, ref, rtol=rtol, atol=atol)
    for a, b in zip(grads, ref_grads):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def _conv_inputs(groups, dtype=np.float64):
    return [
        R.normal(size=(2, 6, 9, 8)).astype(dtype),
        R.normal(size=(6, 6 // groups, 3, 2)).astype(dtype),
        R.normal(size=6).astype(dtype),
    ]


@pytest.mark.parametrize("stride, padding, dilation, groups", GEOMETRIES)
@pytest.mark.parametrize("fused", [True, False])
def test_conv2d_matches_torch(stride, padding, dilation, groups, fused):
    _agree(
        lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups, fused=fused),
        lambda x, w, b: TF.conv2d(x, w, b, stride, padding, dilation, groups),
        _conv_inputs(groups),
    )


@pytest.mark.parametrize("stride, padding, dilation, groups", GEOMETRIES)
def test_fused_and_twin_agree(stride, padding, dilation, groups):
    arrays = _conv_inputs(groups)
    g = None
    results = []
    for fused in (True, False):
        fn = lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups, fused=fused)  # noqa: B023
        if g is None:
            g = R.normal(size=fn(*[Tensor(a) for a in arrays]).shape)
        results.append(_run(fn, arrays, g))
    (out_a, grads_a), (out_b, grads_b) = results
    np.testing.assert_allclose(out_a, out_b, rtol=1e-12, atol=1e-12)
    for a, b in zip(grads_a, grads_b):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_fused_is_one_node_and_twin_is_composed():
    x, w, b = (Tensor(a, requires_grad=True) for a in _conv_inputs(1))
    assert F.conv2d(x, w, b).grad_fn.name == "conv2d" and F.conv2d(x, w, b).grad_fn.fused
    assert F.conv2d(x, w, b, fused=False).grad_fn.name != "conv2d"


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("stride, padding, dilation, groups", [(2, 1, 1, 2), (1, 0, 2, 1)])
def test_conv2d_gradcheck(fused, stride, padding, dilation, groups):
    shapes = [(1, 2, 5, 5), (2, 2 // groups, 2, 3), (2,)]
    x, w, b = (Tensor(R.normal(size=s), requires_grad=True) for s in shapes)
    fn = lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups, fused=fused)  # noqa: E731
    assert gradcheck(fn, [x, w, b])


def test_conv2d_second_order_matches_torch():
    """d/dw of |dL/dx|^2: the recorded backward (both paths) against PyTorch's double backward."""
    arrays = _conv_inputs(2)
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    (gx,) = torch.autograd.grad(
        (TF.conv2d(*ts, stride=2, padding=1, groups=2) ** 2).sum(), ts[0], create_graph=True
    )
    ref = torch.autograd.grad((gx**2).sum(), ts[1])[0].numpy()
    for fused in (True, False):
        xs = [Tensor(a, requires_grad=True) for a in arrays]
        (gx,) = grad(
            (F.conv2d(*xs, stride=2, padding=1, groups=2, fused=fused) ** 2).sum(), xs[0], create_graph=True
        )
        (gw,) = grad((gx**2).sum(), xs[1])
        np.testing.assert_allclose(gw.data, ref, rtol=1e-10, atol=1e-10)


def test_conv2d_float32():
    arrays = _conv_inputs(1, np.float32)
    _agree(
        lambda x, w, b: F.conv2d(x, w, b, 2, 1),
        lambda x, w, b: TF.conv2d(x, w, b, 2, 1),
        arrays,
        rtol=1e-4,
        atol=1e-4,
    )


@pytest.mark.parametrize("stride, padding, dilation, groups", [(1, 0, 1, 1), (2, 1, 2, 2), (1, "same", 1, 1)])
@pytest.mark.parametrize("fused", [True, False])
def test_conv1d_matches_torch(stride, padding, dilation, groups, fused):
    arrays = [R.normal(size=(2, 4, 11)), R.normal(size=(6, 4 // groups, 3)), R.normal(size=6)]
    _agree(
        lambda x, w, b: F.conv1d(x, w, b, stride, padding, dilation, groups, fused=fused),
        lambda x, w, b: TF.conv1d(x, w, b, stride, padding, dilation, groups),
        arrays,
    )


@pytest.mark.parametrize(
    "stride, padding, output_padding, groups, dilation",
    [(1, 0, 0, 1, 1), (2, 1, 1, 1, 1), (3, (1, 2), (2, 0), 3, (1, 2)), (2, 0, 1, 2, 2)],
)
def test_conv_transpose2d_matches_torch(stride, padding, output_padding, groups, dilation):
    arrays = [R.normal(size=(2, 6, 5, 4)), R.normal(size=(6, 2, 3, 3)), R.normal(size=2 * groups)]
    _agree(
        lambda x, w, b: F.conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation),
        lambda x, w, b: TF.conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation),
        arrays,
    )


def test_conv_transpose2d_gradcheck():
    x, w, b = (Tensor(R.normal(size=s), requires_grad=True) for s in [(1, 2, 3, 3), (2, 1, 2, 2), (2,)])
    assert gradcheck(
        lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2),
        [x, w, b],
    )


POOLS = [(2, None, 0), (3, 2, 1), ((3, 2), (1, 2), (1, 0))]


@pytest.mark.parametrize("kernel, stride, padding", POOLS)
@pytest.mark.parametrize("fused", [True, False])
def test_max_pool2d_matches_torch(kernel, stride, padding, fused):
    _agree(
        lambda x: F.max_pool2d(x, kernel, stride, padding, fused=fused),
        lambda x: TF.max_pool2d(x, kernel, stride, padding),
        [R.normal(size=(2, 3, 9, 8))],
    )


@pytest.mark.parametrize("fused", [True, False])
def test_max_pool2d_ties_go_to_the_first_maximum_as_torch(fused):
    x = np.round(R.uniform(size=(2, 3, 8, 8)) * 2)  # many ties
    _agree(lambda x: F.max_pool2d(x, 3, 1, 1, fused=fused), lambda x: TF.max_pool2d(x, 3, 1, 1), [x])
    _agree(
        lambda x: F.max_pool2d(x, 2, dilation=2, fused=fused), lambda x: TF.max_pool2d(x, 2, dilation=2), [x]
    )
    _agree(lambda x: F.max_pool2d(x, 2, fused=fused), lambda x: TF.max_pool2d(x, 2), [x])  # the fast path
    _, (g,) = _run(lambda x: F.max_pool2d(x, 2, fused=fused), [np.ones((1, 1, 2, 2))])
    np.testing.assert_array_equal(g, [[[[1.0, 0.0], [0.0, 0.0]]]])


# (kernel, stride, padding, dilation): overlapping, padded, dilated, and stride = kernel (the
# fast path) with and without a remainder row/column that no window reads
MAX_POOLS = [
    (2, None, 0, 1),
    (3, 3, 0, 1),
    (3, 2, 1, 1),
    ((3, 2), (1, 2), (1, 0), 1),
    (2, 1, 0, 2),
    ((2, 3), (2, 3), (1, 1), (2, 1)),
    (2, 2, 1, 1),
]


@pytest.mark.parametrize("kernel, stride, padding, dilation", MAX_POOLS)
@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_max_pool2d_fused_matches_its_twin(kernel, stride, padding, dilation, ties, dtype):
    x = (np.round(R.uniform(size=(2, 3, 9, 8)) * 2) if ties else R.normal(size=(2, 3, 9, 8))).astype(dtype)
    fused = _run(lambda x: F.max_pool2d(x, kernel, stride, padding, dilation), [x])
    twin = _run(lambda x: F.max_pool2d(x, kernel, stride, padding, dilation, fused=False), [x])
    np.testing.assert_array_equal(fused[0], twin[0])
    assert fused[0].dtype == twin[0].dtype == fused[1][0].dtype == dtype
    np.testing.assert_array_equal(fused[1][0], twin[1][0])


def test_max_pool2d_fused_nan_wins_and_integers_pad_low():
    x = np.array([[[[1.0, np.nan], [np.nan, 5.0]]]])
    for fused in (True, False):
        out, (g,) = _run(lambda x, fused=fused: F.max_pool2d(x, 2, fused=fused), [x])
        assert np.isnan(out).all()
        np.testing.assert_array_equal(g, [[[[0.0, 1.0], [0.0, 0.0]]]])  # the first NaN (torch: the last)
    ints = Tensor(np.arange(16).reshape(1, 1, 4, 4) - 20)
    np.testing.assert_array_equal(
        F.max_pool2d(ints, 2, padding=1).data, F.max_pool2d(ints, 2, padding=1, fused=False).data
    )


def test_max_pool2d_fused_second_order_matches_its_twin():
    x = R.permutation(54).reshape(1, 2, 3, 9) * 0.1  # distinct values
    outs = []
    for fused in (True, False):
        t = Tensor(x, requires_grad=True)
        (g,) = grad((F.max_pool2d(t, 2, 1, fused=fused) ** 2).sum(), [t], create_graph=True)
        (gg,) = grad((g * g).sum(), [t])
        outs.append((g.data, gg.data))
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_max_pool2d_gradcheck():
    x = Tensor(R.permutation(36).reshape(1, 1, 6, 6) * 0.1, requires_grad=True)  # distinct values
    assert gradcheck(lambda x: F.max_pool2d(x, 3, 2, 1), [x])


@pytest.mark.parametrize("kernel, stride, padding", POOLS)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_matches_torch(kernel, stride, padding, count_include_pad):
    _agree(
        lambda x: F.avg_pool2d(x, kernel, stride, padding, count_include_pad=count_include_pad),
        lambda x: TF.avg_pool2d(x, kernel, stride, padding, count_include_pad=count_include_pad),
        [R.normal(size=(2, 3, 9, 8))],
    )


@pytest.mark.parametrize("output_size", [(3, 5), 1, (4, None), 7, (9, 8)])
def test_adaptive_avg_pool2d_matches_torch(output_size):
    _agree(
        lambda x: F.adaptive_avg_pool2d(x, output_size),
        lambda x: TF.adaptive_avg_pool2d(x, output_size),
        [R.normal(size=(2, 3, 9, 8))],
    )


def test_pools_gradcheck():
    x = Tensor(R.normal(size=(1, 2, 5, 5)), requires_grad=True)
    assert gradcheck(lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False), [x])
    assert gradcheck(lambda x: F.adaptive_avg_pool2d(x, (2, 3)), [x])


@pytest.mark.parametrize(
    "ours, theirs, kwargs, shape",
    [
        (
            nn.Conv2d,
            torch.nn.Conv2d,
            dict(in_channels=4, out_channels=6, kernel_size=(3, 2), stride=2, padding=1, groups=2),
            (2, 4, 9, 8),
        ),
        (
            nn.Conv2d,
            torch.nn.Conv2d,
            dict(in_channels=3, out_channels=5, kernel_size=3, padding="same", bias=False),
            (2, 3, 7, 7),
        ),
        (
            nn.Conv1d,
            torch.nn.Conv1d,
            dict(in_channels=4, out_channels=6, kernel_size=3, dilation=2),
            (2, 4, 11),
        ),
        (
            nn.ConvTranspose2d,
            torch.nn.ConvTranspose2d,
            dict(
                in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1, output_padding=1, groups=2
            ),
            (2, 4, 5, 5),
        ),
    ],
)
def test_conv_layers_load_torch_state_dicts(ours, theirs, kwargs, shape):
    torch.manual_seed(0)
    reference = theirs(**kwargs).double()
    layer = ours(**kwargs, dtype=np.float64)
    state = {k: v.detach().numpy() for k, v in reference.state_dict().items()}
    assert {k: v.shape for k, v in layer.state_dict().items()} == {k: v.shape for k, v in state.items()}
    layer.load_state_dict(state)
    x = R.normal(size=shape)
    np.testing.assert_allclose(
        layer(Tensor(x)).data, reference(torch.tensor(x)).detach().numpy(), rtol=1e-10, atol=1e-10
    )


def test_conv_default_initialisation_bounds():
    layer = nn.Conv2d(4, 8, 3, groups=2, rng=0)
    bound = 1 / math.sqrt(2 * 3 * 3)  # fan_in = in/groups * kh * kw
    assert layer.weight.shape == (8, 2, 3, 3) and layer.bias.shape == (8,)
    for p in (layer.weight, layer.bias):
        assert np.abs(p.data).max() <= bound and np.abs(p.data).max() > 0.8 * bound
        assert p.data.dtype == np.float32
    transposed = nn.ConvTranspose2d(4, 6, 3, groups=2, rng=0)
    assert transposed.weight.shape == (4, 3, 3, 3)
    assert np.abs(transposed.weight.data).max() <= 1 / math.sqrt(3 * 9)  # torch's fan_in: weight.shape[1] * k
    assert nn.Conv1d(2, 3, 5).weight.shape == (3, 2, 5)


def test_pool_layers_match_torch():
    x = R.normal(size=(2, 3, 9, 8))
    for ours, theirs in [
        (nn.MaxPool2d(3, 2, 1), torch.nn.MaxPool2d(3, 2, 1)),
        (nn.AvgPool2d(2), torch.nn.AvgPool2d(2)),
        (
            nn.AvgPool2d(3, 1, 1, count_include_pad=False),
            torch.nn.AvgPool2d(3, 1, 1, count_include_pad=False),
        ),
        (nn.AdaptiveAvgPool2d((2, 3)), torch.nn.AdaptiveAvgPool2d((2, 3))),
    ]:
        expected = theirs(torch.tensor(x)).numpy()
        np.testing.assert_allclose(ours(Tensor(x)).data, expected, rtol=1e-12, atol=1e-12)


def test_conv_layer_trains():
    layer = nn.Conv2d(1, 2, 3, rng=0)
    x = Tensor(R.normal(size=(2, 1, 5, 5)).astype(np.float32))
    F.max_pool2d(layer(x), 3).sum().backward()
    assert layer.weight.grad.shape == layer.weight.shape and layer.bias.grad.shape == (2,)


def test_errors_name_the_shapes():
    x, w = Tensor(np.zeros((1, 4, 5, 5))), Tensor(np.zeros((6, 3, 3, 3)))
    with pytest.raises(ValueError, match=r"\(1, 4, 5, 5\).*\(6, 3, 3, 3\)"):
        F.conv2d(x, w)
    with pytest.raises(ValueError, match="too small"):
        F.conv2d(Tensor(np.zeros((1, 3, 2, 2))), w)
    with pytest.raises(ValueError, match="stride 1"):
        F.conv2d(Tensor(np.zeros((1, 3, 5, 5))), w, padding="same", stride=2)
    with pytest.raises(ValueError, match="bias"):
        F.conv2d(Tensor(np.zeros((1, 3, 5, 5))), w, bias=np.zeros(5))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        F.max_pool2d(Tensor(np.zeros((4, 5, 5))), 2)
    with pytest.raises(ValueError, match="half"):
        F.avg_pool2d(Tensor(np.zeros((1, 1, 5, 5))), 2, padding=2)
    with pytest.raises(ValueError, match="divisible"):
        nn.Conv2d(3, 4, 3, groups=2)


def test_conv_layers_follow_manual_seed_and_take_arrays():
    import tinygrad_ce as tg

    tg.manual_seed(3)
    a = nn.Conv2d(2, 3, 3)
    tg.manual_seed(3)
    b = nn.Conv2d(2, 3, 3)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)
    out = a(np.ones((1, 2, 4, 4)))  # an ndarray input is cast to the weight's dtype
    assert out.shape == (1, 3, 2, 2) and out.dtype == np.float32


def test_max_pool2d_integer_input_pads_with_the_smallest_integer():
    out = F.max_pool2d(Tensor(np.arange(16).reshape(1, 1, 4, 4)), 2, padding=1)
    np.testing.assert_array_equal(out.data, [[[[0, 2, 3], [8, 10, 11], [12, 14, 15]]]])
