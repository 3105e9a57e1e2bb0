"""Regression tests for what outside probing found: each one failed before its fix.

Numbers are PyTorch 2.13's for the same inputs (checked against torch when installed;
the constants are what it gives)."""

import threading

import numpy as np
import pytest

import tinygrad_ce.functional as F
from tinygrad_ce import Tensor, grad, no_grad
from tinygrad_ce.autograd import AxisError, is_grad_enabled

try:
    import torch
except ImportError:  # pragma: no cover - torch is optional
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")


# ----------------------------------------------------------------------------- BCE at a kink
def test_bce_with_logits_gradient_at_zero_is_half_minus_target():
    x = Tensor(np.zeros(3), requires_grad=True)
    y = np.array([0.0, 0.5, 1.0])
    F.binary_cross_entropy_with_logits(x, y, reduction="sum").backward()
    np.testing.assert_array_equal(x.grad.data, 0.5 - y)


@needs_torch
def test_bce_with_logits_matches_torch_around_zero_and_far_out():
    z = np.array([-800.0, -30.0, -1e-9, 0.0, 1e-9, 2.0, 30.0, 800.0])
    y = np.linspace(0, 1, z.size)
    x = Tensor(z, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, y)
    loss.backward()
    xt = torch.tensor(z, requires_grad=True)
    lt = torch.nn.functional.binary_cross_entropy_with_logits(xt, torch.tensor(y))
    lt.backward()
    np.testing.assert_allclose(loss.item(), lt.item(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.data, xt.grad.numpy(), rtol=1e-12, atol=1e-17)


def test_bce_with_logits_second_derivative_is_sigmoid_prime_at_zero():
    x = Tensor(np.zeros(1), requires_grad=True)
    (g,) = grad(F.binary_cross_entropy_with_logits(x, np.ones(1), reduction="sum"), x, create_graph=True)
    (h,) = grad(g.sum(), x)
    np.testing.assert_allclose(h.data, [0.25])


# ----------------------------------------------------------------------------- ignore_index
@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("fill", [-np.inf, np.inf, np.nan])
def test_ignored_rows_with_non_finite_logits_do_not_poison_loss_or_gradient(fused, smoothing, fill, rng):
    z = rng.normal(size=(3, 4))
    clean = z.copy()
    z[1] = fill
    target = np.array([0, -100, 2])
    x = Tensor(z, requires_grad=True)
    loss = F.cross_entropy(x, target, ignore_index=-100, label_smoothing=smoothing, fused=fused)
    loss.backward()
    reference = Tensor(clean, requires_grad=True)  # the ignored row's values must not matter
    ref_loss = F.cross_entropy(reference, target, ignore_index=-100, label_smoothing=smoothing, fused=fused)
    ref_loss.backward()
    assert np.isfinite(loss.item())
    np.testing.assert_allclose(loss.item(), ref_loss.item(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.data, reference.grad.data, rtol=1e-12, atol=1e-18)
    assert np.all(x.grad.data[1] == 0)


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_every_row_ignored_mean_is_nan_but_gradient_is_zero(fused, smoothing):
    x = Tensor(np.random.default_rng(0).normal(size=(2, 3)).astype(np.float32), requires_grad=True)
    loss = F.cross_entropy(x, np.array([-1, -1]), ignore_index=-1, label_smoothing=smoothing, fused=fused)
    loss.backward()
    assert np.isnan(loss.item()) and loss.dtype == np.float32
    np.testing.assert_array_equal(x.grad.data, np.zeros((2, 3), np.float32))


def test_every_row_ignored_nll_loss_gradient_is_zero():
    x = Tensor(np.full((2, 3), -np.inf), requires_grad=True)
    loss = F.nll_loss(x, np.array([5, 5]), ignore_index=5)
    loss.backward()
    assert np.isnan(loss.item())
    np.testing.assert_array_equal(x.grad.data, np.zeros((2, 3)))


def test_ignored_rows_under_create_graph_stay_finite():
    z = np.array([[1.0, 2.0, 0.5], [np.inf, -np.inf, np.nan]])
    x = Tensor(z, requires_grad=True)
    (g,) = grad(F.cross_entropy(x, np.array([1, 7]), ignore_index=7), x, create_graph=True)
    (h,) = grad((g * g).sum(), x)
    assert np.all(np.isfinite(g.data)) and np.all(np.isfinite(h.data))
    assert np.all(g.data[1] == 0)


# ----------------------------------------------------------------------------- narrow targets
@pytest.mark.parametrize("dtype, classes", [(np.int8, 256), (np.int8, 300), (np.int16, 65_536)])
@pytest.mark.parametrize("loss", ["fused", "unfused", "nll"])
def test_negative_narrow_integer_targets_are_refused(dtype, classes, loss):
    x = Tensor(np.zeros((2, classes), np.float32))
    target = np.array([0, -1], dtype=dtype)
    with pytest.raises(IndexError, match="target value -1 is out of range"):
        if loss == "nll":
            F.nll_loss(x, target)
        else:
            F.cross_entropy(x, target, fused=loss == "fused")


def test_narrow_integer_targets_in_range_still_work():
    x = Tensor(np.zeros((2, 300), np.float32))
    loss = F.cross_entropy(x, np.array([3, 299], np.int16))
    np.testing.assert_allclose(loss.item(), np.log(300), rtol=1e-6)


# ----------------------------------------------------------------------------- axes
@pytest.mark.parametrize(
    "call",
    [
        lambda t: t.transpose(0, 5),
        lambda t: t.transpose((0, -3)),
        lambda t: t.swapaxes(0, 2),
        lambda t: t.swapaxes(-3, 1),
        lambda t: t.sum(axis=2),
        lambda t: t.max(axis=-3),
        lambda t: t.mean(axis=(0, 2)),
        lambda t: t.argmax(axis=2),
        lambda t: F.softmax(t, axis=2),
        lambda t: F.log_softmax(t, axis=-3),
    ],
)
def test_axes_out_of_range_raise_naming_axis_and_ndim(call):
    with pytest.raises(AxisError, match=r"axis -?\d+ is out of range for a tensor with 2 dimension"):
        call(Tensor(np.ones((2, 3))))


def test_axis_error_is_both_index_and_value_error():
    assert issubclass(AxisError, IndexError) and issubclass(AxisError, ValueError)


# ----------------------------------------------------------------------------- dtype policy
@pytest.mark.parametrize("dtype", [np.int8, np.int64, np.uint8, np.bool_])
def test_float_valued_ops_on_integers_compute_in_the_default_float_dtype(dtype):
    t = Tensor(np.array([0, 1, 1], dtype=dtype))
    for out, expected in [
        (t.sigmoid(), 1 / (1 + np.exp(-np.array([0.0, 1, 1])))),
        (t.exp(), np.exp([0.0, 1, 1])),
        (t.tanh(), np.tanh([0.0, 1, 1])),
        (t.sqrt(), np.sqrt([0.0, 1, 1])),
        (t / 2, np.array([0.0, 0.5, 0.5])),
        (t**-1.0, np.array([np.inf, 1, 1])),
    ]:
        assert out.dtype == np.float32
        np.testing.assert_allclose(out.data, expected, rtol=1e-6)


def test_abs_of_unsigned_and_signed_integers_is_numpys():
    np.testing.assert_array_equal(Tensor(np.array([0, 1, 255], np.uint8)).abs().data, [0, 1, 255])
    np.testing.assert_array_equal(Tensor(np.array([-3, 2], np.int16)).abs().data, [3, 2])


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_on_integer_logits_agrees_between_paths(smoothing):
    logits = np.array([[1, 2, 3], [0, 0, 5]])
    expected = F.cross_entropy(Tensor(logits.astype(np.float32)), np.array([0, 2]), label_smoothing=smoothing)
    for fused in (True, False):
        out = F.cross_entropy(Tensor(logits), np.array([0, 2]), label_smoothing=smoothing, fused=fused)
        assert out.dtype == np.float32
        np.testing.assert_allclose(out.item(), expected.item(), rtol=1e-6)


# ----------------------------------------------------------------------------- pow
def _pow_grads(base, exponent, create_graph=False):
    x = Tensor(np.asarray(base, float), requires_grad=True)
    y = Tensor(np.asarray(exponent, float), requires_grad=True)
    gx, gy = grad((x**y).sum(), [x, y], create_graph=create_graph)
    return gx.data, gy.data


POW_CASES = [
    (0.0, 0.0),
    (0.0, -1.0),
    (0.0, 2.0),
    (0.0, 0.5),
    (-2.0, 2.0),
    (-2.0, 0.5),
    (2.0, 0.0),
    (3.0, 1.5),
]


@pytest.mark.parametrize("create_graph", [False, True])
def test_pow_gradients_at_special_points(create_graph):
    base, exponent = zip(*POW_CASES)
    gx, gy = _pow_grads(base, exponent, create_graph)
    np.testing.assert_array_equal(gx[:3], [0.0, -np.inf, 0.0])  # d x^0 = 0 even at x = 0
    np.testing.assert_array_equal(gy[:3], [0.0, -np.inf, 0.0])  # d 0^y / dy: 0, -inf for y < 0
    assert np.isnan(gy[4]) and np.isnan(gy[5])  # a negative base: nan, not an error


@needs_torch
def test_pow_gradients_match_torch_at_special_points():
    base, exponent = zip(*POW_CASES)
    for create_graph in (False, True):
        gx, gy = _pow_grads(base, exponent, create_graph)
        xt = torch.tensor(base, dtype=torch.float64, requires_grad=True)
        yt = torch.tensor(exponent, dtype=torch.float64, requires_grad=True)
        (xt**yt).sum().backward()
        np.testing.assert_array_equal(gx, xt.grad.numpy())
        np.testing.assert_array_equal(gy, yt.grad.numpy())


def test_pow_number_exponent_zero_has_zero_gradient_at_zero():
    x = Tensor(np.array([0.0, 2.0]), requires_grad=True)
    (x**0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])
    (g,) = grad((x**0).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.data, [0.0, 0.0])


def test_pow_second_order_at_zero_base_is_finite_where_pytorch_is():
    x = Tensor(np.array([0.0, 1.0]), requires_grad=True)
    y = Tensor(np.array([0.0, 2.0]), requires_grad=True)
    (gx,) = grad((x**y).sum(), x, create_graph=True)
    (hx,) = grad(gx.sum(), x)
    np.testing.assert_array_equal(hx.data, [0.0, 2.0])


# ----------------------------------------------------------------------------- 0-d data
ZERO_D = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "neg": lambda a, b: -a,
    "pow": lambda a, b: a**b,
    "pow_number": lambda a, b: a**2,
    "exp": lambda a, b: a.exp(),
    "log": lambda a, b: a.log(),
    "relu": lambda a, b: a.relu(),
    "tanh": lambda a, b: a.tanh(),
    "sigmoid": lambda a, b: a.sigmoid(),
    "abs": lambda a, b: a.abs(),
    "sqrt": lambda a, b: a.sqrt(),
    "mean": lambda a, b: a.mean(),
    "sum": lambda a, b: a.sum(),
    "max": lambda a, b: a.max(),
}


@pytest.mark.parametrize("name", sorted(ZERO_D))
def test_zero_d_results_and_gradients_are_ndarrays(name):
    a = Tensor(np.float64(2.0), requires_grad=True)
    b = Tensor(np.array(3.0), requires_grad=True)
    out = ZERO_D[name](a, b)
    assert type(out.data) is np.ndarray and out.shape == ()
    out.backward()
    assert type(a.grad.data) is np.ndarray and a.grad.shape == ()
    (g,) = grad(ZERO_D[name](a, b), a)
    assert type(g.data) is np.ndarray


# ----------------------------------------------------------------------------- no_grad
def test_one_no_grad_instance_can_be_re_entered():
    ng = no_grad()
    with ng:
        with ng:
            assert not is_grad_enabled()
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_one_no_grad_instance_shared_between_threads():
    ng = no_grad()
    inside, release = threading.Barrier(2), threading.Event()
    states = []

    def work():
        with ng:
            inside.wait()
            release.wait()
        states.append(is_grad_enabled())

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    release.set()
    for t in threads:
        t.join()
    assert states == [True, True] and is_grad_enabled()


def test_bare_no_grad_decorator():
    @no_grad
    def f(x):
        return x * 2

    assert f(Tensor([1.0], requires_grad=True)).requires_grad is False
    assert is_grad_enabled()


def test_no_grad_decorator_is_re_entrant_in_recursion():
    @no_grad()
    def depth(n):
        return 0 if n == 0 else depth(n - 1) + 1

    assert depth(5) == 5 and is_grad_enabled()


# ----------------------------------------------------------------------------- grad assignment
def test_hand_set_grad_of_another_shape_is_refused():
    p = Tensor(np.zeros(3), requires_grad=True)
    with pytest.raises(ValueError, match=r"gradient has shape \(2,\) but the tensor has shape \(3,\)"):
        p.grad = Tensor(np.zeros(2))
    with pytest.raises(TypeError, match="grad: must be a Tensor"):
        p.grad = [0.0, 0.0, 0.0]
    p.grad = np.ones(3)
    np.testing.assert_array_equal(p.grad.data, np.ones(3))


# ----------------------------------------------------------------------------- engine guard
def test_a_wrongly_shaped_gradient_from_an_op_is_an_error_naming_the_op():
    from tinygrad_ce.autograd import Function

    class Broken(Function):
        __slots__ = ()
        name = "broken"

        def forward(self, x):
            return x * 2

        def backward(self, g, out, x):
            return (g[:1],)

    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"backward of 'broken'.*shape \(3,\).*got shape \(1,\)"):
        Broken.apply(x).sum().backward()


# ----------------------------------------------------------------------------- Tensor()
@pytest.mark.parametrize(
    "data",
    [
        "abc",
        b"abc",
        np.array(["a"]),
        np.array(["2020-01-01"], dtype="M8[D]"),
        [1, "a"],
        [[1, 2], [3]],
        None,
        np.array([1], dtype=object),
    ],
)
def test_tensor_refuses_non_numeric_data(data):
    with pytest.raises((TypeError, ValueError), match="Tensor"):
        Tensor(data)


def test_astype_to_an_unknown_dtype_names_it():
    with pytest.raises(TypeError, match="astype: dtype='foo' is not a numpy dtype"):
        Tensor([1.0]).astype("foo")
