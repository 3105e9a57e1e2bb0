"""The documentation cannot go stale: every ```python block in docs/*.md and README.md
runs (each page's blocks in order, in one namespace, in a temporary working directory),
and `mkdocs build --strict` passes when the docs extra is installed.

A block preceded by the line `<!-- skip-test -->` is not run (use sparingly: for
snippets that need a download or take long).

The site references nothing remote (MathJax is bundled by scripts/fetch_mathjax.py, the
theme uses system fonts), code lines fit 80 columns, and the API reference documents the
public names and every operator, not the engine's internals."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

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


_REMOTE_RESOURCE = re.compile(
    r"""<(?:script|img|iframe)\b[^>]*\bsrc=["'](?:https?:)?//[^"']*|"""
    r"""<link\b(?=[^>]*\brel=["'](?:stylesheet|preload|preconnect|icon|modulepreload))"""
    r"""[^>]*\bhref=["'](?:https?:)?//[^"']*""",
    re.IGNORECASE,
)
_API_MEMBERS = (
    "Tensor.sum",
    "Tensor.exp",
    "Tensor.log",
    "Tensor.relu",
    "Tensor.shape",
    "Tensor.dtype",
    "Tensor.backward",
    "SGD.step",
    "Adam.step",
    "functional.softmax_cross_entropy",
    "functional.conv2d",
    "functional.layer_norm",
    "functional.scaled_dot_product_attention",
    "nn.Module",
    "nn.Linear",
    "optim.OneCycleLR",
    "data.DataLoader",
    "training.fit",
    "lab.viz.draw_graph",
    "lab.compare.compare_fused",
)
_DOCS_PACKAGES = ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python", "pymdownx")


def _fetch_module() -> Any:
    """scripts/fetch_mathjax.py, imported (registered in sys.modules: it defines a dataclass)."""
    if "_tinygrad_ce_fetch_mathjax" not in sys.modules:
        path = ROOT / "scripts" / "fetch_mathjax.py"
        spec = importlib.util.spec_from_file_location("_tinygrad_ce_fetch_mathjax", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return sys.modules["_tinygrad_ce_fetch_mathjax"]


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
    try:  # what the build's hook does; offline with no cached copy, say what to run
        _fetch_module().bundle_all(download=True)
    except OSError as err:
        pytest.skip(f"MathJax is not bundled and cannot be fetched ({err}): python scripts/fetch_mathjax.py")
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
    # the offline plugin: plain .html pages, so the site reads from disk (file://) too
    page = (site / "softmax-cross-entropy.html").read_text(encoding="utf-8")
    assert 'class="arithmatex"' in page  # the math went through arithmatex, for MathJax
    assert 'src="javascripts/mathjax/tex-svg.js"' in page  # the bundled copy (SVG: no fonts)
    assert (site / "search" / "search_index.js").is_file()  # search without a server
    for html in site.glob("**/*.html"):
        text = html.read_text(encoding="utf-8")
        remote = _REMOTE_RESOURCE.findall(text)
        assert not remote, f"{html.relative_to(site)} loads {remote[:3]}"
    api = "".join(p.read_text(encoding="utf-8") for p in (site / "api").glob("**/*.html"))
    for member in _API_MEMBERS:  # a heading whose id ends in the name (generated from docstrings)
        assert re.search(rf'id="tinygrad_ce\.[\w.]*{re.escape(member)}"', api), member
    for internal in ("run_backward", "sum_to", "seed_gradient", "PRIMITIVES", "normalize_axis"):
        assert not re.search(rf'id="[\w.]*\.{internal}"', api), f"{internal} is shown as public"


def _code_blocks(text: str) -> list[tuple[str, int, list[str]]]:
    """(language, first line number, lines) of every fenced block."""
    blocks, lang, start, lines = [], None, 0, []
    for number, line in enumerate(text.splitlines(), 1):
        fence = re.match(r"^\s*```\s*([\w+-]*)", line)
        if fence and lang is None:
            lang, start, lines = fence.group(1), number + 1, []
        elif fence:
            blocks.append((lang, start, lines))
            lang = None
        elif lang is not None:
            lines.append(line)
    return blocks


def test_code_lines_fit_80_columns() -> None:
    """Code in the docs reads without a horizontal scrollbar; ```text blocks (a program's
    output, shown verbatim) are exempt."""
    long = []
    for page in sorted((ROOT / "docs").glob("**/*.md")):
        for lang, start, lines in _code_blocks(page.read_text(encoding="utf-8")):
            if lang in ("text", "console", "output"):
                continue
            for offset, line in enumerate(lines):
                if len(line) > 80:
                    long.append(f"{page.relative_to(ROOT)}:{start + offset} ({len(line)})")
    assert not long, "code lines over 80 columns: " + ", ".join(long)


def test_site_config_loads_nothing_remote() -> None:
    """mkdocs.yml names no remote script or stylesheet and turns the theme's Google Fonts off."""
    yaml = pytest.importorskip("yaml")

    class _Loader(yaml.SafeLoader):
        pass

    _Loader.add_multi_constructor("", lambda loader, suffix, node: None)  # !!python/name tags
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_Loader)
    for key in ("extra_javascript", "extra_css"):
        for entry in config.get(key) or []:
            path = entry if isinstance(entry, str) else entry.get("path", "")
            assert not re.match(r"^\s*(https?:)?//", path), f"{key}: {path} is remote"
    assert config["theme"].get("font") is False, "theme.font must be false (no Google Fonts)"
    assert "javascripts/mathjax/tex-svg.js" in config["extra_javascript"]
    hooks = [ROOT / hook for hook in config.get("hooks") or []]
    assert hooks and all(hook.is_file() for hook in hooks)
    assert config["site_url"].startswith("https://") and config["repo_url"].startswith("https://")


def test_api_overview_lists_every_operator() -> None:
    """Each operator method Tensor defines appears in the operator table of docs/api.md."""
    from tinygrad_ce import Tensor

    table = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    operators = [
        name
        for name in dir(Tensor)
        if re.fullmatch(
            r"__(r?(add|sub|mul|truediv|pow|matmul)|neg|pos|getitem|eq|ne|lt|le|gt|ge"
            r"|float|int|bool|len|array|array_function|array_ufunc)__",
            name,
        )
        and getattr(Tensor, name) is not getattr(object, name, None)
    ]
    assert len(operators) >= 20
    missing = [name for name in operators if f"`{name}`" not in table and f" {name}" not in table]
    assert not missing, f"docs/api.md's operator table lacks {missing}"


def test_fetch_mathjax_bundles_from_the_cache_and_checks_the_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """scripts/fetch_mathjax.py extracts only the pinned files, from a cached tarball whose
    sha512 matches (no network), and refuses one whose hash does not."""
    import base64
    import hashlib
    import io
    import tarfile

    fetch = _fetch_module()

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, body in (
            ("package/es5/tex-svg.js", b"// js"),
            ("package/LICENSE", b"A"),
            ("package/x", b""),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    data = buffer.getvalue()
    digest = base64.b64encode(hashlib.sha512(data).digest()).decode()
    files = {"package/es5/tex-svg.js": "tex-svg.js", "package/LICENSE": "LICENSE"}
    asset = fetch.Asset("fake", "1.0.0", digest, files)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(fetch, "JAVASCRIPTS", tmp_path / "js")
    (tmp_path / "cache" / "tinygrad_ce").mkdir(parents=True)
    (tmp_path / "cache" / "tinygrad_ce" / "fake-1.0.0.tgz").write_bytes(data)

    assert fetch.bundle(asset, download=False) == 2
    assert (tmp_path / "js" / "fake" / "tex-svg.js").read_bytes() == b"// js"
    assert not (tmp_path / "js" / "fake" / "x").exists()
    assert fetch.is_bundled(asset) and fetch.bundle(asset, download=False) == 0

    wrong = fetch.Asset("fake", "1.0.0", "A" * 86 + "==", files)
    with pytest.raises(FileNotFoundError):  # the bad cached copy is dropped, not used
        fetch.tarball(wrong, download=False)
