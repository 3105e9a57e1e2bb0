"""`History`: the per-epoch numbers of a `fit` run, with JSON and CSV files."""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field, fields

from ..io import atomic_write


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
        """Every list by its field name (copies), JSON-ready."""
        return {f.name: list(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, list[float]]) -> History:
        """The History of `to_dict()`'s data (missing lists are empty)."""
        return cls(**{f.name: [float(v) for v in data.get(f.name, [])] for f in fields(cls)})

    def write_json(self, path: str | os.PathLike[str]) -> None:
        """Write `to_dict()` as JSON (atomically)."""
        with atomic_write(path, "w") as f:
            json.dump(self.to_dict(), f, indent=1)

    @classmethod
    def read_json(cls, path: str | os.PathLike[str]) -> History:
        """A History written by `write_json`; anything else is a ValueError naming the file."""
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
        with atomic_write(path, "w") as f:
            f.write(buffer.getvalue())
