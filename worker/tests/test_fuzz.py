"""Fuzzing the parsers (hypothesis): whatever a client or a file holds (random JSON values, random text and bytes,
deep nesting, huge integers, NaN and Infinity, lone surrogates, invalid UTF-8), the worker answers with a reply or
an error, or closes with a reason; it never meets an exception it did not mean to raise. The parsing functions are
fuzzed directly, with many examples; then a bounded number of frames go to one real `serve` over a WebSocket."""

import asyncio
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.frames import OP_TEXT

from supermask_worker import strictjson
from supermask_worker.config import ConfigError, validate_config
from supermask_worker.protocol import MAX_MESSAGE_BYTES, REQUESTS, SERVER_ERROR, ProtocolError, error, parse
from supermask_worker.runs import RunStore
from supermask_worker.server import Connection, Server
from supermask_worker.telemetry import RUN_FILE, TELEMETRY_FILE
from conftest import TINY_CONFIG
from serving import Client, run, server  # noqa: F401 (a fixture)

# No example database: it would be written into the repository as .hypothesis/.
FAST = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
TEXT = st.text(st.characters(blacklist_categories=()) | SURROGATES, max_size=20)  # any code point, lone halves too
NUMBERS = (
    st.integers()
    | st.integers(min_value=-(10**60), max_value=10**60)
    | st.floats()  # NaN and ±Infinity among them
)
SCALARS = st.none() | st.booleans() | NUMBERS | TEXT
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                      max_leaves=20)
TOKENS = ["{", "}", "[", "]", ",", ":", '"v"', '"type"', '"id"', "1", "-0", "1e999", "NaN", "-Infinity", "Infinity",
          '"\\ud800"', '"\\u00"', "null", "tru", "1" * 30, "\ufeff", "\x00", " "]


def nested(depth: int, inner: str = "0") -> str:
    return "[" * depth + inner + "]" * depth


def encode(value) -> str:
    """Python's json writes what a hostile client would: NaN, Infinity, 60-digit integers, lone surrogates."""
    return json.dumps(value, allow_nan=True)


# Messages: well formed around random fields (to reach past the first checks), any JSON, token soup, any text.
FIELDS = st.fixed_dictionaries(
    {"v": st.just(1) | SCALARS, "type": st.sampled_from(REQUESTS) | SCALARS},
    optional={"id": VALUES, "run": VALUES, "config": VALUES, "fromSeq": VALUES, "fromStep": VALUES, "token": VALUES},
)
MESSAGES = st.one_of(
    FIELDS.map(encode),
    VALUES.map(encode),
    st.lists(st.sampled_from(TOKENS), max_size=30).map("".join),
    st.text(max_size=200),
    st.integers(0, 5000).map(lambda n: '{"v":1,"type":"list","id":' + nested(n) + "}"),
    st.binary(max_size=200),  # a binary frame
)


def _mutated(path_and_value):
    """TINY_CONFIG with one field, at any depth, replaced by a random value: a config that is nearly right."""
    (path, value) = path_and_value
    config = json.loads(json.dumps(TINY_CONFIG))
    here = config
    for key in path[:-1]:
        here = here[key]
    here[path[-1]] = value
    return config


def _paths(value, path=()):
    yield path
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, item in items:
        yield from _paths(item, (*path, key))


CONFIG_PATHS = [p for p in _paths(TINY_CONFIG) if p]
CONFIGS = VALUES | st.tuples(st.sampled_from(CONFIG_PATHS), VALUES).map(_mutated)


@FAST
@given(MESSAGES)
@example('{"v": 1, "type": "\\ud800", "id": {"\\ud800": null}}')  # found here: the bad id was repeated in the error
@example('{"v": true, "type": "list"}')  # found here: true == 1 in Python
def test_parse_returns_a_request_or_raises_a_protocol_error_that_can_be_sent(text):
    try:
        msg = parse(text)
    except ProtocolError as e:
        strictjson.loads(error(e, e.re))  # the error itself is strict JSON: it can go out
        return
    assert isinstance(msg, dict) and msg["type"] in REQUESTS and strictjson.first_problem(msg) is None
    assert type(msg["v"]) is int


@FAST
@given(CONFIGS)
def test_validate_config_returns_a_config_or_raises_a_config_error(config):
    try:
        checked = validate_config(config)
    except ConfigError as e:
        assert isinstance(e.field, str) and str(e)
        return
    strictjson.dumps(checked)


@FAST
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode) | VALUES.map(lambda v: encode(v).encode()))
def test_strict_json_reads_any_bytes_as_a_value_or_a_value_error(data):
    try:
        strictjson.loads(data)
    except ValueError:
        pass


class Answers:
    """A real Server and RunStore over an empty runs folder, whose data root has no datasets.json (a start that gets
    past validation is refused there, before any process is spawned); each message is answered on a Connection
    whose queue the test reads."""

    def __init__(self):
        self.folder = tempfile.TemporaryDirectory()
        root = Path(self.folder.name)
        (root / "data").mkdir()
        self.loop = asyncio.new_event_loop()
        self.server = Server(lambda on_change: RunStore(root / "runs", [], on_change, 0, root / "data"), "t")
        self.conn = Connection(None)

    def answer(self, text):
        self.loop.run_until_complete(self.server.answer(self.conn, text))
        replies = list(self.conn.queue)
        self.conn.queue.clear()
        return replies


@pytest.fixture(scope="module")
def answers():
    a = Answers()
    yield a
    a.loop.close()
    a.folder.cleanup()


@FAST
@given(text=MESSAGES)
@example(text='{"v": 1, "type": "list", "x": NaN, "id": ["\\udfff"]}')
def test_every_message_is_answered_once_and_never_by_a_failure_of_the_worker(answers, text):
    replies = answers.answer(text)
    assert len(replies) == 1, replies
    reply = strictjson.loads(replies[0])
    assert reply.get("code") != SERVER_ERROR, reply


@FAST
@given(run_json=st.binary(max_size=100) | VALUES.map(encode).map(str.encode),
       telemetry=st.lists(st.binary(max_size=40) | VALUES.map(encode).map(str.encode), max_size=4).map(b"\n".join),
       state=st.binary(max_size=60) | FIELDS.map(encode).map(str.encode) | VALUES.map(encode).map(str.encode))
@example(run_json=b"[]", telemetry=b"", state=b"")  # found here: a header that is not an object was served
def test_any_run_files_load_as_runs_that_can_be_listed(run_json, telemetry, state):
    with tempfile.TemporaryDirectory() as folder:
        runs = Path(folder)
        (runs / "theirs").mkdir()
        (runs / "theirs" / RUN_FILE).write_bytes(run_json)
        (runs / "theirs" / TELEMETRY_FILE).write_bytes(telemetry)
        (runs / ".serve" / "mine").mkdir(parents=True)
        (runs / ".serve" / "mine" / "state.json").write_bytes(state)
        store = RunStore(runs, [], lambda run: None)
        store.load()
        assert sorted(store.runs) == ["mine", "theirs"]
        for r in store.runs.values():
            strictjson.loads(strictjson.dumps(r.info()))
            assert isinstance(r.info()["error"], (str, type(None)))
            assert r.header is None or isinstance(r.header, dict)


FRAMES = st.one_of(MESSAGES, st.binary(min_size=1, max_size=100).map(lambda b: ("raw text frame", b)))


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frame=FRAMES)
@example(frame=("raw text frame", b"\x80"))  # found here: closed 1007 without a reason
@example(frame="x" * (MAX_MESSAGE_BYTES + 1))
def test_a_real_server_answers_every_frame_or_closes_with_a_reason_and_stays_up(server, frame):
    async def go():
        client = await Client.connect(server)
        try:
            if isinstance(frame, tuple):  # bytes in a text frame: UTF-8 or not, as a broken client might send
                await client.ws.write_frame(True, OP_TEXT, frame[1])
            else:
                await client.ws.send(frame)
            reply = await asyncio.wait_for(client.ws.recv(), 10)
        except ConnectionClosed as closed:
            assert closed.code != 1006 and closed.reason, (closed.code, closed.reason)  # said, not dropped
        else:
            reply = strictjson.loads(reply)
            assert reply["type"] in ("error", "runs", "started", "subscribed", "unsubscribed", "state"), reply
            assert reply.get("code") != SERVER_ERROR, reply
        await client.close()
        probe = await Client.connect(server)  # the server is still up and serving
        assert (await probe.request("list"))["type"] == "runs"
        await probe.close()

    run(go())
