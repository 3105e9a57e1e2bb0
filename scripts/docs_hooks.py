"""mkdocs hooks (mkdocs.yml `hooks:`): the bundled MathJax, and pages that may not exist yet.

- `on_pre_build`: makes sure docs/javascripts/ holds MathJax and the iframe-worker shim
  (scripts/fetch_mathjax.py), so the built site loads no remote script.
- `on_config`: drops the nav entries in OPTIONAL_PAGES whose file is not there yet (pages other
  work adds: jit, performance, the ladder's rungs), so the nav can name them ahead of time and
  `mkdocs build --strict` still passes without them.
- `on_page_markdown`: a `::: module` line in docs/api/ whose module is not in the package yet
  becomes a note instead of a build error (`tinygrad_ce.traced`, the jit).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fetch_mathjax  # noqa: E402  (next to this file)

ROOT = Path(__file__).resolve().parent.parent
OPTIONAL_PAGES = {
    "jit.md",
    "performance.md",
    "ladder/neuron.md",
    "ladder/mlp.md",
    "ladder/makemore.md",
    "ladder/cnn.md",
    "ladder/gpt.md",
}
OPTIONAL_MODULES = {"tinygrad_ce.traced"}
_BLOCK = re.compile(r"^::: (\S+)[ \t]*\n(?:[ \t]+\S.*\n)*", re.MULTILINE)


def on_pre_build(config: Any) -> None:
    if all(fetch_mathjax.is_bundled(asset) for asset in fetch_mathjax.ASSETS):
        return
    try:
        fetch_mathjax.bundle_all(download=True)
    except Exception as err:  # no cache and no network: say what to run
        from mkdocs.exceptions import PluginError

        raise PluginError(
            f"MathJax and the search shim are not bundled in {fetch_mathjax.JAVASCRIPTS} and could "
            f"not be fetched ({err!r}): run `python scripts/fetch_mathjax.py` once with network"
        ) from err


def _prune(items: list[Any], docs_dir: Path) -> list[Any]:
    kept = []
    for item in items:
        if isinstance(item, dict):
            title, value = next(iter(item.items()))
            if isinstance(value, list):
                value = _prune(value, docs_dir)
                if value:
                    kept.append({title: value})
                continue
            item_path = value
        else:
            item_path = item
        if (
            isinstance(item_path, str)
            and item_path in OPTIONAL_PAGES
            and not (docs_dir / item_path).is_file()
        ):
            continue
        kept.append(item)
    return kept


def on_config(config: Any) -> Any:
    if config.get("nav"):
        config["nav"] = _prune(config["nav"], Path(config["docs_dir"]))
    return config


def _module_exists(name: str) -> bool:
    rel = Path(*name.split("."))
    return (ROOT / rel).with_suffix(".py").is_file() or (ROOT / rel / "__init__.py").is_file()


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if not page.file.src_uri.startswith("api/"):
        return markdown

    def swap(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in OPTIONAL_MODULES and not _module_exists(name):
            return f'!!! note "Not in this version"\n    `{name}` is not part of this build yet.\n'
        return match.group(0)

    return _BLOCK.sub(swap, markdown)
