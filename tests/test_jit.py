"""tinygrad_ce.jit: a replay gives the numbers of the unjitted step (bit for bit here),
retraces on new signatures, and refuses what it cannot replay with a clear error."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ce as tg
import tinygrad_ce.functional as F
from tinygrad_ce import nn, optim
from tinygrad_ce.traced import TraceError


def _mlp(seed: int = 0, dropout: float = 0.0) -> nn.Module:
    tg.manual_seed(seed)
    layers = [nn.Linear(8, 16), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers, nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 4))


def _batches(n: int = 6, rows: int = 10, seed: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(rows, 8)).astype(np.float32), rng.integers(0, 4, rows)) for _ in range(n)]


def _train(jit: bool, make_opt, loss_fn, batches, model=None, scheduler=None):
    model = model if model is not None else _mlp()
    opt = make_opt(model.parameters())
    sched = scheduler(opt) if scheduler else None

    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    run = tg.jit(step) if jit else step
    losses = []
    for x, y in batches:
        losses.append(np.asarray(run(x, y)).copy())
        if sched is not None:
            sched.step()
    params = [p.data.copy() for p in model.parameters()]
    grads = [p.grad.data.copy() for p in model.parameters()]
    return params, grads, losses, run


OPTIMIZERS = {
    "sgd_momentum": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    "sgd_nesterov_wd": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.8, nesterov=True, weight_decay=1e-3),
    "adam": lambda ps: optim.Adam(ps, lr=1e-2),
    "adamw": lambda ps: optim.AdamW(ps, lr=1e-2),
    "rmsprop": lambda ps: optim.RMSprop(ps, lr=1e-2, momentum=0.5),
}
LOSSES = {
    "ce_fused": lambda out, y: F.cross_entropy(out, y),
    "ce_unfused": lambda out, y: F.cross_entropy(out, y, fused=False),
    "ce_smoothing": lambda out, y: F.cross_entropy(out, y, label_smoothing=0.1),
    "mse": lambda out, y: F.mse_loss(out, y),  # y: one-hot rows made outside the step
}


def _same(a, b) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("opt", sorted(OPTIMIZERS))
@pytest.mark.parametrize("loss", ["ce_fused", "ce_unfused"])
def test_replay_trains_exactly_as_unjitted(opt: str, loss: str) -> None:
    batches = _batches()
    ref = _train(False, OPTIMIZERS[opt], LOSSES[loss], batches)
    got = _train(True, OPTIMIZERS[opt], LOSSES[loss], batches)
    assert got[3].trace_count == 1
    for i in range(3):  # parameters, their .grad, the returned losses
        _same(ref[i], got[i])


@pytest.mark.parametrize("loss", ["ce_smoothing", "mse"])
def test_other_losses(loss: str) -> None:
    batches = _batches(4)
    if loss == "mse":
        batches = [(x, np.eye(4, dtype=np.float32)[y]) for x, y in batches]
    ref = _train(False, OPTIMIZERS["adam"], LOSSES[loss], batches)
    got = _train(True, OPTIMIZERS["adam"], LOSSES[loss], batches)
    for i in range(3):
        _same(ref[i], got[i])


def test_scheduler_lr_is_read_at_each_replay() -> None:
    batches = _batches(6)
    sched = lambda opt: optim.StepLR(opt, step_size=2, gamma=0.5)  # noqa: E731
    ref = _train(False, OPTIMIZERS["sgd_momentum"], LOSSES["ce_fused"], batches, scheduler=sched)
    got = _train(True, OPTIMIZERS["sgd_momentum"], LOSSES["ce_fused"], batches, scheduler=sched)
    _same(ref[0], got[0])


def test_dropout_draws_fresh_masks_as_unjitted() -> None:
    batches = _batches(4)
    ref = _train(False, OPTIMIZERS["adam"], LOSSES["ce_fused"], batches, model=_mlp(dropout=0.5))
    got = _train(True, OPTIMIZERS["adam"], LOSSES["ce_fused"], batches, model=_mlp(dropout=0.5))
    _same(ref[0], got[0])
    _same(ref[2], got[2])


def test_functional_dropout_and_batchnorm_replay() -> None:
    def run(jit: bool):
        tg.manual_seed(3)
        lin, bn = nn.Linear(8, 6), nn.BatchNorm1d(6)
        opt = optim.SGD([*lin.parameters(), *bn.parameters()], lr=0.1)

        def step(x, y):
            opt.zero_grad()
            h = F.dropout(bn(lin(x)).relu(), 0.3)
            loss = F.cross_entropy(h, y)
            loss.backward()
            opt.step()
            return loss

        f = tg.jit(step) if jit else step
        for x, y in _batches(4):
            f(x, y % 6)
        return [lin.weight.data, bn.running_mean.data, bn.running_var.data, bn.num_batches_tracked.data]

    _same(run(False), run(True))


def test_retrace_on_new_shape_and_dtype_and_value() -> None:
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)

    @tg.jit
    def step(x, y, scale):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y) * scale
        loss.backward()
        opt.step()
        return loss

    (x, y), (x2, y2) = _batches(2)
    step(x, y, 1.0)
    step(x2, y2, 1.0)
    assert step.trace_count == 1
    step(x[:7], y[:7], 1.0)  # a last, partial batch
    assert step.trace_count == 2
    step(x.astype(np.float64), y, 1.0)
    assert step.trace_count == 3
    step(x, y, 2.0)  # Python numbers are part of the signature
    assert step.trace_count == 4
    step(x[:7], y[:7], 1.0)
    assert step.trace_count == 4


def test_returned_tensors_hold_each_calls_values() -> None:
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)

    @tg.jit
    def step(x, y):
        opt.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        opt.step()
        return loss, logits

    first = [step(x, y) for x, y in _batches(3)]
    assert first[1][0] is not first[2][0]
    assert first[1][0].item() != first[2][0].item()
    assert first[2][1].shape == (10, 4) and first[2][1].grad_fn is None


def test_zero_dim_intermediates_replay_as_arrays() -> None:
    """Ops with 0-d outputs (numpy gives scalars for them) keep their conversion in a
    replay; the others skip it: the values and types match unjitted code."""
    w = tg.Tensor(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3), requires_grad=True)

    def step(x):
        loss = ((x * w).sum().tanh() * 2.0).exp()
        loss.backward()
        return loss

    jitted = tg.jit(step)
    xs = [np.full((2, 3), 0.1 * i, np.float32) for i in range(1, 5)]
    for x in xs:
        w.grad = None
        expected, grad = step(tg.Tensor(x)).data, w.grad.data.copy()
        w.grad = None
        got = jitted(tg.Tensor(x))
        assert type(got.data) is np.ndarray and got.data.shape == ()
        np.testing.assert_array_equal(got.data, expected)
        np.testing.assert_array_equal(w.grad.data, grad)


def test_grad_mode_and_tags_stay_in_step_for_ops() -> None:
    """`no_grad`, tags and the backward's switch keep what ops read (`mode.record`) in
    step with `is_grad_enabled()` and the tag."""
    from tinygrad_ce.autograd import mode, pop_tag, push_tag

    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    push_tag("outer")
    with tg.no_grad():
        assert mode.record is None and (x * 2).grad_fn is None
        with tg.enable_grad():
            y = x * 3
            assert y.grad_fn is not None and y.grad_fn.tag == "outer"
    y.sum().backward()
    assert tg.is_grad_enabled() and mode.record == ("outer",)
    pop_tag()
    assert mode.record == (None,) and (x * 2).grad_fn.tag is None


def test_tensor_arguments_and_accumulated_grads() -> None:
    """No zero_grad in the step: gradients add up over calls, as unjitted."""

    def run(jit: bool):
        w = tg.Tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4), requires_grad=True)

        def step(x):
            ((x @ w).tanh() * 2.0 + 1.0).sum().backward()

        f = tg.jit(step) if jit else step
        xs = []
        for i in range(3):
            x = tg.Tensor(np.full((2, 3), 0.1 * (i + 1), dtype=np.float32), requires_grad=True)
            f(x)
            xs.append(x.grad.data.copy())
        return [w.grad.data, *xs]

    _same(run(False), run(True))


def test_zero_grad_keeping_buffers() -> None:
    def run(jit: bool):
        model = _mlp()
        opt = optim.Adam(model.parameters(), lr=1e-2)

        def step(x, y):
            opt.zero_grad(set_to_none=False)
            F.cross_entropy(model(x), y).backward()
            opt.step()

        f = tg.jit(step) if jit else step
        for x, y in _batches(3):
            f(x, y)
        return [p.data for p in model.parameters()]

    _same(run(False), run(True))


@pytest.mark.parametrize(
    "read",
    [
        lambda t: t.item(),
        lambda t: t.numpy(),
        lambda t: float(t),
        lambda t: bool(t),
        lambda t: np.asarray(t),
        lambda t: t.tolist(),
    ],
)
def test_reading_values_inside_the_step_is_an_error(read) -> None:
    w = tg.Tensor(np.ones(3, dtype=np.float32), requires_grad=True)

    @tg.jit
    def step(x):
        loss = (x * w).sum()
        read(loss)
        return loss

    with pytest.raises(TraceError, match="tinygrad_ce.jit.*outside"):
        step(np.ones(3, dtype=np.float32))
    assert step.trace_count == 0


def test_data_dependent_constants_are_caught_on_the_second_call() -> None:
    """A numpy array made inside the step is a constant; the second call traces again
    and a constant that changed (it depended on the data) is a TraceError."""
    w = tg.Tensor(np.ones(3, dtype=np.float32), requires_grad=True)

    @tg.jit
    def step(x):
        return (tg.Tensor(x * 2.0) * w).sum()  # x * 2.0 in numpy: data-dependent Python

    step(np.ones(3, dtype=np.float32))
    with pytest.raises(TraceError, match="tinygrad_ce.jit.*constant.*arguments"):
        step(np.full(3, 2.0, dtype=np.float32))

    @tg.jit
    def noisy(x):
        return (x * tg.randn(3)).sum()

    noisy(tg.Tensor(np.ones(3, dtype=np.float32)))
    with pytest.raises(TraceError, match="second call"):
        noisy(tg.Tensor(np.ones(3, dtype=np.float32)))

    @tg.jit
    def branchy(x):
        h = tg.Tensor(x) * w
        return (h * 2 if x[0] > 0 else h.tanh()).sum()  # control flow on the data

    branchy(np.ones(3, dtype=np.float32))
    with pytest.raises(TraceError, match="differs"):
        branchy(-np.ones(3, dtype=np.float32))


def test_constants_made_from_shapes_inside_the_step_replay() -> None:
    def run(jit: bool):
        w = tg.Tensor(np.linspace(0, 1, 16, dtype=np.float32).reshape(4, 4), requires_grad=True)
        opt = optim.SGD([w], lr=0.1)

        def step(x):
            opt.zero_grad()
            mask = tg.Tensor(np.triu(np.ones((4, 4), np.float32), 1))  # from the shape only
            loss = ((tg.Tensor(x) @ w) * mask * 0.5).sum()
            loss.backward()
            opt.step()
            return loss

        f = tg.jit(step) if jit else step
        out = [float(np.asarray(f(np.full((4, 4), i, np.float32)))) for i in range(5)]
        return [w.data.copy(), np.array(out)]

    _same(run(False), run(True))


def test_views_are_refused_and_value_masks_replay() -> None:
    w = tg.Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    view = tg.jit(lambda x: (tg.Tensor(x[::-1]) * w).sum())
    with pytest.raises(TraceError, match="tinygrad_ce.jit.*view"):
        view(np.ones(3, dtype=np.float32))

    def masked(x):  # abs, sign, argmax, comparisons: numpy on values, recomputed per replay
        t = tg.Tensor(x) * w
        return t.abs().sum() + t.sign().sum() + t.argmax().astype(np.float32) + (t > 0).sum()

    jitted = tg.jit(masked)
    for x in ([1, -2, 3], [1, -2, 3], [-1, 5, -3], [0, 0, 1]):
        x = np.array(x, dtype=np.float32)
        assert jitted(x).item() == masked(x).item()


def test_grad_inside_the_step_is_an_error() -> None:
    w = tg.Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    step = tg.jit(lambda x: tg.grad((x * w).sum(), w))
    with pytest.raises(TraceError, match="grad"):
        step(np.ones(3, dtype=np.float32))


def test_unhashable_argument_is_a_clear_error() -> None:
    step = tg.jit(lambda x, opts: x)
    with pytest.raises(TypeError, match="tinygrad_ce.jit: argument 1"):
        step(np.ones(2), [1, 2])


def test_not_tracing_leaves_eager_behaviour() -> None:
    x = tg.Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    y = (x * 3).sum()
    assert y.item() == 9.0
    y.backward()
    np.testing.assert_array_equal(x.grad.data, np.full(3, 3.0, np.float32))


def test_fit_with_jit_matches_fit_without() -> None:
    batches = _batches(3) + [(x[:4], y[:4]) for x, y in _batches(1, seed=9)]  # a partial batch
    results = []
    for jit in (False, True):
        model = _mlp()
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        history = tg.fit(model, F.cross_entropy, opt, batches, epochs=3, progress=False, jit=jit)
        results.append(([p.data.copy() for p in model.parameters()], history.train_loss))
    _same(results[0][0], results[1][0])
    assert results[0][1] == results[1][1]


def test_fit_jit_refuses_on_step() -> None:
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="on_step"):
        tg.fit(model, F.cross_entropy, opt, _batches(1), epochs=1, progress=False, jit=True, on_step=print)


def test_cli_train_with_jit_gives_the_same_history(tmp_path, capsys) -> None:
    from tinygrad_ce.cli import main

    for name, extra in (("eager", []), ("jit", ["--jit"])):
        args = ["train", "--epochs", "3", "--hidden", "8", "--quiet", "--out", str(tmp_path / name)]
        assert main(args + extra) == 0
    eager = (tmp_path / "eager" / "history.json").read_text()
    assert (tmp_path / "jit" / "history.json").read_text() == eager


def test_replay_is_generated_straight_line_code_that_reads_as_the_step() -> None:
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    opt = optim.SGD(model.parameters(), lr=0.1)

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    jitted = tg.jit(step)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(5, 4)).astype(np.float32), rng.integers(0, 3, size=5)
    assert jitted.source() == ""  # nothing traced yet
    for _ in range(3):
        jitted(x, y)
    text = jitted.source()
    assert text.count("def replay(args):") == 1
    names = ["zero_grad", "Linear.forward", "ReLU.forward", "prepare_targets"]
    names += ["SoftmaxCrossEntropy.backward", "ReLU.backward", "Optimizer.step"]
    assert all(f"# {name}" in text or f"{name}" in text for name in names)
    assert text.count("_accumulate(") == 4  # the four parameters' gradients
    # the text runs as the replay does: the same loss again
    assert np.isfinite(jitted(x, y).item())


def test_a_deep_chain_replays_as_eager_without_recursion() -> None:
    rng = np.random.default_rng(1)
    w = tg.Tensor(rng.uniform(0.9, 1.1, size=(3, 3)), requires_grad=True)

    def chain(x):
        w.grad = None
        h = x
        for i in range(3000):
            h = h * w if i % 2 == 0 else h.tanh()
        h.sum().backward()
        return h

    x = tg.Tensor(rng.normal(size=(3, 3)))
    eager_h = chain(x).data.copy()
    eager_g = w.grad.data.copy()
    jitted = tg.jit(chain)
    for _ in range(3):
        h = jitted(x)
    np.testing.assert_array_equal(h.data, eager_h)
    np.testing.assert_array_equal(w.grad.data, eager_g)


@pytest.mark.parametrize("clear", ["grad = None", "module.zero_grad()", "module.zero_grad(False)"])
def test_clearing_gradients_by_hand_inside_the_step_replays(clear: str) -> None:
    # assignments to .grad and Module.zero_grad are recorded: a replay clears them too
    def run(jit: bool) -> tuple[np.ndarray, np.ndarray]:
        tg.manual_seed(0)
        model = nn.Linear(3, 2)

        def step(x):
            if clear == "grad = None":
                for p in model.parameters():
                    p.grad = None
            else:
                model.zero_grad(set_to_none=clear == "module.zero_grad()")
            (model(x) ** 2).sum().backward()
            return model.weight.grad * 1

        f = tg.jit(step) if jit else step
        x = tg.Tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3))
        outs = [f(x).data.copy() for _ in range(4)]
        return np.stack(outs), model.weight.grad.data.copy()

    (eager_steps, eager_grad), (jit_steps, jit_grad) = run(False), run(True)
    np.testing.assert_array_equal(jit_steps, eager_steps)
    np.testing.assert_array_equal(jit_grad, eager_grad)
    assert np.array_equal(eager_steps[0], eager_steps[-1])  # each step starts from zero


_MASKED = {
    "leaky_relu": lambda x, t: F.leaky_relu(x, 0.1),
    "elu": lambda x, t: F.elu(x),
    "celu": lambda x, t: F.celu(x, 0.5),
    "selu": lambda x, t: F.selu(x),
    "softplus": lambda x, t: F.softplus(x, beta=2.0, threshold=1.0),
    "hardtanh": lambda x, t: F.hardtanh(x, -0.5, 0.5),
    "hardswish": lambda x, t: F.hardswish(x * 4),
    "logsigmoid": lambda x, t: F.logsigmoid(x),
    "normalize": lambda x, t: F.normalize(x * (x > 0).astype(x.dtype)),
    "maximum": lambda x, t: F.maximum(x, t),
    "minimum": lambda x, t: F.minimum(x, t),
    "where": lambda x, t: F.where(x > t, x, t * 2),
    "bce_with_logits": lambda x, t: F.binary_cross_entropy_with_logits(x, (t > 0).astype(x.dtype)),
    "bce": lambda x, t: F.binary_cross_entropy(x.sigmoid(), (t > 0).astype(x.dtype)),
    "smooth_l1": lambda x, t: F.smooth_l1_loss(x, t, reduction="none"),
    "huber": lambda x, t: F.huber_loss(x, t, reduction="none", delta=0.5),
    "kl_div": lambda x, t: F.kl_div(x, t.relu(), reduction="none"),
}


@pytest.mark.parametrize("name", sorted(_MASKED))
def test_masks_from_values_are_recomputed_at_each_replay(name: str) -> None:
    # the first two calls see the same values (a frozen mask would pass the trace check);
    # later calls flip signs: the replay must follow, as the eager function does
    fn = _MASKED[name]
    w = tg.Tensor(np.ones((4, 5)), requires_grad=True)

    def step(x, t):
        w.grad = None
        out = fn(x * w, tg.Tensor(t))
        out.sum().backward()
        return out

    rng = np.random.default_rng(3)
    batches = [rng.normal(size=(2, 4, 5)) for _ in range(4)]
    batches = [batches[0], batches[0]] + batches[1:]
    jitted = tg.jit(step)
    for x, t in batches:
        eager = step(x, t).data.copy()
        eager_grad = w.grad.data.copy()
        replayed = jitted(x, t).data
        np.testing.assert_array_equal(replayed, eager)
        np.testing.assert_array_equal(w.grad.data, eager_grad)
    assert jitted.trace_count == 1


@pytest.mark.parametrize("clip", ["norm", "value", "pool", "pool_indices"])
def test_gradient_clipping_and_pooling_replay_as_eager(clip: str) -> None:
    def run(jit: bool) -> list[np.ndarray]:
        tg.manual_seed(0)
        conv = nn.Conv2d(1, 2, 3)
        opt = optim.SGD(conv.parameters(), lr=0.5)

        def step(x):
            opt.zero_grad()
            h = conv(x)
            if clip.startswith("pool"):
                h, idx = F.max_pool2d(h, 2, return_indices=True, fused=clip == "pool")
                h = h + idx.astype(h.dtype) * 0.01
            loss = (h**2).mean()
            loss.backward()
            norm = tg.Tensor(np.zeros((), np.float32))
            if clip == "norm":
                norm = nn.utils.clip_grad_norm_(conv.parameters(), 0.1)
            elif clip == "value":
                nn.utils.clip_grad_value_(conv.parameters(), 0.01)
            opt.step()
            return loss, norm

        f = tg.jit(step) if jit else step
        rng = np.random.default_rng(5)
        xs = [rng.normal(size=(2, 1, 6, 6)).astype(np.float32) for _ in range(3)]
        out = []
        for x in [xs[0], xs[0], xs[1], xs[2], xs[1]]:
            loss, norm = f(x)
            out += [loss.data.copy(), norm.data.copy()]
        return out + [p.data.copy() for p in conv.parameters()]

    for a, b in zip(run(False), run(True)):
        np.testing.assert_array_equal(a, b)


def test_parameters_changed_in_python_inside_the_step_are_refused() -> None:
    # micrograd's habit, p.data -= lr * p.grad.data, would be skipped by a replay: an error
    w = tg.Tensor(np.ones(3, dtype=np.float32), requires_grad=True)

    def manual(x):
        w.grad = None
        loss = (tg.Tensor(x) * w).sum()
        loss.backward()
        w.data -= 0.1 * w.grad.data
        return loss

    with pytest.raises(TraceError, match="changed by the end of the step.*optimizer"):
        tg.jit(manual)(np.ones(3, dtype=np.float32))

    def rebinding(x):  # a new array in place of the old one: the same
        loss = (tg.Tensor(x) * w).sum()
        w.data = w.data * 0.5
        return loss

    with pytest.raises(TraceError, match="changed by the end of the step"):
        tg.jit(rebinding)(np.ones(3, dtype=np.float32))

    opt = optim.SGD([w], lr=0.1)

    def before_step(x):  # changed between backward and the optimizer's step
        opt.zero_grad()
        loss = (tg.Tensor(x) * w).sum()
        loss.backward()
        w.data[0] = 5.0
        opt.step()
        return loss

    with pytest.raises(TraceError, match="changed before .*step"):
        tg.jit(before_step)(np.ones(3, dtype=np.float32))


def test_a_node_without_a_gradient_at_replay_skips_cleanly() -> None:
    # a custom op whose backward gives no gradient to an input that requires one: the
    # nodes behind it get None, and the generated code must not trip over unset slots
    from tinygrad_ce.autograd import Function

    class Blocked(Function):
        name = "blocked"

        def forward(self, x):
            return x * 2

        def backward(self, g, out, x):
            return (None,)

    w = tg.Tensor(np.ones(3), requires_grad=True)
    b = tg.Tensor(np.ones(3), requires_grad=True)

    def step(x):
        w.grad = b.grad = None
        h = (tg.Tensor(x) * w).tanh()
        loss = (Blocked.apply(h) + b).sum()
        loss.backward()
        return loss

    jitted = tg.jit(step)
    for x in (np.ones(3), np.ones(3), np.arange(3.0)):
        got = jitted(x).item()
        assert got == step(x).item()
        assert w.grad is None and np.array_equal(b.grad.data, np.ones(3))


def test_binary_cross_entropy_checks_each_replays_probabilities() -> None:
    w = tg.Tensor(np.ones(3), requires_grad=True)
    step = tg.jit(lambda p, y: F.binary_cross_entropy(tg.Tensor(p) * w, y))
    y = np.array([0.0, 1.0, 1.0])
    for _ in range(3):
        step(np.array([0.2, 0.5, 0.9]), y)
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\]"):
        step(np.array([0.2, 1.5, 0.9]), y)
