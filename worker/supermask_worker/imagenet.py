"""ImageNet-style data: an ImageFolder tree (DATA/<dataset>/train/<class>/*.jpeg and .../val/<class>/*), with the
standard augmentation (RandomResizedCrop 224 + horizontal flip for training; Resize 256 + CenterCrop 224 for
evaluation), read by DataLoader workers into pinned memory.

The order of the training images is the engine's: epoch e is the seeded permutation of deriveSeed(seed, 'data/order')
(the same generator as CIFAR's), so every run of a comparison sees the same images in the same order. The random
crop and flip of image i of step t come from torch's generator seeded with deriveSeed(seed, 'data/augment/t/i'),
whichever loader worker reads it, so step t's batch is a function of (seed, t): a resumed run gets the same crops.
Under torchrun each rank reads only its share of a step's images (positions rank, rank + world, ...), each with the
crop seed of its position in the whole batch: the very tensors that slicing the whole batch would give, decoded once
across the ranks instead of once per rank.
"""

from pathlib import Path
from typing import Iterator, List, Optional, Tuple

import torch
from torch.utils.data import DataLoader
from torch.utils.data.dataloader import default_collate
from torchvision import datasets, transforms

from .rng import derive_seed, mulberry32, permutation
from .share import WHOLE, Share

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
CROP = 224

Batch = Tuple[torch.Tensor, torch.Tensor]


def train_transform() -> transforms.Compose:
    return transforms.Compose(
        [
            transforms.RandomResizedCrop(CROP),
            transforms.RandomHorizontalFlip(),
            transforms.ToTensor(),
            transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
        ]
    )


def eval_transform() -> transforms.Compose:
    return transforms.Compose(
        [
            transforms.Resize(256),
            transforms.CenterCrop(CROP),
            transforms.ToTensor(),
            transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
        ]
    )


def limited(images: datasets.ImageFolder, limit: Optional[int]) -> torch.utils.data.Dataset:
    """At most `limit` images (all when None), evenly spaced through the folder order: an ImageFolder lists its
    images class by class, so a prefix would hold the first few classes only."""
    count = len(images)
    if limit is None or limit >= count:
        return images
    return torch.utils.data.Subset(images, [i * count // limit for i in range(limit)])


class StepBatches(torch.utils.data.Sampler):
    """Index lists of steps start, start + 1, ...: the epoch permutations cut into batches (the last one smaller)."""

    def __init__(self, count: int, seed: int, batch_size: int, start: int = 0):
        self.count, self.batch_size, self.start = count, batch_size, start
        self.order_seed = derive_seed(seed, "data/order")
        self.steps_per_epoch = -(-count // batch_size)

    def __iter__(self) -> Iterator[List[int]]:
        step = self.start
        while True:
            epoch, b = divmod(step, self.steps_per_epoch)
            order = permutation(self.count, mulberry32(derive_seed(self.order_seed, f"epoch/{epoch}")))
            for b in range(b, self.steps_per_epoch):
                yield order[b * self.batch_size : (b + 1) * self.batch_size]
                step += 1


def crop_seed(seed: int, step: int, i: int) -> int:
    return derive_seed(seed, f"data/augment/{step}/{i}")


class SeededSteps(StepBatches):
    """StepBatches whose items carry their augmentation seed, (image index, crop seed), cut to a rank's share: the
    seed is the one of the image's position in the whole batch, so a share's crops are the whole batch's."""

    def __init__(self, count: int, seed: int, batch_size: int, start: int = 0, share: Share = WHOLE):
        super().__init__(count, seed, batch_size, start)
        self.seed, self.share = seed, share

    def __iter__(self) -> Iterator[List[Tuple[int, int]]]:  # type: ignore[override]
        for step, indices in enumerate(super().__iter__(), self.start):
            yield [(indices[i], crop_seed(self.seed, step, i)) for i in self.share.positions(len(indices))]


def collate_share(items: List[Tuple[torch.Tensor, int]]) -> Batch:
    """default_collate, and an empty share (a last batch smaller than the world) as empty tensors, as slicing the
    whole batch gives."""
    if not items:
        return torch.empty(0, 3, CROP, CROP), torch.empty(0, dtype=torch.int64)
    return default_collate(items)


class SeededCrops(torch.utils.data.Dataset):
    """A dataset read with (index, seed) items: the transform draws from torch's generator seeded with `seed`, and the
    generator's state is given back after, so nothing else's randomness moves."""

    def __init__(self, images: torch.utils.data.Dataset):
        self.images = images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, item: Tuple[int, int]):
        index, seed = item
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return self.images[index]


class ImageFolderSource:
    """Training batches by step (shared by all runs) and evaluation batches, from an ImageFolder tree: this process's
    share of each (all of it in one process)."""

    def __init__(
        self,
        root: Path,
        seed: int,
        batch_size: int,
        test_limit: Optional[int] = None,
        workers: int = 4,
        pin_memory: bool = False,
        train_limit: Optional[int] = None,
        share: Share = WHOLE,
    ):
        train = datasets.ImageFolder(str(Path(root) / "train"), train_transform())
        self.classes = len(train.classes)
        self.train_set = limited(train, train_limit)
        self.test_set = limited(datasets.ImageFolder(str(Path(root) / "val"), eval_transform()), test_limit)
        self.seed, self.batch_size, self.workers, self.pin_memory = seed, batch_size, workers, pin_memory
        self.share = share
        self._loader = None
        self._next_step = 0

    @property
    def train_count(self) -> int:
        return len(self.train_set)

    def _open(self, start: int) -> None:
        loader = DataLoader(
            SeededCrops(self.train_set),
            batch_sampler=SeededSteps(self.train_count, self.seed, self.batch_size, start, self.share),
            collate_fn=collate_share,
            num_workers=self.workers,
            pin_memory=self.pin_memory,
            persistent_workers=False,
        )
        self._loader = iter(loader)
        self._next_step = start

    def batch(self, step: int) -> Batch:
        """This share of step `step`'s batch; consecutive steps stream from the workers, a jump reopens the loader
        there."""
        if self._loader is None or step != self._next_step:
            self._open(step)
        self._next_step = step + 1
        return next(self._loader)

    def test_batches(self) -> Iterator[Batch]:
        """This share of the validation images (test_limit of them, evenly spaced, when it is set), in folder
        order."""
        images = torch.utils.data.Subset(self.test_set, self.share.positions(len(self.test_set)))
        loader = DataLoader(
            images, batch_size=self.batch_size, num_workers=self.workers, pin_memory=self.pin_memory
        )
        yield from loader
