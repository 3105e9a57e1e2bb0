"""Safe files: the package's one atomic write, and opening only regular files for reading.

`atomic_write(path)` yields a file object on a temporary file beside `path`; when the
block ends normally the data is flushed, fsynced and `os.replace`d over `path`, so a
reader sees the old file or the new one, never half of one. `atomic_path(path)` does the
same for tools that write by name (matplotlib's `savefig`, Graphviz's `dot -o`).

Temporary files are named `.<basename>.tmp-<pid>-<random>`. One is removed when the
block raises (KeyboardInterrupt included), at interpreter exit, and on SIGTERM while a
write is in progress in the main thread (then the process still ends as it would have
without us). Each new write of a target first removes that target's temporaries left
by dead processes, or by this process but no longer in use. Written files get the usual
mode (0o666 & ~umask, so 0644 under umask 022); a file that already exists keeps its mode.

This module imports nothing from the rest of tinygrad_ce.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import secrets
import signal
import stat
import threading
from collections.abc import Iterator
from typing import IO, Any

__all__ = ["atomic_write", "atomic_path", "open_regular_file", "TEMP_MARK"]

TEMP_MARK = ".tmp-"
"""What every temporary file's name contains: `.<basename>.tmp-<pid>-<random>`."""

_LOCK = threading.RLock()
_LIVE: set[str] = set()  # absolute paths of the temporaries of writes in progress
# main-thread writes in progress, the handler we replaced
_SIGTERM: dict[str, Any] = {"depth": 0, "previous": None}


# ----------------------------------------------------------------------------- temporaries
def _temp_name(target: str) -> str:
    """A fresh temporary path beside `target`, recognisable per target and per process."""
    directory, base = os.path.split(target)
    return os.path.join(directory, f".{base}{TEMP_MARK}{os.getpid()}-{secrets.token_hex(4)}")


def _pid_alive(pid: int) -> bool:
    """Whether process `pid` exists (assumed so where that cannot be asked safely)."""
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, and belongs to someone else
        return True
    return True


def _remove_stale(target: str) -> None:
    """Remove temporaries of `target` left by dead processes, or by this one but not in use."""
    directory, base = os.path.split(target)
    pattern = re.compile(re.escape(f".{base}{TEMP_MARK}") + r"(\d+)-[0-9a-f]+")
    try:
        entries = [e for e in os.scandir(directory or ".") if pattern.fullmatch(e.name)]
    except OSError:
        return
    for entry in entries:
        pid = int(pattern.fullmatch(entry.name).group(1))  # type: ignore[union-attr]
        stale = entry.path not in _LIVE if pid == os.getpid() else not _pid_alive(pid)
        if stale and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def _remove_live() -> None:
    """Remove the temporaries of every write in progress (at exit, or on SIGTERM)."""
    with _LOCK:
        for tmp in list(_LIVE):
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            _LIVE.discard(tmp)


atexit.register(_remove_live)


# ----------------------------------------------------------------------------- SIGTERM
def _on_sigterm(signum: int, frame: Any) -> None:
    """Clean up, then do what the replaced handler would have done."""
    previous = _SIGTERM["previous"]
    if callable(previous):  # it may raise (SystemExit...): the write's own cleanup runs then
        previous(signum, frame)
        return
    _remove_live()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)  # die by the signal, as the default handler does
    raise SystemExit(128 + signum)  # only where the signal did not end the process


@contextlib.contextmanager
def _sigterm_guard() -> Iterator[None]:
    """While the block runs in the main thread, SIGTERM removes live temporaries first."""
    if not hasattr(signal, "SIGTERM") or threading.current_thread() is not threading.main_thread():
        yield
        return
    with _LOCK:
        if _SIGTERM["depth"] == 0:
            previous = signal.getsignal(signal.SIGTERM)
            if previous is not signal.SIG_IGN:
                _SIGTERM["previous"] = previous
                signal.signal(signal.SIGTERM, _on_sigterm)
        _SIGTERM["depth"] += 1
    try:
        yield
    finally:
        with _LOCK:
            _SIGTERM["depth"] -= 1
            if _SIGTERM["depth"] == 0 and signal.getsignal(signal.SIGTERM) is _on_sigterm:
                previous = _SIGTERM["previous"]
                signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


# ----------------------------------------------------------------------------- atomic writes
def _fsync_directory(directory: str) -> None:
    """Make the rename durable (POSIX); silently skipped where directories cannot be opened."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory or ".", os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def _temporary(path: str | os.PathLike[str]) -> Iterator[tuple[str, int]]:
    """(temporary path, open fd) beside `path`; the caller fills it and closes the fd.
    On success the temporary is fsynced and replaces `path`; on any exception it is removed."""
    target = os.path.abspath(os.fspath(path))
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None
    with _sigterm_guard():
        with _LOCK:
            _remove_stale(target)
            tmp = _temp_name(target)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
            _LIVE.add(tmp)  # the kernel applied the umask to 0o666: the usual mode
        try:
            yield tmp, fd
            with open(tmp, "rb+") as f:  # the writer may have used the name, not our fd
                os.fsync(f.fileno())
            if mode is not None:  # after the fsync: the kept mode may be read-only
                os.chmod(tmp, mode)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        finally:
            with _LOCK:
                _LIVE.discard(tmp)
    _fsync_directory(os.path.dirname(target))


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside `path` for writing: mode "w" (text, UTF-8,
    newline="") or "wb". When the block ends normally it is fsynced and renamed over
    `path`; if the block raises, `path` is untouched and the temporary is removed."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write: mode must be 'w' or 'wb', got mode={mode!r}")
    options: dict[str, Any] = {} if mode == "wb" else {"encoding": "utf-8", "newline": ""}
    with _temporary(path) as (_, fd), open(fd, mode, **options) as f:
        yield f
        f.flush()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[str]:
    """Yield the name of an empty temporary file beside `path`, for a tool that writes by
    name (`fig.savefig(name)`, `dot -o name`); it replaces `path` when the block ends
    normally, and is removed if the block raises."""
    with _temporary(path) as (tmp, fd):
        os.close(fd)
        yield tmp


# ----------------------------------------------------------------------------- reading
def _kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def open_regular_file(path: str | os.PathLike[str], who: str) -> tuple[IO[bytes], int]:
    """Open `path` for binary reading and return (file, size in bytes), refusing anything
    that is not a regular file (a FIFO would block, a device never ends) with a ValueError
    naming `who` and the path; such a file is never opened. FileNotFoundError stays."""
    name = os.fspath(path)
    mode = os.stat(name).st_mode
    if not stat.S_ISREG(mode):
        raise ValueError(f"{who}: {name!r} is {_kind(mode)}, not a regular file")
    fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    info = os.fstat(fd)  # it may have been swapped between the stat and the open
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise ValueError(f"{who}: {name!r} is {_kind(info.st_mode)}, not a regular file")
    return os.fdopen(fd, "rb"), info.st_size
