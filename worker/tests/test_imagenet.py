"""torchvision's ResNet-18 as a supermask net, searched for a few steps on a small ImageFolder tree the test writes
(the ImageNet data path: RandomResizedCrop 224 + flip, Resize 256 + CenterCrop 224, DataLoader workers), whose crops
are seeded per step and image, so a loader opened at step t (a resumed run) gives the batch an uninterrupted one
had. A v2 config naming torchvision/resnet18 is schema-valid, refused on the wrong kind of data (by `train` and, at
once, by `serve`), and streams schema-valid reports through a real `serve` with --data-root."""

import dataclasses
import json

import pytest
import torch
from torch import nn
from torchvision import datasets

from supermask_worker.__main__ import main
from supermask_worker.train import load_source
from supermask_worker.cifar import DatasetError
from supermask_worker.comparison import Comparison
from supermask_worker.config import ConfigError, from_config
from supermask_worker.imagenet import ImageFolderSource, SeededCrops, SeededSteps, StepBatches, train_transform
from supermask_worker.mask import kept_count
from supermask_worker.models import build_model, summarize
from supermask_worker.presets import preset_config
from supermask_worker.schema import validate
from supermask_worker.share import Share
from supermask_worker.supermask import SupermaskConv2d, SupermaskLayer, SupermaskLinear
from conftest import REPO, tiny_config
from serving import Client, run, start_server, state_is, telemetry_lines


def test_torchvision_resnet18_becomes_a_supermask_net():
    from supermask_worker.models import build_model

    model = build_model("torchvision/resnet18", 1, seed=3, classes=5)
    assert not any(isinstance(m, (nn.Conv2d, nn.Linear)) for m in model.modules())
    assert all(not m.affine for m in model.modules() if isinstance(m, nn.BatchNorm2d))
    assert [p for p in model.parameters()] == [l.scores for l in model.masked]
    names = [l.layer_name for l in model.masked]
    assert names[0] == "conv1" and names[-1] == "fc" and "layer2.0.downsample.0" in names
    assert len([m for m in model.masked if isinstance(m, SupermaskConv2d)]) == 20
    fc = model.masked[-1]
    assert isinstance(fc, SupermaskLinear) and fc.shape == (5, 512)
    assert sum(l.edges for l in model.masked) == 11_166_912 + 5 * 512  # torchvision's weights, no biases, 5 classes


def test_steps_follow_the_seeded_epoch_order():
    batches = iter(StepBatches(10, seed=4, batch_size=4))
    epoch0 = [next(batches) for _ in range(3)]
    assert [len(b) for b in epoch0] == [4, 4, 2] and sorted(sum(epoch0, [])) == list(range(10))
    resumed = iter(StepBatches(10, seed=4, batch_size=4, start=2))
    assert next(resumed) == epoch0[2]


def test_torchvision_nets_read_an_image_folder_and_say_when_there_is_none(image_folder, tmp_path):
    spec = dataclasses.replace(from_config(tiny_config()), model="torchvision/resnet18", dataset=image_folder.name)
    source = load_source(image_folder.parent, spec, torch.device("cpu"))
    assert isinstance(source, ImageFolderSource) and source.train_count == 8 and source.classes == 2
    with pytest.raises(DatasetError, match="ImageFolder tree: .*/missing/train and .*/val are missing"):
        load_source(tmp_path, dataclasses.replace(spec, dataset="missing"), torch.device("cpu"))


def test_a_few_steps_on_the_image_folder(image_folder):
    config = tiny_config(batchSize=4, epochs=1, reportEvery=1, trainLimit=None, testLimit=2, iep={"cycles": 2})
    spec = dataclasses.replace(from_config(config), model="torchvision/resnet18", dataset="tiny")
    source = ImageFolderSource(image_folder, spec.seed, spec.batch_size, spec.test_limit, workers=1)
    x, y = source.batch(0)
    assert x.shape == (4, 3, 224, 224) and y.dtype == torch.int64
    assert next(iter(source.test_batches()))[0].shape == (2, 3, 224, 224)
    comparison = Comparison(spec, source, torch.device("cpu"))
    weights = {l.layer_name: l.weight.clone() for l in comparison.runs[0].layers[:3]}
    reports = []
    comparison.run_to_end(reports.append)
    for r in reports:
        validate("StepReport" if r["kind"] == "step" else "EvalReport", r)
    steps = [(r["run"], r["step"], r["cycle"]) for r in reports if r["kind"] == "step"]
    assert steps == [("ep", 1, 1), ("iep", 1, 1), ("ep", 2, 1), ("iep", 2, 2)]
    last = [r for r in reports if r["kind"] == "step"][-1]
    for layer, summary in zip(last["layers"], comparison.summary["layers"]):
        assert layer["kept"] == kept_count(summary["edges"], 0.832)
    for l in comparison.runs[0].layers[:3]:
        assert torch.equal(l.weight, weights[l.layer_name])
    assert isinstance(comparison.runs[0].layers[0], SupermaskLayer)


def test_crops_are_seeded_per_step_and_image_so_a_reopened_loader_gives_the_same_batches(image_folder):
    crops = SeededCrops(datasets.ImageFolder(str(image_folder / "train"), train_transform()))
    rng = torch.get_rng_state()
    a, b, c = crops[(0, 11)][0], crops[(0, 11)][0], crops[(0, 12)][0]
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert torch.equal(torch.get_rng_state(), rng)  # the caller's generator is left where it was
    whole = ImageFolderSource(image_folder, seed=5, batch_size=3, workers=1)
    streamed = [whole.batch(t) for t in range(5)]  # across the epoch boundary (3 steps per epoch)
    resumed = ImageFolderSource(image_folder, seed=5, batch_size=3, workers=1)
    for t in (3, 4):
        x, y = resumed.batch(t)
        assert torch.equal(x, streamed[t][0]) and torch.equal(y, streamed[t][1]), t
    again = ImageFolderSource(image_folder, seed=5, batch_size=3, workers=0)
    assert torch.equal(again.batch(1)[0], streamed[1][0])  # in the main process as in a worker


def test_a_ranks_sampler_yields_what_slicing_the_whole_batch_kept():
    """10 images in batches of 4 (4, 4, 2 a epoch): with 3 ranks a batch does not divide, and the last one leaves
    rank 2 nothing. Each rank's items, crop seeds included, are the whole batch's positions rank, rank + world, ..."""
    whole = iter(SeededSteps(10, seed=7, batch_size=4))
    steps = [next(whole) for _ in range(6)]  # two epochs
    for world in (1, 2, 3):
        for rank in range(world):
            mine = iter(SeededSteps(10, seed=7, batch_size=4, share=Share(rank, world)))
            for items in steps:
                assert next(mine) == [item for position, item in enumerate(items) if position % world == rank]
    assert [len(items) for items in steps] == [4, 4, 2] * 2


def test_each_rank_decodes_only_its_share_and_gets_the_whole_batchs_tensors(image_folder):
    """8 images in batches of 3: the share a rank decodes is bit for bit the slice of the whole decoded batch (what
    every rank decoded before), an empty share included; the validation shares add up to the whole set."""
    whole = ImageFolderSource(image_folder, seed=5, batch_size=3, workers=0)
    batches = [whole.batch(t) for t in range(3)]
    assert [x.shape[0] for x, _ in batches] == [3, 3, 2]  # so rank 2 of 3 has nothing at step 2
    for world in (2, 3):
        for rank in range(world):
            share = Share(rank, world)
            mine = ImageFolderSource(image_folder, seed=5, batch_size=3, workers=1 if rank == 1 else 0, share=share)
            for t, (x, y) in enumerate(batches):
                mx, my = mine.batch(t)
                assert torch.equal(mx, x[rank::world]) and torch.equal(my, y[rank::world]), (world, rank, t)
        assert mx.shape[0] == len(range(world - 1, 2, world))  # the last rank's share of step 2's 2 images
        evaluated = [ImageFolderSource(image_folder, 5, 3, workers=0, share=Share(r, world)) for r in range(world)]
        labels = sorted(y for source in evaluated for _, ys in source.test_batches() for y in ys.tolist())
        assert labels == sorted(y for _, ys in whole.test_batches() for y in ys.tolist()) and len(labels) == 4


def test_the_image_folder_limits_keep_every_class(image_folder):
    source = ImageFolderSource(image_folder, seed=1, batch_size=2, test_limit=2, workers=0, train_limit=4)
    assert source.train_count == 4 and source.classes == 2
    assert sorted(source.train_set[i][1] for i in range(4)) == [0, 0, 1, 1]  # spread over the folder, not a prefix
    assert sorted(y for _, ys in source.test_batches() for y in ys.tolist()) == [0, 1]


WALKTHROUGH = REPO / "worker" / "configs" / "wrn50-2-imagenet-ep-vs-iep.json"
RESNET18_CONFIG = tiny_config(
    model="torchvision/resnet18",
    width=1,
    dataset="imagenet",
    batchSize=2,
    epochs=1,
    trainLimit=4,
    testLimit=2,
    reportEvery=1,
    iep={"cycles": 2},
)


def test_a_torchvision_config_is_schema_valid_and_refused_on_the_wrong_data(image_folder, tmp_path, capsys):
    validate("ComparisonConfig", RESNET18_CONFIG)
    assert from_config(RESNET18_CONFIG).weight_decay == 1 / 32768  # EP's ImageNet recipe, as the engine's default
    with pytest.raises(ConfigError, match="width: must be 1 for torchvision/resnet18"):
        from_config({**RESNET18_CONFIG, "width": 0.5})

    def train(config):
        path = tmp_path / "config.json"
        path.write_text(json.dumps(config))
        code = main(["train", str(path), "--runs-dir", str(tmp_path / "runs"), "--data-root", str(image_folder.parent)])
        return code, capsys.readouterr().err

    code, err = train({**RESNET18_CONFIG, "model": "resnet20", "width": 0.5})
    assert code == 2 and "imagenet is an ImageFolder tree: resnet20 trains on CIFAR-10; torchvision/resnet18" in err
    code, err = train({**RESNET18_CONFIG, "dataset": "imagenette"})
    assert code == 2 and "torchvision/resnet18 trains on an ImageFolder tree: " in err and "imagenette/val" in err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())  # nothing written


def test_serve_streams_a_resnet18_run_on_the_image_folder_and_refuses_the_wrong_data(image_folder, tmp_path):
    """A real `serve` with --data-root: the studio's start of a torchvision net, its reports schema-valid, live."""
    p, url = start_server(tmp_path / "runs", None, "--data-root", str(image_folder.parent))
    try:

        async def go():
            a = await Client.connect(url)
            refused = {}
            for name, config in (
                ("cifar net", {**RESNET18_CONFIG, "model": "resnet20"}),
                ("no tree", {**RESNET18_CONFIG, "dataset": "missing"}),
                ("width", {**RESNET18_CONFIG, "width": 0.5}),
            ):
                refused[name] = await a.request("start", config=config)
            started = await a.request("start", config=RESNET18_CONFIG)
            assert started["type"] == "started", started
            run_id = started["run"]["id"]
            await a.request("subscribe", run=run_id)
            await a.until(state_is(run_id, "done"))
            listed = await a.request("list")
            return a, refused, run_id, listed

        a, refused, run_id, listed = run(go())
        assert {k: (m["code"], m["field"]) for k, m in refused.items()} == {
            "cifar net": ("invalid-config", "config.dataset"),
            "no tree": ("invalid-config", "config.dataset"),
            "width": ("invalid-config", "config.width"),
        }
        assert "missing/train and" in refused["no tree"]["message"]
        assert [r["id"] for r in listed["runs"]] == [run_id] and "-torchvision-resnet18-s1" in run_id  # a folder name
        header = next(m for m in a.inbox if m["type"] == "header")["header"]
        validate("ModelSummary", header["summary"])
        assert header["config"] == RESNET18_CONFIG and len(header["summary"]["layers"]) == 21
        reports = [m["report"] for m in a.reports(run_id)]
        assert reports == telemetry_lines(tmp_path / "runs" / run_id)
        for r in reports:
            validate("StepReport" if r["kind"] == "step" else "EvalReport", r)
        steps = [(r["run"], r["step"]) for r in reports if r["kind"] == "step"]
        assert steps == [("ep", 1), ("iep", 1), ("ep", 2), ("iep", 2)]
        assert all(len(r["layers"]) == 21 for r in reports if r["kind"] == "step")
    finally:
        p.terminate()
        p.wait()


def test_the_walkthroughs_config_keeps_20_6m_of_wide_resnet50_2s_weights():
    """docs/worker.md's Wide ResNet-50-2 comparison: valid, EP's ImageNet recipe already in it, and its target rate
    keeps EP's 20.6M of the 68.8M masked weights (every Conv2d and Linear; torchvision's 68.9M adds BN and a bias)."""
    config = json.loads(WALKTHROUGH.read_text())
    validate("ComparisonConfig", config)
    assert preset_config(config, "imagenet-ep") == config
    spec = from_config(config)
    summary = summarize(build_model(spec.model, spec.width, spec.seed, 1000), spec.model, 1, spec.target_pruning_rate)
    assert (summary["totalEdges"], summary["keptAtTarget"], len(summary["layers"])) == (68_814_016, 20_644_204, 54)
