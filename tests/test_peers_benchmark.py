"""benchmarks/peers.py: a worker checks its outputs against numpy before it times, and
reports a workload a library cannot run as n/a (the peers themselves are optional)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "peers.py"


def worker(peer, workload):
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--worker", peer, "--workload", workload, "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "workload", ["MLP step 32x64x64x10", "chain 1000 ops, scalars", "HVP tanh(Ax), n=128"]
)
def test_tinygrad_ce_worker_agrees_with_numpy_and_times(workload):
    result = worker("tinygrad_ce", workload)
    assert result["status"] == "ok" and result["error"] < 1e-3 and result["seconds"] > 0


def test_a_workload_a_library_lacks_is_not_applicable():
    assert worker("micrograd", "MLP step 32x64x64x10")["status"] == "n/a"  # (nothing imported)
