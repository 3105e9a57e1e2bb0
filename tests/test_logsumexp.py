"""The fused `logsumexp` (one node, backward g * softmax(x)) against its composed twin
(`fused=False`) and torch.logsumexp: values and gradients over axes, keepdims, logit gaps
(0, 1000) and all -inf slices, in float32 and float64; gradcheck of both."""

import numpy as np
import pytest
import torch

from tinygrad_ce import Tensor, grad, gradcheck

R = np.random.default_rng(3)
AXES = [None, 0, 1, -1, (0, 2), (1, 2), (0, 1, 2)]
TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-14)}
# torch's gradient is exp(x - lse) with lse rounded to the dtype: at gap 1000 in float32 its
# ulp (6e-5) becomes a relative error of the gradient; ours takes the max out first
TORCH_TOL = {np.float32: dict(rtol=1e-4, atol=1e-6), np.float64: dict(rtol=1e-11, atol=1e-14)}


def _logits(gap: float, dtype) -> np.ndarray:
    """(2, 3, 4) logits whose entries span exactly `gap`; gap=inf: row [0, 1] all -inf."""
    x = R.uniform(size=(2, 3, 4))
    if np.isinf(gap):
        x[0, 1] = -np.inf
    elif gap:
        x = (x - x.min()) / (x.max() - x.min()) * gap
    else:
        x = np.zeros_like(x)
    return x.astype(dtype)


def _run(x: np.ndarray, axis, keepdims: bool, fused: bool, seed: np.ndarray | None = None):
    t = Tensor(x, requires_grad=True)
    out = t.logsumexp(axis=axis, keepdims=keepdims, fused=fused)
    g = np.ones(out.shape, x.dtype) if seed is None else seed.astype(x.dtype)
    (dx,) = grad(out, t, grad_outputs=g)
    return out, dx


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the composed twin's log(0) at -inf slices
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("gap", [0.0, 1000.0, np.inf])
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_fused_agrees_with_composed_and_torch(dtype, gap, axis, keepdims):
    x = _logits(gap, dtype)
    seed = R.standard_normal(Tensor(x).logsumexp(axis=axis, keepdims=keepdims).shape)
    fused, dfused = _run(x, axis, keepdims, True, seed)
    composed, dcomposed = _run(x, axis, keepdims, False, seed)
    assert fused.grad_fn is not None and fused.grad_fn.name == "logsumexp"
    assert fused.shape == composed.shape and fused.dtype == composed.dtype == dtype
    assert dfused.dtype == dtype
    np.testing.assert_allclose(fused.data, composed.data, **TOL[dtype])
    np.testing.assert_allclose(dfused.data, dcomposed.data, **TOL[dtype])  # nan where both are nan

    tx = torch.tensor(x, requires_grad=True)
    dims = tuple(range(x.ndim)) if axis is None else axis
    ty = torch.logsumexp(tx, dim=dims, keepdim=keepdims)
    ty.backward(torch.tensor(seed.astype(dtype)))
    np.testing.assert_allclose(fused.data, ty.detach().numpy(), **TORCH_TOL[dtype])
    np.testing.assert_allclose(dfused.data, tx.grad.numpy(), **TORCH_TOL[dtype])


@pytest.mark.parametrize("gap", [0.0, 1000.0])
def test_large_gap_is_finite(gap):
    x = _logits(gap, np.float32)
    out, dx = _run(x, -1, False, True)
    assert np.isfinite(out.data).all() and np.isfinite(dx.data).all()
    np.testing.assert_allclose(dx.data.sum(axis=-1), 1.0, rtol=1e-5)  # softmax rows sum to 1


def test_all_minus_inf_slice_is_minus_inf():
    x = _logits(np.inf, np.float64)
    out = Tensor(x).logsumexp(axis=-1)
    assert out.data[0, 1] == -np.inf and np.isfinite(np.delete(out.data.ravel(), 1)).all()


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("axis, keepdims", [(None, False), (1, False), ((0, 2), True)])
def test_gradcheck_first_and_second_order(fused, axis, keepdims):
    x = Tensor(R.uniform(-3, 3, size=(2, 3, 4)), requires_grad=True)
    w = np.linspace(0.5, 1.5, Tensor(x.data).logsumexp(axis=axis, keepdims=keepdims).size)

    def f(t):
        out = t.logsumexp(axis=axis, keepdims=keepdims, fused=fused)
        return (out * out * Tensor(w.reshape(out.shape))).sum()

    assert gradcheck(f, [x])

    def first_order(t):
        (g,) = grad(f(t), t, create_graph=True)
        return (g * Tensor(np.linspace(-1, 1, t.size).reshape(t.shape))).sum()

    assert gradcheck(first_order, [x], atol=1e-5)


def test_fused_is_one_node_and_takes_dim_keepdim():
    x = Tensor(R.uniform(size=(3, 4)), requires_grad=True)
    out = x.logsumexp(dim=1, keepdim=True)
    assert out.shape == (3, 1) and out.grad_fn.name == "logsumexp" and out.grad_fn.fused
    assert x.logsumexp(1, fused=False).grad_fn.name != "logsumexp"
    with pytest.raises(TypeError, match="fused"):
        x.logsumexp(1, fused=1)
    with pytest.raises(ValueError, match="logsumexp: the tensor of shape"):
        Tensor(np.zeros((0, 3))).logsumexp()
