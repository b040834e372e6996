"""IteRand (Chijiwa et al., NeurIPS 2021, "Pruning Randomly Initialized Neural Networks with Iterative Randomization"),
as src/engine/iterand.ts implements it from the paper: edge-popup whose frozen weights are partly re-drawn every K_per
steps. At boundary b (before step b K_per), in each layer, exactly floor(lambda x pruned) of the weights the mask of
that step prunes take fresh signed-Kaiming-constant values from the draw b ('weights/<layer>/draw<b>'); which ones is
the top of seeded priorities ('iterand/<layer>/<b>') among the pruned, ties by TF.js flat index as every mask. Kept
weights never change; scores and momentum carry on; edge usage counts edges, whatever their weight.
"""

import math

import torch

from .init import signed_kaiming_constant, uniforms
from .mask import kept_count, top_mask
from .schedule import cycle_at
from .search import Search
from .training import Batch


def redraw_count(edges: int, kept: int, lam: float) -> int:
    """Weights re-drawn in a layer of `edges` edges with `kept` kept: floor(lambda x pruned)."""
    return math.floor(lam * (edges - kept))


class IteRandSearch(Search):
    def train_step(self, t: int, batch: Batch) -> None:
        settings = self.run.iterand
        assert settings is not None, "an IteRand run needs its settings"
        if t > 0 and t % settings.k_per == 0:
            self.redraw(t // settings.k_per)
        super().train_step(t, batch)

    @torch.no_grad()
    def redraw(self, boundary: int) -> None:
        assert self.run.iterand is not None
        p = cycle_at(self.plan, self.steps_done).p
        seed = self.spec.seed
        for layer in self.layers:
            kept = kept_count(layer.edges, p)
            count = redraw_count(layer.edges, kept, self.run.iterand.lam)
            if count == 0:
                continue
            name, shape = layer.layer_name, layer.shape
            priority = torch.from_numpy(uniforms(shape, seed, f"iterand/{name}/{boundary}")).to(self.device)
            fresh = torch.from_numpy(signed_kaiming_constant(shape, seed, name, boundary)).to(self.device)
            pruned = 1 - top_mask(layer.scores, kept)
            chosen = top_mask(priority, count, pruned)
            layer.weight.copy_(torch.where(chosen > 0, fresh, layer.weight))
