"""One training step of a 2-layer MLP in float32: forward, fused cross-entropy,
backward, SGD update. tinygrad_ce (raw Tensors, and nn.MLP + optim.SGD when present)
against the same step written by hand in numpy (the floor) and PyTorch CPU eager.

Targets: (32, 64, 64, 10): <= 0.5x PyTorch, <= 2.5x floor; (128, 784, 256, 10):
<= 1.0x PyTorch, <= 1.2x floor; (4096, 784, 256, 10): <= 1.1x floor (raw and nn);
nn/optim step <= 1.1x the raw-Tensor step.
Run: python benchmarks/mlp_step.py [--threads N]  (BLAS/torch threads per process; default 1)
"""

from __future__ import annotations

import numpy as np
from harness import best_time, has_torch, measure_rounds, script_main, table, threads

SIZES = [(32, 64, 64, 10), (128, 784, 256, 10), (4096, 784, 256, 10)]
LR = 0.01


def data(batch: int, d_in: int, hidden: int, d_out: int):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch, d_in)).astype(np.float32)
    y = rng.integers(0, d_out, size=batch)
    w1 = (rng.normal(size=(d_in, hidden)) / np.sqrt(d_in)).astype(np.float32)
    w2 = (rng.normal(size=(hidden, d_out)) / np.sqrt(hidden)).astype(np.float32)
    return x, y, w1, np.zeros(hidden, np.float32), w2, np.zeros(d_out, np.float32)


def numpy_step(x, y, w1, b1, w2, b2):
    def step():
        h = x @ w1
        h += b1
        a = np.maximum(h, 0)
        z = a @ w2
        z += b2
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        total = p.sum(axis=1, keepdims=True)
        rows = np.arange(len(y))
        loss = (np.log(total[:, 0]) - z[rows, y]).mean()  # the loss too, as every step returns it
        p /= total
        p[rows, y] -= 1  # dL/dz = (p - onehot) / N
        p /= len(y)
        dw2, db2 = a.T @ p, p.sum(axis=0)
        da = p @ w2.T
        da *= h > 0
        dw1, db1 = x.T @ da, da.sum(axis=0)
        for param, g in ((w1, dw1), (b1, db1), (w2, dw2), (b2, db2)):
            param -= LR * g
        return loss

    return step


def tinygrad_step(x, y, w1, b1, w2, b2):
    import tinygrad_ce.functional as F
    from tinygrad_ce import Tensor

    xt = Tensor(x)
    params = [Tensor(p, requires_grad=True) for p in (w1, b1, w2, b2)]
    W1, B1, W2, B2 = params

    def step():
        loss = F.softmax_cross_entropy(((xt @ W1 + B1).relu() @ W2 + B2), y)
        loss.backward()
        for p in params:
            p.data -= LR * p.grad.data
            p.grad = None

    return step


def tinygrad_nn_step(x, y, w1, b1, w2, b2):
    import tinygrad_ce.functional as F
    import tinygrad_ce.nn as nn
    import tinygrad_ce.optim as optim
    from tinygrad_ce import Tensor

    model = nn.MLP([w1.shape[0], w1.shape[1], w2.shape[1]])
    optimizer = optim.SGD(model.parameters(), lr=LR)
    xt = Tensor(x)

    def step():
        optimizer.zero_grad()
        F.softmax_cross_entropy(model(xt), y).backward()
        optimizer.step()

    return step


def torch_step(x, y, w1, b1, w2, b2):
    import torch

    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    params = [torch.from_numpy(p.copy()).requires_grad_() for p in (w1, b1, w2, b2)]
    W1, B1, W2, B2 = params

    def step():
        loss = torch.nn.functional.cross_entropy(torch.relu(xt @ W1 + B1) @ W2 + B2, yt)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None

    return step


IMPLS = {
    "numpy": numpy_step,
    "tinygrad_ce": tinygrad_step,
    "tinygrad_ce nn": tinygrad_nn_step,
    "torch": torch_step,
}


def run(impl: str, params: dict) -> dict:
    step = IMPLS[impl](*data(*params["size"]))
    return {"seconds": best_time(step, repeats=9, min_seconds=0.1)}


def main() -> None:
    impls = ["numpy", "tinygrad_ce", "tinygrad_ce nn"] + (["torch"] if has_torch() else [])
    rows = []
    for size in SIZES:
        t = {impl: r["seconds"] for impl, r in measure_rounds(__file__, impls, {"size": size}).items()}
        ours = t["tinygrad_ce"]
        rows.append(
            [
                str(size),
                t["numpy"] * 1e6,
                ours * 1e6,
                ours / t["numpy"],
                ours / t["torch"] if "torch" in t else "n/a",
                t["tinygrad_ce nn"] / t["numpy"],
                t["tinygrad_ce nn"] / ours,
            ]
        )
    print(f"one SGD step of a 2-layer MLP, float32, {threads()} BLAS/torch thread(s) per process")
    print(
        table(
            [
                "(batch, in, hidden, out)",
                "numpy us",
                "tinygrad_ce us",
                "x floor",
                "x torch",
                "nn x floor",
                "nn/raw",
            ],
            rows,
        )
    )
    print(
        "targets: small <= 2.5x floor and <= 0.5x torch; mid <= 1.2x floor and <= 1.0x torch; "
        "batch 4096 <= 1.1x floor (raw and nn); nn/raw <= 1.1"
    )


if __name__ == "__main__":
    script_main(__doc__, run, main)
