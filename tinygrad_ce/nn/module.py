"""`Module`: the base class of layers and models. It registers the Parameters,
buffers and sub-Modules assigned to it, walks them iteratively (any depth, cycle-safe),
saves and loads state dicts, casts them (`to`), and runs `forward` inside
`named_scope(<class name>)`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from types import FrameType
from typing import Any

import numpy as np

from .. import _checks as checks
from .._checks import got
from ..autograd.trace import replayed
from ..functional.scopes import named_scope
from ..tensor import Tensor
from .attributes import NameTakenError, cast_, parse_to, warn_plain_container
from .parameter import Parameter
from .state import IncompatibleKeys, fit_state_dict
from .walk import tree_repr, walk_modules, walk_postorder


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
            "run without recursion, so flatten the model into Sequentials, or raise Python's recursion "
            "limit (a module that calls itself also ends here)"
        ) from None


def _module_calls_on_stack() -> int:
    frame: FrameType | None = sys._getframe(1)
    count = 0
    while frame is not None:
        count += frame.f_code is _MODULE_CALL_CODE
        frame = frame.f_back
    return count


class Module:
    """Base class of layers and models: subclass it, call `super().__init__()`, assign
    Parameters and Modules as attributes, register buffers (`register_buffer`), and
    write `forward`.

    Registered objects are also ordinary attributes, so reading `self.weight` costs
    nothing extra. Assigning a non-Parameter over a registered parameter (or a non-Module
    over a module) is a TypeError; a registered buffer takes a Tensor or None. A plain
    list, tuple or dict holding Modules or Parameters is a UserWarning naming
    nn.ModuleList / nn.ModuleDict / nn.ParameterList / nn.ParameterDict: the Module does
    not look inside it, so those parameters would not be found.
    """

    training: bool
    # (set in __init__ with object.__setattr__; the registries behind the attributes)
    _parameters: dict[str, Parameter | None]
    _buffers: dict[str, Tensor | None]
    _non_persistent_buffers_set: set[str]
    _modules: dict[str, Module]  # (a name set to None maps to None, as in PyTorch; walks skip it)

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; subclasses define it and are called as `module(x)`."""
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            with named_scope(type(self).__name__, owner=self):  # drawings name parameters by it
                return self.forward(*args, **kwargs)
        except RecursionError as err:  # free until raised; see _too_deep
            _too_deep(self, err)
            raise

    # ------------------------------------------------------------------ registration
    def _registries(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]] | None:
        """(_parameters, _buffers, _modules), or None before Module.__init__()."""
        params = self.__dict__.get("_parameters")
        return None if params is None else (params, self.__dict__["_buffers"], self.__dict__["_modules"])

    def _unregister(self, name: str, keep: dict[str, Any] | None = None) -> None:
        """Drop `name` from every registry but `keep` (whose position is kept)."""
        for registry in self._registries() or ():
            if registry is not keep:
                registry.pop(name, None)
        if keep is not self.__dict__.get("_buffers"):
            self.__dict__.get("_non_persistent_buffers_set", set()).discard(name)

    def __setattr__(self, name: str, value: Any) -> None:
        registries = self._registries()
        if isinstance(value, (Parameter, Module)):
            if registries is None:
                raise AttributeError(
                    f"cannot assign {type(value).__name__} {name!r} before Module.__init__(); "
                    "call super().__init__() first"
                )
            own = registries[0] if isinstance(value, Parameter) else registries[2]
            self._unregister(name, keep=own)
            own[name] = value
        elif registries is not None and name in registries[1]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign {got(value)} to {name!r}, a registered buffer of "
                    f"{type(self).__name__} (expected a Tensor or None)"
                )
            registries[1][name] = value
        elif registries is not None and (name in registries[0] or name in registries[2]):
            kind = "parameter" if name in registries[0] else "module"
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} to {name!r}, a registered {kind} of "
                    f"{type(self).__name__} (expected a nn.{kind.capitalize()} or None)"
                )
            registries[0 if kind == "parameter" else 2][name] = None
        else:
            warn_plain_container(type(self).__name__, name, value, Module)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._unregister(name)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register `param` (or None: a declared but absent parameter, like a missing bias)."""
        registry = self._registry("register_parameter", name, "_parameters")
        if param is not None and not isinstance(param, Parameter):
            what = f"register_parameter: param {name!r} must be a Parameter or None"
            raise TypeError(f"{what}, got {got(param)}")
        registry[name] = param
        object.__setattr__(self, name, param)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register `tensor` (or None) as a buffer: state that is not a parameter (running
        statistics, a loss's class weights). Buffers are listed by `buffers()`, cast by
        `to()`, and, when `persistent`, saved by `state_dict()` and loaded by
        `load_state_dict()`; optimizers never see them."""
        registry = self._registry("register_buffer", name, "_buffers")
        if tensor is not None and not isinstance(tensor, Tensor):
            hint = " (wrap it: Tensor(array))" if isinstance(tensor, np.ndarray) else ""
            what = f"register_buffer: tensor {name!r} must be a Tensor or None"
            raise TypeError(f"{what}, got {got(tensor)}{hint}")
        persistent = checks.boolean("register_buffer", "persistent", persistent)
        registry[name] = tensor
        non_persistent = self._non_persistent_buffers_set
        (non_persistent.discard if persistent else non_persistent.add)(name)
        object.__setattr__(self, name, tensor)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register `module` under `name` (any string without a dot, e.g. "0" in a Sequential)."""
        registry = self._registry("add_module", name, "_modules")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: module {name!r} must be a nn.Module or None, got {got(module)}")
        registry[name] = module
        object.__setattr__(self, name, module)

    register_module = add_module

    def _registry(self, owner: str, name: Any, which: str) -> dict[str, Any]:
        """`_parameters`, `_buffers` or `_modules`, after checking `name`: a non-empty
        string without a dot that is not already another attribute (PyTorch's rule)."""
        checks.string(owner, "name", name)
        if not name or "." in name:
            raise ValueError(f"{owner}: name must be a non-empty string without '.', got {name!r}")
        registry = self.__dict__.get(which)
        if registry is None:
            raise AttributeError(
                f"{owner}: cannot register {name!r} before Module.__init__(); call super().__init__() first"
            )
        if name not in registry and hasattr(self, name):
            raise NameTakenError(
                f"{owner}: name {name!r} is already an attribute of {type(self).__name__} "
                "(attribute already exists); choose another name"
            )
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
        """The direct submodules, each once, in definition order."""
        return (module for _, module in self.named_children())

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for the direct submodules, each once, in definition order."""
        seen: set[int] = set()
        for name, module in list(self._modules.items()):
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, Parameter) pairs in definition order; a shared Parameter is
        listed once unless `remove_duplicate=False`."""
        self._check_walk("named_parameters", prefix, recurse, remove_duplicate)
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, buffer Tensor) pairs in definition order, persistent or not; a
        shared buffer is listed once unless `remove_duplicate=False`."""
        self._check_walk("named_buffers", prefix, recurse, remove_duplicate)
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    @staticmethod
    def _check_walk(owner: str, prefix: Any, recurse: Any, remove_duplicate: Any) -> None:
        checks.string(owner, "prefix", prefix)
        checks.boolean(owner, "recurse", recurse)
        checks.boolean(owner, "remove_duplicate", remove_duplicate)

    def _named_members(
        self, which: str, prefix: str, recurse: bool, dedupe: bool
    ) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        walk = walk_modules(self, prefix, dedupe) if recurse else iter([(prefix, self)])
        for module_name, module in walk:
            for name, member in list(module.__dict__[which].items()):
                if member is None or (dedupe and id(member) in seen):
                    continue
                seen.add(id(member))
                yield (f"{module_name}.{name}" if module_name else name), member

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every Parameter once, in definition order (what an optimizer takes)."""
        checks.boolean("parameters", "recurse", recurse)
        return (param for _, param in self._named_members("_parameters", "", recurse, True))

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer Tensor once, in definition order (persistent or not)."""
        checks.boolean("buffers", "recurse", recurse)
        return (buffer for _, buffer in self._named_members("_buffers", "", recurse, True))

    def num_parameters(self, trainable_only: bool = False) -> int:
        """The number of scalars in the parameters (shared ones counted once)."""
        checks.boolean("num_parameters", "trainable_only", trainable_only)
        return sum(p.data.size for p in self.parameters() if p.requires_grad or not trainable_only)

    # ------------------------------------------------------------------ modes and grads
    @replayed  # (tinygrad_ce.jit records the call and replays it)
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Set every parameter's `.grad` to None (the default, as PyTorch's), or with
        `set_to_none=False` fill the existing gradients with zeros (in place)."""
        set_to_none = checks.boolean("zero_grad", "set_to_none", set_to_none)
        for param in self.parameters():
            grad = param.grad
            if grad is None or set_to_none:
                param.grad = None
            elif grad.grad_fn is None and grad.data.flags.writeable:
                grad.data[...] = 0
            else:  # a gradient recorded with create_graph: detached, as PyTorch's
                param.grad = Tensor(np.zeros_like(grad.data))

    def train(self, mode: bool = True) -> Module:
        """Set `.training` on this module and every submodule (Dropout obeys it); returns self."""
        mode = checks.boolean("train", "mode", mode)
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """`train(False)`: dropout off."""
        return self.train(False)

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call `fn(module)` on every submodule and then on this module (PyTorch's order:
        children first, depth first); returns self. Typical use: initialisation,
        `model.apply(init_weights)`. A shared module is visited once."""
        if not callable(fn):
            raise TypeError(f"apply: fn must be a callable taking a Module, got {got(fn)}")
        for module in walk_postorder(self):
            fn(module)
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set `requires_grad` on every parameter (False freezes them); returns self."""
        requires_grad = checks.boolean("requires_grad_", "requires_grad", requires_grad)
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def to(self, *args: Any, dtype: Any = None, device: Any = None) -> Module:
        """Cast every parameter and every floating-point buffer to a float `dtype`, in
        place (the same Parameter objects, so an optimizer built before still holds
        them; gradients are cast too); returns self. PyTorch's spellings: `to(dtype)`,
        `to(device)`, `to(device, dtype)`, `to(tensor)` (its dtype). The only device is
        'cpu' (a no-op); another ('cuda', 'mps') is a ValueError."""
        target = parse_to(args, device, dtype)
        if target is not None:
            for param in self.parameters():
                cast_(param, target)
            for buffer in self.buffers():
                if buffer.data.dtype.kind == "f":
                    cast_(buffer, target)
        return self

    def float(self) -> Module:
        """`to(np.float32)`."""
        return self.to(np.float32)

    def double(self) -> Module:
        """`to(np.float64)`."""
        return self.to(np.float64)

    def cpu(self) -> Module:
        """A no-op (everything is on the CPU); returns self."""
        return self

    # ------------------------------------------------------------------ state dicts
    def _state_tensors(self) -> dict[str, Tensor]:
        """{dotted name: Tensor} of what `state_dict` saves: per module, its parameters,
        then its persistent buffers, then its submodules (PyTorch's order); shared ones
        under each of their names."""
        out: dict[str, Tensor] = {}
        for module_name, module in walk_modules(self, "", False):
            dot = f"{module_name}." if module_name else ""
            out.update((dot + k, p) for k, p in module._parameters.items() if p is not None)
            skip = module._non_persistent_buffers_set
            out.update((dot + k, b) for k, b in module._buffers.items() if b is not None and k not in skip)
        return out

    def state_dict(self) -> dict[str, np.ndarray]:
        """{dotted name: a copy of the parameter's or persistent buffer's ndarray}, in
        PyTorch's order (a module's parameters, its buffers, then its submodules); a
        shared tensor appears under each of its names (as in PyTorch)."""
        return {name: t.data.copy() for name, t in self._state_tensors().items()}

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values (ndarrays, Tensors, numbers) into the parameters and persistent
        buffers, in place.

        Shapes must match exactly; with `strict` the keys must match too. Everything is
        checked before anything is copied, and the StateDictError names every missing,
        unexpected and mismatched key. Values are cast to each tensor's dtype."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict: state_dict must be a mapping of arrays, got {got(state_dict)}")
        strict = checks.boolean("load_state_dict", "strict", strict)
        own = self._state_tensors()
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
