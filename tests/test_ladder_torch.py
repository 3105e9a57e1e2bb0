"""Rungs 3-5 of the ladder against PyTorch: the same architecture built in torch, our
state dict loaded into it (the key names are PyTorch's), then three optimizer steps on the
same batches in float64; the losses and the parameters after the steps agree to rounding."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import tinygrad_ce.functional as F
import tinygrad_ce.optim as optim

torch = pytest.importorskip("torch")
tnn = torch.nn

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
STEPS = 3


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def copy_into_torch(ours, theirs):
    """Load our state dict into the torch model (strict: every key must match)."""
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    return theirs


def train_both(ours, theirs, our_opt, their_opt, batches, flatten_logits=False):
    """STEPS steps on the same batches; returns (our losses, torch losses)."""
    our_losses, their_losses = [], []
    for x, y in batches:
        loss = F.cross_entropy(ours(x), y)
        our_opt.zero_grad()
        loss.backward()
        our_opt.step()
        our_losses.append(loss.item())
        logits = theirs(torch.tensor(x))
        if flatten_logits:
            logits = logits.reshape(-1, logits.shape[-1])
        their_loss = tnn.functional.cross_entropy(logits, torch.tensor(y).reshape(-1))
        their_opt.zero_grad()
        their_loss.backward()
        their_opt.step()
        their_losses.append(their_loss.item())
    return our_losses, their_losses


def assert_agree(ours, theirs, our_losses, their_losses, loss_tol=1e-10, param_tol=1e-9):
    np.testing.assert_allclose(our_losses, their_losses, rtol=0, atol=loss_tol)
    assert our_losses[0] != our_losses[-1]  # the steps did move the parameters
    their_state = theirs.state_dict()
    for name, value in ours.state_dict().items():
        np.testing.assert_allclose(value, their_state[name].numpy(), rtol=0, atol=param_tol, err_msg=name)


def test_rung3_makemore_matches_torch_with_sgd():
    makemore = load("makemore")
    ours = makemore.CharMLP(embed=10, hidden=64, rng=0).to(np.float64)

    class TorchCharMLP(tnn.Module):
        def __init__(self):
            super().__init__()
            self.emb = tnn.Embedding(27, 10)
            self.hidden = tnn.Linear(makemore.BLOCK * 10, 64, bias=False)
            self.bn = tnn.BatchNorm1d(64)
            self.out = tnn.Linear(64, 27)

        def forward(self, idx):
            e = self.emb(idx)
            return self.out(torch.tanh(self.bn(self.hidden(e.reshape(e.shape[0], -1)))))

    theirs = copy_into_torch(ours, TorchCharMLP().double())
    X, Y = makemore.dataset(makemore.words())
    rng = np.random.default_rng(0)
    batches = [(X[rows], Y[rows]) for rows in (rng.integers(0, len(X), 32) for _ in range(STEPS))]
    losses = train_both(
        ours,
        theirs,
        optim.SGD(ours.parameters(), lr=0.1),
        torch.optim.SGD(theirs.parameters(), lr=0.1),
        batches,
    )
    assert_agree(ours, theirs, *losses)  # includes bn.running_mean/var and num_batches_tracked


def test_rung4_cnn_matches_torch_with_sgd():
    ours = load("cnn").lenet(seed=0).to(np.float64)
    theirs = tnn.Sequential(
        tnn.Conv2d(1, 8, 3, padding=1),
        tnn.ReLU(),
        tnn.MaxPool2d(2),
        tnn.Conv2d(8, 16, 3, padding=1),
        tnn.ReLU(),
        tnn.MaxPool2d(2),
        tnn.Flatten(),
        tnn.Linear(16 * 2 * 2, 10),
    ).double()
    copy_into_torch(ours, theirs)
    rng = np.random.default_rng(0)
    batches = [(rng.standard_normal((16, 1, 8, 8)), rng.integers(0, 10, 16)) for _ in range(STEPS)]
    losses = train_both(
        ours,
        theirs,
        optim.SGD(ours.parameters(), lr=0.1, momentum=0.9),
        torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9),
        batches,
    )
    assert_agree(ours, theirs, *losses)


class TorchBlock(tnn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.ln1, self.ln2 = tnn.LayerNorm(width), tnn.LayerNorm(width)
        self.attn = tnn.MultiheadAttention(width, heads, batch_first=True)
        self.mlp = tnn.Sequential(tnn.Linear(width, 4 * width), tnn.GELU(), tnn.Linear(4 * width, width))

    def forward(self, x):
        t = x.shape[1]
        causal = torch.triu(torch.ones(t, t, dtype=torch.bool), 1)
        h = self.ln1(x)
        x = x + self.attn(h, h, h, attn_mask=causal, need_weights=False)[0]
        return x + self.mlp(self.ln2(x))


class TorchGPT(tnn.Module):
    def __init__(self, block, width, heads, layers):
        super().__init__()
        self.tokens = tnn.Embedding(27, width)
        self.positions = tnn.Embedding(block, width)
        self.blocks = tnn.ModuleList([TorchBlock(width, heads) for _ in range(layers)])
        self.ln = tnn.LayerNorm(width)
        self.head = tnn.Linear(width, 27)

    def forward(self, idx):
        x = self.tokens(idx) + self.positions(torch.arange(idx.shape[1]))
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln(x))


def test_rung5_gpt_matches_torch_with_adamw():
    gpt = load("gpt")
    block, width, heads, layers = 8, 16, 4, 2
    ours = gpt.TinyGPT(block=block, width=width, heads=heads, layers=layers).to(np.float64)
    theirs = copy_into_torch(ours, TorchGPT(block, width, heads, layers).double())
    data = gpt.text()
    rng = np.random.default_rng(0)
    batches = []
    for _ in range(STEPS):
        starts = rng.integers(0, len(data) - block - 1, 8)
        batches.append(
            (
                np.stack([data[s : s + block] for s in starts]),
                np.stack([data[s + 1 : s + block + 1] for s in starts]),
            )
        )
    losses = train_both(
        ours,
        theirs,
        optim.AdamW(ours.parameters(), lr=3e-3, weight_decay=0.01),
        torch.optim.AdamW(theirs.parameters(), lr=3e-3, weight_decay=0.01),
        batches,
        flatten_logits=True,
    )
    assert_agree(ours, theirs, *losses)
