"""`bench` in a real process: both steps timed per phase, the table printed and the JSON written (no speed is
asserted; speeds are what it measures)."""

import json
import subprocess
import sys

from conftest import WORKER
from serving import ENV


def test_bench_times_every_phase_of_ep_and_the_dense_equivalent(tmp_path):
    out = tmp_path / "bench.json"
    args = ["bench", "--model", "conv2", "--width", "0.0625", "--batch", "8", "--steps", "2", "--warmup", "1"]
    done = subprocess.run(
        [sys.executable, "-m", "supermask_worker", *args, "--out", str(out)],
        cwd=WORKER, env=ENV, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    record = json.loads(out.read_text())
    ep, dense = record["results"]
    assert (ep["step"], dense["step"]) == ("EP", "dense-equivalent")
    assert all(ep["seconds"][p] > 0 for p in ("mask", "forward", "backward", "optimiser", "telemetry"))
    assert dense["seconds"]["mask"] == 0 and dense["seconds"]["telemetry"] == 0 and dense["seconds"]["forward"] > 0
    assert "dense-equivalent" in done.stdout and "images/s" in done.stdout
