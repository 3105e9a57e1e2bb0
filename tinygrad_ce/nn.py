"""Layers: `Parameter`, `Module` and the PyTorch-style building blocks on top of it.

A `Module` finds the Parameters and sub-Modules assigned to it as attributes, in the
order they were assigned, and names them with PyTorch's dotted keys (`0.weight`,
`block.linear1.bias`), so `state_dict()` / `load_state_dict()` interoperate with a
PyTorch state dict converted with `.numpy()`. Calling a module runs `forward` inside
`named_scope(<class name>)`, so graph drawings show each module as a cluster.

Random initialisation and dropout draw from a numpy Generator: pass `rng=` (a seed or a
Generator) or seed the module-level default with `manual_seed(seed)`.
"""
from __future__ import annotations

import math
import sys
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from . import _checks as checks
from . import functional as F
from ._checks import got
from .functional.scopes import named_scope
from .tensor import Tensor, get_default_dtype

# ----------------------------------------------------------------------------- randomness
_default_generator = np.random.default_rng(0)  # fixed start, like PyTorch's default seed


def manual_seed(seed: int | np.random.Generator | None) -> np.random.Generator:
    """Reseed the default Generator used by layer initialisation, dropout, data
    shuffling and synthetic datasets when no `rng`/`seed` is given; returns it.
    `seed`: an int >= 0, a Generator (used as the default) or None (fresh entropy)."""
    global _default_generator
    _default_generator = np.random.default_rng(checks.seed("manual_seed", "seed", seed))
    return _default_generator


def as_generator(
    rng: int | np.random.Generator | None, owner: str = "as_generator", name: str = "rng"
) -> np.random.Generator:
    """A Generator from a seed (an int >= 0: a new one), a Generator (itself) or None
    (the default). A bad `rng` is a TypeError/ValueError that names `owner` and `name`
    (the caller and its argument, e.g. "spiral", "seed")."""
    rng = checks.seed(owner, name, rng)
    if rng is None:
        return _default_generator
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


# ----------------------------------------------------------------------------- Parameter
class Parameter(Tensor):
    """A Tensor that a Module registers as trainable: `requires_grad=True` by default.

    `data` as for Tensor (an ndarray is shared, not copied; a Tensor's array is taken)."""

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None, name: str | None = None):
        requires_grad = checks.boolean("Parameter", "requires_grad", requires_grad)
        if name is not None:
            checks.string("Parameter", "name", name)
        if dtype is not None:
            dtype = checks.float_dtype("Parameter", "dtype", dtype)
        try:
            super().__init__(data.data if isinstance(data, Tensor) else data, requires_grad, dtype, name)
        except (TypeError, ValueError) as err:
            kind = TypeError if isinstance(err, TypeError) else ValueError
            raise kind(f"Parameter: data must be a float array, a number, a list or a Tensor, got "
                       f"{got(data)}: {err}") from None

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class StateDictError(ValueError):
    """A state dict that does not fit a module: the message lists the keys that are
    missing, unexpected or of the wrong shape."""


class IncompatibleKeys(NamedTuple):
    """What a non-strict `load_state_dict` left out: the model's keys that the state
    dict lacked, and the state dict's keys that the model does not have."""

    missing_keys: list[str]
    unexpected_keys: list[str]


# ----------------------------------------------------------------------------- walking modules
def _walk(root: Module, prefix: str, remove_duplicate: bool) -> Iterator[tuple[str, Module]]:
    """(dotted name, module), depth first in definition order, with an explicit stack.
    A module already on the path from the root (a cycle) is not entered again."""
    stack: list[tuple[str, Module, int]] = [(prefix, root, 0)]
    path: list[int] = []  # ids of the ancestors of the module being visited
    on_path: set[int] = set()
    seen: set[int] = set()
    while stack:
        name, module, depth = stack.pop()
        on_path.difference_update(path[depth:])
        del path[depth:]
        if id(module) in on_path or (remove_duplicate and id(module) in seen):
            continue
        seen.add(id(module))
        path.append(id(module))
        on_path.add(id(module))
        yield name, module
        children = [(k, m) for k, m in module._modules.items() if m is not None]
        stack.extend((f"{name}.{k}" if name else k, m, depth + 1) for k, m in reversed(children))


def _one_line_repr(module: Module) -> str:
    """A module without submodules: `Name(extra, repr)` on one line."""
    extra = module.extra_repr()
    settings = ", ".join(extra.split("\n")) if extra else ""
    return f"{type(module).__name__}({settings})"


def _as_array(value: Any) -> np.ndarray | None:
    """A state-dict value as an ndarray, or None if numpy cannot make one (ragged lists)."""
    if isinstance(value, Tensor):
        return value.data
    try:
        return np.asarray(value)
    except (TypeError, ValueError):
        return None


def _too_deep(module: Module, err: RecursionError) -> None:
    """Called by every `Module.__call__` that a RecursionError passes through. The
    deepest one that can counts the Module calls on the stack; the outermost one, if
    that count is large, raises a RecursionError that says the nesting is too deep
    (a few Python frames per level; the limit is sys.getrecursionlimit())."""
    levels = getattr(err, "_module_levels", None)
    if levels is None:
        levels = err._module_depth = _module_calls_on_stack()  # type: ignore[attr-defined]
    err._module_levels = levels - 1  # type: ignore[attr-defined]
    depth = getattr(err, "_module_depth", 0)
    if levels <= 1 and depth >= 64:
        raise RecursionError(
            f"{type(module).__name__}: modules are nested too deeply to call: Python's recursion limit "
            f"({sys.getrecursionlimit()}) was reached {depth} Module calls deep. Nested plain Sequentials "
            "run without recursion, so flatten the model into Sequentials, or raise the limit with "
            "sys.setrecursionlimit (a module that calls itself also ends here)"
        ) from None


def _module_calls_on_stack() -> int:
    frame, count = sys._getframe(1), 0
    while frame is not None:
        count += frame.f_code is _MODULE_CALL_CODE
        frame = frame.f_back
    return count


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
        """The computation; subclasses define it and are called as `module(x)`."""
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            with named_scope(type(self).__name__):
                return self.forward(*args, **kwargs)
        except RecursionError as err:  # free until raised; see _too_deep
            _too_deep(self, err)
            raise

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
        registry = self._registry("register_parameter", name, "_parameters")
        if param is not None and not isinstance(param, Parameter):
            what = f"register_parameter: param {name!r} must be a Parameter or None"
            raise TypeError(f"{what}, got {got(param)}")
        self._modules.pop(name, None)
        registry[name] = param
        object.__setattr__(self, name, param)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register `module` under `name` (any string without a dot, e.g. "0" in a Sequential)."""
        registry = self._registry("add_module", name, "_modules")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: module {name!r} must be a nn.Module or None, got {got(module)}")
        self._parameters.pop(name, None)
        registry[name] = module
        object.__setattr__(self, name, module)

    def _registry(self, owner: str, name: Any, which: str) -> dict[str, Any]:
        """`_parameters` or `_modules`, after checking `name` (a non-empty string, no dot)."""
        checks.string(owner, "name", name)
        if not name or "." in name:
            raise ValueError(f"{owner}: name must be a non-empty string without '.', got {name!r}")
        registry = self.__dict__.get(which)
        if registry is None:
            raise AttributeError(f"{owner}: cannot register {name!r} before Module.__init__(); "
                                 "call super().__init__() first")
        return registry

    # ------------------------------------------------------------------ traversal
    def named_modules(self, prefix: str = "", remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module and every submodule, depth first in
        definition order; a shared module is listed once unless `remove_duplicate=False`.

        Iterative, so any depth works, and cycle-safe: a module inside itself (`m.me = m`,
        or `a.b = b; b.a = a`) is not entered again, so every walk (parameters, state
        dicts, train/eval, zero_grad) ends."""
        checks.string("named_modules", "prefix", prefix)
        checks.boolean("named_modules", "remove_duplicate", remove_duplicate)
        return _walk(self, prefix, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        """This module and every submodule, each once, depth first."""
        return (module for _, module in _walk(self, "", True))

    def children(self) -> Iterator[Module]:
        """The direct submodules, in definition order."""
        yield from (m for m in self._modules.values() if m is not None)

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, Parameter) pairs in definition order; a shared Parameter is
        listed once unless `remove_duplicate=False`."""
        checks.string("named_parameters", "prefix", prefix)
        checks.boolean("named_parameters", "recurse", recurse)
        checks.boolean("named_parameters", "remove_duplicate", remove_duplicate)
        return self._named_parameters(prefix, recurse, remove_duplicate)

    def _named_parameters(self, prefix: str, recurse: bool, dedupe: bool) -> Iterator[tuple[str, Parameter]]:
        seen: set[int] = set()
        walk = _walk(self, prefix, dedupe) if recurse else iter([(prefix, self)])
        for module_name, module in walk:
            for name, param in module._parameters.items():
                if param is None or (dedupe and id(param) in seen):
                    continue
                seen.add(id(param))
                yield (f"{module_name}.{name}" if module_name else name), param

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every Parameter once, in definition order (what an optimizer takes)."""
        checks.boolean("parameters", "recurse", recurse)
        return (param for _, param in self._named_parameters("", recurse, True))

    def num_parameters(self, trainable_only: bool = False) -> int:
        """The number of scalars in the parameters (shared ones counted once)."""
        checks.boolean("num_parameters", "trainable_only", trainable_only)
        return sum(p.data.size for p in self.parameters() if p.requires_grad or not trainable_only)

    # ------------------------------------------------------------------ modes and grads
    def zero_grad(self) -> None:
        """Set every parameter's `.grad` to None."""
        for param in self.parameters():
            param.grad = None

    def train(self, mode: bool = True) -> Module:
        """Set `.training` on this module and every submodule (Dropout obeys it); returns self."""
        mode = checks.boolean("train", "mode", mode)
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """`train(False)`: dropout off."""
        return self.train(False)

    # ------------------------------------------------------------------ state dicts
    def state_dict(self) -> dict[str, np.ndarray]:
        """{dotted name: a copy of the parameter's ndarray}, in definition order; a
        shared parameter appears under each of its names (as in PyTorch)."""
        return {name: p.data.copy() for name, p in self._named_parameters("", True, False)}

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values (ndarrays, Tensors, numbers) into the parameters, in place.

        Shapes must match exactly; with `strict` the keys must match too. Everything is
        checked before anything is copied, and the StateDictError names every missing,
        unexpected and mismatched key. Values are cast to each parameter's dtype."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict: state_dict must be a mapping of arrays, got {got(state_dict)}")
        strict = checks.boolean("load_state_dict", "strict", strict)
        own = dict(self._named_parameters("", True, False))
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        arrays: dict[str, np.ndarray] = {}
        problems = []
        for key, param in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            array = _as_array(value)
            if array is None or array.dtype.kind not in "fiu":
                problems.append(f"{key} is not numeric ({got(value) if array is None else array.dtype})")
            elif array.shape != param.data.shape:
                problems.append(f"{key} has shape {array.shape} in state_dict, {param.shape} in the model")
            else:
                arrays[key] = array
        if strict and missing:
            problems.append("missing keys: " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(map(str, unexpected)))
        if problems:
            where = f"load_state_dict into {type(self).__name__}: the state_dict does not fit: "
            raise StateDictError(where + "; ".join(problems))
        for key, array in arrays.items():
            np.copyto(own[key].data, array, casting="unsafe")
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        """The text inside this module's parentheses in `repr` (its settings)."""
        return ""

    def __repr__(self) -> str:
        """PyTorch's layout, written iteratively (any depth). A module with submodules
        that was already printed (a shared block, or one inside itself) is shown as a
        reference, `<same Block as 'encoder'>`, so a cycle cannot loop."""
        lines: list[str] = []
        printed: dict[int, str] = {}  # id -> dotted name, for modules with submodules
        stack: list[tuple[str, str, Module | None] | str] = [("", "", self)]  # (indent + label, name, module)
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                lines.append(item)
                continue
            head, name, module = item
            pad = " " * (len(head) - len(head.lstrip(" ")))
            if module is None or not module._modules:
                lines.append(head + (repr(module) if module is None else _one_line_repr(module)))
                continue
            if id(module) in printed:
                where = f"'{printed[id(module)]}'" if printed[id(module)] else "the top-level module"
                lines.append(f"{head}<same {type(module).__name__} as {where}>")
                continue
            printed[id(module)] = name
            extra = module.extra_repr()
            lines.append(f"{head}{type(module).__name__}(")
            lines.extend(f"{pad}  {line}" for line in (extra.split("\n") if extra else []))
            stack.append(f"{pad})")
            for key, child in reversed(module._modules.items()):
                stack.append((f"{pad}  ({key}): ", f"{name}.{key}" if name else key, child))
        return "\n".join(lines)

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


_MODULE_CALL_CODE = Module.__call__.__code__


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
        in_features = checks.integer("Linear", "in_features", in_features, low=1)
        out_features = checks.integer("Linear", "out_features", out_features, low=1)
        bias = checks.boolean("Linear", "bias", bias)
        generator = as_generator(rng, "Linear", "rng")
        dtype = checks.float_dtype("Linear", "dtype", dtype)
        dtype = get_default_dtype() if dtype is None else dtype
        self.in_features, self.out_features = in_features, out_features
        bound = 1.0 / math.sqrt(in_features)
        with checks.allocating("Linear", f"in_features={in_features} x out_features={out_features}"):
            weight = generator.uniform(-bound, bound, (out_features, in_features)).astype(dtype)
            bias_values = generator.uniform(-bound, bound, out_features).astype(dtype) if bias else None
        self.weight = Parameter(weight)
        self.register_parameter("bias", None if bias_values is None else Parameter(bias_values))

    def forward(self, x: Any) -> Tensor:
        if not isinstance(x, Tensor):
            x = _input_tensor("Linear", x, self.weight.data.dtype)
        if x.data.ndim == 0 or x.data.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear: expected input x of shape (*, {self.in_features}) "
                f"(in_features={self.in_features}), got shape {x.shape}"
            )
        return linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        bias = self.bias is not None
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={bias}"


def _input_tensor(owner: str, x: Any, dtype: Any = None) -> Tensor:
    """A layer's non-Tensor input `x` as a Tensor (cast to `dtype`, if given: a real
    dtype, so complex input is refused rather than silently losing its imaginary part)."""
    try:
        array = np.asarray(x)
        if array.dtype.kind not in ("biuf" if dtype is not None else "biufc"):
            raise TypeError(f"dtype {array.dtype} is not {'real ' if dtype is not None else ''}numeric")
        return Tensor(array, dtype=dtype)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{owner}: input x must be a Tensor or numeric array, got {got(x)}: {err}") from None


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
        self.p = checks.number("Dropout", "p", p, low=0.0, high=1.0)
        self._rng = None if rng is None else as_generator(rng, "Dropout", "rng")

    def forward(self, x: Any) -> Tensor:
        x = x if isinstance(x, Tensor) else _input_tensor("Dropout", x)
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


_END = object()


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
                    raise RecursionError(f"Sequential: a {type(layer).__name__} inside it contains itself; "
                                         "it cannot be called")
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
