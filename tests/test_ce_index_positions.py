"""The plain class-index path of cross-entropy (targets found once per shape, gathered
at flat positions): every integer dtype and lead shape gives the same numbers, and the
range check still runs on every call."""

import numpy as np
import pytest

import tinygrad_ce.functional as F
from tinygrad_ce import Tensor


def _loss_and_grad(logits, target, **kw):
    x = Tensor(logits, requires_grad=True)
    loss = F.softmax_cross_entropy(x, target, **kw)
    (loss.sum() if kw.get("reduction") == "none" else loss).backward()
    return loss.data, x.grad.data


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.uint64, np.int16])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_every_index_dtype_agrees_with_int64(dtype, reduction):
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(2, 3, 7)).astype(np.float32)
    target = rng.integers(0, 7, size=(2, 3))
    want_loss, want_grad = _loss_and_grad(logits, target, reduction=reduction)
    got_loss, got_grad = _loss_and_grad(logits, target.astype(dtype), reduction=reduction)
    np.testing.assert_array_equal(got_loss, want_loss)
    np.testing.assert_array_equal(got_grad, want_grad)
    # the general path (weights of one) puts the target at the same positions
    ones = np.ones(7, np.float32)
    _, general_grad = _loss_and_grad(logits, target.astype(dtype), reduction=reduction, weight=ones)
    np.testing.assert_allclose(general_grad, want_grad, rtol=1e-6, atol=1e-7)


def test_range_is_checked_on_every_call_of_a_known_shape():
    logits = np.zeros((4, 3), np.float32)
    target = np.array([0, 1, 2, 1])
    _loss_and_grad(logits, target)
    target[2] = 3  # same shape and dtype as before: the cached layout must not skip the check
    with pytest.raises(IndexError, match="target value 3 is out of range for 3 classes"):
        _loss_and_grad(logits, target)
    target[2] = -1
    with pytest.raises(IndexError, match="target value -1 is out of range"):
        _loss_and_grad(logits, target)


def test_gradient_lands_on_each_rows_target():
    logits = np.zeros((3, 4), np.float32)
    _, grad = _loss_and_grad(logits, np.array([3, 0, 2], np.uint16), reduction="sum")
    want = np.full((3, 4), 0.25, np.float32)
    want[[0, 1, 2], [3, 0, 2]] -= 1
    np.testing.assert_array_equal(grad, want)
