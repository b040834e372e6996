"""Step budgets, pruning-rate and learning-rate schedules (src/engine/schedule.ts, ported; docs/engine.md §3)."""

import dataclasses
import math
from dataclasses import dataclass
from typing import List

from .config import ComparisonSpec, ConfigError, RunSpec
from .jsmath import js_round


@dataclass(frozen=True)
class Cycle:
    index: int  # 1-based
    start: int  # first step, 0-based, in the run's own step count
    length: int
    p: float  # pruning rate searched at in this cycle


@dataclass(frozen=True)
class Plan:
    run: str
    total_steps: int
    steps_per_epoch: int
    cycles: List[Cycle]
    learning_rate: float
    lr_rewind: bool  # cosine restarts at each cycle start; False: one cosine over the whole run
    warmup_steps: int = 0  # the run's first steps ramp the learning rate up linearly before its cosine starts


def steps_per_epoch(train_count: int, batch_size: int) -> int:
    """ceil(train images / batch): the last batch of an epoch is smaller (PyTorch's drop_last=False)."""
    return -(-train_count // batch_size)


def ep_total_steps(spec: ComparisonSpec, train_count: int) -> int:
    """EP's budget: ceil(steps per epoch x epochs) (epochs may be fractional), at least one step."""
    return max(1, math.ceil(steps_per_epoch(train_count, spec.batch_size) * spec.epochs))


def cycle_rate(schedule: str, c: int, cycles: int, target: float) -> float:
    """Pruning rate of cycle c (1-based) of `cycles` for the built-in schedules."""
    if schedule == "geometric":
        return 1 - math.pow(1 - target, c / cycles)
    if schedule == "linear":
        return target * c / cycles
    return target


def make_plan(spec: ComparisonSpec, run: RunSpec, train_count: int) -> Plan:
    plan = _plan(spec, run, train_count)
    if spec.warmup_epochs <= 0:
        return plan
    # Never the whole first cycle: its cosine keeps at least one step.
    warmup = min(js_round(spec.warmup_epochs * plan.steps_per_epoch), plan.cycles[0].length - 1)
    return dataclasses.replace(plan, warmup_steps=max(0, warmup))


def _plan(spec: ComparisonSpec, run: RunSpec, train_count: int) -> Plan:
    spe = steps_per_epoch(train_count, spec.batch_size)
    ep_steps = ep_total_steps(spec, train_count)
    if run.method in ("ep", "iterand"):
        cycles = [Cycle(1, 0, ep_steps, spec.target_pruning_rate)]
        return Plan(run.id, ep_steps, spe, cycles, spec.learning_rate, True)
    if run.method == "dense":
        # No mask: one cycle at pruning rate 0, EP's steps, its own learning rate when it has one.
        lr = spec.learning_rate if run.dense is None or run.dense.learning_rate is None else run.dense.learning_rate
        return Plan(run.id, ep_steps, spe, [Cycle(1, 0, ep_steps, 0.0)], lr, True)
    iep = run.iep
    assert iep is not None, "an iEP run needs its settings"
    n = len(iep.points) if iep.schedule == "custom" and iep.points else iep.cycles
    total = ep_steps if spec.budget == "equal-compute" else ep_steps * n
    if total < n:
        raise ConfigError(f"{iep.at}.cycles", f"{n} cycles need at least {n} steps; the budget gives {total}")
    if iep.schedule == "custom":
        points = iep.points or ()
        for i, (step, _) in enumerate(points):
            if step >= total:
                raise ConfigError(f"{iep.at}.points[{i}].step", f"must be below iEP's total of {total} steps")
        starts = [step for step, _ in points]
        rates = [p for _, p in points]
    else:
        # Cycle c spans [round((c-1)T/C), round(cT/C)): an even split, lengths differing by at most one step.
        starts = [js_round(i * total / n) for i in range(n)]
        rates = [cycle_rate(iep.schedule, i + 1, n, spec.target_pruning_rate) for i in range(n)]
    cycles = [
        Cycle(i + 1, start, (starts[i + 1] if i + 1 < n else total) - start, rates[i]) for i, start in enumerate(starts)
    ]
    return Plan(run.id, total, spe, cycles, spec.learning_rate, iep.lr_rewind)


def cycle_at(plan: Plan, step: int) -> Cycle:
    """The cycle a step (0-based) belongs to."""
    found = plan.cycles[0]
    for c in plan.cycles:
        if c.start <= step:
            found = c
    return found


def learning_rate_at(plan: Plan, step: int) -> float:
    """Cosine lr0 (1 + cos(pi t / T)) / 2, t from the cycle's start over its length (LR rewind), else over the run.
    With a warm-up of W steps, step s < W takes lr0 (s + 1) / W and the cosine starts at W (EP's ImageNet recipe;
    its reference ramps per epoch, (e + 1) / 5 of lr0 through epoch e, this ramps per step)."""
    w = plan.warmup_steps
    if step < w:
        return plan.learning_rate * (step + 1) / w
    cycle = cycle_at(plan, step)
    start, T = (cycle.start, cycle.length) if plan.lr_rewind else (0, plan.total_steps)
    if start < w:
        start, T = w, T - (w - start)
    return plan.learning_rate * (1 + math.cos(math.pi * (step - start) / T)) / 2
