"""The CE-vs-MSE study in quick mode: (a) == (b) to rounding, CE's gradient survives
saturation where MSE's vanishes, the files are written, and the CLI behaves."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_ce import cli
from tinygrad_ce.lab.study import (
    VARIANTS,
    RunResult,
    StudyConfig,
    StudyResult,
    fused_unfused_agree,
    fused_unfused_gradients_agree,
    logit_gradient_sweep,
    per_sample_logit_gradients,
    run_study,
)
from tinygrad_ce.lab.study.report import agreement_line, format_epochs, markdown_table, write_results

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def quick() -> StudyResult:
    return run_study(StudyConfig.make(quick=True, seeds=2), log=None)


def test_every_variant_and_seed_ran(quick: StudyResult) -> None:
    assert len(quick.runs) == 2 * len(VARIANTS)
    for run in quick.runs:
        assert len(run.loss) == len(run.train_acc) == len(run.test_acc) == 60 + 1
        assert all(np.isfinite(run.loss))
        assert len(run.first_layer_grad) == 2 * 6  # 2 epochs of ceil(180 / 32) steps


def test_fused_and_unfused_training_agree_to_rounding(quick: StudyResult) -> None:
    difference = quick.fused_unfused_difference()
    assert difference["loss"] < 1e-12 and difference["parameters"] < 1e-12
    assert 0.0 <= difference["step_gradient"] < 1e-15  # per step: the gradients agree to rounding
    assert fused_unfused_gradients_agree(quick)
    assert difference["accuracy"] == 0.0
    assert fused_unfused_agree(quick)
    assert "agree to float rounding" in markdown_table(quick)
    a, b = (quick.runs_of("spiral", v)[0] for v in ("ce_fused", "ce_unfused"))
    assert a.loss is not b.loss and a.loss[5] != 0.0 and abs(a.loss[5] - b.loss[5]) < 1e-12


def test_agreement_checks_can_fail(quick: StudyResult) -> None:
    a = quick.runs_of("spiral", "ce_fused")[0]
    drifted = RunResult(a.dataset, "ce_unfused", a.seed, [v + 1e-3 for v in a.loss], a.train_acc, a.test_acc)
    drifted.final_params = a.final_params
    others = [r for r in quick.runs if not (r.variant == "ce_unfused" and r.seed == a.seed)]
    result = StudyResult(quick.config, others + [drifted], quick.sweep)
    assert not fused_unfused_agree(result) and fused_unfused_gradients_agree(result)
    assert "drift apart" in agreement_line(result)  # curves apart, gradients equal: amplified rounding
    mismatched = RunResult(
        a.dataset, "ce_fused", a.seed, a.loss, a.train_acc, a.test_acc, step_gradient_difference=1e-6
    )
    mismatched.final_params = a.final_params
    result = StudyResult(quick.config, [r for r in quick.runs if r is not a] + [mismatched], quick.sweep)
    assert not fused_unfused_gradients_agree(result) and "DIFFER" in agreement_line(result)


def test_variants_start_from_the_same_weights(quick: StudyResult) -> None:
    for seed in range(2):
        first = {r.variant: r for r in quick.runs if r.seed == seed}
        assert len({r.train_acc[0] for r in first.values()}) == 1  # same init -> same predictions
        assert first["ce_fused"].loss[0] == pytest.approx(first["ce_unfused"].loss[0], abs=1e-15)


def test_cross_entropy_trains_faster_than_bounded_mse(quick: StudyResult) -> None:
    rows = {row["variant"]: row for row in quick.summary_rows()}
    assert rows["ce_fused"]["epochs_to_90_reached"] == 2
    for variant in ("softmax_mse", "sigmoid_mse"):
        assert rows["ce_fused"]["final_train_acc"] > rows[variant]["final_train_acc"] + 0.1


def test_only_linear_outputs_leave_the_unit_interval(quick: StudyResult) -> None:
    rows = {row["variant"]: row for row in quick.summary_rows()}
    assert rows["linear_mse"]["outside_unit"] > 0.05
    for variant in ("ce_fused", "ce_unfused", "softmax_mse", "sigmoid_mse"):
        assert rows[variant]["outside_unit"] == 0.0


def test_ce_gradient_survives_saturated_wrong_predictions_mse_vanishes() -> None:
    sweep = logit_gradient_sweep(classes=3, points=41, span=10.0)
    ce, softmax_mse, sigmoid_mse = (sweep[v] for v in ("ce_fused", "softmax_mse", "sigmoid_mse"))
    assert ce["p_true"][0] < 1e-8 and sigmoid_mse["p_true"][0] < 1e-4  # the most wrong end: saturated
    assert ce["grad_norm"][0] == pytest.approx(np.sqrt(1 + 2 * 0.5**2), rel=1e-6)  # |p - y|, p = (0, .5, .5)
    assert softmax_mse["grad_norm"][0] < 1e-7 and sigmoid_mse["grad_norm"][0] < 1e-4
    assert ce["grad_norm"][0] > 1e4 * sigmoid_mse["grad_norm"][0]
    middle = len(ce["p_true"]) // 2  # all logits 0: nothing saturated, MSE is not small there
    assert sigmoid_mse["grad_norm"][middle] > 0.05


def test_per_sample_gradients_are_the_rows_own() -> None:
    logits = np.array([[8.0, -8.0, -8.0], [0.0, 0.0, 0.0]])
    target = np.array([1, 2])
    p_true, norm = per_sample_logit_gradients("ce_fused", logits, target)
    softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(p_true, softmax[[0, 1], target])
    np.testing.assert_allclose(norm, np.linalg.norm(softmax - np.eye(3)[target], axis=1))
    p_true, norm = per_sample_logit_gradients("sigmoid_mse", logits, target)
    s = 1 / (1 + np.exp(-logits))
    expected = np.linalg.norm(2 / 3 * (s - np.eye(3)[target]) * s * (1 - s), axis=1)  # mean over C = 3
    np.testing.assert_allclose(norm, expected, rtol=1e-10)
    assert norm[0] < 1e-3 < norm[1]  # saturated wrong row: vanishing


def test_epochs_to_and_formatting() -> None:
    run = RunResult("spiral", "ce_fused", 0, train_acc=[0.3, 0.8, 0.91, 0.89, 0.96])
    assert run.epochs_to(0.9) == 2 and run.epochs_to(0.95) == 4 and run.epochs_to(0.99) is None
    assert format_epochs(None, None, 0, 3) == "—"
    assert format_epochs(12.0, 1.0, 3, 3) == "12.0 ± 1.0"
    assert format_epochs(12.0, 0.0, 2, 3) == "12.0 ± 0.0 (2/3 seeds)"


def test_results_files_are_written(quick: StudyResult, tmp_path: Path) -> None:
    written, note = write_results(quick, tmp_path / "out", images=tmp_path / "images")
    names = {p.name for p in written}
    assert {"summary.csv", "histories.csv", "first_layer_grad.csv", "results.json", "summary.md"} <= names
    with open(tmp_path / "out" / "summary.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["variant"] for r in rows] == list(VARIANTS)
    with open(tmp_path / "out" / "histories.csv", newline="") as handle:
        assert sum(1 for _ in csv.DictReader(handle)) == len(quick.runs) * 61
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["fused_vs_unfused"]["curves_agree"] is True
    assert results["fused_vs_unfused"]["gradients_agree"] is True
    assert set(results) >= {"config", "summary", "logit_gradient_sweep", "runs", "skipped"}
    assert "| (e) linear + MSE |" in (tmp_path / "out" / "summary.md").read_text()
    if note:  # matplotlib missing: the note says so and no picture was made
        assert "matplotlib" in note and not list(tmp_path.glob("images/*.png"))
    else:
        pictures = sorted(p.name for p in (tmp_path / "images").glob("*.png"))
        assert pictures == [
            "study-curves-spiral.png",
            "study-first-layer-grad.png",
            "study-gradient-vs-probability.png",
        ]
        for picture in pictures:
            assert (tmp_path / "images" / picture).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob("**/*.tmp"))  # atomic writes leave no temporary files


def test_cli_quick_run_writes_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "study"
    code = cli.main(["study", "ce-vs-mse", "--quick", "--seeds", "1", "--epochs", "3", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "agree to float rounding" in printed and "| (a) softmax + CE, fused |" in printed
    assert (out / "results.json").exists() and (out / "summary.md").exists()


@pytest.mark.parametrize(
    "arguments", [["--seeds", "0"], ["--epochs", "0"], ["--datasets", "cifar"], ["--lr", "-1"]]
)
def test_cli_bad_arguments_exit_2_with_one_line(
    arguments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["study", "ce-vs-mse", *arguments]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("tinygrad-ce study: error:") and "\n" not in err


def test_cli_unknown_study_is_a_usage_error_without_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tinygrad_ce", "study", "nope"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "invalid choice" in result.stderr and "Traceback" not in result.stderr
