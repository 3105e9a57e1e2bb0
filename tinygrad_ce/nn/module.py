"""`Module`: the base class of layers and models. It registers the Parameters and
sub-Modules assigned to it, walks them iteratively (any depth, cycle-safe), saves and
loads state dicts, and runs `forward` inside `named_scope(<class name>)`."""
from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from .. import _checks as checks
from .._checks import got
from ..functional.scopes import named_scope
from .parameter import Parameter
from .state import IncompatibleKeys, fit_state_dict
from .walk import tree_repr, walk_modules


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
        return walk_modules(self, prefix, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        """This module and every submodule, each once, depth first."""
        return (module for _, module in walk_modules(self, "", True))

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
        walk = walk_modules(self, prefix, dedupe) if recurse else iter([(prefix, self)])
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
        arrays, left_out = fit_state_dict(type(self).__name__, own, state_dict, strict)
        for key, array in arrays.items():
            np.copyto(own[key].data, array, casting="unsafe")
        return left_out

    # ------------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        """The text inside this module's parentheses in `repr` (its settings)."""
        return ""

    def __repr__(self) -> str:
        """PyTorch's layout, written iteratively (any depth); a module printed before (a
        shared block, or one inside itself) is shown as `<same Block as 'encoder'>`."""
        return tree_repr(self)

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
