"""Which images each step trains on, and how they are augmented: src/data/batches.ts and src/engine/data.ts, ported.

Step t's batch depends only on (seed, t): epoch floor(t / steps per epoch) has its own seeded permutation
(deriveSeed(deriveSeed(seed, 'data/order'), 'epoch/e')) and step t its own augmentation stream
(deriveSeed(seed, 'data/augment/t')), so every run of a comparison, and a resumed run, sees the same batches.
Augmentation is EP's CIFAR recipe as the engine does it: a 32x32 crop of the image zero-padded by 4, then a
horizontal flip, then normalisation; per image the draws are crop top, crop left, flip coin.
"""

from typing import Optional, Tuple

import numpy as np
import torch

from .cifar import CifarData, CifarSplit
from .rng import derive_seed, mulberry32, permutation, uniform_array
from .share import WHOLE, Share

CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.247, 0.2435, 0.2616)
CROP_PADDING = 4

# normalised[c][byte] = (byte / 255 - mean[c]) / std[c], computed in double and stored as float32, as the engine's
# lookup tables: the same bytes give the same floats.
NORMALISED = np.stack([((np.arange(256) / 255 - m) / s).astype(np.float32) for m, s in zip(CIFAR_MEAN, CIFAR_STD)])


def draw_augmentations(seed: int, n: int) -> np.ndarray:
    """[n, 3] of (dy, dx, flip) from mulberry32(seed), three draws per image in the engine's order."""
    u = uniform_array(seed, 3 * n).reshape(n, 3)
    span = 2 * CROP_PADDING + 1
    shifts = np.floor(u[:, :2] * span).astype(np.int64) - CROP_PADDING
    return np.concatenate([shifts, (u[:, 2:] < 0.5).astype(np.int64)], axis=1)


def batch_arrays(split: CifarSplit, indices: np.ndarray, aug: Optional[np.ndarray]) -> Tuple[np.ndarray, np.ndarray]:
    """Normalised NCHW float32 images and int64 labels; `aug` [n, 3] (dy, dx, flip) or None for no augmentation."""
    raw = split.images[indices]
    if aug is not None:
        p = CROP_PADDING
        padded = np.zeros((len(indices), 3, 32 + 2 * p, 32 + 2 * p), dtype=np.uint8)
        padded[:, :, p:-p, p:-p] = raw
        out = np.empty_like(raw)
        for i, (dy, dx, flip) in enumerate(aug):
            # Output pixel (y, x) shows input (y + dy, x' + dx), x' = 31 - x when flipped: crop, then flip.
            crop = padded[i, :, p + dy : p + dy + 32, p + dx : p + dx + 32]
            out[i] = crop[:, :, ::-1] if flip else crop
        raw = out
    x = np.stack([NORMALISED[c][raw[:, c]] for c in range(3)], axis=1)
    return x, split.labels[indices]


class BatchOrder:
    """The training batches of a comparison (shared by all its runs)."""

    def __init__(self, train: CifarSplit, seed: int, batch_size: int):
        self.train = train
        self.seed = seed
        self.batch_size = batch_size
        self.order_seed = derive_seed(seed, "data/order")
        self._cached: Optional[Tuple[int, np.ndarray]] = None

    @property
    def steps_per_epoch(self) -> int:
        return -(-self.train.count // self.batch_size)

    def epoch_order(self, epoch: int) -> np.ndarray:
        return np.array(permutation(self.train.count, mulberry32(derive_seed(self.order_seed, f"epoch/{epoch}"))))

    def indices(self, step: int) -> np.ndarray:
        epoch = step // self.steps_per_epoch
        if self._cached is None or self._cached[0] != epoch:
            self._cached = (epoch, self.epoch_order(epoch))
        b = step % self.steps_per_epoch
        return self._cached[1][b * self.batch_size : min(self.train.count, (b + 1) * self.batch_size)]

    def batch(self, step: int) -> Tuple[torch.Tensor, torch.Tensor]:
        idx = self.indices(step)
        aug = draw_augmentations(derive_seed(self.seed, f"data/augment/{step}"), len(idx))
        x, y = batch_arrays(self.train, idx, aug)
        return torch.from_numpy(x), torch.from_numpy(y)


def test_batches(test: CifarSplit, count: int, size: int = 250, share: Share = WHOLE):
    """Batches over a share of the first `count` test images, without augmentation."""
    mine = np.arange(share.rank, count, share.world)
    for start in range(0, len(mine), size):
        x, y = batch_arrays(test, mine[start : start + size], None)
        yield torch.from_numpy(x), torch.from_numpy(y)


class CifarSource:
    """A comparison's data from CIFAR-10 binary files: the engine's batches by step, and its test batches; this
    process's share of each (all of it in one process). In memory, so a share is sliced from the whole batch."""

    classes = 10

    def __init__(
        self, data: CifarData, seed: int, batch_size: int, train_limit=None, test_limit=None, share: Share = WHOLE
    ):
        self.train = data.train.limit(train_limit)
        self.test = data.test.limit(test_limit)
        self.order = BatchOrder(self.train, seed, batch_size)
        self.share = share

    @property
    def train_count(self) -> int:
        return self.train.count

    def batch(self, step: int) -> Tuple[torch.Tensor, torch.Tensor]:
        x, y = self.order.batch(step)
        return self.share.take(x), self.share.take(y)

    def test_batches(self):
        return test_batches(self.test, self.test.count, share=self.share)
