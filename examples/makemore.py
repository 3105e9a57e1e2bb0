"""Rung 3 of the ladder: a character-level MLP in the makemore style.

Three characters of context -> an embedding table -> a hidden layer with batch norm and
tanh -> logits over the next character. The words are names that ship with Python itself
(standard-library modules, builtins, keywords: no download). It trains with SGD, checks
the manual gradient of the logits, (softmax - onehot) / n, against the engine's, and
samples new words. Each step runs through `tinygrad_ce.jit` (traced twice, then replayed:
the same numbers, less Python), and it prints how much faster that is on this machine.

    python examples/makemore.py            # ~2,000 steps, a few seconds
"""

from __future__ import annotations

import builtins
import keyword
import sys

import numpy as np

import tinygrad_ce.functional as F
import tinygrad_ce.nn as nn
import tinygrad_ce.optim as optim
from tinygrad_ce import Tensor, grad, jit, no_grad
from tinygrad_ce.training import jit_speedup

CHARS = ".abcdefghijklmnopqrstuvwxyz"  # "." starts and ends every word
BLOCK = 3


def words() -> list[str]:
    """Lowercase names from Python itself: standard-library modules, builtins, keywords."""
    names = set(sys.stdlib_module_names) | set(dir(builtins)) | set(keyword.kwlist)
    return sorted(n for n in names if n.isascii() and n.isalpha() and n.islower())


def dataset(ws: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(contexts (N, BLOCK) int64, next characters (N,) int64) over every word."""
    xs, ys = [], []
    for w in ws:
        context = [0] * BLOCK
        for ch in w + ".":
            xs.append(context)
            ys.append(CHARS.index(ch))
            context = context[1:] + [ys[-1]]
    return np.array(xs, np.int64), np.array(ys, np.int64)


class CharMLP(nn.Module):
    """Embedding (27, 10) -> Linear (30, 200) -> BatchNorm1d -> tanh -> Linear (200, 27)."""

    def __init__(self, embed: int = 10, hidden: int = 200, rng: int = 0) -> None:
        super().__init__()
        self.emb = nn.Embedding(len(CHARS), embed, rng=rng)
        self.hidden = nn.Linear(BLOCK * embed, hidden, bias=False, rng=rng + 1)
        self.bn = nn.BatchNorm1d(hidden)
        self.out = nn.Linear(hidden, len(CHARS), rng=rng + 2)

    def forward(self, idx: np.ndarray) -> Tensor:
        e = self.emb(idx)  # (N, BLOCK, embed)
        h = self.bn(self.hidden(e.reshape(e.shape[0], -1))).tanh()
        return self.out(h)


def logit_gradient_difference(model: CharMLP, X: np.ndarray, Y: np.ndarray) -> float:
    """max |engine's d loss / d logits - (softmax(logits) - onehot) / n|."""
    logits = model(X)
    (engine,) = grad(F.cross_entropy(logits, Y), logits)
    p = F.softmax(logits.detach(), axis=-1).data
    manual = (p - np.eye(len(CHARS))[Y]) / len(Y)
    return float(np.abs(engine.data - manual).max())


def sample(model: CharMLP, count: int, seed: int = 0, longest: int = 20) -> list[str]:
    """`count` new words drawn from the model, one character at a time."""
    rng = np.random.default_rng(seed)
    model.eval()
    out = []
    with no_grad():
        for _ in range(count):
            context, word = [0] * BLOCK, ""
            while len(word) < longest:
                p = F.softmax(model(np.array([context])), axis=-1).data[0].astype(np.float64)
                ix = int(rng.choice(len(CHARS), p=p / p.sum()))
                if ix == 0:
                    break
                word += CHARS[ix]
                context = context[1:] + [ix]
            out.append(word)
    model.train()
    return out


def _forward(model: CharMLP, idx: np.ndarray) -> Tensor:
    return model(idx)  # (integer indices, not made float Tensors as fit would)


def main(steps: int = 2000, batch: int = 32, lr: float = 0.1, seed: int = 0, verbose: bool = True) -> dict:
    """Train, check the logit gradient, sample; return the final full-data loss, the
    per-step losses, the model and more."""
    X, Y = dataset(words())
    model = CharMLP(rng=seed)
    optimizer = optim.SGD(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    speedup = jit_speedup(model, F.cross_entropy, optimizer, X[:batch], Y[:batch], forward=_forward)

    @jit  # every batch has the same shape: traced on the first two steps, then replayed
    def train_step(x: np.ndarray, y: np.ndarray) -> Tensor:
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()  # reads the lr from param_groups at each replay
        return loss

    losses = []  # the minibatch loss of every step
    for step in range(steps):
        rows = rng.integers(0, len(X), batch)
        optimizer.param_groups[0]["lr"] = lr if step < steps * 3 // 4 else lr / 10
        losses.append(train_step(X[rows], Y[rows]).item())
    model.eval()
    with no_grad():
        final = F.cross_entropy(model(X), Y).item()
    model.train()
    result = {
        "words": len(set(words())),
        "examples": len(X),
        "loss": final,
        "logit_gradient_difference": logit_gradient_difference(model, X[:256], Y[:256]),
        "samples": sample(model, 8, seed),
        "losses": losses,
        "model": model,
    }
    if verbose:
        print(
            f"{result['words']} words, {result['examples']} examples; loss {final:.3f} "
            f"(uniform: {np.log(len(CHARS)):.3f})"
        )
        print(f"manual vs engine logit gradient: {result['logit_gradient_difference']:.1e}")
        print("samples:", " ".join(result["samples"]))
    print(speedup)
    return result


if __name__ == "__main__":
    main()
