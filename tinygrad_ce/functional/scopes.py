"""Named scopes: which call of a composed function (`softmax`, a Module's forward, ...)
recorded each node, so a drawing can show the call as a cluster. Built on the grad
mode's opaque tag: the engine stores it on each node and never looks inside."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from ..autograd import mode, pop_tag, push_tag

F = TypeVar("F", bound=Callable[..., Any])


class Scope:
    """One call of a composed function; nodes recorded inside it carry it as their `tag`."""

    __slots__ = ("name", "parent", "owner")

    def __init__(self, name: str, parent: Scope | None, owner: Any = None) -> None:
        self.name, self.parent = name, parent
        self.owner = owner  # the Module whose forward this is (None for a plain function)

    def path(self) -> list[Scope]:
        """This scope and its enclosing ones, outermost first."""
        chain: list[Scope] = []
        scope: Scope | None = self
        while scope is not None:
            chain.append(scope)
            scope = scope.parent
        return chain[::-1]

    def __repr__(self) -> str:
        return "/".join(s.name for s in self.path())


def current_scope() -> Scope | None:
    """The innermost named scope being recorded on this thread (None outside any)."""
    tag = mode.tag
    return tag if isinstance(tag, Scope) else None


class named_scope:
    """Record the ops inside as one call of `name`: `with named_scope("softmax"):` or
    as a decorator `@named_scope("softmax")`. Scopes nest; each entry is a new call.
    `owner` (a Module's `__call__` passes the module) is kept on each Scope, so that
    drawings can name parameters by their state-dict names."""

    def __init__(self, name: str, owner: Any = None) -> None:
        if not isinstance(name, str):
            raise TypeError(f"named_scope: name must be a str, got {type(name).__name__}")
        self.name, self.owner = name, owner

    def __enter__(self) -> Scope:
        tag = mode.tag
        scope = Scope(self.name, tag if type(tag) is Scope else None, self.owner)
        push_tag(scope)
        return scope

    def __exit__(self, *exc: object) -> None:
        pop_tag()

    def __call__(self, fn: F) -> F:
        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]
