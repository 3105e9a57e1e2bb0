"""Fuzz the public API of nn, optim, data and gradcheck with wrong arguments.

Each target is a call with valid arguments; hypothesis replaces one argument with a
wrong one (None, str, bytes, list, dict, bool, complex, NaN, inf, negative, huge,
object()). Either the call succeeds, or the error (1) is a TypeError / ValueError /
IndexError / RuntimeError or a tinygrad_ce exception, (2) was raised by tinygrad_ce's
own code (the traceback's last frame is inside the package) and (3) names the argument.
Then explicit regression tests for what an outside fuzzer found.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinygrad_ce
import tinygrad_ce.data as data
import tinygrad_ce.nn as nn
import tinygrad_ce.optim as optim
from tinygrad_ce import GradcheckError, Tensor, gradcheck

EXAMPLES = int(os.environ.get("TINYGRAD_CE_FUZZ_EXAMPLES", "12"))  # per argument; raise it for a long run
PACKAGE_DIR = os.path.dirname(os.path.abspath(tinygrad_ce.__file__)) + os.sep
ALLOWED = (TypeError, ValueError, IndexError, RuntimeError)

# ----------------------------------------------------------------------------- wrong values
FIXED_BAD = [
    None,
    "",
    "abc",
    "relu ",
    b"x",
    [],
    [1, 2],
    [[1], [2, 3]],
    {},
    {"a": 1},
    (),
    (1,),
    True,
    False,
    1j,
    math.nan,
    math.inf,
    -math.inf,
    -1,
    -1.5,
    0,
    0.0,
    0.5,
    2,
    10**30,
    -(10**30),
    2**63,
    2**64,
    1e308,
    object(),
    np.float64("nan"),
    np.int64(-3),
    np.bool_(True),
    np.array([1.0, 2.0]),
    np.array(3),
    Tensor([1.0, 2.0]),
    print,
    float,
]
# ints stay small or absurdly huge (numpy refuses at once): nothing in between that would allocate gigabytes
BAD = st.one_of(
    st.sampled_from(FIXED_BAD),
    st.integers(min_value=-(10**6), max_value=64),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4),
    st.lists(st.integers(-3, 3), max_size=3),
)


# ----------------------------------------------------------------------------- targets
def param(shape: tuple[int, ...] = (3,)) -> nn.Parameter:
    return nn.Parameter(np.zeros(shape))


def adam_state() -> dict[str, Any]:
    p = param()
    opt = optim.Adam([p], lr=0.01)
    p.grad = Tensor(np.ones(3))
    opt.step()
    return opt.state_dict()


def sgd_state() -> dict[str, Any]:
    p = param()
    opt = optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True)
    p.grad = Tensor(np.ones(3))
    opt.step()
    return opt.state_dict()


def load_optimizer(cls: type, state: dict[str, Any]) -> None:
    optimizer = cls([param()]) if cls is optim.Adam else cls([param()], lr=1.0)
    optimizer.load_state_dict(state)


def scheduler(kind: str) -> optim.LRScheduler:
    opt = optim.SGD([param()], lr=0.1)
    return optim.StepLR(opt, 2) if kind == "step" else optim.CosineAnnealingLR(opt, 4)


def consume(result: Any) -> Any:
    """Iterate generators and loaders, so that lazily raised errors count too."""
    if isinstance(result, data.DataLoader) or hasattr(result, "__next__"):
        return list(result)
    return result


def linear_state() -> dict[str, Any]:
    return nn.Linear(2, 3, rng=0).state_dict()


X4, Y4 = np.ones((4, 2), np.float32), np.arange(4)
X10, Y10 = np.arange(20.0).reshape(10, 2), np.arange(10)


@dataclass
class Target:
    """`call(**kwargs)` with `kwargs()` valid; `varargs` names an argument given as *args
    (a list in kwargs); `results` are exceptions that answer the call rather than refuse
    an argument (a failed gradcheck, a directory without MNIST files)."""

    name: str
    call: Callable[..., Any]
    kwargs: Callable[[], dict[str, Any]]
    varargs: str | None = None
    results: tuple[type[BaseException], ...] = field(default_factory=tuple)
    calls: tuple[str, ...] = ()  # arguments that are called: what a callable given there raises is its own


def _module_method(method: str) -> Callable[..., Any]:
    return lambda **kw: consume(getattr(nn.Sequential(nn.Linear(2, 3, rng=0), nn.ReLU()), method)(**kw))


TARGETS = [
    # nn
    Target("manual_seed", nn.manual_seed, lambda: dict(seed=0)),
    Target("as_generator", nn.as_generator, lambda: dict(rng=0)),
    Target(
        "Parameter", nn.Parameter, lambda: dict(data=[1.0, 2.0], requires_grad=True, dtype=None, name=None)
    ),
    Target("Linear", nn.Linear, lambda: dict(in_features=2, out_features=3, bias=True, rng=0, dtype=None)),
    Target("Linear.forward", lambda x: nn.Linear(2, 3, rng=0)(x), lambda: dict(x=np.ones((1, 2)))),
    Target("Dropout", nn.Dropout, lambda: dict(p=0.5, rng=0)),
    Target("Dropout.forward", lambda x: nn.Dropout(0.5, rng=0)(x), lambda: dict(x=np.ones((2, 2)))),
    Target(
        "Sequential",
        lambda layers: nn.Sequential(*layers),
        lambda: dict(layers=[nn.ReLU(), nn.Tanh()]),
        varargs="layers",
    ),
    Target(
        "Sequential.__getitem__",
        lambda index: nn.Sequential(nn.ReLU(), nn.Tanh())[index],
        lambda: dict(index=0),
    ),
    Target(
        "Sequential.append",
        lambda layer: nn.Sequential(nn.ReLU()).append(layer),
        lambda: dict(layer=nn.Tanh()),
    ),
    Target(
        "MLP",
        nn.MLP,
        lambda: dict(sizes=[2, 4, 3], activation="relu", bias=True, dropout=0.1, rng=0, dtype=None),
    ),
    Target("named_modules", _module_method("named_modules"), lambda: dict(prefix="", remove_duplicate=True)),
    Target(
        "named_parameters",
        _module_method("named_parameters"),
        lambda: dict(prefix="", recurse=True, remove_duplicate=True),
    ),
    Target("parameters", _module_method("parameters"), lambda: dict(recurse=True)),
    Target("num_parameters", _module_method("num_parameters"), lambda: dict(trainable_only=False)),
    Target("train", _module_method("train"), lambda: dict(mode=True)),
    Target(
        "register_parameter",
        lambda **kw: nn.Module().register_parameter(**kw),
        lambda: dict(name="p", param=param()),
    ),
    Target("add_module", lambda **kw: nn.Module().add_module(**kw), lambda: dict(name="m", module=nn.ReLU())),
    Target(
        "load_state_dict",
        lambda **kw: nn.Linear(2, 3, rng=1).load_state_dict(**kw),
        lambda: dict(state_dict=linear_state(), strict=True),
    ),
    Target("load_state_dict values", lambda **kw: nn.Linear(2, 3, rng=1).load_state_dict(kw), linear_state),
    # optim
    Target(
        "SGD",
        optim.SGD,
        lambda: dict(params=[param()], lr=0.1, momentum=0.9, weight_decay=0.0, nesterov=False, dampening=0.0),
    ),
    Target(
        "Adam",
        optim.Adam,
        lambda: dict(params=[param()], lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0),
    ),
    Target(
        "AdamW",
        optim.AdamW,
        lambda: dict(params=[param()], lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01),
    ),
    Target("Adam.load_state_dict values", lambda **kw: load_optimizer(optim.Adam, kw), adam_state),
    Target("SGD.load_state_dict values", lambda **kw: load_optimizer(optim.SGD, kw), sgd_state),
    Target(
        "Optimizer.load_state_dict",
        lambda state_dict: optim.SGD([param()], lr=0.1).load_state_dict(state_dict),
        lambda: dict(state_dict=optim.SGD([param()], lr=0.1).state_dict()),
    ),
    Target(
        "StepLR", optim.StepLR, lambda: dict(optimizer=optim.SGD([param()], lr=0.1), step_size=2, gamma=0.5)
    ),
    Target(
        "CosineAnnealingLR",
        optim.CosineAnnealingLR,
        lambda: dict(optimizer=optim.SGD([param()], lr=0.1), T_max=4, eta_min=0.0),
    ),
    Target("StepLR.lr_at", lambda epoch: scheduler("step").lr_at(epoch), lambda: dict(epoch=3)),
    Target("CosineAnnealingLR.lr_at", lambda epoch: scheduler("cos").lr_at(epoch), lambda: dict(epoch=3)),
    Target(
        "LRScheduler.load_state_dict values",
        lambda **kw: scheduler("step").load_state_dict(kw),
        lambda: dict(last_epoch=3, base_lr=0.1),
    ),
    # data
    Target(
        "TensorDataset",
        lambda arrays: data.TensorDataset(*arrays),
        lambda: dict(arrays=[X4, Y4]),
        varargs="arrays",
    ),
    Target(
        "TensorDataset.__getitem__", lambda index: data.TensorDataset(X4, Y4)[index], lambda: dict(index=1)
    ),
    Target(
        "DataLoader",
        lambda **kw: consume(data.DataLoader(**kw)),
        lambda: dict(dataset=(X4, Y4), batch_size=3, shuffle=True, seed=0, drop_last=False),
    ),
    Target("train_val_split", data.train_val_split, lambda: dict(X=X10, y=Y10, fraction=0.2, seed=0)),
    Target("spiral", data.spiral, lambda: dict(n_per_class=5, classes=3, noise=0.2, seed=0)),
    Target("moons", data.moons, lambda: dict(n=10, noise=0.1, seed=0)),
    Target("blobs", data.blobs, lambda: dict(n=12, centers=3, std=1.0, seed=0, dim=2)),
    Target(
        "load_mnist",
        data.load_mnist,
        lambda: dict(directory="/nonexistent-tinygrad-ce"),
        results=(FileNotFoundError,),
    ),  # the right answer for a path without the MNIST files
    # gradcheck
    Target(
        "gradcheck",
        gradcheck,
        lambda: dict(
            fn=lambda x: (x * x).sum(),
            inputs=[Tensor([1.0, 2.0], requires_grad=True)],
            eps=1e-6,
            atol=1e-5,
            rtol=1e-3,
        ),
        results=(GradcheckError,),
        calls=("fn",),
    ),
]
CASES = [(t, arg) for t in TARGETS for arg in t.kwargs()]


def invoke(target: Target, kwargs: dict[str, Any]) -> Any:
    if target.varargs is not None:
        return target.call(list(kwargs[target.varargs]))
    return consume(target.call(**kwargs))


def last_frame_file(exc: BaseException) -> str:
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    return os.path.abspath(tb.tb_frame.f_code.co_filename)


def names(arg: str, message: str) -> bool:
    """Whether `message` names the argument `arg` as a word (`params[0]` names params)."""
    return re.search(rf"(?<![\w.]){re.escape(arg)}(?!\w)", message) is not None


def check_outcome(target: Target, arg: str, value: Any, kwargs: dict[str, Any]) -> None:
    try:
        invoke(target, kwargs)
    except target.results:
        return
    except Exception as exc:  # noqa: BLE001 - the point is to look at any exception
        where = f"{target.name}({arg}={value!r}): {type(exc).__name__}: {exc}"
        own_class = type(exc).__module__.startswith("tinygrad_ce")
        assert isinstance(exc, ALLOWED) or own_class, f"wrong exception type, {where}"
        assert last_frame_file(exc).startswith(PACKAGE_DIR), f"raised in {last_frame_file(exc)}, {where}"
        assert names(arg, str(exc)), f"the message does not name {arg!r}, {where}"


@pytest.mark.parametrize("target, arg", CASES, ids=[f"{t.name}-{a}" for t, a in CASES])
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=BAD)
def test_wrong_argument_is_a_clear_error_or_works(target, arg, value):
    kwargs = target.kwargs()
    if arg in target.calls and callable(value):
        return
    if target.varargs is not None:  # replace one of the positional arguments
        kwargs[arg] = [value, *kwargs[arg][1:]]
    else:
        kwargs[arg] = value
    check_outcome(target, arg, value, kwargs)


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_the_valid_calls_work(target):
    if target.name == "load_mnist":
        pytest.skip("needs the MNIST files")
    invoke(target, target.kwargs())


@settings(max_examples=4 * EXAMPLES, deadline=None)
@given(st.data())
def test_two_wrong_arguments_at_once(draw):
    target = draw.draw(st.sampled_from([t for t in TARGETS if t.varargs is None and len(t.kwargs()) >= 2]))
    kwargs = target.kwargs()
    chosen = draw.draw(st.lists(st.sampled_from(sorted(kwargs)), min_size=2, max_size=2, unique=True))
    for name in chosen:
        kwargs[name] = draw.draw(BAD)
        if name in target.calls and callable(kwargs[name]):
            return
    try:
        invoke(target, kwargs)
    except target.results:
        pass
    except Exception as exc:  # noqa: BLE001
        where = f"{target.name}({chosen}): {type(exc).__name__}: {exc}"
        own_class = type(exc).__module__.startswith("tinygrad_ce")
        assert isinstance(exc, ALLOWED) or own_class, where
        assert last_frame_file(exc).startswith(PACKAGE_DIR), where
        assert any(names(name, str(exc)) for name in chosen), where


# ----------------------------------------------------------------------------- regressions
def raises(exc_type: type[BaseException], match: str, fn: Callable[[], Any]) -> BaseException:
    with pytest.raises(exc_type, match=match) as info:
        fn()
    assert last_frame_file(info.value).startswith(PACKAGE_DIR)
    return info.value


def test_found_by_the_fuzzer():
    x = Tensor([1.0, 2.0], requires_grad=True)
    raises(
        ValueError,
        r"gradcheck: eps must be a finite number > 0, got 0",
        lambda: gradcheck(lambda t: t.sum(), [x], eps=0),
    )
    raises(TypeError, r"Adam: betas must be a pair .*got float 0.9", lambda: optim.Adam([param()], betas=0.9))
    raises(
        TypeError, r"SGD: params must be an iterable of Tensors.*got None", lambda: optim.SGD(None, lr=0.1)
    )
    raises(TypeError, r"DataLoader: dataset must be .*got None", lambda: data.DataLoader(None))


def test_bools_strings_and_nan_are_not_hyperparameters():
    raises(
        TypeError,
        r"SGD: lr must be a finite number >= 0, got bool True \(bools are not numbers",
        lambda: optim.SGD([param()], lr=True),
    )
    raises(TypeError, r"SGD: lr .*got str '0.1'", lambda: optim.SGD([param()], lr="0.1"))
    raises(
        ValueError,
        r"SGD: weight_decay must be a finite number >= 0, got -1",
        lambda: optim.SGD([param()], 0.1, weight_decay=-1),
    )
    raises(ValueError, r"Adam: eps .*got inf", lambda: optim.Adam([param()], eps=math.inf))
    raises(
        TypeError,
        r"SGD: nesterov must be True or False, got int 1",
        lambda: optim.SGD([param()], 0.1, 0.9, nesterov=1),
    )
    raises(
        ValueError,
        r"StepLR: step_size must be a positive integer, got 0",
        lambda: optim.StepLR(optim.SGD([param()], 0.1), 0),
    )
    raises(
        ValueError,
        r"CosineAnnealingLR: eta_min .*got nan",
        lambda: optim.CosineAnnealingLR(optim.SGD([param()], 0.1), 3, eta_min=math.nan),
    )


def test_params_must_be_tensors_that_require_grad():
    raises(ValueError, r"params is an empty parameter list", lambda: optim.Adam([]))
    raises(TypeError, r"params\[1\] is a float, not a Tensor", lambda: optim.SGD([param(), 1.0], lr=0.1))
    raises(ValueError, r"params\[0\] .*requires_grad is False", lambda: optim.SGD([Tensor([1.0])], lr=0.1))
    raises(ValueError, r"params\[0\] .*computed by an op", lambda: optim.SGD([param() * 2], lr=0.1))
    raises(
        TypeError, r"params must be an iterable of Tensors", lambda: optim.SGD(param(), lr=0.1)
    )  # not [param]


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("lr", np.array(np.nan), "lr must be a finite number >= 0, got nan"),
        ("lr", np.array(np.inf), "lr must be a finite number >= 0, got inf"),
        ("lr", np.array("0.1"), r"state_dict: lr must be .*got str '0.1'"),
        ("betas", np.array([0.9, 1.5]), r"betas\[1\] must be in \[0, 1\)"),
        ("betas", np.array(0.9), r"betas must be a pair"),
        ("eps", -1.0, "eps must be"),
        ("state.0.step", np.array(-2), "state.0.step must be a non-negative integer"),
        ("state.0.exp_avg", np.full(3, np.nan), "state.0.exp_avg holds NaN"),
        ("state.0.exp_avg_sq", -np.ones(3), "state.0.exp_avg_sq holds NaN, inf or negative values"),
        ("state.0.exp_avg", np.array(["a", "b", "c"]), "state.0.exp_avg must be a numeric array"),
        ("num_params", "two", "num_params must be a non-negative integer"),
    ],
)
def test_optimizer_load_state_dict_refuses_bad_values_and_changes_nothing(key, value, message):
    p = param()
    opt = optim.Adam([p], lr=0.01)
    before = opt.state_dict()
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict({**adam_state(), key: value})
    assert opt.lr == 0.01 and opt.state_dict().keys() == before.keys()


def test_sgd_nesterov_rule_is_checked_on_load_too():
    state = {**sgd_state(), "momentum": np.array(0.0)}
    opt = optim.SGD([param()], lr=0.5)
    with pytest.raises(ValueError, match="nesterov needs momentum > 0"):
        opt.load_state_dict(state)
    assert opt.lr == 0.5 and opt.momentum == 0.0


def test_scheduler_checks_and_overflow():
    sched = scheduler("step")
    with pytest.raises(ValueError, match="last_epoch must be a non-negative integer"):
        sched.load_state_dict({"last_epoch": -1, "base_lr": 0.1})
    with pytest.raises(ValueError, match="base_lr must be a finite number >= 0, got nan"):
        sched.load_state_dict({"last_epoch": 1, "base_lr": math.nan})
    with pytest.raises(ValueError, match="missing keys: base_lr"):
        sched.load_state_dict({"last_epoch": 1})
    assert sched.last_epoch == 0 and sched.optimizer.lr == 0.1
    growing = optim.StepLR(optim.SGD([param()], lr=0.1), 1, gamma=10.0)
    with pytest.raises(ValueError, match="StepLR: the lr at epoch 400 is not finite|overflows"):
        for _ in range(400):
            growing.step()
    assert math.isfinite(growing.optimizer.lr)
    with pytest.raises(TypeError, match="StepLR: optimizer must be a tinygrad_ce Optimizer"):
        optim.StepLR(None, 2)


def test_layer_arguments():
    raises(
        TypeError, r"Linear: in_features must be a positive integer, got float 0.5", lambda: nn.Linear(0.5, 3)
    )
    raises(TypeError, r"Linear: out_features .*got bool True", lambda: nn.Linear(2, True))
    raises(
        ValueError,
        r"Linear: in_features=\d+ x out_features=3 is too large to allocate",
        lambda: nn.Linear(2**62, 3),
    )
    raises(TypeError, r"Linear: dtype must be a float dtype", lambda: nn.Linear(2, 3, dtype=np.int32))
    raises(TypeError, r"Linear: bias must be True or False", lambda: nn.Linear(2, 3, bias="yes"))
    raises(ValueError, r"Linear: rng must be a seed \(an int >= 0\), got -1", lambda: nn.Linear(2, 3, rng=-1))
    raises(ValueError, r"Dropout: p must be in \[0, 1\], got 2", lambda: nn.Dropout(p=2))
    raises(TypeError, r"Dropout: p must be in \[0, 1\], got str '0.5'", lambda: nn.Dropout(p="0.5"))
    raises(
        ValueError, r"MLP: dropout must be in \[0, 1\], got nan", lambda: nn.MLP([2, 3, 2], dropout=math.nan)
    )
    raises(
        TypeError, r"MLP: sizes\[1\] must be a positive integer, got float 4.0", lambda: nn.MLP([2, 4.0, 3])
    )
    raises(ValueError, r"MLP: sizes\[0\] must be a positive integer, got -2", lambda: nn.MLP([-2, 3]))
    raises(TypeError, r"MLP: sizes must be a list", lambda: nn.MLP(None))
    raises(TypeError, r"MLP: activation must be one of 'relu'", lambda: nn.MLP([2, 3], activation=None))
    raises(
        TypeError,
        r"Linear: input x must be a Tensor or numeric array, got str 'ab'",
        lambda: nn.Linear(2, 3)("ab"),
    )
    raises(TypeError, r"Linear: input x .*complex", lambda: nn.Linear(2, 3)(np.ones((1, 2), complex)))
    raises(
        TypeError,
        r"Sequential: index must be an int or a slice, got str 'a'",
        lambda: nn.Sequential(nn.ReLU())["a"],
    )
    raises(
        ValueError,
        r"add_module: name must be a non-empty string without '.'",
        lambda: nn.Module().add_module("a.b", nn.ReLU()),
    )
    raises(TypeError, r"train: mode must be True or False, got str 'eval'", lambda: nn.ReLU().train("eval"))
    raises(TypeError, r"Parameter: data must be a float array.*'abc'", lambda: nn.Parameter("abc"))
    raises(
        TypeError, r"load_state_dict: state_dict must be a mapping", lambda: nn.ReLU().load_state_dict([1])
    )


def test_data_arguments():
    raises(
        ValueError,
        r"spiral: noise must be a finite number >= 0, got nan",
        lambda: data.spiral(noise=math.nan),
    )
    raises(ValueError, r"spiral: n_per_class must be a positive integer, got -3", lambda: data.spiral(-3))
    raises(TypeError, r"spiral: seed must be a seed .*got float 1.5", lambda: data.spiral(seed=1.5))
    raises(ValueError, r"spiral: n_per_class=\d+ x classes=3 is too large", lambda: data.spiral(2**62))
    with np.errstate(over="ignore", invalid="ignore"):  # noise so large the points overflow: refused, not NaN
        raises(
            ValueError,
            r"spiral: the points are not finite in float32 \(noise=1e\+308 too large\)",
            lambda: data.spiral(noise=1e308),
        )
        raises(ValueError, r"blobs: the points are not finite", lambda: data.blobs(centers=[[1e300, 0.0]]))
    raises(
        TypeError,
        r"moons: n must be a positive integer|moons: n must be an integer >= 2",
        lambda: data.moons(n=1e3),
    )
    raises(
        ValueError,
        r"blobs: centers must be a count or a finite array",
        lambda: data.blobs(centers=[[np.nan, 0]]),
    )
    raises(TypeError, r"blobs: centers must be a count", lambda: data.blobs(centers="3"))
    raises(ValueError, r"blobs: std must be a finite number >= 0, got -1", lambda: data.blobs(std=-1))
    raises(
        TypeError,
        r"DataLoader: batch_size must be a positive integer, got float 2.0",
        lambda: data.DataLoader((X4, Y4), 2.0),
    )
    raises(
        TypeError,
        r"DataLoader: shuffle must be True or False",
        lambda: data.DataLoader((X4, Y4), shuffle="yes"),
    )
    raises(ValueError, r"DataLoader: seed must be a seed", lambda: data.DataLoader((X4, Y4), seed=-5))
    raises(TypeError, r"DataLoader: dataset\[0\] must be a tuple", lambda: list(data.DataLoader([1, 2, 3])))
    raises(
        ValueError,
        r"DataLoader: dataset, a pair \(X, y\): .*arrays\[0\]",
        lambda: data.DataLoader((None, Y4)),
    )
    raises(
        ValueError,
        r"train_val_split: fraction must be in \(0, 1\), got nan",
        lambda: data.train_val_split(X10, Y10, math.nan),
    )
    raises(
        IndexError,
        r"TensorDataset: index 'a' does not fit 4 samples",
        lambda: data.TensorDataset(X4, Y4)["a"],
    )
    raises(TypeError, r"load_mnist: directory must be a path", lambda: data.load_mnist(None))


def test_gradcheck_arguments():
    x = Tensor([1.0, 2.0], requires_grad=True)
    raises(TypeError, r"gradcheck: fn must be a callable", lambda: gradcheck(None, [x]))
    raises(TypeError, r"gradcheck: inputs must be a list or tuple", lambda: gradcheck(lambda t: t.sum(), x))
    raises(
        ValueError,
        r"gradcheck: atol must be a finite number >= 0, got -1",
        lambda: gradcheck(lambda t: t.sum(), [x], atol=-1),
    )
    raises(TypeError, r"gradcheck: rtol .*got None", lambda: gradcheck(lambda t: t.sum(), [x], rtol=None))
    raises(
        ValueError, r"none of the inputs requires grad", lambda: gradcheck(lambda t: t.sum(), [Tensor([1.0])])
    )
