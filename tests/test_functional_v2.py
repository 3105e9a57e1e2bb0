"""The version-2 activations and losses: gradcheck in float64 and PyTorch's numbers
(forward and gradient) at ordinary and special points (kinks, bounds, far tails)."""

import numpy as np
import pytest

import tinygrad_ce.functional as F
from tinygrad_ce import Tensor, gradcheck

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")
R = np.random.default_rng(5)
SPECIAL = np.array([-1000.0, -30.0, -6.0, -3.0, -1.0, -1e-9, 0.0, 1e-9, 1.0, 3.0, 6.0, 30.0, 1000.0])

# name: (ours, torch's) on one input
ACTIVATIONS = {
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), lambda x: TF.leaky_relu(x, 0.1)),
    "elu": (lambda x: F.elu(x, 1.5), lambda x: TF.elu(x, 1.5)),
    "selu": (F.selu, lambda x: TF.selu(x)),
    "celu": (lambda x: F.celu(x, 2.0), lambda x: TF.celu(x, 2.0)),
    "gelu": (F.gelu, lambda x: TF.gelu(x)),
    "gelu tanh": (lambda x: F.gelu(x, approximate="tanh"), lambda x: TF.gelu(x, approximate="tanh")),
    "silu": (F.silu, lambda x: TF.silu(x)),
    "mish": (F.mish, lambda x: TF.mish(x)),
    "softplus": (F.softplus, lambda x: TF.softplus(x)),
    "softplus beta": (lambda x: F.softplus(x, beta=2.0, threshold=5.0), lambda x: TF.softplus(x, 2.0, 5.0)),
    "softsign": (F.softsign, lambda x: TF.softsign(x)),
    "hardtanh": (F.hardtanh, lambda x: TF.hardtanh(x)),
    "relu6": (F.relu6, lambda x: TF.relu6(x)),
    "hardsigmoid": (F.hardsigmoid, lambda x: TF.hardsigmoid(x)),
    "hardswish": (F.hardswish, lambda x: TF.hardswish(x)),
    "logsigmoid": (F.logsigmoid, lambda x: TF.logsigmoid(x)),
}


@needs_torch
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activations_match_pytorch_at_special_points(name):
    ours, theirs = ACTIVATIONS[name]
    points = np.concatenate([SPECIAL, [-1.0 - 1e-12, 1.0 + 1e-12, 0.5, -0.5, 2.0, -2.0]])
    x, t = Tensor(points, requires_grad=True), torch.tensor(points, requires_grad=True)
    out, ref = ours(x), theirs(t)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12, atol=1e-15)
    out.sum().backward()
    ref.sum().backward()
    rtol = 1e-7 if name == "hardsigmoid" else 1e-12  # PyTorch's slope 1/6 is a float32 constant
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=rtol, atol=1e-15)
    assert np.all(np.isfinite(x.grad.data))


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activations_gradcheck(name):
    x = Tensor(R.uniform(-4, 4, size=(3, 4)), requires_grad=True)  # away from the kinks
    x.data[np.abs(np.abs(x.data) - 3) < 0.05] += 0.1
    x.data[np.abs(x.data) < 0.05] += 0.1
    x.data[np.abs(np.abs(x.data) - 1) < 0.05] += 0.1
    assert gradcheck(lambda t: ACTIVATIONS[name][0](t), [x])


@needs_torch
def test_softmin_and_normalize_match_pytorch_including_a_zero_row():
    data = np.array([[0.0, 0.0, 0.0], [3.0, -4.0, 1.0]])
    for ours, theirs in [
        (lambda x: F.softmin(x, dim=1), lambda t: TF.softmin(t, dim=1)),
        (lambda x: F.normalize(x, dim=1), lambda t: TF.normalize(t, dim=1)),
    ]:
        x, t = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
        out, ref = ours(x), theirs(t)
        np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12, atol=1e-15)
        w = np.arange(6.0).reshape(2, 3)
        (out * Tensor(w)).sum().backward()
        (ref * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-12, atol=1e-15)


def _pair():
    return R.normal(size=(4, 3)), R.normal(size=(4, 3))


def _t64(values):
    return torch.tensor(values, dtype=torch.float64)


def _log_probs(rows):
    return np.log(R.dirichlet(np.ones(3), size=rows))


EDGES = (np.array([[0.0, -50.0, 50.0], [1.0, 0.0, -2.0]]), np.array([[1.0, 0.0, 1.0], [0.5, 0.0, 1.0]]))


LOSSES = {
    "l1": (lambda x, y: F.l1_loss(x, y), lambda x, y: TF.l1_loss(x, y), _pair),
    "smooth_l1": (
        lambda x, y: F.smooth_l1_loss(x, y, beta=0.5),
        lambda x, y: TF.smooth_l1_loss(x, y, beta=0.5),
        _pair,
    ),
    "smooth_l1 at beta": (
        lambda x, y: F.smooth_l1_loss(x, y, reduction="sum"),
        lambda x, y: TF.smooth_l1_loss(x, y, reduction="sum"),
        lambda: (np.array([1.0, -1.0, 0.0, 2.5]), np.zeros(4)),
    ),
    "huber": (lambda x, y: F.huber_loss(x, y, delta=0.7), lambda x, y: TF.huber_loss(x, y, delta=0.7), _pair),
    "huber at delta": (
        lambda x, y: F.huber_loss(x, y, reduction="none"),
        lambda x, y: TF.huber_loss(x, y, reduction="none"),
        lambda: (np.array([1.0, -1.0, 0.0]), np.zeros(3)),
    ),
    "bce": (
        lambda x, y: F.binary_cross_entropy(x, y),
        lambda x, y: TF.binary_cross_entropy(x, y),
        lambda: (R.uniform(0.05, 0.95, size=(4, 3)), R.uniform(size=(4, 3))),
    ),
    "bce weight": (
        lambda x, y: F.binary_cross_entropy(x, y, weight=np.arange(3.0)),
        lambda x, y: TF.binary_cross_entropy(x, y, weight=_t64([0.0, 1.0, 2.0])),
        lambda: (R.uniform(0.05, 0.95, size=(4, 3)), R.uniform(size=(4, 3))),
    ),
    "bce logits pos_weight": (
        lambda x, y: F.binary_cross_entropy_with_logits(x, y, pos_weight=np.array([1.0, 2.0, 0.5])),
        lambda x, y: TF.binary_cross_entropy_with_logits(x, y, pos_weight=_t64([1.0, 2.0, 0.5])),
        lambda: EDGES,
    ),
    "bce logits weight": (
        lambda x, y: F.binary_cross_entropy_with_logits(
            x, y, weight=np.array([2.0, 1.0, 0.0]), reduction="sum"
        ),
        lambda x, y: TF.binary_cross_entropy_with_logits(x, y, weight=_t64([2.0, 1.0, 0.0]), reduction="sum"),
        _pair,
    ),
    "kl_div": (
        lambda x, y: F.kl_div(x, y, reduction="batchmean"),
        lambda x, y: TF.kl_div(x, y, reduction="batchmean"),
        lambda: (_log_probs(4), np.array([[0.0, 0.5, 0.5]] * 4)),
    ),
    "kl_div log_target": (
        lambda x, y: F.kl_div(x, y, reduction="sum", log_target=True),
        lambda x, y: TF.kl_div(x, y, reduction="sum", log_target=True),
        lambda: (_log_probs(2), _log_probs(2)),
    ),
}


@needs_torch
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_losses_match_pytorch(name):
    ours, theirs, make = LOSSES[name]
    a, b = make()
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    out, ref = ours(x, y), theirs(tx, ty)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12, atol=1e-15)
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-11, atol=1e-14)
    if ty.grad is not None and y.grad is not None:  # (PyTorch: nan for d/dtarget at a zero target)
        finite = np.isfinite(ty.grad.numpy())
        np.testing.assert_allclose(y.grad.data[finite], ty.grad.numpy()[finite], rtol=1e-11, atol=1e-14)


def test_dropout_and_one_hot():
    x = Tensor(np.ones((200, 50)), requires_grad=True)
    out = F.dropout(x, 0.25, rng=0)
    kept = out.data != 0
    assert 0.7 < kept.mean() < 0.8 and np.allclose(out.data[kept], 1 / 0.75)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.data, kept / 0.75)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.one_hot(np.array([0, 2]), 3).tolist() == [[1, 0, 0], [0, 0, 1]]
    with pytest.raises(IndexError, match="one_hot"):
        F.one_hot(np.array([3]), 3)
