"""Fused softmax cross-entropy (loss + logit gradient) at (N, C) = (4096, 1000) float32:
tinygrad_ce fused vs the same computation written by hand in numpy (the floor), vs the
unfused graph of primitives, vs PyTorch CPU eager; and the peak extra memory of the fused
path (tracemalloc) relative to the logits' bytes.

Targets: fused <= 1.1x floor and <= 1.0x PyTorch; fused >= 3x faster than unfused; peak
extra <= 3x logits.
Run: python benchmarks/cross_entropy.py [--threads N]  (BLAS/torch threads per process; default 1)
"""

from __future__ import annotations

import tracemalloc

import numpy as np
from harness import best_time, has_torch, measure_rounds, script_main, table

N, C = 4096, 1000


def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(N, C)).astype(np.float32) * 3, rng.integers(0, C, size=N)


def numpy_impl(logits, target):
    """The floor: the fused loss and gradient written by hand (class-index targets, mean)."""
    rows, n = np.arange(len(target)), len(target)

    def run():
        z = logits - logits.max(axis=1, keepdims=True)
        picked = z[rows, target]
        p = np.exp(z, out=z)
        total = p.sum(axis=1, keepdims=True)
        p /= total
        loss = np.mean(np.log(total[:, 0]) - picked)
        grad = p / n
        grad[rows, target] -= 1.0 / n
        return loss, grad

    return run


def tinygrad_impl(fused: bool):
    def make(logits, target):
        import tinygrad_ce.functional as F
        from tinygrad_ce import Tensor, grad

        x = Tensor(logits, requires_grad=True)

        def run():
            loss = F.cross_entropy(x, target, fused=fused)
            return loss, grad(loss, x)[0]

        return run

    return make


def torch_impl(logits, target):
    import torch

    x = torch.from_numpy(logits).requires_grad_()
    t = torch.from_numpy(target)

    def run():
        loss = torch.nn.functional.cross_entropy(x, t)
        return loss, torch.autograd.grad(loss, x)[0]

    return run


IMPLS = {
    "numpy": numpy_impl,
    "fused": tinygrad_impl(True),
    "unfused": tinygrad_impl(False),
    "torch": torch_impl,
}


def run(impl: str, params: dict) -> dict:
    logits, target = data()
    fn = IMPLS[impl](logits, target)
    seconds = best_time(fn, repeats=7, min_seconds=0.2)
    fn()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    result = fn()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    del result
    return {"seconds": seconds, "peak_bytes": peak}


def main() -> None:
    impls = ["numpy", "fused", "unfused"] + (["torch"] if has_torch() else [])
    results = measure_rounds(__file__, impls, {})
    logits_bytes = N * C * 4
    fused = results["fused"]["seconds"]
    rows = []
    for impl in impls:
        r = results[impl]
        peak = f"{r['peak_bytes'] / logits_bytes:.2f}" if impl != "torch" else "n/a"
        rows.append([impl, r["seconds"] * 1e3, r["seconds"] / fused, peak])
    print(f"loss + gradient, (N, C) = ({N}, {C}) float32; logits = {logits_bytes / 2**20:.1f} MiB")
    print(table(["implementation", "ms", "x fused", "peak extra / logits"], rows))
    print(f"fused / numpy floor = {fused / results['numpy']['seconds']:.2f} (target <= 1.1)")
    if "torch" in results:
        print(f"fused / torch = {fused / results['torch']['seconds']:.2f} (target <= 1.0)")
    print(f"unfused / fused = {results['unfused']['seconds'] / fused:.2f} (target >= 3)")


if __name__ == "__main__":
    script_main(__doc__, run, main)
