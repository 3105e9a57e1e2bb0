"""Rung 5 of the ladder: a tiny character-level GPT.

Token and position embeddings, two pre-norm transformer blocks (LayerNorm -> causal
multi-head self-attention -> residual; LayerNorm -> MLP with GELU -> residual), a final
LayerNorm and a linear head, trained with AdamW on the words of rung 3 (names that ship
with Python) written one after another, "." between them. Prints the loss and samples.
Each step runs through `tinygrad_ce.jit`; it prints how much faster that is here (little:
GELU's erf, computed in numpy, takes most of a step, and jit removes only Python).

    python examples/gpt.py                  # ~600 steps, under a minute
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

import tinygrad_ce.functional as F
import tinygrad_ce.nn as nn
import tinygrad_ce.optim as optim
from tinygrad_ce import Tensor, jit, no_grad
from tinygrad_ce.training import jit_speedup

_spec = importlib.util.spec_from_file_location("makemore", Path(__file__).with_name("makemore.py"))
makemore = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(makemore)  # (rung 3's words and alphabet)
CHARS = makemore.CHARS


class Block(nn.Module):
    """x + attention(ln(x)), then x + mlp(ln(x)), with a causal mask."""

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, x: Tensor) -> Tensor:
        t = x.shape[1]
        causal = np.triu(np.ones((t, t), dtype=bool), 1)  # True: may not attend (the future)
        h = self.ln1(x)
        x = x + self.attn(h, h, h, attn_mask=causal, need_weights=False)[0]
        return x + self.mlp(self.ln2(x))


class TinyGPT(nn.Module):
    """(N, T) character indices -> (N, T, 27) logits for the next character."""

    def __init__(self, block: int = 16, width: int = 32, heads: int = 4, layers: int = 2) -> None:
        super().__init__()
        self.block = block
        self.tokens = nn.Embedding(len(CHARS), width)
        self.positions = nn.Embedding(block, width)
        self.blocks = nn.ModuleList([Block(width, heads) for _ in range(layers)])
        self.ln = nn.LayerNorm(width)
        self.head = nn.Linear(width, len(CHARS))

    def forward(self, idx: np.ndarray) -> Tensor:
        x = self.tokens(idx) + self.positions(np.arange(idx.shape[1]))
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln(x))


def text() -> np.ndarray:
    """The words of rung 3, shuffled once, as one stream of character indices."""
    ws = makemore.words()
    np.random.default_rng(0).shuffle(ws)
    return np.array([CHARS.index(c) for c in "." + ".".join(ws) + "."], np.int64)


def sample(model: TinyGPT, length: int = 60, seed: int = 0) -> str:
    """Generate `length` characters after a ".", one at a time."""
    rng = np.random.default_rng(seed)
    idx = [0]
    model.eval()
    with no_grad():
        for _ in range(length):
            context = np.array([idx[-model.block :]])
            p = F.softmax(model(context)[0, -1], axis=-1).data.astype(np.float64)
            idx.append(int(rng.choice(len(CHARS), p=p / p.sum())))
    model.train()
    return "".join(CHARS[i] for i in idx[1:])


def _forward(model: TinyGPT, idx: np.ndarray) -> Tensor:
    return model(idx)  # (integer indices, not made float Tensors as fit would)


def main(steps: int = 600, batch: int = 32, seed: int = 0, verbose: bool = True) -> dict:
    """Train; return the first and last losses (mean over 20 steps), a sample and the
    loss of every step."""
    import tinygrad_ce as tg

    tg.manual_seed(seed)
    data = text()
    model = TinyGPT()
    optimizer = optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    rng = np.random.default_rng(seed)

    def batch_at(starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = np.stack([data[s : s + model.block] for s in starts])
        return x, np.stack([data[s + 1 : s + model.block + 1] for s in starts])

    # on copies of the model and optimizer (training is untouched), a few steps: ~45 ms each
    speedup = jit_speedup(
        model, F.cross_entropy, optimizer, *batch_at(np.arange(batch)), forward=_forward, steps=3, rounds=2
    )

    @jit  # every batch is (batch, block): traced on the first two steps, then replayed
    def train_step(x: np.ndarray, y: np.ndarray) -> Tensor:
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    losses = []
    for step in range(steps):
        x, y = batch_at(rng.integers(0, len(data) - model.block - 1, batch))
        losses.append(train_step(x, y).item())
        if verbose and (step + 1) % 100 == 0:
            print(f"step {step + 1}: loss {np.mean(losses[-100:]):.3f}")
    result = {
        "first_loss": float(np.mean(losses[:20])),
        "last_loss": float(np.mean(losses[-20:])),
        "sample": sample(model, seed=seed),
        "losses": losses,
    }
    if verbose:
        print("sample:", result["sample"].replace(".", " "))
    print(speedup)
    return result


if __name__ == "__main__":
    main()
