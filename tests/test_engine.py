"""The graph walk: order, accumulation, retain_graph, grad(), no_grad, higher order."""

import gc
import threading
import weakref

import numpy as np
import pytest

import tinygrad_ce.functional as F
from tinygrad_ce import Tensor, enable_grad, grad, is_grad_enabled, no_grad


def test_reused_node_gives_four():
    a = Tensor(3.0, requires_grad=True)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad.item() == 4.0


def test_chain_of_100k_ops_backpropagates_without_recursion():
    x = Tensor(np.ones(2), requires_grad=True)
    h = x
    for _ in range(100_000):
        h = h * 1.0
    h.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0])


def test_gradients_accumulate_into_leaves_across_backward_calls():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    first = x.grad
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.data, [5.0, 7.0])
    assert x.grad is first  # accumulated in place, as PyTorch does


def test_leaf_grads_are_owned_and_writable():
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad.data, b.grad.data)
    a.grad.data[0] = 5.0  # writable, and b is not affected
    assert b.grad.data[0] == 1.0
    c = Tensor(np.ones((2, 3)), requires_grad=True)
    c.sum().backward()  # the sum backward broadcasts a read-only view
    assert c.grad.data.flags.writeable and c.grad.data.flags.c_contiguous


def test_gradient_dtype_matches_the_leaf():
    x = Tensor(np.ones(3, np.float32), requires_grad=True)
    (x * np.ones(3, np.float64)).sum().backward()
    assert x.grad.dtype == np.float32


def test_backward_with_explicit_gradient():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).backward(np.array([1.0, 0.0, 2.0]))
    np.testing.assert_allclose(x.grad.data, [2.0, 0.0, 12.0])
    gradient = np.ones(3, np.float32)
    y = Tensor([1.0, 1.0, 1.0], requires_grad=True)
    y.backward(gradient)  # a leaf: its grad must not alias the caller's array
    assert not np.shares_memory(y.grad.data, gradient)


def test_retain_graph_allows_a_second_backward():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    expected = 2 * (np.exp([1.0, 2.0]) * ([1.0, 2.0] + np.ones(2)))
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-6)


def test_fused_loss_frees_its_saved_probabilities():
    logits = Tensor(np.zeros((2, 3)), requires_grad=True)
    loss = F.softmax_cross_entropy(logits, [0, 1])
    buf, total = loss.grad_fn.saved  # exp(x - shift) and its row sums
    assert isinstance(buf, np.ndarray) and buf.shape == (2, 3)
    loss.backward()
    assert loss.grad_fn.saved is not None and not isinstance(loss.grad_fn.saved, tuple)  # RELEASED
    assert logits.grad.data is buf  # the saved buffer became the gradient, not copied
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()


def test_grad_returns_gradients_without_touching_dot_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    w = Tensor([3.0, 4.0], requires_grad=True)
    y = (x * w).sum()
    gx, gw = grad(y, [x, w])
    np.testing.assert_allclose(gx.data, [3.0, 4.0])
    np.testing.assert_allclose(gw.data, [1.0, 2.0])
    assert x.grad is None and w.grad is None
    (only,) = grad((x * x).sum(), x)
    np.testing.assert_allclose(only.data, [2.0, 4.0])


def test_grad_of_an_intermediate_and_several_outputs():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y1, y2 = (h * h).sum(), h.sum()
    (gh,) = grad([y1, y2], h, grad_outputs=[np.float32(1.0), np.float32(10.0)])
    np.testing.assert_allclose(gh.data, 2 * h.data + 10)


def test_grad_unused_input():
    x = Tensor([1.0], requires_grad=True)
    z = Tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="not used"):
        grad((x * 2).sum(), [x, z])
    gx, gz = grad((x * 2).sum(), [x, z], allow_unused=True)
    assert gz is None and gx.item() == 2.0


def test_no_grad_context_and_decorator():
    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        assert not is_grad_enabled()
        y = x * 2
        with enable_grad():
            assert (x * 2).requires_grad
    assert is_grad_enabled()
    assert not y.requires_grad and y.is_leaf

    @no_grad()
    def predict(t):
        return t * 3

    assert not predict(x).requires_grad
    assert (x * 3).requires_grad


def test_no_grad_is_thread_local():
    x = Tensor([1.0], requires_grad=True)
    seen = {}
    inside = threading.Event()
    release = threading.Event()

    def worker():
        with no_grad():
            inside.set()
            release.wait(5)
            seen["worker"] = (x * 2).requires_grad

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(5)
    seen["main"] = (x * 2).requires_grad  # the other thread's no_grad does not leak here
    release.set()
    thread.join()
    assert seen == {"main": True, "worker": False}


def test_hessian_vector_product_matches_finite_difference_of_gradients(rng):
    a = rng.normal(size=(4, 4))

    def f(t):
        return ((t @ Tensor(a)).tanh() * t).sum() + (t**3).sum()

    x = Tensor(rng.normal(size=(4,)), requires_grad=True)
    v = rng.normal(size=(4,))
    (g,) = grad(f(x), x, create_graph=True)
    (hv,) = grad(g, x, grad_outputs=v)

    def gradient_at(point):
        t = Tensor(point, requires_grad=True)
        return grad(f(t), t)[0].data

    eps = 1e-6
    numeric = (gradient_at(x.data + eps * v) - gradient_at(x.data - eps * v)) / (2 * eps)
    np.testing.assert_allclose(hv.data, numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize(
    "options",
    [{}, {"label_smoothing": 0.2, "weight": [1.0, 2.0, 0.5]}, {"ignore_index": 1}, {"reduction": "sum"}],
)
def test_double_backward_through_cross_entropy(rng, fused, options):
    """HVP of the loss w.r.t. the logits; fused and unfused must agree, and match FD."""
    logits_value = rng.normal(size=(4, 3))
    target = np.array([0, 2, 1, 2])
    v = rng.normal(size=(4, 3))

    def loss(t):
        return F.cross_entropy(t, target, fused=fused, **options)

    x = Tensor(logits_value, requires_grad=True)
    (g,) = grad(loss(x), x, create_graph=True)
    (hv,) = grad(g, x, grad_outputs=v)

    def gradient_at(point):
        t = Tensor(point, requires_grad=True)
        return grad(F.cross_entropy(t, target, fused=True, **options), t)[0].data

    eps = 1e-6
    numeric = (gradient_at(logits_value + eps * v) - gradient_at(logits_value - eps * v)) / (2 * eps)
    np.testing.assert_allclose(hv.data, numeric, rtol=1e-5, atol=1e-8)


def test_create_graph_backward_leaves_differentiable_grad():
    x = Tensor([2.0], requires_grad=True)
    (x**3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    (g2,) = grad(x.grad.sum(), x)
    np.testing.assert_allclose(g2.data, [12.0])


def test_default_backward_records_nothing():
    x = Tensor([2.0], requires_grad=True)
    (x**3).sum().backward()
    assert not x.grad.requires_grad and x.grad.is_leaf


def test_graph_has_no_reference_cycles():
    gc.collect()
    gc.disable()
    try:
        x = Tensor(np.ones(3), requires_grad=True)
        y = F.cross_entropy(F.softmax(x.reshape(1, 3)) * x, [1], fused=False)
        probe = weakref.ref(y.grad_fn)
        y.backward()
        del y
        assert probe() is None  # freed by reference counting alone, no collector needed
    finally:
        gc.enable()


def test_integer_inputs_are_constants():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * Tensor([2, 3])).sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 3.0])


def test_op_nodes_have_slots_and_no_dict():
    from tinygrad_ce import engine, ops

    node_classes = [
        c
        for c in vars(ops).values()
        if isinstance(c, type) and issubclass(c, engine.Function) and c is not engine.Function
    ]
    assert len(node_classes) >= 20
    for cls in node_classes:
        assert "__dict__" not in dir(cls.__new__(cls)), cls.__name__


def test_create_graph_through_fused_loss_keeps_float32():
    x = Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    (g,) = grad(F.cross_entropy(x, np.array([0, 1])), x, create_graph=True)
    assert g.dtype == np.float32 and g.requires_grad
    np.testing.assert_allclose(g.data, (np.full((2, 3), 1 / 3) - np.eye(3)[[0, 1]]) / 2, rtol=1e-6)


def test_astype_is_differentiable_and_casts_the_gradient_back(rng):
    from tinygrad_ce import gradcheck

    x = Tensor(rng.normal(size=3).astype(np.float32), requires_grad=True)
    y = x.astype(np.float64)
    assert y.dtype == np.float64 and x.astype(np.float32) is x
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.data, 2 * x.data, rtol=1e-6)
    assert gradcheck(lambda t: t.astype(np.float64) ** 2, [Tensor(rng.normal(size=3), requires_grad=True)])


def test_create_graph_casts_a_tensor_gradient_to_the_output_dtype():
    x = Tensor(np.ones(2, np.float32), requires_grad=True)
    (g,) = grad(x * 3, x, grad_outputs=Tensor(np.ones(2, np.float64)), create_graph=True)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g.data, [3.0, 3.0])
