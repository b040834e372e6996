"""Which part of every batch a process trains on and evaluates: rank r of a world of n takes every n-th image from
position r on (DistributedSampler's striding). Free of torch.distributed, so the data sources can take their share
without a process group (and tests can build any rank's share in one process)."""

from dataclasses import dataclass
from typing import Sequence, TypeVar

T = TypeVar("T", bound=Sequence)


@dataclass(frozen=True)
class Share:
    rank: int = 0
    world: int = 1

    def positions(self, n: int) -> range:
        """The positions of this share among n items."""
        return range(self.rank, n, self.world)

    def take(self, items: T) -> T:
        """This share of a list, an array or a tensor (along its first axis)."""
        return items[self.rank :: self.world]  # type: ignore[return-value]


WHOLE = Share()
