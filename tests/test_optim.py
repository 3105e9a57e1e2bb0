"""optim: SGD/Adam/AdamW against independently written update rules and torch.optim,
state save/load, argument checks, and the learning-rate schedules."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_ce
import tinygrad_ce.functional as F
import tinygrad_ce.nn as nn
import tinygrad_ce.optim as optim
from tinygrad_ce import Tensor

STEPS = 5


def gradients(shape, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape) for _ in range(STEPS)]


def run(optimizer_cls, start, grads, dtype=np.float64, **kwargs):
    """Apply `optimizer_cls` to one parameter with the given gradient sequence."""
    p = nn.Parameter(start.astype(dtype))
    opt = optimizer_cls([p], **kwargs)
    for g in grads:
        opt.zero_grad()
        p.grad = Tensor(g.astype(dtype))
        opt.step()
    return p


# ----------------------------------------------------------------------------- independent rules
def sgd_rule(p, grads, lr, momentum=0.0, weight_decay=0.0, nesterov=False, dampening=0.0):
    velocity = None
    for g in grads:
        d = g + weight_decay * p
        if momentum:
            velocity = d if velocity is None else momentum * velocity + (1 - dampening) * d
            d = d + momentum * velocity if nesterov else velocity
        p = p - lr * d
    return p


def adam_rule(p, grads, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
    m = v = 0.0
    for t, g in enumerate(grads, start=1):
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g**2
        m_hat, v_hat = m / (1 - betas[0] ** t), v / (1 - betas[1] ** t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return p


SGD_CASES = [
    dict(lr=0.1),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.1, momentum=0.5, dampening=0.3, weight_decay=0.01),
    dict(lr=0.1, weight_decay=0.1),
]
ADAM_CASES = [dict(lr=0.01), dict(lr=0.003, betas=(0.8, 0.99), eps=1e-6), dict(lr=0.01, weight_decay=0.1)]


@pytest.mark.parametrize("kwargs", SGD_CASES)
def test_sgd_matches_the_update_rule(kwargs):
    start, grads = np.random.default_rng(1).normal(size=(3, 4)), gradients((3, 4))
    p = run(optim.SGD, start, grads, **kwargs)
    np.testing.assert_allclose(p.data, sgd_rule(start, grads, **kwargs), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kwargs", ADAM_CASES)
@pytest.mark.parametrize("cls, decoupled", [(optim.Adam, False), (optim.AdamW, True)])
def test_adam_and_adamw_match_the_update_rule(cls, decoupled, kwargs):
    start, grads = np.random.default_rng(1).normal(size=(5,)), gradients((5,))
    kwargs = {"weight_decay": 1e-2, **kwargs} if decoupled else kwargs  # AdamW's default decay
    p = run(cls, start, grads, **kwargs)
    np.testing.assert_allclose(p.data, adam_rule(start, grads, decoupled=decoupled, **kwargs), rtol=1e-10)


@pytest.mark.parametrize(
    "name, kwargs",
    [("SGD", c) for c in SGD_CASES]
    + [("Adam", c) for c in ADAM_CASES]
    + [("AdamW", dict(lr=0.01)), ("AdamW", dict(lr=0.01, weight_decay=0.2))],
)
def test_same_trajectory_as_torch_optim(name, kwargs):
    torch = pytest.importorskip("torch")
    start, grads = np.random.default_rng(2).normal(size=(4, 3)).astype(np.float32), gradients((4, 3), seed=3)
    reference = torch.nn.Parameter(torch.tensor(start))
    torch_opt = getattr(torch.optim, name)([reference], **kwargs)
    for g in grads:
        torch_opt.zero_grad()
        reference.grad = torch.tensor(g.astype(np.float32))
        torch_opt.step()
    p = run(getattr(optim, name), start, grads, dtype=np.float32, **kwargs)
    assert p.dtype == np.float32
    np.testing.assert_allclose(p.data, reference.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_training_a_model_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).normal(size=(16, 3)).astype(np.float32)
    y = np.arange(16) % 2
    model = nn.MLP([3, 8, 2], rng=0)
    reference = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    reference.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    opt = optim.Adam(model.parameters(), lr=0.01)
    torch_opt = torch.optim.Adam(reference.parameters(), lr=0.01)
    for _ in range(10):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
        torch_opt.zero_grad()
        torch.nn.functional.cross_entropy(reference(torch.tensor(x)), torch.tensor(y)).backward()
        torch_opt.step()
    for key, value in reference.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[key], value.numpy(), rtol=1e-4, atol=1e-6)


# ----------------------------------------------------------------------------- behaviour
@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.AdamW])
def test_updates_in_place_keep_float32_and_skip_params_without_grad(cls):
    used, unused = nn.Parameter(np.ones(3, np.float32)), nn.Parameter(np.ones(2, np.float32))
    opt = cls([used, unused], lr=0.1, **({"momentum": 0.9} if cls is optim.SGD else {}))
    array = used.data
    used.grad = Tensor(np.full(3, 0.5, np.float32))
    opt.step()
    assert used.data is array and used.dtype == np.float32 and np.all(used.data < 1)
    assert np.all(unused.data == 1) and opt.state[1] == {}
    assert all(v.dtype == np.float32 for v in opt.state[0].values() if isinstance(v, np.ndarray))
    opt.zero_grad()
    assert used.grad is None


def test_lr_is_an_adjustable_attribute():
    p = nn.Parameter(np.zeros(2))
    opt = optim.SGD([p], lr=1.0)
    opt.lr = 0.25
    p.grad = Tensor(np.ones(2))
    opt.step()
    np.testing.assert_array_equal(p.data, [-0.25, -0.25])
    assert "SGD(1 parameters, lr=0.25" in repr(opt)


@pytest.mark.parametrize(
    "cls, kwargs",
    [
        (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
        (optim.Adam, dict(lr=0.01)),
        (optim.AdamW, dict(lr=0.01)),
    ],
)
def test_state_round_trip_through_save_continues_bit_identically(tmp_path, cls, kwargs):
    grads = gradients((2, 3), seed=4)
    start = np.random.default_rng(5).normal(size=(2, 3)).astype(np.float32)
    straight = run(cls, start, grads, dtype=np.float32, **kwargs)

    first = nn.Parameter(start.copy())
    opt = cls([first], **kwargs)
    for g in grads[:3]:
        first.grad = Tensor(g.astype(np.float32))
        opt.step()
    tinygrad_ce.save(opt.state_dict(), tmp_path / "opt.npz")
    resumed = nn.Parameter(first.data.copy())
    opt2 = cls([resumed], lr=123.0)  # hyperparameters come back from the state too
    opt2.load_state_dict(tinygrad_ce.load(tmp_path / "opt.npz"))
    assert opt2.lr == kwargs["lr"]
    for g in grads[3:]:
        resumed.grad = Tensor(g.astype(np.float32))
        opt2.step()
    np.testing.assert_array_equal(resumed.data, straight.data)


def test_load_state_dict_rejects_what_does_not_fit():
    p, q = nn.Parameter(np.zeros(3)), nn.Parameter(np.zeros(2))
    adam = optim.Adam([p])
    p.grad = Tensor(np.ones(3))
    adam.step()
    state = adam.state_dict()
    with pytest.raises(ValueError, match="the state is for 'Adam', not SGD"):
        optim.SGD([p], lr=0.1).load_state_dict(state)
    with pytest.raises(ValueError, match="the state has 1 parameters, not 2"):
        optim.Adam([p, q]).load_state_dict(state)
    with pytest.raises(ValueError, match=r"state.0.exp_avg has shape \(3,\), parameter 0 \(2,\)"):
        optim.Adam([q]).load_state_dict(state)
    with pytest.raises(ValueError, match="missing keys: state.0.exp_avg_sq"):
        optim.Adam([p]).load_state_dict({k: v for k, v in state.items() if k != "state.0.exp_avg_sq"})
    with pytest.raises(ValueError, match="unexpected key 'state.0.bogus'"):
        optim.Adam([p]).load_state_dict({**state, "state.0.bogus": np.zeros(3)})


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: optim.SGD([], lr=0.1), "empty parameter list"),
        (lambda p: optim.SGD([p, p], lr=0.1), "appears more than once"),
        (lambda p: optim.SGD([Tensor(np.ones(2))], lr=0.1), "not a float leaf with grad"),
        (lambda p: optim.SGD([p], lr=-1.0), "lr must be a finite number >= 0"),
        (lambda p: optim.SGD([p], lr=0.1, nesterov=True), "nesterov needs momentum > 0"),
        (lambda p: optim.Adam([p], betas=(0.9, 1.0)), r"betas\[1\] must be in \[0, 1\)"),
        (lambda p: optim.Adam([p], eps=float("nan")), "eps must be"),
        (lambda p: optim.StepLR(optim.SGD([p], lr=0.1), step_size=0), "step_size must be a positive integer"),
    ],
)
def test_bad_arguments_are_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make(nn.Parameter(np.zeros(2)))


# ----------------------------------------------------------------------------- schedules
def test_step_and_cosine_schedules():
    opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0)
    step = optim.StepLR(opt, step_size=2, gamma=0.5)
    seen = []
    for _ in range(6):
        step.step()
        seen.append(step.get_last_lr())
    assert seen == [[1.0], [0.5], [0.5], [0.25], [0.25], [0.125]]  # one lr per param group, as PyTorch
    opt.lr = 0.1
    cosine = optim.CosineAnnealingLR(opt, T_max=4, eta_min=0.01)
    lrs = []
    for _ in range(4):
        cosine.step()
        lrs.append(opt.lr)
    expected = [0.01 + 0.09 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(1, 5)]
    np.testing.assert_allclose(lrs, expected)
    restored = optim.CosineAnnealingLR(optim.SGD([nn.Parameter(np.zeros(1))], lr=5.0), T_max=4, eta_min=0.01)
    restored.load_state_dict(cosine.state_dict())
    assert restored.optimizer.lr == pytest.approx(lrs[-1]) and restored.last_epoch == 4


def test_schedules_match_torch():
    torch = pytest.importorskip("torch")
    for ours, theirs in [
        (lambda o: optim.StepLR(o, 3, gamma=0.3), lambda o: torch.optim.lr_scheduler.StepLR(o, 3, gamma=0.3)),
        (
            lambda o: optim.CosineAnnealingLR(o, 7, 0.001),
            lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 7, 0.001),
        ),
    ]:
        opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.2)
        torch_opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.2)
        schedule, torch_schedule = ours(opt), theirs(torch_opt)
        for _ in range(7):
            torch_opt.step()
            schedule.step()
            torch_schedule.step()
            assert opt.lr == pytest.approx(torch_schedule.get_last_lr()[0], rel=1e-9, abs=1e-12)
