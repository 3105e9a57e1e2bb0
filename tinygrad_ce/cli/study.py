"""`tinygrad-ce study ce-vs-mse`: train the same network, from the same initial weights on
the same data, with (a) softmax + cross-entropy fused, (b) unfused, (c) softmax + MSE,
(d) sigmoid + MSE and (e) linear + MSE; write summary.md/csv, histories.csv, results.json
and the study-*.png plots (see `tinygrad_ce.lab.study`).
"""

from __future__ import annotations

import argparse
import sys

from ..lab.study import (
    StudyConfig,
    digits_available,
    fused_unfused_gradients_agree,
    markdown_table,
    run_study,
    write_results,
)
from .errors import CommandError
from .options import MAX_EPOCHS, describe, float_in, int_in, writable_directory

STUDIES = ("ce-vs-mse",)
DATASETS = ("spiral", "digits")
MAX_SEEDS = 100


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `study` subcommand."""
    parser = subparsers.add_parser(
        "study",
        help="reproducible studies: ce-vs-mse (softmax + cross-entropy against MSE)",
        description=describe(__doc__),
    )
    add = parser.add_argument
    add("name", choices=STUDIES, help="which study to run")
    add(
        "--out",
        default="tinygrad-ce-study",
        help="folder for the results, created if missing (default: %(default)s)",
    )
    add("--images", default=None, help="folder for the study-*.png plots (default: --out)")
    add(
        "--seeds",
        type=int_in(1, MAX_SEEDS),
        default=3,
        help=f"seeds per variant, at most {MAX_SEEDS} (default: %(default)s)",
    )
    add(
        "--epochs",
        type=int_in(1, MAX_EPOCHS),
        default=None,
        help=f"epochs for every dataset, at most {MAX_EPOCHS:,} (default: per dataset)",
    )
    add(
        "--datasets",
        default=None,
        help="comma-separated, from spiral,digits (default: both; digits needs scikit-learn)",
    )
    add(
        "--lr",
        type=float_in(0, bounds="()"),
        default=None,
        help="SGD learning rate for every dataset, > 0 (default: 0.05)",
    )
    add("--quick", action="store_true", help="a seconds-long run: small spiral, few epochs")
    parser.set_defaults(run=run)


def _datasets(text: str | None) -> tuple[str, ...] | None:
    """The --datasets value as names, checked (None: the study's default)."""
    if text is None:
        return None
    datasets = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in datasets if name not in DATASETS]
    if unknown or not datasets:
        names = ", ".join(unknown) or "(empty)"
        raise CommandError(f"--datasets: unknown {names}; choose from {','.join(DATASETS)}")
    if "digits" in datasets and not digits_available():
        raise CommandError("--datasets digits needs scikit-learn: pip install scikit-learn")
    return datasets


def run(args: argparse.Namespace) -> int:
    """Run the study, print its table and write its files; the exit status."""
    datasets = _datasets(args.datasets)
    writable_directory(args.out, "--out")  # before the study, not after it
    if args.images is not None:
        writable_directory(args.images, "--images")
    config = StudyConfig.make(quick=args.quick, seeds=args.seeds, epochs=args.epochs, datasets=datasets)
    for spec in config.datasets:
        spec.lr = args.lr if args.lr is not None else spec.lr

    result = run_study(config, log=lambda line: print(line, flush=True))
    for note in result.skipped:
        print(f"note: skipped {note}")
    print()
    print(markdown_table(result))
    written, note = write_results(result, args.out, args.images)
    if note:
        print(f"note: {note}")
    print("wrote " + ", ".join(str(path) for path in written))
    if not fused_unfused_gradients_agree(result):  # a real mismatch between the two paths
        print(
            "error: the fused and unfused cross-entropy gradients differ by more than rounding",
            file=sys.stderr,
        )
        return 1
    return 0
