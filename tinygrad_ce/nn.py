"""Layers: `Parameter`, `Module` and the PyTorch-style building blocks on top of it.

A `Module` finds the Parameters and sub-Modules assigned to it as attributes, in the
order they were assigned, and names them with PyTorch's dotted keys (`0.weight`,
`block.linear1.bias`), so `state_dict()` / `load_state_dict()` interoperate with a
PyTorch state dict converted with `.numpy()`. Calling a module runs `forward` inside
`engine.named_scope(<class name>)`, so graph drawings show each module as a cluster.

Random initialisation and dropout draw from a numpy Generator: pass `rng=` (a seed or a
Generator) or seed the module-level default with `manual_seed(seed)`.
"""
from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from . import functional as F
from .engine import named_scope
from .tensor import Tensor, get_default_dtype

# ----------------------------------------------------------------------------- randomness
_default_generator = np.random.default_rng(0)  # fixed start, like PyTorch's default seed


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the default Generator used by layer initialisation, dropout, data
    shuffling and synthetic datasets when no `rng`/`seed` is given; returns it."""
    global _default_generator
    _default_generator = np.random.default_rng(seed)
    return _default_generator


def as_generator(rng: int | np.random.Generator | None) -> np.random.Generator:
    """A Generator from a seed (a new one), a Generator (itself) or None (the default)."""
    if rng is None:
        return _default_generator
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"expected a seed (int), a numpy Generator or None, got {type(rng).__name__}")


# ----------------------------------------------------------------------------- Parameter
class Parameter(Tensor):
    """A Tensor that a Module registers as trainable: `requires_grad=True` by default.

    `data` as for Tensor (an ndarray is shared, not copied; a Tensor's array is taken)."""

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None, name: str | None = None):
        super().__init__(data.data if isinstance(data, Tensor) else data, requires_grad, dtype, name)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class StateDictError(ValueError):
    """A state dict that does not fit a module: the message lists the keys that are
    missing, unexpected or of the wrong shape."""


class IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


# ----------------------------------------------------------------------------- Module
class Module:
    """Base class of layers and models: subclass it, call `super().__init__()`, assign
    Parameters and Modules as attributes, and write `forward`.

    Registered objects are also ordinary attributes, so reading `self.weight` costs
    nothing extra; assigning a non-Parameter over a registered parameter is a TypeError.
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with named_scope(type(self).__name__):
            return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        registries = self.__dict__.get("_parameters"), self.__dict__.get("_modules")
        if isinstance(value, (Parameter, Module)):
            if registries[0] is None:
                raise AttributeError(
                    f"cannot assign {type(value).__name__} {name!r} before Module.__init__(); "
                    "call super().__init__() first"
                )
            own, other = registries if isinstance(value, Parameter) else registries[::-1]
            other.pop(name, None)
            own[name] = value
        elif registries[0] is not None and (name in registries[0] or name in registries[1]):
            if value is not None:
                kind = "parameter" if name in registries[0] else "module"
                raise TypeError(
                    f"cannot assign {type(value).__name__} to {name!r}, a registered {kind} of "
                    f"{type(self).__name__} (expected a nn.{kind.capitalize()} or None)"
                )
            (registries[0] if name in registries[0] else registries[1])[name] = None
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register `param` (or None: a declared but absent parameter, like a missing bias)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be a nn.Parameter or None")
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register `module` under `name` (any string, e.g. "0" in a Sequential)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a nn.Module or None, got {type(module).__name__}")
        self._modules[name] = module
        object.__setattr__(self, name, module)

    # ------------------------------------------------------------------ traversal
    def named_modules(self, prefix: str = "", remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module and every submodule, depth first in
        definition order. Iterative; a module that contains itself is a ValueError."""
        stack: list[tuple[str, Module, int]] = [(prefix, self, 0)]
        seen: set[int] = set()
        path: list[int] = []
        while stack:
            name, module, depth = stack.pop()
            del path[depth:]
            if id(module) in path:
                raise ValueError(f"named_modules: module {name!r} contains itself")
            path.append(id(module))
            if remove_duplicate and id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(k, m) for k, m in module._modules.items() if m is not None]
            stack.extend((f"{name}.{k}" if name else k, m, depth + 1) for k, m in reversed(children))

    def modules(self) -> Iterator[Module]:
        return (module for _, module in self.named_modules())

    def children(self) -> Iterator[Module]:
        """The direct submodules, in definition order."""
        yield from (m for m in self._modules.values() if m is not None)

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, Parameter) pairs in definition order; a shared Parameter is
        listed once unless `remove_duplicate=False`."""
        seen: set[int] = set()
        walk = self.named_modules(prefix, remove_duplicate) if recurse else iter([(prefix, self)])
        for module_name, module in walk:
            for name, param in module._parameters.items():
                if param is None or (remove_duplicate and id(param) in seen):
                    continue
                seen.add(id(param))
                yield (f"{module_name}.{name}" if module_name else name), param

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every Parameter once, in definition order (what an optimizer takes)."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def num_parameters(self, trainable_only: bool = False) -> int:
        """The number of scalars in the parameters (shared ones counted once)."""
        return sum(p.data.size for p in self.parameters() if p.requires_grad or not trainable_only)

    # ------------------------------------------------------------------ modes and grads
    def zero_grad(self) -> None:
        """Set every parameter's `.grad` to None."""
        for param in self.parameters():
            param.grad = None

    def train(self, mode: bool = True) -> Module:
        """Set `.training` on this module and every submodule (Dropout obeys it); returns self."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """`train(False)`: dropout off."""
        return self.train(False)

    # ------------------------------------------------------------------ state dicts
    def state_dict(self) -> dict[str, np.ndarray]:
        """{dotted name: a copy of the parameter's ndarray}, in definition order; a
        shared parameter appears under each of its names (as in PyTorch)."""
        return {name: p.data.copy() for name, p in self.named_parameters(remove_duplicate=False)}

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values (ndarrays, Tensors, numbers) into the parameters, in place.

        Shapes must match exactly; with `strict` the keys must match too. Everything is
        checked before anything is copied, and the StateDictError names every missing,
        unexpected and mismatched key. Values are cast to each parameter's dtype."""
        own = dict(self.named_parameters(remove_duplicate=False))
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        arrays: dict[str, np.ndarray] = {}
        problems = []
        for key, param in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            array = value.data if isinstance(value, Tensor) else np.asarray(value)
            if array.dtype.kind not in "fiu":
                problems.append(f"{key} is not numeric (dtype {array.dtype})")
            elif array.shape != param.data.shape:
                problems.append(f"{key} has shape {array.shape} in state_dict, {param.shape} in the model")
            else:
                arrays[key] = array
        if strict and missing:
            problems.append("missing keys: " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(unexpected))
        if problems:
            raise StateDictError(f"load_state_dict into {type(self).__name__}: " + "; ".join(problems))
        for key, array in arrays.items():
            np.copyto(own[key].data, array, casting="unsafe")
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        """The text inside this module's parentheses in `repr` (its settings)."""
        return ""

    def __repr__(self) -> str:
        lines = self.extra_repr().split("\n") if self.extra_repr() else []
        for name, module in self._modules.items():
            lines.append(f"({name}): " + repr(module).replace("\n", "\n  "))
        if not self._modules:
            return f"{type(self).__name__}({', '.join(lines)})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"

    def summary(self) -> str:
        """A table of the parameters (name, shape, dtype, count) and their total."""
        rows = [(n, str(p.shape), str(p.dtype), f"{p.data.size:,}") for n, p in self.named_parameters()]
        header = ("parameter", "shape", "dtype", "count")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
        fmt = lambda r: "  ".join(r[i].ljust(widths[i]) if i < 3 else r[i].rjust(widths[i]) for i in range(4))
        lines = [fmt(header), *(fmt(r) for r in rows)]
        trainable = self.num_parameters(trainable_only=True)
        lines.append(f"{type(self).__name__}: {self.num_parameters():,} parameters ({trainable:,} trainable)")
        return "\n".join(lines)


# ----------------------------------------------------------------------------- layers
linear = F.linear  # x @ weight.T + bias as one `linear` node (ops.Linear)


class Linear(Module):
    """y = x @ weight.T + bias, for x of shape (*, in_features) -> (*, out_features).

    `weight` is (out_features, in_features) as in PyTorch, and so is the default
    initialisation: weight and bias ~ U(-1/sqrt(in_features), 1/sqrt(in_features))
    (kaiming_uniform with a=sqrt(5)). `rng`: a seed or Generator (default: see
    `manual_seed`); `dtype`: the default dtype unless given. An ndarray input is cast
    to the weight's dtype. Differentiable in x, weight and bias."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        rng: int | np.random.Generator | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        for label, n in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
                raise ValueError(f"Linear: {label} must be a positive integer, got {n!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        generator = as_generator(rng)
        dtype = np.dtype(dtype) if dtype is not None else get_default_dtype()
        bound = 1.0 / math.sqrt(in_features)
        self.weight = Parameter(generator.uniform(-bound, bound, (out_features, in_features)).astype(dtype))
        bias_param = Parameter(generator.uniform(-bound, bound, out_features).astype(dtype)) if bias else None
        self.register_parameter("bias", bias_param)

    def forward(self, x: Any) -> Tensor:
        if not isinstance(x, Tensor):
            x = Tensor(np.asarray(x), dtype=self.weight.data.dtype)
        if x.data.ndim == 0 or x.data.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear: expected input of shape (*, {self.in_features}) (in_features={self.in_features}), "
                f"got shape {x.shape}"
            )
        return linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        bias = self.bias is not None
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={bias}"


class ReLU(Module):
    """max(x, 0) elementwise."""

    def forward(self, x: Any) -> Tensor:
        return F.relu(x)


class Tanh(Module):
    """tanh(x) elementwise."""

    def forward(self, x: Any) -> Tensor:
        return F.tanh(x)


class Sigmoid(Module):
    """1 / (1 + exp(-x)) elementwise."""

    def forward(self, x: Any) -> Tensor:
        return F.sigmoid(x)


class Dropout(Module):
    """Inverted dropout: in training mode each element is zeroed with probability `p`
    and the rest scaled by 1/(1-p); in eval mode (or p=0) the input passes unchanged.
    The mask is drawn from `rng` (a seed or Generator; default: see `manual_seed`)."""

    def __init__(self, p: float = 0.5, rng: int | np.random.Generator | None = None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p = float(p)
        self._rng = None if rng is None else as_generator(rng)

    def forward(self, x: Any) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor(x)
        if not self.training or self.p == 0.0:
            return x
        dtype = x.data.dtype if x.data.dtype in (np.float32, np.float64) else np.float64
        generator = self._rng if self._rng is not None else _default_generator
        keep = generator.random(x.data.shape, dtype=dtype) >= self.p
        scale = 0.0 if self.p == 1.0 else 1.0 / (1.0 - self.p)
        return x * Tensor((keep * scale).astype(x.data.dtype, copy=False))

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Sequential(Module):
    """Modules applied in order; indexable (`seq[0]`, `seq[-1]`, `seq[1:]`), with `len`
    and iteration. Children are named "0", "1", ... (PyTorch's state-dict keys)."""

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: layer {i} is a {type(layer).__name__}, not a nn.Module")
            self.add_module(str(i), layer)

    def forward(self, x: Any) -> Any:
        for layer in self._modules.values():
            x = layer(x)
        return x

    def __getitem__(self, index: int | slice) -> Any:
        layers = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*layers[index])
        try:
            return layers[index]
        except IndexError:
            raise IndexError(f"Sequential: index {index} out of range for {len(layers)} layers") from None

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def append(self, layer: Module) -> Sequential:
        self.add_module(str(len(self._modules)), layer)
        return self


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
        sizes = tuple(sizes)
        if len(sizes) < 2:
            raise ValueError(f"MLP: sizes needs at least an input and an output size, got {list(sizes)}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"MLP: activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
        generator = as_generator(rng)
        layers: list[Module] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(n_in, n_out, bias=bias, rng=generator, dtype=dtype))
            if i < len(sizes) - 2:
                layers.append(ACTIVATIONS[activation]())
                if dropout > 0:
                    layers.append(Dropout(dropout, rng=None if rng is None else generator))
        super().__init__(*layers)
        self.sizes, self.activation = sizes, activation
