"""Datasets and batching: `Dataset`, `TensorDataset`, `DataLoader`, seeded synthetic
datasets (`spiral`, `moons`, `blobs`), MNIST-format IDX files and scikit-learn's digits.

Every dataset function returns `X` as float32 of shape (N, features) and `y` as int64
class indices of shape (N,). A `seed` may be an int, a numpy Generator, or None (the
default Generator of `tinygrad_ce.nn.manual_seed`).
"""
from __future__ import annotations

import gzip
import math
import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from .nn import as_generator
from .tensor import Tensor

Seed = int | np.random.Generator | None


# ----------------------------------------------------------------------------- datasets
class Dataset:
    """What a DataLoader needs: `len(dataset)` and `dataset[i] -> (x, y)`."""

    def __len__(self) -> int:
        raise NotImplementedError

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        raise NotImplementedError


class TensorDataset(Dataset):
    """Samples along the first axis of equally long arrays (or Tensors): `X` (N, ...),
    `y` (N, ...). Indexing with an int, slice or index array gives `(X[i], y[i])`,
    which is how DataLoader batches it without a per-sample Python loop."""

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset: needs at least one array")
        self.arrays = tuple(np.asarray(a.data if isinstance(a, Tensor) else a) for a in arrays)
        lengths = [a.shape[0] if a.ndim else None for a in self.arrays]
        if None in lengths or len(set(lengths)) != 1:
            shapes = ", ".join(str(a.shape) for a in self.arrays)
            raise ValueError(f"TensorDataset: arrays must share their first dimension, got shapes {shapes}")

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    def __getitem__(self, index: Any) -> tuple[Any, ...]:
        return tuple(a[index] for a in self.arrays)


class DataLoader:
    """Batches of a dataset: each iteration is one epoch of `(X_batch, y_batch)` ndarrays.

    `shuffle`: a new permutation every epoch, drawn from `seed` (int, Generator, or None
    for the default Generator of `nn.manual_seed`). The last partial batch is kept unless
    `drop_last`. A TensorDataset is batched by slicing/indexing its arrays (vectorized);
    other datasets sample by sample, stacked with np.stack. A pair `(X, y)` of arrays is
    taken as `TensorDataset(X, y)`."""

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 32,
        shuffle: bool = False,
        seed: Seed = None,
        drop_last: bool = False,
    ) -> None:
        if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        if isinstance(dataset, tuple) and len(dataset) == 2:
            dataset = TensorDataset(*dataset)
        self.dataset, self.batch_size = dataset, int(batch_size)
        self.shuffle, self.drop_last = shuffle, drop_last
        self._rng = as_generator(seed) if shuffle else None

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        n, size = len(self.dataset), self.batch_size
        order = self._rng.permutation(n) if self._rng is not None else None
        stop = n - n % size if self.drop_last else n
        arrays = self.dataset.arrays if isinstance(self.dataset, TensorDataset) else None
        for start in range(0, stop, size):
            index = slice(start, min(start + size, n)) if order is None else order[start : start + size]
            if arrays is not None:
                yield tuple(a[index] for a in arrays)
            else:
                indices = range(n)[index] if order is None else index
                samples = [self.dataset[int(i)] for i in indices]
                yield tuple(np.stack([np.asarray(s[k]) for s in samples]) for k in range(len(samples[0])))


def train_val_split(
    X: np.ndarray, y: np.ndarray, fraction: float = 0.2, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle and split into `(X_train, X_val, y_train, y_val)`, with
    round(fraction * N) samples (at least one) held out for validation."""
    X, y = np.asarray(X), np.asarray(y)
    if X.shape[:1] != y.shape[:1]:
        raise ValueError(f"train_val_split: X has shape {X.shape} but y has shape {y.shape}")
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"train_val_split: fraction must be in (0, 1), got {fraction}")
    n_val = max(1, round(fraction * len(X)))
    if n_val >= len(X):
        raise ValueError(f"train_val_split: {len(X)} samples are too few to hold out {fraction:.0%}")
    order = as_generator(seed).permutation(len(X))
    val, train = order[:n_val], order[n_val:]
    return X[train], X[val], y[train], y[val]


# ----------------------------------------------------------------------------- synthetic
def spiral(
    n_per_class: int = 100, classes: int = 3, noise: float = 0.2, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """K interleaved spiral arms in 2-D (CS231n's toy problem): X (n_per_class*K, 2),
    y (n_per_class*K,) in [0, K). `noise` is the std of the jitter on the angle."""
    if n_per_class < 1 or classes < 2:
        raise ValueError(f"spiral: need n_per_class >= 1 and classes >= 2, got {n_per_class}, {classes}")
    rng = as_generator(seed)
    radius = np.tile(np.linspace(0.0, 1.0, n_per_class), classes)
    span = 12.0 / classes  # radians per arm: 4 for three classes, as in CS231n
    base = np.repeat(np.arange(classes) * span, n_per_class) + radius * span
    angle = base + rng.normal(size=base.shape) * noise
    X = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1).astype(np.float32)
    return X, np.repeat(np.arange(classes, dtype=np.int64), n_per_class)


def moons(n: int = 200, noise: float = 0.1, seed: Seed = None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's make_moons, shuffled): X (n, 2),
    y (n,) in {0, 1}; `noise` is the std of Gaussian noise added to each point."""
    if n < 2:
        raise ValueError(f"moons: need n >= 2 samples, got {n}")
    rng = as_generator(seed)
    n_outer = n // 2
    outer = np.linspace(0, np.pi, n_outer)
    inner = np.linspace(0, np.pi, n - n_outer)
    X = np.concatenate([
        np.stack([np.cos(outer), np.sin(outer)], axis=1),
        np.stack([1 - np.cos(inner), 0.5 - np.sin(inner)], axis=1),
    ])
    y = np.concatenate([np.zeros(n_outer, np.int64), np.ones(n - n_outer, np.int64)])
    X = X + rng.normal(scale=noise, size=X.shape)
    order = rng.permutation(n)
    return X[order].astype(np.float32), y[order]


def blobs(
    n: int = 300, centers: int | np.ndarray = 3, std: float = 1.0, seed: Seed = None, dim: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters (scikit-learn's make_blobs, shuffled): `centers` is a count
    (centres drawn uniformly in [-10, 10]^dim) or an array (K, dim). X (n, dim), y (n,)."""
    rng = as_generator(seed)
    if np.ndim(centers) == 0:
        if int(centers) < 1:
            raise ValueError(f"blobs: centers must be >= 1, got {centers}")
        means = rng.uniform(-10.0, 10.0, size=(int(centers), dim))
    else:
        means = np.asarray(centers, dtype=np.float64)
        if means.ndim != 2:
            raise ValueError(f"blobs: centers must be a count or an array (K, dim), got shape {means.shape}")
    k = len(means)
    if n < k:
        raise ValueError(f"blobs: need at least one sample per centre ({k}), got n={n}")
    y = np.arange(n, dtype=np.int64) % k
    X = means[y] + rng.normal(scale=std, size=(n, means.shape[1]))
    order = rng.permutation(n)
    return X[order].astype(np.float32), y[order]


# ----------------------------------------------------------------------------- files
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def load_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (the MNIST format), gzip-compressed or plain (detected from the
    content, not the name), into an ndarray of its stored shape and native dtype.

    A file that is not IDX (bad magic number or type code), or whose size disagrees with
    its header, is a ValueError naming the file."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as err:
            raise ValueError(f"load_idx: {path}: corrupt gzip data ({err})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise ValueError(f"load_idx: {path} is not an IDX file (bad magic number {raw[:4].hex() or 'empty'})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"load_idx: {path}: truncated header ({len(raw)} bytes, {ndim} dims need {header})")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    expected = header + int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(
            f"load_idx: {path}: size {len(raw)} bytes does not match the header "
            f"(dims {dims}, {dtype.name} -> {expected} bytes); truncated or corrupt?"
        )
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="))


_MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte",
}


def _find_mnist_file(directory: str, stem: str) -> str:
    candidates = [stem, stem.replace("-idx", ".idx")]  # both spellings are in circulation
    for name in candidates:
        for suffix in ("", ".gz"):
            path = os.path.join(directory, name + suffix)
            if os.path.isfile(path):
                return path
    raise FileNotFoundError(f"load_mnist: no {stem} or {stem}.gz in {directory}")


def load_mnist(directory: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """MNIST (or Fashion-MNIST) from the four standard IDX files in `directory` (.gz or
    plain): `(X_train, y_train, X_test, y_test)`, X float32 in [0, 1] of shape (N, 784)."""
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"load_mnist: {directory} is not a directory")
    out = []
    for split in ("train", "test"):
        images_path = _find_mnist_file(directory, _MNIST_FILES[f"{split}_images"])
        labels_path = _find_mnist_file(directory, _MNIST_FILES[f"{split}_labels"])
        images, labels = load_idx(images_path), load_idx(labels_path)
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(
                f"load_mnist: {images_path} has shape {images.shape} and {labels_path} has shape "
                f"{labels.shape}; expected (N, rows, cols) images and N labels"
            )
        pixels = images.reshape(len(images), -1).astype(np.float32) / np.float32(255)
        out += [pixels, labels.astype(np.int64)]
    return out[0], out[1], out[2], out[3]


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 handwritten digits: X (1797, 64) float32 in [0, 1], y (1797,).
    Needs scikit-learn (`pip install scikit-learn`, or the package's `extras` extra)."""
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        raise ImportError(
            "load_digits needs scikit-learn: pip install scikit-learn (or pip install 'tinygrad-ce[extras]')"
        ) from None
    digits = sklearn_digits()
    return (digits.data / 16.0).astype(np.float32), digits.target.astype(np.int64)
