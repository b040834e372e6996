"""CIFAR-10 binary files as the app reads them (src/data/cifar.ts): records of 1 label byte + 3,072 pixel bytes
(R, G, B planes of 32x32), no header. A bad file is an error that says what is wrong and where."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import List, Sequence

import numpy as np

IMAGE_SIZE = 32
IMAGE_BYTES = 3 * IMAGE_SIZE * IMAGE_SIZE
RECORD_BYTES = 1 + IMAGE_BYTES
NUM_CLASSES = 10


class DatasetError(ValueError):
    pass


@dataclass
class CifarSplit:
    images: np.ndarray  # uint8 [count, 3, 32, 32], planar as in the files
    labels: np.ndarray  # int64 [count]

    @property
    def count(self) -> int:
        return int(self.labels.shape[0])

    def limit(self, n) -> "CifarSplit":
        """The first n records (None = all), as the engine's limitSplit."""
        return self if n is None or n >= self.count else CifarSplit(self.images[:n], self.labels[:n])


def read_batches(paths: Sequence[Path]) -> CifarSplit:
    """Reads .bin files into one split, in order (data_batch_1..5 into the training split)."""
    images: List[np.ndarray] = []
    labels: List[np.ndarray] = []
    for path in paths:
        if not Path(path).is_file():
            raise DatasetError(f"{path} is missing")
        raw = np.fromfile(path, dtype=np.uint8)
        if raw.size == 0 or raw.size % RECORD_BYTES:
            raise DatasetError(
                f"{path} is {raw.size:,} bytes long, not a positive multiple of the CIFAR-10 record size "
                f"({RECORD_BYTES} bytes: 1 label byte + {IMAGE_BYTES} pixel bytes); is it a CIFAR-10 binary file?"
            )
        records = raw.reshape(-1, RECORD_BYTES)
        bad = np.nonzero(records[:, 0] >= NUM_CLASSES)[0]
        if bad.size:
            i = int(bad[0])
            raise DatasetError(
                f"{path}: record {i} (byte offset {i * RECORD_BYTES}) has label {records[i, 0]}, outside 0-9"
            )
        labels.append(records[:, 0].astype(np.int64))
        images.append(records[:, 1:].reshape(-1, 3, IMAGE_SIZE, IMAGE_SIZE))
    return CifarSplit(np.concatenate(images), np.concatenate(labels))


@dataclass
class CifarData:
    train: CifarSplit
    test: CifarSplit


def load_dataset(data_root: Path, dataset: str) -> CifarData:
    """A dataset of the app's datasets.json (public/data/datasets.json lists 'cifar10-subset', 'cifar10', ...)."""
    manifest = Path(data_root) / "datasets.json"
    if not manifest.is_file():
        raise DatasetError(f"{manifest} is missing: --data-root must be a folder with the app's datasets.json")
    entries = json.loads(manifest.read_text(encoding="utf-8"))
    entry = next((e for e in entries if isinstance(e, dict) and e.get("id") == dataset), None)
    if entry is None:
        known = ", ".join(str(e.get("id")) for e in entries if isinstance(e, dict))
        raise DatasetError(f"dataset {dataset!r} is not in {manifest} (it lists: {known or 'nothing'})")
    folder = Path(data_root) / entry["path"]
    return CifarData(
        train=read_batches([folder / f for f in entry["trainFiles"]]),
        test=read_batches([folder / f for f in entry["testFiles"]]),
    )
