"""What every subcommand shares: the argparse `type=` functions with their documented
upper bounds (`int_in`, `float_in`, `random_seed`, `layer_sizes`, `hidden_sizes`,
`mlp_sizes`), the checks of a model's size and of an output directory, and `describe`
for --help texts. Each refusal is one line naming the option, exit status 2 (see
`tinygrad_ce.cli`)."""

from __future__ import annotations

import argparse
import math
import os
import tempfile
from collections.abc import Callable, Sequence

from .errors import CommandError

# Upper bounds of the size options. Past them a run needs more memory than a laptop has
# or hours of time; each option's --help states its bound.
MAX_SAMPLES = 1_000_000  # synthetic samples in all (train --samples)
MAX_CLASSES = 1_000  # train --classes
MAX_EPOCHS = 100_000  # --epochs
MAX_BATCH = 1_000_000  # --batch-size, --batch
MAX_WIDTH = 16_384  # one layer size (--hidden, graph --sizes)
MAX_LAYERS = 32  # sizes in --hidden or graph --sizes
MAX_PARAMETERS = 20_000_000  # weights + biases of an MLP: 80 MB in float32, x4 with Adam's state
MAX_ACTIVATIONS = 2**26  # batch rows x widest layer: 256 MB in float32 per layer output
MAX_LOGITS = 2**24  # compare --batch x --classes: 128 MB in float64
EVAL_BATCH = 1024  # rows per forward pass when evaluating (bounds the memory of evaluation)
SEED_LIMIT = 2**63  # seeds are stored as int64 in the checkpoint


# ----------------------------------------------------------------------------- argument types
def _integer(text: str) -> int | None:
    """`text` as an int ("1e3" is 1000), or None when it is not a whole number."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if math.isfinite(value) and value.is_integer() else None


def int_in(minimum: int, maximum: int) -> Callable[[str], int]:
    """An argparse `type=`: a whole number from `minimum` to `maximum` (both included;
    "1e3" is read as 1000)."""
    wanted = f"an integer from {minimum:,} to {maximum:,}"
    wanted = f"a positive integer <= {maximum:,}" if minimum == 1 else wanted

    def parse(text: str) -> int:
        value = _integer(text)
        if value is None or not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
        return value

    parse.__name__ = "integer"
    return parse


def float_in(
    low: float, high: float = math.inf, bounds: str = "[]", note: str = ""
) -> Callable[[str], float]:
    """An argparse `type=`: a finite number in the interval from `low` to `high`, each end
    included or not as `bounds` says ("[]", "[)", "(]" or "()"); `note` is added to the
    error (e.g. what 0 means)."""
    closed_low, closed_high = bounds[0] == "[", bounds[1] == "]"
    if high == math.inf:
        wanted = f"a number {'>=' if closed_low else '>'} {low:g}"
    else:
        wanted = f"a number in {bounds[0]}{low:g}, {high:g}{bounds[1]}"
    wanted += f" ({note})" if note else ""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        above = value >= low if closed_low else value > low
        below = value <= high if closed_high else value < high
        if not (math.isfinite(value) and above and below):
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
        return value

    parse.__name__ = "number"
    return parse


def random_seed(text: str) -> int:
    """An argparse `type=`: a random seed, a whole number in [0, 2**63)."""
    value = _integer(text)
    if value is None or not 0 <= value < SEED_LIMIT:
        raise argparse.ArgumentTypeError(f"expected a seed from 0 to 2**63 - 1, got {text!r}")
    return value


def layer_sizes(text: str, what: str = "layer sizes") -> list[int]:
    """ "64,64" -> [64, 64]: comma-separated sizes, each from 1 to MAX_WIDTH, at most
    MAX_LAYERS of them; an ArgumentTypeError naming `what` otherwise."""
    parts = [part.strip() for part in text.split(",")]
    sizes = [_integer(part) if part else None for part in parts]
    if not text.strip() or None in sizes:
        raise argparse.ArgumentTypeError(f"expected comma-separated {what} like 64,64, got {text!r}")
    if len(sizes) > MAX_LAYERS:
        message = f"expected at most {MAX_LAYERS} {what}, got {len(sizes)} in {text!r}"
        raise argparse.ArgumentTypeError(message)
    if any(not 1 <= n <= MAX_WIDTH for n in sizes):  # type: ignore[operator]
        raise argparse.ArgumentTypeError(f"{what} must be from 1 to {MAX_WIDTH:,}, got {text!r}")
    return sizes  # type: ignore[return-value]


def hidden_sizes(text: str) -> list[int]:
    """An argparse `type=`: "64,64" -> [64, 64]; "none" -> [] (a linear model). An empty
    value is refused (write `none` for no hidden layer), and so are layers whose
    weights alone pass MAX_PARAMETERS."""
    if text.strip().lower() == "none":
        return []
    if not text.strip():
        message = "expected layer sizes like 64,64, or 'none' for no hidden layer, got ''"
        raise argparse.ArgumentTypeError(message)
    sizes = layer_sizes(text)
    weights = sum(a * b for a, b in zip(sizes, sizes[1:]))
    if weights > MAX_PARAMETERS:
        raise argparse.ArgumentTypeError(
            f"{text!r} means {weights:,} weights between the hidden layers, more than {MAX_PARAMETERS:,}"
        )
    return sizes


def mlp_sizes(text: str) -> list[int]:
    """An argparse `type=`: "2,16,3" -> [2, 16, 3], the layer sizes of a whole MLP: at
    least two (input, ..., classes), the last at least 2."""
    sizes = layer_sizes(text)
    if len(sizes) < 2:
        raise argparse.ArgumentTypeError(f"needs at least two sizes (input,...,classes), got {text!r}")
    if sizes[-1] < 2:
        message = f"the last size is the number of classes, at least 2, got {sizes[-1]}"
        raise argparse.ArgumentTypeError(message)
    return sizes


def check_model_size(sizes: Sequence[int], batch: int, sizes_option: str, batch_option: str) -> None:
    """Refuse an MLP of these layer sizes past MAX_PARAMETERS, or a batch whose widest
    layer output passes MAX_ACTIVATIONS (a CommandError naming the option), before any
    memory is allocated for it. Evaluation runs in batches of EVAL_BATCH rows."""
    parameters = sum(a * b + b for a, b in zip(sizes, sizes[1:]))
    if parameters > MAX_PARAMETERS:
        raise CommandError(
            f"{sizes_option}: an MLP {list(sizes)} has {parameters:,} parameters, "
            f"more than {MAX_PARAMETERS:,}"
        )
    if max(batch, EVAL_BATCH) * max(sizes) > MAX_ACTIVATIONS:
        raise CommandError(
            f"{batch_option} {batch} x the widest layer ({max(sizes):,}) is more than "
            f"{MAX_ACTIVATIONS:,} values per layer output"
        )


def describe(doc: str | None) -> str:
    """A module docstring as an argparse description: every sentence of it (argparse
    rewraps the text), without the code quotes."""
    return " ".join((doc or "").split()).replace("`", "")


def writable_directory(path: str, option: str = "--out") -> str:
    """Create directory `path` if missing and check that a file can be written in it,
    before any work is done; a CommandError naming `option` otherwise."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise CommandError(f"{option} {path!r} is a file, not a directory")
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as err:
        raise CommandError(f"{option} {path!r} is not a writable directory: {err.strerror or err}") from None
    return path
