"""The fused cross-entropy's fast paths (unshifted exp, one shared shift, the row max),
its gradient buffer (fresh, x's shape, the dtype kept) and a second backward."""

import numpy as np
import pytest

import tinygrad_ce.functional as F
from tinygrad_ce import Tensor, grad


def both(logits, target, **options):
    out = []
    for fused in (True, False):
        x = Tensor(logits, requires_grad=True)
        loss = F.cross_entropy(x, target, fused=fused, **options)
        (g,) = grad(loss, x, grad_outputs=np.ones(loss.shape, loss.dtype))
        out.append((loss.data, g.data))
    return out


@pytest.mark.parametrize("offset, spread", [(0.0, 1.0), (300.0, 1.0), (0.0, 30.0), (-2000.0, 1.0)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_shift_agrees_with_the_twin(rng, offset, spread, dtype):
    # offset 0: exp without a shift; 300 (float32) / -2000: one shared shift or row maxima;
    # spread 30: rows whose maxima lie far apart need their own shift in float32
    # (64 x 512 logits: big enough for the fast paths)
    logits = (rng.normal(size=(64, 512)) + offset + spread * rng.normal(size=(64, 1))).astype(dtype)
    target = rng.integers(0, 512, size=64)
    (fl, fg), (pl, pg) = both(logits, target, reduction="none")
    rtol, atol = (1e-5, 1e-8) if dtype == np.float32 else (1e-12, 1e-15)
    np.testing.assert_allclose(fl, pl, rtol=rtol, atol=10 * atol)
    np.testing.assert_allclose(fg, pg, rtol=rtol, atol=atol)
    assert fg.dtype == dtype


def test_gradient_is_a_fresh_array_of_the_logits_shape(rng):
    x = Tensor(rng.normal(size=(2, 3, 5)).astype(np.float32), requires_grad=True)
    F.cross_entropy(x, rng.integers(0, 5, size=(2, 3))).backward()
    g = x.grad.data
    assert g.shape == (2, 3, 5) and g.dtype == np.float32 and g.base is None and g.flags.writeable


@pytest.mark.parametrize("options", [{}, {"ignore_index": 1}, {"label_smoothing": 0.2}])
def test_second_backward_with_retained_graph_gives_the_same_gradient(rng, options):
    x = Tensor(rng.normal(size=(4, 5)), requires_grad=True)
    target = np.array([0, 1, 4, 2])
    loss = F.cross_entropy(x, target, **options)
    (first,) = grad(loss, x, retain_graph=True)
    (second,) = grad(loss, x, retain_graph=True)
    (third,) = grad(loss, x)
    np.testing.assert_array_equal(first.data, second.data)
    np.testing.assert_array_equal(first.data, third.data)
    assert first.data is not second.data


def test_ignored_rows_with_inf_stay_out_of_the_fast_path(rng):
    logits = rng.normal(size=(3, 4)).astype(np.float32)
    logits[1] = np.inf
    (fl, fg), (pl, pg) = both(logits, np.array([0, -1, 2]), ignore_index=-1)
    np.testing.assert_allclose(fl, pl, rtol=1e-6)
    np.testing.assert_allclose(fg, pg, rtol=1e-6, atol=1e-7)
    assert np.all(fg[1] == 0)
