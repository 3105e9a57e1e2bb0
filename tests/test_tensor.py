"""Tensor construction, dtype policy, attributes and conversions."""

import numpy as np
import pytest

import tinygrad_ce as tg
from tinygrad_ce import Tensor


def test_python_numbers_and_lists_become_float32():
    assert Tensor(1.5).dtype == np.float32
    assert Tensor([[1.0, 2.0]]).dtype == np.float32
    assert Tensor([[1.0, 2.0]]).shape == (1, 2)


def test_float_ndarrays_keep_their_dtype_and_memory():
    a64 = np.arange(3.0)
    t = Tensor(a64)
    assert t.dtype == np.float64
    assert np.shares_memory(t.data, a64)
    assert Tensor(np.zeros(2, np.float16)).dtype == np.float16
    assert Tensor(np.float64(1.5)).dtype == np.float64


def test_integers_stay_integer_and_cannot_require_grad():
    assert Tensor([1, 2]).dtype.kind == "i"
    assert Tensor(np.array([True])).dtype == np.bool_
    with pytest.raises(TypeError, match="int64"):
        Tensor([1, 2], requires_grad=True)


def test_explicit_dtype_and_tensor_input():
    t = Tensor([1, 2], dtype=np.float64, requires_grad=True)
    assert t.dtype == np.float64 and t.requires_grad
    u = Tensor(t)
    assert not u.requires_grad and np.shares_memory(u.data, t.data)


def test_set_default_dtype_roundtrip():
    try:
        tg.set_default_dtype(np.float64)
        assert Tensor(0.5).dtype == np.float64
        assert Tensor([1.0]).dtype == np.float64
    finally:
        tg.set_default_dtype(np.float32)
    assert Tensor(0.5).dtype == np.float32
    with pytest.raises(TypeError):
        tg.set_default_dtype(np.int32)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_python_numbers_never_change_dtype(dtype):
    t = Tensor(np.ones(3, dtype))
    for result in (t * 0.1, 0.1 * t, t + 1, 2 - t, t / 3, 1 / t, t**2, 2.0**t, -t):
        assert result.dtype == dtype


def test_mixed_float_dtypes_promote_like_numpy():
    a = Tensor(np.ones(2, np.float32))
    b = Tensor(np.ones(2, np.float64))
    assert (a + b).dtype == np.float64
    assert (a * np.ones(2, np.float64)).dtype == np.float64
    assert (np.ones(2, np.float32) * a).dtype == np.float32


def test_ndarray_on_the_left_defers_to_tensor():
    t = Tensor([1.0, 2.0], requires_grad=True)
    out = np.array([3.0, 4.0], np.float32) * t
    assert isinstance(out, Tensor)
    np.testing.assert_allclose(out.data, [3.0, 8.0])
    out = np.eye(2, dtype=np.float32) @ t
    assert isinstance(out, Tensor)


def test_attributes():
    t = Tensor(np.zeros((2, 3), np.float32), requires_grad=True, name="x")
    assert (t.shape, t.ndim, t.size, t.dtype, t.name) == ((2, 3), 2, 6, np.float32, "x")
    assert t.is_leaf and t.grad is None
    y = t * 2
    assert not y.is_leaf and y.requires_grad and y.grad_fn.name == "mul"


def test_conversions():
    t = Tensor([[1.0, 2.0]])
    assert np.asarray(t) is t.data
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert t.numpy() is t.data
    assert Tensor([3.5]).item() == 3.5
    assert float(Tensor(2.0)) == 2.0
    assert len(Tensor([1.0, 2.0, 3.0])) == 3
    with pytest.raises(ValueError, match=r"\(1, 2\)"):
        t.item()


def test_detach_cuts_the_graph_and_shares_data():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).detach()
    assert y.is_leaf and not y.requires_grad
    z = (y * x).sum()
    z.backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])


def test_repr_is_readable():
    t = Tensor([1.0, 2.0], requires_grad=True, name="w")
    text = repr(t)
    assert text.startswith("Tensor([1., 2.]") and "float32" in text and "requires_grad=True" in text
    assert "name='w'" in text
    assert "grad_fn=<mul>" in repr(t * 2)
    assert "..." in repr(Tensor(np.zeros(1000)))


def test_tensor_has_slots_and_no_dict():
    assert not hasattr(Tensor(1.0), "__dict__")


def test_bad_data_is_a_clear_error():
    with pytest.raises(TypeError):
        Tensor({"a": 1})


def test_import_needs_only_numpy():
    import subprocess
    import sys

    optional = ("matplotlib", "tqdm", "graphviz", "sklearn", "torch")
    code = (
        "import sys, tinygrad_ce, tinygrad_ce.nn, tinygrad_ce.optim, tinygrad_ce.functional; "
        f"print(sorted(m for m in {optional!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    out = done.stdout
    assert out.strip() == "[]"


def test_load_of_a_damaged_file_is_a_value_error(tmp_path):
    import tinygrad_ce as tg

    path = tmp_path / "x.npz"
    tg.save({"a": np.zeros(3)}, path)
    raw = bytearray(path.read_bytes())
    raw[raw.rfind(b"PK\x01\x02") + 10] ^= 0xFF  # the compression method of the central directory
    (tmp_path / "y.npz").write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="y.npz"):
        tg.load(tmp_path / "y.npz")
    (tmp_path / "z.npz").write_bytes(path.read_bytes()[:40])
    with pytest.raises(ValueError, match="z.npz"):
        tg.load(tmp_path / "z.npz")


def test_comparisons_and_argmax_are_plain_non_differentiable_tensors():
    t = Tensor([[1.0, 3.0], [2.0, -1.0]], requires_grad=True)
    mask = t > 1.5
    assert mask.dtype == np.bool_ and not mask.requires_grad
    np.testing.assert_array_equal(mask.data, [[False, True], [True, False]])
    np.testing.assert_array_equal((t <= Tensor([2.0, 0.0])).data, [[True, False], [True, True]])
    np.testing.assert_array_equal(t.argmax(axis=1).data, [1, 0])
    assert t.argmax().item() == 1
    # v2: == and != are elementwise (the contract changed); hashing stays by identity
    np.testing.assert_array_equal((t == 3.0).data, [[False, True], [False, False]])
    np.testing.assert_array_equal((t != t).data, np.zeros((2, 2), bool))
    assert {t: 1}[t] == 1 and t in {t} and Tensor([1.0]) not in {t}
