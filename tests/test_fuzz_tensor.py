"""Bad input to the Tensor API, the engine and the functional losses: every error must be
raised by tinygrad_ce's own code and name the argument (never a raw numpy/Python error
from deep inside). Either a call succeeds, or it fails that way."""

import datetime
import os
import traceback

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinygrad_ce
import tinygrad_ce.functional as F
from tinygrad_ce import Tensor, grad

PACKAGE_DIR = os.path.dirname(os.path.abspath(tinygrad_ce.__file__))
ALLOWED = (TypeError, ValueError, IndexError, RuntimeError)

BAD_VALUES = [
    None,
    "0",
    "abc",
    b"x",
    "",
    [],
    [[]],
    [1, [2]],
    [[1, 2], [3]],
    ["a", "b"],
    {"a": 1},
    {1, 2},
    object(),
    1 + 2j,
    np.array([1 + 2j]),
    float("nan"),
    float("inf"),
    -1,
    0,
    10**30,
    -(10**30),
    1.5,
    True,
    False,
    (0, "1"),
    (0, 0),
    (0, 5),
    (-7,),
    np.array(["a", "b"]),
    np.array([datetime.date(2020, 1, 1)], dtype="M8[D]"),
    np.array([1, 2], dtype=object),
    np.zeros((2, 2, 2)),
    slice(None),
    Ellipsis,
    np.float64(2.5),
    np.int8(-3),
    lambda: 0,
    datetime.datetime(2020, 1, 1),
    np.dtype("U3"),
    "float32",
    np.float32,
    int,
    bytearray(b"ab"),
]


def _x():
    return Tensor(np.arange(6.0).reshape(2, 3) - 2.5, requires_grad=True)


def _loss():
    return (_x() * 2).sum()


# name -> (call with the bad value, words of which one must appear in the message)
CALLS = {
    "Tensor(data)": (lambda v: Tensor(v), ("Tensor", "data")),
    "Tensor(dtype)": (lambda v: Tensor([1.0, 2.0], dtype=v), ("dtype",)),
    "Tensor(requires_grad)": (lambda v: Tensor([1.0], requires_grad=v), ("requires_grad",)),
    "Tensor(name)": (lambda v: Tensor([1.0], name=v), ("name",)),
    "add": (lambda v: _x() + v, ("operand", "add")),
    "radd": (lambda v: v + _x(), ("operand", "add")),
    "sub": (lambda v: _x() - v, ("operand", "sub")),
    "rsub": (lambda v: v - _x(), ("operand", "sub")),
    "mul": (lambda v: _x() * v, ("operand", "mul")),
    "div": (lambda v: _x() / v, ("operand", "div")),
    "rdiv": (lambda v: v / _x(), ("operand", "div")),
    "pow": (lambda v: _x() ** v, ("operand", "pow")),
    "rpow": (lambda v: v ** _x(), ("operand", "pow")),
    "matmul": (lambda v: _x() @ v, ("operand", "matmul")),
    "rmatmul": (lambda v: v @ _x(), ("operand", "matmul")),
    "lt": (lambda v: _x() < v, ("operand",)),
    "ge": (lambda v: _x() >= v, ("operand",)),
    "sum(axis)": (lambda v: _x().sum(axis=v), ("axis",)),
    "sum(keepdims)": (lambda v: _x().sum(axis=0, keepdims=v), ("keepdims",)),
    "max(axis)": (lambda v: _x().max(axis=v), ("axis",)),
    "mean(axis)": (lambda v: _x().mean(axis=v), ("axis",)),
    "mean(keepdims)": (lambda v: _x().mean(keepdims=v), ("keepdims",)),
    "argmax(axis)": (lambda v: _x().argmax(axis=v), ("axis",)),
    "reshape": (lambda v: _x().reshape(v), ("reshape", "shape")),
    "reshape(2, v)": (lambda v: _x().reshape(2, v), ("reshape", "shape")),
    "transpose": (lambda v: _x().transpose(v), ("transpose", "axis", "axes")),
    "transpose(0, v)": (lambda v: _x().transpose(0, v), ("transpose", "axis", "axes")),
    "swapaxes": (lambda v: _x().swapaxes(0, v), ("swapaxes", "axis")),
    "astype": (lambda v: _x().astype(v), ("dtype",)),
    "broadcast_to": (lambda v: _x().broadcast_to(v), ("broadcast_to", "shape")),
    "getitem": (lambda v: _x()[v], ("getitem", "index")),
    "requires_grad_": (lambda v: Tensor([1.0]).requires_grad_(v), ("requires_grad",)),
    "grad=": (lambda v: setattr(_x(), "grad", v), ("grad",)),
    "backward(gradient)": (lambda v: _loss().backward(v), ("gradient",)),
    "grad(outputs)": (lambda v: grad(v, _x()), ("outputs",)),
    "grad(inputs)": (lambda v: grad(_loss(), v), ("inputs",)),
    "grad(grad_outputs)": (
        lambda v: (lambda x: grad((x * 2).sum(), x, grad_outputs=v))(_x()),
        ("grad_outputs", "gradient"),
    ),
    "softmax(axis)": (lambda v: F.softmax(_x(), axis=v), ("axis",)),
    "log_softmax(x)": (lambda v: F.log_softmax(v), ("Tensor", "data", "empty", "axis")),
    "cross_entropy(target)": (lambda v: F.cross_entropy(_x(), v), ("target",)),
    "cross_entropy(weight)": (lambda v: F.cross_entropy(_x(), [0, 1], weight=v), ("weight",)),
    "cross_entropy(ignore_index)": (
        lambda v: F.cross_entropy(_x(), [0, 1], ignore_index=v),
        ("ignore_index",),
    ),
    "cross_entropy(label_smoothing)": (
        lambda v: F.cross_entropy(_x(), [0, 1], label_smoothing=v),
        ("label_smoothing",),
    ),
    "cross_entropy(reduction)": (lambda v: F.cross_entropy(_x(), [0, 1], reduction=v), ("reduction",)),
    "unfused cross_entropy(target)": (lambda v: F.cross_entropy(_x(), v, fused=False), ("target",)),
    "nll_loss(target)": (lambda v: F.nll_loss(_x(), v), ("target",)),
    "mse_loss(target)": (lambda v: F.mse_loss(_x(), v), ("target",)),
    "mse_loss(reduction)": (lambda v: F.mse_loss(_x(), np.zeros((2, 3))), ("reduction",)),
    "bce_with_logits(target)": (lambda v: F.binary_cross_entropy_with_logits(_x(), v), ("target",)),
    "set_default_dtype": (lambda v: tinygrad_ce.set_default_dtype(v), ("dtype",)),
}


def _check(name, value):
    call, words = CALLS[name]
    default = tinygrad_ce.get_default_dtype()
    try:
        call(value)
    except Exception as err:  # noqa: BLE001 - the point is to inspect any error
        frames = traceback.extract_tb(err.__traceback__)
        where = frames[-1].filename if frames else "?"
        assert isinstance(err, ALLOWED), f"{name}({value!r}): {type(err).__name__}: {err}"
        assert os.path.abspath(where).startswith(PACKAGE_DIR), (
            f"{name}({value!r}) raised {type(err).__name__} from outside the package ({where}): {err}"
        )
        message = str(err)
        assert any(w in message for w in words), f"{name}({value!r}): names none of {words}: {message}"
    finally:
        tinygrad_ce.set_default_dtype(default)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", sorted(CALLS))
def test_every_bad_value_gets_a_clear_error_from_the_package(name):
    for value in BAD_VALUES:
        _check(name, value)


values = st.one_of(
    st.sampled_from(BAD_VALUES),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4),
    st.binary(max_size=4),
    st.lists(st.one_of(st.integers(-5, 5), st.floats(-3, 3), st.text(max_size=2), st.none()), max_size=4),
    st.tuples(st.integers(-4, 4), st.one_of(st.integers(-4, 4), st.none(), st.text(max_size=1))),
)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(CALLS)), value=values)
def test_random_bad_values_get_a_clear_error_from_the_package(name, value):
    _check(name, value)
