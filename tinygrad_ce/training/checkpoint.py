"""Checkpoints: one `.npz` (no pickle, written atomically) with the keys "model.<name>",
"optim.<key>", "sched.<key>" and "meta.<key>"."""

from __future__ import annotations

import contextlib
import os
from typing import IO, Any

import numpy as np

from ..io import atomic_write
from ..nn import Module, StateDictError
from ..optim import LRScheduler, Optimizer
from ..serialization import DEFAULT_MAX_BYTES, load, save

CHECKPOINT_FORMAT = 1


def atomic_open(path: str | os.PathLike[str], mode: str = "w") -> contextlib.AbstractContextManager[IO[Any]]:
    """The old name of `tinygrad_ce.io.atomic_write`: a temporary file beside `path`
    ("w" text or "wb"), renamed over `path` when the block ends normally."""
    return atomic_write(path, mode)


def save_checkpoint(
    path: str | os.PathLike[str],
    model: Module,
    optimizer: Optimizer | None = None,
    epoch: int | None = None,
    step: int | None = None,
    scheduler: LRScheduler | None = None,
    **extra: Any,
) -> None:
    """Write the model's (and optionally the optimizer's and scheduler's) state plus
    metadata (`epoch`, `step`, and `extra` numbers, strings or arrays) to one `.npz`.
    The write is atomic: a crash mid-save leaves any previous file intact."""
    state: dict[str, Any] = {f"model.{k}": v for k, v in model.state_dict().items()}
    if optimizer is not None:
        state.update({f"optim.{k}": v for k, v in optimizer.state_dict().items()})
    if scheduler is not None:
        state.update({f"sched.{k}": v for k, v in scheduler.state_dict().items()})
    meta = {"format": CHECKPOINT_FORMAT, "epoch": epoch, "step": step, **extra}
    state.update({f"meta.{k}": v for k, v in meta.items() if v is not None})
    state["meta.entries"] = len(state) + 1  # lets load notice entries lost to a damaged zip directory
    save(state, path)


def read_checkpoint(
    path: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES
) -> dict[str, np.ndarray]:
    """All entries of a checkpoint file ({"model.0.weight": ndarray, ...}), checked to be
    a complete tinygrad_ce checkpoint; anything else is a ValueError naming the file.
    Files whose arrays total more than `max_bytes` are refused before reading (see `load`)."""
    name = os.fspath(path)
    try:
        state = load(name, max_bytes=max_bytes)  # corrupt or truncated files: ValueError naming the file
    except NotImplementedError as err:  # zipfile's answer to some damaged headers
        raise ValueError(f"load_checkpoint: {name!r} is not a readable checkpoint (.npz): {err}") from None
    if "meta.format" not in state:
        raise ValueError(f"load_checkpoint: {name!r} is not a tinygrad_ce checkpoint (no meta.format entry)")
    expected = int(state.get("meta.entries", len(state)))
    if expected != len(state):
        raise ValueError(f"load_checkpoint: {name!r} is damaged: {len(state)} of {expected} entries readable")
    return state


def load_checkpoint(
    path: str | os.PathLike[str],
    model: Module,
    optimizer: Optimizer | None = None,
    scheduler: LRScheduler | None = None,
    strict: bool = True,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> dict[str, Any]:
    """Restore a checkpoint written by `save_checkpoint` into `model` (and `optimizer`,
    `scheduler` when given) and return its metadata ({"epoch": ..., "step": ...,
    extras}; numbers and strings as Python values). A file that is not a readable
    checkpoint, state that does not fit, or arrays totalling more than `max_bytes`
    (default 1 GiB, see `tinygrad_ce.load`) is a ValueError naming the file; nothing is
    changed in that case."""
    name = os.fspath(path)
    state = read_checkpoint(name, max_bytes=max_bytes)
    sections: dict[str, dict[str, Any]] = {"model": {}, "optim": {}, "sched": {}, "meta": {}}
    for key, value in state.items():
        section, _, rest = key.partition(".")
        if section in sections:
            sections[section][rest] = value
    for wanted, section in ((optimizer, "optim"), (scheduler, "sched")):
        if wanted is not None and not sections[section]:
            raise ValueError(f"load_checkpoint: {name!r} holds no {section} state")
    _restore(name, sections, model, optimizer, scheduler, strict)
    sections["meta"].pop("entries", None)
    return {k: (v.item() if v.ndim == 0 else v) for k, v in sections["meta"].items()}


def _restore(
    name: str,
    sections: dict[str, dict[str, Any]],
    model: Module,
    optimizer: Optimizer | None,
    scheduler: LRScheduler | None,
    strict: bool,
) -> None:
    """Load each section into its object; on any failure put every object back as it was."""
    backups = [(obj, obj.state_dict()) for obj in (model, optimizer, scheduler) if obj is not None]
    try:
        model.load_state_dict(sections["model"], strict=strict)
        if optimizer is not None:
            optimizer.load_state_dict(sections["optim"])
        if scheduler is not None:
            scheduler.load_state_dict(sections["sched"])
    except (StateDictError, ValueError, KeyError) as err:
        for obj, backup in backups:
            obj.load_state_dict(backup)
        message = str(err.args[0]) if isinstance(err, KeyError) else str(err)
        raise ValueError(f"load_checkpoint: {name!r}: {message}") from None
