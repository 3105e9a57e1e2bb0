"""Files: nothing lost (save keys round-trip or are refused before writing), nothing hangs
(FIFOs are refused, never opened), nothing huge (declared sizes are checked before
allocating), and atomic writes leave no temporaries (errors, SIGTERM, stale ones)."""

from __future__ import annotations

import gzip
import io
import os
import signal
import stat
import struct
import subprocess
import sys
import threading
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

import tinygrad_ce
from tinygrad_ce import Tensor, nn
from tinygrad_ce.data import load_idx
from tinygrad_ce.io import atomic_path, atomic_write
from tinygrad_ce.training import load_checkpoint, read_checkpoint, save_checkpoint

ROOT = Path(__file__).resolve().parent.parent
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes, FIFOs and signals")


def temporaries(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if ".tmp-" in p.name)


def npy_header(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def zip_with(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_STORED) -> None:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


# ----------------------------------------------------------------------------- save: keys
def test_keys_that_np_savez_drops_or_mangles_round_trip(tmp_path: Path) -> None:
    state = {
        "allow_pickle": np.arange(3),
        "file": 1.5,
        "args": True,
        "a/b": np.ones((2, 3), order="F"),
        "ü.npy": np.array("hi"),
        "t": Tensor([1.0, 2.0]),
        "empty": np.zeros((0, 3), np.float32),
    }
    tinygrad_ce.save(state, tmp_path / "x.npz")
    loaded = tinygrad_ce.load(tmp_path / "x.npz")
    assert list(loaded) == list(state)
    for key, value in state.items():
        expected = value.data if isinstance(value, Tensor) else np.asarray(value)
        assert loaded[key].dtype == expected.dtype
        np.testing.assert_array_equal(loaded[key], expected)
    with np.load(tmp_path / "x.npz") as npz:  # still a plain .npz
        assert npz.files == list(state)


@pytest.mark.parametrize(
    "key, error, words",
    [
        ("a\0b", ValueError, "NUL"),
        ("", ValueError, "empty"),
        (3, TypeError, "key=3"),
        ("\udcff", ValueError, "UTF-8"),
    ],
)
def test_keys_that_cannot_round_trip_are_refused_before_writing(tmp_path, key, error, words) -> None:
    with pytest.raises(error, match=words) as info:
        tinygrad_ce.save({"good": 1, key: 2}, tmp_path / "x.npz")
    assert repr(key) in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_a_key_the_zip_format_would_alter_is_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(os, "sep", "\\")  # as on Windows, where zipfile turns "\" into "/"
    with pytest.raises(ValueError, match="would not read back the same"):
        tinygrad_ce.save({"a\\b": 1}, tmp_path / "x.npz")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "value, dtype",
    [
        (None, "object"),
        (np.array([1, None], dtype=object), "object"),
        (np.zeros(2, dtype=[("a", "f4")]), "a"),
    ],
)
def test_values_that_need_pickle_are_refused_before_writing(tmp_path, value, dtype) -> None:
    with pytest.raises(TypeError, match=rf"key='w' has dtype .*{dtype}"):
        tinygrad_ce.save({"w": value}, tmp_path / "x.npz")
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- load: sizes
def test_a_deflate_bomb_is_refused_before_allocating(tmp_path: Path) -> None:
    header = npy_header((2**28,))  # declares 2 GiB, holds 1 MiB of zeros
    zip_with(tmp_path / "bomb.npz", {"a.npy": header + bytes(2**20)}, zipfile.ZIP_DEFLATED)
    raw = bytearray((tmp_path / "bomb.npz").read_bytes())
    central = raw.rfind(b"PK\x01\x02")
    struct.pack_into("<I", raw, 22, len(header) + 2**31)  # the local header's uncompressed size
    struct.pack_into("<I", raw, central + 24, len(header) + 2**31)  # and the directory's
    (tmp_path / "bomb.npz").write_bytes(bytes(raw))
    assert len(raw) < 10_000
    with pytest.raises(ValueError, match=r"bomb.npz.*2147483776 bytes.*max_bytes=1073741824"):
        tinygrad_ce.load(tmp_path / "bomb.npz")


def test_max_bytes_can_be_raised_or_lowered_per_call(tmp_path: Path) -> None:
    np.savez_compressed(tmp_path / "zeros.npz", a=np.zeros(2**20))  # 8 MiB in about 8 KB
    assert (tmp_path / "zeros.npz").stat().st_size < 100_000
    with pytest.raises(ValueError, match="max_bytes=1048576"):
        tinygrad_ce.load(tmp_path / "zeros.npz", max_bytes=2**20)
    np.testing.assert_array_equal(tinygrad_ce.load(tmp_path / "zeros.npz", max_bytes=2**24)["a"], 0.0)
    for bad in (-1, "big", True, 1.5):
        with pytest.raises(ValueError, match="max_bytes="):
            tinygrad_ce.load(tmp_path / "zeros.npz", max_bytes=bad)


def test_checkpoint_readers_pass_max_bytes_through(tmp_path: Path) -> None:
    model = nn.MLP([2, 8, 3], rng=0)
    save_checkpoint(tmp_path / "ckpt.npz", model, epoch=1)
    with pytest.raises(ValueError, match="ckpt.npz.*max_bytes=100"):
        read_checkpoint(tmp_path / "ckpt.npz", max_bytes=100)
    with pytest.raises(ValueError, match="ckpt.npz.*max_bytes=100"):
        load_checkpoint(tmp_path / "ckpt.npz", model, max_bytes=100)
    assert load_checkpoint(tmp_path / "ckpt.npz", model, max_bytes=10**6)["epoch"] == 1


def test_a_huge_declared_header_is_a_value_error_not_a_memory_error(tmp_path: Path) -> None:
    zip_with(tmp_path / "huge.npz", {"a.npy": npy_header((2**40,)) + bytes(64)})  # declares 8 TiB
    with pytest.raises(ValueError, match=r"huge.npz.*'a.npy'.*declares 8796093022208 bytes"):
        tinygrad_ce.load(tmp_path / "huge.npz")
    zip_with(tmp_path / "negative.npz", {"a.npy": npy_header((-2, -4)) + bytes(64)})  # (-2)*(-4)*8 = 64
    with pytest.raises(ValueError, match=r"negative.npz.*shape \(-2, -4\)"):
        tinygrad_ce.load(tmp_path / "negative.npz")


# ----------------------------------------------------------------------------- load: what it is
@posix_only
def test_a_fifo_is_refused_without_opening_it(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    errors: list[BaseException] = []

    def read_all() -> None:
        for reader in (tinygrad_ce.load, load_idx):
            try:
                reader(fifo)
            except BaseException as err:  # noqa: B036  (collected for the main thread)
                errors.append(err)

    worker = threading.Thread(target=read_all, daemon=True)
    worker.start()
    worker.join(timeout=5)
    if worker.is_alive():  # blocked in open(): give it a writer so the thread can end
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("reading a FIFO blocked")
    assert [type(e) for e in errors] == [ValueError, ValueError]
    assert all("pipe.npz' is a FIFO" in str(e) for e in errors)


def test_a_plain_npy_or_text_file_is_not_an_npz_archive(tmp_path: Path) -> None:
    np.save(tmp_path / "one.npy", np.arange(3))
    with pytest.raises(ValueError, match=r"'.*one.npy' is not a .npz archive .*np.load"):
        tinygrad_ce.load(tmp_path / "one.npy")
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ValueError, match=r"text.npz' is not a .npz archive"):
        tinygrad_ce.load(tmp_path / "text.npz")
    with pytest.raises(ValueError, match="is a directory"):
        tinygrad_ce.load(tmp_path)
    with pytest.raises(FileNotFoundError):
        tinygrad_ce.load(tmp_path / "missing.npz")


def test_members_that_are_not_npy_arrays_are_refused(tmp_path: Path) -> None:
    zip_with(tmp_path / "notes.npz", {"a.npy": npy_header((1,)) + bytes(8), "notes.txt": b"hi"})
    with pytest.raises(ValueError, match=r"notes.npz' member 'notes.txt' is not a .npy array"):
        tinygrad_ce.load(tmp_path / "notes.npz")
    buffer = io.BytesIO()
    np.save(buffer, np.array([1, None], dtype=object), allow_pickle=True)
    zip_with(tmp_path / "objects.npz", {"a.npy": buffer.getvalue()})
    with pytest.raises(ValueError, match=r"objects.npz' member 'a.npy' holds dtype object"):
        tinygrad_ce.load(tmp_path / "objects.npz")


# ----------------------------------------------------------------------------- atomic writes
@posix_only
def test_new_files_get_the_usual_mode_and_existing_files_keep_theirs(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        tinygrad_ce.save({"a": 1}, tmp_path / "x.npz")
        with atomic_write(tmp_path / "x.txt") as f:
            f.write("hi\n")
        assert stat.S_IMODE((tmp_path / "x.npz").stat().st_mode) == 0o644
        assert stat.S_IMODE((tmp_path / "x.txt").stat().st_mode) == 0o644
        for mode in (0o600, 0o444):
            os.chmod(tmp_path / "x.npz", mode)
            tinygrad_ce.save({"a": 2}, tmp_path / "x.npz")
            assert stat.S_IMODE((tmp_path / "x.npz").stat().st_mode) == mode
        assert tinygrad_ce.load(tmp_path / "x.npz")["a"] == 2
    finally:
        os.umask(old)


@posix_only
def test_stale_temporaries_of_the_same_target_are_removed(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = [f".ckpt.npz.tmp-{dead.pid}-0a1b2c3d", f".ckpt.npz.tmp-{os.getpid()}-deadbeef"]
    kept = [f".ckpt.npz.tmp-{os.getppid()}-00000000", f".other.npz.tmp-{dead.pid}-0a1b2c3d"]
    for name in stale + kept:
        (tmp_path / name).write_bytes(b"partial")
    tinygrad_ce.save({"a": 1}, tmp_path / "ckpt.npz")
    assert temporaries(tmp_path) == sorted(kept)


def test_temporaries_are_named_per_target_and_process_and_removed_on_errors(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("old")
    for error in (KeyboardInterrupt(), OSError("disk full")):
        with pytest.raises(type(error)), atomic_write(tmp_path / "x.txt") as f:
            f.write("new")
            [name] = temporaries(tmp_path)
            assert name.startswith(f".x.txt.tmp-{os.getpid()}-")
            raise error
        with pytest.raises(type(error)), atomic_path(tmp_path / "x.txt") as name:
            Path(name).write_text("new")
            raise error
    assert (tmp_path / "x.txt").read_text() == "old" and temporaries(tmp_path) == []
    with atomic_path(tmp_path / "x.txt") as name:  # a tool writing by name
        Path(name).write_text("by name")
    assert (tmp_path / "x.txt").read_text() == "by name" and temporaries(tmp_path) == []
    with pytest.raises(ValueError, match="mode='a'"):
        atomic_write(tmp_path / "x.txt", "a").__enter__()


@posix_only
def test_the_sigterm_handler_is_restored_after_the_write(tmp_path: Path) -> None:
    before = signal.getsignal(signal.SIGTERM)
    with atomic_write(tmp_path / "x.txt") as f:
        f.write("x")
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before


CHILD = """
import signal, sys, time
from tinygrad_ce.io import atomic_write
if sys.argv[2] == "handler":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(7))
with atomic_write(sys.argv[1]) as f:
    f.write("partial")
    f.flush()
    print("writing", flush=True)
    time.sleep(30)
"""


@posix_only
def test_sigterm_during_a_write_leaves_no_temporary(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    children = {  # default handling: killed by the signal, as before; a Python handler: it runs
        handler: subprocess.Popen(
            [sys.executable, "-c", CHILD, str(tmp_path / f"{handler}.txt"), handler],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for handler in ("default", "handler")
    }
    try:
        for child in children.values():
            assert child.stdout is not None and child.stdout.readline() == "writing\n"
        assert len(temporaries(tmp_path)) == 2
        for child in children.values():
            child.send_signal(signal.SIGTERM)
        assert [child.wait(timeout=5) for child in children.values()] == [-signal.SIGTERM, 7]
    finally:
        for child in children.values():
            child.kill()
            child.wait()
            child.stdout.close()  # type: ignore[union-attr]
    assert temporaries(tmp_path) == [] and list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- IDX files
def idx_header(dims: tuple[int, ...], code: int = 0x08) -> bytes:
    return bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)


def test_load_idx_refuses_a_header_whose_size_overflows(tmp_path: Path) -> None:
    (tmp_path / "wrap.idx").write_bytes(idx_header((65536,) * 4))  # 2**64 bytes: 0 in int64
    with pytest.raises(ValueError, match=r"load_idx: .*wrap.idx: size 20 bytes does not match"):
        load_idx(tmp_path / "wrap.idx")


def test_load_idx_reads_gzip_only_as_far_as_the_header_declares(tmp_path: Path) -> None:
    (tmp_path / "long.gz").write_bytes(gzip.compress(idx_header((2, 2)) + bytes(2**25), 1))
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"long.gz: data size more than 16 bytes does not match"):
            load_idx(tmp_path / "long.gz")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**22  # the 32 MiB behind the header were never decompressed
    (tmp_path / "huge.gz").write_bytes(gzip.compress(idx_header((2**16, 2**16), 0x0E)))  # 32 GiB
    with pytest.raises(ValueError, match=r"huge.gz: the header declares 34359738380 bytes"):
        load_idx(tmp_path / "huge.gz")
