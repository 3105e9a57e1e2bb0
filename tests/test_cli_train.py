"""`tinygrad-ce train` and `tinygrad-ce demo`: files written, accuracies printed, and
bad arguments or unreadable files ending with one stderr line and exit status 2."""

from __future__ import annotations

import gzip
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_ce.cli import main
from tinygrad_ce.cli.models import model_from_checkpoint

ROOT = Path(__file__).resolve().parents[1]
try:
    import matplotlib.figure  # noqa: F401

    HAS_MATPLOTLIB = True
except ImportError:
    HAS_MATPLOTLIB = False


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run(
        [sys.executable, "-m", "tinygrad_ce", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_train_writes_checkpoint_history_and_plots(tmp_path):
    result = cli(
        "train", "--dataset", "spiral", "--epochs", "3", "--hidden", "8", "--out", "run", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "final train accuracy" in result.stdout and "validation accuracy" in result.stdout
    epoch_lines = [line for line in result.stdout.splitlines() if line.startswith("epoch")]
    assert [line.split()[1] for line in epoch_lines] == ["1/3", "2/3", "3/3"]
    run = tmp_path / "run"
    expected = {"checkpoint.npz", "history.json", "history.csv"}
    if HAS_MATPLOTLIB:
        expected |= {"training.png", "decision_boundary.png"}
        assert (run / "training.png").read_bytes()[:4] == b"\x89PNG"
    assert set(os.listdir(run)) == expected
    history = json.loads((run / "history.json").read_text())
    assert len(history["train_loss"]) == 3 and len(history["val_accuracy"]) == 3
    model, meta = model_from_checkpoint(str(run / "checkpoint.npz"))
    assert [layer.weight.shape for layer in model[::2]] == [(8, 2), (3, 8)]
    assert meta["dataset"] == "spiral" and meta["epoch"] == 3 and meta["loss"] == "fused"


def test_demo_trains_on_the_spiral_and_compares_gradients(tmp_path):
    result = cli("demo", "--epochs", "4", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "spiral:" in result.stdout and "final train accuracy" in result.stdout
    lines = [line for line in result.stdout.splitlines() if "max |difference|" in line]
    assert len(lines) == 2 and all(float(line.split()[-1]) < 1e-5 for line in lines)
    assert {"checkpoint.npz", "history.json", "history.csv"} <= set(os.listdir(tmp_path / "tinygrad-ce-demo"))


@pytest.mark.parametrize(
    "args",
    [
        [
            "--dataset",
            "moons",
            "--optimizer",
            "sgd",
            "--loss",
            "mse",
            "--hidden",
            "6,6",
            "--activation",
            "tanh",
        ],
        ["--dataset", "blobs", "--loss", "unfused", "--classes", "4", "--hidden", "none", "--lr", "0.05"],
    ],
)
def test_train_options_in_process(tmp_path, capsys, args):
    assert main(["train", *args, "--epochs", "2", "--quiet", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "final train accuracy" in out and "epoch 1/2" not in out  # --quiet: no per-epoch lines
    history = json.loads((tmp_path / "out" / "history.json").read_text())
    assert len(history["train_loss"]) == 2 and all(np.isfinite(history["train_loss"]))


def write_mnist(directory: Path) -> None:
    """Four tiny gzipped IDX files: 12 training and 6 test images of 28x28."""
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 12), ("t10k", 6)):
        images = rng.integers(0, 256, size=(n, 28, 28)).astype(np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
            header = bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
            raw = header + array.tobytes()
            (directory / f"{prefix}-{kind}-ubyte.gz").write_bytes(gzip.compress(raw))


def test_train_on_mnist_files(tmp_path, capsys):
    write_mnist(tmp_path)
    args = ["train", "--dataset", "mnist", "--data-dir", str(tmp_path), "--epochs", "1", "--quiet"]
    assert main([*args, "--out", str(tmp_path / "out")]) == 0
    assert "12 training / 6 validation samples, 10 classes" in capsys.readouterr().out
    assert not (tmp_path / "out" / "decision_boundary.png").exists()  # not 2-D


def test_train_on_digits(tmp_path, capsys):
    pytest.importorskip("sklearn")
    assert main(["train", "--dataset", "digits", "--epochs", "1", "--quiet", "--out", str(tmp_path)]) == 0
    assert "digits: 1438 training / 359 validation samples, 10 classes" in capsys.readouterr().out


def test_train_cnn_on_digits_and_rebuild_it_from_the_checkpoint(tmp_path, capsys):
    pytest.importorskip("sklearn")
    args = [
        "train",
        "--dataset",
        "digits",
        "--model",
        "cnn",
        "--activation",
        "tanh",
        "--epochs",
        "1",
        "--quiet",
        "--out",
        str(tmp_path),
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "10 classes; CNN (conv 8, conv 16, linear 10) (1,898 parameters)" in out
    accuracy = float(out.split("validation accuracy")[1].split()[0])
    assert accuracy > 0.5  # one epoch of the LeNet on the 8x8 digits: ~0.9
    model, meta = model_from_checkpoint(str(tmp_path / "checkpoint.npz"))
    assert meta["architecture"] == "cnn" and meta["activation"] == "tanh"
    shapes = [tuple(p.shape) for p in model.parameters()]
    assert shapes == [(8, 1, 3, 3), (8,), (16, 8, 3, 3), (16,), (10, 64), (10,)]
    assert model(np.zeros((2, 64), np.float32)).shape == (2, 10)  # flat rows in, unflattened to (N, 1, 8, 8)


def test_train_cnn_on_mnist_has_two_conv_stages_then_a_linear_layer(tmp_path, capsys):
    write_mnist(tmp_path)
    args = [
        "train",
        "--dataset",
        "mnist",
        "--data-dir",
        str(tmp_path),
        "--model",
        "cnn",
        "--quiet",
        "--epochs",
        "1",
        "--out",
        str(tmp_path / "out"),
    ]
    assert main(args) == 0
    assert "12 training / 6 validation samples, 10 classes; CNN" in capsys.readouterr().out
    model, _ = model_from_checkpoint(str(tmp_path / "out" / "checkpoint.npz"))
    assert model[8].weight.shape == (10, 16 * 7 * 7)  # 28 -> 14 -> 7
    assert main([*args, "--batch-size", "100000"]) == 2
    assert "--batch-size 100000 x the CNN's widest activation" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--hidden", "64,x"], "expected comma-separated layer sizes like 64,64, got '64,x'"),
        (["--epochs", "0"], "argument --epochs: expected a positive integer <= 100,000, got '0'"),
        (["--lr", "-1"], "argument --lr: expected a number > 0, got '-1'"),
        (["--dataset", "cifar"], "invalid choice: 'cifar'"),
        (["--model", "rnn"], "invalid choice: 'rnn'"),
        (["--model", "cnn"], "--model cnn needs images (--dataset digits or mnist), not the 2-D points of"),
        (["--dataset", "moons", "--model", "cnn"], "--model cnn needs images"),
        (["--dataset", "digits", "--model", "cnn", "--hidden", "8"], "--hidden applies only to --model mlp"),
        (["--dataset", "mnist"], "--dataset mnist needs --data-dir DIR"),
        (["--dataset", "mnist", "--data-dir", "nowhere"], "nowhere is not a directory"),
        (
            ["--dataset", "mnist", "--data-dir", "."],
            "no train-images-idx3-ubyte or train-images-idx3-ubyte.gz",
        ),
        (
            ["--dataset", "mnist", "--data-dir", "bad"],
            "train-images-idx3-ubyte is not an IDX file (bad magic",
        ),
    ],
)
def test_bad_arguments_and_unreadable_files_exit_2_with_one_line(tmp_path, args, message):
    (tmp_path / "bad").mkdir()
    for name in (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ):
        (tmp_path / "bad" / name).write_bytes(b"not an idx file")
    result = cli("train", *args, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.stderr
    assert lines[0].startswith("tinygrad-ce train: error:")
