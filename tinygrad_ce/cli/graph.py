"""`tinygrad-ce graph`: draw the computation graph of a small model's cross-entropy loss
(forward or backward, fused, unfused or both side by side) to an SVG, PNG, PDF or DOT file.

The format comes from the extension of --out or from --format (svg when neither says);
an --out that is a directory (or ends in a slash) gets graph.<format> inside it. Without
Graphviz's `dot` program only the .dot file is written, and the error says how to
install Graphviz.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from .. import Tensor, nn
from .. import functional as F
from ..lab.viz import draw_backward, draw_comparison, draw_graph
from ..lab.viz.render import FORMATS, GraphvizNotFoundError, render
from .errors import CommandError
from .options import (
    MAX_BATCH,
    MAX_PARAMETERS,
    MAX_WIDTH,
    check_model_size,
    describe,
    int_in,
    mlp_sizes,
    random_seed,
)

MAX_NODES = 100_000


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `graph` subcommand."""
    parser = subparsers.add_parser(
        "graph",
        help="draw the graph of a model's loss (fused, unfused or both)",
        description=describe(__doc__),
    )
    add = parser.add_argument
    add("--model", choices=["mlp"], default="mlp", help="the model (default: mlp)")
    add(
        "--sizes",
        type=mlp_sizes,
        default=[2, 16, 3],
        help=f"layer sizes of the MLP, input,...,classes, each at most {MAX_WIDTH:,}, at most "
        f"{MAX_PARAMETERS:,} parameters in all (default: 2,16,3)",
    )
    add(
        "--loss",
        choices=["fused", "unfused", "both"],
        default="both",
        help="which cross-entropy to draw; both: side by side (default)",
    )
    add(
        "--backward",
        action="store_true",
        help="draw the graph that computes the gradients (recorded with create_graph=True)",
    )
    add("--format", choices=FORMATS, default=None, help="output format (default: from --out, else svg)")
    add(
        "--out",
        default=None,
        help="output file, or a directory to write graph.<format> in (default: graph.<format>)",
    )
    add(
        "--batch",
        type=int_in(1, MAX_BATCH),
        default=4,
        help=f"rows of random input, at most {MAX_BATCH:,} (default: 4)",
    )
    add("--seed", type=random_seed, default=0, help="seed of the weights, inputs and targets (default: 0)")
    add("--collapse", action="store_true", help="draw each module and function scope as one box")
    add(
        "--max-nodes",
        type=int_in(1, MAX_NODES),
        default=500,
        help=f"collapse, then truncate past this many nodes, at most {MAX_NODES:,} (default: 500)",
    )
    add(
        "--rankdir",
        choices=["LR", "TB"],
        default="TB",
        help="top to bottom (default; fits a page) or left to right",
    )
    add("--no-legend", action="store_true", help="leave the legend of node kinds out")
    add("--no-values", action="store_true", help="leave tensor values out of the labels")
    parser.set_defaults(run=run)


def output_path(out: str | None, fmt: str | None) -> tuple[Path, str]:
    """The file to write and its format, from --out and --format."""
    if out is None:
        fmt = fmt or "svg"
        return Path(f"graph.{fmt}"), fmt
    if out.endswith(("/", os.sep)) or Path(out).is_dir():
        if not Path(out).is_dir():
            raise CommandError(f"--out: directory {out!r} does not exist")
        fmt = fmt or "svg"
        return Path(out) / f"graph.{fmt}", fmt
    path = Path(out)
    suffix = path.suffix.lstrip(".").lower()
    supported = "; the format comes from the extension of --out or from --format: svg, png, pdf or dot"
    if suffix and suffix not in FORMATS and fmt is None:
        raise CommandError(f"--out {out!r}: .{suffix} is not a supported format{supported}")
    fmt = fmt or suffix or "svg"
    if not suffix:
        path = path.with_suffix("." + fmt)
    elif suffix != fmt:
        raise CommandError(f"--out {out!r} does not end in .{fmt} (--format {fmt}){supported}")
    if not path.parent.is_dir():
        raise CommandError(f"--out: directory {str(path.parent)!r} does not exist")
    return path, fmt


def run(args: argparse.Namespace) -> int:
    """Draw the graph as `args` says and write it; the exit status."""
    sizes = args.sizes
    check_model_size(sizes, args.batch, "--sizes", "--batch")
    path, fmt = output_path(args.out, args.format)
    rng = np.random.default_rng(args.seed)
    model = nn.MLP(sizes, rng=args.seed)
    x = Tensor(rng.normal(size=(args.batch, sizes[0])).astype(np.float32), name="x")
    target = rng.integers(0, sizes[-1], size=args.batch)
    options = dict(
        show_values=not args.no_values,
        rankdir=args.rankdir,
        collapse=args.collapse,
        max_nodes=args.max_nodes,
        model=model,
        legend=not args.no_legend,
    )
    logits = model(x)
    if args.loss == "both":
        graph = draw_comparison(logits, target, backward=args.backward, **options)
    else:
        loss = F.cross_entropy(logits, target, fused=args.loss == "fused")
        loss.name = "loss"
        graph = draw_backward(loss, **options) if args.backward else draw_graph(loss, **options)
    try:
        written = render(graph, path, fmt)
    except GraphvizNotFoundError as err:
        raise CommandError(str(err)) from None
    except RuntimeError as err:
        raise CommandError(str(err)) from None
    print(f"wrote {written}")
    return 0
