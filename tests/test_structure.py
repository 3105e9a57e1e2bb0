"""The package's shape: imports flow one way through the layers

    autograd -> tensor -> ops -> functional -> nn/optim/data -> training -> lab -> cli

Read from the source (nothing imported): every import of a tinygrad_ce module, lazy ones
inside functions included, those under `if TYPE_CHECKING:` excluded. A module may import
its own layer or an earlier one, never a later one, and the import graph has no cycle.
Old-path shims (kept so users' imports still work) sit above everything and nothing in
the package imports them."""

import ast
import os

import tinygrad_ce

PACKAGE_DIR = os.path.dirname(os.path.abspath(tinygrad_ce.__file__))

LAYERS = [
    ("autograd", "io", "_checks", "rng", "_version"),  # the engine, and utilities that import nothing of ours
    ("arrays", "tensor"),
    ("ops",),
    ("functional",),
    ("nn", "optim", "data", "gradcheck", "serialization"),
    ("training", "traced"),
    ("lab",),
    ("cli", "__main__"),
]
SHIMS = {"engine", "viz", "compare", "study", "study_report"}


def _modules() -> dict[str, str]:
    """{dotted name relative to the package ('' for its __init__): path}."""
    found = {}
    for directory, subdirs, files in os.walk(PACKAGE_DIR):
        subdirs[:] = [d for d in subdirs if d != "__pycache__"]
        rel = os.path.relpath(directory, PACKAGE_DIR)
        parts = [] if rel == "." else rel.split(os.sep)
        for name in files:
            if name.endswith(".py"):
                stem = name[:-3]
                dotted = ".".join(parts + ([] if stem == "__init__" else [stem]))
                found[dotted] = os.path.join(directory, name)
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str, path: str, known: dict[str, str]) -> set[str]:
    """The package modules that `module` imports (packages' __init__ excluded as targets)."""
    is_init = os.path.basename(path) == "__init__.py"
    package = module.split(".") if is_init else module.split(".")[:-1]
    package = [p for p in package if p]
    targets: set[str] = set()

    def add(dotted: str, names: list[str]) -> None:
        for candidate in [f"{dotted}.{n}".strip(".") for n in names] + [dotted]:
            parts = candidate.split(".")
            while parts:
                name = ".".join(parts)
                if name in known and not known[name].endswith("__init__.py"):
                    targets.add(name)
                    return
                if name in known:  # a package: its __init__ is not an edge
                    break
                parts.pop()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("tinygrad_ce."):
                    add(alias.name[len("tinygrad_ce.") :], [])
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                rest = node.module.split(".") if node.module else []
                base = package[: len(package) - (node.level - 1)] + rest
            elif node.module and node.module.startswith("tinygrad_ce"):
                base = node.module.split(".")[1:]
            else:
                base = None
            if base is not None:
                add(".".join(base), [a.name for a in node.names])
        for child in ast.iter_child_nodes(node):
            visit(child)

    with open(path, encoding="utf-8") as f:
        visit(ast.parse(f.read()))
    targets.discard(module)
    return targets


def _layer(module: str) -> int | None:
    top = module.split(".")[0]
    for i, names in enumerate(LAYERS):
        if top in names:
            return i
    return None


def _graph() -> dict[str, set[str]]:
    known = _modules()
    return {m: _imports(m, p, known) for m, p in known.items()}


def test_every_module_has_a_layer():
    unplaced = sorted(m for m in _graph() if m and _layer(m) is None and m.split(".")[0] not in SHIMS)
    assert not unplaced, f"modules in no layer (add them to LAYERS or SHIMS): {unplaced}"


def test_imports_never_point_to_a_later_layer():
    backwards = []
    for module, targets in _graph().items():
        if not module or module in SHIMS:
            continue
        for target in targets:
            if target in SHIMS:
                backwards.append(f"{module} -> {target} (an old-path shim)")
            elif None not in (_layer(target), _layer(module)) and _layer(target) > _layer(module):
                backwards.append(f"{module} (layer {_layer(module)}) -> {target} (layer {_layer(target)})")
    assert not backwards, "imports against the layer order:\n" + "\n".join(sorted(backwards))


def test_no_import_cycles():
    graph = _graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if start in state:
            continue
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                state[node] = 2
            elif state.get(child) == 1:
                cycle = path[path.index(child) :] + [child]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            elif child not in state:
                state[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(graph.get(child, ())))))


def test_the_checker_sees_lazy_imports_and_skips_type_checking(tmp_path):
    source = tmp_path / "probe.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .lab import viz\n"
        "def f():\n    from .training import fit\n"
    )
    known = {"probe": str(source), "training": "t.py", "lab": "l/__init__.py", "lab.viz": "l/viz/__init__.py"}
    assert _imports("probe", str(source), known) == {"training"}
