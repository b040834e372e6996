"""`--preset imagenet-ep`, EP's ImageNet recipe: its config fields land in the run file, the learning rate ramps up
linearly over 5 epochs before its cosine (with and without iEP's rewinds), the training loss is label-smoothed
cross-entropy, and `resume` applies the run's own preset again."""

import copy
import json
import math

import pytest
import torch

from supermask_worker.__main__ import main
from supermask_worker.comparison import Comparison
from supermask_worker.config import from_config
from supermask_worker.presets import preset_config, preset_spec
from supermask_worker.schedule import cycle_at, learning_rate_at, make_plan
from conftest import tiny_config

CPU = torch.device("cpu")


def imagenet_spec(**overrides):
    return preset_spec(from_config(preset_config(tiny_config(**overrides), "imagenet-ep")), "imagenet-ep")


def test_the_preset_sets_the_recipe():
    spec = imagenet_spec()
    assert (spec.batch_size, spec.learning_rate, spec.momentum) == (256, 0.256, 0.875)
    assert spec.weight_decay == 1 / 32768 and spec.warmup_epochs == 5 and spec.label_smoothing == 0.1
    assert from_config(tiny_config()).warmup_epochs == 0  # nothing without the preset


def test_warm_up_ramps_linearly_then_the_cosine_runs_over_the_rest():
    # 2560 images in batches of 256: 10 steps per epoch; 20 epochs, 200 steps; warm-up 5 epochs = 50 steps.
    spec = imagenet_spec(epochs=20, iep={"cycles": 4})
    ep = make_plan(spec, spec.runs[0], 2560)
    assert ep.total_steps == 200 and ep.warmup_steps == 50
    lrs = [learning_rate_at(ep, t) for t in range(200)]
    assert lrs[:50] == pytest.approx([0.256 * (t + 1) / 50 for t in range(50)])
    assert lrs[49] == pytest.approx(0.256) and lrs[50] == 0.256  # the cosine starts at the peak
    assert lrs[50:] == pytest.approx([0.256 * (1 + math.cos(math.pi * t / 150)) / 2 for t in range(150)])
    iep = make_plan(spec, spec.runs[1], 2560)  # 4 cycles of 50 steps, the first one all warm-up but one step
    assert iep.warmup_steps == 49
    assert [learning_rate_at(iep, t) for t in range(49)] == pytest.approx([0.256 * (t + 1) / 49 for t in range(49)])
    assert learning_rate_at(iep, 49) == 0.256
    assert learning_rate_at(iep, 50) == 0.256 and cycle_at(iep, 50).index == 2  # later cycles rewind as before
    assert learning_rate_at(iep, 75) == pytest.approx(0.128)


def test_the_training_loss_is_label_smoothed_cross_entropy():
    spec = imagenet_spec(width=0.125, runs=tiny_config()["runs"][:1])  # EP alone
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(8, 3, 32, 32, generator=g), torch.randint(0, 10, (8,), generator=g)

    class Fixed:
        classes = 10
        train_count = 8

        def batch(self, step):
            return x, y

        def test_batches(self):
            return iter([(x, y)])

    comparison = Comparison(spec, Fixed(), CPU)
    run = comparison.runs[0]
    twin = copy.deepcopy(run)  # the same net and masks, to compute the expected loss without stepping
    for layer, m in zip(twin.layers, twin.masks_at(spec.target_pruning_rate)):
        layer.mask = m
    twin.model.train()
    with torch.no_grad():
        log_p = torch.log_softmax(twin.model(x), dim=1)
    smoothed = (-(0.9 * log_p[torch.arange(8), y]) - 0.1 * log_p.mean(dim=1)).mean().item()
    plain = -log_p[torch.arange(8), y].mean().item()
    run.step((x, y))
    loss = run.report()["loss"]
    assert loss == pytest.approx(smoothed, rel=1e-5) and abs(smoothed - plain) > 1e-3


def test_train_records_the_preset_and_resume_applies_it_again(tmp_path, capsys):
    config = tiny_config(trainLimit=16, epochs=10, reportEvery=1)  # one step per epoch: warm-up W = 5 steps
    (tmp_path / "config.json").write_text(json.dumps(config))
    runs = ["--runs-dir", str(tmp_path / "runs")]
    assert main(["train", str(tmp_path / "config.json"), "--id", "r", "--preset", "imagenet-ep", *runs]) == 0
    header = json.loads((tmp_path / "runs" / "r" / "run.json").read_text())
    assert header["config"]["batchSize"] == 256 and header["config"]["weightDecay"] == 1 / 32768
    assert json.loads((tmp_path / "runs" / "r" / "preset.json").read_text()) == {"preset": "imagenet-ep"}
    lines = (tmp_path / "runs" / "r" / "telemetry.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    assert (first["run"], first["step"]) == ("ep", 1) and first["learningRate"] == pytest.approx(0.256 / 5)
    capsys.readouterr()
    (tmp_path / "runs" / "plain").mkdir()
    (tmp_path / "runs" / "plain" / "run.json").write_text(json.dumps({**header, "id": "plain"}))
    (tmp_path / "runs" / "plain" / "telemetry.jsonl").write_text("")
    assert main(["resume", "plain", "--preset", "imagenet-ep", *runs]) == 2
    assert "was started with preset None, not 'imagenet-ep'" in capsys.readouterr().err
