"""`serve`: the WebSocket server the studio attaches to (docs/protocol.md). Nobody else in: the handshake is refused
unless its Origin is the studio's or allowed with --allow-origin (clients that send none, such as scripts, pass: a
browser always sends one), the first message must be hello with the token (compared in constant time; a wrong one
closes the socket with 4001), and messages are limited in size. Listens on 127.0.0.1 unless told otherwise.
"""

import argparse
import asyncio
import hmac
import secrets
import signal
import traceback
from pathlib import Path
from typing import Any, Dict

import websockets
from websockets.exceptions import ConnectionClosed

from . import __version__
from .protocol import (
    CLOSE_BAD_TOKEN,
    CLOSE_NO_HELLO,
    CLOSE_VERSION,
    INVALID_FIELD,
    MAX_MESSAGE_BYTES,
    PROTOCOL_VERSION,
    UNSUPPORTED_VERSION,
    SERVER_ERROR,
    ProtocolError,
    error,
    field,
    message,
    parse,
)
from .files import said
from .runs import Run, RunStore, gpu_count

STUDIO_ORIGINS = ("http://127.0.0.1:5173", "http://localhost:5173")


class Connection:
    """One authenticated client: its outgoing queue (so replies, history and live reports keep their order) and
    its subscriptions."""

    def __init__(self, ws: Any):
        self.ws = ws
        self.queue: asyncio.Queue = asyncio.Queue()
        self.subscribed: Dict[str, Run] = {}

    def send(self, text: str) -> None:
        self.queue.put_nowait(text)

    async def pump(self) -> None:
        while True:
            await self.ws.send(await self.queue.get())


class Server:
    def __init__(self, store_factory, token: str):
        self.token = token
        self.connections: set = set()
        self.store: RunStore = store_factory(self.broadcast_state)

    def broadcast_state(self, run: Run) -> None:
        text = message("state", run=run.info())
        for c in self.connections:
            c.send(text)

    async def hello(self, ws: Any) -> bool:
        """The first message must be hello with the right token and protocol version; otherwise the socket closes
        with a code saying why."""
        try:
            msg = parse(await ws.recv())
        except ProtocolError as e:
            code = CLOSE_VERSION if e.code == UNSUPPORTED_VERSION else CLOSE_NO_HELLO
            await ws.close(code, str(e)[:120])
            return False
        if msg["type"] != "hello":
            await ws.close(CLOSE_NO_HELLO, "the first message must be hello")
            return False
        token = msg.get("token")
        if not isinstance(token, str) or not hmac.compare_digest(token.encode(), self.token.encode()):
            await ws.close(CLOSE_BAD_TOKEN, "wrong token")
            return False
        return True

    async def handler(self, ws: Any, path: str = "/") -> None:
        try:
            if not await self.hello(ws):
                return
        except ConnectionClosed:
            return
        conn = Connection(ws)
        conn.send(message("welcome", worker=__version__, protocol=PROTOCOL_VERSION))
        self.connections.add(conn)
        pump = asyncio.create_task(conn.pump())
        try:
            async for text in ws:
                await self.answer(conn, text)
        except ConnectionClosed:
            pass
        finally:
            self.connections.discard(conn)
            for run in conn.subscribed.values():
                run.subscribers.pop(conn, None)
            pump.cancel()

    async def answer(self, conn: Connection, text: Any) -> None:
        """Handles one message; whatever goes wrong is said in an error reply carrying the request's id (when it
        could be read), never by dropping the connection."""
        try:
            msg = parse(text)
        except ProtocolError as e:
            conn.send(error(e, e.re))
            return
        try:
            await self.handle(conn, msg)
        except ProtocolError as e:
            conn.send(error(e, msg.get("id")))
        except OSError as e:
            conn.send(error(ProtocolError(SERVER_ERROR, said(e)), msg.get("id")))
        except Exception as e:  # a bug in one request must cost that request, not the connection
            traceback.print_exc()
            conn.send(error(ProtocolError(SERVER_ERROR, f"the worker failed: {type(e).__name__}: {e}"), msg.get("id")))

    async def handle(self, conn: Connection, msg: Dict[str, Any]) -> None:
        re = msg.get("id")
        kind = msg["type"]
        store = self.store
        if kind == "hello":
            raise ProtocolError(INVALID_FIELD, "already said hello", "type")
        if kind == "list":
            conn.send(message("runs", re=re, runs=[r.info() for r in store.runs.values()]))
            return
        if kind == "start":
            run = await store.start(field(msg, "config", dict), msg.get("run"))
            conn.send(message("started", re=re, run=run.info()))
            return
        run = store.get(msg.get("run"))
        if kind == "subscribe":
            from_seq = field(msg, "fromSeq", int, required=False) or 0
            from_step = field(msg, "fromStep", int, required=False) or 0
            if from_seq < 0 or from_step < 0:
                raise ProtocolError(INVALID_FIELD, "fromSeq and fromStep are 0 or more", "fromSeq")
            conn.send(message("subscribed", re=re, run=run.info()))
            conn.subscribed[run.id] = run
            run.subscribe(conn, conn.send, from_seq, from_step)
        elif kind == "unsubscribe":
            run.subscribers.pop(conn, None)
            conn.subscribed.pop(run.id, None)
            conn.send(message("unsubscribed", re=re, run=run.info()))
        else:
            await {"pause": store.pause, "resume": store.resume, "stop": store.stop}[kind](run)
            conn.send(message("state", re=re, run=run.info()))


async def serve(args: argparse.Namespace) -> int:
    token = args.token or secrets.token_urlsafe(32)
    worker_args = ["--runs-dir", str(args.runs_dir), "--data-root", str(args.data_root)]
    worker_args += ["--checkpoint-every", str(args.checkpoint_every), "--lock-wait", "30"]
    worker_args += ["--device", args.device] if args.device else []
    worker_args += ["--preset", args.preset] if args.preset else []
    gpus = gpu_count()
    data_root = Path(args.data_root)
    server = Server(lambda on_change: RunStore(Path(args.runs_dir), worker_args, on_change, gpus, data_root), token)
    server.store.load()
    origins = [None, *STUDIO_ORIGINS, *args.allow_origin]
    async with websockets.serve(
        server.handler, args.host, args.port, origins=origins, max_size=MAX_MESSAGE_BYTES
    ) as ws_server:
        port = ws_server.sockets[0].getsockname()[1]
        host = f"[{args.host}]" if ":" in args.host else args.host
        print(f"Supermask worker {__version__}: runs in {args.runs_dir}, {gpus} GPU(s). Paste into the studio:")
        print(f"ws://{host}:{port}/?token={token}", flush=True)
        await server.store.resume_interrupted()
        follow = asyncio.create_task(server.store.follow())
        stopping = asyncio.get_running_loop().create_future()
        for s in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(s, lambda: stopping.done() or stopping.set_result(None))
        await stopping
        follow.cancel()
        await server.store.shutdown()
    return 0
