"""The runs `serve` manages: each trains in its own process (`train`, then `resume` after a pause or a restart; under
torchrun when the machine has more than one GPU), so the server stays responsive. A run's state and config are kept
in RUNS/.serve/<id>/, written atomically; on restart, runs that were training resume from their checkpoints.
Reports are read back from RUNS/<id>/telemetry.jsonl (the one record) and fanned out to subscribers: history from
any point, then live, with nothing lost or repeated between the two. They are not kept in memory: a run holds its
count and where every 256th report starts in the file, and a history is read from the file as it is sent.

Runs this server did not start (`train` or torchrun in a batch job, writing into the same runs folder) are followed
too: found within a second of their run.json appearing, 'external' while a process holds their lock (their new
reports sent on as they are appended), 'recorded' once it lets go (done, stopped or killed).
"""

import asyncio
import contextlib
import ctypes
import glob
import json
import os
import re
import shutil
import signal
import sys
from collections import deque
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from . import strictjson
from .config import ConfigError, upgrade_record, validate_config
from .datakind import data_problem
from .files import said, write_json_atomic
from .logs import log
from .protocol import (
    BAD_STATE,
    INVALID_CONFIG,
    INVALID_FIELD,
    RUN_EXISTS,
    SERVER_ERROR,
    UNKNOWN_RUN,
    ProtocolError,
    message,
)
from .process import INTERRUPTED, is_locked, new_run_id
from .telemetry import RUN_FILE, TELEMETRY_FILE

SERVE_DIR = ".serve"
POLL_SECONDS = 0.2  # how often a training run's telemetry file is read for new reports
FOLLOW_SECONDS = 1.0  # how often the runs folder is looked at for runs trained by other processes
SAVED_STATES = ("queued", "training", "paused", "stopped", "done", "failed")
RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # matched in full: no trailing newline
STATE_FILE = "state.json"  # RUNS/.serve/<id>/: what this server knows of a run it started
CONFIG_FILE = "config.json"
PACKAGE_PARENT = Path(__file__).resolve().parents[1]
MARK_EVERY = 256  # reports between the file offsets a run keeps, to start a history anywhere without reading it all
HISTORY_CHUNK_BYTES = 256 * 1024  # of the file, read at once before the client's room is awaited again

Send = Callable[[str], None]


def die_with_parent() -> None:
    """In the child, before exec: SIGKILL it when the server dies, even by SIGKILL, so that a restarted server never
    finds an orphan still training the run it resumes (the run's lock would refuse it anyway)."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def gpu_count() -> int:
    """NVIDIA GPUs this process may use, without importing torch (seconds the server does not need to spend)."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([d for d in visible.split(",") if d.strip() and not d.strip().startswith("-")])
    return len(glob.glob("/dev/nvidia[0-9]*"))


# torch 1.13's launcher (Debian 12's) on Python 3.11 cannot parse its own default "0" for these (Std.from_str
# misses the zero flag, which 3.11's Flag iteration no longer yields): give values it can parse. They copy the
# ranks' stdout into torchrun's log folder as well; stderr is left alone.
TORCHRUN_PYTHON311_FIX = ["--redirects", "1", "--tee", "1"]


def worker_command(args: List[str], gpus: int) -> List[str]:
    """The command that trains a run: one process, or torchrun with one process per GPU."""
    if gpus > 1:
        launcher = ["-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={gpus}"]
        launcher += [*TORCHRUN_PYTHON311_FIX, "-m"]
    else:
        launcher = ["-m"]
    return [sys.executable, *launcher, "supermask_worker", *args]


def terminate(process: asyncio.subprocess.Process) -> None:
    """SIGTERM, to a process that may have died already (its watcher has not seen it yet)."""
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)


class Subscriber:
    """One client's subscription to a run: its reports from `next_seq` and step `from_step` on. It is `live` once its
    history has been sent; until then new reports wait in the file for the history to reach them, and a change of
    the run's state waits in `held`, so the client hears it after the reports that came before it."""

    def __init__(self, send: Send, from_seq: int, from_step: int):
        self.send = send
        self.next_seq = from_seq
        self.from_step = from_step
        self.live = False
        self.held: Optional[str] = None

    def report(self, run_id: str, seq: int, report: Dict[str, Any]) -> None:
        if seq < self.next_seq:
            return
        self.next_seq = seq + 1
        if report["step"] >= self.from_step:
            self.send(message("report", run=run_id, seq=seq, report=report))

    def state(self, text: str) -> None:
        if self.live:
            self.send(text)
        else:
            self.held = text


class Run:
    def __init__(self, runs_dir: Path, run_id: str, state: str, error: Optional[str] = None):
        self.id = run_id
        self.dir = runs_dir / run_id
        self.state = state
        self.error = error
        self.pending: Optional[str] = None  # 'pause' or 'stop', asked of the training process
        self.process: Optional[asyncio.subprocess.Process] = None
        self.header: Optional[Dict[str, Any]] = None
        self.count = 0  # reports read
        self._offset = 0  # where the first report not read yet starts in the telemetry file
        self._marks: List[int] = []  # where report k * MARK_EVERY starts
        # Set once a file of the run cannot be read: nothing of it is read past the damage, and the error says where.
        self.damaged = False
        self.subscribers: Dict[Any, Subscriber] = {}

    def info(self) -> Dict[str, Any]:
        info = {"id": self.id, "state": self.state, "reports": self.count, "error": self.error}
        if self.pending:
            info["pending"] = self.pending
        return info

    def _damage(self, problem: str) -> None:
        self.damaged = True
        self.error = f"damaged: {problem}"

    def poll(self) -> bool:
        """Reads what the training process has written since the last poll (whole lines only) and sends it on.
        Returns True when this poll found the run damaged (a file that is not what the worker writes)."""
        if self.damaged:
            return False
        run_file = self.dir / RUN_FILE
        if self.header is None and run_file.exists():
            try:
                header = upgrade_record(strictjson.loads(run_file.read_text(encoding="utf-8")))
            except ValueError as e:
                self._damage(f"{run_file} is not JSON ({e})")
                return True
            if not isinstance(header, dict):  # the protocol's header is an object; the studio reads its fields
                self._damage(f"{run_file} is not a run's header (a JSON object)")
                return True
            self.header = header
            for s in self.subscribers.values():
                s.send(message("header", run=self.id, header=self.header))
        path = self.dir / TELEMETRY_FILE
        if not path.exists() or path.stat().st_size <= self._offset:
            return False
        with open(path, "rb") as f:
            f.seek(self._offset)
            for line in f:  # one line in memory at a time: a run's file may be larger than the memory
                if not line.endswith(b"\n"):
                    break  # still being written: read at the next poll
                try:
                    report = strictjson.loads(line)
                    if not isinstance(report, dict) or not isinstance(report.get("step"), int):
                        raise ValueError("not a report")
                except ValueError as e:
                    self._damage(f"{path} line {self.count + 1} is not a report ({e})")
                    return True
                if self.count % MARK_EVERY == 0:
                    self._marks.append(self._offset)
                self._offset += len(line)
                self.count += 1
                for s in self.subscribers.values():
                    if s.live:
                        s.report(self.id, self.count - 1, report)
        return False

    def ended(self) -> bool:
        """Once no process writes the run any more: reads the rest, and a last line without its end (torn by a
        crash or a full disk) is reported, not dropped. Returns True when the run is (newly) damaged."""
        if self.poll():
            return True
        path = self.dir / TELEMETRY_FILE
        if self.damaged or not path.exists() or path.stat().st_size <= self._offset:
            return False
        torn = path.stat().st_size - self._offset
        self._damage(f"{path} line {self.count + 1} is torn ({torn} bytes without a line end)")
        return True

    def _mark(self, seq: int) -> Tuple[int, int]:
        """The report nearest before `seq` whose place in the file is kept: (its seq, its offset)."""
        k = seq // MARK_EVERY
        return k * MARK_EVERY, self._marks[k]

    async def replay(self, key: Any, s: Subscriber, room: Callable[[], Awaitable[bool]]) -> None:
        """Sends the header and the history from s.next_seq, then makes s live. The history is read from the file a
        chunk at a time, and the next chunk only once room() says the client took the last (False: it is gone), so
        a long history is never all in memory and other clients are served in between. Going live follows the last
        chunk with no await between, so no report falls between the history and the live stream."""
        self.poll()
        if self.header is not None:
            s.send(message("header", run=self.id, header=self.header))
        self.subscribers[key] = s
        try:
            if s.next_seq < self.count:
                await self._send_history(s, room)
        except BaseException:
            self.subscribers.pop(key, None)
            raise
        s.live = True
        if s.held is not None:
            s.send(s.held)
            s.held = None

    async def _send_history(self, s: Subscriber, room: Callable[[], Awaitable[bool]]) -> None:
        path = self.dir / TELEMETRY_FILE
        seq, offset = self._mark(s.next_seq)
        with open(path, "rb") as f:
            f.seek(offset)
            while s.next_seq < self.count:
                if not await room():
                    return
                read = 0
                while s.next_seq < self.count and read < HISTORY_CHUNK_BYTES:
                    line = f.readline()
                    if not line.endswith(b"\n"):  # lines already read are never rewritten; this one was
                        raise ProtocolError(SERVER_ERROR, f"{path} line {seq + 1} changed while it was sent")
                    read += len(line)
                    if seq >= s.next_seq:
                        s.report(self.id, seq, json.loads(line))  # checked as strict when it was first read
                    seq += 1


class RunStore:
    def __init__(
        self,
        runs_dir: Path,
        worker_args: List[str],
        on_change: Callable[[Run], None],
        gpus: int = 0,
        data_root: Optional[Path] = None,
        max_runs: int = 0,
    ):
        self.runs_dir = Path(runs_dir)
        self.data_root = data_root  # where the runs' data is, to refuse a net on the wrong kind at once
        self.serve_dir = self.runs_dir / SERVE_DIR
        self.serve_dir.mkdir(parents=True, exist_ok=True)
        self.worker_args = worker_args  # --runs-dir, --data-root, --checkpoint-every for train / resume
        self.on_change = on_change
        self.gpus = gpus
        # Runs training at once (each is a process with the whole data set and net in memory); the rest wait in
        # `queue`, first come first trained.
        self.max_runs = max_runs or max(1, gpus)
        self.queue: List[Run] = []
        self.runs: Dict[str, Run] = {}
        self.closing = False
        self._watchers: List[asyncio.Task] = []

    def load(self) -> None:
        """The runs of earlier sessions: those this server started (with their state), and runs written by
        `train` alone ('external' while a process trains them, 'recorded' after)."""
        self._move_flat_files()
        for entry in sorted(self.serve_dir.glob(f"*/{STATE_FILE}")):
            run_id = entry.parent.name
            try:
                saved = strictjson.loads(entry.read_text(encoding="utf-8"))
                state, error = saved["state"], saved.get("error")
                if state not in SAVED_STATES:
                    raise ValueError(f"unknown state {state!r}")
            except (OSError, ValueError, KeyError, TypeError) as e:
                state, error = "failed", f"damaged: {entry} is not a run's state ({e})"
            self.runs[run_id] = Run(self.runs_dir, run_id, state, error)
        self._find_others()
        for run in self.runs.values():
            # A run that will train again (or that another process trains) may end in a line still being written.
            try:
                damaged = run.poll() if run.state in ("training", "external") else run.ended()
            except OSError as e:  # a file that cannot be read costs its run, never the server's start
                run.error = f"{run.error}; {said(e)}" if run.error else said(e)
                damaged = True
            if damaged:
                log.warning(f"run {run.id}: {run.error}")

    def _move_flat_files(self) -> None:
        """Servers before this one kept RUNS/.serve/<id>.json and <id>.config.json side by side, where a run named
        'x.config' had its state written over run x's config; each run's files now have a folder of their own."""
        for entry in self.serve_dir.glob("*.json"):
            is_config = entry.name.endswith(".config.json")
            run_id = entry.name[: -len(".config.json")] if is_config else entry.stem
            (self.serve_dir / run_id).mkdir(exist_ok=True)
            os.replace(entry, self.serve_dir / run_id / (CONFIG_FILE if is_config else STATE_FILE))

    def _find_others(self) -> List[Run]:
        """Run folders that appeared since the last look, trained by processes this server did not start."""
        found = []
        for run_file in sorted(self.runs_dir.glob(f"*/{RUN_FILE}")):
            run_id = run_file.parent.name
            if run_id not in self.runs:
                run = Run(self.runs_dir, run_id, "external" if is_locked(run_file.parent) else "recorded")
                self.runs[run_id] = run
                found.append(run)
        return found

    def follow_others(self) -> None:
        """One look at the runs this server did not start: new ones are listed, and each one's new reports are sent
        on."""
        found = self._find_others()
        for run in self.runs.values():
            if run.process is not None or run.state not in ("external", "recorded"):
                continue
            try:
                self._follow(run, run in found)
            except (OSError, ValueError) as e:
                # A folder someone else writes (a hand-edited run.json, a full disk) must not stop the others; it is
                # tried again at each look, and said once.
                problem = said(e) if isinstance(e, OSError) else str(e)
                if run.error != problem:
                    run.error = problem
                    log.warning(f"while following run {run.id}: {problem}")
                    self.on_change(run)

    def _follow(self, run: Run, new: bool) -> None:
        """Its lock says whether a process trains it; the reports written before the lock was let go are read before
        the state that says so is sent, so a subscriber's last message of a finished run is its state."""
        before = run.count
        state = "external" if is_locked(run.dir) else "recorded"
        damaged = run.ended() if state == "recorded" else run.poll()
        if damaged:
            log.warning(f"run {run.id}: {run.error}")
        mended = run.error is not None and not run.damaged  # the error of a read that failed before, read now
        if mended:
            run.error = None
        # A run trained from end to end between two looks was never seen locked: its count says it moved.
        if new or damaged or mended or state != run.state or (state == "recorded" and run.count != before):
            run.state = state
            self.on_change(run)

    async def follow(self) -> None:
        while True:
            await asyncio.sleep(FOLLOW_SECONDS)
            try:
                self.follow_others()
            except Exception:  # the runs folder itself unreadable, or a bug: said, and looked at again next time
                log.exception("while looking for runs in %s", self.runs_dir)

    def get(self, run_id: Any) -> Run:
        if not isinstance(run_id, str) or run_id not in self.runs:
            raise ProtocolError(UNKNOWN_RUN, f"no run {run_id!r}", "run")
        return self.runs[run_id]

    def _save(self, run: Run) -> None:
        write_json_atomic(self.serve_dir / run.id / STATE_FILE, {"state": run.state, "error": run.error})

    def _set(self, run: Run, state: str, error: Optional[str] = None) -> None:
        """The clients hear of the new state even when its file cannot be written (a full disk): the run's error
        then says so, and the next start of the server finds the state saved before."""
        run.state, run.error = state, error
        try:
            self._save(run)
        except OSError as e:
            log.warning(f"run {run.id}: {said(e)}")
            run.error = f"{error}; its state was not saved: {said(e)}" if error else f"its state was not saved: {said(e)}"
        self.on_change(run)

    def _new_id(self, config: Dict[str, Any], wanted: Any) -> str:
        if wanted is not None:
            if not isinstance(wanted, str) or not RUN_ID.fullmatch(wanted):
                raise ProtocolError(INVALID_FIELD, "a run id is 1-64 letters, digits, '.', '_' or '-'", "run")
            if wanted in self.runs or self._taken(wanted):
                raise ProtocolError(RUN_EXISTS, f"run {wanted!r} exists: a run id is used once", "run")
            return wanted
        base = new_run_id(config["model"], config["seed"])
        n = 1
        run_id = base
        while run_id in self.runs or self._taken(run_id):
            n += 1
            run_id = f"{base}-{n}"
        return run_id

    def _taken(self, run_id: str) -> bool:
        return (self.runs_dir / run_id).exists() or (self.serve_dir / run_id).exists()

    async def start(self, config: Any, wanted_id: Any) -> Run:
        """Validates the config (nothing runs or is written when it is bad), then starts training it."""
        try:
            checked = validate_config(config)
        except ConfigError as e:
            raise ProtocolError(INVALID_CONFIG, str(e), f"config.{e.field}" if e.field != "config" else "config")
        problem = self.data_root and data_problem(self.data_root, checked["model"], checked["dataset"])
        if problem:
            raise ProtocolError(INVALID_CONFIG, f"dataset: {problem}", "config.dataset")
        run_id = self._new_id(config, wanted_id)
        run = Run(self.runs_dir, run_id, "training" if self._training() < self.max_runs else "queued")
        try:
            (self.serve_dir / run_id).mkdir()
            write_json_atomic(self.serve_dir / run_id / CONFIG_FILE, config)
            self._save(run)
        except OSError:
            shutil.rmtree(self.serve_dir / run_id, ignore_errors=True)  # a start that did not happen leaves nothing
            raise
        self.runs[run_id] = run
        if run.state == "queued":
            self.queue.append(run)
        else:
            await self._spawn(run)
        return run

    def _training(self) -> int:
        return sum(1 for run in self.runs.values() if run.state == "training")

    async def _start_queued(self) -> None:
        while self.queue and self._training() < self.max_runs:
            run = self.queue.pop(0)
            self._set(run, "training")
            await self._spawn(run)

    async def _spawn(self, run: Run) -> None:
        if (run.dir / RUN_FILE).exists():
            args = ["resume", run.id]
        else:
            args = ["train", str(self.serve_dir / run.id / CONFIG_FILE), "--id", run.id]
        path = os.pathsep.join(filter(None, [str(PACKAGE_PARENT), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "PYTHONPATH": path}
        try:
            run.process = await asyncio.create_subprocess_exec(
                *worker_command(args + self.worker_args, self.gpus),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                env=env,
                preexec_fn=die_with_parent,
            )
        except OSError as e:  # out of processes or memory: the run cannot train now, and says why
            self._set(run, "failed", f"could not start its training process: {said(e)}")
            return
        self._watchers.append(asyncio.create_task(self._watch(run, run.process)))

    async def _watch(self, run: Run, process: asyncio.subprocess.Process) -> None:
        """Forwards the run's reports while it trains; when its process ends, records how."""
        tail: deque = deque(maxlen=20)

        async def read_stderr() -> None:
            assert process.stderr is not None
            async for line in process.stderr:
                tail.append(line.decode("utf-8", "replace").rstrip())

        reader = asyncio.create_task(read_stderr())
        exited = asyncio.create_task(process.wait())
        while not exited.done():
            await asyncio.wait({exited}, timeout=POLL_SECONDS)
            self._read(run, run.poll)
        await reader
        run.process = None
        if self.closing:
            return
        self._read(run, run.ended)
        code, pending = process.returncode, run.pending
        run.pending = None
        if code == 0:
            self._set(run, "done", run.error if run.damaged else None)
        elif code == INTERRUPTED and pending is not None:
            self._set(run, "paused" if pending == "pause" else "stopped")
        else:
            last = next((line for line in reversed(tail) if line.strip()), f"exit status {code}")
            self._set(run, "failed", last)
        await self._start_queued()

    def _read(self, run: Run, read: Callable[[], bool]) -> None:
        """A poll of a training run's files that cannot stop its watcher: a read that fails is said and tried
        again at the next poll."""
        try:
            if read():
                log.warning(f"run {run.id}: {run.error}")
        except OSError as e:
            log.warning(f"run {run.id}: {said(e)}")

    async def resume_interrupted(self) -> None:
        """Runs that were training when the server stopped go on from their checkpoints, as many as --max-runs
        allows; the others, and the runs that were queued, wait their turn (those that were training first)."""
        runs = self.runs.values()
        self.queue = [r for r in runs if r.state == "training"] + [r for r in runs if r.state == "queued"]
        for run in self.queue:
            run.state = "queued"
        await self._start_queued()

    async def pause(self, run: Run) -> None:
        if run.state == "queued":
            self.queue.remove(run)
            self._set(run, "paused")
        else:
            self._ask(run, "pause")

    async def stop(self, run: Run) -> None:
        if run.state in ("paused", "failed", "queued"):
            if run in self.queue:
                self.queue.remove(run)
            self._set(run, "stopped", run.error)
        else:
            self._ask(run, "stop")

    def _ask(self, run: Run, what: str) -> None:
        if run.state != "training" or run.process is None:
            raise ProtocolError(BAD_STATE, f"run {run.id} is {run.state}, not training", "run")
        run.pending = what
        terminate(run.process)  # the run checkpoints after the step under way and exits
        self.on_change(run)

    async def resume(self, run: Run) -> None:
        if run.state not in ("paused", "failed"):
            raise ProtocolError(BAD_STATE, f"run {run.id} is {run.state}; only a paused or failed run resumes", "run")
        if self._training() < self.max_runs:
            self._set(run, "training")
            await self._spawn(run)
        else:
            self.queue.append(run)
            self._set(run, "queued")

    async def shutdown(self) -> None:
        """Stops the training processes after their current step, with a checkpoint; their state stays 'training'
        so the next start resumes them. Runs trained by other processes go on."""
        self.closing = True
        for run in self.runs.values():
            if run.process is not None:
                terminate(run.process)
        await asyncio.gather(*self._watchers, return_exceptions=True)
