"""data: DataLoader coverage and seeding, synthetic datasets, splits, IDX/MNIST files, digits."""

from __future__ import annotations

import gzip
import struct
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_ce.nn as nn
from tinygrad_ce import Tensor
from tinygrad_ce.data import (
    DataLoader,
    Dataset,
    TensorDataset,
    blobs,
    load_digits,
    load_idx,
    load_mnist,
    moons,
    spiral,
    train_val_split,
)


# ----------------------------------------------------------------------------- DataLoader
@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 60), batch_size=st.integers(1, 70), shuffle=st.booleans(), drop_last=st.booleans())
def test_every_sample_once_per_epoch_and_partial_batch_kept(n, batch_size, shuffle, drop_last):
    X = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    y = np.arange(n)
    loader = DataLoader(TensorDataset(X, y), batch_size, shuffle=shuffle, seed=0, drop_last=drop_last)
    for _ in range(2):
        batches = list(loader)
        assert len(batches) == len(loader)
        sizes = [len(b[1]) for b in batches]
        assert all(s == batch_size for s in sizes[:-1])
        seen = np.concatenate([b[1] for b in batches]) if batches else np.array([], int)
        if drop_last:
            assert len(seen) == n - n % batch_size and len(set(seen.tolist())) == len(seen)
        else:
            assert sorted(seen.tolist()) == list(range(n)) and sizes[-1] == (n % batch_size or batch_size)
        for Xb, yb in batches:
            np.testing.assert_array_equal(Xb[:, 0], 2 * yb)  # X and y stay paired


def test_seeded_shuffle_is_reproducible_and_new_each_epoch():
    data = (np.arange(50.0)[:, None], np.arange(50))
    order = lambda loader: np.concatenate([y for _, y in loader])  # one epoch's sample order
    first = DataLoader(data, 10, shuffle=True, seed=3)
    second = DataLoader(data, 10, shuffle=True, seed=3)
    epoch1, epoch2 = order(first), order(first)
    assert not np.array_equal(epoch1, epoch2)
    np.testing.assert_array_equal(order(second), epoch1)
    np.testing.assert_array_equal(order(second), epoch2)
    assert not np.array_equal(order(DataLoader(data, 10, shuffle=True, seed=4)), epoch1)
    np.testing.assert_array_equal(order(DataLoader(data, 10)), np.arange(50))
    nn.manual_seed(11)  # seed=None: the default generator that manual_seed resets
    a = order(DataLoader(data, 10, shuffle=True))
    nn.manual_seed(11)
    np.testing.assert_array_equal(order(DataLoader(data, 10, shuffle=True)), a)


def test_generic_dataset_is_stacked_sample_by_sample():
    class Squares(Dataset):
        def __len__(self):
            return 7

        def __getitem__(self, i):
            return np.array([i, i * i], dtype=np.float32), i

    batches = list(DataLoader(Squares(), batch_size=3, shuffle=True, seed=0))
    assert [len(y) for _, y in batches] == [3, 3, 1]
    X = np.concatenate([b[0] for b in batches])
    np.testing.assert_array_equal(X[:, 1], X[:, 0] ** 2)
    assert sorted(np.concatenate([b[1] for b in batches]).tolist()) == list(range(7))


def test_tensor_dataset_and_loader_argument_errors():
    dataset = TensorDataset(Tensor(np.ones((4, 2))), np.arange(4))
    assert len(dataset) == 4 and isinstance(dataset.arrays[0], np.ndarray)
    x, y = dataset[np.array([0, 2])]
    assert x.shape == (2, 2) and y.tolist() == [0, 2]
    with pytest.raises(ValueError, match=r"share their first dimension, got shapes \(4, 2\), \(3,\)"):
        TensorDataset(np.ones((4, 2)), np.arange(3))
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        DataLoader(dataset, 0)


# ----------------------------------------------------------------------------- synthetic data
@pytest.mark.parametrize(
    "make, n, classes",
    [
        (lambda seed: spiral(40, classes=4, seed=seed), 160, 4),
        (lambda seed: moons(101, noise=0.1, seed=seed), 101, 2),
        (lambda seed: blobs(90, centers=3, seed=seed), 90, 3),
    ],
)
def test_synthetic_datasets_shapes_dtypes_and_seeds(make, n, classes):
    X, y = make(0)
    assert X.shape == (n, 2) and X.dtype == np.float32 and y.shape == (n,) and y.dtype == np.int64
    assert set(y.tolist()) == set(range(classes))
    assert abs(np.bincount(y).max() - np.bincount(y).min()) <= 1  # balanced
    X2, y2 = make(0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(make(1)[0], X)


def test_spiral_geometry_and_blob_centres():
    X, y = spiral(50, classes=3, noise=0.0, seed=0)
    radius = np.linalg.norm(X, axis=1)
    np.testing.assert_allclose(radius[:50], np.linspace(0, 1, 50), atol=1e-6)
    X, y = blobs(300, centers=np.array([[0.0, 0.0], [20.0, 20.0]]), std=0.5, seed=0)
    np.testing.assert_allclose(X[y == 1].mean(axis=0), [20, 20], atol=0.2)
    with pytest.raises(ValueError, match="classes must be an integer >= 2, got 1"):
        spiral(10, classes=1)


def test_train_val_split():
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    X_train, X_val, y_train, y_val = train_val_split(X, y, 0.3, seed=0)
    assert len(X_val) == 3 and len(X_train) == 7
    assert sorted(np.concatenate([y_train, y_val]).tolist()) == list(range(10))
    np.testing.assert_array_equal(X_train[:, 0], 2 * y_train)
    assert np.array_equal(train_val_split(X, y, 0.3, seed=0)[3], y_val)
    with pytest.raises(ValueError, match=r"fraction must be in \(0, 1\)"):
        train_val_split(X, y, 1.0)
    with pytest.raises(ValueError, match=r"X has shape \(10, 2\) but y has shape \(9,\)"):
        train_val_split(X, y[:9])


# ----------------------------------------------------------------------------- IDX files
def idx_bytes(array: np.ndarray, code: int) -> bytes:
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize(
    "array, code",
    [
        (np.arange(24, dtype=np.uint8).reshape(2, 3, 4), 0x08),
        (np.array([-5, 7, 1 << 20], dtype=np.int32), 0x0C),
        (np.linspace(-1, 1, 6).reshape(3, 2), 0x0E),
    ],
)
def test_load_idx_plain_and_gzip(tmp_path, compress, array, code):
    raw = idx_bytes(array, code)
    path = tmp_path / "file.idx"
    path.write_bytes(gzip.compress(raw) if compress else raw)
    loaded = load_idx(path)
    assert loaded.shape == array.shape and loaded.dtype == array.dtype.newbyteorder("=")
    np.testing.assert_array_equal(loaded, array)


def test_load_idx_errors_name_the_file(tmp_path):
    good = idx_bytes(np.zeros((2, 3), np.uint8), 0x08)
    cases = {
        "magic.idx": b"\x12\x34" + good[2:],
        "typecode.idx": good[:2] + b"\x07" + good[3:],
        "short.idx": good[:-1],
        "long.idx": good + b"\0",
        "header.idx": good[:6],
        "empty.idx": b"",
        "broken.gz": gzip.compress(good)[:-6],
    }
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ValueError, match=name) as info:
            load_idx(tmp_path / name)
        message = str(info.value)
        assert ("magic" in message) or ("size" in message) or ("truncated" in message) or ("gzip" in message)
    with pytest.raises(FileNotFoundError):
        load_idx(tmp_path / "missing.idx")


def write_mnist(directory, n_train=5, n_test=3, gz_labels=True):
    rng = np.random.default_rng(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28)).astype(np.uint8)
        labels = rng.integers(0, 10, size=n).astype(np.uint8)
        (directory / f"{prefix}-images-idx3-ubyte").write_bytes(idx_bytes(images, 0x08))
        raw = idx_bytes(labels, 0x08)
        if gz_labels:
            (directory / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(raw))
        else:
            (directory / f"{prefix}-labels-idx1-ubyte").write_bytes(raw)


def test_load_mnist_reads_the_four_files(tmp_path):
    write_mnist(tmp_path)
    X_train, y_train, X_test, y_test = load_mnist(tmp_path)
    assert X_train.shape == (5, 784) and X_test.shape == (3, 784) and X_train.dtype == np.float32
    assert 0 <= X_train.min() and X_train.max() <= 1 and y_train.dtype == np.int64
    raw = load_idx(tmp_path / "train-images-idx3-ubyte")
    np.testing.assert_allclose(X_train[1], raw[1].ravel() / 255, rtol=1e-6)


def test_load_mnist_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="is not a directory"):
        load_mnist(tmp_path / "nowhere")
    write_mnist(tmp_path, gz_labels=False)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match="no t10k-labels-idx1-ubyte or t10k-labels-idx1-ubyte.gz"):
        load_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(4, np.uint8), 0x08))
    with pytest.raises(ValueError, match=r"\(3, 28, 28\).*\(4,\)"):
        load_mnist(tmp_path)


# ----------------------------------------------------------------------------- digits
def test_load_digits_when_scikit_learn_is_installed():
    pytest.importorskip("sklearn")
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float32 and 0 <= X.min() and X.max() == 1
    assert y.dtype == np.int64 and set(y.tolist()) == set(range(10))


def test_load_digits_without_scikit_learn_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        load_digits()
