"""Matrix products: matmul and einsum. Tensor.__matmul__ turns 1-D operands into rows or columns (reshapes),
so this op sees only matrices and stacks of them."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function
from ..tensor import Tensor


class MatMul(Function):
    """numpy's matmul of 2-D or batched N-D operands (batch dims broadcast)."""

    __slots__ = ()
    name = "matmul"

    def forward(self, x, y):
        if x.ndim < 2 or y.ndim < 2:
            raise ValueError("matmul needs at least 1-D operands (use * for scalars)")
        if x.shape[-1] != y.shape[-2]:
            raise ValueError(
                f"inner dimensions differ: {x.shape[-1]} (last of x) vs {y.shape[-2]} (second-to-last of y)"
            )
        return x @ y

    def backward(self, g, out, x, y):  # d(x @ y) = dx @ y + x @ dy; batch dims summed by the engine
        need_x, need_y = self.needs_grad
        if x.ndim == 2 and y.ndim == 2:
            return (g @ y.T if need_x else None), (x.T @ g if need_y else None)
        return (g @ y.swapaxes(-1, -2) if need_x else None), (x.swapaxes(-1, -2) @ g if need_y else None)


def _einsum_grad(g: Any, operands: tuple[Any, ...], inputs: list[str], output: str, i: int) -> Any:
    """d einsum / d operand i: g contracted with the other operands into operand i's
    subscripts; letters only operand i has were summed away: broadcast back over them."""
    others = [s for j, s in enumerate(inputs) if j != i]
    have = set(output).union(*others) if others else set(output)
    kept = "".join(c for c in inputs[i] if c in have)
    spec = ",".join([output] + others) + "->" + kept
    args = [g] + [op for j, op in enumerate(operands) if j != i]
    grad = Einsum.apply(*args, subscripts=spec) if isinstance(g, Tensor) else np.einsum(spec, *args)
    if kept == inputs[i]:
        return grad
    shape = operands[i].shape  # (kept lists operand i's letters in their order, less the missing)
    expanded = tuple(n if c in have else 1 for c, n in zip(inputs[i], shape))
    return (
        grad.reshape(expanded).broadcast_to(shape)
        if isinstance(grad, Tensor)
        else np.broadcast_to(grad.reshape(expanded), shape)
    )


class Einsum(Function):
    """numpy's einsum with explicit subscripts `"ij,jk->ik"` (no repeated letter within
    one operand, no `...`); differentiable in every operand."""

    __slots__ = ("inputs", "output")
    name = "einsum"

    def forward(self, *operands, subscripts):
        lhs, self.output = subscripts.split("->")
        self.inputs = lhs.split(",")
        if any(len(set(s)) != len(s) or "." in s for s in self.inputs):
            raise ValueError(
                f"einsum {subscripts!r}: a letter repeated within one operand, or '...', is not supported"
            )
        return np.asarray(np.einsum(subscripts, *operands))

    def backward(self, g, out, *operands):  # d einsum = one einsum per operand, with g in its place
        return tuple(
            _einsum_grad(g, operands, self.inputs, self.output, i) if need else None
            for i, need in enumerate(self.needs_grad)
        )
