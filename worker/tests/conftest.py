"""Shared fixtures: the repository's paths, the real CIFAR-10 (checked against SHA256SUMS; missing data fails with
a message, never a silent skip), and small configs that train in seconds on two cores."""

import copy
import hashlib
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

WORKER = Path(__file__).resolve().parents[1]
REPO = WORKER.parent
sys.path.insert(0, str(WORKER))

from supermask_worker.cifar import CifarSplit, read_batches  # noqa: E402

SHARED_CIFAR10 = Path(os.environ.get("CIFAR10_DIR", REPO.parent / "shared" / "cifar10"))
GOLDEN = REPO / "test" / "golden" / "vectors.json"

IEP = {"cycles": 4, "schedule": "geometric", "variant": "soft", "scores": "carry", "lrRewind": True}
TINY_CONFIG = {
    "version": 2,
    "dataset": "cifar10-subset",
    "model": "conv2",
    "width": 0.0625,
    "seed": 1,
    "targetPruningRate": 0.832,
    "epochs": 1,
    "batchSize": 8,
    "learningRate": 0.1,
    "momentum": 0.9,
    "weightDecay": None,
    "budget": "equal-compute",
    "runs": [
        {"id": "ep", "label": "EP", "method": "ep"},
        {"id": "iep", "label": "iEP", "method": "iep", "iep": IEP},
    ],
    "reportEvery": 5,
    "trainLimit": 80,
    "testLimit": 40,
    "backend": "auto",
}


def tiny_config(**overrides):
    """TINY_CONFIG (v2: runs 'ep' and 'iep') with top-level overrides; `iep` overrides merge into the iEP run's
    settings."""
    config = copy.deepcopy(TINY_CONFIG)
    config["runs"][1]["iep"].update(overrides.pop("iep", {}))
    config.update(overrides)
    return config


def tiny_v1_config(**overrides):
    """The same comparison in protocol v1 (EP against one iEP, `iep` at the top level), as older studios send it."""
    config = {k: v for k, v in copy.deepcopy(TINY_CONFIG).items() if k != "runs"}
    config.update(version=1, iep={**IEP, **overrides.pop("iep", {})})
    config.update(overrides)
    return config


_checked = {}


def real_cifar(name: str) -> CifarSplit:
    """A file of the real set, checked against ../shared/cifar10/SHA256SUMS the first time it is read."""
    if name not in _checked:
        sums = SHARED_CIFAR10 / "SHA256SUMS"
        path = SHARED_CIFAR10 / "cifar-10-batches-bin" / name
        if not sums.is_file() or not path.is_file():
            pytest.fail(
                f"the real CIFAR-10 is missing: {path} and {sums} are needed (set CIFAR10_DIR to a folder holding "
                "cifar-10-batches-bin/ and SHA256SUMS)"
            )
        lines = sums.read_text().splitlines()
        expected = next((line.split()[0] for line in lines if line.strip().endswith(name)), None)
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
        if actual != expected:
            pytest.fail(f"{path} does not match {sums}: sha256 {actual}, expected {expected}")
        _checked[name] = read_batches([path])
    return _checked[name]


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory):
    """DATA/imagenet/train/<class>/*.png and DATA/imagenet/val/<class>/*.png: 2 classes, 4 + 2 images each, odd
    sizes."""
    root = tmp_path_factory.mktemp("data") / "imagenet"
    rng = np.random.default_rng(0)
    for split, n in (("train", 4), ("val", 2)):
        for cls in ("n01", "n02"):
            (root / split / cls).mkdir(parents=True)
            for i in range(n):
                pixels = rng.integers(0, 256, (rng.integers(60, 90), rng.integers(60, 90), 3), dtype=np.uint8)
                Image.fromarray(pixels).save(root / split / cls / f"{i}.png")
    return root
