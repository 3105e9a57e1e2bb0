"""The five output/loss variants, one training run, and the study over datasets and seeds.

Every run is trained by `training.fit`: a DataLoader with its own order Generator gives
the minibatches, `on_step` records the per-step numbers (first-layer gradient norm, the
fused-vs-unfused logit gradient), and `callback` evaluates after each epoch. The variants
and the files are described in `tinygrad_ce.lab.study`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from ... import data, nn, optim
from ... import functional as F
from ...autograd import grad, no_grad
from ...tensor import Tensor
from ...training import StepInfo, evaluate, fit, predict
from .config import DatasetSpec, Split, StudyConfig, digits_available, load_split

VARIANTS: dict[str, str] = {
    "ce_fused": "(a) softmax + CE, fused",
    "ce_unfused": "(b) softmax + CE, unfused",
    "softmax_mse": "(c) softmax + MSE",
    "sigmoid_mse": "(d) sigmoid + MSE",
    "linear_mse": "(e) linear + MSE",
}
THRESHOLDS = (0.90, 0.95)
PICTURED = ("ce_fused", "softmax_mse", "sigmoid_mse")  # the variants in the gradient-vs-probability plot


# ----------------------------------------------------------------------------- the five losses
def variant_output(variant: str, logits: Tensor) -> Tensor:
    """What the variant treats as class probabilities: softmax, sigmoid or the raw logits
    (shape (N, C), same as `logits`; differentiable)."""
    if variant in ("ce_fused", "ce_unfused", "softmax_mse"):
        return F.softmax(logits)
    if variant == "sigmoid_mse":
        return logits.sigmoid()
    if variant == "linear_mse":
        return logits
    raise ValueError(f"unknown variant {variant!r}; expected one of {', '.join(VARIANTS)}")


def variant_loss(variant: str, logits: Tensor, target: np.ndarray) -> Tensor:
    """The variant's mean loss for logits (N, C) and integer targets (N,); a scalar.
    MSE is PyTorch's `mse_loss` against one-hot targets: a mean over all N*C elements."""
    if variant == "ce_fused":
        return F.cross_entropy(logits, target)
    if variant == "ce_unfused":
        return F.cross_entropy(logits, target, fused=False)
    onehot = np.eye(logits.shape[-1], dtype=logits.dtype)[target]
    return F.mse_loss(variant_output(variant, logits), onehot)


def per_sample_logit_gradients(
    variant: str, logits: np.ndarray, target: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each row: the probability the variant gives the true class, and the norm of the
    gradient of that row's loss with respect to its logits. Both of shape (N,)."""
    z = Tensor(np.asarray(logits, dtype=np.float64), requires_grad=True)
    (g,) = grad(variant_loss(variant, z, target), z)  # the mean's 1/N is undone below
    with no_grad():
        p_true = variant_output(variant, Tensor(z.data)).data[np.arange(len(target)), target]
    return p_true, np.linalg.norm(g.data, axis=1) * len(target)


def logit_gradient_sweep(
    classes: int = 3, points: int = 101, span: float = 10.0
) -> dict[str, dict[str, list[float]]]:
    """The vanishing-gradient picture in closed conditions: logits g * (2 e_t - 1) (the true
    class at +g, the others at -g) for g from -span (confidently wrong: every output
    saturated the wrong way) to +span (confidently right). Per variant (not the unfused
    copy, nor linear): the probability of the true class and the logit-gradient norm."""
    gaps = np.linspace(-span, span, points)
    logits = np.where(np.arange(classes) == 0, 1.0, -1.0)[None, :] * gaps[:, None]
    target = np.zeros(points, dtype=np.int64)
    sweep = {}
    for variant in PICTURED:
        p_true, norm = per_sample_logit_gradients(variant, logits, target)
        sweep[variant] = {"p_true": p_true.tolist(), "grad_norm": norm.tolist()}
    return sweep


# ----------------------------------------------------------------------------- one run
@dataclass
class RunResult:
    """One (dataset, variant, seed) run. Histories have epochs + 1 entries (index 0: the
    untrained network); `first_layer_grad` one entry per step of the first epochs."""

    dataset: str
    variant: str
    seed: int
    loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    first_layer_grad: list[float] = field(default_factory=list)
    outside_unit: float = 0.0  # fraction of predicted "probabilities" outside [0, 1] (test set, end)
    output_range: tuple[float, float] = (0.0, 1.0)  # smallest and largest "probability" (test set, end)
    step_gradient_difference: float = 0.0  # ce_fused only: max |fused - unfused| logit gradient, any step
    scatter: dict[int, dict[str, list[float]]] = field(default_factory=dict)
    final_params: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def epochs_to(self, threshold: float) -> int | None:
        """The first epoch whose training accuracy reaches `threshold` (None if never)."""
        return next((e for e, a in enumerate(self.train_acc) if a >= threshold), None)


def _step_gradient_difference(logits: np.ndarray, target: np.ndarray) -> float:
    """max |d CE/d logits| difference between the fused and the unfused path, same logits."""
    z = Tensor(logits, requires_grad=True)
    (fused,) = grad(F.cross_entropy(z, target), z)
    (unfused,) = grad(F.cross_entropy(z, target, fused=False), z)
    return float(np.abs(fused.data - unfused.data).max())


def _record(
    result: RunResult, model: nn.Module, split: Split, spec: DatasetSpec, config: StudyConfig
) -> None:
    """Append the next epoch's loss and accuracies (and, where wanted, the per-sample
    logit gradients of the training set) to `result`; epoch 0 is the untrained network."""
    train = evaluate(model, (split.X_train, split.y_train), lambda z, y: variant_loss(result.variant, z, y))
    result.loss.append(cast(float, train.loss))  # (a loss function was given)
    result.train_acc.append(train.accuracy)
    result.test_acc.append(evaluate(model, (split.X_val, split.y_val)).accuracy)
    epoch = len(result.loss) - 1
    wanted = epoch in config.scatter_epochs or epoch == spec.epochs
    if result.seed == 0 and split.name == config.scatter_dataset and result.variant in PICTURED and wanted:
        logits = predict(model, split.X_train, batch_size=len(split.X_train))  # one batch, as evaluate's
        p_true, norm = per_sample_logit_gradients(result.variant, logits, split.y_train)
        result.scatter[epoch] = {"p_true": p_true.tolist(), "grad_norm": norm.tolist()}


def train_run(
    split: Split,
    spec: DatasetSpec,
    variant: str,
    seed: int,
    config: StudyConfig,
) -> RunResult:
    """Train one network with `training.fit`; the seed fixes the initial weights and the
    minibatch order (a DataLoader shuffled by its own Generator, seeded 10_000 + seed), so
    every variant with the same seed starts from the same weights and sees the same batches.
    The fused run also compares, at every step, its logit gradient with the unfused one."""
    model = nn.MLP([split.X_train.shape[1], *spec.hidden, split.classes], rng=seed, dtype=np.float64)
    optimizer = optim.SGD(model.parameters(), lr=spec.lr, momentum=config.momentum)
    first_weight = next(iter(model.parameters()))
    order_seed = 10_000 + seed  # the minibatch order: a new permutation per epoch from this Generator
    loader = data.DataLoader((split.X_train, split.y_train), spec.batch_size, shuffle=True, seed=order_seed)
    result = RunResult(split.name, variant, seed)

    def on_step(step: StepInfo) -> None:  # after backward, before the optimizer's step
        if variant == "ce_fused":
            difference = _step_gradient_difference(step.logits.data, step.y)
            result.step_gradient_difference = max(result.step_gradient_difference, difference)
        if step.epoch <= config.grad_epochs:
            result.first_layer_grad.append(float(np.linalg.norm(cast(Tensor, first_weight.grad).data)))

    _record(result, model, split, spec, config)
    history = fit(
        model,
        lambda z, y: variant_loss(variant, z, y),
        optimizer,
        loader,
        spec.epochs,
        progress=False,
        callback=lambda epoch, _: _record(result, model, split, spec, config),
        on_step=on_step,
        check_finite=False,
    )
    if history.interrupted:  # fit stops quietly on Ctrl-C; the study does not
        raise KeyboardInterrupt
    with no_grad():
        outputs = variant_output(variant, model(Tensor(split.X_val))).data
    result.outside_unit = float(((outputs < 0) | (outputs > 1)).mean())
    result.output_range = (float(outputs.min()), float(outputs.max()))
    result.final_params = {k: v.copy() for k, v in model.state_dict().items()}
    return result


# ----------------------------------------------------------------------------- the study
@dataclass
class StudyResult:
    """Every run of a study, with its configuration, the closed-form logit-gradient sweep
    (`logit_gradient_sweep`) and the datasets that were skipped."""

    config: StudyConfig
    runs: list[RunResult]
    sweep: dict[str, dict[str, list[float]]]
    skipped: list[str] = field(default_factory=list)  # datasets left out, with the reason

    def runs_of(self, dataset: str, variant: str) -> list[RunResult]:
        """The runs (one per seed) of one dataset and variant."""
        return [r for r in self.runs if r.dataset == dataset and r.variant == variant]

    def datasets(self) -> list[str]:
        """The datasets that were run, in order."""
        return list(dict.fromkeys(r.dataset for r in self.runs))

    def fused_unfused_difference(self) -> dict[str, float]:
        """Largest |(a) - (b)| over every dataset, seed and epoch: loss, accuracies, final
        weights, and the logit gradients of the two paths at the same step ("step_gradient")."""
        worst = {"loss": 0.0, "accuracy": 0.0, "parameters": 0.0, "step_gradient": 0.0}
        for a in (r for r in self.runs if r.variant == "ce_fused"):
            worst["step_gradient"] = max(worst["step_gradient"], a.step_gradient_difference)
            (b,) = [r for r in self.runs_of(a.dataset, "ce_unfused") if r.seed == a.seed]
            worst["loss"] = max(worst["loss"], float(np.max(np.abs(np.subtract(a.loss, b.loss)))))
            accuracy = np.abs(np.subtract(a.train_acc + a.test_acc, b.train_acc + b.test_acc))
            worst["accuracy"] = max(worst["accuracy"], float(accuracy.max()))
            for key, value in a.final_params.items():
                worst["parameters"] = max(
                    worst["parameters"], float(np.abs(value - b.final_params[key]).max())
                )
        return worst

    def summary_rows(self) -> list[dict[str, Any]]:
        """One row per (dataset, variant): means over seeds, with how many seeds reached each threshold."""
        rows = []
        for dataset in self.datasets():
            for variant, label in VARIANTS.items():
                runs = self.runs_of(dataset, variant)
                row: dict[str, Any] = {
                    "dataset": dataset,
                    "variant": variant,
                    "label": label,
                    "seeds": len(runs),
                }
                for threshold in THRESHOLDS:
                    reached = [e for e in (r.epochs_to(threshold) for r in runs) if e is not None]
                    key = f"epochs_to_{round(threshold * 100)}"
                    row[key] = float(np.mean(reached)) if reached else None
                    row[key + "_std"] = float(np.std(reached)) if reached else None
                    row[key + "_reached"] = len(reached)
                row["final_train_acc"] = float(np.mean([r.train_acc[-1] for r in runs]))
                row["final_test_acc"] = float(np.mean([r.test_acc[-1] for r in runs]))
                row["final_loss"] = float(np.mean([r.loss[-1] for r in runs]))
                row["outside_unit"] = float(np.mean([r.outside_unit for r in runs]))
                row["output_min"] = min(r.output_range[0] for r in runs)
                row["output_max"] = max(r.output_range[1] for r in runs)
                rows.append(row)
        return rows


def run_study(config: StudyConfig | None = None, log: Callable[[str], None] | None = print) -> StudyResult:
    """Train every (dataset, variant, seed) of `config`; digits is skipped (and noted)
    when scikit-learn is missing. `log` gets one line per finished run (None: silent)."""
    config = config or StudyConfig()
    runs, skipped = [], []
    for spec in config.datasets:
        if spec.name == "digits" and not digits_available():
            skipped.append("digits (scikit-learn is not installed: pip install scikit-learn)")
            continue
        split = load_split(spec.name, config)
        for seed in range(config.seeds):
            for variant in VARIANTS:
                run = train_run(split, spec, variant, seed, config)
                runs.append(run)
                if log is not None:
                    reached = run.epochs_to(0.95)
                    log(
                        f"{spec.name:7s} seed {seed}  {VARIANTS[variant]:26s} final train acc "
                        f"{run.train_acc[-1]:.3f}  95% at epoch {reached if reached is not None else '-'}"
                    )
    return StudyResult(config, runs, logit_gradient_sweep(), skipped)


def fused_unfused_agree(result: StudyResult, tolerance: float = 1e-9) -> bool:
    """True when the (a) and (b) curves match to rounding: losses and weights within
    `tolerance` (relative to their size), accuracies identical."""
    diff = result.fused_unfused_difference()
    scale = max([1.0] + [abs(v) for r in result.runs for v in r.loss])
    return (
        diff["loss"] <= tolerance * scale and diff["parameters"] <= tolerance * 10 and diff["accuracy"] == 0.0
    )


def fused_unfused_gradients_agree(result: StudyResult, tolerance: float = 1e-12) -> bool:
    """True when, at every training step, the fused and unfused logit gradients (float64,
    each element at most 1 / batch size) differ by at most `tolerance`: rounding only."""
    return result.fused_unfused_difference()["step_gradient"] <= tolerance
