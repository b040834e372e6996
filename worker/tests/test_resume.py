"""Nothing lost: a real training process killed with SIGKILL mid-run, then resumed on the same runs folder, leaves
telemetry identical to a run never interrupted (no report lost, none repeated, none different), apart from the
wall-clock fields listed in WALL_CLOCK."""

import json
import os
import signal
import subprocess
import sys

from supermask_worker.process import HOLD_ENV
from conftest import WORKER, tiny_config

# Fields that measure time, not the search: they differ between any two runs.
WALL_CLOCK = ("imagesPerSecond",)

# 10 steps per epoch, 2 epochs; iEP's 4 cycles end at steps 5, 10, 15, 20; IteRand re-draws before steps 3, 6, 9, …;
# reports every 3 steps. The dense and IteRand runs resume their trained / re-drawn weights and their momentum.
CONFIG = tiny_config(epochs=2, trainLimit=80, reportEvery=3, iep={"variant": "hard", "scores": "rewind"})
CONFIG["runs"] += [
    {"id": "dense", "label": "dense", "method": "dense", "dense": {"learningRate": 0.05}},
    {"id": "iterand", "label": "IteRand", "method": "iterand", "iterand": {"kPer": 3, "lambda": 0.2}},
]
DETERMINISTIC = {**os.environ, "OMP_NUM_THREADS": "1"}  # torch's CPU threads would change the last bits


def command(tmp_path, *args):
    runs = str(tmp_path / "runs")
    return [sys.executable, "-m", "supermask_worker", *args, "--runs-dir", runs, "--checkpoint-every", "4"]


def config_file(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(CONFIG))
    return str(path)


def telemetry(tmp_path, run_id):
    lines = (tmp_path / "runs" / run_id / "telemetry.jsonl").read_text().splitlines()
    return [{k: v for k, v in json.loads(line).items() if k not in WALL_CLOCK} for line in lines]


def killed_at_step(tmp_path, run_id, step):
    """Starts the run, lets it hold after `step` (past its last checkpoint, at step 5), then SIGKILLs it."""
    env = {**DETERMINISTIC, HOLD_ENV: str(step)}
    args = command(tmp_path, "train", config_file(tmp_path), "--id", run_id)
    p = subprocess.Popen(args, cwd=WORKER, env=env, stderr=subprocess.PIPE, text=True)
    for line in p.stderr:
        if line.startswith(f"holding after step {step}"):
            break
    os.kill(p.pid, signal.SIGKILL)
    assert p.wait() == -signal.SIGKILL


def test_a_run_killed_mid_run_resumes_with_identical_telemetry(tmp_path):
    args = command(tmp_path, "train", config_file(tmp_path), "--id", "whole")
    whole = subprocess.run(args, cwd=WORKER, env=DETERMINISTIC, capture_output=True, text=True, timeout=300)
    assert whole.returncode == 0, whole.stderr
    killed_at_step(tmp_path, "killed", 7)
    # Reports of step 6 were written after the last checkpoint (step 5): the resumed run must not repeat them.
    before = telemetry(tmp_path, "killed")
    assert [(r["run"], r["step"]) for r in before][-4:] == [(m, 6) for m in ("ep", "iep", "dense", "iterand")]
    args = command(tmp_path, "resume", "killed")
    resumed = subprocess.run(args, cwd=WORKER, env=DETERMINISTIC, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    expected, got = telemetry(tmp_path, "whole"), telemetry(tmp_path, "killed")
    assert len(got) == len(expected)
    for i, (a, b) in enumerate(zip(expected, got)):
        assert a == b, f"report {i} differs"
    assert got[: len(before)] == before  # what was recorded before the kill is kept as it was


def test_a_run_that_is_training_cannot_be_resumed_twice(tmp_path):
    env = {**DETERMINISTIC, HOLD_ENV: "1"}
    args = command(tmp_path, "train", config_file(tmp_path), "--id", "busy")
    p = subprocess.Popen(args, cwd=WORKER, env=env, stderr=subprocess.PIPE, text=True)
    try:
        for line in p.stderr:
            if line.startswith("holding"):
                break
        second = subprocess.run(command(tmp_path, "resume", "busy"), cwd=WORKER, capture_output=True, text=True)
        assert second.returncode == 2 and "being trained by another process" in second.stderr
    finally:
        p.kill()
        p.wait()
