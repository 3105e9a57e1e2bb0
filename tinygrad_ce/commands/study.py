"""`tinygrad-ce study ce-vs-mse`: train the same network with softmax + cross-entropy
(fused and unfused) and with MSE on softmax, sigmoid and linear outputs; write the table,
the histories and the plots (see `tinygrad_ce.study`)."""

from __future__ import annotations

import argparse
import sys

STUDIES = ("ce-vs-mse",)
DATASETS = ("spiral", "digits")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "study",
        help="reproducible studies: ce-vs-mse (softmax + cross-entropy against MSE)",
        description="Train the same network, from the same initial weights on the same data, with "
        "(a) softmax + CE fused, (b) unfused, (c) softmax + MSE, (d) sigmoid + MSE, "
        "(e) linear + MSE; write summary.md/csv, histories.csv, results.json and study-*.png.",
    )
    parser.add_argument("name", choices=STUDIES, help="which study to run")
    parser.add_argument(
        "--out", default="tinygrad-ce-study", help="folder for the results (default: %(default)s)"
    )
    parser.add_argument("--images", default=None, help="folder for the study-*.png plots (default: --out)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per variant (default: %(default)s)")
    parser.add_argument(
        "--epochs", type=int, default=None, help="epochs for every dataset (default: per dataset)"
    )
    parser.add_argument(
        "--datasets",
        default=None,
        help="comma-separated, from spiral,digits (default: both; digits needs scikit-learn)",
    )
    parser.add_argument(
        "--lr", type=float, default=None, help="SGD learning rate for every dataset (default: 0.05)"
    )
    parser.add_argument("--quick", action="store_true", help="a seconds-long run: small spiral, few epochs")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from tinygrad_ce.cli import CommandError
    from tinygrad_ce.study import StudyConfig, digits_available, fused_unfused_gradients_agree, run_study
    from tinygrad_ce.study_report import markdown_table, write_results

    if args.seeds < 1:
        raise CommandError(f"--seeds must be at least 1, got {args.seeds}")
    if args.epochs is not None and args.epochs < 1:
        raise CommandError(f"--epochs must be at least 1, got {args.epochs}")
    datasets = None
    if args.datasets is not None:
        datasets = tuple(name.strip() for name in args.datasets.split(",") if name.strip())
        unknown = [name for name in datasets if name not in DATASETS]
        if unknown or not datasets:
            raise CommandError(
                f"--datasets: unknown {', '.join(unknown) or '(empty)'}; choose from {','.join(DATASETS)}"
            )
        if "digits" in datasets and not digits_available():
            raise CommandError("--datasets digits needs scikit-learn: pip install scikit-learn")
    if args.lr is not None and not 0 < args.lr < float("inf"):
        raise CommandError(f"--lr must be a positive number, got {args.lr}")
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
