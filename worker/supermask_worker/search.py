"""One search (EP, or iEP with its settings) over a supermask model: the step (masks, straight-through gradient, SGD
on the scores), cycle starts (score carry / rewind / re-init, hard iEP's allowed mask, momentum reset) and edge-usage
telemetry: src/engine/search.ts, ported. Nothing is read back to the host per step; a report reads back once.
"""

from typing import List, Optional

import torch

from .mask import kept_count, top_mask
from .schedule import Cycle, cycle_at, learning_rate_at
from .training import Batch, TrainingRun
from .usage import LayerUsage


class Search(TrainingRun):
    def setup(self) -> None:
        self.layers = self.model.masked
        for norm in self.model.norms:
            norm.requires_grad_(False)
        self.usage = [LayerUsage(l) for l in self.layers]
        self.momentum = [torch.zeros_like(l.scores) for l in self.layers]
        # Hard iEP: edges the current cycle may select (the previous cycle's mask); None = all.
        self.allowed: List[Optional[torch.Tensor]] = [None] * len(self.layers)

    @torch.no_grad()
    def masks_at(self, p: float) -> List[torch.Tensor]:
        return [top_mask(l.scores, kept_count(l.edges, p), a) for l, a in zip(self.layers, self.allowed)]

    def train_step(self, t: int, batch: Batch) -> None:
        cycle = cycle_at(self.plan, t)
        if t == cycle.start and t > 0:
            self.begin_cycle(cycle)
        target = self.spec.target_pruning_rate
        masks = self.masks_at(cycle.p)
        target_masks = masks if cycle.p == target else self.masks_at(target)
        for layer, m in zip(self.layers, masks):
            layer.mask = m
        self.descend(batch, [l.scores for l in self.layers], self.momentum, learning_rate_at(self.plan, t))
        with torch.no_grad():
            for u, m, tm in zip(self.usage, masks, target_masks):
                u.update(m, tm)

    @torch.no_grad()
    def begin_cycle(self, cycle: Cycle) -> None:
        """A cycle starts: fix hard iEP's search space, then carry / rewind / re-draw the scores, reset momentum."""
        iep = self.run.iep
        assert iep is not None
        previous = self.plan.cycles[cycle.index - 2]
        if iep.variant == "hard":
            # The previous cycle's mask, from its final scores, before they are rewound or re-drawn.
            self.allowed = self.masks_at(previous.p)
        if iep.scores != "carry":
            draw = 0 if iep.scores == "rewind" else cycle.index - 1
            for layer in self.layers:
                layer.scores.copy_(layer.score_draw(self.spec.seed, draw))
        for v in self.momentum:
            v.zero_()

    def report(self) -> dict:
        """The StepReport of the steps since the previous report, with every layer's edge usage (one readback)."""
        fields, values = self.read_window([u.readout(self.steps_done) for u in self.usage])
        offset = 0
        layers = []
        for layer, u in zip(self.layers, self.usage):
            parsed = u.parse(values[offset : offset + u.readout_size])
            offset += u.readout_size
            u.reset_window()
            layers.append({"name": layer.layer_name, "kept": kept_count(layer.edges, self.cycle.p), **parsed})
        return {**fields, "layers": layers}

    def prepare_eval(self) -> None:
        """Evaluation uses the current cycle's mask."""
        for layer, m in zip(self.layers, self.masks_at(self.cycle.p)):
            layer.mask = m

    def fingerprint(self) -> List[torch.Tensor]:
        return self.masks_at(self.cycle.p)

    def state(self) -> dict:
        """Beyond the model, momentum and window: hard iEP's allowed masks and the usage counters."""
        return {
            **super().state(),
            "allowed": self.allowed,
            "usage": [{**u.state(), "has_prev": u.has_prev} for u in self.usage],
        }

    @torch.no_grad()
    def restore(self, state: dict) -> None:
        super().restore(state)
        self.allowed = [None if a is None else a.to(self.device) for a in state["allowed"]]
        for u, saved in zip(self.usage, state["usage"]):
            for name, tensor in u.state().items():
                tensor.copy_(saved[name])
            u.has_prev = saved["has_prev"]
