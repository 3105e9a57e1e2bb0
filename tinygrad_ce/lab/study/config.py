"""The study's configuration (datasets, seeds, optimizer, epochs) and its data splits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ... import data
from ...data import DataSplit


# ----------------------------------------------------------------------------- configuration
@dataclass
class DatasetSpec:
    """One dataset of the study and how it is trained."""

    name: str
    hidden: tuple[int, ...]
    epochs: int
    lr: float
    batch_size: int = 32


def dataset_specs(quick: bool = False) -> dict[str, DatasetSpec]:
    """The default training setup per dataset (`quick`: a seconds-long version)."""
    if quick:
        return {
            "spiral": DatasetSpec("spiral", hidden=(32, 32), epochs=60, lr=0.05),
            "digits": DatasetSpec("digits", hidden=(32,), epochs=10, lr=0.05),
        }
    return {
        "spiral": DatasetSpec("spiral", hidden=(64, 64), epochs=200, lr=0.05),
        "digits": DatasetSpec("digits", hidden=(64,), epochs=40, lr=0.05),
    }


@dataclass
class StudyConfig:
    """Everything that decides the numbers: datasets, seeds, optimizer, epochs."""

    datasets: list[DatasetSpec] = field(default_factory=lambda: list(dataset_specs().values()))
    seeds: int = 3
    momentum: float = 0.9
    grad_epochs: int = 5  # the first-layer gradient norm is recorded at every step of these epochs
    spiral_points: int = 100  # per class
    # per-sample logit gradients (the gradient-vs-probability plot) are saved after these epochs
    # and the last one, for seed 0 of `scatter_dataset`
    scatter_epochs: tuple[int, ...] = (1, 10, 50)
    scatter_dataset: str = "spiral"

    @classmethod
    def make(
        cls,
        quick: bool = False,
        seeds: int = 3,
        epochs: int | None = None,
        datasets: tuple[str, ...] | None = None,
    ) -> StudyConfig:
        """The full study (spiral and digits) or, with `quick`, a seconds-long one (the
        spiral only unless `datasets` says otherwise, a smaller network, fewer epochs).
        `epochs` overrides every dataset's epochs."""
        specs = dataset_specs(quick)
        names = datasets if datasets is not None else (("spiral",) if quick else tuple(specs))
        unknown = [n for n in names if n not in specs]
        if unknown or not names:
            raise ValueError(f"unknown dataset(s) {unknown or '(none)'}; expected some of {', '.join(specs)}")
        chosen = [specs[n] for n in names]
        for spec in chosen:
            spec.epochs = epochs if epochs is not None else spec.epochs
        if quick:
            return cls(chosen, seeds=seeds, grad_epochs=2, spiral_points=60, scatter_dataset=names[0])
        return cls(chosen, seeds=seeds, scatter_dataset=names[0])

    def to_dict(self) -> dict[str, Any]:
        """The configuration as JSON-ready data (it is saved in results.json)."""
        return {
            "datasets": [vars(d) | {"hidden": list(d.hidden)} for d in self.datasets],
            "seeds": self.seeds,
            "momentum": self.momentum,
            "grad_epochs": self.grad_epochs,
            "spiral_points": self.spiral_points,
            "scatter_epochs": list(self.scatter_epochs),
            "scatter_dataset": self.scatter_dataset,
            "optimizer": "SGD",
            "dtype": "float64",
        }


# ----------------------------------------------------------------------------- data
Split = DataSplit  # the study's name for the one data-split type (train / test arrays here)


def load_split(name: str, config: StudyConfig) -> Split:
    """The study's data in float64: the 3-class spiral (train and test drawn with seeds 0
    and 1) or scikit-learn's 8x8 digits (pixels in [0, 1], 20% held out with seed 0)."""
    if name == "spiral":
        x_train, y_train = data.spiral(config.spiral_points, classes=3, seed=0)
        x_test, y_test = data.spiral(config.spiral_points, classes=3, seed=1)
    elif name == "digits":
        x_train, x_test, y_train, y_test = data.train_val_split(*data.load_digits(), fraction=0.2, seed=0)
    else:
        raise ValueError(f"unknown dataset {name!r}; expected spiral or digits")
    as64 = lambda x: np.asarray(x, dtype=np.float64)
    y_train, y_test = np.asarray(y_train), np.asarray(y_test)
    return DataSplit(name, as64(x_train), y_train, as64(x_test), y_test, int(y_train.max()) + 1)


def digits_available() -> bool:
    """Whether scikit-learn (for the digits dataset) is installed."""
    import importlib.util

    return importlib.util.find_spec("sklearn") is not None
