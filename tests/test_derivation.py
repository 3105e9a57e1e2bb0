"""Each formula of docs/softmax-cross-entropy.md, computed with the engine and compared.

The engine's numbers come from `grad` through the recorded graph (or the fused op's
closed form); the formulas are evaluated directly in numpy, in float64."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import tinygrad_ce.functional as F
from tinygrad_ce import Tensor, grad

logit_rows = arrays(np.float64, st.integers(2, 6), elements=st.floats(-20, 20))


def softmax_np(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def engine_jacobian(z: np.ndarray) -> np.ndarray:
    """J[j, i] = d p_j / d z_i, one row per output via `grad` of that output."""
    x = Tensor(z, requires_grad=True)
    p = F.softmax(x)
    return np.stack([grad(p[j], x, retain_graph=True)[0].data for j in range(len(z))])


# ----------------------------------------------------------------------------- 1. softmax Jacobian
@settings(max_examples=25, deadline=None)
@given(logit_rows)
def test_softmax_jacobian_is_p_j_times_delta_minus_p_i(z: np.ndarray) -> None:
    p = softmax_np(z)
    jacobian = engine_jacobian(z)
    c = len(z)
    for j in range(c):
        for i in range(c):
            formula = p[j] * (1 - p[i]) if i == j else -p[j] * p[i]  # the two cases
            assert jacobian[j, i] == pytest.approx(formula, abs=1e-12)
    np.testing.assert_allclose(jacobian, np.diag(p) - np.outer(p, p), atol=1e-12)


def test_softmax_jacobian_rows_sum_to_zero_and_it_is_symmetric() -> None:
    z = np.array([3.0, -1.0, 0.25, 2.0, -4.0])
    jacobian = engine_jacobian(z)
    np.testing.assert_allclose(jacobian.sum(axis=1), 0.0, atol=1e-15)
    np.testing.assert_allclose(jacobian, jacobian.T, atol=1e-15)


# ----------------------------------------------------------------------------- 2. chain rule, p - y
def test_chain_rule_through_log_cancels_the_jacobian() -> None:
    z = np.array([1.0, -2.0, 0.5, 3.0])
    y = np.array([0.0, 0.0, 1.0, 0.0])
    x = Tensor(z, requires_grad=True)
    p = F.softmax(x)
    loss = -(Tensor(y) * p.log()).sum()
    dl_dp, dl_dz = grad(loss, [p, x])
    probs = softmax_np(z)
    np.testing.assert_allclose(dl_dp.data, -y / probs, rtol=1e-12)  # dL/dp_j = -y_j / p_j
    jacobian = np.diag(probs) - np.outer(probs, probs)
    np.testing.assert_allclose(dl_dz.data, jacobian.T @ (-y / probs), atol=1e-12)  # the chain rule
    np.testing.assert_allclose(dl_dz.data, probs - y, atol=1e-12)  # ... which is p - y


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_cross_entropy_gradient_is_p_minus_y(fused: bool, reduction: str) -> None:
    rng = np.random.default_rng(1)
    z = rng.normal(size=(6, 5)) * 3
    target = rng.integers(0, 5, size=6)
    x = Tensor(z, requires_grad=True)
    (g,) = grad(F.cross_entropy(x, target, reduction=reduction, fused=fused), x)
    expected = softmax_np(z) - np.eye(5)[target]
    np.testing.assert_allclose(g.data, expected / (6 if reduction == "mean" else 1), atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(logit_rows, st.data())
def test_probability_targets_give_p_times_row_sum_minus_y(z: np.ndarray, data: st.DataObject) -> None:
    y = data.draw(arrays(np.float64, z.shape, elements=st.floats(0, 1)))
    for fused in (True, False):
        x = Tensor(z[None], requires_grad=True)
        (g,) = grad(F.cross_entropy(x, y[None], reduction="sum", fused=fused), x)
        # p * sum(y) - y, which is p - y when y sums to 1
        np.testing.assert_allclose(g.data[0], softmax_np(z) * y.sum() - y, atol=1e-10)


def test_hessian_of_cross_entropy_is_the_softmax_jacobian() -> None:
    z = np.array([0.5, -1.0, 2.0])
    x = Tensor(z, requires_grad=True)
    (g,) = grad(F.softmax_cross_entropy(x[None], np.array([1]), reduction="sum"), x, create_graph=True)
    hessian = np.stack([grad(g[i], x, retain_graph=True)[0].data for i in range(3)])
    p = softmax_np(z)
    np.testing.assert_allclose(hessian, np.diag(p) - np.outer(p, p), atol=1e-12)  # d(p - y)/dz = J


# ----------------------------------------------------------------------------- 3. smoothing, weights, mean
@pytest.mark.parametrize("fused", [True, False])
def test_label_smoothing_gradient_is_p_minus_q(fused: bool) -> None:
    rng = np.random.default_rng(2)
    z, target, e = rng.normal(size=(4, 6)), np.array([5, 0, 2, 2]), 0.2
    q = (1 - e) * np.eye(6)[target] + e / 6
    x = Tensor(z, requires_grad=True)
    (g,) = grad(F.cross_entropy(x, target, reduction="sum", label_smoothing=e, fused=fused), x)
    np.testing.assert_allclose(g.data, softmax_np(z) - q, atol=1e-12)
    np.testing.assert_allclose(q.sum(axis=1), 1.0)


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("indices", [True, False])
def test_weighted_gradient_is_p_sum_wq_minus_wq(fused: bool, indices: bool) -> None:
    rng = np.random.default_rng(3)
    z, w, e = rng.normal(size=(5, 4)), np.array([0.5, 2.0, 1.0, 3.0]), 0.1
    target = np.array([1, 3, 0, 3, 2])
    q = (1 - e) * np.eye(4)[target] + e / 4
    given_target = target if indices else np.eye(4)[target]
    x = Tensor(z, requires_grad=True)
    loss = F.cross_entropy(x, given_target, reduction="sum", weight=w, label_smoothing=e, fused=fused)
    (g,) = grad(loss, x)
    p = softmax_np(z)
    np.testing.assert_allclose(g.data, p * (w * q).sum(axis=1, keepdims=True) - w * q, atol=1e-12)


@pytest.mark.parametrize("fused", [True, False])
def test_mean_divides_by_summed_weights_of_rows_not_ignored(fused: bool) -> None:
    rng = np.random.default_rng(4)
    z, w = rng.normal(size=(6, 3)), np.array([1.0, 4.0, 0.5])
    target = np.array([0, -100, 1, 2, -100, 1])
    kept = target != -100
    safe = np.where(kept, target, 0)
    x = Tensor(z, requires_grad=True)
    loss = F.cross_entropy(x, target, weight=w, ignore_index=-100, fused=fused)
    (g,) = grad(loss, x)
    denominator = w[target[kept]].sum()  # 1 + 4 + 0.5 + 4
    assert denominator == 9.5
    per_row = w[safe][:, None] * (softmax_np(z) - np.eye(3)[safe])  # w_t (p - y)
    np.testing.assert_allclose(g.data, np.where(kept[:, None], per_row, 0.0) / denominator, atol=1e-12)
    np.testing.assert_array_equal(g.data[~kept], 0.0)
    losses = -np.log(softmax_np(z))[np.arange(6), safe] * w[safe]
    assert loss.item() == pytest.approx(losses[kept].sum() / denominator, rel=1e-12)


def test_weighted_smoothed_ignored_mean_matches_pytorch() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    z, w = rng.normal(size=(7, 4)), rng.uniform(0.5, 2.0, size=4)
    target = np.array([0, 3, -1, 2, 1, -1, 3])
    options = dict(weight=w, ignore_index=-1, label_smoothing=0.15)
    x = Tensor(z, requires_grad=True)
    (g,) = grad(F.cross_entropy(x, target, **options), x)
    xt = torch.tensor(z, requires_grad=True)
    loss_t = torch.nn.functional.cross_entropy(
        xt, torch.tensor(target), weight=torch.tensor(w), ignore_index=-1, label_smoothing=0.15
    )
    loss_t.backward()
    np.testing.assert_allclose(g.data, xt.grad.numpy(), atol=1e-12)


# ----------------------------------------------------------------------------- 4-5. squared error
@settings(max_examples=25, deadline=None)
@given(arrays(np.float64, (3, 4), elements=st.floats(-12, 12)), st.data())
def test_mse_through_sigmoid_has_the_sigma_prime_factor(z: np.ndarray, data: st.DataObject) -> None:
    y = data.draw(arrays(np.float64, (3, 4), elements=st.floats(0, 1)))
    x = Tensor(z, requires_grad=True)
    (g,) = grad(F.mse_loss(x.sigmoid(), y), x)
    s = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(g.data, 2 * (s - y) * s * (1 - s) / z.size, atol=1e-15, rtol=1e-10)


def test_sigmoid_derivative_is_s_times_one_minus_s_at_most_a_quarter() -> None:
    z = np.linspace(-30, 30, 601)
    x = Tensor(z, requires_grad=True)
    (g,) = grad(x.sigmoid().sum(), x)
    s = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(g.data, s * (1 - s), atol=1e-15)
    assert g.data.max() == pytest.approx(0.25) and z[g.data.argmax()] == 0.0


@pytest.mark.parametrize("wrong_logit", [-10.0, -20.0])
def test_saturated_wrong_sigmoid_output_mse_gradient_vanishes_ce_does_not(wrong_logit: float) -> None:
    x = Tensor(np.array([wrong_logit]), requires_grad=True)
    label = np.array([1.0])
    (g_mse,) = grad(F.mse_loss(x.sigmoid(), label), x)
    (g_ce,) = grad(F.binary_cross_entropy_with_logits(x, label), x)
    s = 1 / (1 + np.exp(-wrong_logit))
    assert g_mse.item() == pytest.approx(2 * (s - 1) * s * (1 - s), rel=1e-10)
    assert abs(g_mse.item()) < 1e-4  # the sigma' factor: ~2 * 4.5e-5 at z = -10
    assert g_ce.item() == pytest.approx(s - 1, rel=1e-10)
    assert abs(g_ce.item()) > 0.9999  # the error itself, undamped


def test_mse_through_softmax_matches_the_formula() -> None:
    rng = np.random.default_rng(6)
    z = rng.normal(size=(4, 5)) * 2
    y = np.eye(5)[[0, 4, 2, 2]]
    x = Tensor(z, requires_grad=True)
    (g,) = grad(F.mse_loss(F.softmax(x), y), x)
    p = softmax_np(z)
    inner = ((p - y) * p).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(g.data, 2 / y.size * p * ((p - y) - inner), atol=1e-14)


def test_saturated_wrong_softmax_mse_gradient_vanishes_ce_does_not() -> None:
    z = np.array([[12.0, 0.0, 0.0]])  # confidently predicts class 0; the truth is class 2
    target = np.array([2])
    x = Tensor(z, requires_grad=True)
    (g_mse,) = grad(F.mse_loss(F.softmax(x), np.eye(3)[target]), x)
    (g_ce,) = grad(F.cross_entropy(x, target), x)
    assert np.linalg.norm(g_mse.data) < 1e-4
    assert np.linalg.norm(g_ce.data) == pytest.approx(np.sqrt(2), rel=1e-4)  # ~ e_0 - e_2


# ----------------------------------------------------------------------------- 6. stability
def test_log_of_softmax_fails_at_large_gap_stable_log_softmax_does_not() -> None:
    x = Tensor(np.array([[0.0, 1000.0]]), requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        naive = -(F.softmax(x).log()[0, 0])
        (g_naive,) = grad(naive, x)
    assert np.isinf(naive.item()) and np.isnan(g_naive.data).all()
    stable = -(F.log_softmax(x)[0, 0])
    (g_stable,) = grad(stable, x)
    assert stable.item() == 1000.0
    np.testing.assert_allclose(g_stable.data, [[-1.0, 1.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("gap", [0.0, 30.0, 40.0, 745.0, 1000.0])
def test_stable_paths_give_finite_loss_and_p_minus_y_at_any_gap(dtype: type, gap: float) -> None:
    z = np.array([[0.0, gap, -gap]], dtype=dtype)
    for fused in (True, False):
        x = Tensor(z, requires_grad=True)
        loss = F.cross_entropy(x, np.array([0]), fused=fused)
        (g,) = grad(loss, x)
        exact = gap + np.log1p(np.exp(-gap) + np.exp(-2 * gap))  # log(1 + e^gap + e^-gap)
        assert np.isfinite(loss.item()) and loss.item() == pytest.approx(exact, rel=1e-6)
        expected = softmax_np(z.astype(np.float64)) - np.array([[1.0, 0.0, 0.0]])
        np.testing.assert_allclose(g.data, expected, atol=1e-6 if dtype == np.float32 else 1e-12)
