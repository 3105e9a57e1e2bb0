"""Every differentiable primitive against central finite differences in float64."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_ce.functional as F
from tinygrad_ce import GradcheckError, Tensor, gradcheck


def leaf(rng, shape, low=-2.0, high=2.0):
    return Tensor(rng.uniform(low, high, size=shape), requires_grad=True)


BROADCAST_PAIRS = [
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),
    ((4,), (3, 4)),
    ((2, 1, 4), (3, 1)),
    ((3, 1), (1, 4)),
    ((), (2, 3)),
    ((2, 3), ()),
]


@pytest.mark.parametrize("shapes", BROADCAST_PAIRS)
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_binary_ops_broadcast_both_ways(rng, op, shapes):
    a, b = leaf(rng, shapes[0]), leaf(rng, shapes[1], 0.5, 2.0)
    fn = {
        "add": lambda x, y: x + y,
        "sub": lambda x, y: x - y,
        "mul": lambda x, y: x * y,
        "div": lambda x, y: x / y,
    }[op]
    assert gradcheck(fn, [a, b])


@pytest.mark.parametrize("shapes", BROADCAST_PAIRS[:5])
def test_pow_with_tensor_exponent(rng, shapes):
    base, exponent = leaf(rng, shapes[0], 0.5, 2.0), leaf(rng, shapes[1])
    assert gradcheck(lambda x, y: x**y, [base, exponent])
    assert gradcheck(lambda y: 2.5**y, [exponent])


@pytest.mark.parametrize("exponent", [2, 3, 0.5, -1.5])
def test_pow_with_number_exponent(rng, exponent):
    assert gradcheck(lambda x: x**exponent, [leaf(rng, (3, 2), 0.5, 2.0)])


@pytest.mark.parametrize("name", ["neg", "exp", "log", "relu", "sigmoid", "tanh", "abs"])
def test_unary_ops(rng, name):
    low = 0.2 if name == "log" else -3.0
    x = leaf(rng, (3, 4), low, 3.0)
    if name in ("relu", "abs"):  # keep finite differences away from the kink at 0
        x.data[np.abs(x.data) < 0.05] = 0.5
    fn = {
        "neg": lambda t: -t,
        "exp": Tensor.exp,
        "log": Tensor.log,
        "relu": Tensor.relu,
        "sigmoid": Tensor.sigmoid,
        "tanh": Tensor.tanh,
        "abs": Tensor.abs,
    }[name]
    assert gradcheck(fn, [x])


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2), (-1, 0)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_sum_mean(rng, axis, keepdims):
    x = leaf(rng, (2, 3, 4))
    assert gradcheck(lambda t: t.sum(axis=axis, keepdims=keepdims), [x])
    assert gradcheck(lambda t: t.mean(axis=axis, keepdims=keepdims), [x])


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1), -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_max(rng, axis, keepdims):
    x = Tensor(rng.permutation(24).reshape(2, 3, 4) / 7.0, requires_grad=True)  # distinct values
    assert gradcheck(lambda t: t.max(axis=axis, keepdims=keepdims), [x])


def test_max_ties_share_the_gradient_equally():
    x = Tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad.data, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-6)
    y = Tensor([5.0, 5.0], requires_grad=True)
    y.max().backward()
    np.testing.assert_allclose(y.grad.data, [0.5, 0.5])


@pytest.mark.parametrize(
    "shapes",
    [
        ((3, 4), (4, 5)),
        ((2, 3, 4), (4, 5)),
        ((3, 4), (2, 4, 5)),
        ((2, 1, 3, 4), (5, 4, 2)),
        ((4,), (4, 5)),
        ((3, 4), (4,)),
        ((4,), (4,)),
        ((2, 3, 4), (4,)),
        ((4,), (2, 4, 3)),
    ],
)
def test_matmul_2d_batched_and_vector_cases(rng, shapes):
    a, b = leaf(rng, shapes[0]), leaf(rng, shapes[1])
    out = a @ b
    assert out.shape == np.matmul(a.data, b.data).shape
    assert gradcheck(lambda x, y: x @ y, [a, b])


def test_reshape_transpose_T(rng):
    x = leaf(rng, (2, 3, 4))
    assert gradcheck(lambda t: t.reshape(4, 6) * np.arange(24.0).reshape(4, 6), [x])
    assert gradcheck(lambda t: t.reshape((-1,)), [x])
    assert gradcheck(lambda t: t.transpose(2, 0, 1) * np.arange(24.0).reshape(4, 2, 3), [x])
    assert gradcheck(lambda t: t.transpose((1, 0, 2)), [x])
    assert gradcheck(lambda t: t.transpose() * np.arange(24.0).reshape(4, 3, 2), [x])
    assert gradcheck(lambda t: t.T, [leaf(rng, (3, 2))])
    assert gradcheck(lambda t: t.swapaxes(0, -1), [x])
    assert gradcheck(lambda t: t.broadcast_to((5, 2, 3, 4)), [x])


@pytest.mark.parametrize(
    "index",
    [
        1,
        -1,
        slice(1, None),
        (slice(None), 2),
        (Ellipsis, 0),
        (None, 1),
        np.array([0, 2, 0]),
        ([1, 1, 0], [3, 3, 2]),
        (slice(None), [0, 0, 3]),
        np.array([True, False, True]),
    ],
)
def test_getitem_basic_and_advanced(rng, index):
    x = leaf(rng, (3, 4))
    assert gradcheck(lambda t: t[index], [x])


def test_getitem_repeated_indices_accumulate():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 0.0, 1.0])
    y = Tensor(np.zeros((2, 2)), requires_grad=True)
    y[Tensor(np.array([1, 1]))].sum().backward()
    np.testing.assert_allclose(y.grad.data, [[0, 0], [2, 2]])


def test_composed_functions(rng):
    x = leaf(rng, (3, 5))
    for axis in (0, 1, -1):
        assert gradcheck(lambda t, a=axis: F.softmax(t, axis=a) * np.arange(15.0).reshape(3, 5), [x])
        assert gradcheck(lambda t, a=axis: F.log_softmax(t, axis=a), [x])
    y = Tensor(rng.uniform(size=(3, 5)))
    assert gradcheck(lambda t: F.mse_loss(t, y), [x])
    assert gradcheck(lambda t: F.binary_cross_entropy_with_logits(t, y), [x])
    assert gradcheck(lambda t, u: F.mse_loss(t, u, reduction="sum"), [x, Tensor(y.data, requires_grad=True)])


def test_float32_inputs_are_checked_in_float64(rng):
    x = Tensor(rng.normal(size=(3,)).astype(np.float32), requires_grad=True)
    assert gradcheck(lambda t: (t * t).exp(), [x])
    assert x.dtype == np.float32


def test_gradcheck_reports_a_wrong_gradient(rng):
    from tinygrad_ce.autograd import Function

    class WrongSquare(Function):
        name = "wrong_square"

        def forward(self, x):
            return x * x

        def backward(self, g, out, x):  # should be 2 x
            return (g * x,)

    x = Tensor(np.array([1.0, 2.0]), requires_grad=True, name="x")
    with pytest.raises(GradcheckError, match=r"input 0 \('x'\).*element \(0,\).*analytic 1\b.*numeric 2"):
        gradcheck(lambda t: WrongSquare.apply(t), [x])


broadcastable = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)


@settings(max_examples=25, deadline=None)
@given(shapes=broadcastable, seed=st.integers(0, 2**16))
def test_hypothesis_broadcast_shapes(shapes, seed):
    rng = np.random.default_rng(seed)
    a, b = shapes.input_shapes
    x, y = leaf(rng, a), leaf(rng, b, 0.5, 2.0)
    assert gradcheck(lambda s, t: (s * t + s / t - t).tanh(), [x, y])


@settings(max_examples=20, deadline=None)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), seed=st.integers(0, 2**16))
def test_hypothesis_reductions(shape, seed):
    rng = np.random.default_rng(seed)
    x = Tensor(rng.permutation(int(np.prod(shape))).reshape(shape) / 3.0, requires_grad=True)
    axis = int(seed % len(shape))
    assert gradcheck(lambda t: t.sum(axis=axis) + t.max(axis=axis) * 2, [x])
    assert gradcheck(lambda t: F.log_softmax(t, axis=axis), [x])


def test_gradcheck_of_a_function_that_differentiates_inside():
    from tinygrad_ce import grad

    x = Tensor(np.array([-3.0, 2.0]), requires_grad=True)
    assert gradcheck(lambda t: (grad((t.exp() * t).sum(), t, create_graph=True)[0] ** 2).sum(), [x])
