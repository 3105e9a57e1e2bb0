"""Shared benchmark plumbing: each implementation runs in its own subprocess (numpy's
BLAS threads and torch's in one process distort each other); the implementations
alternate over several rounds and each keeps its best time (on a shared VM the noise
only ever adds time); results are printed as ratios measured side by side in one run."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # benchmark the checkout, installed or not


def has_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def best_time(fn: Callable[[], object], repeats: int = 7, min_seconds: float = 0.05) -> float:
    """Best seconds per call of `fn` over `repeats` batches of calls."""
    fn()  # warm up
    number, start = 1, time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    number = max(1, int(min_seconds / once))
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return min(samples)


THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_threads = 1  # set by parse_args


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def parse_args(doc: str | None, argv: list[str] | None = None) -> argparse.Namespace:
    """A benchmark's command line, parsed before any work (so `--help` only prints the
    script's docstring and usage): `--threads N`, and the hidden `--worker IMPL --params
    JSON` with which `measure` starts a worker process."""
    global _threads
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--threads",
        type=_positive_int,
        default=1,
        help="BLAS/torch threads per implementation process (default: 1)",
    )
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)  # one measurement, as JSON
    parser.add_argument("--params", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    _threads = args.threads
    return args


def script_main(doc: str | None, run: Callable[[str, dict], dict], main: Callable[[], None]) -> None:
    """The entry point of a benchmark script: parse the arguments, then either run one
    measurement as a worker (print its JSON) or the whole benchmark (`main`)."""
    args = parse_args(doc)
    if args.worker is None:
        main()
        return
    if args.worker.startswith("torch"):  # only torch's own process ever imports it
        import torch

        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    print(json.dumps(run(args.worker, json.loads(args.params))))


def threads() -> int:
    """Threads each implementation may use (`--threads N`, default 1): on a small shared
    machine, multithreaded BLAS makes timings swing by 10x from run to run."""
    return _threads


def measure(script: str, impl: str, params: dict) -> dict:
    """Run `script --worker impl` in a fresh interpreter (with `threads()` BLAS/torch
    threads) and return its JSON result."""
    env = dict(os.environ, **{name: str(threads()) for name in THREAD_VARIABLES})
    done = subprocess.run(
        [sys.executable, script, "--worker", impl, "--params", json.dumps(params)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{impl} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_rounds(script: str, impls: list[str], params: dict, rounds: int = 3) -> dict[str, dict]:
    """`measure` each implementation `rounds` times, alternating; keep each one's best."""
    best: dict[str, dict] = {}
    for _ in range(rounds):
        for impl in impls:
            result = measure(script, impl, params)
            if impl not in best or result["seconds"] < best[impl]["seconds"]:
                best[impl] = result
    return best


def table(headers: list[str], rows: list[list[object]]) -> str:
    cells = [headers] + [[f"{c:.3g}" if isinstance(c, float) else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
