"""Shared pieces of the training subcommands: arguments, datasets, models, optimizers,
losses, the train-and-save pipeline and the plots. Other subcommands can reuse them
(e.g. `model_from_checkpoint` to rebuild a trained model)."""
from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..cli import CommandError

DATASETS = ("spiral", "moons", "blobs", "digits", "mnist")
DEFAULT_EPOCHS = {"spiral": 150, "moons": 60, "blobs": 30, "digits": 30, "mnist": 5}
DEFAULT_LR = {"sgd": 0.1, "adam": 0.01}


# ----------------------------------------------------------------------------- arguments
def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def hidden_sizes(text: str) -> list[int]:
    """"64,64" -> [64, 64]; "" or "none" -> [] (a linear model)."""
    if text.strip().lower() in ("", "none"):
        return []
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        message = f"expected comma-separated layer sizes like 64,64, got {text!r}"
        raise argparse.ArgumentTypeError(message) from None
    if any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be positive, got {text!r}")
    return sizes


def add_training_arguments(
    parser: argparse.ArgumentParser, dataset: str | None = "spiral", out: str = ""
) -> None:
    """The options of `tinygrad-ce train` (the demo uses the same ones, fewer shown)."""
    if dataset is None:
        parser.add_argument("--dataset", choices=DATASETS, default="spiral", help="default: spiral")
    else:
        parser.set_defaults(dataset=dataset)
    parser.add_argument("--data-dir", help="directory of the MNIST IDX files (--dataset mnist)")
    parser.add_argument("--classes", type=positive_int, default=3, help="spiral/blobs classes (default 3)")
    parser.add_argument("--samples", type=positive_int, default=None,
                        help="synthetic samples per class (spiral, default 100) or in all (moons/blobs, 300)")
    parser.add_argument("--hidden", type=hidden_sizes, default=[64, 64],
                        help="hidden layer sizes (default 64,64)")
    parser.add_argument("--activation", choices=("relu", "tanh", "sigmoid"), default="relu")
    parser.add_argument("--epochs", type=positive_int, default=None, help="default depends on the dataset")
    parser.add_argument("--batch-size", type=positive_int, default=32)
    parser.add_argument("--lr", type=positive_float, default=None, help="default 0.01 (adam) or 0.1 (sgd)")
    parser.add_argument("--optimizer", choices=("sgd", "adam"), default="adam")
    parser.add_argument("--momentum", type=float, default=0.9, help="SGD momentum (default 0.9)")
    parser.add_argument("--weight-decay", type=float, default=0.0)
    parser.add_argument("--loss", choices=("fused", "unfused", "mse"), default="fused",
                        help="fused or unfused softmax cross-entropy, or MSE on softmax outputs")
    parser.add_argument("--val-fraction", type=float, default=0.2,
                        help="fraction held out for validation (default 0.2)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=out, help=f"output directory (default {out})")
    parser.add_argument("--quiet", action="store_true", help="no per-epoch progress")


# ----------------------------------------------------------------------------- data
@dataclass
class DataSplit:
    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    classes: int

    @property
    def features(self) -> int:
        return int(self.X_train.shape[1])


def load_dataset(args: argparse.Namespace) -> DataSplit:
    """The dataset named by `args.dataset`, split into train and validation."""
    from .. import data

    name, seed, samples = args.dataset, args.seed, args.samples
    if name == "mnist":
        if not args.data_dir:
            raise CommandError("--dataset mnist needs --data-dir DIR (with the four MNIST IDX files)")
        X_train, y_train, X_val, y_val = data.load_mnist(args.data_dir)
        return DataSplit(name, X_train, y_train, X_val, y_val, int(max(y_train.max(), y_val.max())) + 1)
    if name == "spiral":
        X, y = data.spiral(samples or 100, classes=args.classes, seed=seed)
    elif name == "moons":
        X, y = data.moons(samples or 300, noise=0.2, seed=seed)
    elif name == "blobs":
        X, y = data.blobs(samples or 300, centers=args.classes, std=1.5, seed=seed)
    else:
        try:
            X, y = data.load_digits()
        except ImportError as err:
            raise CommandError(str(err)) from None
    if not 0 < args.val_fraction < 1:
        raise CommandError(f"--val-fraction must be between 0 and 1, got {args.val_fraction}")
    X_train, X_val, y_train, y_val = data.train_val_split(X, y, args.val_fraction, seed=seed + 1)
    return DataSplit(name, X_train, y_train, X_val, y_val, int(y.max()) + 1)


# ----------------------------------------------------------------------------- model parts
def build_model(sizes: list[int], activation: str, seed: int) -> Any:
    from .. import nn

    return nn.MLP(sizes, activation=activation, rng=seed)


def build_optimizer(args: argparse.Namespace, params: Any) -> Any:
    from .. import optim

    lr = args.lr if args.lr is not None else DEFAULT_LR[args.optimizer]
    if args.optimizer == "sgd":
        return optim.SGD(params, lr=lr, momentum=args.momentum, weight_decay=args.weight_decay)
    return optim.Adam(params, lr=lr, weight_decay=args.weight_decay)


def make_loss(kind: str) -> Any:
    """loss_fn(logits, y) for "fused"/"unfused" cross-entropy or "mse" (MSE between
    softmax(logits) and one-hot targets)."""
    from .. import functional as F

    if kind == "mse":
        def mse(logits: Any, y: np.ndarray) -> Any:
            one_hot = np.eye(logits.shape[-1], dtype=logits.dtype)[y]
            return F.mse_loss(F.softmax(logits), one_hot)

        return mse
    fused = kind == "fused"
    return lambda logits, y: F.cross_entropy(logits, y, fused=fused)


def model_from_checkpoint(path: str) -> tuple[Any, dict[str, Any]]:
    """Rebuild the MLP saved by `tinygrad-ce train` and return it with its metadata."""
    from .. import nn
    from ..training import load_checkpoint, read_checkpoint

    state = read_checkpoint(path)
    if "meta.sizes" not in state or "meta.activation" not in state:
        raise CommandError(f"{path} was not written by `tinygrad-ce train` (no meta.sizes/meta.activation)")
    model = nn.MLP([int(n) for n in state["meta.sizes"]], activation=str(state["meta.activation"]))
    return model, load_checkpoint(path, model)


# ----------------------------------------------------------------------------- pipeline
@dataclass
class RunResult:
    model: Any
    split: DataSplit
    history: Any
    train_accuracy: float
    val_accuracy: float
    seconds: float
    files: list[str]


def train_and_save(args: argparse.Namespace) -> RunResult:
    """Load the data, train an MLP as `args` says, print the final accuracies and write
    checkpoint.npz, history.json, history.csv and (with matplotlib) the plots to args.out."""
    from .. import data, training

    split = load_dataset(args)
    os.makedirs(args.out, exist_ok=True)  # fail before training, not after
    epochs = args.epochs or DEFAULT_EPOCHS[split.name]
    sizes = [split.features, *args.hidden, split.classes]
    model = build_model(sizes, args.activation, args.seed)
    optimizer = build_optimizer(args, model.parameters())
    loss_fn = make_loss(args.loss)
    train = (split.X_train, split.y_train)
    loader = data.DataLoader(train, args.batch_size, shuffle=True, seed=args.seed + 2)
    val = (split.X_val, split.y_val)
    print(f"{split.name}: {len(split.X_train)} training / {len(split.X_val)} validation samples, "
          f"{split.classes} classes; MLP {sizes} ({model.num_parameters():,} parameters), "
          f"{type(optimizer).__name__} lr={optimizer.lr}, {args.loss} loss, {epochs} epochs", flush=True)
    started = time.perf_counter()
    try:
        history = training.fit(model, loss_fn, optimizer, loader, epochs, val, progress=not args.quiet)
    except FloatingPointError as err:
        raise CommandError(str(err)) from None
    seconds = time.perf_counter() - started
    train_accuracy = training.evaluate(model, train).accuracy
    val_accuracy = training.evaluate(model, val).accuracy
    print(f"trained in {seconds:.1f} s ({epochs / seconds:.1f} epochs/s)")
    print(f"final train accuracy {train_accuracy:.4f}   validation accuracy {val_accuracy:.4f}")

    files = [os.path.join(args.out, name) for name in ("checkpoint.npz", "history.json", "history.csv")]
    training.save_checkpoint(
        files[0], model, optimizer, epoch=len(history), dataset=split.name, sizes=np.array(sizes),
        activation=args.activation, seed=args.seed, loss=args.loss,
    )
    history.write_json(files[1])
    history.write_csv(files[2])
    files += write_plots(args.out, model, split, history)
    print("wrote " + ", ".join(files))
    return RunResult(model, split, history, train_accuracy, val_accuracy, seconds, files)


# ----------------------------------------------------------------------------- plots
def write_plots(out: str, model: Any, split: DataSplit, history: Any) -> list[str]:
    """training.png (loss and accuracy per epoch) and, for 2-D data,
    decision_boundary.png; nothing (and a note) when matplotlib is not installed."""
    try:
        from matplotlib.figure import Figure  # no pyplot: no global backend, Agg for PNG
    except ImportError:
        print("note: matplotlib is not installed, so no plots (pip install matplotlib)")
        return []
    from ..training import atomic_open, predict

    written = []
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    loss_ax, acc_ax = fig.subplots(1, 2)
    epochs = np.arange(1, len(history) + 1)
    for ax, key, title in ((loss_ax, "loss", "loss"), (acc_ax, "accuracy", "accuracy")):
        ax.plot(epochs, getattr(history, f"train_{key}"), label="train")
        if getattr(history, f"val_{key}"):
            ax.plot(epochs, getattr(history, f"val_{key}"), label="validation")
        ax.set_xlabel("epoch")
        ax.set_title(title)
        ax.legend()
    written.append(_save_figure(fig, os.path.join(out, "training.png"), atomic_open))
    if split.features == 2:
        X = np.concatenate([split.X_train, split.X_val])
        y = np.concatenate([split.y_train, split.y_val])
        lo, hi = X.min(axis=0) - 0.25, X.max(axis=0) + 0.25
        xs, ys = np.meshgrid(np.linspace(lo[0], hi[0], 250), np.linspace(lo[1], hi[1], 250))
        grid = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(X.dtype)
        regions = predict(model, grid).argmax(axis=1).reshape(xs.shape)
        fig = Figure(figsize=(5, 5), layout="constrained")
        ax = fig.subplots()
        ax.contourf(xs, ys, regions, levels=np.arange(split.classes + 1) - 0.5, cmap="Set2", alpha=0.6)
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="Set2", vmin=-0.5, vmax=split.classes - 0.5,
                   edgecolors="k", linewidths=0.4, s=14)
        ax.set_title(f"decision boundary ({split.name})")
        written.append(_save_figure(fig, os.path.join(out, "decision_boundary.png"), atomic_open))
    return written


def _save_figure(fig: Any, path: str, atomic_open: Any) -> str:
    with atomic_open(path, "wb") as f:
        fig.savefig(f, format="png", dpi=110)
    return path
