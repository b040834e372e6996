"""A comparison: a list of runs (EP, iEP, dense, IteRand) from the same network and seed, advanced interleaved (one step
of each unfinished run per comparison step) on the same batches, as src/engine/comparison.ts does.
Reports and evaluations go to a sink (a callable) as they fall due; runs of different lengths (full-cycles) end
apart, the longer ones going on alone.
"""

from typing import Callable, Dict, Iterable, Optional, Protocol, Tuple

import torch

from .config import ComparisonSpec, RunSpec
from .dense import DenseRun, make_dense
from .distributed import Ranks
from .iterand import IteRandSearch
from .models import SupermaskNet, build_model, summarize
from .schedule import Plan, make_plan
from .search import Search
from .training import TrainingRun

Sink = Callable[[dict], None]
Batch = Tuple[torch.Tensor, torch.Tensor]


class DataSource(Protocol):
    """What a comparison trains and evaluates on (batches.CifarSource, imagenet.ImageFolderSource): under torchrun,
    this rank's share of each batch and of the test set (Ranks.share)."""

    classes: int

    @property
    def train_count(self) -> int: ...

    def batch(self, step: int) -> Batch: ...

    def test_batches(self) -> Iterable[Batch]: ...


class Comparison:
    def __init__(
        self,
        spec: ComparisonSpec,
        data: DataSource,
        device: Optional[torch.device] = None,
        ranks: Optional[Ranks] = None,
    ):
        self.spec = spec
        self.device = device or torch.device("cuda" if torch.cuda.is_available() else "cpu")
        self.data = data
        self.ranks = ranks
        if data.train_count == 0:
            raise ValueError("the training split is empty")
        self.runs = [self.make_run(run) for run in spec.runs]
        self.summary = summarize(self.runs[0].model, spec.model, spec.width, spec.target_pruning_rate)

    def model(self) -> SupermaskNet:
        return build_model(self.spec.model, self.spec.width, self.spec.seed, self.data.classes)

    def make_run(self, run: RunSpec) -> TrainingRun:
        """The run of its method, on its own copy of the seeded network."""
        model, plan = self.model(), self.plan(run)
        if run.method == "dense":
            return DenseRun(self.spec, run, make_dense(model, self.spec.seed), plan, self.device, self.ranks)
        search = IteRandSearch if run.method == "iterand" else Search
        return search(self.spec, run, model, plan, self.device, self.ranks)

    def plan(self, run: RunSpec) -> Plan:
        return make_plan(self.spec, run, self.data.train_count)

    @property
    def done(self) -> bool:
        return all(r.done for r in self.runs)

    @property
    def steps(self) -> Dict[str, int]:
        return {r.run.id: r.steps_done for r in self.runs}

    def step_once(self, sink: Sink) -> None:
        """One step of each unfinished run on the same batch, then the reports and evaluations that fall due."""
        active = [r for r in self.runs if not r.done]
        if not active:
            return
        batch = self.data.batch(active[0].steps_done)
        for run in active:
            run.step(batch)
        for run in active:
            if run.steps_done % self.spec.report_every == 0 or run.done:
                sink(run.report())
            reason = self.eval_reason(run)
            if reason:
                sink(run.evaluate(self.data.test_batches(), reason))

    @staticmethod
    def eval_reason(run: TrainingRun) -> Optional[str]:
        """After every epoch, at every cycle's end and at the end; the highest-ranked reason wins."""
        s = run.steps_done
        if run.done:
            return "final"
        cycle = run.cycle
        if s == cycle.start + cycle.length:
            return "cycle-end"
        if s % run.plan.steps_per_epoch == 0:
            return "epoch"
        return None

    def cycle_ended(self) -> bool:
        """Whether a run's cycle ended at its last step (a checkpoint falls due)."""
        return any(r.steps_done > 0 and r.steps_done == r.cycle.start + r.cycle.length for r in self.runs)

    def state(self) -> dict:
        """The runs' states; the data order needs nothing more, as step t's batch is a function of (seed, t)."""
        return {"runs": {r.run.id: r.state() for r in self.runs}}

    def restore(self, state: dict) -> None:
        for r in self.runs:
            r.restore(state["runs"][r.run.id])

    def run_to_end(self, sink: Sink) -> None:
        while not self.done:
            self.step_once(sink)
