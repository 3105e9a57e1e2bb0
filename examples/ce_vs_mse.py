"""Why softmax + cross-entropy: train the same network with CE (fused and unfused) and with
MSE on softmax, sigmoid and linear outputs, and write the table and plots.

    python examples/ce_vs_mse.py                 # the full study (under a minute)
    python examples/ce_vs_mse.py --quick         # a few seconds: small spiral, 60 epochs

Same as `tinygrad-ce study ce-vs-mse`; see docs/study.md for what the results mean.
"""

from __future__ import annotations

import argparse

from tinygrad_ce.lab.study import (
    StudyConfig,
    fused_unfused_gradients_agree,
    markdown_table,
    run_study,
    write_results,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="ce-vs-mse", help="results folder (default: %(default)s)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=None, help="override every dataset's epochs")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)

    result = run_study(StudyConfig.make(quick=args.quick, seeds=args.seeds, epochs=args.epochs))
    print(markdown_table(result))
    written, note = write_results(result, args.out)
    print(note or f"wrote {len(written)} files to {args.out}/")
    return 0 if fused_unfused_gradients_agree(result) else 1


if __name__ == "__main__":
    raise SystemExit(main())
