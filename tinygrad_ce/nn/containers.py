"""Containers: `Sequential` (with a stack-based run of nested plain Sequentials, so any
nesting depth works) and `MLP`, Linear layers with an activation between them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import _checks as checks
from .._checks import got
from ..functional.scopes import named_scope
from ..rng import as_generator
from .layers import Dropout, Linear, ReLU, Sigmoid, Tanh
from .module import Module


class Sequential(Module):
    """Modules applied in order; indexable (`seq[0]`, `seq[-1]`, `seq[1:]`), with `len`
    and iteration. Children are named "0", "1", ... (PyTorch's state-dict keys); one set
    to None is skipped. Nested plain Sequentials run without recursion, so any depth works."""

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: layers[{i}] is a {type(layer).__name__}, not a nn.Module")
            self.add_module(str(i), layer)

    def forward(self, x: Any) -> Any:
        for layer in self._modules.values():
            if isinstance(layer, Sequential) and _is_plain(layer):
                x = _run_nested(layer, x)  # no recursion, so nesting depth is unlimited
            elif layer is not None:
                x = layer(x)
        return x

    def __getitem__(self, index: int | slice) -> Any:
        layers = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*layers[index])
        if not checks.is_int(index):
            raise TypeError(f"Sequential: index must be an int or a slice, got {got(index)}")
        if not -len(layers) <= index < len(layers):
            raise IndexError(f"Sequential: index {index} out of range for {len(layers)} layers")
        return layers[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def append(self, layer: Module) -> Sequential:
        """Add `layer` at the end; returns self."""
        if not isinstance(layer, Module):
            raise TypeError(f"Sequential.append: layer must be a nn.Module, got {got(layer)}")
        self.add_module(str(len(self._modules)), layer)
        return self


def _is_plain(seq: Sequential) -> bool:
    """Whether calling `seq` is just Module.__call__ around Sequential.forward."""
    cls = type(seq)
    return cls.forward is Sequential.forward and cls.__call__ is Module.__call__


_END: Any = object()  # (Any: the end-of-layers marker is compared by identity only)


def _run_nested(seq: Sequential, x: Any) -> Any:
    """Call a plain Sequential with an explicit stack instead of recursion: the plain
    Sequentials inside it are entered in place, each in its own named_scope, exactly
    as calling them would record; other layers are called."""
    scopes = [named_scope(type(seq).__name__)]
    scopes[0].__enter__()
    layers, open_ids = [iter(seq._modules.values())], [id(seq)]
    try:
        while layers:
            layer = next(layers[-1], _END)
            if layer is _END:
                layers.pop()
                open_ids.pop()
                scopes.pop().__exit__(None, None, None)
            elif isinstance(layer, Sequential) and _is_plain(layer):
                if id(layer) in open_ids:
                    raise RecursionError(
                        f"Sequential: a {type(layer).__name__} inside it contains itself; it cannot be called"
                    )
                scopes.append(named_scope(type(layer).__name__))
                scopes[-1].__enter__()
                layers.append(iter(layer._modules.values()))
                open_ids.append(id(layer))
            elif layer is not None:
                x = layer(x)
    except BaseException as err:
        while scopes:
            scopes.pop().__exit__(type(err), err, err.__traceback__)
        raise
    return x


ACTIVATIONS: dict[str, type[Module]] = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}


class MLP(Sequential):
    """Linear layers of the given `sizes` with `activation` between them (and optional
    Dropout after each activation) and none after the last: `MLP([2, 64, 3])(x)` gives
    logits of shape (N, 3) for x of shape (N, 2). State-dict keys are those of the
    equivalent `torch.nn.Sequential` ("0.weight", "2.bias", ...)."""

    def __init__(
        self,
        sizes: list[int] | tuple[int, ...],
        activation: str = "relu",
        bias: bool = True,
        dropout: float = 0.0,
        rng: int | np.random.Generator | None = None,
        dtype: Any = None,
    ) -> None:
        sizes = _check_sizes("MLP", "sizes", sizes)
        checks.string("MLP", "activation", activation, choices=ACTIVATIONS)
        bias = checks.boolean("MLP", "bias", bias)
        dropout = checks.number("MLP", "dropout", dropout, low=0.0, high=1.0)
        generator = as_generator(rng, "MLP", "rng")
        dtype = checks.float_dtype("MLP", "dtype", dtype)
        layers: list[Module] = []
        with checks.allocating("MLP", f"sizes={checks.shown(list(sizes))}"):
            for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
                layers.append(Linear(n_in, n_out, bias=bias, rng=generator, dtype=dtype))
                if i < len(sizes) - 2:
                    layers.append(ACTIVATIONS[activation]())
                    if dropout > 0:
                        layers.append(Dropout(dropout, rng=None if rng is None else generator))
        super().__init__(*layers)
        self.sizes, self.activation = sizes, activation


def _check_sizes(owner: str, name: str, sizes: Any) -> tuple[int, ...]:
    """`sizes` (a list or tuple of positive ints, at least two) as a tuple of ints."""
    sizes = checks.items(owner, name, sizes, "a list of positive ints (layer widths)")
    if len(sizes) < 2:
        raise ValueError(f"{owner}: {name} needs at least an input and an output size, got {list(sizes)}")
    return tuple(checks.integer(owner, f"{name}[{i}]", n, low=1) for i, n in enumerate(sizes))
