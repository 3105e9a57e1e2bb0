"""`tinygrad-ce graph`: draw the computation graph of a small model's cross-entropy loss
(forward or backward, fused, unfused or both side by side) to an SVG, PNG, PDF or DOT file."""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from tinygrad_ce.cli import CommandError

FORMATS = ("svg", "png", "pdf", "dot")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "graph", help="draw the graph of a model's loss (fused, unfused or both)",
        description="Draw the computation graph of an MLP's cross-entropy loss with Graphviz. Without "
        "Graphviz's `dot` program only the .dot file is written (and the error says how to install it).",
    )
    add = parser.add_argument
    add("--model", choices=["mlp"], default="mlp", help="the model (default: mlp)")
    add("--sizes", default="2,16,3", help="layer sizes of the MLP, comma-separated (default: 2,16,3)")
    add("--loss", choices=["fused", "unfused", "both"], default="both",
        help="which cross-entropy to draw; both: side by side (default)")
    add("--backward", action="store_true",
        help="draw the graph that computes the gradients (recorded with create_graph=True)")
    add("--format", choices=FORMATS, default=None, help="output format (default: from --out, else svg)")
    add("--out", default=None, help="output file (default: graph.<format>)")
    add("--batch", type=int, default=4, help="rows of random input (default: 4)")
    add("--seed", type=int, default=0, help="seed of the weights, inputs and targets")
    add("--collapse", action="store_true", help="draw each module and function scope as one box")
    add("--max-nodes", type=int, default=500, help="collapse, then truncate past this many nodes")
    add("--rankdir", choices=["LR", "TB"], default="LR", help="left to right or top to bottom")
    add("--no-values", action="store_true", help="leave tensor values out of the labels")
    parser.set_defaults(run=run)


def parse_sizes(text: str) -> list[int]:
    """"2,16,3" -> [2, 16, 3]; at least two positive integers."""
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise CommandError(f"--sizes must be comma-separated integers like 2,16,3, got {text!r}") from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise CommandError(f"--sizes needs at least two positive sizes (input,...,classes), got {text!r}")
    if sizes[-1] < 2:
        raise CommandError(f"--sizes: the last size is the number of classes, at least 2, got {sizes[-1]}")
    return sizes


def output_path(out: str | None, fmt: str | None) -> tuple[Path, str]:
    """The file to write and its format, from --out and --format."""
    if out is None:
        fmt = fmt or "svg"
        return Path(f"graph.{fmt}"), fmt
    path = Path(out)
    suffix = path.suffix.lstrip(".").lower()
    if fmt is None:
        fmt = suffix if suffix in FORMATS else "svg"
    if not suffix:
        path = path.with_suffix("." + fmt)
    elif suffix != fmt:
        raise CommandError(f"--out {out!r} does not end in .{fmt} (--format {fmt})")
    if not path.parent.is_dir():
        raise CommandError(f"--out: directory {str(path.parent)!r} does not exist")
    return path, fmt


def run(args: argparse.Namespace) -> int:
    from tinygrad_ce import Tensor, nn
    from tinygrad_ce import functional as F
    from tinygrad_ce.viz import GraphvizNotFoundError, draw_backward, draw_comparison, draw_graph, render

    sizes = parse_sizes(args.sizes)
    if args.batch < 1:
        raise CommandError(f"--batch must be at least 1, got {args.batch}")
    if args.max_nodes < 1:
        raise CommandError(f"--max-nodes must be at least 1, got {args.max_nodes}")
    path, fmt = output_path(args.out, args.format)
    rng = np.random.default_rng(args.seed)
    model = nn.MLP(sizes, rng=args.seed)
    x = Tensor(rng.normal(size=(args.batch, sizes[0])).astype(np.float32), name="x")
    target = rng.integers(0, sizes[-1], size=args.batch)
    options = dict(show_values=not args.no_values, rankdir=args.rankdir, collapse=args.collapse,
                   max_nodes=args.max_nodes, params=model)
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
