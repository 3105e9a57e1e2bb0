"""`tinygrad-ce graph` and `tinygrad-ce compare` as a user runs them: exit codes, output
files, one-line errors on stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tinygrad_ce.cli import main

ROOT = Path(__file__).resolve().parent.parent
HAS_DOT = any((Path(d) / "dot").exists() for d in os.environ.get("PATH", "").split(os.pathsep) if d)


def run_cli(*args: str, path: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [sys.executable, "-m", "tinygrad_ce", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd or ROOT,
        timeout=120,
    )


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
def test_graph_both_to_svg(tmp_path: Path) -> None:
    out = tmp_path / "mlp.svg"
    done = run_cli("graph", "--model", "mlp", "--sizes", "2,16,3", "--loss", "both", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote {out}"
    texts = {el.text for el in ET.parse(out).getroot().iter("{http://www.w3.org/2000/svg}text")}
    assert "softmax_cross_entropy" in texts and "log_softmax" in texts and "0.weight" in texts
    assert any(t and t.startswith("fused cross-entropy: ") for t in texts)
    assert (tmp_path / "mlp.dot").exists()


def test_graph_backward_dot_without_graphviz(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    out = tmp_path / "back.dot"
    done = run_cli(
        "graph", "--loss", "unfused", "--backward", "--format", "dot", "--out", str(out), path=str(empty)
    )
    assert done.returncode == 0, done.stderr
    source = out.read_text()
    assert "<B>grad 0.weight</B>" in source and "<B>grad loss</B>" in source and "scatter_add" in source


def test_graph_png_without_graphviz_is_one_line_exit_2(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    done = run_cli("graph", "--loss", "fused", "--out", str(tmp_path / "g.png"), path=str(empty))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tinygrad-ce graph: error: ")
    assert "apt-get install graphviz" in lines[0] and str(tmp_path / "g.dot") in lines[0]
    assert (tmp_path / "g.dot").exists() and not (tmp_path / "g.png").exists()


def test_graph_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for args, message in (
        (["--sizes", "2,x"], "argument --sizes: expected comma-separated layer sizes"),
        (["--sizes", "4"], "argument --sizes: needs at least two sizes"),
        (["--sizes", "4,1"], "number of classes"),
        (["--batch", "0"], "argument --batch: expected a positive integer"),
        (["--out", str(tmp_path / "g.png"), "--format", "svg"], "does not end in .svg"),
        (["--out", str(tmp_path / "nowhere" / "g.svg")], "does not exist"),
    ):
        assert main(["graph", *args]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0], (args, err)


def test_graph_in_process_collapsed_tb(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "g.dot"
    assert (
        main(
            [
                "graph",
                "--loss",
                "unfused",
                "--collapse",
                "--rankdir",
                "TB",
                "--no-values",
                "--out",
                str(out),
                "--sizes",
                "3,4,2",
                "--batch",
                "2",
            ]
        )
        == 0
    )
    source = out.read_text()
    assert "rankdir=TB" in source and "<B>MLP</B>" in source and "<B>cross_entropy</B>" in source
    assert "min " not in source  # --no-values
    assert capsys.readouterr().out.strip() == f"wrote {out}"


def test_compare_json_has_every_field() -> None:
    done = run_cli("compare", "--batch", "64", "--classes", "10", "--json", "--repeats", "2")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) == {
        "shape",
        "dtype",
        "options",
        "repeats",
        "fused",
        "unfused",
        "loss_difference",
        "grad_difference",
    }
    assert result["shape"] == [64, 10] and result["fused"]["ops"] == 1 and result["unfused"]["ops"] > 5
    assert result["fused"]["loss"] == pytest.approx(result["unfused"]["loss"], rel=1e-6)


def test_compare_table_with_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    options = ["--label-smoothing", "0.1", "--weights", "random", "--ignore-index", "3", "--scale", "1000"]
    assert (
        main(
            ["compare", "--batch", "128", "--classes", "12", "--dtype", "float64", "--repeats", "1", *options]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "logits (128, 12) float64" in out and "ignore_index=3" in out and "weight=given" in out
    grad_line = next(line for line in out.splitlines() if line.startswith("gradient difference"))
    assert float(grad_line.split("max abs ")[1].split(",")[0]) < 1e-12


@pytest.mark.parametrize("op", ["conv2d", "layer_norm", "attention"])
def test_compare_fused_op_table(op: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "--op", op, "--batch", "2", "--dtype", "float64", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "fused" in out and "unfused" in out
    assert float(out.split("max gradient difference: ")[1].split()[0]) < 1e-5


def test_compare_sweep_with_plot(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    plot = tmp_path / "sweep.png"
    done = run_cli("compare", "--sweep", "--batch", "16", "--classes", "4", "--plot", str(plot))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0].split()[:2] == ["gap", "dtype"] and len(lines) == 1 + 14 + 1  # header, 7 gaps x 2 dtypes
    assert lines[-1] == f"wrote {plot}"
    assert plot.read_bytes()[:4] == b"\x89PNG"


def test_compare_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    for args, message in (
        (["--batch", "0"], "argument --batch: expected a positive integer"),
        (["--classes", "1"], "argument --classes: expected an integer from 2 to"),
        (["--label-smoothing", "2"], "argument --label-smoothing: expected a number in [0, 1]"),
        (["--scale", "-1"], "argument --scale: expected a number in [0, 1e+06]"),
        (["--plot", "x.png"], "--plot needs --sweep"),
        (["--op", "conv2d", "--classes", "3"], "--op conv2d does not take --classes"),
    ):
        assert main(["compare", *args]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0], (args, err)
    done = run_cli("compare", "--dtype", "float16")
    assert done.returncode == 2 and "invalid choice" in done.stderr
