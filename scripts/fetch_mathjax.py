"""Bundle MathJax 3 (and Material's search shim) into the docs: the built site needs no network.

Run once with network (CI does, in .ci/run): ``python scripts/fetch_mathjax.py``. It downloads
the pinned npm tarballs with Python's standard library (no node or npm needed), checks each
sha512 against the value pinned below, keeps them in the user cache (``$XDG_CACHE_HOME/tinygrad_ce``
or ``~/.cache/tinygrad_ce``) and extracts only what the pages use (both folders git-ignored):

- ``docs/javascripts/mathjax/``: ``tex-svg.js`` (MathJax's TeX input and SVG output, about
  2.1 MB) and its LICENSE (Apache-2.0). The SVG output carries its glyphs inside the script, so
  there are no font files to load: the math renders even when the pages are opened straight
  from disk (``file://``), where browsers refuse web fonts (the HTML output's woff files) as
  cross-origin requests. The TeX extensions MathJax would autoload (``\\boldsymbol``,
  ``\\cancel``, ``\\color``, ...) are not bundled: the pages use only the base and AMS macros.
- ``docs/javascripts/iframe-worker/``: ``shim.js`` (1.4 kB, MIT), which Material's ``offline``
  plugin needs to run the search from ``file://``; without a local copy the plugin would load it
  from unpkg.com.

The docs build calls `bundle_all()` too (scripts/docs_hooks.py, an mkdocs hook): when a folder
is missing (a fresh checkout, a scratch copy) it extracts it from the cached tarball, so the
build needs the network only when nothing is cached, and otherwise fails saying to run this
script.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JAVASCRIPTS = ROOT / "docs" / "javascripts"
STAMP = ".version"


@dataclass(frozen=True)
class Asset:
    """One npm package version, pinned by its registry sha512, and the files taken from it."""

    package: str
    version: str
    sha512: str
    files: dict[str, str]  # path in the tarball -> path under the target folder

    @property
    def url(self) -> str:
        return f"https://registry.npmjs.org/{self.package}/-/{self.package}-{self.version}.tgz"

    @property
    def target(self) -> Path:
        return JAVASCRIPTS / self.package

    @property
    def stamp(self) -> str:
        return f"{self.package} {self.version} {' '.join(sorted(self.files.values()))}"


MATHJAX = Asset(
    "mathjax",
    "3.2.2",
    "Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
    {"package/es5/tex-svg.js": "tex-svg.js", "package/LICENSE": "LICENSE"},
)
IFRAME_WORKER = Asset(
    "iframe-worker",
    "1.0.4",
    "roeaaI+Lg1LJNfgpCjoRe/+WzEjy9+Z08LoEvu85MCPbBjwm+qXz8Ag5U05lHa6V1CysZyGzE0SOkAtSUA5q7Q==",
    {"package/shim/index.js": "shim.js", "package/LICENSE": "LICENSE"},
)
ASSETS = (MATHJAX, IFRAME_WORKER)


def cache_dir() -> Path:
    """Where the downloaded tarballs are kept, shared by every checkout of this user."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tinygrad_ce"


def _verified(asset: Asset, data: bytes) -> bytes:
    digest = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if digest != asset.sha512:
        raise RuntimeError(
            f"{asset.package}-{asset.version}.tgz: sha512 {digest} does not match the pinned {asset.sha512}"
        )
    return data


def tarball(asset: Asset, download: bool = True) -> bytes:
    """The verified tarball, from the cache or (if `download`) from the npm registry."""
    cached = cache_dir() / f"{asset.package}-{asset.version}.tgz"
    if cached.is_file():
        try:
            return _verified(asset, cached.read_bytes())
        except RuntimeError:
            cached.unlink()  # a truncated or corrupted download: fetch it again
    if not download:
        raise FileNotFoundError(cached)
    with urllib.request.urlopen(asset.url, timeout=60) as response:
        data = _verified(asset, response.read())
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(cached)
    return data


def is_bundled(asset: Asset) -> bool:
    """True when the asset's folder holds this version's files."""
    stamp = asset.target / STAMP
    return (
        stamp.is_file()
        and stamp.read_text().strip() == asset.stamp
        and all((asset.target / rel).is_file() for rel in asset.files.values())
    )


def bundle(asset: Asset, download: bool = True) -> int:
    """Extract the asset's files into its folder (emptied first: it holds only what this
    writes); returns the number of files written, 0 when they were there already."""
    if is_bundled(asset):
        return 0
    data = tarball(asset, download)
    shutil.rmtree(asset.target, ignore_errors=True)
    n = 0
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            rel = asset.files.get(member.name)
            source = tar.extractfile(member) if rel is not None and member.isfile() else None
            if rel is None or source is None:
                continue
            out = asset.target / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(source.read())
            n += 1
    if n != len(asset.files):
        raise RuntimeError(f"{asset.package}-{asset.version}.tgz lacks some of {sorted(asset.files)}")
    (asset.target / STAMP).write_text(asset.stamp + "\n")
    return n


def bundle_all(download: bool = True) -> int:
    """Bundle every asset; returns the number of files written."""
    return sum(bundle(asset, download) for asset in ASSETS)


def main() -> int:
    for asset in ASSETS:
        n = bundle(asset)
        size = sum(p.stat().st_size for p in asset.target.rglob("*") if p.is_file())
        state = f"wrote {n} files" if n else "already there"
        where = asset.target.relative_to(ROOT)
        print(f"{asset.package} {asset.version} in {where}: {state} ({size // 1024} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
