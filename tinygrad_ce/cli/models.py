"""The models, optimizers and losses of `tinygrad-ce train` and `tinygrad-ce demo`, and
`model_from_checkpoint`, which rebuilds a model that `train` saved."""

from __future__ import annotations

import argparse
import math
from typing import Any

import numpy as np

from .. import functional as F
from .. import nn, optim, training
from .errors import CommandError
from .options import EVAL_BATCH, MAX_ACTIVATIONS

DEFAULT_LR = {"sgd": 0.1, "adam": 0.01}


def build_model(sizes: list[int], activation: str, seed: int) -> Any:
    """An MLP with these layer sizes and hidden activation, initialised from `seed`."""
    return nn.MLP(sizes, activation=activation, rng=seed)


def build_cnn(features: int, classes: int, activation: str, seed: int) -> nn.Sequential:
    """examples/cnn.py's LeNet for flattened square images of `features` pixels (8x8
    digits, 28x28 MNIST): (N, side*side) -> (N, 1, side, side) -> two stages of 3x3 conv
    (1 -> 8 -> 16 channels, padding 1), `activation` and 2x2 max-pool -> flatten ->
    linear to `classes` logits."""
    side = math.isqrt(features)
    if side * side != features or side < 4:
        raise CommandError(f"--model cnn needs square images of at least 4x4, got {features} features")
    act = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[activation]
    return nn.Sequential(
        nn.Unflatten(1, (1, side, side)),
        nn.Conv2d(1, 8, 3, padding=1, rng=seed),
        act(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1, rng=seed + 1),
        act(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * (side // 4) ** 2, classes, rng=seed + 2),
    )


def check_cnn_size(features: int, batch: int) -> None:
    """Refuse a --batch-size whose widest CNN activation per step passes MAX_ACTIVATIONS:
    the second conv's im2col, 8 channels x 9 taps x (side/2)^2 pixels per image."""
    widest = 72 * (math.isqrt(features) // 2) ** 2
    if max(batch, EVAL_BATCH) * widest > MAX_ACTIVATIONS:
        raise CommandError(
            f"--batch-size {batch} x the CNN's widest activation ({widest:,} values per "
            f"image) is more than {MAX_ACTIVATIONS:,} values"
        )


def build_optimizer(args: argparse.Namespace, params: Any) -> Any:
    """SGD (with `args.momentum`) or Adam, at `args.lr` or the optimizer's default lr."""
    lr = args.lr if args.lr is not None else DEFAULT_LR[args.optimizer]
    if args.optimizer == "sgd":
        return optim.SGD(params, lr=lr, momentum=args.momentum, weight_decay=args.weight_decay)
    return optim.Adam(params, lr=lr, weight_decay=args.weight_decay)


def make_loss(kind: str) -> Any:
    """loss_fn(logits, y) for "fused"/"unfused" cross-entropy or "mse" (MSE between
    softmax(logits) and one-hot targets)."""
    if kind == "mse":

        def mse(logits: Any, y: np.ndarray) -> Any:
            one_hot = np.eye(logits.shape[-1], dtype=logits.dtype)[y]
            return F.mse_loss(F.softmax(logits), one_hot)

        return mse
    fused = kind == "fused"
    return lambda logits, y: F.cross_entropy(logits, y, fused=fused)


def model_from_checkpoint(path: str) -> tuple[Any, dict[str, Any]]:
    """Rebuild the MLP or CNN saved by `tinygrad-ce train` and return it with its
    metadata (a checkpoint without meta.architecture holds an MLP)."""
    state = training.read_checkpoint(path)
    if "meta.sizes" not in state or "meta.activation" not in state:
        raise CommandError(f"{path} was not written by `tinygrad-ce train` (no meta.sizes/meta.activation)")
    sizes, activation = [int(n) for n in state["meta.sizes"]], str(state["meta.activation"])
    if str(state.get("meta.architecture", "mlp")) == "cnn":  # sizes: [features, classes]
        model = build_cnn(sizes[0], sizes[-1], activation, 0)
    else:
        model = nn.MLP(sizes, activation=activation)
    return model, training.load_checkpoint(path, model)
