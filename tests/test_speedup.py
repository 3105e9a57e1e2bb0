"""`jit_speedup`: fit's step timed eager and jitted, on copies (the caller's model,
optimizer and default generator untouched); no assertion on which is faster."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ce as tg
import tinygrad_ce.functional as F
import tinygrad_ce.nn as nn
import tinygrad_ce.optim as optim
from tinygrad_ce.rng import default_generator
from tinygrad_ce.traced import TraceError
from tinygrad_ce.training import JitSpeedup, jit_speedup


def setup(optimizer=optim.Adam, **options):
    model = nn.Sequential(nn.Linear(4, 16, rng=0), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 3, rng=1))
    rng = np.random.default_rng(0)
    X = rng.normal(size=(8, 4)).astype(np.float32)
    y = rng.integers(0, 3, size=8)
    return model, optimizer(model.parameters(), lr=0.1, **options), X, y


def test_times_are_positive_and_speedup_is_their_ratio():
    model, opt, X, y = setup()
    result = jit_speedup(model, F.cross_entropy, opt, X, y, steps=3, rounds=2)
    assert isinstance(result, JitSpeedup)
    assert result.eager_seconds > 0 and result.jit_seconds > 0
    assert result.speedup == result.eager_seconds / result.jit_seconds
    text = str(result)
    assert text.startswith("jit: ") and ("x faster per step" in text or "x slower per step" in text)
    assert "eager " in text and ", jit " in text


@pytest.mark.parametrize("make", [optim.Adam, lambda p, lr: optim.SGD(p, lr=lr, momentum=0.9)])
def test_the_callers_model_optimizer_and_generator_are_untouched(make):
    tg.manual_seed(3)
    model, opt, X, y = setup(make)
    for _ in range(2):  # some optimizer state to keep
        loss = F.cross_entropy(model(tg.Tensor(X)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    params = [p.data.copy() for p in model.parameters()]
    state = {k: np.copy(v) if isinstance(v, np.ndarray) else v for k, v in opt.state_dict().items()}
    grads = [p.grad.data.copy() for p in model.parameters()]
    random_state = default_generator().bit_generator.state
    jit_speedup(model, F.cross_entropy, opt, X, y, steps=2, rounds=1)
    assert all(np.array_equal(a, p.data) for a, p in zip(params, model.parameters()))
    assert all(np.array_equal(g, p.grad.data) for g, p in zip(grads, model.parameters()))
    after = opt.state_dict()
    assert after.keys() == state.keys()
    assert all(np.array_equal(after[k], v) for k, v in state.items())
    assert default_generator().bit_generator.state == random_state
    assert model.training and opt.params[0] is next(model.parameters())


def test_forward_takes_the_batch_as_given():
    model = nn.Sequential(nn.Embedding(10, 4, rng=0), nn.Flatten(), nn.Linear(8, 10, rng=1))
    opt = optim.SGD(model.parameters(), lr=0.1)
    idx = np.random.default_rng(0).integers(0, 10, size=(6, 2))
    result = jit_speedup(
        model, F.cross_entropy, opt, idx, idx[:, 0], forward=lambda m, x: m(x), steps=2, rounds=1
    )
    assert result.jit_seconds > 0


def test_str_says_slower_and_picks_the_unit():
    assert str(JitSpeedup(120e-6, 63e-6)) == "jit: 1.9x faster per step (eager 120 us, jit 63 us)"
    assert str(JitSpeedup(0.040, 0.0412)) == "jit: 1.03x slower per step (eager 40.0 ms, jit 41.2 ms)"
    assert JitSpeedup(2.0, 1.0).speedup == 2.0
    with pytest.raises(ValueError, match="jit_seconds must be a positive number"):
        JitSpeedup(1.0, 0.0)


@pytest.mark.parametrize(
    "change, error, message",
    [
        (dict(model="net"), TypeError, "jit_speedup: model must be a Module"),
        (dict(loss_fn=3), TypeError, "jit_speedup: loss_fn must be callable"),
        (dict(optimizer=None), TypeError, "jit_speedup: optimizer must be an Optimizer"),
        (dict(forward="f"), TypeError, "jit_speedup: forward must be callable"),
        (dict(steps=0), ValueError, "jit_speedup: steps must be a positive integer, got 0"),
        (dict(steps=2.5), TypeError, "jit_speedup: steps must be a positive integer"),
        (dict(rounds=True), TypeError, "jit_speedup: rounds must be a positive integer"),
        (dict(X=None), TypeError, "jit_speedup: X and y must be one batch of arrays"),
        (dict(y=(1, 2)), TypeError, "jit_speedup: X and y must be one batch of arrays"),
    ],
)
def test_bad_arguments_raise_naming_them(change, error, message):
    model, opt, X, y = setup()
    args = dict(model=model, loss_fn=F.cross_entropy, optimizer=opt, X=X, y=y) | change
    with pytest.raises(error, match=message):
        jit_speedup(**args)


def test_an_optimizer_of_another_model_is_refused():
    model, _, X, y = setup()
    other, opt, _, _ = setup()
    with pytest.raises(ValueError, match="jit_speedup: optimizer holds tensors that are not model's"):
        jit_speedup(model, F.cross_entropy, opt, X, y, steps=1, rounds=1)


def test_a_step_jit_cannot_replay_raises_its_trace_error():
    model, opt, X, y = setup()

    def loss_fn(logits, target):  # a Python number from the values: frozen, refused
        return F.cross_entropy(logits * float(logits.sum().item() > 0), target)

    with pytest.raises(TraceError, match="tinygrad_ce.jit"):
        jit_speedup(model, loss_fn, opt, X, y, steps=1, rounds=1)
