"""Save and load dicts of arrays as `.npz`: no pickle, atomic writes."""
from __future__ import annotations

import os
import tempfile
import zipfile
import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np


def save(state: Mapping[str, Any], path: str | os.PathLike[str]) -> None:
    """Write a dict of arrays (Tensors, ndarrays or numbers) to `path` as `.npz`.

    The write is atomic: the file is written beside `path` and renamed over it, so a
    crash mid-save leaves any previous file intact. Object arrays are refused (they
    would need pickle).
    """
    arrays: dict[str, np.ndarray] = {}
    for key, value in state.items():
        if not isinstance(key, str):
            raise TypeError(f"save: keys must be strings, got {key!r}")
        array = np.asarray(value)
        if array.dtype == object:
            raise TypeError(f"save: value for {key!r} is not numeric (dtype object); pickle is not used")
        arrays[key] = array
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read a file written by `save` into a dict of ndarrays (never unpickles)."""
    path = os.fspath(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError, NotImplementedError,
            zlib.error) as err:  # zipfile raises NotImplementedError for some damaged headers
        raise ValueError(f"load: {path!r} is not a readable checkpoint (.npz): {err}") from None
