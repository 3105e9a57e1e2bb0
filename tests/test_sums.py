"""autograd.sums: row and leading-axis sums as BLAS products with ones agree with numpy's
sums (values, shapes, dtypes) for every layout and dtype, and fall back where BLAS can't."""

import numpy as np
import pytest

from tinygrad_ce import Tensor
from tinygrad_ce.autograd.sums import leading_sum, ones_vector, row_sums


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int64, np.bool_])
@pytest.mark.parametrize("shape", [(5, 3), (1, 7), (4096, 10), (0, 4), (3, 0)])
def test_row_sums_agree_with_numpy(rng, dtype, shape):
    e = (rng.normal(size=shape) * 4).astype(dtype)
    got, want = row_sums(e), np.add.reduce(e, axis=-1, keepdims=True)
    assert got.shape == want.shape and got.dtype == want.dtype
    _close_to_exact(got, e.astype(np.float64), -1, keepdims=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
@pytest.mark.parametrize(
    "shape, lead", [((32, 64), 1), ((2, 3, 4), 2), ((2, 3, 4), 1), ((6,), 1), ((0, 5), 1), ((3, 4), 0)]
)
def test_leading_sum_agrees_with_numpy(rng, dtype, shape, lead):
    g = (rng.normal(size=shape) * 3).astype(dtype)
    got = leading_sum(g, lead)
    want = np.add.reduce(g, axis=tuple(range(lead))) if lead else g
    assert got.shape == want.shape and got.dtype == want.dtype
    _close_to_exact(got, g.astype(np.float64), tuple(range(lead)))


def _close_to_exact(got, wide, axis, keepdims=False):
    # within a few roundings of the exact sum, relative to the sum of magnitudes
    exact = wide.sum(axis=axis, keepdims=keepdims)
    scale = np.abs(wide).sum(axis=axis, keepdims=keepdims)
    eps = np.finfo(got.dtype).eps if got.dtype.kind == "f" else 0.0
    assert np.all(np.abs(got.astype(np.float64) - exact) <= 4 * eps * scale + 1e-300)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # (inf - inf, in both)
def test_non_contiguous_and_special_values(rng):
    g = rng.normal(size=(8, 6)).astype(np.float32).T  # (6, 8), F-ordered: numpy's path
    np.testing.assert_allclose(leading_sum(g, 1), g.sum(axis=0), rtol=1e-6)
    h = np.array([[1.0, np.inf], [2.0, -np.inf], [np.nan, 1.0]], dtype=np.float32)
    np.testing.assert_array_equal(leading_sum(h, 1), h.sum(axis=0))
    np.testing.assert_array_equal(row_sums(h)[:, 0], h.sum(axis=1))


def test_tensors_sum_in_the_graph_and_ones_are_shared_read_only():
    t = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    s = leading_sum(t, 1)
    assert isinstance(s, Tensor) and s.grad_fn is not None
    np.testing.assert_array_equal(s.data, [3.0, 5.0, 7.0])
    ones = ones_vector(3, np.dtype(np.float32))
    assert ones is ones_vector(3, np.dtype(np.float32)) and not ones.flags.writeable
