"""Iterative walks over a module tree: every submodule with its dotted name
(`walk_modules`), children before parents (`walk_postorder`, the order of `apply`) and
the PyTorch-style `repr` (`tree_repr`). All use an explicit stack, so any nesting depth
works, and all are cycle-safe (a module inside itself is not entered again)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .module import Module


def walk_modules(root: Module, prefix: str, remove_duplicate: bool) -> Iterator[tuple[str, Module]]:
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


def walk_postorder(root: Module) -> list[Module]:
    """Every module once, each after all of its submodules (PyTorch's `apply` order:
    children first, in definition order, then the parent). A module already visited (a
    shared block, or one inside itself) is not entered again."""
    order: list[Module] = []
    seen = {id(root)}
    stack = [(root, iter(list(root._modules.values())))]
    while stack:
        module, children = stack[-1]
        child = next(children, _END)
        if child is _END:
            stack.pop()
            order.append(module)
        elif child is not None and id(child) not in seen:
            seen.add(id(child))
            stack.append((child, iter(list(child._modules.values()))))
    return order


_END: Any = object()  # (Any: the end-of-children marker is compared by identity only)


def _leaf_lines(module: Module, head: str, pad: str) -> list[str]:
    """A module without submodules: `Name(extra)` on one line, or, when `extra_repr` has
    several lines (a ParameterList), one per line inside the parentheses (PyTorch's)."""
    extra = module.extra_repr()
    lines = extra.split("\n") if extra else []
    if len(lines) <= 1:
        return [f"{head}{type(module).__name__}({extra})"]
    return [f"{head}{type(module).__name__}(", *(f"{pad}  {line}" for line in lines), f"{pad})"]


def tree_repr(root: Module) -> str:
    """PyTorch's layout, written iteratively (any depth). A module with submodules
    that was already printed (a shared block, or one inside itself) is shown as a
    reference, `<same Block as 'encoder'>`, so a cycle cannot loop."""
    lines: list[str] = []
    printed: dict[int, str] = {}  # id -> dotted name, for modules with submodules
    stack: list[tuple[str, str, Module | None] | str] = [("", "", root)]  # (indent + label, name, module)
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            lines.append(item)
            continue
        head, name, module = item
        pad = " " * (len(head) - len(head.lstrip(" ")))
        if module is None or not module._modules:
            lines.extend([head + repr(module)] if module is None else _leaf_lines(module, head, pad))
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
