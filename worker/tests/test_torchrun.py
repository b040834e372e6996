"""Many processes, one search: `torchrun --nproc_per_node=2` (Debian's torch.distributed.run) with gloo on the CPU
runs a short job; both ranks end with identical masks, and rank 0 alone records a valid run."""

import json
import re
import subprocess
import sys

from supermask_worker.runs import TORCHRUN_PYTHON311_FIX
from supermask_worker.schema import validate
from conftest import WORKER, tiny_config
from serving import ENV


def test_two_ranks_train_one_search_with_identical_masks(tmp_path):
    # 2 steps: 16 images in global batches of 8, each rank training on 4 of them.
    config = tiny_config(trainLimit=16, reportEvery=1, iep={"cycles": 2, "variant": "hard"})
    (tmp_path / "config.json").write_text(json.dumps(config))
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    command += TORCHRUN_PYTHON311_FIX
    command += ["-m", "supermask_worker", "train", str(tmp_path / "config.json"), "--id", "ddp"]
    command += ["--runs-dir", str(tmp_path / "runs")]
    done = subprocess.run(command, cwd=WORKER, env=ENV, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    digests = dict(re.findall(r"rank (\d) of 2: masks sha256 ([0-9a-f]{64})", done.stdout))
    assert set(digests) == {"0", "1"}, done.stdout
    assert digests["0"] == digests["1"]
    lines = (tmp_path / "runs" / "ddp" / "telemetry.jsonl").read_text().splitlines()
    reports = [json.loads(line) for line in lines]
    for r in reports:
        validate("StepReport" if r["kind"] == "step" else "EvalReport", r)
    steps = [(r["run"], r["step"]) for r in reports if r["kind"] == "step"]
    assert steps == [("ep", 1), ("iep", 1), ("ep", 2), ("iep", 2)]  # written once, by rank 0
