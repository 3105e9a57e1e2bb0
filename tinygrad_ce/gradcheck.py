"""Check analytic gradients against central finite differences in float64."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import _checks as checks
from ._checks import got
from .autograd import grad
from .tensor import Tensor


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with the finite difference; says where and by how much."""


def gradcheck(
    fn: Callable[..., Tensor],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Compare the gradients of `fn(*inputs)` with central finite differences.

    Every Tensor input that requires grad is checked, element by element, in float64
    (float inputs are copied to float64; the caller's tensors are not changed). A
    non-scalar output is reduced with fixed random weights `sum(out * r)`. Returns True,
    or raises `GradcheckError` naming the input, the element and both values.
    `eps` must be > 0, `atol` and `rtol` >= 0 (finite numbers).
    """
    inputs = _check_arguments(fn, inputs, eps, atol, rtol)
    args: list[Any] = []
    checked: list[int] = []
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad:
            args.append(Tensor(x.data.astype(np.float64), requires_grad=True))
            checked.append(i)
        elif isinstance(x, Tensor) and x.dtype.kind == "f":
            args.append(Tensor(x.data.astype(np.float64)))
        else:
            args.append(x)
    if not checked:
        raise ValueError("gradcheck: none of the inputs requires grad; pass Tensors with requires_grad=True")

    out = fn(*args)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    weights = np.random.default_rng(0).uniform(0.5, 1.5, size=out.shape)

    def objective() -> float:  # grad mode stays on: fn may itself call grad(create_graph=True)
        return float(np.sum(np.asarray(fn(*args).data, dtype=np.float64) * weights))

    analytic = grad(out, [args[i] for i in checked], grad_outputs=[weights], allow_unused=True)
    for i, g in zip(checked, analytic):
        x = args[i].data  # perturbed in place, restored after each element
        g_values = np.zeros_like(x) if g is None else g.data
        for idx in np.ndindex(x.shape):
            original = x[idx]
            x[idx] = original + eps
            plus = objective()
            x[idx] = original - eps
            minus = objective()
            x[idx] = original
            numeric = (plus - minus) / (2 * eps)
            a = float(g_values[idx])
            if not abs(a - numeric) <= atol + rtol * abs(numeric):
                label = f"input {i}" + (f" ({inputs[i].name!r})" if inputs[i].name else "")
                raise GradcheckError(
                    f"gradcheck: {label} of shape {x.shape}, element {idx}: analytic "
                    f"{a:.8g} vs numeric {numeric:.8g} (difference {abs(a - numeric):.3g} > "
                    f"atol + rtol * |numeric| = {atol + rtol * abs(numeric):.3g})"
                )
    return True


def _check_arguments(fn: Any, inputs: Any, eps: Any, atol: Any, rtol: Any) -> list[Any]:
    """gradcheck's arguments, checked; returns `inputs` as a list."""
    if not callable(fn):
        raise TypeError(f"gradcheck: fn must be a callable returning a Tensor, got {got(fn)}")
    if isinstance(inputs, (Tensor, str, bytes)) or not isinstance(inputs, Sequence):
        raise TypeError(f"gradcheck: inputs must be a list or tuple of fn's arguments, got {got(inputs)}")
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad and x.dtype.kind != "f":
            raise TypeError(f"gradcheck: inputs[{i}] has dtype {x.dtype}; only real float inputs are checked")
    checks.number("gradcheck", "eps", eps, low=0.0, low_open=True)
    checks.number("gradcheck", "atol", atol, low=0.0)
    checks.number("gradcheck", "rtol", rtol, low=0.0)
    return list(inputs)
