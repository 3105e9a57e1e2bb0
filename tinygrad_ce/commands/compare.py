"""`tinygrad-ce compare`: the fused against the unfused cross-entropy on random logits
(loss, gradient, time, memory, graph size), or a sweep over the logit gap and dtype."""
from __future__ import annotations

import argparse
import json

import numpy as np

from tinygrad_ce.cli import CommandError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compare", help="compare the fused and the unfused cross-entropy",
        description="Run the fused and the unfused cross-entropy on the same random logits and compare "
        "losses, gradients, time, peak memory and graph size; --sweep runs over logit gaps and dtypes.",
    )
    parser.add_argument("--batch", type=int, default=1024, help="rows of logits (default: 1024)")
    parser.add_argument("--classes", type=int, default=100, help="classes (default: 100)")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--scale", type=float, default=10.0,
                        help="logit gap: every row spans exactly this much, max - min (default: 10)")
    parser.add_argument("--reduction", choices=["mean", "sum", "none"], default="mean")
    parser.add_argument("--label-smoothing", type=float, default=0.0)
    parser.add_argument("--weights", choices=["none", "random"], default="none",
                        help="class weights: none, or random in [0.5, 2)")
    parser.add_argument("--ignore-index", type=int, default=None,
                        help="a class index to ignore; a tenth of the rows get it as their target")
    parser.add_argument("--repeats", type=int, default=5, help="timing repeats, median shown (default: 5)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--sweep", action="store_true",
                        help="sweep logit gaps 1..1000 in float32 and float64 instead")
    parser.add_argument("--plot", default=None, help="with --sweep: also save a plot (.png/.svg/.pdf)")
    parser.set_defaults(run=run)


def _check(args: argparse.Namespace) -> None:
    if args.batch < 1:
        raise CommandError(f"--batch must be at least 1, got {args.batch}")
    if args.classes < 2:
        raise CommandError(f"--classes must be at least 2, got {args.classes}")
    if args.repeats < 1:
        raise CommandError(f"--repeats must be at least 1, got {args.repeats}")
    if not 0.0 <= args.label_smoothing <= 1.0:
        raise CommandError(f"--label-smoothing must be in [0, 1], got {args.label_smoothing}")
    if not np.isfinite(args.scale) or args.scale < 0:
        raise CommandError(f"--scale must be a finite number >= 0, got {args.scale}")
    if args.plot is not None and not args.sweep:
        raise CommandError("--plot needs --sweep")


def run(args: argparse.Namespace) -> int:
    from tinygrad_ce.compare import compare_cross_entropy, format_sweep, make_logits, plot_sweep, sweep

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
        if args.ignore_index is not None:
            raise CommandError("--sweep does not take --ignore-index")
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
