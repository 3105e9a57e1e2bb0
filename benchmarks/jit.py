"""`tinygrad_ce.jit` (traced replay) against eager tinygrad_ce, the same work written by
hand in numpy (the floor) and PyTorch CPU eager, each in its own process.

1. One training step of the small MLP (32, 64, 64, 10): forward, fused cross-entropy,
   backward, SGD (nn.MLP + optim.SGD, zero_grad inside the step).
2. A 1000-op chain of `h * w`, `h + b`, `tanh(h)` on (16, 16) float32, forward and
   backward (as benchmarks/overhead.py), in microseconds per op.

Targets: MLP step with jit <= 1.25x the numpy floor and <= 0.25x PyTorch eager;
1000-op chain with jit <= 2.0 us/op.
Run: python benchmarks/jit.py [--threads N]  (BLAS/torch threads per process; default 1)
"""

from __future__ import annotations

import gc

import numpy as np
from harness import best_time, has_torch, measure_rounds, script_main, table, threads
from mlp_step import data, numpy_step, torch_step

SIZE = (32, 64, 64, 10)
LR = 0.01
N_OPS = 1000


def _nn_step(x, y, w1, b1, w2, b2, jit: bool):
    import tinygrad_ce as tg
    import tinygrad_ce.functional as F
    import tinygrad_ce.nn as nn
    import tinygrad_ce.optim as optim

    model = nn.MLP([w1.shape[0], w1.shape[1], w2.shape[1]])
    optimizer = optim.SGD(model.parameters(), lr=LR)
    xt = tg.Tensor(x)

    def step(xb, yb):
        optimizer.zero_grad()
        loss = F.softmax_cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
        return loss

    run = tg.jit(step) if jit else step
    return lambda: run(xt, y)


def chain_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 16)).astype(np.float32)
    w = rng.uniform(0.9, 1.1, size=(16, 16)).astype(np.float32)
    b = (rng.normal(size=(16, 16)) * 0.01).astype(np.float32)
    return x, w, b


def chain_numpy():
    """The chain's forward and backward written by hand (what a replay does, minus Python)."""
    x, w, b = chain_data()

    def run():
        hs = [x]
        h = x
        for i in range(N_OPS - 1):
            kind = i % 3
            h = h * w if kind == 0 else h + b if kind == 1 else np.tanh(h)
            hs.append(h)
        g = np.ones_like(h)
        gw, gb = np.zeros_like(w), np.zeros_like(b)
        for i in range(N_OPS - 2, -1, -1):
            kind = i % 3
            if kind == 0:
                gw = gw + g * hs[i]
                g = g * w
            elif kind == 1:
                gb = gb + g
            else:
                g = g * (1 - hs[i + 1] * hs[i + 1])
        return gw, gb

    return run


def chain_tinygrad(jit: bool):
    import tinygrad_ce as tg

    x, w, b = (tg.Tensor(a, requires_grad=True) for a in chain_data())

    def run(x):
        h = x
        for i in range(N_OPS - 1):
            kind = i % 3
            h = h * w if kind == 0 else h + b if kind == 1 else h.tanh()
        h.sum().backward()

    step = tg.jit(run) if jit else run
    return lambda: step(x)


def run(impl: str, params: dict) -> dict:
    gc.enable()
    if params["bench"] == "mlp":
        args = data(*SIZE)
        makers = {
            "numpy": lambda: numpy_step(*args),
            "torch": lambda: torch_step(*args),
            "tinygrad_ce": lambda: _nn_step(*args, jit=False),
            "tinygrad_ce jit": lambda: _nn_step(*args, jit=True),
        }
        return {"seconds": best_time(makers[impl](), repeats=9, min_seconds=0.1)}
    chains = {
        "numpy": chain_numpy,
        "tinygrad_ce": lambda: chain_tinygrad(False),
        "tinygrad_ce jit": lambda: chain_tinygrad(True),
    }
    return {"seconds": best_time(chains[impl](), repeats=15, min_seconds=0.05)}


def main() -> None:
    impls = ["numpy", "tinygrad_ce", "tinygrad_ce jit"] + (["torch"] if has_torch() else [])
    t = {impl: r["seconds"] for impl, r in measure_rounds(__file__, impls, {"bench": "mlp"}).items()}
    jit = t["tinygrad_ce jit"]
    print(f"one SGD step of the MLP {SIZE}, float32, {threads()} BLAS/torch thread(s) per process")
    print(
        table(
            ["impl", "us per step", "jit x this"],
            [[impl, t[impl] * 1e6, jit / t[impl]] for impl in impls],
        )
    )
    c = {impl: r["seconds"] for impl, r in measure_rounds(__file__, impls[:3], {"bench": "chain"}).items()}
    print(f"\n{N_OPS}-op chain on (16, 16) float32, forward + backward, gc on")
    print(table(["impl", "us per op", "x numpy"], [[i, c[i] * 1e6 / N_OPS, c[i] / c["numpy"]] for i in c]))
    torch_ratio = f"{jit / t['torch']:.3g}" if "torch" in t else "n/a"
    print(
        f"\njit: MLP step {jit / t['numpy']:.3g}x the numpy floor (target <= 1.25), "
        f"{torch_ratio}x torch (target <= 0.25); chain {c['tinygrad_ce jit'] * 1e6 / N_OPS:.3g} "
        "us/op (target <= 2.0)"
    )


if __name__ == "__main__":
    script_main(__doc__, run, main)
