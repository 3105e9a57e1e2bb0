"""The fused-vs-unfused comparison (`tinygrad_ce.lab.compare`): its numbers agree with a direct
computation, its dict has every field and is strict JSON, and the sweep and its plot."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_ce.functional as F
from tinygrad_ce import Tensor, grad, nn
from tinygrad_ce.lab.compare import (
    CrossEntropyComparison,
    Difference,
    ModelComparison,
    PathResult,
    SweepRow,
    compare_cross_entropy,
    compare_model,
    format_sweep,
    make_logits,
    plot_sweep,
    sweep,
)


def direct(logits: np.ndarray, target: np.ndarray, fused: bool, **options: object) -> tuple[np.ndarray, ...]:
    x = Tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, target, fused=fused, **options)
    (g,) = grad(loss, x, grad_outputs=np.ones_like(loss.data))
    return loss.data, g.data


def field_names(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"label_smoothing": 0.1},
        {"weight": np.array([0.5, 1.0, 2.0, 1.5]), "ignore_index": 2},
        {"reduction": "sum"},
        {"reduction": "none"},
    ],
)
def test_comparison_agrees_with_direct_computation(rng: np.random.Generator, options: dict) -> None:
    logits = rng.normal(size=(6, 4)) * 3
    target = np.array([0, 1, 2, 3, 2, 1])
    result = compare_cross_entropy(logits, target, repeats=2, **options)
    fused_loss, fused_grad = direct(logits, target, True, **options)
    unfused_loss, unfused_grad = direct(logits, target, False, **options)
    assert result.fused.loss == pytest.approx(float(np.sum(fused_loss)), rel=1e-15)
    assert result.unfused.loss == pytest.approx(float(np.sum(unfused_loss)), rel=1e-15)
    diff = np.abs(fused_grad - unfused_grad)
    assert result.grad_difference.max_abs == diff.max()
    largest = max(np.abs(fused_grad).max(), np.abs(unfused_grad).max())
    assert result.grad_difference.max_rel == diff.max() / largest
    worst = result.grad_difference.worst_index
    assert diff[worst] == diff.max() and result.grad_difference.fused_value == fused_grad[worst]
    assert result.loss_difference.max_abs == np.abs(fused_loss - unfused_loss).max()
    assert result.fused.ops == 1 and result.fused.nodes == 3  # logits -> softmax_cross_entropy -> loss
    assert result.unfused.ops > 5 and result.unfused.nodes > 2 * result.unfused.ops
    for path in (result.fused, result.unfused):
        assert path.forward_seconds > 0 and path.backward_seconds > 0 and path.peak_bytes > 0
    assert result.shape == (6, 4) and result.dtype == "float64" and result.repeats == 2


def test_difference_of_known_arrays() -> None:
    d = Difference.of(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 2.5], [3.0, 4.0]]))
    assert (d.max_abs, d.max_rel, d.worst_index) == (0.5, 0.125, (0, 1))
    assert (d.fused_value, d.unfused_value) == (2.0, 2.5)
    bad = Difference.of(np.array([1.0, np.nan]), np.array([1.0, 2.0]))
    assert bad.worst_index == (1,) and np.isnan(bad.max_abs) and np.isnan(bad.max_rel)
    zero = Difference.of(np.zeros(3), np.zeros(3))
    assert (zero.max_abs, zero.max_rel) == (0.0, 0.0)


def test_to_dict_has_every_field_and_is_strict_json(rng: np.random.Generator) -> None:
    result = compare_cross_entropy(
        rng.normal(size=(5, 3)).astype(np.float32),
        np.array([0, 1, 2, 0, 1]),
        repeats=1,
        label_smoothing=0.2,
        weight=np.ones(3),
    )
    as_dict = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert set(as_dict) == field_names(CrossEntropyComparison)
    for side in ("fused", "unfused"):
        assert set(as_dict[side]) == field_names(PathResult)
    for diff in ("loss_difference", "grad_difference"):
        assert set(as_dict[diff]) == field_names(Difference)
    assert as_dict["options"] == {"label_smoothing": 0.2, "weight": "given"}
    assert as_dict["shape"] == [5, 3] and as_dict["dtype"] == "float32"
    assert isinstance(as_dict["grad_difference"]["worst_index"], list)
    table = str(result)
    for text in ("fused", "unfused", "forward (ms, median)", "peak memory (KiB)", "gradient difference"):
        assert text in table


def test_non_finite_numbers_become_strings_in_json() -> None:
    result = compare_cross_entropy(np.array([[0.0, np.nan]]), np.array([0]), repeats=1)
    as_dict = result.to_dict()
    assert as_dict["fused"]["loss"] == "nan" and as_dict["grad_difference"]["max_abs"] == "nan"
    json.dumps(as_dict, allow_nan=False)


def test_bad_arguments_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="repeats must be at least 1"):
        compare_cross_entropy(np.zeros((2, 2)), np.array([0, 1]), repeats=0)
    with pytest.raises(TypeError, match="unknown option"):
        compare_cross_entropy(np.zeros((2, 2)), np.array([0, 1]), fused=True)
    with pytest.raises(TypeError, match="floating point"):
        compare_cross_entropy(np.zeros((2, 2), dtype=int), np.array([0, 1]))
    with pytest.raises(IndexError, match="out of range"):
        compare_cross_entropy(np.zeros((2, 2)), np.array([0, 5]))


def test_compare_model_per_parameter_and_restores_parameters(rng: np.random.Generator) -> None:
    model = nn.MLP([3, 5, 4], rng=1, dtype=np.float64)
    x = rng.normal(size=(7, 3))
    target = rng.integers(0, 4, size=7)
    before = model.state_dict()
    result = compare_model(model, x, target, steps=3, lr=0.5, label_smoothing=0.1)
    assert [p.name for p in result.parameters] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    params = [p for _, p in model.named_parameters()]
    fused = grad(F.cross_entropy(model(x), target, label_smoothing=0.1), params)
    unfused = grad(F.cross_entropy(model(x), target, label_smoothing=0.1, fused=False), params)
    for row, gf, gu in zip(result.parameters, fused, unfused):
        assert row.grad.max_abs == np.abs(gf.data - gu.data).max() and row.grad.max_abs < 1e-12
        assert row.after_steps is not None and row.after_steps.max_abs < 1e-12
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])  # the model is left as it was
    as_dict = json.loads(json.dumps(result.to_dict()))
    assert set(as_dict) == field_names(ModelComparison) and as_dict["steps"] == 3
    assert "0.weight" in str(result) and "after 3 steps" in str(result)
    with pytest.raises(TypeError, match="named_parameters"):
        compare_model(lambda v: Tensor(v), x, target)


def test_compare_model_leaves_grads_and_mode_alone(rng: np.random.Generator) -> None:
    model = nn.MLP([3, 5, 4], rng=1, dtype=np.float64).eval()
    params = list(model.parameters())
    params[0].grad = np.ones_like(params[0].data)
    subset = dict(list(model.named_parameters())[2:])  # the steps train only these (by training.fit)
    x, target = rng.normal(size=(7, 3)), rng.integers(0, 4, size=7)
    result = compare_model(model, x, target, steps=2, parameters=subset)
    assert [p.name for p in result.parameters] == ["2.weight", "2.bias"]
    assert not model.training and np.all(params[0].grad.data == 1) and all(p.grad is None for p in params[1:])


def test_make_logits_rows_span_the_gap(rng: np.random.Generator) -> None:
    z = make_logits(5, 7, 745.0, np.float64, rng)
    np.testing.assert_allclose(z.max(axis=1) - z.min(axis=1), 745.0, rtol=1e-12)
    assert z.shape == (5, 7) and z.dtype == np.float64


def test_sweep_rows_and_table() -> None:
    rows = sweep(scales=(1, 1000), dtypes=(np.float32, np.float64), batch=16, classes=5)
    assert [(r.scale, r.dtype) for r in rows] == [
        (1, "float32"),
        (1000, "float32"),
        (1, "float64"),
        (1000, "float64"),
    ]
    for r in rows:
        assert r.finite
        tolerance = 1e-6 if r.dtype == "float32" else 1e-14
        assert r.fused_grad_error < tolerance and r.unfused_grad_error < tolerance
        assert r.fused_loss_error < tolerance and r.grad_abs_diff < tolerance
        assert set(json.loads(json.dumps(r.to_dict()))) == field_names(SweepRow)
    assert rows[1].fused_loss > 100 * rows[0].fused_loss  # a gap of 1000 costs about 1000 per wrong row
    table = format_sweep(rows).splitlines()
    assert len(table) == 5 and "gap" in table[0] and table[2].split()[:2] == ["1000", "float32"]


def test_plot_sweep_writes_a_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    rows = sweep(scales=(1, 100), dtypes=(np.float64,), batch=8, classes=3)
    out = plot_sweep(rows, tmp_path / "sweep.png", title="test")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match=r"\.png, \.svg or \.pdf"):
        plot_sweep(rows, tmp_path / "sweep.gif")


def test_plot_sweep_without_matplotlib_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    with pytest.raises(ModuleNotFoundError, match="pip install matplotlib"):
        plot_sweep([], tmp_path / "sweep.png")
    assert not (tmp_path / "sweep.png").exists()


def test_old_import_paths_still_work() -> None:
    import tinygrad_ce.compare as compare
    import tinygrad_ce.lab.study as study
    import tinygrad_ce.lab.viz as viz
    from tinygrad_ce import study as old_study
    from tinygrad_ce import study_report as old_report
    from tinygrad_ce import viz as old_viz

    assert compare.sweep is sweep and compare.plot_sweep is plot_sweep
    assert compare.compare_model is compare_model
    with pytest.raises(AttributeError):
        compare.no_such_name  # noqa: B018
    assert old_study.run_study is study.run_study and old_study.RunResult is study.RunResult
    assert old_report.write_results is study.write_results
    assert old_viz.draw_graph is viz.draw_graph and old_viz.value_lines is viz.value_lines
