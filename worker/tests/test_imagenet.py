"""torchvision's ResNet-18 as a supermask net, searched for a few steps on a small ImageFolder tree the test writes
(the ImageNet data path: RandomResizedCrop 224 + flip, Resize 256 + CenterCrop 224, DataLoader workers), whose crops
are seeded per step and image, so a loader opened at step t (a resumed run) gives the batch an uninterrupted one
had."""

import dataclasses

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn
from torchvision import datasets

from supermask_worker.train import load_source
from supermask_worker.cifar import DatasetError
from supermask_worker.comparison import Comparison
from supermask_worker.config import from_config
from supermask_worker.imagenet import ImageFolderSource, SeededCrops, StepBatches, train_transform
from supermask_worker.mask import kept_count
from supermask_worker.schema import validate
from supermask_worker.supermask import SupermaskConv2d, SupermaskLayer, SupermaskLinear
from conftest import tiny_config


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory):
    """DATA/train/<class>/*.png and DATA/val/<class>/*.png: 2 classes, 4 + 2 images each, odd sizes."""
    root = tmp_path_factory.mktemp("imagenet")
    rng = np.random.default_rng(0)
    for split, n in (("train", 4), ("val", 2)):
        for cls in ("n01", "n02"):
            (root / split / cls).mkdir(parents=True)
            for i in range(n):
                pixels = rng.integers(0, 256, (rng.integers(60, 90), rng.integers(60, 90), 3), dtype=np.uint8)
                Image.fromarray(pixels).save(root / split / cls / f"{i}.png")
    return root


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
