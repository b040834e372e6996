"""A comparison driven to its end or until asked to stop, with checkpoints every N comparison steps, at each cycle's
end and at the end. SIGTERM (what `serve` sends to pause or stop a run) ends it after the step under way, with a
checkpoint, so `resume` goes on from exactly there; after SIGKILL it goes on from the last checkpoint instead.
"""

import os
import signal
import sys
from pathlib import Path
from typing import Union

from .checkpoint import load_checkpoint, restore_checkpoint, save_checkpoint
from .comparison import Comparison
from .process import HOLD_ENV, INTERRUPTED
from .telemetry import RunWriter


def resume_state(comparison: Comparison, run_dir: Path) -> int:
    """Restores the last checkpoint, if any; returns how many reports the telemetry held at it."""
    state = load_checkpoint(run_dir)
    if state is None:
        return 0
    restore_checkpoint(comparison, state)
    return state["reports"]


class Discard:
    """The writer of ranks other than 0 under torchrun: they make the same reports, rank 0 records them."""

    reports = 0

    def __init__(self, run_dir: Path):
        self.dir = run_dir

    def write(self, report: dict) -> None:
        pass

    def close(self) -> None:
        pass


def drive(comparison: Comparison, writer: Union[RunWriter, Discard], checkpoint_every: int) -> int:
    """Runs until done (returns 0) or SIGTERM / SIGINT (returns INTERRUPTED), checkpointing along the way (rank 0
    only, under torchrun)."""
    stop = []
    previous = {s: signal.signal(s, lambda *_: stop.append(True)) for s in (signal.SIGTERM, signal.SIGINT)}
    hold = int(os.environ.get(HOLD_ENV, "-1"))
    try:
        while not comparison.done:
            comparison.step_once(writer.write)
            step = max(comparison.steps.values())
            if step == hold:
                print(f"holding after step {step} ({HOLD_ENV})", file=sys.stderr, flush=True)
                while not stop:
                    signal.pause()
            stopping = comparison.ranks.any(bool(stop)) if comparison.ranks else bool(stop)
            due = stopping or comparison.done or comparison.cycle_ended() or step % checkpoint_every == 0
            if due and (comparison.ranks is None or comparison.ranks.writes):
                save_checkpoint(writer.dir, comparison, writer.reports, comparison.done)
            if stopping and not comparison.done:
                return INTERRUPTED
        return 0
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
