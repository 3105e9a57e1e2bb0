"""Errors a user can provoke: every bad `tinygrad-ce` argument is one line on stderr naming
the option, exit status 2, no traceback; Ctrl-C and SIGTERM save the last completed
epoch (exit 130 and 143); `fit` names a bad argument itself; help texts are whole
sentences; the benchmark scripts parse their arguments before doing any work."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tinygrad_ce import __version__, nn, optim
from tinygrad_ce import functional as F
from tinygrad_ce.cli import COMMANDS, main
from tinygrad_ce.data import DataLoader, spiral
from tinygrad_ce.training import fit, read_checkpoint

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--samples", "20", "--hidden", "8", "--batch-size", "16", "--quiet"]  # 48 train rows: 3 batches


def one_error_line(capsys: pytest.CaptureFixture[str], command: str) -> str:
    """The single stderr line of a failed command (asserting there is exactly one)."""
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith(f"tinygrad-ce {command}: error: "), lines[0]
    return lines[0]


# ----------------------------------------------------------------------------- bad arguments
BAD_ARGUMENTS = [
    # (argv, text the one line must contain: the option, and for some the accepted range)
    (["train", "--seed", "18446744073709551616"], "--seed: expected a seed from 0 to 2**63 - 1"),
    (["train", "--seed", "-1"], "--seed"),
    (["train", "--seed", "1.5"], "--seed"),
    (["train", "--samples", "1e9"], "--samples: expected a positive integer <= 1,000,000"),
    (["train", "--samples", "1000000000"], "--samples"),
    (["train", "--samples", "400000", "--classes", "3"], "--samples 400000 per class x --classes 3"),
    (["train", "--hidden", "100000,100000"], "--hidden"),
    (["train", "--hidden", "10000,10000,10000"], "--hidden"),
    (["train", "--hidden", ",".join(["8"] * 40)], "--hidden: expected at most 32"),
    (["train", "--hidden", "16384", "--batch-size", "100000"], "--batch-size 100000"),
    (["train", "--hidden", ""], "--hidden: expected layer sizes like 64,64, or 'none'"),
    (["train", "--hidden", "64,,64"], "--hidden"),
    (["train", "--hidden", "0"], "--hidden"),
    (["train", "--epochs", "1e9"], "--epochs"),
    (["train", "--epochs", "0"], "--epochs"),
    (["train", "--batch-size", "1e12"], "--batch-size"),
    (["train", "--classes", "1e7"], "--classes"),
    (["train", "--classes", "1"], "--classes"),
    (["train", "--lr", "inf"], "--lr"),
    (["train", "--lr", "nan"], "--lr"),
    (["train", "--momentum", "0.5"], "--momentum applies only to --optimizer sgd"),
    (["train", "--optimizer", "sgd", "--momentum", "1.5"], "--momentum: expected a number in [0, 1)"),
    (["train", "--weight-decay", "-1"], "--weight-decay"),
    (["train", "--val-fraction", "1"], "--val-fraction: expected a number in [0, 1) (0 means no validation"),
    (["train", "--val-fraction", "-0.1"], "--val-fraction"),
    (["train", "--val-fraction", "0.9", "--samples", "1"], "--val-fraction 0.9"),
    (["train", "--dataset", "digits", "--classes", "4"], "--classes applies only to the spiral and blobs"),
    (["train", "--dataset", "mnist", "--classes", "4"], "--classes"),
    (["train", "--dataset", "moons", "--classes", "4"], "--classes"),
    (["train", "--dataset", "digits", "--samples", "10"], "--samples applies only to the synthetic"),
    (["train", "--dataset", "mnist", "--val-fraction", "0.1"], "--val-fraction does not apply"),
    (["train", "--data-dir", "."], "--data-dir applies only to --dataset mnist"),
    (["train", "--dataset", "moons", "--samples", "1"], "--samples"),
    (["train", "--dataset", "blobs", "--samples", "2", "--classes", "3"], "--samples 2"),
    (["train", "--out", "a_file"], "--out 'a_file' is a file, not a directory"),
    (["train", "--out", "a_file/sub"], "--out 'a_file/sub' is not a writable directory"),
    (["demo", "--seed", "-5"], "--seed"),
    (["demo", "--hidden", " "], "--hidden"),
    (["demo", "--dataset", "moons"], "unrecognized arguments: --dataset"),
    (["graph", "--sizes", "2,100000,3"], "--sizes: layer sizes must be from 1 to 16,384"),
    (["graph", "--sizes", "2,10000,10000,3"], "--sizes: an MLP [2, 10000, 10000, 3] has 100,070,003"),
    (["graph", "--batch", "1e9"], "--batch"),
    (["graph", "--max-nodes", "1e9"], "--max-nodes"),
    (["graph", "--seed", "-1"], "--seed"),
    (["graph", "--out", "g.jpg"], "the format comes from the extension of --out or from --format"),
    (["graph", "--out", "missing/"], "--out: directory 'missing/' does not exist"),
    (["compare", "--classes", "1e7"], "--classes: expected an integer from 2 to 1,000,000"),
    (["compare", "--classes", "10000000"], "--classes"),
    (["compare", "--batch", "1e9"], "--batch"),
    (["compare", "--batch", "100000", "--classes", "100000"], "--batch 100000 x --classes 100000"),
    (["compare", "--repeats", "1e9"], "--repeats"),
    (["compare", "--seed", "-1"], "--seed"),
    (["compare", "--ignore-index", "1e30"], "--ignore-index"),
    (["compare", "--scale", "inf"], "--scale"),
    (["compare", "--label-smoothing", "nan"], "--label-smoothing"),
    (["compare", "--sweep", "--scale", "3"], "--sweep does not take --scale"),
    (["compare", "--sweep", "--dtype", "float64"], "--sweep does not take --dtype"),
    (["compare", "--sweep", "--plot", "missing/p.png"], "--plot: directory"),
    (["study", "ce-vs-mse", "--seeds", "1e6"], "--seeds"),
    (["study", "ce-vs-mse", "--epochs", "1e9"], "--epochs"),
    (["study", "ce-vs-mse", "--lr", "-1"], "--lr"),
    (["study", "ce-vs-mse", "--out", "a_file"], "--out 'a_file' is a file"),
]


@pytest.mark.parametrize("argv, message", BAD_ARGUMENTS, ids=[" ".join(a)[:60] for a, _ in BAD_ARGUMENTS])
def test_bad_arguments_are_one_line_naming_the_option_exit_2(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a_file").write_text("")
    assert main(argv) == 2
    line = one_error_line(capsys, argv[0])
    assert message in line, line
    assert capsys.readouterr().out == ""  # refused before any work (no training line)
    assert not (tmp_path / "tinygrad-ce-train").exists()


def test_a_bad_argument_in_a_subprocess_is_one_line_exit_2(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "tinygrad_ce", "train", "--hidden", "100000,100000"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "argument --hidden" in done.stderr


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can write anywhere")
def test_an_unwritable_out_fails_before_training(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert main(["train", *TINY, "--epochs", "1", "--out", str(locked)]) == 2
    finally:
        locked.chmod(0o700)
    assert "is not a writable directory" in one_error_line(capsys, "train")


# ----------------------------------------------------------------------------- what is accepted
def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"tinygrad-ce {__version__}"


@pytest.mark.parametrize("command", [*COMMANDS])
def test_help_descriptions_are_whole_sentences(capsys, command):
    argv = [command, "ce-vs-mse", "--help"] if command == "study" else [command, "--help"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    description = text.split("\n\n")[1]  # after the usage block
    sentence = " ".join(description.split())
    assert sentence.endswith("."), sentence
    module = __import__(f"tinygrad_ce.cli.{command}", fromlist=["_"])
    last_words = " ".join(module.__doc__.split()[-4:]).replace("`", "")
    assert sentence.endswith(last_words), (sentence, last_words)


def test_val_fraction_0_trains_without_a_validation_set(tmp_path, capsys):
    assert main(["train", *TINY, "--epochs", "2", "--val-fraction", "0", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "60 training / 0 validation samples" in out and "validation accuracy n/a" in out
    history = json.loads((tmp_path / "history.json").read_text())
    assert len(history["train_loss"]) == 2 and history["val_loss"] == history["val_accuracy"] == []


def test_the_largest_seed_trains_and_saves(tmp_path):
    assert main(["train", *TINY, "--epochs", "1", "--seed", str(2**63 - 1), "--out", str(tmp_path)]) == 0
    assert int(read_checkpoint(tmp_path / "checkpoint.npz")["meta.seed"]) == 2**63 - 1


def test_scientific_notation_counts_are_whole_numbers(tmp_path):
    assert (
        main(
            [
                "train",
                "--samples",
                "2e1",
                "--hidden",
                "8",
                "--epochs",
                "1e0",
                "--quiet",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )


def test_graph_out_directory_writes_inside_it(tmp_path, capsys):
    folder = tmp_path / "graphs"
    folder.mkdir()
    for out in (f"{folder}/", str(folder)):
        assert main(["graph", "--format", "dot", "--sizes", "2,3,2", "--out", out]) == 0
        assert capsys.readouterr().out.strip() == f"wrote {folder / 'graph.dot'}"
    assert not (tmp_path / "graphs.dot").exists() and not (tmp_path / "graphs.svg").exists()


def test_graph_unsupported_extension_does_not_invent_a_format(capsys):
    assert main(["graph", "--out", "g.jpg"]) == 2
    line = one_error_line(capsys, "graph")
    assert "--format svg" not in line and ".jpg is not a supported format" in line
    assert "svg, png, pdf or dot" in line


# ----------------------------------------------------------------------------- Ctrl-C and SIGTERM
def interrupt_at(monkeypatch, call: int, action) -> None:
    """Make the training loss run `action()` at its `call`-th call. With TINY an epoch
    makes 4 calls (3 training batches, 1 validation pass), so 10 is inside epoch 3."""
    from tinygrad_ce.cli import training_run

    real = training_run.make_loss

    def make_loss(kind):
        loss, calls = real(kind), itertools.count(1)

        def interrupted(logits, y):
            if next(calls) == call:
                action()
            return loss(logits, y)

        return interrupted

    monkeypatch.setattr(training_run, "make_loss", make_loss)


def raise_keyboard_interrupt() -> None:
    raise KeyboardInterrupt


def assert_same_run(saved: Path, clean: Path) -> None:
    a, b = read_checkpoint(saved / "checkpoint.npz"), read_checkpoint(clean / "checkpoint.npz")
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    for name in ("history.json", "history.csv"):
        assert (saved / name).read_text() == (clean / name).read_text()


def test_ctrl_c_saves_the_last_completed_epoch_exit_130(tmp_path, monkeypatch, capsys):
    assert main(["train", *TINY, "--epochs", "2", "--out", str(tmp_path / "clean")]) == 0
    interrupt_at(monkeypatch, 10, raise_keyboard_interrupt)
    assert main(["train", *TINY, "--epochs", "5", "--out", str(tmp_path / "stopped")]) == 130
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tinygrad-ce train: interrupted after epoch 2 of 5; saved")
    assert sorted(os.listdir(tmp_path / "stopped")) == ["checkpoint.npz", "history.csv", "history.json"]
    assert_same_run(tmp_path / "stopped", tmp_path / "clean")  # not the half-done epoch 3


def test_sigterm_saves_the_last_completed_epoch_exit_143(tmp_path, monkeypatch, capsys):
    assert main(["train", *TINY, "--epochs", "2", "--out", str(tmp_path / "clean")]) == 0
    previous = signal.getsignal(signal.SIGTERM)
    interrupt_at(monkeypatch, 10, lambda: os.kill(os.getpid(), signal.SIGTERM))
    assert main(["train", *TINY, "--epochs", "5", "--out", str(tmp_path / "stopped")]) == 143
    assert "interrupted after epoch 2 of 5" in capsys.readouterr().err
    assert_same_run(tmp_path / "stopped", tmp_path / "clean")
    assert signal.getsignal(signal.SIGTERM) is previous  # the CLI's handler is gone again


def test_interrupt_in_the_first_epoch_saves_nothing(tmp_path, monkeypatch, capsys):
    interrupt_at(monkeypatch, 2, raise_keyboard_interrupt)
    assert main(["train", *TINY, "--epochs", "5", "--out", str(tmp_path)]) == 130
    assert "before epoch 1 of 5 completed; nothing saved" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []


def test_sigterm_to_a_real_process(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "tinygrad_ce", "train", "--epochs", "100000", "--hidden", "8", "--out", "run"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        while not process.stdout.readline().startswith("epoch"):  # epoch 1 is done
            assert process.poll() is None, process.stderr.read()
        time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 143, err
    assert err.count("\n") == 1 and "tinygrad-ce train: interrupted after epoch" in err
    epochs = int(err.split("after epoch ")[1].split()[0])
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert len(history["train_loss"]) == epochs >= 1
    assert int(read_checkpoint(tmp_path / "run" / "checkpoint.npz")["meta.epoch"]) == epochs


# ----------------------------------------------------------------------------- fit
def fit_parts():
    X, y = spiral(10, classes=3, seed=0)
    model = nn.MLP([2, 4, 3], rng=0)
    return model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.1), DataLoader((X, y), 8), X, y


@pytest.mark.parametrize(
    "name, value, error, message",
    [
        (
            "model",
            None,
            TypeError,
            "fit: model must be a Module (callable, with parameters() and train()), got",
        ),
        ("model", "mlp", TypeError, "fit: model must be a Module"),
        (
            "loss_fn",
            "cross_entropy",
            TypeError,
            "fit: loss_fn must be callable as loss_fn(logits, y), got str",
        ),
        (
            "optimizer",
            0.1,
            TypeError,
            "fit: optimizer must be an Optimizer (with zero_grad(), step() and lr)",
        ),
        ("train_loader", None, TypeError, "fit: train_loader must be a loader of (X, y) batches"),
        ("train_loader", 5, TypeError, "got int 5"),
        ("train_loader", iter([]), ValueError, "fit: train_loader is a one-shot iterator"),
        ("val_loader", 3.0, TypeError, "fit: val_loader must be a loader"),
        ("epochs", 0, ValueError, "fit: epochs must be a positive integer, got 0"),
        ("epochs", 2.5, TypeError, "fit: epochs must be a positive integer, got float 2.5"),
        ("epochs", True, TypeError, "fit: epochs must be a positive integer, got bool True"),
        ("epochs", "3", TypeError, "got str '3'"),
        ("scheduler", 1, TypeError, "fit: scheduler must be an LRScheduler"),
        ("callback", "print", TypeError, "fit: callback must be callable"),
        ("log_every", 0, ValueError, "fit: log_every must be a positive integer, got 0"),
    ],
)
def test_fit_names_a_bad_argument_and_its_value(name, value, error, message):
    model, loss_fn, opt, loader, _, _ = fit_parts()
    arguments = dict(
        model=model, loss_fn=loss_fn, optimizer=opt, train_loader=loader, epochs=2, progress=False
    )
    before = model.state_dict()
    with pytest.raises(error) as info:
        fit(**{**arguments, name: value})
    assert message in str(info.value)
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)  # refused before training


def test_fit_refuses_batches_that_are_not_pairs():
    model, loss_fn, opt, _, X, _ = fit_parts()
    with pytest.raises(TypeError, match=r"fit: train_loader must yield \(X, y\) batches, got ndarray"):
        fit(model, loss_fn, opt, [X], 1, progress=False)


def test_fit_takes_one_x_y_pair_as_a_single_batch():
    model, loss_fn, opt, _, X, y = fit_parts()
    history = fit(model, loss_fn, opt, (X, y), 3, val_loader=(X, y), progress=False)
    assert len(history) == 3 and not history.interrupted


def test_fit_returns_the_completed_epochs_on_keyboard_interrupt():
    model, _, opt, loader, X, y = fit_parts()
    calls = itertools.count(1)

    def loss_fn(logits, target):
        if next(calls) == 9:  # 4 batches + 1 validation call per epoch: inside epoch 2's validation
            raise KeyboardInterrupt
        return F.cross_entropy(logits, target)

    history = fit(model, loss_fn, opt, loader, 5, val_loader=(X, y), progress=False)
    assert history.interrupted and len(history) == 1
    assert {k: len(v) for k, v in history.to_dict().items()} == {
        "train_loss": 1,
        "train_accuracy": 1,
        "val_loss": 1,
        "val_accuracy": 1,
        "lr": 1,
    }


# ----------------------------------------------------------------------------- benchmarks
@pytest.mark.parametrize("script", ["cross_entropy.py", "mlp_step.py", "overhead.py"])
def test_benchmark_help_prints_usage_without_running(script):
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stdout.startswith(f"usage: {script}") and "--threads" in done.stdout
    assert "--worker" not in done.stdout and time.perf_counter() - started < 20
    bad = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), "--threads", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "argument --threads" in bad.stderr


def test_benchmark_worker_mode_still_measures():
    script = str(ROOT / "benchmarks" / "overhead.py")
    params = json.dumps({"n_ops": 50, "repeats": 1})
    done = subprocess.run(
        [sys.executable, script, "--worker", "tinygrad_ce", "--params", params],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["seconds"] > 0
