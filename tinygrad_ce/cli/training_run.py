"""The pieces of `tinygrad-ce train` and `tinygrad-ce demo`: their options, datasets,
models, optimizers, losses, the train-and-save pipeline (which saves the last completed
epoch on Ctrl-C or SIGTERM) and the plots. Other subcommands can reuse them (e.g.
`cli.models.model_from_checkpoint` to rebuild a trained model)."""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import data, training
from ..data import DataSplit
from ..lab import plots
from .errors import CommandError, Interrupted
from .models import (
    build_cnn,
    build_model,
    build_optimizer,
    check_cnn_size,
    make_loss,
)
from .options import (
    EVAL_BATCH,
    MAX_BATCH,
    MAX_CLASSES,
    MAX_EPOCHS,
    MAX_PARAMETERS,
    MAX_SAMPLES,
    MAX_WIDTH,
    check_model_size,
    float_in,
    hidden_sizes,
    int_in,
    random_seed,
    writable_directory,
)
from .reach import LOSS_NAMES, MSE_NOTE, TARGET_ACCURACY, reach_text

DATASETS = ("spiral", "moons", "blobs", "digits", "mnist")
IMAGE_DATASETS = ("digits", "mnist")  # square grey images, flattened: 8x8 and 28x28
MODELS = ("mlp", "cnn")
ACTIVATIONS = ("relu", "tanh", "sigmoid")
DEFAULT_EPOCHS = {"spiral": 150, "moons": 60, "blobs": 30, "digits": 30, "mnist": 5}
DEFAULT_SAMPLES = {"spiral": 100, "moons": 300, "blobs": 300}
DEFAULT_HIDDEN = (64, 64)
DEFAULT_CLASSES, DEFAULT_MOMENTUM, DEFAULT_VAL_FRACTION = 3, 0.9, 0.2


# ----------------------------------------------------------------------------- training options
def add_training_arguments(
    parser: argparse.ArgumentParser, dataset: str | None = "spiral", out: str = ""
) -> None:
    """The options of `tinygrad-ce train` (the demo has the same ones but --dataset and
    --data-dir). Options that depend on others default to None; `check_training_arguments`
    fills them in and refuses those that cannot apply."""
    add = parser.add_argument
    if dataset is None:
        add("--dataset", choices=DATASETS, default="spiral", help="the dataset (default: spiral)")
        add("--data-dir", help="directory of the MNIST IDX files (only with --dataset mnist)")
        add(
            "--model",
            choices=MODELS,
            default="mlp",
            help="an MLP (--hidden sizes), or a LeNet-style CNN (two 3x3 conv + 2x2 max-pool stages, "
            "8 and 16 channels, then a linear layer) for the images of --dataset digits or mnist "
            "(default: mlp)",
        )
    else:
        parser.set_defaults(dataset=dataset, data_dir=None, model="mlp")
    add(
        "--classes",
        type=int_in(2, MAX_CLASSES),
        default=None,
        help=f"classes of the spiral or blobs, 2 to {MAX_CLASSES:,} (default: {DEFAULT_CLASSES})",
    )
    add(
        "--samples",
        type=int_in(1, MAX_SAMPLES),
        default=None,
        help="synthetic samples per class (spiral, default 100) or in all (moons and blobs, default 300); "
        f"at most {MAX_SAMPLES:,} in all; not for digits or mnist",
    )
    add(
        "--hidden",
        type=hidden_sizes,
        default=None,
        help=f"hidden layer sizes, comma-separated, each at most {MAX_WIDTH:,}, or 'none' for a linear "
        f"model; the whole MLP may have at most {MAX_PARAMETERS:,} parameters (default: 64,64); "
        "not for --model cnn",
    )
    add(
        "--activation",
        choices=ACTIVATIONS,
        default="relu",
        help="of the hidden layers, or of the conv stages with --model cnn (default: relu)",
    )
    add(
        "--epochs",
        type=int_in(1, MAX_EPOCHS),
        default=None,
        help=f"passes over the training set, at most {MAX_EPOCHS:,} (default: depends on the dataset)",
    )
    add(
        "--batch-size",
        type=int_in(1, MAX_BATCH),
        default=32,
        help=f"samples per training step, at most {MAX_BATCH:,} (default: 32)",
    )
    add(
        "--lr",
        type=float_in(0, bounds="()"),
        default=None,
        help="learning rate, > 0 (default: 0.01 with adam, 0.1 with sgd)",
    )
    add("--optimizer", choices=("sgd", "adam"), default="adam", help="default: adam")
    add(
        "--momentum",
        type=float_in(0, 1, "[)"),
        default=None,
        help=f"SGD momentum in [0, 1) (default: {DEFAULT_MOMENTUM}); only with --optimizer sgd",
    )
    add("--weight-decay", type=float_in(0, bounds="[)"), default=0.0, help="L2 penalty, >= 0 (default: 0)")
    add(
        "--loss",
        choices=("fused", "unfused", "mse"),
        default="fused",
        help="fused or unfused softmax cross-entropy, or MSE on softmax outputs (default: fused)",
    )
    add(
        "--val-fraction",
        type=float_in(0, 1, "[)", note="0 means no validation set"),
        default=None,
        help=f"fraction held out for validation, in [0, 1); 0: no validation set (default: "
        f"{DEFAULT_VAL_FRACTION}); not for mnist, whose t10k files are the validation set",
    )
    add(
        "--seed",
        type=random_seed,
        default=0,
        help="seed of the data, weights and shuffling, 0 to 2**63 - 1 (default: 0)",
    )
    add("--out", default=out, help=f"output directory, created if missing (default: {out})")
    add("--quiet", action="store_true", help="no per-epoch progress")
    add(
        "--jit",
        action="store_true",
        help="trace each step once per batch shape, then replay it (tinygrad_ce.jit)",
    )


def check_training_arguments(args: argparse.Namespace) -> None:
    """Refuse options that cannot apply to the chosen dataset or optimizer (a
    CommandError naming them), then fill in the defaults that depend on those."""
    name = args.dataset
    refused = [
        (args.data_dir is not None and name != "mnist", "--data-dir applies only to --dataset mnist"),
        (
            args.classes is not None and name not in ("spiral", "blobs"),
            f"--classes applies only to the spiral and blobs (--dataset {name} has fixed classes)",
        ),
        (
            args.samples is not None and name in ("digits", "mnist"),
            f"--samples applies only to the synthetic datasets, not --dataset {name}",
        ),
        (
            args.val_fraction is not None and name == "mnist",
            "--val-fraction does not apply to --dataset mnist: its t10k files are the validation set",
        ),
        (
            args.momentum is not None and args.optimizer != "sgd",
            f"--momentum applies only to --optimizer sgd, not {args.optimizer}",
        ),
        (
            args.model == "cnn" and name not in IMAGE_DATASETS,
            f"--model cnn needs images (--dataset digits or mnist), not the 2-D points of --dataset {name}",
        ),
        (
            args.hidden is not None and args.model == "cnn",
            "--hidden applies only to --model mlp (the layers of --model cnn are fixed)",
        ),
    ]
    for wrong, message in refused:
        if wrong:
            raise CommandError(message)
    args.hidden = args.hidden if args.hidden is not None else list(DEFAULT_HIDDEN)
    args.classes = args.classes if args.classes is not None else DEFAULT_CLASSES
    args.val_fraction = args.val_fraction if args.val_fraction is not None else DEFAULT_VAL_FRACTION
    args.momentum = args.momentum if args.momentum is not None else DEFAULT_MOMENTUM
    args.samples = args.samples if args.samples is not None else DEFAULT_SAMPLES.get(name)
    if name == "spiral" and args.samples * args.classes > MAX_SAMPLES:
        raise CommandError(
            f"--samples {args.samples} per class x --classes {args.classes} is more than "
            f"{MAX_SAMPLES:,} samples"
        )
    if name == "moons" and args.samples < 2:
        raise CommandError(f"--samples must be at least 2 for the moons, got {args.samples}")
    if name == "blobs" and args.samples < args.classes:
        raise CommandError(f"--samples {args.samples} is fewer than one per class (--classes {args.classes})")


# ----------------------------------------------------------------------------- data
def load_dataset(args: argparse.Namespace) -> DataSplit:
    """The dataset named by `args.dataset` (after `check_training_arguments`), split into
    train and validation."""
    name, seed = args.dataset, args.seed
    if name == "mnist":
        if not args.data_dir:
            raise CommandError("--dataset mnist needs --data-dir DIR (with the four MNIST IDX files)")
        X_train, y_train, X_val, y_val = data.load_mnist(args.data_dir)
        return DataSplit(name, X_train, y_train, X_val, y_val, int(max(y_train.max(), y_val.max())) + 1)
    if name == "spiral":
        X, y = data.spiral(args.samples, classes=args.classes, seed=seed)
    elif name == "moons":
        X, y = data.moons(args.samples, noise=0.2, seed=seed)
    elif name == "blobs":
        X, y = data.blobs(args.samples, centers=args.classes, std=1.5, seed=seed)
    else:
        try:
            X, y = data.load_digits()
        except ImportError as err:
            raise CommandError(str(err)) from None
    classes = int(y.max()) + 1
    if args.val_fraction == 0:
        return DataSplit(name, X, y, X[:0], y[:0], classes)
    try:
        X_train, X_val, y_train, y_val = data.train_val_split(X, y, args.val_fraction, seed=seed + 1)
    except ValueError as err:  # too few samples to hold some out
        raise CommandError(f"--val-fraction {args.val_fraction}: {err}; use more --samples") from None
    return DataSplit(name, X_train, y_train, X_val, y_val, classes)


class EpochSnapshot:
    """A `fit` callback that copies the model's and optimizer's state after every
    completed epoch, so that an interrupted run can save exactly the last completed
    epoch (not the half-updated parameters of the epoch it was in)."""

    def __init__(self, model: Any, optimizer: Any) -> None:
        self.model, self.optimizer = model, optimizer
        self.saved: tuple[int, dict, dict] | None = None  # (epoch, model state, optimizer state)

    def __call__(self, epoch: int, history: Any) -> None:
        self.saved = (epoch, self.model.state_dict(), self.optimizer.state_dict())  # one store: atomic

    def restore(self) -> int:
        """Put the saved state back into the model and optimizer; the epoch it is from
        (0, and nothing changed, when no epoch completed)."""
        if self.saved is None:
            return 0
        epoch, model_state, optimizer_state = self.saved
        self.model.load_state_dict(model_state)
        self.optimizer.load_state_dict(optimizer_state)
        return epoch


# ----------------------------------------------------------------------------- pipeline
@dataclass
class TrainedRun:
    """What `train_and_save` trained and wrote."""

    model: Any
    split: DataSplit
    history: Any
    train_accuracy: float
    val_accuracy: float | None  # None without a validation set
    seconds: float
    files: list[str]
    title: str = ""  # dataset, loss and model, as the plots are titled


def train_and_save(args: argparse.Namespace) -> TrainedRun:
    """Check the options and --out, load the data, train an MLP or CNN as `args` says, print the
    final accuracies and write checkpoint.npz, history.json, history.csv and (with
    matplotlib) the plots to args.out. On Ctrl-C or SIGTERM the checkpoint and history
    of the last completed epoch are written (no plots) and `Interrupted` is raised."""
    check_training_arguments(args)
    split = load_dataset(args)
    epochs = args.epochs or DEFAULT_EPOCHS[split.name]
    if args.model == "cnn":
        sizes = [split.features, split.classes]
        check_cnn_size(split.features, args.batch_size)
    else:
        sizes = [split.features, *args.hidden, split.classes]
        check_model_size(sizes, args.batch_size, "--hidden", "--batch-size")
    writable_directory(args.out)  # fail before training, not after it
    if args.model == "cnn":
        model = build_cnn(split.features, split.classes, args.activation, args.seed)
        described = f"CNN (conv 8, conv 16, linear {split.classes})"
    else:
        model = build_model(sizes, args.activation, args.seed)
        described = f"MLP {sizes}"
    optimizer = build_optimizer(args, model.parameters())
    loss_fn = make_loss(args.loss)
    train = (split.X_train, split.y_train)
    loader = data.DataLoader(train, args.batch_size, shuffle=True, seed=args.seed + 2)
    val = data.DataLoader((split.X_val, split.y_val), EVAL_BATCH) if len(split.X_val) else None
    print(
        f"{split.name}: {len(split.X_train)} training / {len(split.X_val)} validation samples, "
        f"{split.classes} classes; {described} ({model.num_parameters():,} parameters), "
        f"{type(optimizer).__name__} lr={optimizer.lr}, {LOSS_NAMES[args.loss]} loss, {epochs} epochs",
        flush=True,
    )
    if args.loss == "mse":
        print(MSE_NOTE, flush=True)
    snapshot = EpochSnapshot(model, optimizer)
    started = time.perf_counter()
    try:
        with np.errstate(all="ignore"):  # a diverging run is reported once, below, not per numpy op
            history = training.fit(
                model,
                loss_fn,
                optimizer,
                loader,
                epochs,
                val,
                progress=not args.quiet,
                callback=snapshot,
                jit=bool(getattr(args, "jit", False)),
            )
    except FloatingPointError as err:
        raise CommandError(f"--lr {optimizer.lr:g}: {err}") from None
    if history.interrupted:
        _save_interrupted(args, snapshot, history, sizes, epochs)
    seconds = time.perf_counter() - started
    files = _save_run(args, model, optimizer, history, sizes)
    train_accuracy = training.evaluate(model, data.DataLoader(train, EVAL_BATCH)).accuracy
    val_accuracy = training.evaluate(model, val).accuracy if val is not None else None
    print(f"trained in {seconds:.1f} s ({epochs / seconds:.1f} epochs/s)")
    val_text = f"{val_accuracy:.4f}" if val_accuracy is not None else "n/a (--val-fraction 0)"
    print(f"final train accuracy {train_accuracy:.4f}   validation accuracy {val_text}")
    which = "validation" if val is not None else "training"
    print(f"{TARGET_ACCURACY:.0%} {which} accuracy reached: {reach_text(history, epochs)}")
    title = f"{split.name}, {LOSS_NAMES[args.loss]} loss, {described}"
    files += write_plots(args.out, model, split, history, title)
    print("wrote " + ", ".join(files))
    return TrainedRun(model, split, history, train_accuracy, val_accuracy, seconds, files, title)


def _save_run(
    args: argparse.Namespace, model: Any, optimizer: Any, history: Any, sizes: list[int]
) -> list[str]:
    """Write checkpoint.npz, history.json and history.csv to args.out; their paths."""
    files = [os.path.join(args.out, name) for name in ("checkpoint.npz", "history.json", "history.csv")]
    training.save_checkpoint(
        files[0],
        model,
        optimizer,
        epoch=len(history),
        dataset=args.dataset,
        sizes=np.array(sizes),
        activation=args.activation,
        seed=args.seed,
        loss=args.loss,
        architecture=args.model,
    )
    history.write_json(files[1])
    history.write_csv(files[2])
    return files


def _save_interrupted(
    args: argparse.Namespace, snapshot: EpochSnapshot, history: Any, sizes: list[int], epochs: int
) -> None:
    """Save the last completed epoch of an interrupted run, then raise `Interrupted`
    saying what was saved."""
    done = snapshot.restore()
    if done == 0:
        raise Interrupted(f"interrupted before epoch 1 of {epochs} completed; nothing saved")
    kept = training.History.from_dict({key: values[:done] for key, values in history.to_dict().items()})
    files = _save_run(args, snapshot.model, snapshot.optimizer, kept, sizes)
    saved = ", ".join(files)
    raise Interrupted(f"interrupted after epoch {done} of {epochs}; saved epoch {done} to {saved}")


# ----------------------------------------------------------------------------- plots
def write_plots(out: str, model: Any, split: DataSplit, history: Any, title: str = "") -> list[str]:
    """training.png (loss and accuracy per epoch) and, for 2-D data,
    decision_boundary.png; nothing (and a note) when matplotlib is not installed."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("note: matplotlib is not installed, so no plots (pip install matplotlib)")
        return []
    written = [
        plots.save_figure(plots.plot_history(history, title or split.name), os.path.join(out, "training.png"))
    ]
    if split.features == 2:
        X = np.concatenate([split.X_train, split.X_val])
        y = np.concatenate([split.y_train, split.y_val])
        fig = plots.plot_decision_boundary(
            model, X, y, split.classes, f"decision boundary ({title or split.name})"
        )
        written.append(plots.save_figure(fig, os.path.join(out, "decision_boundary.png")))
    return written
