"""tinygrad_ce against the other autograd libraries that are installed: PyTorch, JAX
(eager and jax.jit), HIPS autograd, DeZero, MyGrad, micrograd and tinygrad, plus the
numpy floor written by hand, on the same workloads: MLP steps at two sizes, batch and
depth scaling, the fused cross-entropy, op chains (1000 and 50,000 ops; on (16, 16)
arrays and on scalars), a Hessian-vector product and the CNN step.

Each (library, workload) runs in its own process, pinned to one core (taskset, when it
exists) with one BLAS/XLA/torch thread; its outputs (loss, gradients) are checked
against the numpy reference before anything is timed; each keeps its best time over
the rounds, which alternate between the libraries. A library that is not installed is
skipped with a note; one that cannot run a workload is "n/a"; one that runs past the
per-process timeout is "timeout". The table gives each library's time divided by
tinygrad_ce's (above 1: tinygrad_ce is faster); the JSON (benchmarks/results/peers.json)
holds every time.

Install the peers (benchmark-only, never dependencies of tinygrad_ce):
    pip install torch==2.13.0 dezero autograd mygrad micrograd jax tinygrad   (tinygrad needs clang)
Run: python benchmarks/peers.py [--quick] [--only WORKLOAD,...] [--peers NAME,...]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from harness import table

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "peers.json"
SMALL, MID = [64, 64, 10], [784, 256, 10]
WORKLOADS = {  # name -> (kind, spec)
    "MLP step 32x64x64x10": ("mlp", {"batch": 32, "sizes": SMALL}),
    "MLP step 128x784x256x10": ("mlp", {"batch": 128, "sizes": MID}),
    "batch 8 (784x256x10)": ("mlp", {"batch": 8, "sizes": MID}),
    "batch 1024 (784x256x10)": ("mlp", {"batch": 1024, "sizes": MID}),
    "depth 8 (32x[64]x8x10)": ("mlp", {"batch": 32, "sizes": [64] * 9 + [10]}),
    "fused CE 4096x1000": ("ce", {"shape": [4096, 1000]}),
    "chain 1000 ops (16,16)": ("chain", {"n_ops": 1000, "shape": [16, 16]}),
    "chain 1000 ops, scalars": ("chain", {"n_ops": 1000, "shape": []}),
    "chain 50,000 ops (16,16)": ("chain", {"n_ops": 50_000, "shape": [16, 16]}),
    "chain 50,000 ops, scalars": ("chain", {"n_ops": 50_000, "shape": []}),
    "HVP tanh(Ax), n=128": ("hvp", {"n": 128}),
    "CNN step 32x1x28x28": ("cnn", {}),
}
PEERS = {  # name -> the module that must be importable
    "numpy": "numpy",
    "tinygrad_ce": "tinygrad_ce",
    "torch": "torch",
    "jax": "jax",
    "jax.jit": "jax",
    "autograd": "autograd",
    "dezero": "dezero",
    "mygrad": "mygrad",
    "micrograd": "micrograd",
    "tinygrad": "tinygrad",
}
THREAD_ENV = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "JAX_PLATFORMS": "cpu",
    "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
    "DEV": "CPU",  # tinygrad's CPU backend (it compiles kernels with clang)
}


def builder(peer: str, kind: str):
    """The (step, check) builder of `peer` for a workload kind, or None (n/a)."""
    import peer_steps
    import peer_steps_more
    import peer_steps_tinygrad

    if peer in ("jax", "jax.jit", "autograd"):
        return peer_steps_more.functional_builders(peer.split(".")[0], jit=peer == "jax.jit")[kind]
    name = f"{peer}_{kind}"
    found = [getattr(m, name, None) for m in (peer_steps, peer_steps_more, peer_steps_tinygrad)]
    return next((f for f in found if f is not None), None)


CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}


def best_time(fn, repeats: int, min_seconds: float, clock: str) -> float:
    """Best seconds per call of `fn` over `repeats` batches of calls, by `clock`: "cpu",
    the process's CPU time (all its threads; what a busy shared machine disturbs least:
    time spent waiting for a core is not counted), or "wall"."""
    now = CLOCKS[clock]
    fn()  # warm up (and jit compiles)
    start = now()
    fn()
    number = max(1, int(min_seconds / max(now() - start, 1e-7)))
    samples = []
    for _ in range(repeats):
        start = now()
        for _ in range(number):
            fn()
        samples.append((now() - start) / number)
    return min(samples)


def _compare(got: list, want: list) -> float:
    """The largest difference over the outputs, each relative to the reference's scale."""
    if len(got) != len(want):
        raise ValueError(f"{len(got)} outputs, expected {len(want)}")
    worst = 0.0
    for a, b in zip(got, want):
        a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
        if a.shape != b.shape:
            a = a.reshape(b.shape)  # (column vectors, 0-d vs 1-element)
        worst = max(worst, float(np.abs(a - b).max() / (np.abs(b).max() + 1e-12)))
    return worst


def worker(peer: str, workload: str, quick: bool, clock: str) -> dict:
    """Build, check against numpy, then time one (peer, workload): a JSON-able dict."""
    import peer_steps

    if peer == "torch":
        import torch

        torch.set_num_threads(1)
    kind, spec = WORKLOADS[workload]
    make = builder(peer, kind)
    if make is None:
        return {"status": "n/a"}
    try:
        step, check = make(spec)
    except peer_steps.Unsupported as why:
        return {"status": "n/a", "note": str(why)}
    want = builder("numpy", kind)(spec)[1]()
    error = _compare(check(), want)
    tolerance = 2e-3 if kind == "chain" else 1e-3
    if not error <= tolerance:
        return {"status": "mismatch", "error": error}
    if kind == "chain" and spec["n_ops"] > 5000:  # seconds a call: the check was the warm-up
        now, seconds = CLOCKS[clock], float("inf")
        for _ in range(1 if quick else 2):
            start = now()
            step()
            seconds = min(seconds, now() - start)
    else:
        seconds = best_time(step, 3 if quick else 7, 0.02 if quick else 0.1, clock)
    return {"status": "ok", "seconds": seconds, "error": error}


def _command(peer: str, workload: str, quick: bool, clock: str) -> list[str]:
    cmd = [sys.executable, __file__, "--worker", peer, "--workload", workload, "--clock", clock]
    cmd += ["--quick"] if quick else []
    if shutil.which("taskset") and hasattr(os, "sched_getaffinity"):
        core = max(os.sched_getaffinity(0))
        cmd = ["taskset", "-c", str(core)] + cmd
    return cmd


def measure(peer: str, workload: str, quick: bool, timeout: float, clock: str) -> dict:
    env = dict(os.environ, **THREAD_ENV)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE.parent), str(HERE), env.get("PYTHONPATH", "")])
    start = time.perf_counter()
    try:
        done = subprocess.run(
            _command(peer, workload, quick, clock), capture_output=True, text=True, env=env, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "after_seconds": timeout}
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines() or [f"exit status {done.returncode}"]
        return {"status": "error", "note": lines[-1][:200]}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall"] = time.perf_counter() - start
    return result


def cell(result: dict, ours: float | None) -> str:
    if result.get("status") != "ok":
        return result.get("status", "?")
    return f"{result['seconds'] / ours:.2f}" if ours else f"{result['seconds'] * 1e3:.3g} ms"


def main(args: argparse.Namespace) -> None:
    workloads = [w for w in WORKLOADS if not args.only or any(o.strip() in w for o in args.only.split(","))]
    wanted = [p for p in PEERS if not args.peers or p in args.peers.split(",") or p == "tinygrad_ce"]
    peers, missing = [], []
    for p in wanted:
        (peers if importlib.util.find_spec(PEERS[p]) is not None else missing).append(p)
    results: dict[str, dict[str, dict]] = {w: {} for w in workloads}
    rounds = 1 if args.quick else args.rounds
    timeout = args.timeout or (45.0 if args.quick else 240.0)
    for _ in range(rounds):
        for w in workloads:
            for p in peers:
                old = results[w].get(p)
                if old is not None and old.get("status") != "ok":
                    continue  # n/a, error, timeout: not worth another round
                new = measure(p, w, args.quick, timeout, args.clock)
                if old is None or (new.get("status") == "ok" and new["seconds"] < old["seconds"]):
                    results[w][p] = new
                print(f"  {w:28s} {p:12s} {cell(results[w][p], None)}", file=sys.stderr, flush=True)
    others = [p for p in peers if p != "tinygrad_ce"]
    rows = []
    for w in workloads:
        ours = results[w].get("tinygrad_ce", {})
        base = ours.get("seconds") if ours.get("status") == "ok" else None
        rows.append([w, cell(ours, None)] + [cell(results[w][p], base) for p in others])
    headers = ["workload", "tinygrad_ce"] + [f"{p} / ours" for p in others]
    print(
        f"each library's time / tinygrad_ce's (above 1: tinygrad_ce is faster); {args.clock} time, "
        f"best of {rounds} round(s), one core, one thread"
    )
    print(markdown(headers, rows))
    if missing:
        print(f"not installed (skipped): {', '.join(missing)}")
    if args.json:
        RESULTS.parent.mkdir(exist_ok=True)
        info = {
            "command": " ".join(["python", "benchmarks/peers.py", *sys.argv[1:]]),
            "rounds": rounds,
            "clock": args.clock,
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.python_version()}",
            "versions": versions(peers),
            "missing": missing,
            "results": results,
        }
        RESULTS.write_text(json.dumps(info, indent=1) + "\n")
        print(f"wrote {RESULTS.relative_to(HERE.parent)}")
    print(
        table(
            ["workload", "tinygrad_ce"],
            [[w, cell(results[w].get("tinygrad_ce", {}), None)] for w in workloads],
        )
    )


def markdown(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    return "\n".join(lines + ["| " + " | ".join(map(str, row)) + " |" for row in rows])


def versions(peers: list[str]) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for p in peers:
        name = PEERS[p]
        try:
            out[p] = version(name)
        except PackageNotFoundError:
            out[p] = "checkout"
    return out


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="one round, fewer repeats (a few minutes)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds without --quick (default 3)")
    parser.add_argument("--only", default="", help="comma-separated substrings of the workloads to run")
    parser.add_argument("--peers", default="", help="comma-separated libraries (tinygrad_ce always runs)")
    parser.add_argument("--timeout", type=float, default=0.0, help="seconds per process (45 quick, else 240)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu", help="cpu (default) or wall time")
    parser.add_argument("--no-json", dest="json", action="store_false", help="do not write the JSON file")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--workload", default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse()
    if arguments.worker is None:
        main(arguments)
    else:
        print(json.dumps(worker(arguments.worker, arguments.workload, arguments.quick, arguments.clock)))
