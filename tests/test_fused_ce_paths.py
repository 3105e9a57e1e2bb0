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


@pytest.mark.parametrize("shape", [(3, 4), (32, 10), (256, 27)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_small_arrays_take_the_shared_shift_and_agree_with_the_twin(rng, shape, dtype):
    # every size now shares one shift (no row maxima) when the rows allow it
    logits = (4 * rng.normal(size=shape)).astype(dtype)
    target = rng.integers(0, shape[1], size=shape[0])
    (fl, fg), (pl, pg) = both(logits, target, reduction="none")
    wide = logits.astype(np.float64)
    exact = np.log(np.exp(wide).sum(axis=1)) - wide[np.arange(shape[0]), target]
    # (float32: a loss near 0.005 is log of a number near 1, good to ~eps absolute)
    rtol, atol = (5e-5, 2e-7) if dtype == np.float32 else (1e-12, 1e-15)
    np.testing.assert_allclose(fl, exact, rtol=rtol, atol=atol)
    np.testing.assert_allclose(fl, pl, rtol=2 * rtol, atol=2 * atol)
    # (p - 1 at the target: good to ~eps absolute in both)
    np.testing.assert_allclose(
        fg, pg, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6 if dtype == np.float32 else 1e-15
    )


def test_confident_rows_keep_their_small_loss_good_to_epsilon(rng):
    # logits near 25, each target 12 above the rest: no shift (all within +-39.9), loss
    # ~ 9 e^-12 = 5.5e-5; log(total / exp(x_t)) is good to ~eps absolute, as the row-max
    # path is, where log(total) - x_t would lose ~37 eps (8% of the loss)
    logits = np.full((8, 10), 25.0, dtype=np.float32)
    target = np.arange(8)
    logits[np.arange(8), target] += 12.0
    (fl, _), (pl, _) = both(logits, target, reduction="none")
    exact = np.log1p(9 * np.exp(-12.0))
    eps = np.finfo(np.float32).eps
    assert np.max(np.abs(fl - exact)) <= 2 * eps
    assert np.max(np.abs(pl - exact)) <= 2 * eps


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_losses_over_45_and_rows_far_below_the_peak_agree_with_the_twin(rng, dtype):
    logits = rng.normal(size=(6, 7)).astype(dtype)
    logits[0, 3] = -60.0  # row 0's target far below the row: a loss over 45
    logits[1] += 80.0  # row 1 far above the others: their terms under one shift vanish
    logits[2, 0] = -200.0  # a target term that underflows to 0 with the shared shift
    target = np.array([3, 1, 0, 2, 4, 6])
    (fl, fg), (pl, pg) = both(logits, target, reduction="none")
    assert np.all(np.isfinite(fl))
    np.testing.assert_allclose(fl, pl, rtol=1e-6)
    np.testing.assert_allclose(fg, pg, rtol=1e-5, atol=1e-7)


def test_shared_shift_matches_torch(rng):
    torch = pytest.importorskip("torch")
    logits = (5 * rng.normal(size=(64, 27))).astype(np.float32)
    logits[3, 5] = -70.0
    target = rng.integers(0, 27, size=64)
    target[3] = 5
    for reduction in ("none", "mean", "sum"):
        x = Tensor(logits, requires_grad=True)
        loss = F.cross_entropy(x, target, reduction=reduction)
        (g,) = grad(loss, x, grad_outputs=np.ones(loss.shape, loss.dtype))
        tx = torch.tensor(logits, requires_grad=True)
        tl = torch.nn.functional.cross_entropy(tx, torch.tensor(target), reduction=reduction)
        (tg,) = torch.autograd.grad(tl, tx, torch.ones_like(tl))
        np.testing.assert_allclose(loss.data, tl.detach().numpy(), rtol=2e-6)
        np.testing.assert_allclose(g.data, tg.numpy(), rtol=1e-5, atol=1e-8)
