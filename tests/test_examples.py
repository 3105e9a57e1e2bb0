"""The examples run as plain scripts' `main`, with fewer epochs, and still reach their targets."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
JIT_LINE = re.compile(
    r"^jit: \d+\.\d+x (faster|slower) per step \(eager [\d.]+ [mu]s, jit [\d.]+ [mu]s\)$", re.M
)


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_spiral_reaches_97_percent_training_accuracy(capsys):
    assert load("spiral").main(epochs=40, seed=0, progress=False) >= 0.97
    assert len(JIT_LINE.findall(capsys.readouterr().out)) == 1  # it trains with jit=True


def test_digits_reaches_96_percent_test_accuracy(capsys):
    pytest.importorskip("sklearn")
    assert load("digits").main(epochs=10, seed=0, progress=False) >= 0.96
    assert len(JIT_LINE.findall(capsys.readouterr().out)) == 1


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


def test_ladder_neuron_matches_micrograd_and_learns_the_moons(capsys):
    result = load("neuron").main(epochs=40, seed=0)
    expected = {"o": 0.7071, "x1": -1.5, "x2": 0.5, "w1": 1.0, "w2": 0.0, "b": 0.5}  # micrograd's numbers
    assert all(abs(result[k] - v) < 1e-4 for k, v in expected.items())
    assert result["moons_accuracy"] >= 0.97
    assert len(JIT_LINE.findall(capsys.readouterr().out)) == 1  # the moons MLP trains with jit=True


def test_ladder_makemore_learns_and_its_manual_logit_gradient_agrees(capsys):
    result = load("makemore").main(steps=300, seed=0, verbose=False)
    assert result["loss"] < 2.6 < 3.29  # from log(27) = 3.30 at the start
    assert result["logit_gradient_difference"] < 1e-6
    letters = set("abcdefghijklmnopqrstuvwxyz")
    assert len(result["samples"]) == 8 and all(set(s) <= letters for s in result["samples"])
    assert len(JIT_LINE.findall(capsys.readouterr().out)) == 1  # printed even when not verbose


def test_ladder_cnn_reaches_95_percent_on_digits(capsys):
    pytest.importorskip("sklearn")
    assert load("cnn").main(epochs=8, seed=0, progress=False) >= 0.95
    assert len(JIT_LINE.findall(capsys.readouterr().out)) == 1


def test_ladder_tiny_gpt_learns(capsys):
    result = load("gpt").main(steps=60, seed=0, verbose=False)
    assert result["last_loss"] < result["first_loss"] - 0.2
    assert len(result["sample"]) == 60 and set(result["sample"]) <= set(".abcdefghijklmnopqrstuvwxyz")
    assert len(JIT_LINE.findall(capsys.readouterr().out)) == 1
