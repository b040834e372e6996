"""`serve`: the WebSocket server the studio attaches to (docs/protocol.md). Nobody else in: the handshake is refused
unless its Origin is the studio's or allowed with --allow-origin (clients that send none, such as scripts, pass: a
browser always sends one), the first message must be hello with the token (compared in constant time; a wrong one
closes the socket with 4001), and messages are limited in size. Listens on 127.0.0.1 unless told otherwise.

Nobody holds it either: a handshake and a hello each have a few seconds, connections are capped (those not yet
authenticated at half the cap, so a flood of them leaves room for the studio), and the log is rate-limited. What
waits to be sent to a client is bounded: a history is read from its file as the client takes it, and a client that
takes nothing for --send-timeout seconds, or lets too much pile up, is disconnected with 4005.
"""

import argparse
import asyncio
import hmac
import ipaddress
import os
import secrets
import signal
import socket
from collections import deque
from http import HTTPStatus
from pathlib import Path
from typing import Any, Dict

import websockets
from websockets.datastructures import Headers
from websockets.exceptions import AbortHandshake, ConnectionClosed
from websockets.legacy.server import WebSocketServerProtocol

from . import __version__
from .protocol import (
    CLOSE_BAD_TOKEN,
    CLOSE_HELLO_TIMEOUT,
    CLOSE_NO_HELLO,
    CLOSE_TOO_SLOW,
    CLOSE_TRY_LATER,
    CLOSE_VERSION,
    HISTORY_PAUSE_BYTES,
    INVALID_FIELD,
    MAX_MESSAGE_BYTES,
    WIRE_VERSION,
    UNSUPPORTED_VERSION,
    SEND_QUEUE_BYTES,
    SERVER_ERROR,
    ProtocolError,
    error,
    field,
    message,
    parse,
)
from . import logs
from .files import said
from .logs import log
from .runs import Run, RunStore, Subscriber, gpu_count

STUDIO_ORIGINS = ("http://127.0.0.1:5173", "http://localhost:5173")
TOKEN_ENV = "SUPERMASK_TOKEN"
REACHING_IT = "docs/worker.md, 'Another machine: an SSH tunnel or TLS'"


def token_of(args: argparse.Namespace) -> str:
    """The token clients must send: --token, else the file --token-file names, else $SUPERMASK_TOKEN, else a new
    random one. The file and the variable keep it out of the process list, which every user of the machine reads.
    An empty one is refused (ValueError): taking it for 'none given' would start a server with a token nobody meant."""
    if args.token is not None:
        source, token = "--token", args.token
    elif args.token_file is not None:
        source = f"--token-file {args.token_file}"
        try:
            token = Path(args.token_file).read_text(encoding="utf-8").strip()  # editors end a file with a newline
        except (OSError, UnicodeDecodeError) as e:
            raise ValueError(f"{source}: {said(e) if isinstance(e, OSError) else e}") from None
    elif TOKEN_ENV in os.environ:
        source, token = f"${TOKEN_ENV}", os.environ[TOKEN_ENV]
    else:
        return secrets.token_urlsafe(32)
    if not token.strip():
        raise ValueError(f"{source} is empty: give a token, or none of --token, --token-file and ${TOKEN_ENV} for a "
                         "new random one")
    return token


def is_loopback(host: str) -> bool:
    """Whether every address `host` names is this machine's loopback ('' and 0.0.0.0 name every interface)."""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (socket.gaierror, UnicodeError):
        return False
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


AGAIN = "subscribe again from your last seq + 1"


class Connection:
    """One authenticated client: its outgoing queue (so replies, history and live reports keep their order) and
    its subscriptions. The queue is bounded, or one client that stops reading would hold the server's memory: a
    history waits for room (room()), and a client that takes no message for `send_timeout` seconds, or lets more
    than SEND_QUEUE_BYTES pile up, is closed with 4005."""

    def __init__(self, ws: Any, send_timeout: float = 30.0):
        self.ws = ws
        self.send_timeout = send_timeout
        self.queue: deque = deque()
        self.queued = 0  # bytes in the queue (the JSON is ASCII)
        self.ready = asyncio.Event()  # something is queued
        self.roomy = asyncio.Event()  # little enough is queued to read on in a history
        self.roomy.set()
        self.closed = False
        self.subscribed: Dict[str, Run] = {}
        self._closing: Any = None

    def send(self, text: str) -> None:
        if self.closed:
            return
        self.queue.append(text)
        self.queued += len(text)
        self.ready.set()
        if self.queued > HISTORY_PAUSE_BYTES:
            self.roomy.clear()
        if self.queued > SEND_QUEUE_BYTES:
            self.drop(f"too slow: over {SEND_QUEUE_BYTES >> 20} MiB waiting to be sent; {AGAIN}")

    async def room(self) -> bool:
        """Waits until the client has taken most of what waits for it; False once it is gone."""
        await asyncio.sleep(0)  # the other clients' turn, even when there is room
        await self.roomy.wait()
        return not self.closed

    def drop(self, reason: str) -> None:
        """Closes the connection with 4005 and `reason`; what waits to be sent is let go. The close frame goes
        after what the socket holds already, so a client that reads on gets it."""
        if self.closed:
            return
        self.closed = True
        self.queue.clear()
        self.queued = 0
        self.roomy.set()
        self.ready.set()
        log.warning(f"closed a client: {reason}")
        self._closing = asyncio.ensure_future(self.ws.close(CLOSE_TOO_SLOW, reason))

    async def pump(self) -> None:
        try:
            while not self.closed:
                if not self.queue:
                    self.ready.clear()
                    await self.ready.wait()
                    continue
                try:
                    await asyncio.wait_for(self.ws.send(self.queue[0]), self.send_timeout)
                except asyncio.TimeoutError:
                    self.drop(f"too slow: nothing taken for {self.send_timeout:g} s; {AGAIN}")
                    return
                if self.closed:
                    return
                self.queued -= len(self.queue.popleft())
                if self.queued <= HISTORY_PAUSE_BYTES:
                    self.roomy.set()
        except ConnectionClosed:
            pass
        finally:  # a history waiting for room must not wait for a client that is gone
            self.closed = True
            self.roomy.set()


# websockets fails a connection over a bad frame with the code alone; a client deserves the words.
FAILURE_REASONS = {
    1002: "a frame the WebSocket protocol does not allow",
    1007: "a text frame that is not UTF-8",
    1009: f"a message over {MAX_MESSAGE_BYTES >> 20} MiB",
}


def with_handshake_timeout(seconds: float) -> type:
    """websockets' server protocol with a limit on the opening handshake, which the legacy server lacks: a socket
    that never finishes it would hold a file descriptor forever; and with a reason on every close it makes itself."""

    class Protocol(WebSocketServerProtocol):
        def fail_connection(self, code: int = 1006, reason: str = "") -> None:
            super().fail_connection(code, reason or FAILURE_REASONS.get(code, ""))

        async def handshake(self, *args: Any, **kwargs: Any) -> str:
            try:
                return await asyncio.wait_for(super().handshake(*args, **kwargs), seconds)
            except asyncio.TimeoutError:
                body = f"no WebSocket handshake within {seconds:g} s\n".encode()
                raise AbortHandshake(HTTPStatus.REQUEST_TIMEOUT, Headers(), body) from None

    return Protocol


class Server:
    def __init__(self, store_factory, token: str, hello_seconds: float = 5.0, max_connections: int = 64,
                 send_timeout: float = 30.0):
        self.token = token
        self.send_timeout = send_timeout
        self.hello_seconds = hello_seconds
        self.max_connections = max_connections
        self.connections: set = set()
        self.waiting = 0  # connections that have not said hello yet
        self.store: RunStore = store_factory(self.broadcast_state)

    def broadcast_state(self, run: Run) -> None:
        text = message("state", run=run.info())
        for c in self.connections:
            subscriber = run.subscribers.get(c)
            if subscriber is not None:
                subscriber.state(text)  # after the history it is being sent, if it is
            else:
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

    def _refusal(self) -> str:
        """Why a new connection is refused now ('' when it is not)."""
        if self.waiting + len(self.connections) >= self.max_connections:
            return f"the worker has too many connections (--max-connections {self.max_connections}); try again later"
        if self.waiting >= self.max_connections // 2:
            return "the worker has too many connections waiting for their hello; try again later"
        return ""

    async def handler(self, ws: Any, path: str = "/") -> None:
        refusal = self._refusal()
        if refusal:
            await ws.close(CLOSE_TRY_LATER, refusal)
            return
        self.waiting += 1
        try:
            if not await asyncio.wait_for(self.hello(ws), self.hello_seconds):
                return
        except asyncio.TimeoutError:
            await ws.close(CLOSE_HELLO_TIMEOUT, f"no hello within {self.hello_seconds:g} s")
            return
        except ConnectionClosed:
            return
        finally:
            self.waiting -= 1
        conn = Connection(ws, self.send_timeout)
        conn.send(message("welcome", worker=__version__, protocol=WIRE_VERSION))
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
            log.exception("while handling %s", msg.get("type"))
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
            # Awaited: this client's next request is answered after its history, which other clients do not wait for.
            await run.replay(conn, Subscriber(conn.send, from_seq, from_step), conn.room)
        elif kind == "unsubscribe":
            run.subscribers.pop(conn, None)
            conn.subscribed.pop(run.id, None)
            conn.send(message("unsubscribed", re=re, run=run.info()))
        else:
            await {"pause": store.pause, "resume": store.resume, "stop": store.stop}[kind](run)
            conn.send(message("state", re=re, run=run.info()))


async def serve(args: argparse.Namespace, token: str) -> int:
    worker_args = ["--runs-dir", str(args.runs_dir), "--data-root", str(args.data_root)]
    worker_args += ["--checkpoint-every", str(args.checkpoint_every), "--lock-wait", "30"]
    worker_args += ["--device", args.device] if args.device else []
    worker_args += ["--preset", args.preset] if args.preset else []
    gpus = gpu_count()
    data_root = Path(args.data_root)
    logs.set_up()
    if not is_loopback(args.host):
        log.warning(
            f"warning: listening on {args.host or 'every interface'}, beyond this machine: the token is the only guard "
            "against anyone who can reach the port, and ws:// carries it in clear text. Keep the default --host "
            f"127.0.0.1 and reach it through an SSH tunnel or TLS: {REACHING_IT}."
        )
    server = Server(
        lambda on_change: RunStore(Path(args.runs_dir), worker_args, on_change, gpus, data_root, args.max_runs),
        token,
        args.hello_timeout,
        args.max_connections,
        args.send_timeout,
    )
    server.store.load()
    origins = [None, *STUDIO_ORIGINS, *args.allow_origin]
    async with websockets.serve(
        server.handler,
        args.host,
        args.port,
        origins=origins,
        max_size=MAX_MESSAGE_BYTES,
        create_protocol=with_handshake_timeout(args.hello_timeout),
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
