"""A comparison driven to its end or until asked to stop, with checkpoints every N comparison steps, at each cycle's
end and at the end. SIGTERM (what `serve` sends to pause or stop a run) ends it after the step under way, with a
checkpoint, so `resume` goes on from exactly there; after SIGKILL it goes on from the last checkpoint instead.
"""

import fcntl
import os
import signal
import sys
from pathlib import Path
from typing import IO

from .checkpoint import load_checkpoint, restore_checkpoint, save_checkpoint
from .comparison import Comparison
from .telemetry import RunWriter

INTERRUPTED = 75  # exit status of a run that stopped on request, its state saved (EX_TEMPFAIL)
LOCK_FILE = ".lock"
# Test seam: after this comparison step the process waits to be killed, so a test can kill -9 it mid-run at a
# known step without racing it.
HOLD_ENV = "SUPERMASK_HOLD_AFTER_STEP"


class RunBusy(RuntimeError):
    pass


def lock_run(run_dir: Path) -> IO:
    """An exclusive lock on the run for this process's lifetime: two processes never train one run."""
    f = open(Path(run_dir) / LOCK_FILE, "w")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        raise RunBusy(f"{run_dir} is being trained by another process")
    return f


def resume_state(comparison: Comparison, run_dir: Path) -> int:
    """Restores the last checkpoint, if any; returns how many reports the telemetry held at it."""
    state = load_checkpoint(run_dir)
    if state is None:
        return 0
    restore_checkpoint(comparison, state)
    return state["reports"]


def drive(comparison: Comparison, writer: RunWriter, checkpoint_every: int) -> int:
    """Runs until done (returns 0) or SIGTERM / SIGINT (returns INTERRUPTED), checkpointing along the way."""
    stop = []
    previous = {s: signal.signal(s, lambda *_: stop.append(True)) for s in (signal.SIGTERM, signal.SIGINT)}
    hold = int(os.environ.get(HOLD_ENV, "-1"))
    try:
        while not comparison.done:
            comparison.step_once(writer.write)
            step = max(comparison.steps.values())
            if stop or comparison.done or comparison.cycle_ended() or step % checkpoint_every == 0:
                save_checkpoint(writer.dir, comparison, writer.reports, comparison.done)
            if stop and not comparison.done:
                return INTERRUPTED
            if step == hold:
                print(f"holding after step {step} ({HOLD_ENV})", file=sys.stderr, flush=True)
                while True:
                    signal.pause()
        return 0
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
