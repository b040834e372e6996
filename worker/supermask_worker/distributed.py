"""Many processes, one search (torchrun): each rank loads and trains on only its share of every batch of the engine's
data order (share.Share; the seeded permutation of each epoch, so set_epoch semantics come for free: epoch e's order
is a function of (seed, e)) and evaluates its share of the validation set, the sums added up across ranks; the
score gradients are averaged across ranks as DistributedDataParallel averages them, and BatchNorm's
running statistics are broadcast from rank 0 as DDP's broadcast_buffers does. All ranks then hold bit-identical
scores, hence identical masks; rank 0 alone writes the telemetry and the checkpoints. NCCL on GPUs, gloo on CPUs.

DDP's wrapper itself is not used: it reduces gradients from hooks on `.backward()`, and the search takes its
straight-through gradients with `torch.autograd.grad`; the all-reduce below is the same reduction, done in one place.
"""

import os
from typing import List, Optional, Sequence

import torch
import torch.distributed as dist

from .share import Share


class Ranks:
    def __init__(self) -> None:
        cuda = torch.cuda.is_available()
        dist.init_process_group("nccl" if cuda else "gloo")
        self.rank = dist.get_rank()
        self.world = dist.get_world_size()
        local = int(os.environ.get("LOCAL_RANK", "0"))
        self.device = torch.device(f"cuda:{local}") if cuda else torch.device("cpu")
        if cuda:
            torch.cuda.set_device(self.device)

    @property
    def writes(self) -> bool:
        return self.rank == 0

    @property
    def share(self) -> Share:
        """What this rank loads of every batch and of the validation set."""
        return Share(self.rank, self.world)

    def average(self, tensors: Sequence[torch.Tensor], contributed: bool = True) -> None:
        """The mean over the ranks that contributed: a rank with an empty share gives zeros and is not counted."""
        ranks = self.total(torch.tensor(float(contributed), device=self.device))
        for t in tensors:
            dist.all_reduce(t)
            t.div_(ranks)

    def broadcast_buffers(self, buffers: List[torch.Tensor]) -> None:
        for b in buffers:
            dist.broadcast(b, 0)

    def total(self, t: torch.Tensor) -> torch.Tensor:
        dist.all_reduce(t)
        return t

    def any(self, flag: bool) -> bool:
        """Whether any rank says yes: all ranks stop at the same step, or their collectives would wait forever."""
        return bool(self.total(torch.tensor([float(flag)], device=self.device)).item() > 0)

    def from_rank0(self, value: str) -> str:
        box = [value]
        dist.broadcast_object_list(box, 0)
        return box[0]

    def close(self) -> None:
        dist.destroy_process_group()


def ranks_from_env() -> Optional[Ranks]:
    """The process group when started by torchrun with more than one process; None otherwise."""
    return Ranks() if int(os.environ.get("WORLD_SIZE", "1")) > 1 else None
