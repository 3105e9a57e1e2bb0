"""List- and dict-like holders that register what they hold, as PyTorch's:
`ModuleList`, `ModuleDict`, `ParameterList`, `ParameterDict`. Their members are named
"0", "1", ... (lists) or by their keys (dicts), so state-dict keys match PyTorch's
(`layers.0.weight`, `heads.cls.bias`, `params.1`). None of them has a `forward`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, cast

from .. import _checks as checks
from .._checks import got
from ..tensor import Tensor
from .attributes import NameTakenError
from .module import Module
from .parameter import Parameter


def _position(owner: str, index: Any, length: int) -> int:
    """`index` (an int, negative counts from the end) as a position in [0, length)."""
    if not checks.is_int(index):
        raise TypeError(f"{owner}: index must be an int or a slice, got {got(index)}")
    if not -length <= index < length:
        raise IndexError(f"{owner}: index {index} is out of range for length {length}")
    return int(index) % length


def _iterable(owner: str, name: str, value: Any) -> list[Any]:
    """`value` (any iterable but a string or a Tensor) as a list."""
    if isinstance(value, (str, bytes, Tensor)) or not isinstance(value, Iterable):
        raise TypeError(f"{owner}: {name} must be an iterable, got {got(value)}")
    return list(value)


def _module(owner: str, name: str, value: Any) -> Module:
    if not isinstance(value, Module):
        raise TypeError(f"{owner}: {name} must be a nn.Module, got {got(value)}")
    return value


def _parameter(owner: str, name: str, value: Any) -> Parameter:
    """A Parameter as is; another Tensor becomes a Parameter sharing its data (PyTorch's)."""
    if isinstance(value, Parameter):
        return value
    if not isinstance(value, Tensor):
        raise TypeError(
            f"{owner}: {name} must be a nn.Parameter or a Tensor (wrap arrays: "
            f"nn.Parameter(array)), got {got(value)}"
        )
    if value.dtype.kind != "f":
        raise TypeError(f"{owner}: {name} must be a float Tensor to be a Parameter, got dtype {value.dtype}")
    return Parameter(value)


def _pairs(owner: str, name: str, value: Any) -> list[tuple[Any, Any]]:
    """A mapping's items, or an iterable of (key, value) pairs, as a list (PyTorch's update)."""
    if isinstance(value, Mapping):
        return list(value.items())
    if isinstance(value, (ModuleDict, ParameterDict)):
        return list(value.items())
    pairs = []
    for j, pair in enumerate(_iterable(owner, name, value)):
        items = None if isinstance(pair, (str, bytes)) or not isinstance(pair, Iterable) else tuple(pair)
        if items is None or len(items) != 2:
            raise TypeError(f"{owner}: {name}[{j}] must be a (key, value) pair, got {got(pair)}")
        pairs.append(items)
    return pairs


class _Indexed(Module):
    """What ModuleList and ParameterList share: members registered as "0", "1", ...
    in `self.__dict__[_which]`, renumbered after a deletion or insertion."""

    _which = "_modules"

    def _members(self) -> list[Any]:
        return list(self.__dict__[self._which].values())

    def _renumber(self, members: list[Any]) -> None:
        registry = self.__dict__[self._which]
        for key in list(registry):
            del registry[key]
            self.__dict__.pop(key, None)
        for i, member in enumerate(members):
            self._register(str(i), member)

    def _register(self, key: str, member: Any) -> None:
        raise NotImplementedError

    def __len__(self) -> int:
        return len(self.__dict__[self._which])

    def __iter__(self) -> Iterator[Any]:
        return iter(self._members())

    def __getitem__(self, index: int | slice) -> Any:
        members = self._members()
        if isinstance(index, slice):
            return cast(Any, type(self))(members[index])  # (ModuleList / ParameterList take the members)
        return members[_position(f"{type(self).__name__}.__getitem__", index, len(members))]

    def __delitem__(self, index: int | slice) -> None:
        members = self._members()
        if isinstance(index, slice):
            del members[index]
        else:
            del members[_position(f"{type(self).__name__}.__delitem__", index, len(members))]
        self._renumber(members)

    def __iadd__(self, values: Iterable[Any]) -> _Indexed:
        return self.extend(values)

    def __dir__(self) -> list[str]:
        return [key for key in super().__dir__() if not key.isdigit()]

    def extend(self, values: Iterable[Any]) -> _Indexed:
        """Add every member of `values` at the end; each subclass checks its own kind."""
        raise NotImplementedError


class ModuleList(_Indexed):
    """A list of Modules, registered as "0", "1", ... (so `parameters()`, `state_dict()`,
    `train()` and `to()` see them; state-dict keys as PyTorch's: "0.weight"). Indexing
    (`ml[0]`, `ml[-1]`; a slice gives a new ModuleList), `len`, iteration, `append`,
    `extend`, `insert`, `pop`, `ml[i] = m`, `del ml[i]` (the rest are renumbered), `+`
    and `+=`. It has no forward: call its members in your own."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _register(self, key: str, member: Any) -> None:
        self.add_module(key, member)

    def __setitem__(self, index: int, module: Module) -> None:
        position = _position("ModuleList.__setitem__", index, len(self))
        self.add_module(str(position), _module("ModuleList.__setitem__", "module", module))

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return ModuleList([*self, *_iterable("ModuleList.__add__", "other", other)])

    def append(self, module: Module) -> ModuleList:
        """Add `module` at the end; returns self."""
        self.add_module(str(len(self)), _module("ModuleList.append", "module", module))
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Add every module of `modules` at the end (all checked first); returns self."""
        values = _iterable("ModuleList.extend", "modules", modules)
        for i, value in enumerate(values):
            _module("ModuleList.extend", f"modules[{i}]", value)
        for value in values:
            self.add_module(str(len(self)), value)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert `module` before position `index` (list.insert's rule for any int)."""
        if not checks.is_int(index):
            raise TypeError(f"ModuleList.insert: index must be an int, got {got(index)}")
        members = self._members()
        position = min(max(int(index), -len(members)), len(members))  # list.insert's clamping
        members.insert(position, _module("ModuleList.insert", "module", module))
        self._renumber(members)

    def pop(self, index: int = -1) -> Module:
        """Remove and return the module at `index` (the last by default)."""
        module = self[index]
        del self[index]
        return module


class ParameterList(_Indexed):
    """A list of Parameters, registered as "0", "1", ... (found by `parameters()`;
    `named_parameters()` and state-dict keys "0", "1", ... as PyTorch's). A Tensor that
    is not a Parameter becomes one (sharing its data). Indexing (a slice gives a new
    ParameterList), `len`, iteration, `append`, `extend`, `pl[i] = p`, `del pl[i]`, `+=`."""

    _which = "_parameters"

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        if values is not None:
            self.extend(values)

    def _register(self, key: str, member: Any) -> None:
        self.register_parameter(key, member)

    def __setitem__(self, index: int, param: Any) -> None:
        position = _position("ParameterList.__setitem__", index, len(self))
        self.register_parameter(str(position), _parameter("ParameterList.__setitem__", "param", param))

    def append(self, value: Any) -> ParameterList:
        """Add `value` (a Parameter, or a Tensor made one) at the end; returns self."""
        self.register_parameter(str(len(self)), _parameter("ParameterList.append", "value", value))
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        """Add every value of `values` at the end (all checked first); returns self."""
        items = _iterable("ParameterList.extend", "values", values)
        params = [_parameter("ParameterList.extend", f"values[{i}]", v) for i, v in enumerate(items)]
        for param in params:
            self.register_parameter(str(len(self)), param)
        return self

    def extra_repr(self) -> str:
        return "\n".join(f"  ({i}): {_describe(p)}" for i, p in enumerate(self))


def _describe(p: Tensor) -> str:
    """PyTorch's one-line description of a parameter in a ParameterList/Dict's repr."""
    kind = "Parameter" if isinstance(p, Parameter) else "Tensor"
    return f"{kind} containing: [{p.dtype} of size {'x'.join(map(str, p.shape))}]"


class _Keyed(Module):
    """What ModuleDict and ParameterDict share: members registered under string keys
    in `self.__dict__[_which]`, in insertion order, with the dict methods."""

    _which = "_modules"

    def _store(self, key: str, value: Any) -> None:
        raise NotImplementedError

    def _key(self, owner: str, key: Any) -> str:
        """`key` if it can name a member: a non-empty string without '.' that is not the
        name of another attribute (a method such as "keys", a setting such as "training")."""
        checks.string(owner, "key", key)
        if not key or "." in key:
            raise ValueError(f"{owner}: key must be a non-empty string without '.', got {key!r}")
        if key not in self.__dict__[self._which] and hasattr(self, key):
            raise NameTakenError(
                f"{owner}: key {key!r} is the name of an attribute of {type(self).__name__} "
                "(attribute already exists); choose another key"
            )
        return key

    def __getitem__(self, key: str) -> Any:
        registry = self.__dict__[self._which]
        if not isinstance(key, str) or key not in registry:
            raise KeyError(f"{type(self).__name__}: no key {key!r} (keys: {', '.join(registry) or 'none'})")
        return registry[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._store(key, value)

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(f"{type(self).__name__}: no key {key!r}")
        del self.__dict__[self._which][key]
        self.__dict__.pop(key, None)

    def __len__(self) -> int:
        return len(self.__dict__[self._which])

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.__dict__[self._which]))

    def __contains__(self, key: Any) -> bool:
        return isinstance(key, str) and key in self.__dict__[self._which]

    def keys(self) -> list[str]:
        """The keys, in insertion order."""
        return list(self.__dict__[self._which])

    def values(self) -> list[Any]:
        """The members, in insertion order."""
        return list(self.__dict__[self._which].values())

    def items(self) -> list[tuple[str, Any]]:
        """(key, member) pairs, in insertion order."""
        return list(self.__dict__[self._which].items())

    def pop(self, key: str) -> Any:
        """Remove the member under `key` and return it."""
        value = self[key]
        del self[key]
        return value

    def clear(self) -> None:
        """Remove every member."""
        for key in self.keys():
            del self[key]

    def _update(self, name: str, values: Any) -> None:
        for key, value in _pairs(f"{type(self).__name__}.update", name, values):
            self._store(key, value)


class ModuleDict(_Keyed):
    """A dict of Modules under string keys (no '.', not the name of a method or setting
    such as "keys" or "training", as in PyTorch), registered in insertion order: state-dict
    keys "<key>.weight". `md[key]`, `md[key] = m`, `del md[key]`, `in`, `len`, iteration
    over keys, `keys()`, `values()`, `items()`, `update()`, `pop()`, `clear()`."""

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def update(self, modules: Any) -> None:
        """Add or replace modules from a mapping or an iterable of (key, module) pairs."""
        self._update("modules", modules)

    def _store(self, key: str, value: Any) -> None:
        key = self._key("ModuleDict", key)
        self.add_module(key, _module("ModuleDict", f"modules[{key!r}]", value))


class ParameterDict(_Keyed):
    """A dict of Parameters under string keys, registered in insertion order (found by
    `parameters()`; state-dict keys are the keys). A Tensor that is not a Parameter
    becomes one. The dict methods as ModuleDict's."""

    _which = "_parameters"

    def __init__(self, parameters: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None) -> None:
        super().__init__()
        if parameters is not None:
            self._update("parameters", parameters)

    def update(self, values: Any) -> None:
        """Add or replace parameters from a mapping or an iterable of (key, value) pairs."""
        self._update("values", values)

    def _store(self, key: str, value: Any) -> None:
        key = self._key("ParameterDict", key)
        self.register_parameter(key, _parameter("ParameterDict", f"parameters[{key!r}]", value))

    def extra_repr(self) -> str:
        return "\n".join(f"  ({k}): {_describe(p)}" for k, p in self.items())
