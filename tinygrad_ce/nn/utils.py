"""Gradient clipping and flattening, PyTorch's `torch.nn.utils`: `clip_grad_norm_`
(with its parts `get_total_norm` and `clip_grads_with_norm_`), `clip_grad_value_`,
`parameters_to_vector`, `vector_to_parameters`. Gradients are changed in place, outside
any graph; the formulas (and so the numbers) are PyTorch's."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from .. import _checks as checks
from .. import functional as F
from .._checks import got
from ..autograd.trace import replayed
from ..tensor import Tensor, get_default_dtype

_EPS = 1e-6  # PyTorch's: the scale is max_norm / (total_norm + 1e-6)


def _tensors(owner: str, name: str, values: Any) -> list[Tensor]:
    """A Tensor, or an iterable of Tensors (a generator such as model.parameters()), as a list."""
    if isinstance(values, Tensor):
        return [values]
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"{owner}: {name} must be a Tensor or an iterable of Tensors, got {got(values)}")
    values = list(values)
    for i, value in enumerate(values):
        if not isinstance(value, Tensor):
            raise TypeError(f"{owner}: {name}[{i}] must be a Tensor, got {got(value)}")
    return values


def _norm_type(owner: str, norm_type: Any) -> float:
    """A p > 0, or inf (also the string 'inf', as PyTorch's float(norm_type) allows)."""
    if isinstance(norm_type, str) and norm_type.strip().lower() == "inf":
        return math.inf
    if checks.is_real(norm_type) and float(norm_type) == math.inf:
        return math.inf
    return checks.number(owner, "norm_type", norm_type, low=0.0, low_open=True)


def _max_norm(owner: str, max_norm: Any) -> float:
    """A number >= 0; inf is allowed (no clipping: a way to just measure the norm)."""
    if checks.is_real(max_norm) and float(max_norm) == math.inf:
        return math.inf
    return checks.number(owner, "max_norm", max_norm, low=0.0)


def _vector_norm(array: np.ndarray, p: float) -> np.float64:
    """The p-norm of all of `array`'s elements, in float64 (0 for no elements)."""
    a = np.abs(np.asarray(array, dtype=np.float64)).ravel()
    if a.size == 0:
        return np.float64(0.0)
    with np.errstate(invalid="ignore", over="ignore"):  # inf and nan propagate, as in PyTorch
        if p == math.inf:
            return a.max()
        if p == 2.0:
            return np.sqrt(np.dot(a, a))
        return a.sum() if p == 1.0 else np.sum(a**p) ** (1.0 / p)


def get_total_norm(
    tensors: Any, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach: bool | None = None
) -> Tensor:
    """The p-norm of all the `tensors` together, as if concatenated into one vector:
    a 0-d Tensor in their (promoted) dtype, not differentiable. `norm_type` may be inf
    (the largest absolute value). No tensors give 0. `foreach` is accepted and ignored."""
    tensors = _tensors("get_total_norm", "tensors", tensors)
    p = _norm_type("get_total_norm", norm_type)
    error_if_nonfinite = checks.boolean("get_total_norm", "error_if_nonfinite", error_if_nonfinite)
    if not tensors:
        return Tensor(np.asarray(0.0, dtype=get_default_dtype()))
    dtype = np.result_type(*[t.data.dtype for t in tensors])
    norms = np.array([_vector_norm(t.data, p) for t in tensors])
    total = np.asarray(_vector_norm(norms, p), dtype=dtype if dtype.kind == "f" else get_default_dtype())
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {float(p)} for gradients from `parameters` is non-finite, so it cannot "
            "be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`"
        )
    return Tensor(total)


def clip_grads_with_norm_(
    parameters: Any, max_norm: float, total_norm: Any, foreach: bool | None = None
) -> None:
    """Scale every gradient in place by min(1, max_norm / (total_norm + 1e-6)), PyTorch's
    rule (a nan or inf total makes the gradients nan or 0, as there)."""
    params = _tensors("clip_grads_with_norm_", "parameters", parameters)
    max_norm = _max_norm("clip_grads_with_norm_", max_norm)
    total = np.asarray(total_norm.data if isinstance(total_norm, Tensor) else total_norm)
    if total.shape != () or total.dtype.kind not in "fiu":
        what = "clip_grads_with_norm_: total_norm must be a number or a 0-d Tensor"
        raise TypeError(f"{what}, got {got(total_norm)}")
    total = total.astype(total.dtype if total.dtype.kind == "f" else get_default_dtype())
    _scale_grads(params, max_norm, total)


@replayed  # (tinygrad_ce.jit: a replay scales that step's gradients; so below)
def _scale_grads(params: list[Tensor], max_norm: float, total: np.ndarray) -> None:
    # PyTorch computes max_norm / (total + eps) as reciprocal(total + eps) * max_norm, in total's dtype
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        coef = np.minimum(np.reciprocal(total + total.dtype.type(_EPS)) * total.dtype.type(max_norm), 1.0)
    for param in params:
        _scale_grad(param, coef)


def _scale_grad(param: Tensor, coef: np.ndarray) -> None:
    grad = param.grad
    if grad is None:
        return
    with np.errstate(invalid="ignore", over="ignore"):  # a nan/inf total: nan/0 gradients, as PyTorch's
        if grad.grad_fn is None and grad.data.flags.writeable:
            np.multiply(grad.data, coef.astype(grad.data.dtype), out=grad.data)
        else:  # a gradient recorded with create_graph: replaced, detached (PyTorch scales under no_grad)
            param.grad = Tensor((grad.data * coef).astype(grad.data.dtype))


def clip_grad_norm_(
    parameters: Any,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Clip the gradients of `parameters` (a Tensor or an iterable, e.g. model.parameters())
    so that their total p-norm (`norm_type`, inf allowed) is at most `max_norm`: each
    `.grad` is scaled in place by min(1, max_norm / (total + 1e-6)). Returns the total
    norm before clipping, a 0-d Tensor; parameters without a gradient are skipped.
    `error_if_nonfinite=True` makes a nan/inf total a RuntimeError (nothing is scaled);
    `foreach` is accepted and ignored."""
    params = _tensors("clip_grad_norm_", "parameters", parameters)
    max_norm = _max_norm("clip_grad_norm_", max_norm)
    _norm_type("clip_grad_norm_", norm_type)
    checks.boolean("clip_grad_norm_", "error_if_nonfinite", error_if_nonfinite)
    return Tensor(_clip_norm(params, max_norm, norm_type, error_if_nonfinite))


@replayed
def _clip_norm(params: list[Tensor], max_norm: float, norm_type: Any, error_if_nonfinite: bool) -> np.ndarray:
    """clip_grad_norm_'s work on the gradients the parameters hold now: the total norm."""
    grads = [p.grad for p in params if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    if grads:
        clip_grads_with_norm_(params, max_norm, total)
    return total.data


def clip_grad_value_(parameters: Any, clip_value: float, foreach: bool | None = None) -> None:
    """Clamp every gradient of `parameters` to [-clip_value, clip_value], in place."""
    params = _tensors("clip_grad_value_", "parameters", parameters)
    _clip_values(params, checks.number("clip_grad_value_", "clip_value", clip_value, low=0.0))


@replayed
def _clip_values(params: list[Tensor], clip_value: float) -> None:
    for param in params:
        grad = param.grad
        if grad is None:
            continue
        if grad.grad_fn is None and grad.data.flags.writeable:
            np.clip(grad.data, -clip_value, clip_value, out=grad.data)
        else:
            param.grad = Tensor(np.clip(grad.data, -clip_value, clip_value))


def parameters_to_vector(parameters: Any) -> Tensor:
    """All of `parameters` flattened and joined into one 1-D Tensor (in order);
    differentiable (a reshape and a concatenation)."""
    params = _tensors("parameters_to_vector", "parameters", parameters)
    if not params:
        raise ValueError("parameters_to_vector: parameters must hold at least one Tensor, got none")
    return F.cat([p.reshape(-1) for p in params], axis=0)


def vector_to_parameters(vec: Tensor, parameters: Any) -> None:
    """Copy consecutive slices of the 1-D `vec` into `parameters`' data, in place (each
    cast to its parameter's dtype; no graph). `vec` must have exactly as many elements
    as the parameters together."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: vec must be a Tensor, got {got(vec)}")
    if vec.ndim != 1:
        raise ValueError(f"vector_to_parameters: vec must be 1-D, got shape {vec.shape}")
    params = _tensors("vector_to_parameters", "parameters", parameters)
    total = sum(p.data.size for p in params)
    if vec.shape[0] != total:
        raise ValueError(
            f"vector_to_parameters: vec has {vec.shape[0]} elements but the parameters hold {total}"
        )
    _copy_into(vec.data, params)


@replayed
def _copy_into(values: np.ndarray, params: list[Tensor]) -> None:
    start = 0
    for p in params:
        np.copyto(p.data, values[start : start + p.data.size].reshape(p.shape), casting="unsafe")
        start += p.data.size
