"""Layers: `Parameter`, `Module` and the PyTorch-style building blocks on top of it.

A `Module` finds the Parameters and sub-Modules assigned to it as attributes, in the
order they were assigned, and names them with PyTorch's dotted keys (`0.weight`,
`block.linear1.bias`), so `state_dict()` / `load_state_dict()` interoperate with a
PyTorch state dict converted with `.numpy()`. Calling a module runs `forward` inside
`named_scope(<class name>)`, so graph drawings show each module as a cluster.

Random initialisation and dropout draw from a numpy Generator: pass `rng=` (a seed or a
Generator) or seed the module-level default with `manual_seed(seed)`.

Inside: `parameter` (Parameter), `module` (Module), `state` (state-dict checks),
`walk` (iterative tree walks), `layers` (Linear, activations, Dropout), `containers`
(Sequential, MLP); the default Generator lives in `tinygrad_ce.rng`.
"""
from .parameter import Parameter  # noqa: I001  (in reading order: the API docs list the names so)
from .module import Module
from .state import IncompatibleKeys, StateDictError
from .layers import Dropout, Linear, ReLU, Sigmoid, Tanh, linear
from .containers import ACTIVATIONS, MLP, Sequential
from ..rng import as_generator, manual_seed

__all__ = [
    "Parameter", "Module", "StateDictError", "IncompatibleKeys", "Linear", "linear", "ReLU", "Tanh",
    "Sigmoid", "Dropout", "Sequential", "MLP", "ACTIVATIONS", "manual_seed", "as_generator",
]
