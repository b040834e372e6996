"""What a training process and `serve` agree on, without torch (the server never imports it): the exit status of a
run stopped on request, the lock that keeps a run to one process (and tells `serve` a run is being trained by a
process it did not start), and the tests' hold.
"""

import fcntl
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import IO

INTERRUPTED = 75  # exit status of a run that stopped on request, its state saved (EX_TEMPFAIL)
LOCK_FILE = ".lock"
# Test seam: after this comparison step the process waits for SIGTERM (then pauses there) or SIGKILL, so a test
# can stop it mid-run at a known step without racing it.
HOLD_ENV = "SUPERMASK_HOLD_AFTER_STEP"
# `serve` holds a run's lock for an instant to see whether a process trains it; a trainer starting in that instant
# waits this long rather than take the server for a second trainer.
PROBE_GRACE_SECONDS = 1.0


class RunBusy(RuntimeError):
    pass


def lock_run(run_dir: Path, wait_seconds: float = 0) -> IO:
    """An exclusive lock on the run for this process's lifetime: two processes never train one run. `serve` waits a
    little: after it was killed, the process that trained the run may still be dying (and holding the lock)."""
    f = open(Path(run_dir) / LOCK_FILE, "w")
    deadline = time.monotonic() + max(wait_seconds, PROBE_GRACE_SECONDS)
    while True:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return f
        except BlockingIOError:
            if time.monotonic() >= deadline:
                f.close()
                raise RunBusy(f"{run_dir} is being trained by another process")
            time.sleep(0.1)


def is_locked(run_dir: Path) -> bool:
    """Whether a process holds the run's lock (trains it) now: a shared lock taken and let go at once is refused
    then. A run whose lock file is missing has never been trained by this version, so nobody trains it."""
    try:
        fd = os.open(Path(run_dir) / LOCK_FILE, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def new_run_id(model: str, seed: int) -> str:
    """A run's id when none is given: the time, the net and the seed. An id is a folder name, so the '/' of
    torchvision's nets becomes '-'."""
    return datetime.now(timezone.utc).strftime(f"%Y%m%d-%H%M%S-{model.replace('/', '-')}-s{seed}")
