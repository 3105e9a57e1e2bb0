"""The comparison of the two cross-entropy paths on a model's parameters
(`compare_model`). See `tinygrad_ce.lab.compare`."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, cast

import numpy as np

from ... import functional as F
from ... import optim
from ...autograd import grad
from ...tensor import Tensor
from ...training import fit
from ..viz.graph import walk
from .core import Difference, _json_ready

__all__ = ["ParameterDifference", "ModelComparison", "compare_model"]


# ----------------------------------------------------------------------------- models
@dataclass
class ParameterDifference:
    """Fused minus unfused for one parameter: its gradient, and (after `steps` of SGD
    from the same start) its value."""

    name: str
    shape: tuple[int, ...]
    grad: Difference
    after_steps: Difference | None = None


@dataclass
class ModelComparison:
    """The result of `compare_model`."""

    fused_loss: float
    unfused_loss: float
    steps: int
    lr: float
    parameters: list[ParameterDifference] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Every field as strict-JSON-ready data (lists, Python numbers, "nan"/"inf" strings)."""
        return _json_ready(asdict(self))

    def __str__(self) -> str:
        width = max([len(p.name) for p in self.parameters] + [9])
        head = f"{'parameter':{width}}  {'shape':>12}  {'grad max abs':>12}  {'relative':>9}"
        if self.steps:
            head += f"  {f'after {self.steps} steps':>16}"
        lines = [f"loss: fused {self.fused_loss:.10g}, unfused {self.unfused_loss:.10g}", head]
        for p in self.parameters:
            line = f"{p.name:{width}}  {str(p.shape):>12}  {p.grad.max_abs:>12.3g}  {p.grad.max_rel:>9.3g}"
            if p.after_steps is not None:
                line += f"  {p.after_steps.max_abs:>16.3g}"
            lines.append(line)
        return "\n".join(lines)


def _named_parameters(model: Any, parameters: Mapping[str, Tensor] | None) -> list[tuple[str, Tensor]]:
    if parameters is not None:
        return list(parameters.items())
    if not hasattr(model, "named_parameters"):
        raise TypeError("compare_model: the model has no named_parameters(); pass parameters={name: tensor}")
    return list(model.named_parameters())


class _AsModule:
    """`model` as `fit` sees a Module: the compared parameters, and a `train()` that leaves
    the model's own train/eval mode alone (compare_model never changes it)."""

    def __init__(self, model: Callable[[Any], Tensor], params: list[Tensor]) -> None:
        self.model, self.params = model, params

    def __call__(self, x: Any) -> Tensor:
        return self.model(x)

    def parameters(self) -> Iterator[Tensor]:
        return iter(self.params)

    def train(self, mode: bool = True) -> _AsModule:
        return self


def _gradients(
    model: Callable[[Any], Tensor],
    x: Any,
    target: Any,
    params: list[Tensor],
    fused: bool,
    options: Mapping[str, Any],
) -> tuple[float, list[np.ndarray], Tensor]:
    """The loss (summed), the gradient of every parameter (zeros where unused), and the loss tensor."""
    loss = F.cross_entropy(model(x), target, fused=fused, **options)
    grads = grad(loss, params, grad_outputs=np.ones_like(loss.data), allow_unused=True)
    arrays = [np.zeros_like(p.data) if g is None else g.data for p, g in zip(params, grads)]
    return float(np.sum(loss.data)), arrays, loss


def _sgd_steps(
    model: Callable[[Any], Tensor],
    x: Any,
    target: Any,
    params: list[Tensor],
    fused: bool,
    steps: int,
    lr: float,
    options: Mapping[str, Any],
) -> list[np.ndarray]:
    """`steps` plain SGD steps (`lr`) along one path, by `training.fit`; the parameters reached."""

    def loss_fn(logits: Tensor, y: Any) -> Tensor:
        loss = F.cross_entropy(logits, y, fused=fused, **options)
        return loss if loss.data.size == 1 else loss.sum()  # reduction="none": the gradient of each row is 1

    history = fit(
        cast(Any, _AsModule(model, params)),  # (duck-typed: what fit uses of a Module)
        loss_fn,
        optim.SGD(params, lr=lr),
        [(x, target)],
        steps,
        progress=False,
        forward=lambda m, batch: m(batch),
        check_finite=False,
    )
    if history.interrupted:
        raise KeyboardInterrupt
    return [p.data.copy() for p in params]


@contextlib.contextmanager
def _grads_kept(losses: list[Tensor]) -> Iterator[None]:
    """Put back the `.grad` of every leaf that `losses` depend on (fit's backward writes them)."""
    w = walk(losses)
    leaves = [t for t, kind in zip(w.tensors, w.kinds) if kind == "parameter"]
    saved = [(t, t.grad, None if t.grad is None else t.grad.data.copy()) for t in leaves]
    try:
        yield
    finally:
        for t, old, data in saved:
            if old is not None:
                np.copyto(old.data, cast(np.ndarray, data))  # (a grad was there: so was its copy)
            t.grad = old


def compare_model(
    model: Callable[[Any], Tensor],
    x: Any,
    target: Any,
    *,
    steps: int = 0,
    lr: float = 0.1,
    parameters: Mapping[str, Tensor] | None = None,
    **options: Any,
) -> ModelComparison:
    """Per-parameter differences between training `model` with the fused and with the
    unfused cross-entropy of `model(x)` against `target` (`options` as `F.cross_entropy`).

    Always compares the gradients at the current parameters; with `steps` > 0 it also
    runs that many plain SGD steps (`lr`, with `training.fit`) from the same start along
    each path and compares the parameters reached. The model's parameters and their
    `.grad` are restored afterwards; its train/eval mode is left as it is."""
    named = _named_parameters(model, parameters)
    if not named:
        raise ValueError("compare_model: the model has no parameters")
    params = [p for _, p in named]
    start = [p.data.copy() for p in params]
    try:
        fused_loss, fused_grads, fused_graph = _gradients(model, x, target, params, True, options)
        unfused_loss, unfused_grads, unfused_graph = _gradients(model, x, target, params, False, options)
        after: list[tuple[np.ndarray, np.ndarray]] | None = None
        if steps > 0:
            with _grads_kept([fused_graph, unfused_graph]):
                fused_end = _sgd_steps(model, x, target, params, True, steps, lr, options)
                for p, s in zip(params, start):
                    np.copyto(p.data, s)
                after = list(zip(fused_end, _sgd_steps(model, x, target, params, False, steps, lr, options)))
    finally:
        for p, s in zip(params, start):
            np.copyto(p.data, s)
    rows = [
        ParameterDifference(
            name,
            tuple(p.data.shape),
            Difference.of(gf, gu),
            Difference.of(*after[i]) if after is not None else None,
        )
        for i, ((name, p), gf, gu) in enumerate(zip(named, fused_grads, unfused_grads))
    ]
    return ModelComparison(fused_loss, unfused_loss, steps, lr, rows)
