"""Packaging: one version (tinygrad_ce/_version.py, read by pyproject.toml and the CLI),
the typing marker and license shipped, the sdist holding what the tests read, and
`import tinygrad_ce` needing nothing but numpy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import tinygrad_ce
from tinygrad_ce._version import __version__

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = None

needs_pyproject = pytest.mark.skipif(
    tomllib is None or not PYPROJECT.is_file(), reason="needs tomllib and the source tree's pyproject.toml"
)


def _pyproject() -> dict:
    with open(PYPROJECT, "rb") as fh:
        return tomllib.load(fh)


def test_one_version_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    from tinygrad_ce.cli import main

    assert tinygrad_ce.__version__ == __version__
    assert __version__.count(".") >= 2 and __version__.split(".")[0].isdigit()
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"tinygrad-ce {__version__}"


@needs_pyproject
def test_pyproject_reads_the_version_from_the_package() -> None:
    data = _pyproject()
    assert "version" not in data["project"] and "version" in data["project"]["dynamic"]
    attr = data["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "tinygrad_ce._version.__version__"


@needs_pyproject
def test_license_typing_marker_and_metadata() -> None:
    data = _pyproject()
    project = data["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert "Copyright (c) 2026 the tinygrad_ce authors" in (ROOT / "LICENSE").read_text()
    assert (ROOT / "tinygrad_ce" / "py.typed").is_file()
    assert "py.typed" in data["tool"]["setuptools"]["package-data"]["tinygrad_ce"]
    assert "Typing :: Typed" in project["classifiers"]
    assert set(project["urls"]) >= {"Homepage", "Documentation", "Repository", "Issues"}
    build = " ".join(data["build-system"]["requires"])
    assert "setuptools>=77" in build  # PEP 639 license expressions
    dev = " ".join(project["optional-dependencies"]["dev"])
    for package in ("pytest", "mypy", "nbclient", "nbformat", "ipykernel"):
        assert package in dev


@needs_pyproject
def test_the_sdist_holds_what_the_tests_read() -> None:
    manifest = (ROOT / "MANIFEST.in").read_text().split()
    for folder in ("tests", "docs", "examples", "benchmarks", "scripts"):
        assert folder in manifest, f"MANIFEST.in does not graft {folder}/"
    assert "mkdocs.yml" in manifest and "LICENSE" in manifest


BLOCKED = ("matplotlib", "graphviz", "tqdm", "sklearn", "torch", "scipy", "IPython", "pandas")
CHILD = f"""
import sys
for name in {BLOCKED!r}:
    sys.modules[name] = None  # importing any of them now raises ImportError
import tinygrad_ce
from tinygrad_ce import Tensor, grad, nn, optim
import tinygrad_ce.functional as F
x = Tensor([[1.0, 2.0, 3.0]], requires_grad=True)
(g,) = grad(F.cross_entropy(x, [2]), x)
assert abs(float(g.data.sum())) < 1e-6
print(sorted(m for m in sys.modules if m.split(".")[0] in {BLOCKED!r} and sys.modules[m] is not None))
"""


def test_import_needs_only_numpy() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, timeout=60, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
