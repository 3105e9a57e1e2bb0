"""The `peers.py` workloads for JAX (eager and jit), HIPS autograd, DeZero, MyGrad,
micrograd and tinygrad (see `peer_steps` for the contract of a builder)."""

from __future__ import annotations

import math

import numpy as np
from peer_steps import LR, Unsupported, _repeat, ce_data, chain_data, hvp_data, mlp_data

# --- functional libraries: jax (eager / jit) and HIPS autograd share the code -------------------


def _functional(lib: str):
    """(numpy module, value_and_grad, grad, logsumexp, finish) for jax or autograd."""
    if lib == "autograd":
        import autograd
        import autograd.numpy as anp
        from autograd.scipy.special import logsumexp

        return anp, autograd.value_and_grad, autograd.grad, logsumexp, lambda out: out
    import jax
    import jax.numpy as jnp

    return jnp, jax.value_and_grad, jax.grad, jax.nn.logsumexp, jax.block_until_ready


def _mlp_loss(xp, logsumexp):
    def loss(ps, x, y):
        h = x
        for i in range(0, len(ps) - 2, 2):
            h = xp.maximum(h @ ps[i] + ps[i + 1], 0)
        z = h @ ps[-2] + ps[-1]
        return xp.mean(logsumexp(z, axis=1) - z[np.arange(len(y)), y])

    return loss


def functional_builders(lib: str, jit: bool = False):
    """The builders for one functional library; `jit`: wrap each step in jax.jit."""

    def wrap(fn):
        if not jit:
            return fn
        import jax

        return jax.jit(fn)

    def mlp(spec):
        xp, value_and_grad, _, logsumexp, finish = _functional(lib)
        x, y, params = mlp_data(spec)
        vg = value_and_grad(_mlp_loss(xp, logsumexp))

        def train(ps, x, y):
            loss, grads = vg(ps, x, y)
            return loss, grads, [p - LR * g for p, g in zip(ps, grads)]

        train = wrap(train)
        state = {"ps": [xp.asarray(p) for p in params]}
        xs, ys = xp.asarray(x), xp.asarray(y)

        def step():
            loss, grads, state["ps"] = finish(train(state["ps"], xs, ys))
            return [loss] + list(grads)

        return step, _repeat(step)

    def ce(spec):
        xp, value_and_grad, _, logsumexp, finish = _functional(lib)
        logits, target = ce_data(spec)
        rows = np.arange(len(target))
        fn = wrap(value_and_grad(lambda z, t: xp.mean(logsumexp(z, axis=1) - z[rows, t])))
        zs, ts = xp.asarray(logits), xp.asarray(target)

        def step():
            loss, g = finish(fn(zs, ts))
            return [loss, g]

        return step, _repeat(step)

    def chain(spec):
        xp, _, grad, _, finish = _functional(lib)
        n = spec["n_ops"]
        if jit and n > 5000:
            raise Unsupported("jax.jit of a 50,000-op graph: compiling it takes minutes or crashes")

        def f(x, w, b):
            h = x
            for i in range(n - 1):
                kind = i % 3
                h = h * w if kind == 0 else h + b if kind == 1 else xp.tanh(h)
            return xp.sum(h)

        g = wrap(grad(f, argnums=(0, 1, 2)) if lib == "jax" else grad(lambda a: f(*a)))
        value = wrap(f)
        arrays = [xp.asarray(a) for a in chain_data(spec)]

        def step():
            grads = g(*arrays) if lib == "jax" else g(arrays)
            return [finish(value(*arrays))] + list(finish(grads))

        return step, _repeat(step)

    def hvp(spec):
        xp, _, grad, _, finish = _functional(lib)
        a, x0, v = (xp.asarray(t) for t in hvp_data(spec))
        first = grad(lambda x: xp.sum(xp.tanh(a @ x)))
        fn = wrap(grad(lambda x: xp.sum(first(x) * v)))

        def step():
            return [finish(fn(x0))]

        return step, _repeat(step)

    def cnn(spec):
        if lib != "jax":
            raise Unsupported("no convolution in autograd.numpy")
        import cnn_step
        import jax
        import jax.numpy as jnp

        x, y, params = cnn_step.data()

        def loss_fn(ps, x, y):
            w1, b1, w2, b2, w3, b3 = ps
            h = x
            for w, b in ((w1, b1), (w2, b2)):
                h = jax.lax.conv_general_dilated(h, w, (1, 1), "SAME") + b[None, :, None, None]
                h = jnp.maximum(h, 0)
                h = jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
            z = h.reshape(len(x), -1) @ w3.T + b3
            return jnp.mean(jax.nn.logsumexp(z, axis=1) - z[jnp.arange(len(y)), y])

        vg = jax.value_and_grad(loss_fn)

        def train(ps, x, y):
            loss, grads = vg(ps, x, y)
            return loss, grads, [p - LR * g for p, g in zip(ps, grads)]

        train = wrap(train)
        state = {"ps": [jnp.asarray(p) for p in params]}
        xs, ys = jnp.asarray(x), jnp.asarray(y)

        def step():
            loss, grads, state["ps"] = jax.block_until_ready(train(state["ps"], xs, ys))
            return [loss] + list(grads)

        return step, _repeat(step)

    return {"mlp": mlp, "ce": ce, "chain": chain, "hvp": hvp, "cnn": cnn}


# --- DeZero --------------------------------------------------------------------------------------


def _dezero():
    if not hasattr(np, "int"):  # DeZero 0.0.13 still names np.int (removed in numpy 1.24)
        np.int = int  # type: ignore[attr-defined]
    import dezero
    import dezero.functions as DF

    return dezero, DF


def dezero_mlp(spec):
    dezero, DF = _dezero()
    x, y, params = mlp_data(spec)
    ps = [dezero.Variable(p.copy()) for p in params]

    def step():
        for p in ps:
            p.cleargrad()
        h = x
        for i in range(0, len(ps) - 2, 2):
            h = DF.relu(DF.linear(h, ps[i], ps[i + 1]))
        loss = DF.softmax_cross_entropy(DF.linear(h, ps[-2], ps[-1]), y)
        loss.backward()
        grads = [p.grad.data for p in ps]
        for p, g in zip(ps, grads):
            p.data -= LR * g
        return [loss.data] + grads

    return step, _repeat(step)


def dezero_ce(spec):
    dezero, DF = _dezero()
    logits, target = ce_data(spec)
    x = dezero.Variable(logits)

    def step():
        x.cleargrad()
        loss = DF.softmax_cross_entropy(x, target)
        loss.backward()
        return [loss.data, x.grad.data]

    return step, _repeat(step)


def dezero_chain(spec):
    dezero, DF = _dezero()
    arrays, n = chain_data(spec), spec["n_ops"]

    def step():
        x, w, b = (dezero.Variable(a) for a in arrays)
        h = x
        for i in range(n - 1):
            kind = i % 3
            h = h * w if kind == 0 else h + b if kind == 1 else DF.tanh(h)
        out = DF.sum(h)
        out.backward()
        return [out.data, x.grad.data, w.grad.data, b.grad.data]

    return step, _repeat(step)


def dezero_hvp(spec):
    dezero, DF = _dezero()
    a, x0, v = hvp_data(spec)
    at = dezero.Variable(a)

    def step():
        x = dezero.Variable(x0.reshape(-1, 1))
        y = DF.sum(DF.tanh(DF.matmul(at, x)))
        y.backward(create_graph=True)
        g = x.grad
        x.cleargrad()
        DF.sum(g * v.reshape(-1, 1)).backward()
        return [x.grad.data.reshape(-1)]

    return step, _repeat(step)


# --- MyGrad --------------------------------------------------------------------------------------


def mygrad_mlp(spec):
    import mygrad as mg
    from mygrad.nnet.activations import relu
    from mygrad.nnet.losses import softmax_crossentropy

    x, y, params = mlp_data(spec)
    state = {"ps": [mg.Tensor(p.copy()) for p in params]}

    def step():
        ps = state["ps"]
        h = x
        for i in range(0, len(ps) - 2, 2):
            h = relu(mg.matmul(h, ps[i]) + ps[i + 1])
        loss = softmax_crossentropy(mg.matmul(h, ps[-2]) + ps[-1], y)
        loss.backward()
        grads = [p.grad for p in ps]
        state["ps"] = [mg.Tensor(p.data - LR * g) for p, g in zip(ps, grads)]
        return [loss.data] + grads

    return step, _repeat(step)


def mygrad_ce(spec):
    import mygrad as mg
    from mygrad.nnet.losses import softmax_crossentropy

    logits, target = ce_data(spec)
    x = mg.Tensor(logits)

    def step():
        loss = softmax_crossentropy(x, target)
        loss.backward()
        return [loss.data, x.grad]

    return step, _repeat(step)


def mygrad_chain(spec):
    import mygrad as mg

    arrays, n = chain_data(spec), spec["n_ops"]

    def step():
        x, w, b = (mg.Tensor(a) for a in arrays)
        h = x
        for i in range(n - 1):
            kind = i % 3
            h = h * w if kind == 0 else h + b if kind == 1 else mg.tanh(h)
        out = mg.sum(h)
        out.backward()
        return [out.data, x.grad, w.grad, b.grad]

    return step, _repeat(step)


# --- micrograd (scalars only) ----------------------------------------------------------------------


def micrograd_chain(spec):
    import sys

    from micrograd.engine import Value

    if spec["shape"]:
        raise Unsupported("micrograd works on scalars only")
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * spec["n_ops"] + 1000))  # its topo sort recurses
    (x0, w0, b0), n = (float(a) for a in chain_data(spec)), spec["n_ops"]

    def tanh(v):  # micrograd's Value has relu only: tanh written the way its ops are
        t = math.tanh(v.data)
        out = Value(t, (v,), "tanh")

        def _backward():
            v.grad += (1 - t * t) * out.grad

        out._backward = _backward
        return out

    def step():
        x, w, b = Value(x0), Value(w0), Value(b0)
        h = x
        for i in range(n - 1):
            kind = i % 3
            h = h * w if kind == 0 else h + b if kind == 1 else tanh(h)
        h.backward()
        return [h.data, x.grad, w.grad, b.grad]

    return step, _repeat(step)
