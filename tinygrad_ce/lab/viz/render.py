"""Write a Graphviz drawing to a file: the DOT source always, then SVG/PNG/PDF with `dot`."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import graphviz

from ...io import atomic_path, atomic_write

__all__ = ["render", "Drawing", "GraphvizNotFoundError", "FORMATS"]

FORMATS = ("svg", "png", "pdf", "dot")
INSTALL_HINT = (
    "install Graphviz (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz; "
    "conda: conda install -c conda-forge graphviz; others: https://graphviz.org/download/)"
)


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's `dot` program is not installed (the DOT source was still written)."""


class Drawing(graphviz.Digraph):
    """The `graphviz.Digraph` the drawing functions return. It shows inline in Jupyter as
    any Digraph does; without Graphviz's `dot` program, displaying it raises
    `GraphvizNotFoundError` saying how to install Graphviz (not graphviz's raw
    `ExecutableNotFound`). `.source` is the DOT text either way."""

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, Any]:
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except graphviz.ExecutableNotFound:
            raise GraphvizNotFoundError(
                "Graphviz's `dot` program is not on PATH, so the drawing cannot be shown; "
                f"{INSTALL_HINT}; meanwhile its DOT text is `.source`, and "
                "render(graph, 'graph.dot') writes it to a file"
            ) from None


def _write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically."""
    with atomic_write(path, "wb") as f:
        f.write(data)


def render(graph: graphviz.Digraph, path: str | os.PathLike[str], format: str | None = None) -> Path:
    """Write `graph` to `path` as "svg", "png", "pdf" or "dot" (default: from the suffix).

    The DOT source is always written first, next to `path` with the suffix ".dot".
    Without Graphviz's `dot` program this raises `GraphvizNotFoundError` (a
    RuntimeError) saying where the DOT file is and how to install Graphviz. Returns
    the path of the rendered file; files are replaced atomically."""
    path = Path(path)
    fmt = (format or path.suffix.lstrip(".") or "svg").lower()
    if fmt not in FORMATS:
        raise ValueError(f"render: format must be one of {FORMATS}, got {fmt!r}")
    if not path.suffix:
        path = path.with_suffix("." + fmt)
    elif path.suffix.lower() != "." + fmt:
        raise ValueError(f"render: the file name {path.name!r} does not end in .{fmt} (format {fmt!r})")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"render: directory {str(path.parent)!r} does not exist")
    dot_path = path.with_suffix(".dot")
    _write_atomic(dot_path, graph.source.encode("utf-8"))
    if fmt == "dot":
        return dot_path
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizNotFoundError(
            f"render: Graphviz's `dot` program is not on PATH, so {path.name} was not made; "
            f"the DOT source was written to {dot_path}; {INSTALL_HINT}, "
            f"then run: dot -T{fmt} {dot_path} -o {path}"
        )
    with atomic_path(path) as tmp:
        done = subprocess.run([dot, f"-T{fmt}", str(dot_path), "-o", tmp], capture_output=True, text=True)
        if done.returncode != 0:
            lines = done.stderr.strip().splitlines()
            why = lines[-1] if lines else f"exit status {done.returncode}"
            raise RuntimeError(f"render: dot failed on {dot_path}: {why}")
    return path
