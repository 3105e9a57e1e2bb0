"""The public plot helpers (`tinygrad_ce.lab.plots`) and what `train` and `demo` say about
a run: dataset, loss and model in the header and the plot titles, the epoch each loss
reached the target accuracy, and the progress bar's choice (quiet in a pipe)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from tinygrad_ce import data, nn
from tinygrad_ce.cli import main
from tinygrad_ce.cli.reach import epochs_to_reach, reach_text
from tinygrad_ce.lab import plots  # matplotlib is imported on first use, not here
from tinygrad_ce.training import History
from tinygrad_ce.training import loop as training_loop


def history(val: bool = True) -> History:
    h = History()
    h.train_loss, h.train_accuracy = [1.0, 0.5, 0.2], [0.5, 0.8, 0.95]
    if val:
        h.val_loss, h.val_accuracy = [1.1, 0.6, 0.3], [0.4, 0.92, 0.9]
    return h


def test_plot_history_titles_and_curves(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    fig = plots.plot_history(history(), title="spiral, fused cross-entropy loss, MLP [2, 8, 3]")
    assert fig._suptitle.get_text() == "spiral, fused cross-entropy loss, MLP [2, 8, 3]"
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_title() == "loss" and acc_ax.get_title() == "accuracy"
    assert [line.get_label() for line in acc_ax.get_lines()] == ["train", "validation"]
    assert list(acc_ax.get_lines()[1].get_ydata()) == [0.4, 0.92, 0.9]
    assert len(plots.plot_history(history(val=False)).axes[0].get_lines()) == 1
    out = plots.save_figure(fig, str(tmp_path / "h.png"))
    assert Path(out).read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(TypeError, match="history must be a training.History"):
        plots.plot_history({"train_loss": [1.0]})


def test_plot_decision_boundary_and_bad_input() -> None:
    pytest.importorskip("matplotlib")
    X, y = data.spiral(10, classes=3, seed=0)
    model = nn.MLP([2, 8, 3], rng=0)
    fig = plots.plot_decision_boundary(model, X, y, title="decision boundary (spiral)", resolution=20)
    assert fig.axes[0].get_title() == "decision boundary (spiral)"
    with pytest.raises(ValueError, match=r"X must have shape \(N, 2\)"):
        plots.plot_decision_boundary(model, X[:, :1], y)
    with pytest.raises(ValueError, match=r"y must have shape \(30,\)"):
        plots.plot_decision_boundary(model, X, y[:5])
    with pytest.raises(ValueError, match="resolution must be an int"):
        plots.plot_decision_boundary(model, X, y, resolution=1)
    with pytest.raises(ValueError, match="classes must be an int of at least 3"):
        plots.plot_decision_boundary(model, X, y, classes=2)
    with pytest.raises(TypeError, match="integer class labels"):
        plots.plot_decision_boundary(model, X, y.astype(float))


def test_epochs_to_reach() -> None:
    assert epochs_to_reach(history(), 0.9) == 2  # validation accuracy when there is one
    assert epochs_to_reach(history(val=False), 0.9) == 3  # else training accuracy
    assert epochs_to_reach(history(), 0.99) is None
    assert reach_text(history(), 3, 0.99) == "not in 3 epochs" and reach_text(history(), 3, 0.9) == "epoch 2"


def test_train_says_dataset_loss_model_and_titles_the_plot(tmp_path, capsys, monkeypatch) -> None:
    pytest.importorskip("matplotlib")
    titles = []
    real = plots.plot_history
    monkeypatch.setattr(plots, "plot_history", lambda h, title=None: titles.append(title) or real(h, title))
    args = ["train", "--loss", "mse", "--hidden", "8", "--epochs", "2", "--quiet", "--out", str(tmp_path)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "MLP [2, 8, 3]" in out and "MSE on softmax loss" in out and out.startswith("spiral:")
    assert "more epochs to reach a given accuracy, not a worse final one" in out
    assert "90% validation accuracy reached:" in out
    assert titles == ["spiral, MSE on softmax loss, MLP [2, 8, 3]"]


def test_demo_races_both_losses_side_by_side(tmp_path, capsys) -> None:
    assert main(["demo", "--epochs", "3", "--hidden", "8", "--quiet", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "fused cross-entropy vs MSE on softmax" in out and "SGD, momentum 0.9, lr 0.05" in out
    row = next(line for line in out.splitlines() if "accuracy reached" in line and "  " in line[:3])
    assert len(re.findall(r"epoch \d+|not in 3 epochs", row)) == 2
    assert "not worse at the end" in out


def test_progress_bar_is_quiet_in_a_pipe_and_a_bar_in_a_notebook(capsys, monkeypatch) -> None:
    assert training_loop._progress_bar(5) is None  # capsys: stdout is not a terminal
    pytest.importorskip("tqdm")

    class Shell:
        config = {"IPKernelApp": {}}

    class FakeIPython:
        get_ipython = staticmethod(lambda: Shell())

    monkeypatch.setitem(sys.modules, "IPython", FakeIPython)
    bar = training_loop._progress_bar(5)
    assert bar is not None and bar.total == 5
    bar.close()
    monkeypatch.setitem(
        sys.modules, "IPython", type("Console", (), {"get_ipython": staticmethod(lambda: None)})
    )
    assert training_loop._progress_bar(5) is None
    assert training_loop._in_notebook() is False
