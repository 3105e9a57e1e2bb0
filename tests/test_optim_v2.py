"""optim (v2): param groups, zero_grad(set_to_none), RMSprop, Adagrad, amsgrad, and the
schedulers ExponentialLR, LambdaLR, LinearLR, OneCycleLR, ReduceLROnPlateau — each
against torch.optim on the same parameters and gradients (float64, to 1e-12), plus
state dicts through `tinygrad_ce.save` and the argument checks."""

from __future__ import annotations

import math
import os
import warnings

import numpy as np
import pytest

import tinygrad_ce
import tinygrad_ce.nn as nn
import tinygrad_ce.optim as optim
from tinygrad_ce import Tensor

torch = pytest.importorskip("torch")
PACKAGE_DIR = os.path.dirname(os.path.abspath(tinygrad_ce.__file__)) + os.sep
STEPS = 8
SHAPES = [(3, 4), (5,)]


def starts_and_grads(seed=0, steps=STEPS):
    rng = np.random.default_rng(seed)
    starts = [rng.normal(size=s) for s in SHAPES]
    return starts, [[rng.normal(size=s) for s in SHAPES] for _ in range(steps)]


def both(name, kwargs, groups=None, dtype=np.float64):
    """The same optimizer over the same two parameters, ours and torch's (groups: one
    option dict per parameter, or None for a plain list)."""
    starts, grads = starts_and_grads()
    ours = [nn.Parameter(s.astype(dtype)) for s in starts]
    theirs = [torch.nn.Parameter(torch.tensor(s.astype(dtype))) for s in starts]
    if groups is not None:
        ours_arg = [{"params": [p], **g} for p, g in zip(ours, groups)]
        theirs_arg = [{"params": [p], **g} for p, g in zip(theirs, groups)]
    else:
        ours_arg, theirs_arg = ours, theirs
    mine = getattr(optim, name)(ours_arg, **kwargs)
    return (mine, ours), (getattr(torch.optim, name)(theirs_arg, **kwargs), theirs), grads


def set_grads(ours, theirs, grads, dtype=np.float64):
    for p, q, g in zip(ours, theirs, grads):
        p.grad = Tensor(g.astype(dtype))
        q.grad = torch.tensor(g.astype(dtype))


def assert_same(ours, theirs, rtol=1e-12, atol=1e-14):
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=rtol, atol=atol)


def raised_here(info):
    tb = info.value.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    return os.path.abspath(tb.tb_frame.f_code.co_filename).startswith(PACKAGE_DIR)


# ----------------------------------------------------------------------------- against torch.optim
CASES = [
    ("SGD", dict(lr=0.1), None),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True), None),
    ("SGD", dict(lr=0.1, momentum=0.5, dampening=0.3, weight_decay=0.01), [{"lr": 0.01}, {"momentum": 0.0}]),
    ("Adam", dict(lr=0.01), [{"betas": (0.3, 0.9)}, {"weight_decay": 0.1, "eps": 1e-6}]),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1), None),
    ("Adam", dict(lr=0.02), [{}, {"amsgrad": True}]),
    ("AdamW", dict(lr=0.01, amsgrad=True), [{"weight_decay": 0.5}, {}]),
    ("RMSprop", dict(), None),
    ("RMSprop", dict(lr=0.01, alpha=0.3, momentum=0.9, centered=True, weight_decay=0.1), None),
    ("RMSprop", dict(lr=0.01, centered=True), [{"momentum": 0.5}, {"alpha": 0.8, "centered": False}]),
    ("RMSprop", dict(lr=0.005, alpha=0.9, eps=1e-4, momentum=0.2), None),
    ("Adagrad", dict(), None),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.2, eps=1e-6), None),
    ("Adagrad", dict(lr=0.1), [{"lr_decay": 0.1}, {"lr": 0.3, "weight_decay": 0.01}]),
]


@pytest.mark.parametrize("name, kwargs, groups", CASES, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(CASES)])
def test_same_trajectory_as_torch_in_float64(name, kwargs, groups):
    (opt, ours), (ref, theirs), grads = both(name, kwargs, groups)
    for g in grads:
        set_grads(ours, theirs, g)
        opt.step()
        ref.step()
        assert_same(ours, theirs)


@pytest.mark.parametrize(
    "name, kwargs",
    [("RMSprop", dict(momentum=0.9, centered=True)), ("Adagrad", {}), ("Adam", dict(amsgrad=True))],
)
def test_new_rules_keep_float32_and_match_torch(name, kwargs):
    (opt, ours), (ref, theirs), grads = both(name, kwargs, dtype=np.float32)
    arrays = [p.data for p in ours]
    for g in grads:
        set_grads(ours, theirs, g, np.float32)
        opt.step()
        ref.step()
    assert all(p.data is a and p.dtype == np.float32 for p, a in zip(ours, arrays))
    assert all(v.dtype == np.float32 for s in opt.state for v in s.values() if isinstance(v, np.ndarray))
    assert_same(ours, theirs, rtol=1e-5, atol=1e-6)


def test_param_groups_as_pytorch():
    p, q = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(3))
    opt = optim.SGD([{"params": [p]}, {"params": q, "lr": 0.5, "momentum": 0.9}], lr=0.1, weight_decay=0.01)
    reference = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1)
    assert len(opt.param_groups) == 2 and opt.param_groups[0]["params"][0] is p
    assert set(opt.param_groups[0]) <= set(reference.param_groups[0])  # PyTorch's keys (it has a few more)
    assert opt.param_groups[1]["params"][0] is q and opt.param_groups[1]["lr"] == 0.5
    assert opt.param_groups[1]["momentum"] == 0.9 and opt.param_groups[1]["weight_decay"] == 0.01
    assert opt.defaults == dict(lr=0.1, momentum=0.0, dampening=0.0, weight_decay=0.01, nesterov=False)
    assert "2 groups" in repr(opt)
    for name in ("RMSprop", "Adagrad", "Adam", "AdamW"):
        ours = getattr(optim, name)([nn.Parameter(np.zeros(2))])
        theirs = getattr(torch.optim, name)([torch.nn.Parameter(torch.zeros(2))])
        assert set(ours.param_groups[0]) <= set(theirs.param_groups[0])
        assert {k: ours.defaults[k] for k in ours.defaults} == {k: theirs.defaults[k] for k in ours.defaults}


def test_group_lr_changed_between_steps_takes_effect_as_in_torch():
    (opt, ours), (ref, theirs), grads = both("Adam", dict(lr=0.01), [{}, {"lr": 0.02}])
    for t, g in enumerate(grads):
        if t == 3:
            for group in (opt.param_groups[1], ref.param_groups[1]):
                group["lr"] = 0.2
            opt.param_groups[0]["betas"] = ref.param_groups[0]["betas"] = (0.5, 0.9)
        set_grads(ours, theirs, g)
        opt.step()
        ref.step()
    assert_same(ours, theirs)


def test_add_param_group_later_as_in_torch():
    starts, grads = starts_and_grads()
    ours = [nn.Parameter(s.copy()) for s in starts]
    theirs = [torch.nn.Parameter(torch.tensor(s)) for s in starts]
    opt = optim.RMSprop([ours[0]], lr=0.01, momentum=0.5)
    ref = torch.optim.RMSprop([theirs[0]], lr=0.01, momentum=0.5)
    for t, g in enumerate(grads):
        if t == 3:
            opt.add_param_group({"params": [ours[1]], "alpha": 0.5})
            ref.add_param_group({"params": [theirs[1]], "alpha": 0.5})
        set_grads(ours, theirs, g)
        opt.step()
        ref.step()
    assert_same(ours, theirs)
    assert opt.param_groups[1]["momentum"] == 0.5 and len(opt.state) == 2
    with pytest.raises(ValueError, match=r"add_param_group: param_group\['params'\]\[0\] .* already in a"):
        opt.add_param_group({"params": [ours[0]]})


def test_lr_attribute_reads_and_writes_the_single_group():
    p = nn.Parameter(np.zeros(2))
    opt = optim.SGD([p], lr=1.0, momentum=0.9)
    opt.lr = 0.25
    assert opt.param_groups[0]["lr"] == 0.25 and opt.lr == 0.25 and opt.momentum == 0.9
    with pytest.raises(ValueError, match="SGD: lr must be a finite number >= 0, got nan"):
        opt.lr = math.nan
    with pytest.raises(ValueError, match="nesterov needs momentum > 0"):
        optim.SGD([p], lr=0.1).nesterov = True
    assert opt.lr == 0.25
    grouped = optim.SGD([{"params": [p]}, {"params": [nn.Parameter(np.zeros(1))], "lr": 0.5}], lr=0.1)
    assert grouped.lr == 0.1  # the first group's
    with pytest.raises(ValueError, match=r"2 param groups; set optimizer.param_groups\[i\]\['lr'\]"):
        grouped.lr = 0.3


def test_step_checks_values_set_by_hand_and_changes_nothing():
    p = nn.Parameter(np.ones(3))
    p.grad = Tensor(np.ones(3))
    opt = optim.SGD([{"params": [p]}], lr=0.1, momentum=0.9)
    for key, value, message in [
        ("lr", math.nan, r"param_groups\[0\]\['lr'\] must be a finite number >= 0"),
        ("momentum", -1, r"param_groups\[0\]\['momentum'\]"),
        ("nesterov", 1, r"param_groups\[0\]\['nesterov'\] must be True or False"),
    ]:
        old = opt.param_groups[0][key]
        opt.param_groups[0][key] = value
        with pytest.raises((TypeError, ValueError), match="SGD.step: " + message):
            opt.step()
        opt.param_groups[0][key] = old
    np.testing.assert_array_equal(p.data, np.ones(3))
    opt.param_groups[0].update(momentum=0.0, nesterov=True)
    with pytest.raises(ValueError, match=r"SGD.step: param_groups\[0\]: nesterov needs momentum > 0"):
        opt.step()
    del opt.param_groups[0]["nesterov"]
    with pytest.raises(ValueError, match=r"param_groups\[0\] has no 'nesterov'"):
        opt.step()
    opt.param_groups[0].update(nesterov=False, lr=np.float64(0.5))
    opt.step()
    assert type(opt.param_groups[0]["lr"]) is float and np.allclose(p.data, 0.5)
    opt.param_groups[0]["params"].append(nn.Parameter(np.zeros(1)))
    opt.param_groups[0]["params"][-1].grad = Tensor(np.ones(1))
    with pytest.raises(ValueError, match="that the optimizer was not given; use add_param_group"):
        opt.step()


def param():
    return nn.Parameter(np.zeros(2))


@pytest.mark.parametrize(
    "make, error, message",
    [
        (
            lambda: optim.SGD([{"params": [param()]}, param()]),
            TypeError,
            r"params\[1\] is a Parameter, not a",
        ),
        (lambda: optim.SGD([{"lr": 0.1}]), ValueError, r"params\[0\] has no 'params' key"),
        (
            lambda: optim.SGD([{"params": [param()], "learning_rate": 0.1}]),
            ValueError,
            r"params\[0\] has unknown key 'learning_rate' \(known: params, lr, momentum",
        ),
        (
            lambda: (lambda p: optim.SGD([{"params": [p]}, {"params": [p]}]))(param()),
            ValueError,
            r"params\[1\]\['params'\]\[0\] .* already in a param group",
        ),
        (
            lambda: optim.Adam([{"params": [param()], "lr": math.nan}]),
            ValueError,
            r"Adam: params\[0\]\['lr'\] must be a finite number >= 0, got nan",
        ),
        (
            lambda: optim.Adam([{"params": [param()], "betas": (0.9, 1.0)}]),
            ValueError,
            r"params\[0\]\['betas'\]\[1\] must be in \[0, 1\)",
        ),
        (
            lambda: optim.SGD([{"params": [param()], "nesterov": True}]),
            ValueError,
            "nesterov needs momentum > 0",
        ),
        (lambda: optim.SGD([{"params": [param(), 3]}]), TypeError, r"params\[0\]\['params'\]\[1\] is a int"),
        (lambda: optim.SGD([{"params": "ab"}]), TypeError, r"params\[0\]\['params'\] must be an iterable"),
        (
            lambda: optim.RMSprop([param()], alpha=1.5),
            ValueError,
            r"RMSprop: alpha must be in \[0, 1\], got 1.5",
        ),
        (lambda: optim.RMSprop([param()], centered=1), TypeError, "RMSprop: centered must be True or False"),
        (lambda: optim.RMSprop([param()], momentum=-0.1), ValueError, "RMSprop: momentum must be a finite"),
        (
            lambda: optim.Adagrad([param()], lr_decay=-1),
            ValueError,
            "Adagrad: lr_decay must be a finite number",
        ),
        (
            lambda: optim.Adagrad([param()], initial_accumulator_value=math.inf),
            ValueError,
            "Adagrad: initial_accumulator_value must be a finite number >= 0, got inf",
        ),
        (lambda: optim.Adagrad([param()], eps=True), TypeError, r"Adagrad: eps .*bools are not numbers"),
        (lambda: optim.Adam([param()], amsgrad="yes"), TypeError, "Adam: amsgrad must be True or False"),
        (
            lambda: optim.SGD([param()]).add_param_group([param()]),
            TypeError,
            "SGD.add_param_group: param_group must be a dict",
        ),
        (
            lambda: optim.SGD([param()]).zero_grad(set_to_none=0),
            TypeError,
            "set_to_none must be True or False",
        ),
        (lambda: optim.SGD([param()]).step(closure=3), TypeError, "closure must be callable or None"),
    ],
)
def test_bad_groups_and_hyperparameters_are_clear_errors(make, error, message):
    with pytest.raises(error, match=message) as info:
        make()
    assert raised_here(info)


BAD_VALUES = [None, "0.1", True, math.nan, math.inf, -1.0, [1, 2], object(), np.array([1.0, 2.0])]
CONSTRUCTORS = [
    (optim.RMSprop, dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False)),
    (optim.Adagrad, dict(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10)),
    (optim.Adam, dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False)),
]


@pytest.mark.parametrize("cls, kwargs", CONSTRUCTORS, ids=[c.__name__ for c, _ in CONSTRUCTORS])
def test_every_argument_is_checked_in_the_constructor_and_in_a_group(cls, kwargs):
    for arg in kwargs:
        for value in BAD_VALUES:
            in_group = [{"params": [param()], arg: value}]
            for params, options in (([param()], {**kwargs, arg: value}), (in_group, kwargs)):
                try:
                    cls(params, **options)
                except (TypeError, ValueError) as err:
                    assert arg in str(err), f"{cls.__name__}({arg}={value!r}): {err}"


def test_zero_grad_sets_none_by_default_or_zeros_in_place():
    p, q = nn.Parameter(np.ones(3)), nn.Parameter(np.ones(2))
    opt = optim.Adagrad([p, q])
    p.grad, q.grad = Tensor(np.ones(3)), None
    grad = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad and np.all(grad.data == 0) and q.grad is None
    p.grad = Tensor(np.broadcast_to(np.ones(1), (3,)))  # read-only: replaced by zeros
    opt.zero_grad(set_to_none=False)
    assert np.all(p.grad.data == 0) and p.grad.dtype == p.dtype
    opt.zero_grad()
    assert p.grad is None
    reference = torch.nn.Parameter(torch.ones(3))
    reference.grad = torch.ones(3)
    torch.optim.Adagrad([reference]).zero_grad()
    assert reference.grad is None  # PyTorch's default too


def test_closure_is_called_and_its_loss_returned():
    p = nn.Parameter(np.ones(2))

    def closure():
        p.grad = Tensor(np.ones(2))
        return 1.5

    assert optim.SGD([p], lr=0.5).step(closure) == 1.5
    np.testing.assert_array_equal(p.data, [0.5, 0.5])


# ----------------------------------------------------------------------------- optimizer state dicts
@pytest.mark.parametrize(
    "name, kwargs, groups",
    [
        ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True), None),
        ("Adagrad", dict(lr=0.1, lr_decay=0.01), [{}, {"lr": 0.2, "initial_accumulator_value": 0.5}]),
        ("Adam", dict(lr=0.01, amsgrad=True), [{"betas": (0.8, 0.99)}, {}]),
        ("SGD", dict(lr=0.1, momentum=0.9), [{"nesterov": True}, {"lr": 0.3}]),
    ],
)
def test_state_round_trip_through_save_continues_bit_identically(tmp_path, name, kwargs, groups):
    starts, grads = starts_and_grads()

    def make():
        params = [nn.Parameter(s.copy()) for s in starts]
        arg = params if groups is None else [{"params": [p], **g} for p, g in zip(params, groups)]
        return getattr(optim, name)(arg, **kwargs), params

    straight, straight_params = make()
    first, first_params = make()
    for t, g in enumerate(grads):
        for opt, params in ((straight, straight_params), (first, first_params)):
            if t < 4 or opt is straight:
                for p, gi in zip(params, g):
                    p.grad = Tensor(gi.copy())
                opt.step()
    tinygrad_ce.save(first.state_dict(), tmp_path / "opt.npz")
    resumed, resumed_params = make()
    for p, q in zip(resumed_params, first_params):
        p.data[...] = q.data
    for group in resumed.param_groups:
        group["lr"] = 123.0  # comes back from the state
    resumed.load_state_dict(tinygrad_ce.load(tmp_path / "opt.npz"))
    assert [g["lr"] for g in resumed.param_groups] == [g["lr"] for g in first.param_groups]
    for g in grads[4:]:
        for p, gi in zip(resumed_params, g):
            p.grad = Tensor(gi.copy())
        resumed.step()
    for p, q in zip(resumed_params, straight_params):
        np.testing.assert_array_equal(p.data, q.data)


def test_state_dict_format_with_groups_and_its_checks():
    p, q = nn.Parameter(np.zeros(3)), nn.Parameter(np.zeros(2))
    single = optim.SGD([p], lr=0.1).state_dict()
    assert set(single) == {"kind", "num_params", "lr", "momentum", "dampening", "weight_decay", "nesterov"}
    opt = optim.Adam([{"params": [p]}, {"params": [q], "lr": 0.5}])
    p.grad, q.grad = Tensor(np.ones(3)), Tensor(np.ones(2))
    opt.step()
    state = opt.state_dict()
    assert state["lr"] == 1e-3 and state["group.1.lr"] == 0.5 and list(state["group_sizes"]) == [1, 1]
    assert state["state.1.exp_avg"].shape == (2,)
    before = opt.state_dict()
    for bad, message in [
        ({**state, "group.1.lr": np.array(np.nan)}, "state_dict: group.1.lr must be a finite number"),
        ({**state, "group.1.betas": np.array([0.9, 1.5])}, r"group.1.betas\[1\] must be in \[0, 1\)"),
        ({k: v for k, v in state.items() if k != "group.1.eps"}, "missing keys: group.1.eps"),
        ({**state, "group.2.lr": 0.1}, "unexpected key 'group.2.lr'"),
        ({**state, "group_sizes": np.array([2, 0])}, r"group_sizes: the state has param groups of \(2, 0\)"),
        ({**state, "group_sizes": np.array(["a"])}, "group_sizes must be non-negative integers"),
        ({**state, "group.1.amsgrad": np.array(2)}, "group.1.amsgrad must be True or False"),
        ({**state, "state.1.max_exp_avg_sq": -np.ones(2)}, "state.1.max_exp_avg_sq holds NaN, inf or neg"),
    ]:
        with pytest.raises(ValueError, match=message):
            opt.load_state_dict(bad)
        assert opt.state_dict().keys() == before.keys() and opt.param_groups[1]["lr"] == 0.5
    with pytest.raises(ValueError, match=r"group_sizes: the state has param groups of \(2,\) param"):
        opt.load_state_dict(optim.Adam([p, q]).state_dict())
    with pytest.raises(ValueError, match=r"the state has param groups of \(1, 1\) parameters, not \(2,\)"):
        optim.Adam([p, q]).load_state_dict(state)
    for cls, key in [(optim.RMSprop, "square_avg"), (optim.Adagrad, "sum")]:
        fresh = cls([nn.Parameter(np.zeros(3))])
        good = {**fresh.state_dict(), "state.0.step": 1, f"state.0.{key}": np.ones(3)}
        fresh.load_state_dict(good)
        with pytest.raises(ValueError, match=f"state.0.{key} holds NaN, inf or negative values"):
            fresh.load_state_dict({**good, f"state.0.{key}": -np.ones(3)})
        with pytest.raises(ValueError, match=f"missing keys: state.0.{key}"):
            fresh.load_state_dict({k: v for k, v in good.items() if k != f"state.0.{key}"})


# ----------------------------------------------------------------------------- schedulers against torch
def optimizers(name="SGD", **kwargs):
    """Ours and torch's, two param groups (lr 0.1 and 0.05)."""

    def make(lib, param):
        groups = [{"params": [param(2)]}, {"params": [param(3)], "lr": 0.05}]
        return getattr(lib, name)(groups, lr=0.1, **kwargs)

    return make(optim, lambda n: nn.Parameter(np.zeros(n))), make(
        torch.optim, lambda n: torch.nn.Parameter(torch.zeros(n, dtype=torch.float64))
    )


SCHEDULES = {
    "StepLR": (lambda lib, o: lib.StepLR(o, 3, gamma=0.3), {}),
    "CosineAnnealingLR": (lambda lib, o: lib.CosineAnnealingLR(o, 7, 0.001), {}),
    "CosineAnnealingLR-0": (lambda lib, o: lib.CosineAnnealingLR(o, 5), {}),
    "ExponentialLR": (lambda lib, o: lib.ExponentialLR(o, 0.9), {}),
    "LambdaLR": (lambda lib, o: lib.LambdaLR(o, lambda e: 1 / (e + 1)), {}),
    "LambdaLR-list": (lambda lib, o: lib.LambdaLR(o, [lambda e: 0.9**e, lambda e: e // 3 + 1]), {}),
    "LinearLR": (lambda lib, o: lib.LinearLR(o), {}),
    "LinearLR-down": (lambda lib, o: lib.LinearLR(o, start_factor=0.5, end_factor=0.1, total_iters=8), {}),
    "OneCycleLR": (lambda lib, o: lib.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=20), {"momentum": 0.9}),
    "OneCycleLR-linear-3": (
        lambda lib, o: lib.OneCycleLR(o, 1.0, total_steps=25, anneal_strategy="linear", three_phase=True),
        {},
    ),
    "OneCycleLR-epochs": (
        lambda lib, o: lib.OneCycleLR(
            o,
            0.01,
            epochs=4,
            steps_per_epoch=5,
            pct_start=0.5,
            div_factor=10,
            final_div_factor=100,
            cycle_momentum=False,
        ),
        {},
    ),
}


def momentum_of(group):
    return group["betas"][0] if "betas" in group else group.get("momentum")


@pytest.mark.parametrize("kind", list(SCHEDULES))
@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_schedules_match_torch_for_every_group(kind, optimizer):
    make, extra = SCHEDULES[kind]
    ours, theirs = optimizers(optimizer, **(extra if optimizer == "SGD" else {}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's "scheduler.step() before optimizer.step()"
        schedule, reference = make(optim, ours), make(torch.optim.lr_scheduler, theirs)
        # torch's last OneCycleLR step (step total_steps) extrapolates the last phase: a linear one goes
        # below zero there, which we refuse (test_scheduler_limits_...)
        steps = 21 if "OneCycle" not in kind else schedule.total_steps + (kind != "OneCycleLR-linear-3")
        for step in range(steps):
            if step:
                schedule.step()
                reference.step()
            lrs = schedule.get_last_lr()
            np.testing.assert_allclose(lrs, reference.get_last_lr(), rtol=1e-12, atol=1e-15)
            assert [g["lr"] for g in ours.param_groups] == schedule.get_last_lr()
            for mine, torchs in zip(ours.param_groups, theirs.param_groups):
                assert momentum_of(mine) == pytest.approx(momentum_of(torchs), rel=1e-12)


def test_one_cycle_trains_the_same_parameters_as_torch():
    sgd = dict(lr=0.1, momentum=0.9, nesterov=True)
    (opt, ours), (ref, theirs), grads = both("SGD", sgd, [{}, {"lr": 0.2}])
    settings = dict(max_lr=[0.5, 0.25], total_steps=STEPS, base_momentum=0.8)
    schedule = optim.OneCycleLR(opt, **settings)
    reference = torch.optim.lr_scheduler.OneCycleLR(ref, **settings)
    for g in grads:
        set_grads(ours, theirs, g)
        opt.step()
        ref.step()
        schedule.step()
        reference.step()
    assert_same(ours, theirs)


PLATEAUS = [
    (dict(patience=2, factor=0.5), list(np.r_[np.linspace(1, 0.5, 5), np.full(15, 0.5)])),
    (
        dict(mode="max", patience=1, threshold=0.01, threshold_mode="abs", cooldown=2, min_lr=[0.01, 0.02]),
        list(np.random.default_rng(0).normal(size=20)),
    ),
    (dict(patience=0, eps=1e-3, min_lr=0.004), [1.0, math.nan, 0.5, math.nan] * 5),
    (dict(mode="max", threshold=0.1, patience=3, factor=0.0), list(np.random.default_rng(1).normal(size=20))),
]


@pytest.mark.parametrize("kwargs, metrics", PLATEAUS)
def test_reduce_lr_on_plateau_matches_torch(kwargs, metrics):
    ours, theirs = optimizers()
    schedule = optim.ReduceLROnPlateau(ours, **kwargs)
    reference = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs, **kwargs)
    assert schedule.get_last_lr() == reference.get_last_lr() == [0.1, 0.05]
    for i, metric in enumerate(metrics):
        schedule.step(Tensor(np.array(metric)) if i % 3 == 0 else metric)
        reference.step(metric)
        assert schedule.get_last_lr() == reference.get_last_lr()
        assert (schedule.best, schedule.num_bad_epochs, schedule.cooldown_counter) == (
            reference.best,
            reference.num_bad_epochs,
            reference.cooldown_counter,
        )


# ----------------------------------------------------------------------------- scheduler state and checks
@pytest.mark.parametrize("kind", [k for k in SCHEDULES if k != "OneCycleLR-linear-3"])
def test_scheduler_state_round_trip_continues_identically(tmp_path, kind):
    make, extra = SCHEDULES[kind]
    ours, _ = optimizers(**extra)
    schedule = make(optim, ours)
    for _ in range(4):
        schedule.step()
    tinygrad_ce.save(schedule.state_dict(), tmp_path / "sched.npz")
    expected = []
    for _ in range(6):
        schedule.step()
        expected.append(schedule.get_last_lr())
    other, _ = optimizers(**extra)
    resumed = make(optim, other)
    resumed.load_state_dict(tinygrad_ce.load(tmp_path / "sched.npz"))
    assert resumed.last_epoch == 4
    seen = []
    for _ in range(6):
        resumed.step()
        seen.append(resumed.get_last_lr())
    assert seen == expected


def test_plateau_state_round_trip_and_checks(tmp_path):
    ours, _ = optimizers()
    schedule = optim.ReduceLROnPlateau(ours, patience=1)
    for metric in (1.0, 2.0, 3.0, 0.5):
        schedule.step(metric)
    tinygrad_ce.save(schedule.state_dict(), tmp_path / "plateau.npz")
    resumed = optim.ReduceLROnPlateau(optimizers()[0], patience=1)
    resumed.load_state_dict(tinygrad_ce.load(tmp_path / "plateau.npz"))
    expected = {"last_epoch": 4, "best": 0.5, "num_bad_epochs": 0, "cooldown_counter": 0}
    assert resumed.state_dict() == schedule.state_dict() == expected
    resumed.load_state_dict({**resumed.state_dict(), "best": math.inf})
    for bad, message in [
        ({"last_epoch": 1}, "missing keys: best, num_bad_epochs, cooldown_counter"),
        ({**expected, "best": math.nan}, r"best must be a number \(inf allowed\)"),
        ({**expected, "num_bad_epochs": -1}, "num_bad_epochs must be a non-negative"),
    ]:
        with pytest.raises(ValueError, match=message):
            resumed.load_state_dict(bad)
    with pytest.raises(TypeError, match="ReduceLROnPlateau.step: metrics must be a number"):
        resumed.step("0.5")
    with pytest.raises(TypeError, match="metrics must be a number"):
        resumed.step(Tensor(np.ones(2)))
    with pytest.raises(NotImplementedError, match="depends on the metrics"):
        resumed.lr_at(3)


def test_scheduler_state_dict_format_and_v1_states():
    ours, _ = optimizers()
    schedule = optim.ExponentialLR(ours, 0.5)
    schedule.step()
    assert schedule.state_dict() == {"last_epoch": 1, "base_lrs": [0.1, 0.05]}
    with pytest.raises(ValueError, match="base_lr is for one param group, the optimizer has 2"):
        schedule.load_state_dict({"last_epoch": 1, "base_lr": 0.1})
    with pytest.raises(ValueError, match="base_lrs has 1 values for 2 param groups"):
        schedule.load_state_dict({"last_epoch": 1, "base_lrs": np.array([0.1])})
    with pytest.raises(ValueError, match=r"base_lrs\[1\] must be a finite number >= 0, got nan"):
        schedule.load_state_dict({"last_epoch": 1, "base_lrs": [0.1, math.nan]})
    with pytest.raises(ValueError, match="base_lrs must be a list of lrs"):
        schedule.load_state_dict({"last_epoch": 1, "base_lrs": np.array(0.1)})
    assert schedule.get_last_lr() == [0.05, 0.025] and schedule.last_epoch == 1
    single = optim.StepLR(optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0), 1, gamma=0.5)
    single.load_state_dict({"last_epoch": np.array(2), "base_lr": np.array(0.8)})  # as v1 saved it
    assert single.get_last_lr() == [0.2] and single.optimizer.lr == 0.2 and single.base_lrs == [0.8]


def test_linear_lr_and_one_cycle_set_the_lr_when_made_as_torch():
    ours, theirs = optimizers()
    optim.LinearLR(ours, start_factor=0.5)
    torch.optim.lr_scheduler.LinearLR(theirs, start_factor=0.5)
    assert [g["lr"] for g in ours.param_groups] == [g["lr"] for g in theirs.param_groups] == [0.05, 0.025]
    adagrad = optim.Adagrad([nn.Parameter(np.zeros(1))], lr=1.0)
    schedule = optim.OneCycleLR(adagrad, 0.5, total_steps=10, cycle_momentum=False)
    reference = torch.optim.Adagrad([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    torch.optim.lr_scheduler.OneCycleLR(reference, 0.5, total_steps=10, cycle_momentum=False)
    assert adagrad.lr == reference.param_groups[0]["lr"] == pytest.approx(0.02)
    assert schedule.base_lrs == [0.02]


def one_cycle(optimizer, **kwargs):
    return optim.OneCycleLR(optimizer, **{"max_lr": 0.1, "total_steps": 5, **kwargs})


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda o: optim.ExponentialLR(o, gamma=-0.5), ValueError, "ExponentialLR: gamma must be a finite"),
        (
            lambda o: optim.ExponentialLR(None, 0.5),
            TypeError,
            "ExponentialLR: optimizer must be a tinygrad_ce",
        ),
        (lambda o: optim.LinearLR(o, start_factor=0.0), ValueError, r"start_factor must be in \(0, 1\]"),
        (
            lambda o: optim.LinearLR(o, end_factor=1.5),
            ValueError,
            r"LinearLR: end_factor must be in \[0, 1\]",
        ),
        (lambda o: optim.LinearLR(o, total_iters=0), ValueError, "LinearLR: total_iters must be a positive"),
        (lambda o: optim.LambdaLR(o, 0.5), TypeError, "LambdaLR: lr_lambda must be a function of the epoch"),
        (lambda o: optim.LambdaLR(o, [abs]), ValueError, "LambdaLR: lr_lambda has 1 functions for 2 param"),
        (lambda o: optim.LambdaLR(o, [abs, 2]), TypeError, r"LambdaLR: lr_lambda\[1\] must be a function"),
        (
            lambda o: optim.LambdaLR(o, lambda e: "x"),
            TypeError,
            "LambdaLR: lr_lambda returned str 'x' at epoch",
        ),
        (
            lambda o: optim.LambdaLR(o, lambda e: math.nan),
            ValueError,
            "LambdaLR: the lr at epoch 0 is not fin",
        ),
        (lambda o: optim.LambdaLR(o, lambda e: -1), ValueError, "LambdaLR: the lr at epoch 0 is negative"),
        (
            lambda o: optim.OneCycleLR(o, 0.1),
            ValueError,
            "OneCycleLR: give total_steps, or epochs and steps_",
        ),
        (
            lambda o: one_cycle(o, total_steps=None, epochs=2, steps_per_epoch=0),
            ValueError,
            "OneCycleLR: steps_per_epoch must be a positive integer",
        ),
        (lambda o: one_cycle(o, max_lr=[0.1]), ValueError, "OneCycleLR: max_lr has 1 values for 2"),
        (
            lambda o: one_cycle(o, anneal_strategy="exp"),
            ValueError,
            "anneal_strategy must be one of cos, linear",
        ),
        (lambda o: one_cycle(o, pct_start=1.5), ValueError, r"pct_start must be in \[0, 1\]"),
        (lambda o: one_cycle(o, div_factor=0), ValueError, "div_factor must be a finite"),
        (lambda o: one_cycle(o, total_steps=10, pct_start=0.1), ValueError, "step 0 falls in a phase of no"),
        (
            lambda o: one_cycle(optim.Adagrad([param()])),
            ValueError,
            "cycle_momentum=True needs an optimizer with momentum or betas; Adagrad has neither",
        ),
        (
            lambda o: one_cycle(optim.Adam([param()]), max_momentum=1.0),
            ValueError,
            r"OneCycleLR: max_momentum must be in \[0, 1\)",
        ),
        (lambda o: optim.ReduceLROnPlateau(o, mode="low"), ValueError, "mode must be one of min, max"),
        (lambda o: optim.ReduceLROnPlateau(o, factor=1.0), ValueError, r"factor must be in \[0, 1\)"),
        (lambda o: optim.ReduceLROnPlateau(o, patience=-1), ValueError, "patience must be a non-negative"),
        (lambda o: optim.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError, "min_lr has 1 values for 2 param"),
        (
            lambda o: optim.ReduceLROnPlateau(o, threshold_mode="r"),
            ValueError,
            "threshold_mode must be one of",
        ),
        (lambda o: optim.ReduceLROnPlateau(o, cooldown=1.5), TypeError, "cooldown must be a non-negative"),
    ],
)
def test_scheduler_arguments_are_clear_errors(make, error, message):
    ours, _ = optimizers()
    lrs = [g["lr"] for g in ours.param_groups]
    with pytest.raises(error, match=message) as info:
        make(ours)
    assert raised_here(info) and [g["lr"] for g in ours.param_groups] == lrs


def test_scheduler_limits_and_group_changes_are_clear_errors():
    ours, _ = optimizers()
    schedule = optim.OneCycleLR(ours, 0.1, total_steps=3)
    for _ in range(3):
        schedule.step()
    with pytest.raises(ValueError, match="OneCycleLR: tried to step 4 times; total_steps is 3"):
        schedule.step()
    assert schedule.last_epoch == 3
    linear = optim.OneCycleLR(
        optimizers()[0], 1.0, total_steps=25, anneal_strategy="linear", three_phase=True
    )
    for _ in range(24):
        linear.step()
    lrs = linear.get_last_lr()
    with pytest.raises(ValueError, match=r"OneCycleLR: the lr at epoch 25 is negative \(-0.0036"):
        linear.step()  # torch sets this negative lr
    assert linear.get_last_lr() == lrs and linear.last_epoch == 24
    exponential = optim.ExponentialLR(ours, 0.5)
    plateau = optim.ReduceLROnPlateau(ours, patience=0)
    ours.add_param_group({"params": [nn.Parameter(np.zeros(1))]})
    with pytest.raises(ValueError, match="the optimizer has 3 param groups; the scheduler was made for 2"):
        exponential.step()
    with pytest.raises(ValueError, match=r"lr_at: group 5 is out of range \(2 param groups\)"):
        exponential.lr_at(1, group=5)
    assert exponential.lr_at(2, group=1) == exponential.base_lrs[1] * 0.25
    for metric in (1.0, 2.0, 3.0):
        plateau.step(metric)  # min_lr was one number: it covers the new group too
    assert len(plateau.get_last_lr()) == 3


# ----------------------------------------------------------------------------- with the rest of the package
def test_checkpoint_and_fit_with_param_groups_and_a_scheduler(tmp_path):
    from tinygrad_ce import functional as F
    from tinygrad_ce.training import fit, load_checkpoint, save_checkpoint

    def setup():
        model = nn.MLP([2, 4, 2], rng=0)
        first, *rest = list(model.parameters())
        opt = optim.SGD([{"params": [first], "lr": 0.05}, {"params": rest}], lr=0.1, momentum=0.9)
        return model, opt, optim.ExponentialLR(opt, 0.5)

    X, y = np.random.default_rng(0).normal(size=(16, 2)).astype(np.float32), np.arange(16) % 2
    model, opt, schedule = setup()
    history = fit(model, F.cross_entropy, opt, [(X, y)], 2, progress=False, scheduler=schedule)
    assert history.lr == [0.05, 0.025]  # optimizer.lr: the first group's
    save_checkpoint(tmp_path / "ckpt.npz", model, opt, epoch=2, scheduler=schedule)
    other, other_opt, other_schedule = setup()
    load_checkpoint(tmp_path / "ckpt.npz", other, other_opt, other_schedule)
    assert [g["lr"] for g in other_opt.param_groups] == [0.0125, 0.025] == schedule.get_last_lr()
    assert other_schedule.last_epoch == 2
    for key, value in opt.state_dict().items():
        np.testing.assert_array_equal(other_opt.state_dict()[key], value)


def test_a_deep_copy_steps_its_own_parameters():
    import copy

    p = nn.Parameter(np.ones(2))
    opt = optim.Adam([p], lr=0.1)
    p.grad = Tensor(np.ones(2))
    opt.step()
    twin = copy.deepcopy(opt)
    twin.params[0].grad = Tensor(np.ones(2))
    twin.step()
    opt.step()
    np.testing.assert_array_equal(twin.params[0].data, p.data)
    assert twin.param_groups[0]["params"][0] is twin.params[0] is not p
