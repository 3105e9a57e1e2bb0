"""Save and load dicts of arrays as `.npz`: no pickle, atomic writes, bounded reads.

The archive is a zip with one `<key>.npy` member per key, readable by `np.load`.

`save` refuses, before anything is written, keys that would not come back exactly
(non-strings, "", keys containing NUL, names the zip format would alter) and values
that are not numeric, bool or string arrays. `load` opens only regular files, checks
every member's `.npy` header against the zip directory, and refuses archives whose
arrays together exceed `max_bytes` (default `DEFAULT_MAX_BYTES`, 1 GiB) before
allocating any of them.
"""

from __future__ import annotations

import math
import os
import struct
import zipfile
import zlib
from collections.abc import Mapping
from typing import IO, Any, Literal, cast

import numpy as np

from .io import atomic_write, open_regular_file
from .tensor import Tensor

__all__ = ["save", "load", "DEFAULT_MAX_BYTES"]

DEFAULT_MAX_BYTES = 2**30
"""`load`'s default limit on the total size of the arrays in one file (1 GiB); pass
`max_bytes=` to raise or lower it for one call."""

_KINDS = "biufcUS"  # bool, integers, floats, complex, str, bytes: what np.load reads without pickle
_CHUNK = 1 << 20
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a member first, or an empty archive
_NPY_MAGIC = b"\x93NUMPY"
_DAMAGED = (  # what zipfile and zlib raise on damaged archives (NotImplementedError: bad headers)
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    KeyError,
    NotImplementedError,
    RuntimeError,
    struct.error,
    zlib.error,
)


# ----------------------------------------------------------------------------- save
def _member_name(key: Any) -> str:
    """The zip member name for `key`, or a ValueError/TypeError if it would not round-trip."""
    if not isinstance(key, str):
        raise TypeError(f"save: keys must be strings, got key={key!r} ({type(key).__name__})")
    if key == "" or "\0" in key:
        raise ValueError(f"save: key={key!r} cannot be stored (empty, or contains NUL)")
    name = key + ".npy"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"save: key={key!r} is not valid UTF-8 text (lone surrogate)") from None
    if zipfile.ZipInfo(name).filename != name:  # e.g. os.sep turned into "/" on Windows
        raise ValueError(f"save: key={key!r} would not read back the same from a zip archive")
    return name


def _array(key: str, value: Any) -> np.ndarray:
    """`value` (a Tensor, ndarray or number) as an ndarray that needs no pickle."""
    array = np.asarray(value.data if isinstance(value, Tensor) else value)
    if array.dtype.kind not in _KINDS:
        raise TypeError(
            f"save: value for key={key!r} has dtype {array.dtype} ({type(value).__name__}); only "
            "numeric, bool and string arrays are stored (pickle is not used)"
        )
    return array


def save(state: Mapping[str, Any], path: str | os.PathLike[str]) -> None:
    """Write a dict of arrays (Tensors, ndarrays or numbers) to `path` as `.npz`.

    Every key comes back from `load` exactly as given, or is refused before anything
    is written: keys must be non-empty `str` without NUL (TypeError/ValueError naming
    the key). Values must be numeric, bool or string arrays (object dtypes would need
    pickle: TypeError naming the key and dtype). The write is atomic: a crash mid-save
    leaves any previous file intact."""
    members = [(_member_name(key), _array(key, value)) for key, value in state.items()]
    with atomic_write(path, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as archive:
        for name, array in members:
            with archive.open(name, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


# ----------------------------------------------------------------------------- load
def _check_max_bytes(max_bytes: Any) -> int:
    """`max_bytes` if it is an int >= 0, else a ValueError naming it."""
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
        raise ValueError(f"load: max_bytes must be an int >= 0, got max_bytes={max_bytes!r}")
    return max_bytes


def _header(member: IO[bytes], where: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """(shape, fortran_order, dtype) from a member's `.npy` header; ValueError if unreadable."""
    try:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            return np.lib.format.read_array_header_1_0(member)
        if version == (2, 0):
            return np.lib.format.read_array_header_2_0(member)
        raise ValueError(f".npy format version {version} is not supported")
    except ValueError as err:
        raise ValueError(f"load: {where} has no readable .npy header: {err}") from None


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> np.ndarray:
    """The array in one member, refused before allocating if its header disagrees with
    the size the zip directory gives (which `_read_archive` has checked against max_bytes)."""
    with archive.open(info) as member:
        shape, fortran, dtype = _header(member, where)
        if dtype.hasobject or dtype.kind not in _KINDS:
            raise ValueError(f"load: {where} holds dtype {dtype}, which would need pickle")
        if any(n < 0 for n in shape):
            raise ValueError(f"load: {where} is damaged: its header declares shape {shape}")
        nbytes = math.prod(shape) * dtype.itemsize
        if member.tell() + nbytes != info.file_size:
            raise ValueError(
                f"load: {where} is damaged: its header declares {nbytes} bytes of data, the zip "
                f"directory {info.file_size - member.tell()}"
            )
        data = bytearray(nbytes)
        view, done = memoryview(data), 0
        while done < nbytes:
            got = cast(zipfile.ZipExtFile, member).readinto(view[done : done + _CHUNK])
            if not got:
                raise ValueError(f"load: {where} is truncated ({done} of {nbytes} bytes)")
            done += got
        if member.read(1):  # reading to the end also makes zipfile check the CRC
            raise ValueError(f"load: {where} is longer than its header declares")
    order: Literal["C", "F"] = "F" if fortran else "C"
    if nbytes == 0:
        return np.empty(shape, dtype, order=order)
    return np.frombuffer(data, dtype=dtype).reshape(shape, order=order)


def _read_archive(f: IO[bytes], name: str, max_bytes: int) -> dict[str, np.ndarray]:
    """Every member of an open zip as {key: array}; sizes checked before reading any."""
    state: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(f) as archive:
        infos = archive.infolist()
        total = sum(info.file_size for info in infos)
        if total > max_bytes:
            raise ValueError(
                f"load: {name!r} holds {total} bytes of arrays, more than the limit max_bytes={max_bytes}; "
                "pass a larger max_bytes= if the file is trusted"
            )
        for info in infos:
            where = f"{name!r} member {info.filename!r}"
            if not info.filename.endswith(".npy"):
                raise ValueError(f"load: {where} is not a .npy array (not written by save)")
            key = info.filename[: -len(".npy")]
            if key in state:
                raise ValueError(f"load: {where} appears twice")
            state[key] = _read_member(archive, info, where)
    return state


def load(path: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, np.ndarray]:
    """Read a file written by `save` into a dict of ndarrays (never unpickles).

    `max_bytes` (default `DEFAULT_MAX_BYTES`, 1 GiB) limits the members' total
    uncompressed size (the arrays plus their ~128-byte headers), checked from the zip
    directory before anything is allocated; pass a larger value for a big trusted file.
    Refused with a ValueError naming the file: anything but a regular file (a FIFO or
    device is never opened), a `.npy` or any other non-`.npz` file, members that are not
    `.npy` arrays or hold object dtypes, headers that disagree with the zip directory,
    damaged archives, and archives over `max_bytes`. A missing file is a FileNotFoundError."""
    name = os.fspath(path)
    max_bytes = _check_max_bytes(max_bytes)
    f, _ = open_regular_file(name, "load")
    with f:
        magic = f.read(6)
        if magic[:4] not in _ZIP_MAGIC:
            hint = " (it is a .npy file: read it with np.load)" if magic == _NPY_MAGIC else ""
            raise ValueError(f"load: {name!r} is not a .npz archive{hint}")
        f.seek(0)
        try:
            return _read_archive(f, name, max_bytes)
        except _DAMAGED as err:
            raise ValueError(f"load: {name!r} is not a readable checkpoint (.npz): {err}") from None
