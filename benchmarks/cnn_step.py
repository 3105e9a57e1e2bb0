"""One SGD training step of a small CNN in float32: x (32, 1, 28, 28) -> Conv2d(1, 8, 3,
padding=1) -> ReLU -> MaxPool2d(2) -> Conv2d(8, 16, 3, padding=1) -> ReLU -> MaxPool2d(2)
-> Flatten -> Linear(784, 10) -> fused cross-entropy -> backward -> SGD(lr=0.01).
tinygrad_ce with nn modules (fused conv2d), the same model with the composed conv
(Conv2d(fused=False)), the same step written by hand in numpy with im2col (the floor;
its loss and gradients are checked against tinygrad_ce's before timing) and PyTorch CPU eager.

Targets: tinygrad_ce fused <= 1.5x PyTorch and <= 1.3x the numpy im2col floor.
Run: python benchmarks/cnn_step.py [--threads N]  (BLAS/torch threads per process; default 1)
"""

from __future__ import annotations

import numpy as np
from harness import best_time, has_torch, measure, measure_rounds, script_main, table, threads

N, H, W, CLASSES = 32, 28, 28, 10
C1, C2 = 8, 16
LR = 0.01


def data():
    """x, y and the parameters (PyTorch layouts: conv (O, C, 3, 3), linear (out, in))."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, 1, H, W)).astype(np.float32)
    y = rng.integers(0, CLASSES, size=N)

    def uniform(shape, fan_in):
        bound = 1 / np.sqrt(fan_in)
        return rng.uniform(-bound, bound, size=shape).astype(np.float32)

    params = [
        uniform((C1, 1, 3, 3), 9),
        uniform(C1, 9),
        uniform((C2, C1, 3, 3), C1 * 9),
        uniform(C2, C1 * 9),
        uniform((CLASSES, C2 * 7 * 7), C2 * 49),
        uniform(CLASSES, C2 * 49),
    ]
    return x, y, params


# --- numpy by hand: im2col convolution, 2x2 max pool, linear, softmax cross-entropy ----------
# Activations are kept channels-last (N, H, W, C), so a convolution's im2col matrix product
# is already its output and col2im adds contiguous slices; the weights are held as
# (O, 3, 3, C) and the linear weight's columns in (H, W, C) order to match.


def to_floor_layout(params):
    w1, b1, w2, b2, w3, b3 = params
    w3 = w3.reshape(CLASSES, C2, 7, 7).transpose(0, 2, 3, 1).reshape(CLASSES, -1)
    return [
        np.array(p, order="C") for p in (w1.transpose(0, 2, 3, 1), b1, w2.transpose(0, 2, 3, 1), b2, w3, b3)
    ]  # copies: the step updates them in place


def from_floor_layout(params):
    w1, b1, w2, b2, w3, b3 = params
    w3 = w3.reshape(CLASSES, 7, 7, C2).transpose(0, 3, 1, 2).reshape(CLASSES, -1)
    return [w1.transpose(0, 3, 1, 2), b1, w2.transpose(0, 3, 1, 2), b2, w3, b3]


def _conv(x, w, b=None):
    """x (N, H, W, C), w (O, 3, 3, C), padding 1 -> (N, H, W, O) and the im2col matrix."""
    n, h, wd, c = x.shape
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(1, 2))  # (N, H, W, C, 3, 3)
    cols = windows.transpose(0, 1, 2, 4, 5, 3).reshape(n * h * wd, 9 * c)
    out = cols @ w.reshape(len(w), -1).T
    if b is not None:
        out += b
    return out.reshape(n, h, wd, len(w)), cols


def _conv_backward(dout, cols, w, need_dx):
    """dout (N, H, W, O) -> dw, db and (when need_dx) dx: the convolution of dout with the
    flipped, transposed kernel (stride 1, padding 1), i.e. col2im as one more im2col."""
    n, h, wd, o = dout.shape
    dmat = dout.reshape(n * h * wd, o)
    dw = (dmat.T @ cols).reshape(w.shape)
    db = np.ones(len(dmat), dtype=dmat.dtype) @ dmat  # BLAS: faster than a sum over axis 0
    if not need_dx:
        return dw, db, None
    flipped = np.ascontiguousarray(w[:, ::-1, ::-1, :].transpose(3, 1, 2, 0))  # (C, 3, 3, O)
    return dw, db, _conv(dout, flipped)[0]


def _relu_pool(h):
    """max_pool2d(relu(h), 2), channels-last: (N, H, W, C) -> (N, H/2, W/2, C)."""
    np.maximum(h, 0, out=h)
    pooled = np.maximum(h[:, 0::2, 0::2], h[:, 0::2, 1::2])
    np.maximum(pooled, h[:, 1::2, 0::2], out=pooled)
    return np.maximum(pooled, h[:, 1::2, 1::2], out=pooled)


def _relu_pool_backward(dout, a, pooled):
    """The gradient to each window's maximum, through the ReLU. Ties happen only
    between zeros of the ReLU output, whose gradient the ReLU clears: the first-max rule."""
    dout = dout * (pooled > 0)
    da = np.empty_like(a)
    for i in range(2):
        for j in range(2):
            np.multiply(a[:, i::2, j::2] == pooled, dout, out=da[:, i::2, j::2])
    return da


def numpy_step(x, y, params, layout=True):
    """The step, on `params` in place (converted to the floor's layout unless `layout`
    is False); it returns the loss and the gradients, in the floor's layout."""
    params = to_floor_layout(params) if layout else params
    w1, b1, w2, b2, w3, b3 = params
    x = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    rows = np.arange(len(y))

    def step():
        a1, cols1 = _conv(x, w1, b1)
        p1 = _relu_pool(a1)
        a2, cols2 = _conv(p1, w2, b2)
        p2 = _relu_pool(a2)
        flat = p2.reshape(len(x), -1)
        z = flat @ w3.T
        z += b3
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        total = p.sum(axis=1, keepdims=True)
        loss = np.mean(np.log(total[:, 0]) - z[rows, y])
        p /= total
        p[rows, y] -= 1  # dL/dz = (softmax - onehot) / N
        p /= len(y)
        dw3, db3 = p.T @ flat, p.sum(axis=0)
        dh2 = _relu_pool_backward((p @ w3).reshape(p2.shape), a2, p2)
        dw2, db2, dp1 = _conv_backward(dh2, cols2, w2, need_dx=True)
        dh1 = _relu_pool_backward(dp1, a1, p1)
        dw1, db1, _ = _conv_backward(dh1, cols1, w1, need_dx=False)
        grads = (dw1, db1, dw2, db2, dw3, db3)
        for param, g in zip(params, grads):
            param -= LR * g
        return float(loss), grads

    return step


# --- tinygrad_ce: nn modules + optim.SGD, fused or composed conv2d ------------------------


def tinygrad_step(fused: bool):
    def make(x, y, params):
        import tinygrad_ce.functional as F
        import tinygrad_ce.nn as nn
        import tinygrad_ce.optim as optim
        from tinygrad_ce import Tensor

        model = nn.Sequential(
            nn.Conv2d(1, C1, 3, padding=1, fused=fused),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(C1, C2, 3, padding=1, fused=fused),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(C2 * 7 * 7, CLASSES),
        )
        ours = list(model.parameters())
        for p, value in zip(ours, params):
            p.data[...] = value
        optimizer = optim.SGD(ours, lr=LR)
        xt = Tensor(x)

        def step():
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xt), y)
            loss.backward()
            grads = tuple(p.grad.data.copy() for p in ours)  # before the update
            optimizer.step()
            return float(loss.data), grads

        def timed():
            optimizer.zero_grad()
            F.cross_entropy(model(xt), y).backward()
            optimizer.step()

        return timed, step

    return make


def torch_step(x, y, params):
    import torch
    import torch.nn.functional as tF

    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    w1, b1, w2, b2, w3, b3 = (torch.from_numpy(p.copy()).requires_grad_() for p in params)
    ps = [w1, b1, w2, b2, w3, b3]
    optimizer = torch.optim.SGD(ps, lr=LR)

    def step():
        optimizer.zero_grad(set_to_none=True)
        h = tF.max_pool2d(torch.relu(tF.conv2d(xt, w1, b1, padding=1)), 2)
        h = tF.max_pool2d(torch.relu(tF.conv2d(h, w2, b2, padding=1)), 2)
        tF.cross_entropy(tF.linear(h.flatten(1), w3, b3), yt).backward()
        optimizer.step()

    return step


def check() -> dict:
    """One step of the numpy floor and of tinygrad_ce (fused, composed) from the same
    parameters: the largest loss and gradient differences, relative to the gradient's scale."""
    x, y, params = data()
    loss, grads = numpy_step(x, y, params)()
    grads = from_floor_layout(grads)
    out = {}
    for name, fused in (("fused", True), ("composed", False)):
        their_loss, theirs = tinygrad_step(fused)(x, y, params)[1]()
        out[name] = {
            "loss": abs(their_loss - loss),
            "grad": max(
                float(np.abs(a - b).max() / (np.abs(a).max() + 1e-12)) for a, b in zip(grads, theirs)
            ),
        }
    return out


IMPLS = {
    "numpy": numpy_step,
    "fused": lambda *a: tinygrad_step(True)(*a)[0],
    "composed": lambda *a: tinygrad_step(False)(*a)[0],
    "torch": torch_step,
}


def run(impl: str, params: dict) -> dict:
    if impl == "check":
        return check()
    x, y, weights = data()
    return {"seconds": best_time(IMPLS[impl](x, y, weights), repeats=5, min_seconds=0.1)}


def main() -> None:
    checked = measure(__file__, "check", {})
    for name, diff in checked.items():
        print(
            f"check vs numpy floor, {name}: |loss diff| = {diff['loss']:.2g}, "
            f"max relative grad diff = {diff['grad']:.2g}"
        )
        if diff["loss"] > 1e-4 or diff["grad"] > 1e-3:
            raise SystemExit(f"{name}: tinygrad_ce and the numpy floor disagree")
    impls = ["numpy", "fused", "composed"] + (["torch"] if has_torch() else [])
    t = {impl: r["seconds"] for impl, r in measure_rounds(__file__, impls, {}, rounds=2).items()}
    fused = t["fused"]
    rows = [
        [impl, t[impl] * 1e3, t[impl] / t["numpy"], t[impl] / t["torch"] if "torch" in t else "n/a"]
        for impl in impls
    ]
    print(
        f"one SGD step of a small CNN, x ({N}, 1, {H}, {W}) float32, "
        f"{threads()} BLAS/torch thread(s) per process"
    )
    print(table(["implementation", "ms", "x numpy floor", "x torch"], rows))
    torch_ratio = f"{fused / t['torch']:.2f}" if "torch" in t else "n/a"
    print(
        f"targets: fused <= 1.5x torch (got {torch_ratio}), "
        f"<= 1.3x numpy floor (got {fused / t['numpy']:.2f})"
    )


if __name__ == "__main__":
    script_main(__doc__, run, main)
