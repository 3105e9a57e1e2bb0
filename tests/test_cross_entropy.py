"""Fused vs composed cross-entropy, hand-computed values, extreme logits, bad input."""

import itertools

import numpy as np
import pytest

import tinygrad_ce.functional as F
from tinygrad_ce import Tensor, grad, gradcheck

C = 4
LEADS = [(), (5,), (2, 3)]
COMBOS = [
    combo
    for combo in itertools.product(
        LEADS, ["index", "probs"], ["mean", "sum", "none"], [False, True], [None, 2], [0.0, 0.15]
    )
    if not (combo[1] == "probs" and combo[4] is not None)
]  # ignore_index: class indices only


def make_case(rng, lead, kind, weighted, ignore, dtype=np.float64):
    logits = rng.normal(size=lead + (C,)).astype(dtype)
    if kind == "index":
        target = rng.integers(0, C, size=lead)
        if ignore is not None and target.size > 1:
            target.flat[0] = ignore
    else:
        target = rng.random(lead + (C,)).astype(dtype)
        target /= target.sum(-1, keepdims=True)
    weight = rng.uniform(0.5, 2.0, size=C) if weighted else None
    return logits, target, weight


def loss_and_grad(logits, target, fused, **options):
    x = Tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, target, fused=fused, **options)
    upstream = np.linspace(0.5, 1.5, loss.size).reshape(loss.shape) if loss.size > 1 else 1.0
    (g,) = grad(loss, x, grad_outputs=upstream)
    return loss.data, g.data


@pytest.mark.parametrize("lead, kind, reduction, weighted, ignore, smoothing", COMBOS)
def test_fused_and_unfused_agree(rng, lead, kind, reduction, weighted, ignore, smoothing):
    logits, target, weight = make_case(rng, lead, kind, weighted, ignore)
    options = dict(reduction=reduction, weight=weight, ignore_index=ignore, label_smoothing=smoothing)
    fused_loss, fused_grad = loss_and_grad(logits, target, True, **options)
    plain_loss, plain_grad = loss_and_grad(logits, target, False, **options)
    assert fused_loss.shape == plain_loss.shape == (lead if reduction == "none" else ())
    np.testing.assert_allclose(fused_loss, plain_loss, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fused_grad, plain_grad, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("lead, kind, reduction, weighted, ignore, smoothing", COMBOS[::3])
def test_fused_gradcheck(rng, lead, kind, reduction, weighted, ignore, smoothing):
    logits, target, weight = make_case(rng, lead, kind, weighted, ignore)
    options = dict(reduction=reduction, weight=weight, ignore_index=ignore, label_smoothing=smoothing)
    assert gradcheck(
        lambda t: F.softmax_cross_entropy(t, target, **options), [Tensor(logits, requires_grad=True)]
    )


def test_gradient_is_p_minus_onehot_over_n():
    logits = np.array([[1.0, 2.0, 3.0], [0.5, 0.5, -1.0]])
    target = np.array([2, 0])
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    onehot = np.eye(3)[target]
    expected_loss = -np.mean(np.log(p[[0, 1], target]))
    for fused in (True, False):
        loss, g = loss_and_grad(logits, target, fused)
        x = Tensor(logits, requires_grad=True)
        F.cross_entropy(x, target, fused=fused).backward()
        np.testing.assert_allclose(float(loss), expected_loss, rtol=1e-14)
        np.testing.assert_allclose(x.grad.data, (p - onehot) / 2, rtol=1e-13, atol=1e-16)


def test_hand_computed_weighted_smoothed_case():
    logits = np.array([[0.0, np.log(3.0)]])  # p = [1/4, 3/4]
    w, e = np.array([2.0, 1.0]), 0.2
    q = (1 - e) * np.array([1.0, 0.0]) + e / 2  # [0.9, 0.1]
    p = np.array([0.25, 0.75])
    loss, g = loss_and_grad(logits, np.array([0]), True, weight=w, label_smoothing=e, reduction="sum")
    np.testing.assert_allclose(float(loss), -(w * q * np.log(p)).sum(), rtol=1e-14)
    np.testing.assert_allclose(g[0], p * (w * q).sum() - w * q, rtol=1e-14)


def test_mean_divides_by_summed_weights_of_rows_that_count():
    logits = np.zeros((3, 2))  # every -log p is log 2
    loss, _ = loss_and_grad(logits, np.array([0, 1, 1]), True, weight=[1.0, 3.0], ignore_index=0)
    np.testing.assert_allclose(float(loss), np.log(2), rtol=1e-14)  # (3 + 3) log2 / (3 + 3)
    loss, g = loss_and_grad(logits, np.array([0, 1, 0]), True, ignore_index=0)
    np.testing.assert_allclose(float(loss), np.log(2), rtol=1e-14)
    np.testing.assert_array_equal(g[[0, 2]], 0.0)  # ignored rows: zero gradient


def test_probability_targets_that_are_not_distributions_are_allowed():
    logits = np.array([[0.0, 0.0]])
    loss, _ = loss_and_grad(logits, np.array([[2.0, 1.0]]), True)
    np.testing.assert_allclose(float(loss), 3 * np.log(2), rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("gap", [0, 30, 40, 745, 1000])
@pytest.mark.parametrize("kind", ["index", "probs"])
def test_extreme_logits_stay_finite_and_correct(dtype, gap, kind):
    logits = np.array([[gap, 0.0, -gap], [0.0, gap, 0.0]], dtype=dtype)
    target = np.array([2, 1]) if kind == "index" else np.eye(3, dtype=dtype)[[2, 1]]
    # exact in float64 from the shifted logits: lse = log(1 + e^-gap + ...)
    z = logits.astype(np.float64) - logits.astype(np.float64).max(1, keepdims=True)
    lse = np.log(np.exp(z).sum(1))
    expected_loss = np.mean(lse - z[[0, 1], [2, 1]])
    p = np.exp(z - lse[:, None])
    expected_grad = (p - np.eye(3)[[2, 1]]) / 2
    tol = 1e-6 if dtype == np.float32 else 1e-13
    for fused in (True, False):
        loss, g = loss_and_grad(logits, target, fused)
        assert loss.dtype == dtype and g.dtype == dtype
        assert np.isfinite(loss).all() and np.isfinite(g).all()
        np.testing.assert_allclose(float(loss), expected_loss, rtol=tol)
        np.testing.assert_allclose(g, expected_grad, rtol=tol, atol=tol)


def test_float32_stays_float32_on_both_paths(rng):
    logits = rng.normal(size=(4, 3)).astype(np.float32)
    for fused in (True, False):
        loss, g = loss_and_grad(logits, np.array([0, 1, 2, 0]), fused, weight=np.ones(3))
        assert loss.dtype == np.float32 and g.dtype == np.float32


def test_softmax_and_log_softmax_on_any_axis(rng):
    x = rng.normal(size=(2, 3, 4)) * 50
    for axis in (0, 1, 2, -1):
        p = F.softmax(Tensor(x), axis=axis).data
        ref = np.exp(x - x.max(axis, keepdims=True))
        ref /= ref.sum(axis, keepdims=True)
        np.testing.assert_allclose(p, ref, rtol=1e-12)
        np.testing.assert_allclose(p.sum(axis), 1.0, rtol=1e-12)
        log_p = F.log_softmax(Tensor(x), axis=axis).data
        assert np.isfinite(log_p).all()
        np.testing.assert_allclose(np.exp(log_p), ref, rtol=1e-12, atol=1e-300)


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("fused", [True, False])
def test_class_index_out_of_range_names_value_and_c(fused):
    x = Tensor(np.zeros((3, 4)), requires_grad=True)
    with pytest.raises(IndexError, match=r"target value 7 .* 4 classes"):
        F.cross_entropy(x, [0, 7, 1], fused=fused)
    with pytest.raises(IndexError, match=r"target value -1 .* 4 classes"):
        F.cross_entropy(x, [0, -1, 1], fused=fused)
    F.cross_entropy(x, [0, -1, 1], fused=fused, ignore_index=-1)  # -1 as ignore_index is fine
    with pytest.raises(IndexError, match=r"target value -100 .*ignore_index=-1"):
        F.cross_entropy(x, [0, -100, 1], fused=fused, ignore_index=-1)


@pytest.mark.parametrize("fused", [True, False])
def test_target_shape_mismatch_names_both_shapes(fused):
    x = Tensor(np.zeros((3, 4)), requires_grad=True)
    with pytest.raises(ValueError, match=r"\(3,\).*\(3, 4\).*\(2,\)"):
        F.cross_entropy(x, [0, 1], fused=fused)
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(3, 5\)"):
        F.cross_entropy(x, np.zeros((3, 5)), fused=fused)
    with pytest.raises(ValueError, match="integer"):
        F.cross_entropy(x, np.zeros(3), fused=fused)
    with pytest.raises(ValueError, match=r"weight.*\(4,\).*\(3,\)"):
        F.cross_entropy(x, [0, 1, 2], weight=[1.0, 1.0, 1.0], fused=fused)


def test_bad_options_are_clear_errors():
    x = Tensor(np.zeros((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(x, [0, 1], reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(x, [0, 1], label_smoothing=1.5)
    with pytest.raises(ValueError, match="ignore_index"):
        F.cross_entropy(x, np.full((2, 3), 1 / 3), ignore_index=0)
    with pytest.raises(TypeError, match="bool"):
        F.cross_entropy(x, np.array([True, False]))
    with pytest.raises(ValueError, match="target"):
        F.softmax_cross_entropy(x, Tensor(np.full((2, 3), 1 / 3), requires_grad=True))


def test_unfused_path_differentiates_probability_targets(rng):
    logits = Tensor(rng.normal(size=(2, 3)))
    target = Tensor(rng.dirichlet(np.ones(3), size=2), requires_grad=True)
    assert gradcheck(lambda t: F.cross_entropy(logits, t, fused=False, label_smoothing=0.1), [target])


def test_fused_is_one_node_and_unfused_is_a_graph():
    x = Tensor(np.zeros((2, 3)), requires_grad=True)
    fused = F.softmax_cross_entropy(x, [0, 1])
    assert fused.grad_fn.name == "softmax_cross_entropy" and fused.grad_fn.parents == (x,)
    unfused = F.cross_entropy(x, [0, 1], fused=False)
    assert unfused.grad_fn.name != "softmax_cross_entropy"
    assert unfused.grad_fn.tag is not None and unfused.grad_fn.tag.name == "cross_entropy"


# ----------------------------------------------------------------------------- other losses
def test_nll_mse_bce_values(rng):
    logp = np.log(rng.dirichlet(np.ones(3), size=4))
    target = np.array([0, 2, 1, 1])
    w = np.array([1.0, 2.0, 3.0])
    got = F.nll_loss(Tensor(logp), target, weight=w, ignore_index=2).item()
    keep = target != 2
    expected = -(w[target] * logp[np.arange(4), target])[keep].sum() / w[target][keep].sum()
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    a, b = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    np.testing.assert_allclose(F.mse_loss(Tensor(a), b).item(), np.mean((a - b) ** 2), rtol=1e-14)
    np.testing.assert_allclose(F.mse_loss(Tensor(a), b, reduction="none").data, (a - b) ** 2)
    x = np.array([-1000.0, -3.0, 0.0, 2.0, 800.0])
    y = np.array([1.0, 0.0, 0.5, 1.0, 0.0])
    bce = F.binary_cross_entropy_with_logits(Tensor(x), y, reduction="none").data
    np.testing.assert_allclose(bce, np.logaddexp(0, x) - x * y, rtol=1e-12)
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(2, 3\)"):
        F.mse_loss(Tensor(a), b.T)


# ----------------------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("lead, kind, reduction, weighted, ignore, smoothing", COMBOS[::2])
def test_same_numbers_as_pytorch(rng, lead, kind, reduction, weighted, ignore, smoothing):
    torch = pytest.importorskip("torch")
    logits, target, weight = make_case(rng, lead, kind, weighted, ignore)
    x = torch.tensor(logits, requires_grad=True)
    moved = x.movedim(-1, 1) if len(lead) > 1 else x  # PyTorch: classes on dim 1
    t = torch.tensor(target)
    if kind == "probs" and len(lead) > 1:
        t = t.movedim(-1, 1)
    loss = torch.nn.functional.cross_entropy(
        moved,
        t,
        weight=None if weight is None else torch.tensor(weight),
        ignore_index=-100 if ignore is None else ignore,
        reduction=reduction,
        label_smoothing=smoothing,
    )
    upstream = np.linspace(0.5, 1.5, loss.numel()).reshape(tuple(loss.shape)) if loss.numel() > 1 else 1.0
    loss.backward(torch.tensor(upstream, dtype=torch.float64))
    for fused in (True, False):
        ours, g = loss_and_grad(
            logits,
            target,
            fused,
            reduction=reduction,
            weight=weight,
            ignore_index=ignore,
            label_smoothing=smoothing,
        )
        np.testing.assert_allclose(ours, loss.detach().numpy(), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(g, x.grad.numpy(), rtol=1e-12, atol=1e-14)
