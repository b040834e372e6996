"""The server's log: rate-limited, because under a flood of bad connections every one of them would otherwise write
its own lines (a traceback each), faster than anyone reads them and enough to fill a disk."""

import logging
import sys
import time
from typing import Callable

LINES_PER_WINDOW = 20
WINDOW_SECONDS = 10.0

log = logging.getLogger("supermask_worker")


class RateLimit(logging.Filter):
    """Lets `lines` records through per `seconds`; the rest are counted, and their number is said in the first record
    of a later window."""

    def __init__(self, lines: int = LINES_PER_WINDOW, seconds: float = WINDOW_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.lines, self.seconds, self.clock = lines, seconds, clock
        self.window_start = clock()
        self.passed = 0
        self.dropped = 0

    def filter(self, record: logging.LogRecord) -> bool:
        now = self.clock()
        if now - self.window_start >= self.seconds:
            if self.dropped:
                record.msg = f"({self.dropped} log lines left out in the last {self.seconds:g} s) {record.msg}"
            self.window_start, self.passed, self.dropped = now, 0, 0
        if self.passed >= self.lines:
            self.dropped += 1
            return False
        self.passed += 1
        return True


def set_up(lines: int = LINES_PER_WINDOW, seconds: float = WINDOW_SECONDS) -> None:
    """Everything the server and the websockets package log goes to stderr through one rate limit."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RateLimit(lines, seconds))
    handler.setFormatter(logging.Formatter("%(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
