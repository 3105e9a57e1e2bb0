"""Per-op overhead: forward + backward of a chain of elementwise ops on (16, 16) float32
tensors with Python's garbage collector ON. The chain cycles through `h * w`, `h + b`,
`tanh(h)` (w, b leaves that require grad), so every op records a node and the leaves
accumulate many gradients; a second chain uses Python numbers (`h * 1.001`, `h + 0.5`)
as operands. Compared with PyTorch CPU eager in its own process.

Targets: <= 3.5 us per op at 1000 ops (issue 13; benchmarks/jit.py has the traced
replay); a 50,000-op chain no slower than PyTorch.
Run: python benchmarks/overhead.py [--threads N]  (BLAS/torch threads per process; default 1)
"""

from __future__ import annotations

import gc
import time

import numpy as np
from harness import has_torch, measure_rounds, script_main, table


def chain_tinygrad(n_ops: int, scalars: bool = False) -> float:
    from tinygrad_ce import Tensor

    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(16, 16)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.uniform(0.9, 1.1, size=(16, 16)).astype(np.float32), requires_grad=True)
    b = Tensor(rng.normal(size=(16, 16)).astype(np.float32) * 0.01, requires_grad=True)
    start = time.perf_counter()
    h = x
    for i in range(n_ops - 1):
        kind = i % 3
        if scalars:
            h = h * 1.001 if kind == 0 else h + 0.5 if kind == 1 else h.tanh()
        else:
            h = h * w if kind == 0 else h + b if kind == 1 else h.tanh()
    h.sum().backward()
    return time.perf_counter() - start


def chain_torch(n_ops: int) -> float:
    import torch

    torch.manual_seed(0)
    x = torch.randn(16, 16, requires_grad=True)
    w = (torch.rand(16, 16) * 0.2 + 0.9).requires_grad_()
    b = (torch.randn(16, 16) * 0.01).requires_grad_()
    start = time.perf_counter()
    h = x
    for i in range(n_ops - 1):
        kind = i % 3
        h = h * w if kind == 0 else h + b if kind == 1 else torch.tanh(h)
    h.sum().backward()
    return time.perf_counter() - start


def run(impl: str, params: dict) -> dict:
    gc.enable()
    fn = chain_torch if impl == "torch" else chain_tinygrad
    if impl == "tinygrad_ce scalars":
        fn = lambda n: chain_tinygrad(n, scalars=True)  # noqa: E731
    n_ops, repeats = params["n_ops"], params["repeats"]
    fn(min(n_ops, 1000))  # warm up
    return {"seconds": min(fn(n_ops) for _ in range(repeats))}


def main() -> None:
    impls = ["tinygrad_ce"] + (["torch"] if has_torch() else [])
    rows = []
    for n_ops, repeats in ((1000, 21), (50_000, 3)):
        extra = ["tinygrad_ce scalars"] if n_ops == 1000 else []
        results = measure_rounds(__file__, impls + extra, {"n_ops": n_ops, "repeats": repeats})
        t = {impl: r["seconds"] for impl, r in results.items()}
        ours = t["tinygrad_ce"]
        rows.append(
            [
                n_ops,
                ours * 1e6 / n_ops,
                t["torch"] * 1e6 / n_ops if "torch" in t else "n/a",
                ours / t["torch"] if "torch" in t else "n/a",
            ]
        )
        if extra:
            scalars = t["tinygrad_ce scalars"] * 1e6 / n_ops
    print("forward + backward of an op chain on (16, 16) float32, gc on")
    print(table(["ops", "tinygrad_ce us/op", "torch us/op", "x torch"], rows))
    print(f"with Python-number operands, 1000 ops: {scalars:.3g} us/op")
    print("targets: <= 3.5 us/op at 1000 ops; 50,000 ops no slower than torch (x torch <= 1)")


if __name__ == "__main__":
    script_main(__doc__, run, main)
