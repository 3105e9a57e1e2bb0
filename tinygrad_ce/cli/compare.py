"""`tinygrad-ce compare`: the fused against the unfused cross-entropy on random logits
(loss, gradient, time, memory, graph size), or a sweep over the logit gap and dtype.

--batch x --classes may be at most 16,777,216 logits. --sweep runs its own logit gaps
(1 to 1000) in float32 and float64, so it refuses --scale, --dtype, --repeats and
--ignore-index.
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np

from ..lab.compare import compare_cross_entropy, format_sweep, make_logits, plot_sweep, sweep
from .errors import CommandError
from .options import MAX_BATCH, MAX_LOGITS, describe, float_in, int_in, random_seed

MAX_CLASSES, MAX_REPEATS = 1_000_000, 1_000
MAX_SCALE = 1e6  # far past every underflow (745 in float64), far below float32 overflow
DEFAULTS = {"scale": 10.0, "dtype": "float32", "repeats": 5}  # the single comparison's (not the sweep's)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `compare` subcommand."""
    parser = subparsers.add_parser(
        "compare", help="compare the fused and the unfused cross-entropy", description=describe(__doc__),
    )
    add = parser.add_argument
    add("--batch", type=int_in(1, MAX_BATCH), default=1024, help="rows of logits (default: 1024)")
    add("--classes", type=int_in(2, MAX_CLASSES), default=100,
        help=f"classes, 2 to {MAX_CLASSES:,} (default: 100)")
    add("--dtype", choices=["float32", "float64"], default=None, help="default: float32")
    add("--scale", type=float_in(0, MAX_SCALE), default=None,
        help=f"logit gap: every row spans exactly this much, max - min, in [0, {MAX_SCALE:g}] (default: 10)")
    add("--reduction", choices=["mean", "sum", "none"], default="mean", help="default: mean")
    add("--label-smoothing", type=float_in(0, 1, "[]"), default=0.0, help="in [0, 1] (default: 0)")
    add("--weights", choices=["none", "random"], default="none",
        help="class weights: none, or random in [0.5, 2)")
    add("--ignore-index", type=int_in(-(2**31), 2**31 - 1), default=None,
        help="a class index to ignore; a tenth of the rows get it as their target")
    add("--repeats", type=int_in(1, MAX_REPEATS), default=None,
        help=f"timing repeats, median shown, at most {MAX_REPEATS:,} (default: 5)")
    add("--seed", type=random_seed, default=0, help="seed of the logits, targets and weights (default: 0)")
    add("--json", action="store_true", help="print JSON instead of a table")
    add("--sweep", action="store_true", help="sweep logit gaps 1..1000 in float32 and float64 instead")
    add("--plot", default=None, help="with --sweep: also save a plot (.png/.svg/.pdf)")
    parser.set_defaults(run=run)


def _check(args: argparse.Namespace) -> None:
    """Refuse option combinations that cannot apply, then fill in the defaults."""
    if args.batch * args.classes > MAX_LOGITS:
        logits = f"--batch {args.batch} x --classes {args.classes}"
        raise CommandError(f"{logits} is more than {MAX_LOGITS:,} logits")
    if args.plot is not None and not args.sweep:
        raise CommandError("--plot needs --sweep")
    if args.sweep:
        given = [name for name in (*DEFAULTS, "ignore_index") if getattr(args, name) is not None]
        if given:
            option = "--" + given[0].replace("_", "-")
            raise CommandError(f"--sweep does not take {option} (it sweeps gaps 1..1000, float32 and 64)")
    if args.plot is not None:
        folder = os.path.dirname(os.path.abspath(args.plot))
        if not os.path.isdir(folder):
            raise CommandError(f"--plot: directory {folder!r} does not exist")
    for name, value in DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, value)


def run(args: argparse.Namespace) -> int:
    """Compare (or sweep) as `args` says and print the result; the exit status."""
    _check(args)
    rng = np.random.default_rng(args.seed)
    options: dict = {"reduction": args.reduction, "label_smoothing": args.label_smoothing}
    if args.weights == "random":
        options["weight"] = rng.uniform(0.5, 2.0, size=args.classes)
    target = rng.integers(0, args.classes, size=args.batch)
    if args.ignore_index is not None:
        options["ignore_index"] = args.ignore_index
        target[rng.random(args.batch) < 0.1] = args.ignore_index
    if args.sweep:
        rows = sweep(batch=args.batch, classes=args.classes, seed=args.seed, **options)
        if args.json:
            print(json.dumps([row.to_dict() for row in rows], indent=2))
        else:
            print(format_sweep(rows))
        if args.plot is not None:
            try:
                print(f"wrote {plot_sweep(rows, args.plot)}")
            except ModuleNotFoundError as err:
                raise CommandError(str(err)) from None
        return 0
    logits = make_logits(args.batch, args.classes, args.scale, np.dtype(args.dtype), rng)
    try:
        result = compare_cross_entropy(logits, target, repeats=args.repeats, **options)
    except IndexError as err:  # an --ignore-index outside [0, C) is fine, other bad targets are not
        raise CommandError(str(err)) from None
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(result)
    return 0
