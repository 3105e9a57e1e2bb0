"""Creation and joining (`tg.zeros`, `tg.cat`, ...): dtypes, seeds, PyTorch's numbers."""

import numpy as np
import pytest

import tinygrad_ce as tg
from tinygrad_ce import Tensor, gradcheck

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")


def test_float_creation_takes_the_default_dtype_and_full_of_int_is_integer():
    for t in (
        tg.zeros(2, 3),
        tg.ones((2,)),
        tg.empty(1),
        tg.eye(3),
        tg.linspace(0, 1, 5),
        tg.rand(2),
        tg.randn(2),
        tg.arange(0.0, 1.0, 0.5),
        tg.Tensor.zeros(2),
        tg.Tensor.randn(3),
    ):
        assert t.dtype == np.float32
    assert tg.full((2, 2), 3).dtype == np.int64 and tg.full((2,), 1.5).dtype == np.float32
    assert tg.full(2, True).dtype == np.bool_ and tg.arange(5).dtype == np.int64
    assert tg.zeros(2, dtype=np.float64).dtype == np.float64
    assert tg.linspace(0, 1, steps=3).tolist() == [0.0, 0.5, 1.0]


def test_manual_seed_makes_every_draw_repeatable():
    tg.manual_seed(7)
    a = (tg.rand(3).tolist(), tg.randn(2).tolist(), tg.randint(0, 10, (4,)).tolist())
    tg.manual_seed(7)
    assert (tg.rand(3).tolist(), tg.randn(2).tolist(), tg.randint(0, 10, (4,)).tolist()) == a
    assert tg.rand(2, rng=1).tolist() == tg.rand(2, rng=1).tolist()


def test_like_functions_keep_shape_and_dtype():
    t = Tensor(np.ones((2, 3), np.float64))
    assert tg.zeros_like(t).shape == (2, 3) and tg.ones_like(t).dtype == np.float64
    assert tg.full_like(t, 7).tolist() == [[7.0] * 3] * 2


@pytest.mark.parametrize(
    "make",
    [
        lambda a, b: tg.cat([a, b], dim=1),
        lambda a, b: tg.concatenate([a, b], axis=0),
        lambda a, b: tg.stack([a, b], dim=2),
        lambda a, b: tg.maximum(a, b),
        lambda a, b: tg.minimum(a, b),
        lambda a, b: tg.where(np.array([[True, False, True], [False, False, True]]), a, b),
        lambda a, b: tg.einsum("ij,kj->ik", a, b),
        lambda a, b: tg.einsum("ij,ij", a, b),
        lambda a, b: tg.split(tg.cat([a, b], 1), [2, 4], dim=1)[1],
        lambda a, b: tg.chunk(a, 2, dim=1)[1] * b[:, :1],
    ],
)
def test_joining_is_differentiable(make):
    rng = np.random.default_rng(0)
    a, b = (Tensor(rng.normal(size=(2, 3)), requires_grad=True) for _ in range(2))
    assert gradcheck(make, [a, b])


@needs_torch
def test_joining_matches_pytorch_including_ties():
    a_np, b_np = np.array([[1.0, 2.0, 3.0]]), np.array([[1.0, 0.0, 5.0]])
    for ours, theirs in [(tg.maximum, torch.maximum), (tg.minimum, torch.minimum)]:
        a, b = Tensor(a_np, requires_grad=True), Tensor(b_np, requires_grad=True)
        ta, tb = torch.tensor(a_np, requires_grad=True), torch.tensor(b_np, requires_grad=True)
        ours(a, b).sum().backward()
        theirs(ta, tb).sum().backward()
        np.testing.assert_array_equal(a.grad.data, ta.grad.numpy())
        np.testing.assert_array_equal(b.grad.data, tb.grad.numpy())
    x, tx = np.arange(10.0), torch.arange(10.0, dtype=torch.float64)
    assert [t.tolist() for t in tg.split(Tensor(x), 4)] == [t.tolist() for t in torch.split(tx, 4)]
    assert [t.tolist() for t in tg.chunk(Tensor(x), 3)] == [t.tolist() for t in torch.chunk(tx, 3)]
    assert [t.tolist() for t in tg.array_split(Tensor(x), 3)] == [a.tolist() for a in np.array_split(x, 3)]


def test_cat_promotes_dtypes_and_names_bad_input():
    assert tg.cat([Tensor(np.ones(2, np.float32)), Tensor(np.ones(2, np.float64))]).dtype == np.float64
    with pytest.raises(TypeError, match="cat: tensors must be a non-empty list"):
        tg.cat(Tensor([1.0]))
    with pytest.raises(ValueError, match="cat"):
        tg.cat([Tensor(np.ones((2, 2))), Tensor(np.ones((3, 3)))], dim=1)
