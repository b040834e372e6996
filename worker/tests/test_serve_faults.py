"""`serve` under abuse and faults, in a real process on loopback: damaged run files mark their run and the server
serves the others; inputs are strict (finite numbers, bounded nesting and digits, Unicode) and every bad message is
answered with its id; datasets stay inside --data-root; run ids stay apart from the server's files; idle sockets are
timed out and connections capped while the studio is served; a failed write fails its run in words, broadcast and
saved, without debris; runs over --max-runs wait in a queue; a client that reads nothing is disconnected with a reason
while the others are served and the server's memory stays bounded. Limits are set small (1 s) so the tests stay
fast."""

import asyncio
import base64
import json
import os
import resource
import time
from pathlib import Path

import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from supermask_worker.process import HOLD_ENV
from conftest import tiny_config
from serving import (ENV, Client, base_url, recorded_run, report_line, run, serving, small_socket, start_server,
    state_is)


def test_damaged_files_mark_their_run_and_the_server_serves_the_others(tmp_path):
    runs = tmp_path / "runs"
    recorded_run(runs, "good", report_line(1) + report_line(2))
    recorded_run(runs, "garbage", report_line(1) + "}{ not a report\n" + report_line(3))
    recorded_run(runs, "torn", report_line(1) + report_line(2) + report_line(3)[:10])
    (runs / ".serve" / "lost").mkdir(parents=True)
    (runs / ".serve" / "lost" / "state.json").write_text('{"state": "tr')
    with serving(runs) as url:

        async def go():
            client = await Client.connect(url)
            listed = {r["id"]: r for r in (await client.request("list"))["runs"]}
            await client.request("subscribe", run="garbage")
            await client.request("subscribe", run="good")
            await client.request("list")  # replies come after the history the subscriptions sent
            await client.close()
            return client, listed

        client, listed = run(go())
    assert (listed["good"]["reports"], listed["good"]["error"]) == (2, None)
    garbage = listed["garbage"]
    assert garbage["reports"] == 1
    assert garbage["error"].startswith(f"damaged: {runs / 'garbage' / 'telemetry.jsonl'} line 2 is not a report")
    torn = listed["torn"]
    assert torn["reports"] == 2
    assert torn["error"] == f"damaged: {runs / 'torn' / 'telemetry.jsonl'} line 3 is torn (10 bytes without a line end)"
    assert listed["lost"]["state"] == "failed"
    assert listed["lost"]["error"].startswith(f"damaged: {runs / '.serve' / 'lost' / 'state.json'} is not a run's state")
    assert [m["seq"] for m in client.reports("garbage")] == [0]  # what comes before the damage is still served
    assert [m["seq"] for m in client.reports("good")] == [0, 1]


def test_inputs_are_strict_and_every_bad_message_is_answered_with_its_id(tmp_path):
    """NaN, Infinity, a 5,000-digit integer and a lone surrogate are refused at their field, with the request's id;
    nesting too deep to parse is answered too; a run id with a trailing newline is refused. The connection stays."""
    config = json.dumps(tiny_config())

    async def answer(client, request_id, text):
        await client.ws.send(text)
        return await client.until(lambda m: m.get("re") == request_id or m["type"] == "error")

    with serving(tmp_path / "runs") as url:

        async def go():
            client = await Client.connect(url)
            replies = [
                await answer(client, 1, '{"v":1,"type":"start","id":1,"config":' + config.replace("0.1", "NaN") + "}"),
                await answer(client, 2, '{"v":1,"type":"start","id":2,"config":' + config.replace("0.9", "-Infinity")
                             + "}"),
                await answer(client, 3, '{"v":1,"type":"start","id":3,"config":{"seed":1' + "0" * 5000 + "}}"),
                await answer(client, 4, '{"v":1,"type":"start","id":4,"run":"\\ud800","config":' + config + "}"),
                await answer(client, 5, '{"v":1,"type":"list","id":5,"x":' + "[" * 100 + "]" * 100 + "}"),
                await answer(client, 6, '{"v":1,"type":"list","id":6,"x":' + "[" * 100_000 + "]" * 100_000 + "}"),
                await client.request("start", run="r\n", config=tiny_config()),
                await client.request("list"),
            ]
            await client.close()
            return replies

        nan, infinity, digits, surrogate, nested, too_deep, newline, listed = run(go())
    assert (nan["code"], nan["field"], nan["re"]) == ("invalid-config", "config.learningRate", 1)
    assert nan["message"] == "config.learningRate: NaN is not a number JSON allows (only finite numbers)"
    assert (infinity["field"], infinity["re"]) == ("config.momentum", 2)
    assert (digits["field"], digits["re"]) == ("config.seed", 3)
    assert (surrogate["code"], surrogate["field"], surrogate["re"]) == ("invalid-field", "run", 4)
    assert (nested["field"], nested["re"]) == ("x" + "[0]" * 31, 5)  # 32 deep
    assert (too_deep["code"], too_deep.get("re")) == ("bad-message", None)  # its id was never read
    assert (newline["code"], newline["field"]) == ("invalid-field", "run")
    assert listed["runs"] == []  # nothing was started; the connection served on


def test_a_dataset_outside_the_data_root_is_refused_without_saying_what_is_there(tmp_path, image_folder):
    data = tmp_path / "data"
    data.mkdir()
    outside = [str(image_folder), f"../../{image_folder.parent.name}/{image_folder.name}", "/etc", "imagenet/../.."]
    with serving(tmp_path / "runs", None, "--data-root", str(data)) as url:

        async def go():
            client = await Client.connect(url)
            config = tiny_config(model="torchvision/resnet18", width=1)
            replies = [await client.request("start", config={**config, "dataset": d}) for d in outside]
            await client.close()
            return replies

        replies = run(go())
    for reply in replies:
        assert (reply["type"], reply["code"], reply["field"]) == ("error", "invalid-config", "config.dataset")
        assert reply["message"] == "dataset: must name a folder inside the data root (--data-root): a relative " \
            "path without '..'"


def test_a_run_named_like_a_server_file_is_kept_apart(tmp_path):
    """Runs 'x' and 'x.config' both keep their state and their config, across a restart (the server kept run x's
    config as x.config.json, where run x.config's state was then written). Both fail at once: the data root has no
    datasets.json."""
    runs, data = tmp_path / "runs", tmp_path / "data"
    data.mkdir()
    lines = []
    for _ in range(2):
        with serving(runs, None, "--data-root", str(data)) as url:

            async def go():
                client = await Client.connect(url)
                if not lines:
                    for run_id in ("x", "x.config"):
                        await client.request("start", run=run_id, config=tiny_config())
                        await client.request("subscribe", run=run_id)
                        await client.until(state_is(run_id, "failed"))
                listed = await client.request("list")
                await client.close()
                return listed

            lines.append({r["id"]: r for r in run(go())["runs"]})
    for listed in lines:
        assert sorted(listed) == ["x", "x.config"]
        for info in listed.values():
            assert info["state"] == "failed" and "datasets.json is missing" in info["error"], info


def test_idle_connections_are_closed_and_capped_while_an_authenticated_client_is_served(tmp_path):
    """With a 1 s limit: a socket that never finishes its handshake and clients that never say hello are closed
    after it; beyond half the cap of 6 a client without hello is refused at once, beyond 6 any is, each with a
    reason; the studio's authenticated client is answered throughout."""

    async def close_of(ws):
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
        return closed.value.code, closed.value.reason

    with serving(tmp_path / "runs", None, "--hello-timeout", "1", "--max-connections", "6") as url:
        address = base_url(url)

        async def go():
            studio = await Client.connect(url)
            host, port = address[len("ws://"):].rstrip("/").split(":")
            bare_tcp, _ = await asyncio.open_connection(host, int(port))
            silent = [await websockets.connect(address) for _ in range(3)]
            one_too_many = await websockets.connect(address)
            refused_waiting = await close_of(one_too_many)
            assert (await studio.request("list"))["type"] == "runs"
            timed_out = [await close_of(ws) for ws in silent]
            others = [await Client.connect(url) for _ in range(5)]
            refused_full = await close_of(await websockets.connect(address))
            assert (await studio.request("list"))["type"] == "runs"
            tcp_closed = await asyncio.wait_for(bare_tcp.read(), 5)
            for client in [studio, *others]:
                await client.close()
            return refused_waiting, timed_out, refused_full, tcp_closed

        refused_waiting, timed_out, refused_full, tcp_closed = run(go())
    assert refused_waiting == (1013, "the worker has too many connections waiting for their hello; try again later")
    assert timed_out == [(4004, "no hello within 1 s")] * 3
    assert refused_full == (1013, "the worker has too many connections (--max-connections 6); try again later")
    assert tcp_closed.startswith(b"HTTP/1.1 408") and tcp_closed.endswith(b"no WebSocket handshake within 1 s\n")


def files_of_at_most(size):
    """A limit on the size of every file the process (and its children) writes: past it a write fails with EFBIG, as
    on a full disk, and needs no root and no special filesystem."""
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


def test_a_write_failure_fails_the_run_in_words_broadcast_saved_and_without_debris(tmp_path):
    runs = tmp_path / "runs"
    with serving(runs, preexec_fn=files_of_at_most(200_000)) as url:  # a checkpoint of the tiny net is ~1 MB

        async def go():
            starter = await Client.connect(url)
            watcher = await Client.connect(url)  # subscribed to nothing: every client hears of every state
            await starter.request("start", run="r", config=tiny_config())
            failed = await watcher.until(state_is("r", "failed"))
            await starter.close()
            await watcher.close()
            return failed

        failed = run(go())
    assert failed["run"]["error"] == f"error: file too large writing {runs / 'r' / 'checkpoint.pt'}"
    assert json.loads((runs / ".serve" / "r" / "state.json").read_text())["state"] == "failed"
    assert [f.name for f in runs.rglob("*.tmp")] == []


def test_runs_over_max_runs_wait_in_a_queue(tmp_path):
    """--max-runs 1: a second run is 'queued' until the first one stops training, then trains; a queued run can be
    stopped without ever training. Each run holds after step 2, so the order is known."""
    with serving(tmp_path / "runs", {**ENV, HOLD_ENV: "2"}, "--max-runs", "1") as url:

        async def go():
            client = await Client.connect(url)
            config = tiny_config(reportEvery=1)  # a report says the run is in its loop, where SIGTERM pauses it
            started = [(await client.request("start", run=r, config=config))["run"] for r in "abc"]
            await client.request("subscribe", run="a")
            await client.until(lambda m: m["type"] == "report" and m["run"] == "a")
            await client.request("stop", run="c")
            await client.request("pause", run="a")
            await client.until(state_is("b", "training"))
            listed = await client.request("list")
            await client.request("subscribe", run="b")
            await client.until(lambda m: m["type"] == "report" and m["run"] == "b")
            await client.request("stop", run="b")
            await client.until(state_is("b", "stopped"))
            await client.close()
            return started, client.inbox, listed

        started, inbox, listed = run(asyncio.wait_for(go(), 60))
    assert [(r["id"], r["state"]) for r in started] == [("a", "training"), ("b", "queued"), ("c", "queued")]
    states = [(m["run"]["id"], m["run"]["state"]) for m in inbox if m["type"] == "state"]
    assert states.index(("a", "paused")) < states.index(("b", "training"))  # never two runs training at once
    assert ("c", "stopped") in states and ("c", "training") not in states
    assert {r["id"]: r["state"] for r in listed["runs"]} == {"a": "paused", "b": "training", "c": "stopped"}


def rss_mb(pid):
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1]) / 1024


def test_a_client_that_reads_nothing_is_disconnected_while_others_are_served_in_bounded_memory(tmp_path):
    """A run of 30 MB of reports: a client subscribes and reads nothing. The server reads the history on only as the
    client takes it, and after 1 s (--send-timeout) of nothing taken closes it with 4005 and a reason, which the
    client finds after what it was sent; meanwhile another client's list is answered at once and the server's memory
    does not grow by the history. Subscribing again from the last seq + 1 gets exactly the rest."""
    runs, count = tmp_path / "runs", 1500
    # Random, so that permessage-deflate cannot shrink it: 30 MB on the wire too.
    padded = [json.dumps({"kind": "step", "run": "ep", "step": i, "pad": base64.b64encode(os.urandom(15_000)).decode()})
              + "\n" for i in range(count)]
    recorded_run(runs, "big", "".join(padded))
    p, url = start_server(runs, None, "--send-timeout", "1")
    try:

        async def go():
            studio = await Client.connect(url)
            before = rss_mb(p.pid)
            slow = await Client.connect(url, sock=small_socket(url), max_queue=1, read_limit=4096)
            await slow.send("subscribe", run="big")
            waits, most = [], before
            for _ in range(15):
                asked = time.monotonic()
                assert (await studio.request("list"))["type"] == "runs"
                waits.append(time.monotonic() - asked)
                most = max(most, rss_mb(p.pid))
                await asyncio.sleep(0.2)
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(slow.until(lambda m: False), 30)  # the old server never closed it
            taken = [m["seq"] for m in slow.reports("big")]
            await studio.send("subscribe", run="big", fromSeq=taken[-1] + 1)
            await studio.until(lambda m: m.get("seq") == count - 1)
            await studio.close()
            return closed.value, waits, before, most, taken, [m["seq"] for m in studio.reports("big")]

        closed, waits, before, most, taken, rest = run(go())
    finally:
        p.terminate()
        p.wait()
    assert (closed.code, closed.reason) == (4005, "too slow: nothing taken for 1 s; subscribe again from your last seq + 1")
    assert max(waits) < 1.0, waits
    # MB. Measured: 30 before and at most, where the server that held every report as objects took 87 before.
    assert most < 60 and most - before < 10, (before, most)
    assert taken == list(range(len(taken))) and 0 < len(taken) < count
    assert rest == list(range(len(taken), count))
