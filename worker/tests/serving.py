"""A real `serve` process on loopback (port 0: the server picks a free port and prints its URL) and a small
WebSocket client for the tests, built on the websockets package the worker itself uses."""

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest
import websockets

from supermask_worker.telemetry import RunWriter, run_header
from conftest import WORKER, tiny_config

TOKEN = "test-token-0123456789"
# One thread, so torch's CPU reductions add in one order and runs compare bit for bit.
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}
GIVE_UP_SECONDS = 240  # a safety net against a hung test, never a measure of speed


def serve_command(runs_dir: Path, *extra: str, token: Optional[str] = TOKEN) -> List[str]:
    """The command line of `serve` on a free port; token None: no --token (the server finds its own)."""
    args = [sys.executable, "-m", "supermask_worker", "serve", "--runs-dir", str(runs_dir), "--port", "0"]
    args += ["--checkpoint-every", "4", *(["--token", token] if token is not None else []), *extra]
    return args


def start_server(runs_dir: Path, env: Optional[Dict[str, str]] = None, *extra: str, token: Optional[str] = TOKEN,
                 **popen: Any):
    """Starts `serve` and returns (process, url) once it prints the URL to paste into the studio; `popen`: more of
    subprocess.Popen's arguments (e.g. a preexec_fn that sets a limit)."""
    args = serve_command(runs_dir, *extra, token=token)
    p = subprocess.Popen(args, cwd=WORKER, env=env or ENV, stdout=subprocess.PIPE, text=True, **popen)
    assert p.stdout is not None
    for line in p.stdout:
        if line.startswith("ws://"):
            return p, line.strip()
    raise AssertionError(f"serve exited with {p.wait()} before printing its URL")


@contextlib.contextmanager
def serving(runs_dir: Path, env: Optional[Dict[str, str]] = None, *extra: str, token: Optional[str] = TOKEN,
            **popen: Any) -> Iterator[str]:
    """start_server's URL, for the block; the server is stopped after it."""
    p, url = start_server(runs_dir, env, *extra, token=token, **popen)
    try:
        yield url
    finally:
        p.terminate()
        p.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """The URL of one `serve` that a test module's tests share (import this fixture into the module)."""
    p, url = start_server(tmp_path_factory.mktemp("runs"))
    yield url
    p.terminate()
    p.wait()


def base_url(url: str) -> str:
    return url.split("?")[0]


def report_line(step: int, pad: int = 0) -> str:
    """A line of telemetry.jsonl as the server reads it back (it checks no more than its step), `pad` bytes longer."""
    return json.dumps({"kind": "step", "run": "ep", "step": step, **({"pad": "x" * pad} if pad else {})}) + "\n"


def recorded_run(runs: Path, run_id: str, telemetry: str) -> None:
    """A run folder as `train` leaves it once done (no process holds it), with `telemetry` as its reports file."""
    RunWriter(runs / run_id, run_header(run_id, tiny_config(), {}, {})).close()
    (runs / run_id / "telemetry.jsonl").write_text(telemetry)


def small_socket(url: str) -> socket.socket:
    """A socket to the server whose receive buffer is 64 KiB, as a slow link's: on loopback Linux would let it grow
    to tcp_rmem's most (32 MB here), and a client that reads nothing would seem to take everything for a while."""
    host, port = base_url(url)[len("ws://"):].rstrip("/").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    sock.connect((host, int(port)))
    return sock


class Client:
    """Requests with ids; every message received is kept in `inbox`, in order."""

    def __init__(self, ws: Any):
        self.ws = ws
        self.inbox: List[Dict[str, Any]] = []
        self._next_id = 0

    @classmethod
    async def connect(cls, url: str, token: str = TOKEN, **kwargs: Any) -> "Client":
        client = cls(await websockets.connect(base_url(url), **kwargs))
        await client.send("hello", token=token)
        welcome = await client.next()
        assert welcome["type"] == "welcome" and welcome["protocol"] == 1, welcome
        return client

    async def send(self, type_: str, **fields: Any) -> int:
        self._next_id += 1
        await self.ws.send(json.dumps({"v": 1, "type": type_, "id": self._next_id, **fields}))
        return self._next_id

    async def next(self) -> Dict[str, Any]:
        msg = json.loads(await asyncio.wait_for(self.ws.recv(), GIVE_UP_SECONDS))
        self.inbox.append(msg)
        return msg

    async def until(self, done: Callable[[Dict[str, Any]], bool]) -> Dict[str, Any]:
        """Receives until a message satisfies `done`; returns it."""
        while True:
            msg = await self.next()
            if done(msg):
                return msg

    async def request(self, type_: str, **fields: Any) -> Dict[str, Any]:
        request_id = await self.send(type_, **fields)
        return await self.until(lambda m: m.get("re") == request_id)

    def reports(self, run: str) -> List[Dict[str, Any]]:
        return [m for m in self.inbox if m["type"] == "report" and m["run"] == run]

    async def close(self) -> None:
        await self.ws.close()


def state_is(run: str, state: str) -> Callable[[Dict[str, Any]], bool]:
    """Waits for the run to reach `state`; a run that fails instead fails the test at once, saying why."""

    def reached(m: Dict[str, Any]) -> bool:
        if m["type"] != "state" or m["run"]["id"] != run:
            return False
        assert m["run"]["state"] != "failed" or state == "failed", f"run {run} failed: {m['run']['error']}"
        return m["run"]["state"] == state

    return reached


def telemetry_lines(run_dir: Path) -> List[Dict[str, Any]]:
    return [json.loads(line) for line in (run_dir / "telemetry.jsonl").read_text().splitlines()]


def run(coroutine) -> Any:
    return asyncio.run(coroutine)
