"""F.layer_norm forward + backward (input, weight and bias gradients) in float32 at
(4096, 512) and (32, 128, 256), normalized over the last axis with an affine weight and
bias: the same by hand in numpy (the floor) vs tinygrad_ce fused (one node) vs its
composed twin (fused=False: mean, var, sub, mul, add as a graph) vs PyTorch CPU eager.
The floor's, fused's and torch's outputs and gradients are checked against the composed
twin's before timing.

Run: python benchmarks/layer_norm.py [--threads N]  (BLAS/torch threads per process; default 1)
"""

from __future__ import annotations

import numpy as np
from harness import best_time, has_torch, measure, measure_rounds, script_main, table, threads

SHAPES = [(4096, 512), (32, 128, 256)]
EPS = 1e-5


def data(shape):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype(np.float32) * 2 + 0.5
    dout = rng.normal(size=shape).astype(np.float32)
    weight = rng.normal(size=shape[-1:]).astype(np.float32)
    bias = rng.normal(size=shape[-1:]).astype(np.float32)
    return x, weight, bias, dout


def numpy_impl(x, weight, bias, dout):
    """The floor: forward and the closed-form backward by hand."""

    def run():
        mean = x.mean(axis=-1, keepdims=True)
        xc = x - mean
        rstd = 1 / np.sqrt(np.mean(xc * xc, axis=-1, keepdims=True) + EPS)
        xhat = xc * rstd
        out = xhat * weight + bias
        rows = dout.reshape(-1, x.shape[-1])
        dw = np.einsum("ij,ij->j", rows, xhat.reshape(rows.shape))
        db = rows.sum(axis=0)
        g = dout * weight
        dx = rstd * (g - g.mean(axis=-1, keepdims=True) - xhat * np.mean(g * xhat, axis=-1, keepdims=True))
        return [out, dx, dw, db]

    return run


def tinygrad_impl(fused: bool):
    def make(x, weight, bias, dout):
        import tinygrad_ce.functional as F
        from tinygrad_ce import Tensor, grad

        xt, wt, bt = (Tensor(a, requires_grad=True) for a in (x, weight, bias))

        def run():
            out = F.layer_norm(xt, x.shape[-1:], wt, bt, EPS, fused=fused)
            grads = grad(out, [xt, wt, bt], dout)
            return [out.data] + [t.data for t in grads]

        return run

    return make


def torch_impl(x, weight, bias, dout):
    import torch

    xt, wt, bt = (torch.from_numpy(a).requires_grad_() for a in (x, weight, bias))
    g = torch.from_numpy(dout)

    def run():
        out = torch.nn.functional.layer_norm(xt, x.shape[-1:], wt, bt, EPS)
        grads = torch.autograd.grad(out, [xt, wt, bt], g)
        return [out.detach().numpy()] + [t.numpy() for t in grads]

    return run


IMPLS = {
    "numpy": numpy_impl,
    "fused": tinygrad_impl(True),
    "composed": tinygrad_impl(False),
    "torch": torch_impl,
}


def run(impl: str, params: dict) -> dict:
    arrays = data(tuple(params["shape"]))
    if impl == "check":  # the largest difference of output and gradients, relative to their scale
        ref = IMPLS["composed"](*arrays)()
        out = {}
        for name in ["numpy", "fused"] + (["torch"] if has_torch() else []):
            theirs = IMPLS[name](*arrays)()
            out[name] = max(float(np.abs(a - b).max() / np.abs(a).max()) for a, b in zip(ref, theirs))
        return out
    return {"seconds": best_time(IMPLS[impl](*arrays), repeats=5, min_seconds=0.1)}


def main() -> None:
    impls = ["numpy", "fused", "composed"] + (["torch"] if has_torch() else [])
    rows = []
    for shape in SHAPES:
        for name, diff in measure(__file__, "check", {"shape": shape}).items():
            print(f"check vs composed at {shape}: {name} max relative diff (output, dx, dw, db) = {diff:.2g}")
            if diff > 1e-4:
                raise SystemExit(f"{name} and the composed layer_norm disagree at {shape}")
        best = measure_rounds(__file__, impls, {"shape": shape}, rounds=2)
        t = {impl: r["seconds"] for impl, r in best.items()}
        fused = t["fused"]
        rows.append(
            [
                str(shape),
                t["numpy"] * 1e3,
                fused * 1e3,
                fused / t["numpy"],
                t["composed"] / fused,
                fused / t["torch"] if "torch" in t else "n/a",
                t["composed"] / t["torch"] if "torch" in t else "n/a",
            ]
        )
    print(
        f"layer_norm forward + backward over the last axis, float32, {threads()} BLAS/torch thread(s) "
        f"per process"
    )
    print(
        table(
            [
                "shape",
                "numpy ms",
                "fused ms",
                "x numpy floor",
                "composed / fused",
                "fused x torch",
                "composed x torch",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    script_main(__doc__, run, main)
