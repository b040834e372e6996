"""The dense baseline ("regular weight" in the seed paper; src/engine/dense.ts): the same architecture with its weights
trained as usual and no mask. Kaiming-normal weights (the engine's seeded stream), BatchNorm with learnable scale and
shift, and the searches' optimiser (SGD with momentum, weight decay, one cosine over EP's steps) on every parameter,
at the run's own learning rate when it has one. Its reports have pruning rate 0, one cycle and no edge usage.
"""

from typing import List

import torch
from torch import nn

from .init import kaiming_normal
from .models import SupermaskNet
from .schedule import learning_rate_at
from .training import Batch, TrainingRun


def make_dense(model: SupermaskNet, seed: int) -> SupermaskNet:
    """Turns a freshly built supermask net into the dense baseline's net, in place: trained Kaiming-normal weights in
    every masked layer, BatchNorm scale 1 and shift 0, both trained."""
    for layer in model.masked:
        layer.train_weights(torch.from_numpy(kaiming_normal(layer.shape, seed, layer.layer_name)))
    for norm in model.norms:
        norm.affine = True
        norm.weight = nn.Parameter(torch.ones(norm.num_features))
        norm.bias = nn.Parameter(torch.zeros(norm.num_features))
    return model


class DenseRun(TrainingRun):
    def setup(self) -> None:
        # Weights first, then BatchNorm's scales and shifts: every parameter SGD updates.
        self.params: List[torch.Tensor] = [l.weight for l in self.model.masked]
        self.params += [p for n in self.model.norms for p in (n.weight, n.bias)]
        self.momentum = [torch.zeros_like(p) for p in self.params]

    def train_step(self, t: int, batch: Batch) -> None:
        self.descend(batch, self.params, self.momentum, learning_rate_at(self.plan, t))

    def fingerprint(self) -> List[torch.Tensor]:
        return [p.detach() for p in self.params]
