"""The default random Generator: what layer initialisation, dropout, data shuffling and
the synthetic datasets draw from when no `rng`/`seed` is given.

`manual_seed(seed)` reseeds it; `as_generator(rng)` turns a seed, a Generator or None
into the Generator to draw from. At the bottom layer (it imports only `_checks`), so
`nn` and `data` share it without importing each other.
"""

from __future__ import annotations

import numpy as np

from . import _checks as checks

_default_generator = np.random.default_rng(0)  # fixed start, like PyTorch's default seed


def manual_seed(seed: int | np.random.Generator | None) -> np.random.Generator:
    """Reseed the default Generator used by layer initialisation, dropout, data
    shuffling and synthetic datasets when no `rng`/`seed` is given; returns it.
    `seed`: an int >= 0, a Generator (used as the default) or None (fresh entropy)."""
    global _default_generator
    _default_generator = np.random.default_rng(checks.seed("manual_seed", "seed", seed))
    return _default_generator


def default_generator() -> np.random.Generator:
    """The current default Generator (the one `manual_seed` last set)."""
    return _default_generator


def as_generator(
    rng: int | np.random.Generator | None, owner: str = "as_generator", name: str = "rng"
) -> np.random.Generator:
    """A Generator from a seed (an int >= 0: a new one), a Generator (itself) or None
    (the default). A bad `rng` is a TypeError/ValueError that names `owner` and `name`
    (the caller and its argument, e.g. "spiral", "seed")."""
    rng = checks.seed(owner, name, rng)
    if rng is None:
        return _default_generator
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
