"""Matrix product. Tensor.__matmul__ turns 1-D operands into rows or columns (reshapes),
so this op sees only matrices and stacks of them."""
from __future__ import annotations

from ..autograd import Function


class MatMul(Function):
    """numpy's matmul of 2-D or batched N-D operands (batch dims broadcast)."""

    __slots__ = ()
    name = "matmul"

    def forward(self, x, y):
        if x.ndim < 2 or y.ndim < 2:
            raise ValueError("matmul needs at least 1-D operands (use * for scalars)")
        if x.shape[-1] != y.shape[-2]:
            raise ValueError(f"inner dimensions differ: {x.shape[-1]} (last of x) vs {y.shape[-2]} "
                             "(second-to-last of y)")
        return x @ y

    def backward(self, g, out, x, y):  # d(x @ y) = dx @ y + x @ dy; batch dims summed by the engine
        need_x, need_y = self.needs_grad
        if x.ndim == 2 and y.ndim == 2:
            return (g @ y.T if need_x else None), (x.T @ g if need_y else None)
        return (g @ y.swapaxes(-1, -2) if need_x else None), (x.swapaxes(-1, -2) @ g if need_y else None)
