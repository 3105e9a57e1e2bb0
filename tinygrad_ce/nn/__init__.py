"""Layers: `Parameter`, `Module` and the PyTorch-style building blocks on top of it.

A `Module` finds the Parameters and sub-Modules assigned to it as attributes, in the
order they were assigned, and names them with PyTorch's dotted keys (`0.weight`,
`block.linear1.bias`), so `state_dict()` / `load_state_dict()` interoperate with a
PyTorch state dict converted with `.numpy()`. Calling a module runs `forward` inside
`named_scope(<class name>)`, so graph drawings show each module as a cluster.

Random initialisation and dropout draw from a numpy Generator: pass `rng=` (a seed or a
Generator) or seed the module-level default with `manual_seed(seed)`.

Inside: `parameter` (Parameter), `module` (Module; its attribute helpers in
`attributes`), `state` (state-dict checks), `walk` (iterative tree walks), `layers`
(Linear, ReLU/Tanh/Sigmoid, Dropout), `activations` (Identity, Flatten, Unflatten and
the other activation modules), `losses` (CrossEntropyLoss, ... as modules),
`containers` (Sequential, MLP), `lists` (ModuleList, ModuleDict, ParameterList,
ParameterDict), `init` (nn.init: kaiming_uniform_, xavier_uniform_, ...) and `utils`
(nn.utils: clip_grad_norm_, ...); the default Generator lives in `tinygrad_ce.rng`.
"""

from .parameter import Parameter  # noqa: I001  (in reading order: the API docs list the names so)
from .module import Module
from .state import IncompatibleKeys, StateDictError
from .attributes import NameTakenError
from .layers import Dropout, Linear, ReLU, Sigmoid, Tanh, linear
from .activations import (
    CELU,
    ELU,
    GELU,
    SELU,
    Flatten,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    Identity,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    ReLU6,
    SiLU,
    Softmax,
    Softmin,
    Softplus,
    Softsign,
    Unflatten,
)
from .losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from .containers import ACTIVATIONS, MLP, Sequential
from .lists import ModuleDict, ModuleList, ParameterDict, ParameterList
from .norm import BatchNorm1d, BatchNorm2d, Embedding, LayerNorm
from .attention import MultiheadAttention
from .conv import AdaptiveAvgPool2d, AvgPool2d, Conv1d, Conv2d, ConvTranspose2d, MaxPool2d
from . import init, utils
from ..rng import as_generator, manual_seed

__all__ = [
    "Parameter",
    "Module",
    "StateDictError",
    "IncompatibleKeys",
    "NameTakenError",
    "Linear",
    "linear",
    "ReLU",
    "Tanh",
    "Sigmoid",
    "Dropout",
    "Sequential",
    "MLP",
    "ACTIVATIONS",
    "manual_seed",
    "as_generator",
    "ModuleList",
    "ModuleDict",
    "ParameterList",
    "ParameterDict",
    "Identity",
    "Flatten",
    "Unflatten",
    "GELU",
    "SiLU",
    "Mish",
    "SELU",
    "CELU",
    "LeakyReLU",
    "ELU",
    "Softplus",
    "Softsign",
    "Hardtanh",
    "ReLU6",
    "Hardsigmoid",
    "Hardswish",
    "LogSigmoid",
    "Softmax",
    "LogSoftmax",
    "Softmin",
    "CrossEntropyLoss",
    "NLLLoss",
    "MSELoss",
    "L1Loss",
    "SmoothL1Loss",
    "HuberLoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "KLDivLoss",
    "LayerNorm",
    "BatchNorm1d",
    "BatchNorm2d",
    "Embedding",
    "Conv1d",
    "Conv2d",
    "ConvTranspose2d",
    "MaxPool2d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "init",
    "utils",
    "MultiheadAttention",
]
