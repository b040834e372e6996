"""One run (EP, or iEP with its settings) over a supermask model: the step (masks, straight-through gradient, SGD on
the scores), cycle starts (score carry / rewind / re-init, hard iEP's allowed mask, momentum reset), telemetry and
evaluation: src/engine/search.ts, ported. Nothing is read back to the host per step; a report reads back once.
"""

import contextlib
import time
from typing import Iterable, List, Optional, Tuple

import torch
import torch.nn.functional as F

from .config import ComparisonSpec, RunSpec
from .distributed import Ranks
from .mask import kept_count, top_mask
from .models import SupermaskNet
from .schedule import Cycle, Plan, cycle_at, learning_rate_at
from .usage import LayerUsage

Batch = Tuple[torch.Tensor, torch.Tensor]


class Search:
    def __init__(
        self,
        spec: ComparisonSpec,
        run: RunSpec,
        model: SupermaskNet,
        plan: Plan,
        device: torch.device,
        ranks: Optional[Ranks] = None,
    ):
        self.spec = spec
        self.ranks = ranks
        self.run = run
        self.model = model.to(device)
        self.plan = plan
        self.device = device
        self.layers = model.masked
        for norm in model.norms:
            norm.requires_grad_(False)
        self.usage = [LayerUsage(l) for l in self.layers]
        self.momentum = [torch.zeros_like(l.scores) for l in self.layers]
        # Hard iEP: edges the current cycle may select (the previous cycle's mask); None = all.
        self.allowed: List[Optional[torch.Tensor]] = [None] * len(self.layers)
        self.loss_sum = torch.zeros((), device=device)
        self.correct_sum = torch.zeros((), device=device)
        self.steps_done = 0
        self.window_steps = 0
        self.window_images = 0
        self.window_seconds = 0.0
        self.cuda = device.type == "cuda"
        if self.cuda:
            self.model.to(memory_format=torch.channels_last)

    @property
    def done(self) -> bool:
        return self.steps_done >= self.plan.total_steps

    @property
    def cycle(self) -> Cycle:
        """The cycle of the last step done (or of the first step before any)."""
        return cycle_at(self.plan, max(0, self.steps_done - 1))

    @torch.no_grad()
    def masks_at(self, p: float) -> List[torch.Tensor]:
        return [top_mask(l.scores, kept_count(l.edges, p), a) for l, a in zip(self.layers, self.allowed)]

    def _autocast(self):
        # bf16 on CUDA (scores, masks and the optimiser stay float32); plain float32 on the CPU, as the engine.
        return torch.autocast("cuda", dtype=torch.bfloat16) if self.cuda else contextlib.nullcontext()

    def _to_device(self, x: torch.Tensor, y: torch.Tensor) -> Batch:
        x = x.to(self.device, non_blocking=True)
        if self.cuda:
            x = x.contiguous(memory_format=torch.channels_last)
        return x, y.to(self.device, non_blocking=True)

    def step(self, batch: Batch) -> None:
        if self.done:
            raise RuntimeError(f"{self.run.id}: all {self.plan.total_steps} steps are done")
        t0 = time.perf_counter()
        t = self.steps_done
        cycle = cycle_at(self.plan, t)
        if t == cycle.start and t > 0:
            self.begin_cycle(cycle)
        lr = learning_rate_at(self.plan, t)
        target = self.spec.target_pruning_rate
        masks = self.masks_at(cycle.p)
        target_masks = masks if cycle.p == target else self.masks_at(target)
        for layer, m in zip(self.layers, masks):
            layer.mask = m
        x, y = self._to_device(*batch)
        self.model.train()
        with self._autocast():
            logits = self.model(x)
        loss = F.cross_entropy(logits.float(), y)
        grads = torch.autograd.grad(loss, [l.scores for l in self.layers])
        if self.ranks:
            self.ranks.average(grads)
            self.ranks.broadcast_buffers([b for n in self.model.norms for b in n.buffers()])
        with torch.no_grad():
            self.loss_sum += loss.detach()
            self.correct_sum += (logits.argmax(1) == y).sum()
            wd, mu = self.spec.weight_decay, self.spec.momentum
            # PyTorch's SGD, in the engine's order of operations: v = mu v + (g + wd s); s -= lr v.
            for layer, g, v in zip(self.layers, grads, self.momentum):
                v.copy_(v * mu + (g + layer.scores * wd))
                layer.scores.sub_(v * lr)
            for u, m, tm in zip(self.usage, masks, target_masks):
                u.update(m, tm)
        self.steps_done += 1
        self.window_steps += 1
        self.window_images += int(y.shape[0])
        self.window_seconds += time.perf_counter() - t0

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
        """The StepReport of the steps since the previous report (one readback); resets the window."""
        t0 = time.perf_counter()
        if self.ranks:  # the window over every rank's share of the batches
            images = self.ranks.total(torch.tensor([float(self.window_images)], device=self.device))
            self.window_images = int(images.item())
            self.ranks.average([self.loss_sum])
            self.ranks.total(self.correct_sum)
        readout = torch.cat(
            [torch.stack([self.loss_sum, self.correct_sum.float()])] + [u.readout(self.steps_done) for u in self.usage]
        )
        values = readout.cpu().tolist()
        # On CUDA the steps only queued work; waiting for this readback is when it ran, so it counts as step time.
        self.window_seconds += time.perf_counter() - t0
        cycle = self.cycle
        offset = 2
        layers = []
        for layer, u in zip(self.layers, self.usage):
            parsed = u.parse(values[offset : offset + u.readout_size])
            offset += u.readout_size
            u.reset_window()
            layers.append({"name": layer.layer_name, "kept": kept_count(layer.edges, cycle.p), **parsed})
        report = {
            "kind": "step",
            "run": self.run.id,
            "step": self.steps_done,
            "totalSteps": self.plan.total_steps,
            "epoch": self.steps_done / self.plan.steps_per_epoch,
            "cycle": cycle.index,
            "cycles": len(self.plan.cycles),
            "pruningRate": cycle.p,
            "learningRate": learning_rate_at(self.plan, max(0, self.steps_done - 1)),
            "loss": values[0] / self.window_steps if self.window_steps else 0,
            "trainAccuracy": values[1] / self.window_images if self.window_images else 0,
            "imagesPerSecond": self.window_images / self.window_seconds if self.window_seconds > 0 else 0,
            "layers": layers,
        }
        self.loss_sum.zero_()
        self.correct_sum.zero_()
        self.window_steps = self.window_images = 0
        self.window_seconds = 0.0
        return report

    def state(self) -> dict:
        """Everything the next step depends on, for a checkpoint: scores and BatchNorm statistics (the model's
        state), momentum, hard iEP's allowed masks, usage counters and the open report window."""
        return {
            "model": self.model.state_dict(),
            "momentum": self.momentum,
            "allowed": self.allowed,
            "usage": [{**u.state(), "has_prev": u.has_prev} for u in self.usage],
            "steps_done": self.steps_done,
            "loss_sum": self.loss_sum,
            "correct_sum": self.correct_sum,
            "window": (self.window_steps, self.window_images, self.window_seconds),
        }

    @torch.no_grad()
    def restore(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        for v, saved in zip(self.momentum, state["momentum"]):
            v.copy_(saved)
        self.allowed = [None if a is None else a.to(self.device) for a in state["allowed"]]
        for u, saved in zip(self.usage, state["usage"]):
            for name, tensor in u.state().items():
                tensor.copy_(saved[name])
            u.has_prev = saved["has_prev"]
        self.steps_done = state["steps_done"]
        self.loss_sum.copy_(state["loss_sum"])
        self.correct_sum.copy_(state["correct_sum"])
        self.window_steps, self.window_images, self.window_seconds = state["window"]

    @torch.no_grad()
    def evaluate(self, batches: Iterable[Batch], reason: str) -> dict:
        """Test accuracy and loss with the current cycle's mask and BatchNorm's running statistics."""
        cycle = self.cycle
        for layer, m in zip(self.layers, self.masks_at(cycle.p)):
            layer.mask = m
        self.model.eval()
        sums = torch.zeros(3, device=self.device)
        for batch in batches:
            x, y = self._to_device(*batch)
            with self._autocast():
                logits = self.model(x).float()
            loss = F.cross_entropy(logits, y, reduction="sum")
            correct = (logits.argmax(1) == y).sum().float()
            sums += torch.stack([loss, correct, torch.full((), float(y.shape[0]), device=self.device)])
        loss_sum, correct, n = sums.cpu().tolist()
        return {
            "kind": "eval",
            "run": self.run.id,
            "step": self.steps_done,
            "epoch": self.steps_done / self.plan.steps_per_epoch,
            "cycle": cycle.index,
            "pruningRate": cycle.p,
            "testAccuracy": correct / n if n > 0 else 0,
            "testLoss": loss_sum / n if n > 0 else 0,
            "reason": reason,
        }
