"""The training loop (`fit`), evaluation, training history, and checkpoints.

`fit` runs epochs of forward, backward and optimizer step over a loader of
`(X_batch, y_batch)` and records the mean loss and accuracy per epoch (train and,
optionally, validation) in a `History`; its `on_step` hook (a `StepInfo` after each
backward, before the optimizer's step) lets other loops be built on it. Checkpoints
are one `.npz` (no pickle, written atomically) with the keys "model.<name>",
"optim.<key>", "sched.<key>" and "meta.<key>".

- `loop`: fit, StepInfo;
- `evaluate`: evaluate, Evaluation, predict, accuracy;
- `history`: History;
- `checkpoint`: save_checkpoint, read_checkpoint, load_checkpoint, atomic_open;
- `speedup`: jit_speedup, JitSpeedup (fit's step timed eager and with jit=True).
"""

from .checkpoint import CHECKPOINT_FORMAT, atomic_open, load_checkpoint, read_checkpoint, save_checkpoint
from .evaluate import Evaluation, LossFn, accuracy, evaluate, predict
from .history import History
from .loop import StepInfo, fit
from .speedup import JitSpeedup, jit_speedup

__all__ = [
    "fit",
    "StepInfo",
    "evaluate",
    "Evaluation",
    "predict",
    "accuracy",
    "History",
    "LossFn",
    "save_checkpoint",
    "read_checkpoint",
    "load_checkpoint",
    "atomic_open",
    "CHECKPOINT_FORMAT",
    "jit_speedup",
    "JitSpeedup",
]
