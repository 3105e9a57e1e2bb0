"""The training loop (`fit`); evaluation (`evaluate`, `predict`, `accuracy`) is in `evaluate`.

`fit` runs epochs of forward, backward and optimizer step over a loader of `(X_batch,
y_batch)` and records the mean loss and accuracy per epoch (train and, optionally,
validation) in a `History`. Other loops are built on it with its hooks:

- `on_step(step)` runs after each `loss.backward()` and before `optimizer.step()`, with a
  `StepInfo` (the batch, its logits and loss; the parameters' `.grad` are this batch's);
- `callback(epoch, history)` runs after each epoch (returning True stops training);
- `forward(model, X)` makes a batch's logits, for inputs that are not one array.

The minibatch order is the loader's: any re-iterable of batches will do (a `DataLoader`
with its own seed, a list).
"""

from __future__ import annotations

import math
import shutil
import sys
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from typing import Any, cast

import numpy as np

from ..nn import Module
from ..optim import LRScheduler, Optimizer, ReduceLROnPlateau
from ..tensor import Tensor
from ..traced import jit as _jit
from .evaluate import (
    LossFn,
    _batches,
    _input,
    _param_dtype,
    _samples,
    accuracy,
    evaluate,
)
from .history import History


# ----------------------------------------------------------------------------- fit
@dataclass(frozen=True)
class StepInfo:
    """What `fit`'s `on_step` hook sees, after `loss.backward()` and before
    `optimizer.step()`: the parameters' `.grad` hold this batch's gradients."""

    epoch: int  # from 1
    step: int  # from 1, counted over the whole run
    X: Any  # the batch's inputs and targets, as the loader gave them
    y: Any
    logits: Tensor
    loss: Tensor


@dataclass
class _Loop:
    """What every step of one `fit` call needs."""

    model: Module
    loss_fn: LossFn
    optimizer: Optimizer
    forward: Callable[[Module, Any], Tensor] | None
    on_step: Callable[[StepInfo], Any] | None
    dtype: np.dtype | None
    steps: int = 0
    jitted: Any = None  # with fit(jit=True): the traced step (X, y) -> (logits, loss)

    def logits(self, X: Any) -> Tensor:
        if self.forward is not None:
            return self.forward(self.model, X)
        return self.model(_input(X, self.dtype))


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
    *,
    on_step: Callable[[StepInfo], Any] | None = None,
    forward: Callable[[Module, Any], Tensor] | None = None,
    check_finite: bool = True,
    jit: bool = False,
) -> History:
    """Train `model` for `epochs` passes over `train_loader` and return the History.

    `train_loader` is a re-iterable of `(X, y)` batches (a DataLoader, a list) or one
    `(X, y)` pair of arrays (full-batch training). Each batch: `loss = loss_fn(model(X),
    y)` (a mean over the batch), `zero_grad`, `backward`, `on_step(StepInfo)` when given,
    `optimizer.step()`. `forward(model, X)`, when given, replaces `model(X)` (X is then
    passed as the loader gave it, not made a Tensor). Train loss/accuracy are the means
    over the epoch's batches (weighted by batch size) as the model trains; validation
    runs after each epoch with `evaluate`. `scheduler.step()` runs once per epoch.
    `callback(epoch, history)` runs after each epoch; returning True stops training.
    Progress: a `tqdm.auto` bar when tqdm is installed and stdout is a terminal or a
    Jupyter notebook (a widget there), else (a pipe, a file) a line every `log_every`
    epochs (default: about 20 lines in all); `progress=False` prints
    nothing. Arguments of the wrong kind are a TypeError or ValueError naming the
    argument, raised before any training.

    Ctrl-C (KeyboardInterrupt) stops training: fit returns the History of the epochs
    that completed, with `history.interrupted` True. Nothing is rolled back, so the
    model and optimizer hold the half-done epoch's updates; to keep the state of the
    last completed epoch, copy it in `callback` (as `tinygrad-ce train` does). A loss
    that is not finite raises FloatingPointError (try a smaller learning rate), unless
    `check_finite` is False. `jit=True` runs each step through `tinygrad_ce.jit` (traced
    once per batch shape, then replayed: same numbers, less Python; no `on_step` then)."""
    _check_fit_arguments(
        dict(
            model=model,
            loss_fn=loss_fn,
            optimizer=optimizer,
            scheduler=scheduler,
            callback=callback,
            on_step=on_step,
            forward=forward,
            check_finite=check_finite,
            epochs=epochs,
            log_every=log_every,
            train_loader=train_loader,
            val_loader=val_loader,
        )
    )
    loop = _Loop(model, loss_fn, optimizer, forward, on_step, _param_dtype(model))
    if not isinstance(jit, (bool, np.bool_)):
        raise TypeError(f"fit: jit must be True or False, got {_describe(jit)}")
    if jit and on_step is not None:
        raise ValueError("fit: on_step runs Python between backward and step, which jit=True cannot replay")
    if jit:
        loop.jitted = _jit(lambda X, y: _step(loop, X, y))
    history = History()
    bar = _progress_bar(epochs) if progress else None
    show = _progress_printer(epochs, log_every, bar) if progress else None
    completed = 0
    try:
        for epoch in range(1, epochs + 1):
            _run_epoch(loop, train_loader, val_loader, scheduler, history, epoch, check_finite)
            completed = epoch
            if show is not None:
                show(epoch, history)
            if callback is not None and callback(epoch, history):
                break
    except KeyboardInterrupt:
        _keep_epochs(history, completed)  # drop a half-recorded epoch
        history.interrupted = True
    finally:
        if bar is not None:
            bar.close()
    return history


def _progress_printer(epochs: int, log_every: int | None, bar: Any) -> Callable[[int, History], None]:
    """What reports an epoch: the tqdm bar's postfix, else a line every `log_every` epochs."""
    every = log_every or max(1, math.ceil(epochs / 20))
    started = time.perf_counter()

    def show(epoch: int, history: History) -> None:
        if bar is not None:
            bar.set_postfix_str(_epoch_summary(history, short=True))
            bar.update(1)
        elif epoch % every == 0 or epoch in (1, epochs):
            elapsed = time.perf_counter() - started
            line = f"epoch {epoch:>{len(str(epochs))}}/{epochs}  {_epoch_summary(history)}"
            print(f"{line}  [{elapsed:.1f}s]", flush=True)

    return show


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
        raise ValueError(
            f"fit: {name} is a one-shot iterator ({type(loader).__name__}), empty after the "
            "first epoch; pass a DataLoader or a list of batches"
        )


def _check_count(name: str, value: Any) -> None:
    """`value` must be a positive int (numpy ints too, bools not)."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise TypeError(f"fit: {name} must be a positive integer, got {_describe(value)}")
    if value < 1:
        raise ValueError(f"fit: {name} must be a positive integer, got {value!r}")


def _has_methods(obj: Any, *names: str) -> bool:
    return all(callable(getattr(obj, name, None)) for name in names)


def _optional_callable(value: Any) -> bool:
    return value is None or callable(value)


# per argument of fit: is its value acceptable, and what it must be (the error says so)
_FIT_ARGUMENTS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "model": (
        lambda v: callable(v) and _has_methods(v, "parameters", "train"),
        "a Module (callable, with parameters() and train())",
    ),
    "loss_fn": (callable, "callable as loss_fn(logits, y)"),
    "optimizer": (
        lambda v: _has_methods(v, "zero_grad", "step") and hasattr(v, "lr"),
        "an Optimizer (with zero_grad(), step() and lr)",
    ),
    "scheduler": (lambda v: v is None or _has_methods(v, "step"), "an LRScheduler (with step()) or None"),
    "callback": (_optional_callable, "callable as callback(epoch, history), or None"),
    "on_step": (_optional_callable, "callable as on_step(step_info), or None"),
    "forward": (_optional_callable, "callable as forward(model, X), or None"),
    "check_finite": (lambda v: isinstance(v, (bool, np.bool_)), "True or False"),
}


def _check_fit_arguments(args: dict[str, Any]) -> None:
    """Refuse arguments of the wrong kind up front, naming the argument and the value."""
    for name, (ok, what) in _FIT_ARGUMENTS.items():
        if not ok(args[name]):
            raise TypeError(f"fit: {name} must be {what}, got {_describe(args[name])}")
    _check_count("epochs", args["epochs"])
    if args["log_every"] is not None:
        _check_count("log_every", args["log_every"])
    _check_loader("train_loader", args["train_loader"], int(args["epochs"]))
    if args["val_loader"] is not None:
        _check_loader("val_loader", args["val_loader"], int(args["epochs"]))


def _run_epoch(
    loop: _Loop,
    train_loader: Any,
    val_loader: Any,
    scheduler: LRScheduler | None,
    history: History,
    epoch: int,
    check_finite: bool,
) -> None:
    """Train one epoch, validate, step the scheduler, and append the epoch to `history`."""
    loss, acc = _train_epoch(loop, train_loader, epoch)
    if check_finite and not math.isfinite(loss):
        raise FloatingPointError(f"fit: the training loss is {loss} in epoch {epoch}; lower the lr?")
    history.train_loss.append(loss)
    history.train_accuracy.append(acc)
    history.lr.append(loop.optimizer.lr)
    if val_loader is not None:
        result = evaluate(loop.model, val_loader, loop.loss_fn)
        history.val_accuracy.append(result.accuracy)
        history.val_loss.append(cast(float, result.loss))  # (a loss_fn was given)
    if isinstance(scheduler, ReduceLROnPlateau):  # it steps on a metric: the val loss, else the train loss
        scheduler.step(history.val_loss[-1] if val_loader is not None else loss)
    elif scheduler is not None:
        scheduler.step()


def _keep_epochs(history: History, epochs: int) -> None:
    """Cut every list of `history` to its first `epochs` entries."""
    for f in fields(history):
        del getattr(history, f.name)[epochs:]


def _train_epoch(loop: _Loop, loader: Iterable[Any], epoch: int) -> tuple[float, float]:
    """One pass over `loader` in train mode; the mean loss and accuracy per sample."""
    loop.model.train()
    total_loss, correct, count = 0.0, 0.0, 0
    for batch in _batches(loader):
        if not isinstance(batch, (tuple, list)) or len(batch) < 2:
            raise TypeError(f"fit: train_loader must yield (X, y) batches, got {_describe(batch)}")
        X, y = batch[0], batch[1]
        loop.steps += 1
        if loop.jitted is not None:
            logits, loss = loop.jitted(X, y)
        else:
            logits, loss = _step(loop, X, y, epoch)
        n = _samples(y)
        total_loss += loss.item() * n
        correct += accuracy(logits, y) * n
        count += n
    if count == 0:
        raise ValueError("fit: the training loader yielded no batches")
    return total_loss / count, correct / count


def _step(loop: _Loop, X: Any, y: Any, epoch: int = 0) -> tuple[Tensor, Tensor]:
    """One training step on a batch: logits, loss, zero_grad, backward, on_step, step."""
    logits = loop.logits(X)
    loss = loop.loss_fn(logits, y)
    loop.optimizer.zero_grad()
    loss.backward()
    if loop.on_step is not None:
        loop.on_step(StepInfo(epoch, loop.steps, X, y, logits, loss))
    loop.optimizer.step()
    return logits, loss


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


def _in_notebook() -> bool:
    """True inside a Jupyter kernel, whose stdout is not a terminal but shows a tqdm bar."""
    ipython = sys.modules.get("IPython")  # never imported here: only looked up
    try:
        shell = ipython.get_ipython() if ipython is not None else None
        return shell is not None and "IPKernelApp" in shell.config
    except Exception:  # an IPython too old or too odd to ask: no notebook bar
        return False


def _progress_bar(epochs: int) -> Any:
    """A `tqdm.auto` bar over epochs: a widget in Jupyter (a text bar there without
    ipywidgets), a text bar in a terminal; None when tqdm is missing or stdout is a pipe
    or a file, where `fit` prints a few plain lines instead."""
    notebook = _in_notebook()
    if not notebook and not sys.stdout.isatty():
        return None
    try:
        with warnings.catch_warnings():  # tqdm.auto warns when ipywidgets is missing, then falls back
            warnings.simplefilter("ignore")
            from tqdm.auto import tqdm
    except ImportError:
        return None
    if notebook:
        return tqdm(total=epochs, unit="epoch")
    size = shutil.get_terminal_size()  # (80, 24) where the terminal reports 0 x 0, which hides tqdm's bar
    return tqdm(total=epochs, unit="epoch", file=sys.stdout, ncols=size.columns, nrows=size.lines)
