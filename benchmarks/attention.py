"""Causal scaled dot-product attention, forward + backward, at (B, H, L, E) = (8, 4, 128, 64)
float32: tinygrad_ce's fused F.scaled_dot_product_attention (one node) vs its composed twin
(fused=False: matmul, mask, softmax, matmul recorded as a graph) vs PyTorch CPU eager
torch.nn.functional.scaled_dot_product_attention(is_causal=True). The outputs and the
gradients of q, k, v are checked against the composed twin's (and torch's) before timing.

Run: python benchmarks/attention.py [--threads N]  (BLAS/torch threads per process; default 1)
"""

from __future__ import annotations

import numpy as np
from harness import best_time, has_torch, measure, measure_rounds, script_main, table, threads

SHAPE = (8, 4, 128, 64)


def data():
    rng = np.random.default_rng(0)
    q, k, v, dout = (rng.normal(size=SHAPE).astype(np.float32) for _ in range(4))
    return q, k, v, dout


def tinygrad_impl(fused: bool):
    def make(q, k, v, dout):
        import tinygrad_ce.functional as F
        from tinygrad_ce import Tensor, grad

        qt, kt, vt = (Tensor(a, requires_grad=True) for a in (q, k, v))

        def run():
            out = F.scaled_dot_product_attention(qt, kt, vt, is_causal=True, fused=fused)
            grads = grad(out, [qt, kt, vt], dout)
            return [out.data] + [t.data for t in grads]

        return run

    return make


def torch_impl(q, k, v, dout):
    import torch

    qt, kt, vt = (torch.from_numpy(a).requires_grad_() for a in (q, k, v))
    g = torch.from_numpy(dout)

    def run():
        out = torch.nn.functional.scaled_dot_product_attention(qt, kt, vt, is_causal=True)
        grads = torch.autograd.grad(out, [qt, kt, vt], g)
        return [out.detach().numpy()] + [t.numpy() for t in grads]

    return run


IMPLS = {"fused": tinygrad_impl(True), "composed": tinygrad_impl(False), "torch": torch_impl}


def run(impl: str, params: dict) -> dict:
    arrays = data()
    if impl == "check":  # the largest difference of output and gradients, relative to their scale
        ref = IMPLS["composed"](*arrays)()
        out = {}
        for name in ["fused"] + (["torch"] if has_torch() else []):
            theirs = IMPLS[name](*arrays)()
            out[name] = max(float(np.abs(a - b).max() / np.abs(a).max()) for a, b in zip(ref, theirs))
        return out
    return {"seconds": best_time(IMPLS[impl](*arrays), repeats=5, min_seconds=0.1)}


def main() -> None:
    checked = measure(__file__, "check", {})
    for name, diff in checked.items():
        print(f"check vs composed: {name} max relative diff (output, dq, dk, dv) = {diff:.2g}")
        if diff > 1e-4:
            raise SystemExit(f"{name} and the composed attention disagree")
    impls = ["fused", "composed"] + (["torch"] if has_torch() else [])
    t = {impl: r["seconds"] for impl, r in measure_rounds(__file__, impls, {}, rounds=2).items()}
    rows = [
        [impl, t[impl] * 1e3, t[impl] / t["fused"], t[impl] / t["torch"] if "torch" in t else "n/a"]
        for impl in impls
    ]
    print(
        f"causal attention forward + backward, (B, H, L, E) = {SHAPE} float32, "
        f"{threads()} BLAS/torch thread(s) per process"
    )
    print(table(["implementation", "ms", "x fused", "x torch"], rows))


if __name__ == "__main__":
    script_main(__doc__, run, main)
