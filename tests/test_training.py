"""training: fit/evaluate/History, checkpoints (round trip, corruption, atomic writes),
and determinism."""

from __future__ import annotations

import csv
import json
import os
import zipfile

import numpy as np
import pytest

import tinygrad_ce
import tinygrad_ce.functional as F
import tinygrad_ce.nn as nn
import tinygrad_ce.optim as optim
from tinygrad_ce import is_grad_enabled
from tinygrad_ce.data import DataLoader, blobs
from tinygrad_ce.training import (
    History,
    StepInfo,
    accuracy,
    evaluate,
    fit,
    load_checkpoint,
    predict,
    save_checkpoint,
)

X, Y = blobs(120, centers=3, std=1.0, seed=0)
X_VAL, Y_VAL = blobs(60, centers=3, std=1.0, seed=0)


def setup(seed=0, lr=0.05):
    model = nn.MLP([2, 16, 3], rng=seed)
    opt = optim.Adam(model.parameters(), lr=lr)
    loader = DataLoader((X, Y), batch_size=16, shuffle=True, seed=seed)
    return model, opt, loader


# ----------------------------------------------------------------------------- metrics
def test_accuracy_with_indices_one_hot_and_single_logit():
    logits = np.array([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]])
    assert accuracy(logits, [0, 1, 1]) == pytest.approx(2 / 3)
    assert accuracy(tinygrad_ce.Tensor(logits), np.eye(2)[[0, 1, 0]]) == 1.0
    assert accuracy(np.array([[0.3], [-2.0]]), [1, 1]) == 0.5
    with pytest.raises(ValueError, match=r"logits of shape \(3, 2\) do not fit targets \(2,\)"):
        accuracy(logits, [0, 1])


# ----------------------------------------------------------------------------- fit / evaluate
def test_fit_learns_and_records_history(capsys):
    model, opt, loader = setup()
    history = fit(model, F.cross_entropy, opt, loader, 8, (X_VAL, Y_VAL), progress=True, log_every=4)
    assert len(history) == 8 and len(history.val_accuracy) == 8 and history.lr == [0.05] * 8
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    assert history.train_accuracy[-1] > 0.9 and history.val_accuracy[-1] > 0.9
    result = evaluate(model, (X_VAL, Y_VAL), F.cross_entropy)
    assert result.accuracy == history.val_accuracy[-1] and result.loss == pytest.approx(history.val_loss[-1])
    lines = capsys.readouterr().out.strip().splitlines()  # not a terminal: plain lines, no tqdm
    assert [line.split()[1] for line in lines] == ["1/8", "4/8", "8/8"]
    assert "val_acc" in lines[-1]


def test_fit_scheduler_callback_and_quiet(capsys):
    model, opt, loader = setup()
    scheduler = optim.StepLR(opt, step_size=1, gamma=0.5)
    history = fit(
        model,
        F.cross_entropy,
        opt,
        loader,
        10,
        progress=False,
        scheduler=scheduler,
        callback=lambda epoch, h: epoch == 3,
    )
    assert history.lr == [0.05, 0.025, 0.0125] and history.val_loss == []
    assert capsys.readouterr().out == ""


def test_fit_stops_on_a_non_finite_loss():
    model, opt, loader = setup()
    with pytest.raises(FloatingPointError, match="training loss is nan in epoch 1; lower the lr"):
        fit(model, lambda logits, y: (logits * np.nan).sum(), opt, loader, 2, progress=False)


def test_fit_hooks_see_every_step_before_the_optimizer_and_a_custom_forward():
    model, opt, loader = setup()
    steps: list[StepInfo] = []
    first = next(model.parameters())

    def on_step(step: StepInfo) -> None:
        assert first.grad is not None  # after backward ...
        steps.append(step)
        before.append(first.data.copy())  # ... and before the optimizer's step

    before: list[np.ndarray] = []
    fit(model, F.cross_entropy, opt, loader, 2, progress=False, on_step=on_step)
    assert [(s.epoch, s.step) for s in steps] == [(e, i) for e, i in zip([1] * 8 + [2] * 8, range(1, 17))]
    assert not np.array_equal(before[0], before[1])  # the step ran after the hook
    assert steps[0].loss.shape == () and steps[0].logits.shape == (16, 3) and len(steps[0].y) == 16
    pairs = [((X[:60], X[60:]), Y)]  # an input that is not one array: forward says how to use it
    history = fit(
        model,
        F.cross_entropy,
        opt,
        pairs,
        1,
        progress=False,
        forward=lambda m, halves: m(tinygrad_ce.Tensor(np.concatenate(halves))),
    )
    assert len(history) == 1
    diverging = fit(
        model, lambda logits, y: (logits * np.nan).sum(), opt, loader, 2, progress=False, check_finite=False
    )
    assert len(diverging) == 2 and np.isnan(diverging.train_loss).all()
    for bad in ({"on_step": 3}, {"forward": "model"}, {"check_finite": 1}):
        with pytest.raises(TypeError, match=f"fit: {next(iter(bad))} must be"):
            fit(model, F.cross_entropy, opt, loader, 1, progress=False, **bad)


def test_evaluate_of_one_batch_is_exactly_its_loss_and_accuracy():
    model, _, _ = setup()
    logits = model(tinygrad_ce.Tensor(X_VAL))
    result = evaluate(model, (X_VAL, Y_VAL), F.cross_entropy)
    assert result.loss == F.cross_entropy(logits, Y_VAL).item() and result.accuracy == accuracy(logits, Y_VAL)


def test_evaluate_runs_in_eval_mode_without_a_graph_and_restores_mode():
    seen = []

    class Probe(nn.Module):
        def forward(self, x):
            seen.append((self.training, is_grad_enabled()))
            return x

    model = nn.Sequential(nn.Linear(2, 3, rng=0), Probe())
    model.train()
    result = evaluate(model, DataLoader((X, Y), 50))
    assert seen == [(False, False)] * 3 and model.training and result.loss is None
    assert predict(model, X[:7], batch_size=3).shape == (7, 3)
    assert model.training


# ----------------------------------------------------------------------------- history files
def test_history_json_and_csv(tmp_path):
    history = History([1.0, 0.5], [0.5, 0.75], [1.2, 0.7], [0.4, 0.8], [0.1, 0.05])
    history.write_json(tmp_path / "h.json")
    history.write_csv(tmp_path / "h.csv")
    assert json.loads((tmp_path / "h.json").read_text()) == history.to_dict()
    assert History.read_json(tmp_path / "h.json") == history
    rows = list(csv.DictReader((tmp_path / "h.csv").open()))
    assert rows[1] == {
        "epoch": "2",
        "train_loss": "0.5",
        "train_accuracy": "0.75",
        "val_loss": "0.7",
        "val_accuracy": "0.8",
        "lr": "0.05",
    }
    History([1.0], [0.5], [], [], [0.1]).write_csv(tmp_path / "no_val.csv")
    assert (tmp_path / "no_val.csv").read_text().splitlines()[1] == "1,1.0,0.5,,,0.1"
    assert sorted(os.listdir(tmp_path)) == ["h.csv", "h.json", "no_val.csv"]  # no temp files left
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="bad.json is not a history"):
        History.read_json(tmp_path / "bad.json")


# ----------------------------------------------------------------------------- checkpoints
def test_checkpoint_round_trip_resumes_bit_identically(tmp_path):
    path = tmp_path / "ckpt.npz"
    batches = list(DataLoader((X, Y), 16, shuffle=True, seed=1))

    def train(model, opt, scheduler, batch_list):
        for xb, yb in batch_list:
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
        scheduler.step()

    model, opt, _ = setup()
    scheduler = optim.CosineAnnealingLR(opt, T_max=6)
    resumed_model, resumed_opt, _ = setup(seed=5)
    resumed_scheduler = optim.CosineAnnealingLR(resumed_opt, T_max=6)
    train(model, opt, scheduler, batches[:4])
    save_checkpoint(path, model, opt, epoch=1, step=4, scheduler=scheduler, note="hi", sizes=np.array([2, 3]))
    meta = load_checkpoint(path, resumed_model, resumed_opt, scheduler=resumed_scheduler)
    assert meta == {"format": 1, "epoch": 1, "step": 4, "note": "hi", "sizes": meta["sizes"]}
    assert meta["sizes"].tolist() == [2, 3] and resumed_opt.lr == opt.lr
    train(model, opt, scheduler, batches[4:])
    train(resumed_model, resumed_opt, resumed_scheduler, batches[4:])
    for a, b in zip(model.parameters(), resumed_model.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
    keys = set(tinygrad_ce.load(path))
    assert {"model.0.weight", "optim.lr", "optim.state.0.exp_avg", "sched.last_epoch", "meta.epoch"} <= keys


def test_corrupt_truncated_and_foreign_files_are_clear_errors(tmp_path):
    model, opt, _ = setup()
    path = tmp_path / "ckpt.npz"
    save_checkpoint(path, model, opt, epoch=3)
    raw = path.read_bytes()
    (tmp_path / "truncated.npz").write_bytes(raw[: len(raw) // 2])
    flipped = bytearray(raw)
    with zipfile.ZipFile(path) as archive:
        second_member = archive.infolist()[1].header_offset
    flipped[second_member - 1] ^= 0xFF  # the last data byte of the first array: its CRC catches it
    (tmp_path / "flipped.npz").write_bytes(bytes(flipped))
    state = tinygrad_ce.load(path)
    del state["model.2.bias"]  # as if a damaged zip directory had lost an entry
    tinygrad_ce.save(state, tmp_path / "lost.npz")
    (tmp_path / "text.npz").write_text("hello")
    before = model.state_dict()
    for name in ("truncated.npz", "flipped.npz", "text.npz", "lost.npz"):
        with pytest.raises(ValueError, match=name):
            load_checkpoint(tmp_path / name, model, opt)
    tinygrad_ce.save({"weights": np.zeros(3)}, tmp_path / "foreign.npz")
    with pytest.raises(ValueError, match="foreign.npz' is not a tinygrad_ce checkpoint"):
        load_checkpoint(tmp_path / "foreign.npz", model)
    with pytest.raises(ValueError, match=r"ckpt.npz.*0.weight has shape \(16, 2\) in state_dict, \(16, 3\)"):
        load_checkpoint(path, nn.MLP([3, 16, 3], rng=0))
    with pytest.raises(ValueError, match="holds no sched state"):
        load_checkpoint(path, model, opt, scheduler=optim.StepLR(opt, 2))
    other_opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="the state is for 'Adam', not SGD"):
        load_checkpoint(path, nn.MLP([2, 16, 3], rng=9), other_opt)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.npz", model)


def test_failed_save_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    model, opt, _ = setup()
    path = tmp_path / "ckpt.npz"
    save_checkpoint(path, model, opt, epoch=1)
    original = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np.lib.format, "write_array", crash)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, model, opt, epoch=2)
    assert path.read_bytes() == original and os.listdir(tmp_path) == ["ckpt.npz"]


def test_load_restores_model_and_optimizer_when_a_later_part_fails(tmp_path):
    model, opt, loader = setup()
    fit(model, F.cross_entropy, opt, loader, 1, progress=False)
    save_checkpoint(tmp_path / "a.npz", model, opt)
    target, target_opt, _ = setup(seed=3)
    state = tinygrad_ce.load(tmp_path / "a.npz")
    state["optim.state.0.exp_avg"] = np.zeros((5, 5))
    tinygrad_ce.save(state, tmp_path / "b.npz")
    before = target.state_dict()
    with pytest.raises(ValueError, match=r"b.npz.*state.0.exp_avg has shape \(5, 5\)"):
        load_checkpoint(tmp_path / "b.npz", target, target_opt)
    for key, value in target.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


# ----------------------------------------------------------------------------- determinism
def run_once(seed):
    model = nn.MLP([2, 16, 3], dropout=0.1, rng=seed)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loader = DataLoader((X, Y), batch_size=16, shuffle=True, seed=seed)
    nn.manual_seed(seed)  # dropout draws from the default generator here
    history = fit(model, F.cross_entropy, opt, loader, 3, val_loader=(X_VAL, Y_VAL), progress=False)
    return model.state_dict(), history


def test_same_seed_gives_bit_identical_weights_and_losses():
    (weights1, history1), (weights2, history2) = run_once(4), run_once(4)
    assert history1 == history2
    for key in weights1:
        np.testing.assert_array_equal(weights1[key], weights2[key])
    weights3, history3 = run_once(5)
    assert history3.train_loss != history1.train_loss
