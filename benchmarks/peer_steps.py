"""The workloads of `peers.py`, written once per library: each builder takes a workload
spec and returns `(step, check)`: `step()` is what is timed (it finishes its work, e.g.
blocks on jax's async dispatch); `check()` runs it once from the initial state and
returns numpy arrays to compare with the numpy reference (`reference`). A builder that
is missing, or raises `Unsupported`, is reported as "n/a" for that library."""

from __future__ import annotations

import numpy as np

LR = 0.01


class Unsupported(Exception):
    """The library cannot run this workload (reported as n/a)."""


# --- data and the numpy references ------------------------------------------------------------


def mlp_data(spec):
    rng = np.random.default_rng(0)
    sizes, batch = spec["sizes"], spec["batch"]
    x = rng.normal(size=(batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], size=batch)
    params = []
    for d_in, d_out in zip(sizes[:-1], sizes[1:]):
        params += [
            (rng.normal(size=(d_in, d_out)) / np.sqrt(d_in)).astype(np.float32),
            np.zeros(d_out, np.float32),
        ]
    return x, y, params


def ce_data(spec):
    rng = np.random.default_rng(0)
    n, c = spec["shape"]
    return rng.normal(size=(n, c)).astype(np.float32) * 3, rng.integers(0, c, size=n)


def chain_data(spec):
    rng = np.random.default_rng(0)
    shape = tuple(spec["shape"])
    x = np.asarray(rng.normal(size=shape), np.float32)
    w = np.asarray(rng.uniform(0.9, 1.1, size=shape), np.float32)
    b = np.asarray(rng.normal(size=shape) * 0.01, np.float32)
    return x, w, b


def hvp_data(spec):
    rng = np.random.default_rng(0)
    n = spec["n"]
    a = (rng.normal(size=(n, n)) / np.sqrt(n)).astype(np.float32)
    return a, rng.normal(size=n).astype(np.float32), rng.normal(size=n).astype(np.float32)


def numpy_mlp(spec):
    x, y, params = mlp_data(spec)
    rows = np.arange(len(y))

    def step():
        acts, h = [x], x
        for i in range(0, len(params) - 2, 2):
            h = h @ params[i]
            h += params[i + 1]
            np.maximum(h, 0, out=h)
            acts.append(h)
        z = h @ params[-2]
        z += params[-1]
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        total = p.sum(axis=1, keepdims=True)
        loss = np.mean(np.log(total[:, 0]) - z[rows, y])
        p /= total
        p[rows, y] -= 1
        p /= len(y)
        grads, d = [None] * len(params), p
        for layer in range(len(params) // 2 - 1, -1, -1):
            a = acts[layer]
            grads[2 * layer], grads[2 * layer + 1] = a.T @ d, d.sum(axis=0)
            if layer:
                d = d @ params[2 * layer].T
                d *= a > 0
        for param, g in zip(params, grads):
            param -= LR * g
        return [np.float32(loss)] + grads

    return step, step


def numpy_ce(spec):
    from cross_entropy import numpy_impl  # the same floor as benchmarks/cross_entropy.py

    run = numpy_impl(*ce_data(spec))

    def step():
        loss, grad = run()
        return [np.float32(loss), grad]

    return step, step


def numpy_chain(spec):
    x, w, b = chain_data(spec)
    n = spec["n_ops"]

    def step():
        hs, h = [], x
        for i in range(n - 1):
            hs.append(h)
            kind = i % 3
            h = h * w if kind == 0 else h + b if kind == 1 else np.tanh(h)
        out = h.sum()
        g, gw, gb = np.ones_like(x), np.zeros_like(w), np.zeros_like(b)
        for i in range(n - 2, -1, -1):
            kind = i % 3
            if kind == 0:
                gw += g * hs[i]
                g = g * w
            elif kind == 1:
                gb += g
            else:
                t = np.tanh(hs[i])
                g = g * (1 - t * t)
        return [np.float32(out), g, gw, gb]

    return step, step


def numpy_hvp(spec):
    a, x, v = hvp_data(spec)

    def step():  # f(x) = sum(tanh(A x)): H v = A^T diag(-2 t (1 - t^2)) A v
        t = np.tanh(a @ x)
        return [a.T @ (-2 * t * (1 - t * t) * (a @ v))]

    return step, step


def numpy_cnn(spec):
    import cnn_step

    x, y, params = cnn_step.data()
    step = cnn_step.numpy_step(x, y, params)

    def check():
        loss, grads = step()
        return [np.float32(loss)] + list(cnn_step.from_floor_layout(grads))

    return step, check


def _repeat(fn):
    """`check` = `step`, its outputs converted to numpy arrays."""
    return lambda: [np.asarray(o, dtype=np.float32) for o in fn()]


# --- tinygrad_ce -------------------------------------------------------------------------------


def tinygrad_ce_mlp(spec):
    import tinygrad_ce.functional as F
    from tinygrad_ce import Tensor, grad

    x, y, params = mlp_data(spec)
    xt, ps = Tensor(x), [Tensor(p, requires_grad=True) for p in params]

    def step():
        h = xt
        for i in range(0, len(ps) - 2, 2):
            h = (h @ ps[i] + ps[i + 1]).relu()
        loss = F.softmax_cross_entropy(h @ ps[-2] + ps[-1], y)
        grads = grad(loss, ps)
        for p, g in zip(ps, grads):
            p.data -= LR * g.data
        return [loss.data] + [g.data for g in grads]

    return step, _repeat(step)


def tinygrad_ce_ce(spec):
    import tinygrad_ce.functional as F
    from tinygrad_ce import Tensor, grad

    logits, target = ce_data(spec)
    x = Tensor(logits, requires_grad=True)

    def step():
        loss = F.cross_entropy(x, target)
        return [loss.data, grad(loss, x)[0].data]

    return step, _repeat(step)


def tinygrad_ce_chain(spec):
    from tinygrad_ce import Tensor, grad

    arrays, n = chain_data(spec), spec["n_ops"]

    def step():
        x, w, b = (Tensor(a, requires_grad=True) for a in arrays)
        h = x
        for i in range(n - 1):
            kind = i % 3
            h = h * w if kind == 0 else h + b if kind == 1 else h.tanh()
        out = h.sum()
        return [out.data] + [g.data for g in grad(out, [x, w, b])]

    return step, _repeat(step)


def tinygrad_ce_hvp(spec):
    from tinygrad_ce import Tensor, grad

    a, x0, v = hvp_data(spec)
    at, vt = Tensor(a), Tensor(v)

    def step():
        x = Tensor(x0, requires_grad=True)
        (g,) = grad((at @ x).tanh().sum(), x, create_graph=True)
        return [grad((g * vt).sum(), x)[0].data]

    return step, _repeat(step)


def tinygrad_ce_cnn(spec):
    import cnn_step

    timed, step = cnn_step.tinygrad_step(True)(*cnn_step.data())

    def check():
        loss, grads = step()
        return [np.float32(loss)] + list(grads)

    return timed, check


# --- PyTorch -----------------------------------------------------------------------------------


def _torch_sgd(loss, ps):
    """The gradients of `loss` for `ps`, an SGD update of `ps` in place; the outputs."""
    import torch

    grads = torch.autograd.grad(loss, ps)
    with torch.no_grad():
        for p, g in zip(ps, grads):
            p -= LR * g
    return [loss.detach()] + list(grads)


def torch_mlp(spec):
    import torch

    x, y, params = mlp_data(spec)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    ps = [torch.from_numpy(p.copy()).requires_grad_() for p in params]

    def step():
        h = xt
        for i in range(0, len(ps) - 2, 2):
            h = torch.relu(h @ ps[i] + ps[i + 1])
        loss = torch.nn.functional.cross_entropy(h @ ps[-2] + ps[-1], yt)
        return _torch_sgd(loss, ps)

    return step, _repeat(step)


def torch_ce(spec):
    import torch

    logits, target = ce_data(spec)
    x, t = torch.from_numpy(logits).requires_grad_(), torch.from_numpy(target)

    def step():
        loss = torch.nn.functional.cross_entropy(x, t)
        return [loss.detach(), torch.autograd.grad(loss, x)[0]]

    return step, _repeat(step)


def torch_chain(spec):
    import torch

    arrays, n = chain_data(spec), spec["n_ops"]

    def step():
        x, w, b = (torch.from_numpy(a.copy()).requires_grad_() for a in arrays)
        h = x
        for i in range(n - 1):
            kind = i % 3
            h = h * w if kind == 0 else h + b if kind == 1 else torch.tanh(h)
        out = h.sum()
        return [out.detach()] + list(torch.autograd.grad(out, [x, w, b]))

    return step, _repeat(step)


def torch_hvp(spec):
    import torch

    a, x0, v = (torch.from_numpy(t) for t in hvp_data(spec))

    def step():
        x = x0.clone().requires_grad_()
        (g,) = torch.autograd.grad(torch.tanh(a @ x).sum(), x, create_graph=True)
        return [torch.autograd.grad((g * v).sum(), x)[0]]

    return step, _repeat(step)


def torch_cnn(spec):
    import cnn_step
    import torch
    import torch.nn.functional as tF

    x, y, params = cnn_step.data()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    ps = [torch.from_numpy(p.copy()).requires_grad_() for p in params]

    def step():
        w1, b1, w2, b2, w3, b3 = ps
        h = tF.max_pool2d(torch.relu(tF.conv2d(xt, w1, b1, padding=1)), 2)
        h = tF.max_pool2d(torch.relu(tF.conv2d(h, w2, b2, padding=1)), 2)
        loss = tF.cross_entropy(tF.linear(h.flatten(1), w3, b3), yt)
        return _torch_sgd(loss, ps)

    return step, _repeat(step)
