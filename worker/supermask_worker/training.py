"""What every run of a comparison does alike, whatever it trains (scores under a mask, or dense weights): one SGD step
on a batch, the report window (loss, accuracy, speed) kept on the device and read back once per report, evaluation,
and the state a checkpoint saves. search.Search and dense.DenseRun build on it.
"""

import contextlib
import time
from typing import Iterable, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from .config import ComparisonSpec, RunSpec
from .distributed import Ranks
from .models import SupermaskNet
from .schedule import Cycle, Plan, cycle_at, learning_rate_at

Batch = Tuple[torch.Tensor, torch.Tensor]


@torch.no_grad()
def sgd_update(params: Sequence[torch.Tensor], grads, velocities, lr: float, momentum: float, wd: float) -> None:
    """PyTorch's SGD, in the engine's order of operations (src/engine/metrics.ts): v = mu v + (g + wd p); p -= lr v."""
    for p, g, v in zip(params, grads, velocities):
        v.copy_(v * momentum + (g + p * wd))
        p.sub_(v * lr)


class TrainingRun:
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
        self.loss_sum = torch.zeros((), device=device)
        self.correct_sum = torch.zeros((), device=device)
        self.momentum: List[torch.Tensor] = []  # one per trained tensor, set by the subclass
        self.steps_done = 0
        self.window_steps = 0
        self.window_images = 0
        self.window_seconds = 0.0
        self.cuda = device.type == "cuda"
        if self.cuda:
            self.model.to(memory_format=torch.channels_last)
        self.setup()

    def setup(self) -> None:
        """What the method keeps beside the shared state (its momentum, usage counters, …)."""

    @property
    def done(self) -> bool:
        return self.steps_done >= self.plan.total_steps

    @property
    def cycle(self) -> Cycle:
        """The cycle of the last step done (or of the first step before any)."""
        return cycle_at(self.plan, max(0, self.steps_done - 1))

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
        self.train_step(self.steps_done, batch)
        self.steps_done += 1
        self.window_steps += 1
        self.window_images += int(batch[1].shape[0])
        self.window_seconds += time.perf_counter() - t0

    def train_step(self, t: int, batch: Batch) -> None:
        """Step t (0-based) on a batch: what the run trains, and how."""
        raise NotImplementedError

    def descend(self, batch: Batch, params: List[torch.Tensor], velocities: List[torch.Tensor], lr: float) -> None:
        """Forward, cross-entropy, gradients of `params` (averaged over ranks), one SGD step; loss and correct
        predictions summed on the device for the report window."""
        x, y = self._to_device(*batch)
        self.model.train()
        if y.shape[0] == 0:
            # Under torchrun, a rank's share of an epoch's last batch smaller than the world: nothing to learn from.
            grads: Sequence[torch.Tensor] = [torch.zeros_like(p) for p in params]
        else:
            with self._autocast():
                logits = self.model(x)
            loss = F.cross_entropy(logits.float(), y, label_smoothing=self.spec.label_smoothing)
            grads = torch.autograd.grad(loss, params)
            with torch.no_grad():
                self.loss_sum += loss.detach()
                self.correct_sum += (logits.argmax(1) == y).sum()
        if self.ranks:
            self.ranks.average(grads, contributed=y.shape[0] > 0)
            self.ranks.broadcast_buffers([b for n in self.model.norms for b in n.buffers()])
        sgd_update(params, grads, velocities, lr, self.spec.momentum, self.spec.weight_decay)

    def read_window(self, extra: List[torch.Tensor]) -> Tuple[dict, List[float]]:
        """Closes the report window in one readback: its StepReport fields, and the values of `extra` (flat)."""
        t0 = time.perf_counter()
        if self.ranks:  # the window over every rank's share of the batches
            images = self.ranks.total(torch.tensor([float(self.window_images)], device=self.device))
            self.window_images = int(images.item())
            self.ranks.average([self.loss_sum])
            self.ranks.total(self.correct_sum)
        readout = torch.cat([torch.stack([self.loss_sum, self.correct_sum.float()])] + extra)
        values = readout.cpu().tolist()
        # On CUDA the steps only queued work; waiting for this readback is when it ran, so it counts as step time.
        self.window_seconds += time.perf_counter() - t0
        cycle = self.cycle
        fields = {
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
        }
        self.loss_sum.zero_()
        self.correct_sum.zero_()
        self.window_steps = self.window_images = 0
        self.window_seconds = 0.0
        return fields, values[2:]

    def report(self) -> dict:
        """The StepReport of the steps since the previous report (one readback); resets the window."""
        fields, _ = self.read_window([])
        return {**fields, "layers": []}

    def prepare_eval(self) -> None:
        """Sets what the forward pass needs before evaluation (a search's masks)."""

    @torch.no_grad()
    def evaluate(self, batches: Iterable[Batch], reason: str) -> dict:
        """Test accuracy and loss with BatchNorm's running statistics, over every rank's share of the test set."""
        self.prepare_eval()
        cycle = self.cycle
        self.model.eval()
        sums = torch.zeros(3, device=self.device)
        for batch in batches:
            x, y = self._to_device(*batch)
            with self._autocast():
                logits = self.model(x).float()
            loss = F.cross_entropy(logits, y, reduction="sum")
            correct = (logits.argmax(1) == y).sum().float()
            sums += torch.stack([loss, correct, torch.full((), float(y.shape[0]), device=self.device)])
        if self.ranks:
            self.ranks.total(sums)
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

    def fingerprint(self) -> List[torch.Tensor]:
        """What every rank of a torchrun must hold alike after a step (its digest is printed at the end)."""
        raise NotImplementedError

    def state(self) -> dict:
        """The model's state (what it trains, BatchNorm statistics), momentum, steps, the open report window."""
        return {
            "model": self.model.state_dict(),
            "momentum": self.momentum,
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
        self.steps_done = state["steps_done"]
        self.loss_sum.copy_(state["loss_sum"])
        self.correct_sum.copy_(state["correct_sum"])
        self.window_steps, self.window_images, self.window_seconds = state["window"]
