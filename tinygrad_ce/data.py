"""Datasets and batching: `Dataset`, `TensorDataset`, `DataLoader`, seeded synthetic
datasets (`spiral`, `moons`, `blobs`), MNIST-format IDX files and scikit-learn's digits.

Every dataset function returns `X` as float32 of shape (N, features) and `y` as int64
class indices of shape (N,). A `seed` may be an int >= 0, a numpy Generator, or None
(the default Generator of `tinygrad_ce.nn.manual_seed`). Every argument is checked
(`tinygrad_ce._checks`): a bad one is a TypeError/ValueError naming it and its value.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _checks as checks
from ._checks import got
from .io import open_regular_file
from .rng import as_generator
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
            raise ValueError("TensorDataset: needs at least one array (arrays is empty)")
        self.arrays = tuple(_samples("TensorDataset", f"arrays[{i}]", a) for i, a in enumerate(arrays))
        if len({a.shape[0] for a in self.arrays}) != 1:
            shapes = ", ".join(str(a.shape) for a in self.arrays)
            raise ValueError(f"TensorDataset: arrays must share their first dimension, got shapes {shapes}")

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    def __getitem__(self, index: Any) -> tuple[Any, ...]:
        try:
            return tuple(a[index] for a in self.arrays)
        except (IndexError, TypeError, ValueError, OverflowError) as err:
            message = f"TensorDataset: index {checks.shown(index)} does not fit {len(self)} samples ({err})"
            raise IndexError(message) from None


def _samples(owner: str, name: str, value: Any) -> np.ndarray:
    """`value` (an array, a Tensor or a list) as an ndarray with a first (sample) axis."""
    try:
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
    except (TypeError, ValueError) as err:  # ragged lists
        raise ValueError(f"{owner}: {name} must be an array of samples, got {got(value)}: {err}") from None
    if array.ndim == 0:
        raise ValueError(f"{owner}: {name} must be an array of samples (at least 1-D), got {got(value)}")
    return array


@dataclass(frozen=True)
class DataSplit:
    """A dataset split into training and held-out arrays (validation or test; it may have
    no rows): X (N, features), y (N,) integer classes, and the number of classes."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    classes: int

    @property
    def features(self) -> int:
        """Input features per sample."""
        return int(self.X_train.shape[1])


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
        self.batch_size = checks.integer("DataLoader", "batch_size", batch_size, low=1)
        self.shuffle = checks.boolean("DataLoader", "shuffle", shuffle)
        self.drop_last = checks.boolean("DataLoader", "drop_last", drop_last)
        rng = as_generator(seed, "DataLoader", "seed")
        self._rng = rng if self.shuffle else None
        self.dataset = _check_dataset(dataset)

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        n, size = len(self.dataset), self.batch_size
        order = self._rng.permutation(n) if self._rng is not None else None
        stop = n - n % size if self.drop_last else n
        arrays = self.dataset.arrays if isinstance(self.dataset, TensorDataset) else None
        for start in range(0, stop, size):
            index: Any = slice(start, min(start + size, n)) if order is None else order[start : start + size]
            if arrays is not None:
                yield tuple(a[index] for a in arrays)
            else:
                indices = range(n)[index] if order is None else index
                yield _stack([(int(i), self.dataset[int(i)]) for i in indices])


def _check_dataset(dataset: Any) -> Any:
    """A DataLoader's `dataset`: a pair (X, y) becomes a TensorDataset; anything else
    must have `len` and integer indexing (a Dataset, a list of samples)."""
    if isinstance(dataset, tuple) and len(dataset) == 2:
        try:
            return TensorDataset(*dataset)
        except ValueError as err:
            raise ValueError(f"DataLoader: dataset, a pair (X, y): {err}") from None
    sized = hasattr(type(dataset), "__len__") and hasattr(type(dataset), "__getitem__")
    if sized and not isinstance(dataset, (str, bytes, Mapping)):
        try:
            len(dataset)
        except TypeError:  # a 0-d array
            sized = False
    if not sized or isinstance(dataset, (str, bytes, Mapping)):
        raise TypeError(
            f"DataLoader: dataset must be a Dataset, a sequence of samples or a pair (X, y) of arrays, "
            f"got {got(dataset)}"
        )
    return dataset


def _stack(samples: list[tuple[int, Any]]) -> tuple[np.ndarray, ...]:
    """One batch from (index, sample) pairs: each sample a tuple of arrays, stacked field by field."""
    first_index, first = samples[0]
    for i, sample in samples:
        if not isinstance(sample, (tuple, list)) or len(sample) != len(first):
            raise TypeError(
                f"DataLoader: dataset[{i}] must be a tuple (x, y, ...) of arrays as long as "
                f"dataset[{first_index}], got {got(sample)}"
            )
    try:
        return tuple(np.stack([np.asarray(s[k]) for _, s in samples]) for k in range(len(first)))
    except ValueError as err:
        raise ValueError(f"DataLoader: dataset[{first_index}] and the next do not stack: {err}") from None


def train_val_split(
    X: np.ndarray, y: np.ndarray, fraction: float = 0.2, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle and split into `(X_train, X_val, y_train, y_val)`, with
    round(fraction * N) samples (at least one) held out for validation."""
    X, y = _samples("train_val_split", "X", X), _samples("train_val_split", "y", y)
    if X.shape[:1] != y.shape[:1]:
        raise ValueError(f"train_val_split: X has shape {X.shape} but y has shape {y.shape}")
    fraction = checks.number("train_val_split", "fraction", fraction, 0.0, 1.0, low_open=True, high_open=True)
    rng = as_generator(seed, "train_val_split", "seed")
    n_val = max(1, round(fraction * len(X)))
    if n_val >= len(X):
        raise ValueError(f"train_val_split: X has {len(X)} samples, too few to hold out fraction={fraction}")
    order = rng.permutation(len(X))
    val, train = order[:n_val], order[n_val:]
    return X[train], X[val], y[train], y[val]


# ----------------------------------------------------------------------------- synthetic
def spiral(
    n_per_class: int = 100, classes: int = 3, noise: float = 0.2, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """K interleaved spiral arms in 2-D (CS231n's toy problem): X (n_per_class*K, 2),
    y (n_per_class*K,) in [0, K). `noise` is the std of the jitter on the angle."""
    n_per_class = checks.integer("spiral", "n_per_class", n_per_class, low=1)
    classes = checks.integer("spiral", "classes", classes, low=2)
    noise = checks.number("spiral", "noise", noise, low=0.0)
    rng = as_generator(seed, "spiral", "seed")
    with checks.allocating("spiral", f"n_per_class={n_per_class} x classes={classes}"):
        radius = np.tile(np.linspace(0.0, 1.0, n_per_class), classes)
        span = 12.0 / classes  # radians per arm: 4 for three classes, as in CS231n
        base = np.repeat(np.arange(classes) * span, n_per_class) + radius * span
        angle = base + rng.normal(size=base.shape) * noise
        X = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1).astype(np.float32)
        y = np.repeat(np.arange(classes, dtype=np.int64), n_per_class)
    return _finite("spiral", f"noise={noise}", X), y


def moons(n: int = 200, noise: float = 0.1, seed: Seed = None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's make_moons, shuffled): X (n, 2),
    y (n,) in {0, 1}; `noise` is the std of Gaussian noise added to each point."""
    n = checks.integer("moons", "n", n, low=2)
    noise = checks.number("moons", "noise", noise, low=0.0)
    rng = as_generator(seed, "moons", "seed")
    n_outer = n // 2
    with checks.allocating("moons", f"n={n}"):
        outer = np.linspace(0, np.pi, n_outer)
        inner = np.linspace(0, np.pi, n - n_outer)
        X = np.concatenate(
            [
                np.stack([np.cos(outer), np.sin(outer)], axis=1),
                np.stack([1 - np.cos(inner), 0.5 - np.sin(inner)], axis=1),
            ]
        )
        y = np.concatenate([np.zeros(n_outer, np.int64), np.ones(n - n_outer, np.int64)])
        X = X + rng.normal(scale=noise, size=X.shape)
        order = rng.permutation(n)
        X, y = X[order].astype(np.float32), y[order]
    return _finite("moons", f"noise={noise}", X), y


def blobs(
    n: int = 300, centers: int | np.ndarray = 3, std: float = 1.0, seed: Seed = None, dim: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters (scikit-learn's make_blobs, shuffled): `centers` is a count
    (centres drawn uniformly in [-10, 10]^dim) or an array (K, dim), in which case `dim`
    is its second axis. X (n, dim), y (n,)."""
    n = checks.integer("blobs", "n", n, low=1)
    std = checks.number("blobs", "std", std, low=0.0)
    dim = checks.integer("blobs", "dim", dim, low=1)
    rng = as_generator(seed, "blobs", "seed")
    given = None if checks.is_int(centers) else _centers(centers)
    k = checks.integer("blobs", "centers", centers, low=1) if given is None else len(given)
    if n < k:
        raise ValueError(f"blobs: need at least one sample per centre (centers={k}), got n={n}")
    with checks.allocating("blobs", f"n={n}, centers={checks.shown(centers)}, dim={dim}"):
        means = rng.uniform(-10.0, 10.0, size=(k, dim)) if given is None else given
        y = np.arange(n, dtype=np.int64) % k
        X = means[y] + rng.normal(scale=std, size=(n, means.shape[1]))
        order = rng.permutation(n)
        X, y = X[order].astype(np.float32), y[order]
    return _finite("blobs", f"std={std} or the centers", X), y


def _finite(owner: str, what: str, X: np.ndarray) -> np.ndarray:
    """`X` if every point is finite in float32; else `what` was too large (a ValueError)."""
    if np.isfinite(X).all():
        return X
    raise ValueError(f"{owner}: the points are not finite in float32 ({what} too large)")


def _centers(centers: Any) -> np.ndarray:
    """blobs' `centers` given as points: a finite float array (K, dim), K, dim >= 1."""
    try:
        means = np.asarray(centers)
    except (TypeError, ValueError):
        means = np.asarray(None)
    if isinstance(centers, (bool, np.bool_)) or means.dtype.kind not in "iuf":
        raise TypeError(f"blobs: centers must be a count (int >= 1) or an array (K, dim), got {got(centers)}")
    if means.ndim != 2 or 0 in means.shape or not np.isfinite(means).all():
        raise ValueError(
            f"blobs: centers must be a count or a finite array (K, dim), got {checks.shown(centers)} "
            f"of shape {means.shape}"
        )
    return means.astype(np.float64)


# ----------------------------------------------------------------------------- files
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_GZIP_MAX_RATIO = 1032  # deflate expands at most 1032:1, so a gzip file bounds the size it can hold


def _idx_header(stream: Any, path: str) -> tuple[tuple[int, ...], np.dtype, int]:
    """(dims, dtype, header length) from the start of an IDX stream; ValueError if not IDX."""
    raw = stream.read(4)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise ValueError(f"load_idx: {path} is not an IDX file (bad magic number {raw[:4].hex() or 'empty'})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    raw += stream.read(4 * ndim)
    if len(raw) < header:
        raise ValueError(f"load_idx: {path}: truncated header ({len(raw)} bytes, {ndim} dims need {header})")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    return dims, np.dtype(_IDX_TYPES[raw[2]]), header


def _read_idx(stream: Any, path: str, size: int, gzipped: bool) -> np.ndarray:
    """The array in an IDX stream whose file is `size` bytes; its declared size is checked
    against the file's before the data is read (a gzip stream can hold at most
    _GZIP_MAX_RATIO times its size), and the read is bounded by the declared size."""
    dims, dtype, header = _idx_header(stream, path)
    expected = header + math.prod(dims) * dtype.itemsize  # Python ints: no overflow
    if gzipped and expected > _GZIP_MAX_RATIO * size:
        raise ValueError(
            f"load_idx: {path}: the header declares {expected} bytes (dims {dims}, {dtype.name}), more than "
            f"{size} bytes of gzip data can hold; truncated or corrupt?"
        )
    if not gzipped and size != expected:
        raise ValueError(
            f"load_idx: {path}: size {size} bytes does not match the header "
            f"(dims {dims}, {dtype.name} -> {expected} bytes); truncated or corrupt?"
        )
    body = stream.read(expected - header + 1)  # one byte more than declared: excess shows
    actual = header + len(body)
    if actual != expected:
        found = f"more than {expected}" if actual > expected else str(actual)
        raise ValueError(
            f"load_idx: {path}: data size {found} bytes does not match the header "
            f"(dims {dims}, {dtype.name} -> {expected} bytes); truncated or corrupt?"
        )
    return np.frombuffer(body, dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="))


def load_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (the MNIST format), gzip-compressed or plain (detected from the
    content, not the name), into an ndarray of its stored shape and native dtype.

    A file that is not IDX (bad magic number or type code), whose size disagrees with
    its header, or that is not a regular file (a FIFO or device is never opened) is a
    ValueError naming the file. The declared size is checked against the file's size
    before anything is allocated, and gzip data is decompressed only up to it."""
    path = os.fspath(path)
    f, size = open_regular_file(path, "load_idx")
    with f:
        gzipped = f.read(2) == b"\x1f\x8b"
        f.seek(0)
        if not gzipped:
            return _read_idx(f, path, size, gzipped)
        try:
            with gzip.GzipFile(fileobj=f, mode="rb") as stream:
                return _read_idx(stream, path, size, gzipped)
        except (OSError, EOFError, zlib.error) as err:
            raise ValueError(f"load_idx: {path}: corrupt gzip data ({err})") from None


_MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
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
    if not isinstance(directory, (str, os.PathLike)):
        raise TypeError(f"load_mnist: directory must be a path (str or os.PathLike), got {got(directory)}")
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
