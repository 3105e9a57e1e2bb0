"""The training loop (`fit`), evaluation, training history, and checkpoints.

`fit` runs epochs of forward, backward and optimizer step over a loader of
`(X_batch, y_batch)` and records the mean loss and accuracy per epoch (train and,
optionally, validation) in a `History`. Checkpoints are one `.npz` (no pickle, written
atomically) with the keys "model.<name>", "optim.<key>", "sched.<key>" and "meta.<key>".
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from typing import IO, Any, NamedTuple

import numpy as np

from .autograd import no_grad
from .io import atomic_write
from .nn import Module, StateDictError
from .optim import LRScheduler, Optimizer
from .serialization import DEFAULT_MAX_BYTES, load, save
from .tensor import Tensor

LossFn = Callable[[Tensor, Any], Tensor]
CHECKPOINT_FORMAT = 1


# ----------------------------------------------------------------------------- files
def atomic_open(path: str | os.PathLike[str], mode: str = "w") -> contextlib.AbstractContextManager[IO[Any]]:
    """The old name of `tinygrad_ce.io.atomic_write`: a temporary file beside `path`
    ("w" text or "wb"), renamed over `path` when the block ends normally."""
    return atomic_write(path, mode)


# ----------------------------------------------------------------------------- history
@dataclass
class History:
    """Per-epoch means: train loss/accuracy, validation loss/accuracy (empty lists when
    there was no validation set) and the learning rate used in that epoch."""

    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    interrupted = False  # True when Ctrl-C stopped `fit` early; not a field, so never saved

    def __len__(self) -> int:
        return len(self.train_loss)

    def to_dict(self) -> dict[str, list[float]]:
        return {f.name: list(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, list[float]]) -> History:
        return cls(**{f.name: [float(v) for v in data.get(f.name, [])] for f in fields(cls)})

    def write_json(self, path: str | os.PathLike[str]) -> None:
        """Write `to_dict()` as JSON (atomically)."""
        with atomic_open(path) as f:
            json.dump(self.to_dict(), f, indent=1)

    @classmethod
    def read_json(cls, path: str | os.PathLike[str]) -> History:
        with open(path, encoding="utf-8") as f:
            try:
                return cls.from_dict(json.load(f))
            except (json.JSONDecodeError, TypeError, ValueError) as err:
                raise ValueError(f"History.read_json: {os.fspath(path)} is not a history: {err}") from None

    def write_csv(self, path: str | os.PathLike[str]) -> None:
        """One row per epoch: epoch, train_loss, train_accuracy, val_loss, val_accuracy, lr
        (validation cells empty when there was none). Written atomically."""
        columns = [f.name for f in fields(self)]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["epoch", *columns])
        for i in range(len(self)):
            values = [getattr(self, c) for c in columns]
            writer.writerow([i + 1, *(repr(v[i]) if i < len(v) else "" for v in values)])
        with atomic_open(path) as f:
            f.write(buffer.getvalue())


# ----------------------------------------------------------------------------- metrics
def accuracy(logits: Any, target: Any) -> float:
    """Fraction of rows whose argmax over the last axis equals the target: `logits`
    (N, C); `target` class indices (N,) or one-hot/probabilities (N, C). With one
    output column (N, 1), a logit > 0 predicts class 1."""
    scores = np.asarray(logits.data if isinstance(logits, Tensor) else logits)
    labels = np.asarray(target.data if isinstance(target, Tensor) else target)
    if labels.ndim == scores.ndim and scores.shape[-1] > 1:
        labels = labels.argmax(axis=-1)
    predicted = (scores[..., 0] > 0).astype(np.int64) if scores.shape[-1:] == (1,) else scores.argmax(axis=-1)
    if predicted.shape != labels.shape:
        raise ValueError(f"accuracy: logits of shape {scores.shape} do not fit targets {labels.shape}")
    return float((predicted == labels).mean()) if labels.size else math.nan


class Evaluation(NamedTuple):
    accuracy: float
    loss: float | None  # None when no loss function was given


def _batches(loader: Any) -> Iterable[Any]:
    """A loader, or one `(X, y)` pair of arrays taken as a single batch."""
    if isinstance(loader, tuple) and len(loader) == 2 and not isinstance(loader[0], tuple):
        return [loader]
    return loader


def _input(X: Any, dtype: np.dtype | None) -> Tensor:
    """A batch as a Tensor in the model's parameter dtype (no copy when it already is)."""
    if isinstance(X, Tensor):
        return X
    X = np.asarray(X)
    return Tensor(X, dtype=dtype if dtype is not None and X.dtype != dtype else None)


def _param_dtype(model: Module) -> np.dtype | None:
    first = next(model.parameters(), None)
    return None if first is None else first.data.dtype


def evaluate(model: Module, loader: Any, loss_fn: LossFn | None = None) -> Evaluation:
    """Accuracy (and mean loss per sample, when `loss_fn` is given) of `model` over a
    loader or one `(X, y)` pair, in eval mode and without recording a graph. The
    model's train/eval mode is restored afterwards."""
    was_training, dtype = model.training, _param_dtype(model)
    correct, total_loss, count = 0.0, 0.0, 0
    model.eval()
    try:
        with no_grad():
            for X, y, *_ in _batches(loader):
                logits = model(_input(X, dtype))
                n = len(y)
                correct += accuracy(logits, y) * n
                if loss_fn is not None:
                    total_loss += loss_fn(logits, y).item() * n
                count += n
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("evaluate: the loader yielded no samples")
    return Evaluation(correct / count, total_loss / count if loss_fn is not None else None)


def predict(model: Module, X: Any, batch_size: int = 4096) -> np.ndarray:
    """The model's outputs (logits) for X as an ndarray, in eval mode, without a graph."""
    was_training, dtype = model.training, _param_dtype(model)
    model.eval()
    try:
        with no_grad():
            starts = range(0, len(X), batch_size)
            return np.concatenate([model(_input(X[i : i + batch_size], dtype)).data for i in starts])
    finally:
        model.train(was_training)


# ----------------------------------------------------------------------------- fit
def fit(
    model: Module,
    loss_fn: LossFn,
    optimizer: Optimizer,
    train_loader: Iterable[Any],
    epochs: int,
    val_loader: Any = None,
    progress: bool = True,
    scheduler: LRScheduler | None = None,
    callback: Callable[[int, History], Any] | None = None,
    log_every: int | None = None,
) -> History:
    """Train `model` for `epochs` passes over `train_loader` and return the History.

    `train_loader` is a re-iterable of `(X, y)` batches (a DataLoader, a list) or one
    `(X, y)` pair of arrays (full-batch training). Each batch: `loss = loss_fn(model(X),
    y)` (a mean over the batch), `zero_grad`, `backward`, `optimizer.step()`. Train
    loss/accuracy are the means over the epoch's batches (weighted by batch size) as the
    model trains; validation runs after each epoch with `evaluate`. `scheduler.step()`
    runs once per epoch. `callback(epoch, history)` runs after each epoch; returning True
    stops training. Progress: a tqdm bar when tqdm is installed and stdout is a terminal,
    else a line every `log_every` epochs (default: about 20 lines in all);
    `progress=False` prints nothing. Arguments of the wrong kind are a TypeError or
    ValueError naming the argument, raised before any training.

    Ctrl-C (KeyboardInterrupt) stops training: fit returns the History of the epochs
    that completed, with `history.interrupted` True. Nothing is rolled back, so the
    model and optimizer hold the half-done epoch's updates; to keep the state of the
    last completed epoch, copy it in `callback` (as `tinygrad-ce train` does). A loss
    that is not finite raises FloatingPointError (try a smaller learning rate)."""
    _check_fit_arguments(model, loss_fn, optimizer, train_loader, epochs, val_loader, scheduler,
                         callback, log_every)
    history, dtype = History(), _param_dtype(model)
    bar = _progress_bar(epochs) if progress else None
    every = log_every or max(1, math.ceil(epochs / 20))
    started, completed = time.perf_counter(), 0
    try:
        for epoch in range(1, epochs + 1):
            _run_epoch(model, loss_fn, optimizer, train_loader, val_loader, scheduler, history, dtype, epoch)
            completed = epoch
            if bar is not None:
                bar.set_postfix_str(_epoch_summary(history, short=True))
                bar.update(1)
            elif progress and (epoch % every == 0 or epoch in (1, epochs)):
                elapsed = time.perf_counter() - started
                line = f"epoch {epoch:>{len(str(epochs))}}/{epochs}  {_epoch_summary(history)}"
                print(f"{line}  [{elapsed:.1f}s]", flush=True)
            if callback is not None and callback(epoch, history):
                break
    except KeyboardInterrupt:
        _keep_epochs(history, completed)  # drop a half-recorded epoch
        history.interrupted = True
    finally:
        if bar is not None:
            bar.close()
    return history


def _describe(value: Any) -> str:
    """`value` for an error message: its type and its repr, cut to 60 characters."""
    text = repr(value)
    text = text if len(text) <= 60 else text[:57] + "..."
    return "None" if value is None else f"{type(value).__name__} {text}"


def _check_loader(name: str, loader: Any, epochs: int) -> None:
    """A loader must be a re-iterable of batches or one (X, y) pair."""
    if isinstance(loader, tuple) and len(loader) == 2 and not isinstance(loader[0], tuple):
        return  # one (X, y) pair: a single batch
    try:
        iterator = iter(loader)
    except TypeError:
        message = f"fit: {name} must be a loader of (X, y) batches (e.g. a DataLoader) or one (X, y) pair"
        raise TypeError(f"{message}, got {_describe(loader)}") from None
    if iterator is loader and epochs > 1:
        raise ValueError(f"fit: {name} is a one-shot iterator ({type(loader).__name__}), empty after the "
                         "first epoch; pass a DataLoader or a list of batches")


def _check_count(name: str, value: Any) -> None:
    """`value` must be a positive int (numpy ints too, bools not)."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise TypeError(f"fit: {name} must be a positive integer, got {_describe(value)}")
    if value < 1:
        raise ValueError(f"fit: {name} must be a positive integer, got {value!r}")


def _has_methods(obj: Any, *names: str) -> bool:
    return all(callable(getattr(obj, name, None)) for name in names)


def _check_fit_arguments(model: Any, loss_fn: Any, optimizer: Any, train_loader: Any, epochs: Any,
                         val_loader: Any, scheduler: Any, callback: Any, log_every: Any) -> None:
    """Refuse arguments of the wrong kind up front, naming the argument and the value."""
    wanted = [
        ("model", model, callable(model) and _has_methods(model, "parameters", "train"),
         "a Module (callable, with parameters() and train())"),
        ("loss_fn", loss_fn, callable(loss_fn), "callable as loss_fn(logits, y)"),
        ("optimizer", optimizer, _has_methods(optimizer, "zero_grad", "step") and hasattr(optimizer, "lr"),
         "an Optimizer (with zero_grad(), step() and lr)"),
        ("scheduler", scheduler, scheduler is None or _has_methods(scheduler, "step"),
         "an LRScheduler (with step()) or None"),
        ("callback", callback, callback is None or callable(callback),
         "callable as callback(epoch, history), or None"),
    ]
    for name, value, ok, what in wanted:
        if not ok:
            raise TypeError(f"fit: {name} must be {what}, got {_describe(value)}")
    _check_count("epochs", epochs)
    if log_every is not None:
        _check_count("log_every", log_every)
    _check_loader("train_loader", train_loader, int(epochs))
    if val_loader is not None:
        _check_loader("val_loader", val_loader, int(epochs))


def _run_epoch(model: Module, loss_fn: LossFn, optimizer: Optimizer, train_loader: Any, val_loader: Any,
               scheduler: LRScheduler | None, history: History, dtype: np.dtype | None, epoch: int) -> None:
    """Train one epoch, validate, step the scheduler, and append the epoch to `history`."""
    loss, acc = _train_epoch(model, loss_fn, optimizer, train_loader, dtype)
    if not math.isfinite(loss):
        raise FloatingPointError(f"fit: the training loss is {loss} in epoch {epoch}; lower the lr?")
    history.train_loss.append(loss)
    history.train_accuracy.append(acc)
    history.lr.append(optimizer.lr)
    if val_loader is not None:
        result = evaluate(model, val_loader, loss_fn)
        history.val_accuracy.append(result.accuracy)
        history.val_loss.append(result.loss)
    if scheduler is not None:
        scheduler.step()


def _keep_epochs(history: History, epochs: int) -> None:
    """Cut every list of `history` to its first `epochs` entries."""
    for f in fields(history):
        del getattr(history, f.name)[epochs:]


def _train_epoch(model: Module, loss_fn: LossFn, optimizer: Optimizer, loader: Iterable[Any],
                 dtype: np.dtype | None) -> tuple[float, float]:
    """One pass over `loader` in train mode; the mean loss and accuracy per sample."""
    model.train()
    total_loss, correct, count = 0.0, 0.0, 0
    for batch in _batches(loader):
        if not isinstance(batch, (tuple, list)) or len(batch) < 2:
            raise TypeError(f"fit: train_loader must yield (X, y) batches, got {_describe(batch)}")
        X, y = batch[0], batch[1]
        logits = model(_input(X, dtype))
        loss = loss_fn(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        n = len(y)
        total_loss += loss.item() * n
        correct += accuracy(logits, y) * n
        count += n
    if count == 0:
        raise ValueError("fit: the training loader yielded no batches")
    return total_loss / count, correct / count


def _epoch_summary(history: History, short: bool = False) -> str:
    """The last epoch's numbers: a progress line, or (short) a tqdm postfix."""
    loss, acc = history.train_loss[-1], history.train_accuracy[-1]
    if short:
        val = f" val_acc {history.val_accuracy[-1]:.3f}" if history.val_accuracy else ""
        return f"loss {loss:.4f} acc {acc:.3f}{val}"
    text = f"loss {loss:.4f}  acc {acc:.4f}"
    if history.val_accuracy:
        text += f"  val_loss {history.val_loss[-1]:.4f}  val_acc {history.val_accuracy[-1]:.4f}"
    return text


def _progress_bar(epochs: int) -> Any:
    """A tqdm bar over epochs, or None when tqdm is missing or stdout is not a terminal."""
    if not sys.stdout.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    size = shutil.get_terminal_size()  # (80, 24) where the terminal reports 0 x 0, which hides tqdm's bar
    return tqdm(total=epochs, unit="epoch", file=sys.stdout, ncols=size.columns, nrows=size.lines)


# ----------------------------------------------------------------------------- checkpoints
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
    sections["meta"].pop("entries", None)
    return {k: (v.item() if v.ndim == 0 else v) for k, v in sections["meta"].items()}
