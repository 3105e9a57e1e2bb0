"""Every op's backward is written once and runs two ways: on ndarrays (the fast path) and
on Tensors (`create_graph=True`, the recorded path). For every op class the package
defines, this checks that the two give the same first-order gradients and that the
recorded one is right to second order (gradcheck of the gradient)."""

import numpy as np
import pytest

import tinygrad_ce
from tinygrad_ce import Tensor, grad, gradcheck, ops
from tinygrad_ce.autograd import Function
from tinygrad_ce.functional.targets import prepare_targets

R = np.random.default_rng(7)


def _t(*shape, low=-1.0, high=1.0):
    return Tensor(R.uniform(low, high, size=shape), requires_grad=True)


SOFT, WEIGHT = R.dirichlet(np.ones(5), size=4), R.uniform(0.5, 1.5, 5)


def _ce(x, soft=False):
    target = SOFT if soft else np.array([0, 3, 1, 4])
    targets = prepare_targets(x.shape, x.dtype, target, WEIGHT, None, 0.1, "mean")
    return ops.SoftmaxCrossEntropy.apply(x, targets=targets, reduction="mean")


def _ce_ignored(x):
    targets = prepare_targets(x.shape, x.dtype, np.array([0, -1, 1, 4]), None, -1, 0.0, "sum")
    return ops.SoftmaxCrossEntropy.apply(x, targets=targets, reduction="sum")


COND = R.uniform(size=(2, 3)) > 0.5
BN_MEAN, BN_VAR = R.uniform(size=3), R.uniform(1, 2, 3)  # batch_norm eval: constant statistics

# op class -> cases: (function of the inputs, input Tensors); shapes broadcast where the op does
CASES = {
    ops.Add: [(lambda a, b: a + b, lambda: [_t(3, 1), _t(1, 4)])],
    ops.Sub: [(lambda a, b: a - b, lambda: [_t(3, 1), _t(4)])],
    ops.Mul: [(lambda a, b: a * b, lambda: [_t(2, 3), _t(3)])],
    ops.Div: [(lambda a, b: a / b, lambda: [_t(2, 3), _t(1, 3, low=0.5, high=2.0)])],
    ops.Pow: [(lambda a: a**2.5, lambda: [_t(2, 3, low=0.5, high=2.0)]), (lambda a: a**3, lambda: [_t(4)])],
    ops.PowTensor: [(lambda a, b: a**b, lambda: [_t(3, 1, low=0.5, high=2.0), _t(1, 2)])],
    ops.MatMul: [
        (lambda a, b: a @ b, lambda: [_t(2, 3, 4), _t(4, 5)]),
        (lambda a, b: a @ b, lambda: [_t(4), _t(4, 5)]),
        (lambda a, b: a @ b, lambda: [_t(2, 4), _t(4)]),
    ],
    ops.Linear: [
        (lambda x, w, b: ops.Linear.apply(x, w, b), lambda: [_t(5, 3), _t(4, 3), _t(4)]),
        (lambda x, w: ops.Linear.apply(x, w), lambda: [_t(2, 5, 3), _t(4, 3)]),
    ],
    ops.Neg: [(lambda a: -a, lambda: [_t(2, 3)])],
    ops.Exp: [(lambda a: a.exp(), lambda: [_t(2, 3)])],
    ops.Log: [(lambda a: a.log(), lambda: [_t(2, 3, low=0.5, high=2.0)])],
    ops.ReLU: [(lambda a: a.relu(), lambda: [Tensor(np.array([-1.5, -0.5, 0.5, 2.0]), requires_grad=True)])],
    ops.Sigmoid: [(lambda a: a.sigmoid(), lambda: [_t(2, 3)])],
    ops.Tanh: [(lambda a: a.tanh(), lambda: [_t(2, 3)])],
    ops.Sum: [
        (lambda a: a.sum(axis=1), lambda: [_t(2, 3, 4)]),
        (lambda a: a.sum(axis=(0, 2), keepdims=True), lambda: [_t(2, 3, 4)]),
    ],
    ops.Max: [(lambda a: a.max(axis=0), lambda: [_t(3, 4)]), (lambda a: a.max(), lambda: [_t(5)])],
    ops.Reshape: [(lambda a: a.reshape(3, 2), lambda: [_t(2, 3)])],
    ops.Transpose: [(lambda a: a.transpose(2, 0, 1), lambda: [_t(2, 3, 4)])],
    ops.Cast: [(lambda a: a.astype(np.float32), lambda: [_t(2, 3)])],
    ops.BroadcastTo: [(lambda a: a.broadcast_to((2, 3, 4)), lambda: [_t(3, 1)])],
    ops.GetItem: [(lambda a: a[1:, ::2], lambda: [_t(3, 4)]), (lambda a: a[[0, 2, 0]], lambda: [_t(3, 2)])],
    ops.ScatterAdd: [
        (lambda g: ops.ScatterAdd.apply(g, shape=(3, 2), index=np.array([0, 2, 0])), lambda: [_t(3, 2)])
    ],
    ops.Where: [(lambda a, b: tinygrad_ce.functional.where(COND, a, b), lambda: [_t(2, 3), _t(1, 3)])],
    ops.Sin: [(lambda a: a.sin(), lambda: [_t(2, 3)])],
    ops.Cos: [(lambda a: a.cos(), lambda: [_t(2, 3)])],
    ops.Expm1: [(lambda a: a.expm1(), lambda: [_t(2, 3)])],
    ops.Log1p: [(lambda a: a.log1p(), lambda: [_t(2, 3, low=-0.5, high=2.0)])],
    ops.Arcsin: [(lambda a: a.arcsin(), lambda: [_t(2, 3, low=-0.8, high=0.8)])],
    ops.Arccos: [(lambda a: a.arccos(), lambda: [_t(2, 3, low=-0.8, high=0.8)])],
    ops.Arctan: [(lambda a: a.arctan(), lambda: [_t(2, 3, low=-3, high=3)])],
    ops.Erf: [(lambda a: a.erf(), lambda: [_t(2, 3, low=-2.5, high=2.5)])],
    ops.Cumsum: [(lambda a: a.cumsum(axis=1), lambda: [_t(2, 4)])],
    ops.Cat: [(lambda a, b: ops.Cat.apply(a, b, axis=1), lambda: [_t(2, 3), _t(2, 2)])],
    ops.Pad: [(lambda a: a.pad((1, 2, 0, 1)), lambda: [_t(2, 3)])],
    ops.Einsum: [
        (lambda a, b: ops.Einsum.apply(a, b, subscripts="ij,jk->ik"), lambda: [_t(2, 3), _t(3, 4)]),
        (lambda a, b: ops.Einsum.apply(a, b, subscripts="bij,k->bk"), lambda: [_t(2, 3, 4), _t(5)]),
    ],
    ops.LayerNorm: [
        (lambda x, w, b: ops.LayerNorm.apply(x, w, b, k=1, eps=1e-5), lambda: [_t(3, 4), _t(4), _t(4)]),
        (lambda x: ops.LayerNorm.apply(x, k=2, eps=1e-5), lambda: [_t(2, 3, 4)]),
    ],
    ops.BatchNorm: [
        (lambda x, w, b: ops.BatchNorm.apply(x, w, b, eps=1e-5), lambda: [_t(4, 3, 2), _t(3), _t(3)]),
        (
            lambda x, w: ops.BatchNorm.apply(x, w, eps=1e-5, mean=BN_MEAN, var=BN_VAR),
            lambda: [_t(4, 3), _t(3)],
        ),
    ],
    ops.ScaledDotProductAttention: [
        (
            lambda q, k, v: ops.ScaledDotProductAttention.apply(q, k, v, scale=0.7),
            lambda: [_t(2, 3, 4), _t(2, 5, 4), _t(2, 5, 3)],
        ),
        (
            lambda q, k, v: ops.ScaledDotProductAttention.apply(  # causal bias, dropout mask, broadcast batch
                q,
                k,
                v,
                scale=0.5,
                bias=np.where(np.tri(3, 5, dtype=bool), 0.0, -np.inf),
                keep=np.array([2.0, 0.0, 2.0, 2.0, 0.0]),
            ),
            lambda: [_t(3, 4), _t(2, 5, 4), _t(5, 2)],
        ),
    ],
    ops.Im2col: [
        (
            lambda a: ops.Im2col.apply(a, kernel=(2, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
            lambda: [_t(1, 2, 4, 5)],
        )
    ],
    ops.Col2im: [
        (
            lambda c: ops.Col2im.apply(c, shape=(1, 2, 4, 5), geometry=((2, 2), (2, 1), (1, 0), (1, 2))),
            lambda: [_t(1, 2, 2, 2, 3, 3)],
        )
    ],
    ops.Conv2d: [
        (
            lambda x, w, b: ops.Conv2d.apply(
                x, w, b, stride=(2, 1), padding=(1, 1), dilation=(1, 1), groups=2
            ),
            lambda: [_t(2, 4, 5, 4), _t(4, 2, 3, 2), _t(4)],
        ),
        (
            lambda x, w: ops.Conv2d.apply(x, w, stride=(1, 1), padding=(0, 1), dilation=(2, 1), groups=1),
            lambda: [_t(1, 2, 5, 4), _t(3, 2, 2, 2)],
        ),
    ],
    ops.LogSumExp: [
        (lambda a: a.logsumexp(axis=1), lambda: [_t(3, 4, low=-3, high=3)]),
        (lambda a: a.logsumexp(axis=(0, 2), keepdims=True), lambda: [_t(2, 3, 4, low=-3, high=3)]),
        (lambda a: a.logsumexp(), lambda: [_t(5, low=-3, high=3)]),
    ],
    ops.MaxPool2d: [
        (
            lambda x: ops.MaxPool2d.apply(x, kernel=(3, 2), stride=(2, 1), padding=(1, 1), dilation=(1, 2)),
            lambda: [_t(2, 2, 5, 6)],
        ),
        (
            lambda x: ops.MaxPool2d.apply(x, kernel=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1)),
            lambda: [_t(1, 2, 5, 4)],
        ),
        (  # ceil_mode's extra bottom/right padding
            lambda x: ops.MaxPool2d.apply(
                x, kernel=(3, 2), stride=(2, 2), padding=(1, 0), dilation=(1, 1), extra=(1, 1)
            ),
            lambda: [_t(1, 2, 6, 5)],
        ),
    ],
    ops.SoftmaxCrossEntropy: [
        (_ce, lambda: [_t(4, 5, low=-3, high=3)]),
        (lambda x: _ce(x, soft=True), lambda: [_t(4, 5, low=-3, high=3)]),
        (_ce_ignored, lambda: [_t(4, 5, low=-3, high=3)]),
    ],
}


def _all_op_classes():
    found, stack = set(), [Function]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("tinygrad_ce."):
                found.add(sub)
    return found


def test_every_op_class_has_a_case():
    missing = sorted(cls.__name__ for cls in _all_op_classes() - set(CASES))
    assert not missing, f"op classes without a dual-path case in CASES: {missing}"


def _squared(fn):
    """fn's output squared and weighted: every op then has a non-zero second derivative."""

    def out(*xs):
        y = fn(*xs)
        w = Tensor(np.linspace(0.5, 1.5, y.size).reshape(y.shape).astype(y.dtype))
        return (y * y * w).sum()

    return out


CASE_LIST = [
    (cls.__name__, i, fn, make) for cls, cases in CASES.items() for i, (fn, make) in enumerate(cases)
]


@pytest.mark.parametrize("name, i, fn, make", CASE_LIST, ids=[f"{c[0]}-{c[1]}" for c in CASE_LIST])
def test_fast_and_recorded_backward_agree(name, i, fn, make):
    xs = make()
    f = _squared(fn)
    fast = grad(f(*xs), xs)
    recorded = grad(f(*xs), xs, create_graph=True)
    for a, b in zip(fast, recorded):
        assert a.shape == b.shape and a.dtype == b.dtype
        rtol = 1e-6 if a.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(a.data, b.data, rtol=rtol, atol=1e-14)


@pytest.mark.parametrize("name, i, fn, make", CASE_LIST, ids=[f"{c[0]}-{c[1]}" for c in CASE_LIST])
def test_recorded_backward_is_right_to_second_order(name, i, fn, make):
    xs = make()
    f = _squared(fn)
    weights = [np.linspace(-1, 1, x.size).reshape(x.shape) for x in xs]

    def first_order(*args):
        gs = grad(f(*args), list(args), create_graph=True)
        return sum((g * Tensor(w)).sum() for g, w in zip(gs, weights))

    low_precision = name == "Cast"  # float32 inside: finite differences need a larger step
    eps, atol = (1e-3, 1e-3) if low_precision else (1e-6, 1e-5)
    assert gradcheck(first_order, xs, eps=eps, atol=atol)
