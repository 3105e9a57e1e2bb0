"""The examples run as plain scripts' `main`, with fewer epochs, and still reach their targets."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_spiral_reaches_97_percent_training_accuracy():
    assert load("spiral").main(epochs=40, seed=0, progress=False) >= 0.97


def test_digits_reaches_96_percent_test_accuracy():
    pytest.importorskip("sklearn")
    assert load("digits").main(epochs=10, seed=0, progress=False) >= 0.96


def test_digits_skips_cleanly_without_scikit_learn(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    assert load("digits").main(epochs=1, progress=False) is None
    assert "skipping: load_digits needs scikit-learn: pip install scikit-learn" in capsys.readouterr().out


def test_custom_module_fused_and_unfused_trajectories_agree(capsys):
    result = load("custom_module").main(epochs=8, seed=0)
    assert result["steps"] == 80 and result["max_difference"] < 1e-5
    assert result["fused_accuracy"] == result["unfused_accuracy"] > 0.7
    out = capsys.readouterr().out
    assert "(block): ResidualBlock(" in out and "identical to float rounding" in out
