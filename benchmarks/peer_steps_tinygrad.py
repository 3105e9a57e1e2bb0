"""The `peers.py` workloads for tinygrad (see `peer_steps` for the contract of a builder).
Its CPU backend compiles kernels with clang; every step builds a new lazy graph, which
tinygrad schedules (and, the first time, compiles) before it runs."""

from __future__ import annotations

import numpy as np
from peer_steps import LR, _repeat, ce_data, chain_data, hvp_data, mlp_data

# --- tinygrad ----------------------------------------------------------------------------------------


def tinygrad_mlp(spec):
    from tinygrad import Tensor

    x, y, params = mlp_data(spec)
    xt, yt = Tensor(x), Tensor(y.astype(np.int32))
    state = {"ps": [Tensor(p.copy()).realize() for p in params]}

    def step():
        ps = state["ps"]
        h = xt
        for i in range(0, len(ps) - 2, 2):
            h = (h @ ps[i] + ps[i + 1]).relu()
        loss = (h @ ps[-2] + ps[-1]).sparse_categorical_crossentropy(yt)
        grads = loss.gradient(*ps)
        new = [(p - LR * g) for p, g in zip(ps, grads)]
        Tensor.realize(loss, *grads, *new)
        state["ps"] = new
        return [loss.numpy()] + [g.numpy() for g in grads]

    def timed():
        ps = state["ps"]
        h = xt
        for i in range(0, len(ps) - 2, 2):
            h = (h @ ps[i] + ps[i + 1]).relu()
        loss = (h @ ps[-2] + ps[-1]).sparse_categorical_crossentropy(yt)
        state["ps"] = [(p - LR * g) for p, g in zip(ps, loss.gradient(*ps))]
        Tensor.realize(*state["ps"])

    return timed, _repeat(step)


def tinygrad_ce(spec):
    from tinygrad import Tensor

    logits, target = ce_data(spec)
    x, t = Tensor(logits).realize(), Tensor(target.astype(np.int32)).realize()

    def step():
        loss = x.sparse_categorical_crossentropy(t)
        (g,) = loss.gradient(x)
        Tensor.realize(loss, g)
        return [loss.numpy(), g.numpy()]

    def timed():
        loss = x.sparse_categorical_crossentropy(t)
        Tensor.realize(loss, *loss.gradient(x))

    return timed, _repeat(step)


def tinygrad_chain(spec):
    from tinygrad import Tensor

    arrays, n = chain_data(spec), spec["n_ops"]

    def run(fetch):
        x, w, b = (Tensor(a) for a in arrays)
        h = x
        for i in range(n - 1):
            kind = i % 3
            h = h * w if kind == 0 else h + b if kind == 1 else h.tanh()
        out = h.sum()
        grads = out.gradient(x, w, b)
        Tensor.realize(out, *grads)
        return [out.numpy()] + [g.numpy() for g in grads] if fetch else None

    return (lambda: run(False)), _repeat(lambda: run(True))


def tinygrad_hvp(spec):
    from tinygrad import Tensor

    a, x0, v = hvp_data(spec)
    at, vt = Tensor(a).realize(), Tensor(v).realize()

    def step():
        x = Tensor(x0)
        (g,) = (at @ x).tanh().sum().gradient(x)
        (h,) = (g * vt).sum().gradient(x)
        return [h.numpy()]

    return step, _repeat(step)


def tinygrad_cnn(spec):
    import cnn_step
    from tinygrad import Tensor

    x, y, params = cnn_step.data()
    xt, yt = Tensor(x), Tensor(y.astype(np.int32))
    state = {"ps": [Tensor(p.copy()).realize() for p in params]}

    def run(fetch):
        w1, b1, w2, b2, w3, b3 = ps = state["ps"]
        h = xt.conv2d(w1, b1, padding=1).relu().max_pool2d(2)
        h = h.conv2d(w2, b2, padding=1).relu().max_pool2d(2)
        loss = h.flatten(1).linear(w3.T, b3).sparse_categorical_crossentropy(yt)
        grads = loss.gradient(*ps)
        state["ps"] = [(p - LR * g) for p, g in zip(ps, grads)]
        Tensor.realize(loss, *grads, *state["ps"])
        return [loss.numpy()] + [g.numpy() for g in grads] if fetch else None

    return (lambda: run(False)), _repeat(lambda: run(True))
