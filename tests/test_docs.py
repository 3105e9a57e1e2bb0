"""The documentation cannot go stale: every ```python block in docs/*.md and README.md
runs (each page's blocks in order, in one namespace, in a temporary working directory),
and `mkdocs build --strict` passes when the docs extra is installed.

A block preceded by the line `<!-- skip-test -->` is not run (use sparingly: for
snippets that need a download or take long)."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIP_MARKER = "<!-- skip-test -->"
_FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(line number, source) of each ```python block not marked with SKIP_MARKER."""
    blocks = []
    for match in _FENCE.finditer(text):
        before = text[: match.start()].rstrip().splitlines()
        if before and before[-1].strip() == SKIP_MARKER:
            continue
        blocks.append((text.count("\n", 0, match.start()) + 2, match.group(1)))
    return blocks


def _pages() -> list[Path]:
    pages = sorted((ROOT / "docs").glob("**/*.md")) + [ROOT / "README.md"]
    return [page for page in pages if python_blocks(page.read_text(encoding="utf-8"))]


def test_block_extraction_honours_skip_marker() -> None:
    text = (
        "a\n```python\nx = 1\n```\n\n<!-- skip-test -->\n```python\nraise SystemExit\n```\n```bash\nls\n```\n"
    )
    assert python_blocks(text) == [(3, "x = 1\n")]


@pytest.mark.parametrize("page", _pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_code_blocks_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for line, source in python_blocks(page.read_text(encoding="utf-8")):
        code = compile(source, f"{page.relative_to(ROOT)}:{line}", "exec")
        try:
            exec(code, namespace)
        except Exception as err:  # name the page and line: the traceback alone points at <string>
            if type(err).__name__ == "GraphvizNotFoundError" and shutil.which("dot") is None:
                pytest.skip(f"{page.relative_to(ROOT)} line {line} renders a graph: needs Graphviz's dot")
            raise AssertionError(
                f"code block at {page.relative_to(ROOT)} line {line} failed: {err!r}"
            ) from err


_DOCS_PACKAGES = ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python", "pymdownx")


def _missing_docs_package() -> str | None:
    for name in _DOCS_PACKAGES:
        try:
            if importlib.util.find_spec(name) is None:
                return name
        except ModuleNotFoundError:
            return name
    return None


@pytest.mark.skipif(
    _missing_docs_package() is not None, reason="docs extra not installed: pip install -e '.[docs]'"
)
def test_mkdocs_build_strict(tmp_path: Path) -> None:
    site = tmp_path / "site"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    page = (site / "softmax-cross-entropy" / "index.html").read_text(encoding="utf-8")
    assert 'class="arithmatex"' in page  # the math went through arithmatex, for MathJax
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    assert "softmax_cross_entropy" in api and "run_backward" in api  # generated from docstrings
