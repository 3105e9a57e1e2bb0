"""Optimizers with PyTorch's update rules, and learning-rate schedules.

An optimizer holds `param_groups`, PyTorch's list of dicts: each has "params" (Tensors)
and every hyperparameter ("lr", "momentum", "betas", ...). Pass Tensors
(`model.parameters()`) for one group, or dicts `{"params": ..., "lr": ...}` whose
options override the constructor's defaults; `add_param_group` adds one later.
`step()` updates `p.data` in place with numpy (nothing is recorded in the graph, and
float32 stays float32), skipping parameters whose `.grad` is None; `zero_grad()` sets
the grads to None (`set_to_none=False`: zeros in place), as in PyTorch.

A change to `group["lr"]` (by hand or by a scheduler) takes effect at the next step;
`optimizer.lr` (and `.momentum`, ...) reads the first group's value and can be set when
there is one group. Hyperparameters are checked the same way in the constructors,
`add_param_group`, `step` and `load_state_dict` (`_HYPERPARAMETER_CHECKS`): finite
numbers, no bools, no NaN, the error naming the group and the key.

`state_dict()` is a flat dict of numbers and ndarrays (`"lr"`, `"group.1.lr"`,
`"state.3.exp_avg"`, ...) that `tinygrad_ce.save` writes as `.npz`; `load_state_dict`
checks it against the parameters and groups before restoring anything.

Schedulers set every group's lr: `StepLR`, `CosineAnnealingLR`, `ExponentialLR`,
`LambdaLR`, `LinearLR`, `OneCycleLR` (per batch) and `ReduceLROnPlateau` (`step(metric)`);
`get_last_lr()` is a list, one lr per group, as in PyTorch.

Inside: `base` (Optimizer, param groups, state dicts), `hyperparameters` (the checks),
`optimizers` (SGD, Adam, AdamW), `adaptive` (RMSprop, Adagrad), `schedulers`,
`onecycle`, `plateau`, `saved` (checks of saved values).
"""

from .adaptive import Adagrad, RMSprop
from .base import Optimizer
from .onecycle import OneCycleLR
from .optimizers import SGD, Adam, AdamW
from .plateau import ReduceLROnPlateau
from .schedulers import CosineAnnealingLR, ExponentialLR, LambdaLR, LinearLR, LRScheduler, StepLR

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "Adagrad",
    "LRScheduler",
    "StepLR",
    "CosineAnnealingLR",
    "ExponentialLR",
    "LambdaLR",
    "LinearLR",
    "OneCycleLR",
    "ReduceLROnPlateau",
]
