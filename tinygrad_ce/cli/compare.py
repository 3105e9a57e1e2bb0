"""`tinygrad-ce compare`: the fused against the unfused cross-entropy on random logits
(loss, gradient, time, memory, graph size), or a sweep over the logit gap and dtype.

--batch x --classes may be at most 16,777,216 logits. --sweep runs its own logit gaps
(1 to 1000) in float32 and float64, so it refuses --scale, --dtype, --repeats and
--ignore-index. --op conv2d, layer_norm or attention compares that fused op with its
composed twin instead (compare_fused) on small random inputs of --batch samples (default
4); they take --batch, --dtype, --repeats, --seed and --json, not the cross-entropy's options.
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np

from .. import functional as F
from ..lab.compare import (
    CrossEntropyComparison,
    FusedComparison,
    compare_cross_entropy,
    compare_fused,
    format_sweep,
    make_logits,
    plot_sweep,
    sweep,
)
from ..tensor import Tensor
from .errors import CommandError
from .options import MAX_BATCH, MAX_LOGITS, describe, float_in, int_in, random_seed

MAX_CLASSES, MAX_REPEATS = 1_000_000, 1_000
MAX_SCALE = 1e6  # far past every underflow (745 in float64), far below float32 overflow
DEFAULTS = {"scale": 10.0, "dtype": "float32", "repeats": 5}  # the single comparison's (not the sweep's)
CE_DEFAULTS = {"batch": 1024, "classes": 100, "reduction": "mean", "label_smoothing": 0.0, "weights": "none"}
OPS = ("cross_entropy", "conv2d", "layer_norm", "attention")
MAX_OP_BATCH = 4096  # samples of the other ops' inputs (at most ~4 MB each in float64)
OP_BATCH = 4  # their default --batch


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `compare` subcommand."""
    parser = subparsers.add_parser(
        "compare",
        help="compare a fused op and its composed twin (default: the cross-entropy)",
        description=describe(__doc__),
    )
    add = parser.add_argument
    add("--op", choices=OPS, default="cross_entropy", help="the fused op to compare (default: cross_entropy)")
    add(
        "--batch",
        type=int_in(1, MAX_BATCH),
        default=None,
        help=f"rows of logits (default: 1024); other ops: samples, at most {MAX_OP_BATCH:,} "
        f"(default: {OP_BATCH})",
    )
    add(
        "--classes",
        type=int_in(2, MAX_CLASSES),
        default=None,
        help=f"classes, 2 to {MAX_CLASSES:,} (default: 100)",
    )
    add("--dtype", choices=["float32", "float64"], default=None, help="default: float32")
    add(
        "--scale",
        type=float_in(0, MAX_SCALE),
        default=None,
        help=f"logit gap: every row spans exactly this much, max - min, in [0, {MAX_SCALE:g}] (default: 10)",
    )
    add("--reduction", choices=["mean", "sum", "none"], default=None, help="default: mean")
    add("--label-smoothing", type=float_in(0, 1, "[]"), default=None, help="in [0, 1] (default: 0)")
    add(
        "--weights",
        choices=["none", "random"],
        default=None,
        help="class weights: none, or random in [0.5, 2)",
    )
    add(
        "--ignore-index",
        type=int_in(-(2**31), 2**31 - 1),
        default=None,
        help="a class index to ignore; a tenth of the rows get it as their target",
    )
    add(
        "--repeats",
        type=int_in(1, MAX_REPEATS),
        default=None,
        help=f"timing repeats, median shown, at most {MAX_REPEATS:,} (default: 5)",
    )
    add("--seed", type=random_seed, default=0, help="seed of the logits, targets and weights (default: 0)")
    add("--json", action="store_true", help="print JSON instead of a table")
    add("--sweep", action="store_true", help="sweep logit gaps 1..1000 in float32 and float64 instead")
    add("--plot", default=None, help="with --sweep: also save a plot (.png/.svg/.pdf)")
    parser.set_defaults(run=run)


def _check(args: argparse.Namespace) -> None:
    """Refuse option combinations that cannot apply, then fill in the defaults."""
    if args.op != "cross_entropy":
        only = (
            "classes",
            "reduction",
            "label_smoothing",
            "weights",
            "scale",
            "ignore_index",
            "sweep",
            "plot",
        )
        given = [
            name for name in only if getattr(args, name) is not None and getattr(args, name) is not False
        ]  # (a given 0 counts)
        if given:
            option = "--" + given[0].replace("_", "-")
            raise CommandError(f"--op {args.op} does not take {option} (a cross-entropy option)")
        if args.batch is not None and args.batch > MAX_OP_BATCH:
            raise CommandError(f"--op {args.op} takes --batch up to {MAX_OP_BATCH:,}, got {args.batch:,}")
        args.batch = OP_BATCH if args.batch is None else args.batch
    for name, value in CE_DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
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


def _fused_op(args: argparse.Namespace) -> FusedComparison:
    """compare_fused on one of the other ops, with small random inputs of --batch samples."""
    rng = np.random.default_rng(args.seed)

    def t(*shape: int) -> Tensor:
        return Tensor(rng.standard_normal(shape).astype(args.dtype), requires_grad=True)

    n = args.batch
    if args.op == "conv2d":  # x (N, 3, 8, 8), weight (4, 3, 3, 3), bias (4,), padding 1
        return compare_fused(F.conv2d, t(n, 3, 8, 8), t(4, 3, 3, 3), t(4), padding=1, repeats=args.repeats)
    if args.op == "layer_norm":  # x (N, 8, 32) over its last axis, weight and bias (32,)
        return compare_fused(F.layer_norm, t(n, 8, 32), (32,), t(32), t(32), repeats=args.repeats)
    # attention: q, k, v (N, 2 heads, 8 positions, 16 features)
    return compare_fused(
        F.scaled_dot_product_attention, t(n, 2, 8, 16), t(n, 2, 8, 16), t(n, 2, 8, 16), repeats=args.repeats
    )


def run(args: argparse.Namespace) -> int:
    """Compare (or sweep) as `args` says and print the result; the exit status."""
    _check(args)
    if args.op != "cross_entropy":
        result: FusedComparison | CrossEntropyComparison = _fused_op(args)
        print(json.dumps(result.to_dict(), indent=2) if args.json else result)
        return 0
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
