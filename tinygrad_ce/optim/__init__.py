"""Optimizers (SGD, Adam, AdamW) with PyTorch's update rules, and learning-rate schedules.

An optimizer holds its list of parameters and updates `p.data` in place with numpy
(nothing is recorded in the graph, and float32 stays float32). Parameters whose `.grad`
is None are skipped, as in PyTorch. `lr` is a plain attribute: change it between steps
or let a scheduler (`StepLR`, `CosineAnnealingLR`) do it.

`state_dict()` is a flat dict of numbers and ndarrays (`"lr"`, `"state.3.exp_avg"`, ...)
that `tinygrad_ce.save` writes as `.npz`; `load_state_dict` checks it against the
parameters before restoring anything. Hyperparameters are checked the same way in the
constructors and in `load_state_dict`: finite numbers, no bools, no NaN.

Inside: `optimizers` (Optimizer, SGD, Adam, AdamW and the hyperparameter checks),
`schedulers` (LRScheduler, StepLR, CosineAnnealingLR), `saved` (checks of saved values).
"""
from .optimizers import SGD, Adam, AdamW, Optimizer
from .schedulers import CosineAnnealingLR, LRScheduler, StepLR

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "LRScheduler", "StepLR", "CosineAnnealingLR"]
