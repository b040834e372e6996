"""Many processes, one search: `torchrun --nproc_per_node=2` (Debian's torch.distributed.run) with gloo on the CPU
runs a short job; both ranks end with identical masks, and rank 0 alone records a valid run; on Conv-2 (no BatchNorm)
they end where one process training on the whole batches ends. On an ImageFolder each
rank decodes only its half of every batch (test_imagenet shows those halves are the whole batch's slices) and
evaluates half of the validation set, the sums added up.

A net with BatchNorm is not compared with a one-process run: each rank's BatchNorm normalises by its own half of the
batch (as DDP without SyncBatchNorm does), so the two runs are different searches by design."""

import json
import math
import re
import subprocess
import sys

import pytest
import torch

from supermask_worker.checkpoint import load_checkpoint, restore_checkpoint
from supermask_worker.comparison import Comparison
from supermask_worker.config import from_config
from supermask_worker.imagenet import ImageFolderSource
from supermask_worker.runs import TORCHRUN_PYTHON311_FIX
from supermask_worker.schema import validate
from supermask_worker.__main__ import REPO_DATA
from supermask_worker.train import load_source, masks_digest
from conftest import WORKER, tiny_config
from serving import ENV

CPU = torch.device("cpu")


def torchrun(tmp_path, config, *extra):
    """Trains `config` as run 'ddp' with two ranks; returns the reports rank 0 wrote and each rank's masks digest."""
    (tmp_path / "config.json").write_text(json.dumps(config))
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    command += TORCHRUN_PYTHON311_FIX
    command += ["-m", "supermask_worker", "train", str(tmp_path / "config.json"), "--id", "ddp"]
    command += ["--runs-dir", str(tmp_path / "runs"), *extra]
    done = subprocess.run(command, cwd=WORKER, env=ENV, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    digests = dict(re.findall(r"rank (\d) of 2: masks sha256 ([0-9a-f]{64})", done.stdout))
    assert set(digests) == {"0", "1"}, done.stdout
    lines = (tmp_path / "runs" / "ddp" / "telemetry.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines], digests


def test_two_ranks_train_one_search_with_identical_masks(tmp_path):
    # 3 steps: 17 images in global batches of 8, each rank training on 4 of them, then on 1 and none: a rank with
    # nothing to train on adds no gradient, and its average is over the rank that had an image.
    config = tiny_config(trainLimit=17, reportEvery=1, iep={"cycles": 3, "variant": "hard"})
    reports, digests = torchrun(tmp_path, config)
    assert digests["0"] == digests["1"]
    assert all(math.isfinite(r["loss" if r["kind"] == "step" else "testLoss"]) for r in reports), reports
    for r in reports:
        validate("StepReport" if r["kind"] == "step" else "EvalReport", r)
    steps = [(r["run"], r["step"]) for r in reports if r["kind"] == "step"]
    assert steps == [(m, s) for s in (1, 2, 3) for m in ("ep", "iep")]  # written once, by rank 0

    # Conv-2 has no BatchNorm, so the gradient averaged over the ranks' halves is the whole batch's: the two ranks
    # must end where one process training on the whole batches ends, scores to float rounding (gloo sums in another
    # order) and masks exactly. A wrong average (a sum, or a rank's gradient alone) lands elsewhere.
    spec = from_config(config)
    alone = Comparison(spec, load_source(REPO_DATA, spec, CPU), CPU)
    alone.run_to_end(lambda report: None)
    assert masks_digest(alone) == digests["0"]
    ranks = Comparison(spec, load_source(REPO_DATA, spec, CPU), CPU)
    restore_checkpoint(ranks, load_checkpoint(tmp_path / "runs" / "ddp"))
    for one, two in zip(alone.runs, ranks.runs):
        assert two.steps_done == one.steps_done == 3
        for a, b in zip(one.layers, two.layers):
            a, b = a.scores.detach(), b.scores.detach()
            assert (a - b).abs().max() <= 1e-5 * a.abs().max(), (one.run.id, a.shape)


def test_resnet18_ranks_load_half_a_batch_each_and_evaluate_as_one_process(image_folder, tmp_path):
    """torchvision's ResNet-18 on the generated ImageFolder, global batches of 4 (2 decoded per rank), 3 validation
    images (2 + 1): identical masks on both ranks, those of rank 0's last checkpoint, and each final evaluation, the
    ranks' shares summed, is what one process makes of that checkpoint over the whole validation set."""
    config = tiny_config(model="torchvision/resnet18", width=1, dataset="imagenet", batchSize=4, trainLimit=8)
    config.update(testLimit=3, reportEvery=1)
    config["runs"][1]["iep"]["cycles"] = 2
    reports, digests = torchrun(tmp_path, config, "--data-root", str(image_folder.parent))
    assert digests["0"] == digests["1"]
    for r in reports:
        validate("StepReport" if r["kind"] == "step" else "EvalReport", r)
    steps = [(r["run"], r["step"]) for r in reports if r["kind"] == "step"]
    assert steps == [("ep", 1), ("iep", 1), ("ep", 2), ("iep", 2)]

    spec = from_config(config)
    source = ImageFolderSource(image_folder, spec.seed, spec.batch_size, spec.test_limit, 0, train_limit=8)
    alone = Comparison(spec, source, torch.device("cpu"))
    restore_checkpoint(alone, load_checkpoint(tmp_path / "runs" / "ddp"))
    assert masks_digest(alone) == digests["0"]
    finals = {r["run"]: r for r in reports if r["kind"] == "eval" and r["reason"] == "final"}
    for run in alone.runs:
        mine = run.evaluate(source.test_batches(), "final")
        assert mine["testAccuracy"] == finals[run.run.id]["testAccuracy"] in (0, 1 / 3, 2 / 3, 1)
        assert mine["testLoss"] == pytest.approx(finals[run.run.id]["testLoss"], rel=1e-5)
