"""`serve` holds, in a real process on loopback: a client that lets more than SEND_QUEUE_BYTES pile up is closed with
4005 while another is served; a run's change of state waits for the history a subscriber is being sent; a flood of
connections past the file limit writes a bounded log; the watchers go on past files they cannot read (a later run is
still found, a training run still ends in its state) and shutdown stays clean; a damaged checkpoint fails its run
in words naming the file while the server serves the others."""

import asyncio
import json
import os
import resource
import shutil
import signal
import socket
import time

import pytest
from websockets.exceptions import ConnectionClosed

from supermask_worker.files import write_json_atomic
from supermask_worker.process import HOLD_ENV, lock_run
from supermask_worker.protocol import SEND_QUEUE_BYTES
from supermask_worker.runs import terminate
from supermask_worker.telemetry import run_header
from conftest import tiny_config
from serving import (ENV, Client, base_url, recorded_run, report_line, run, serving, small_socket, start_server,
    state_is, telemetry_lines)

WEDGED = 60  # seconds: a guard against a hung test, never a measure of speed
AGAIN = "subscribe again from your last seq + 1"


def about(message, run_id):
    """Whether a message is about the run: a report or header names it, a state or reply carries its info."""
    named = message.get("run")
    return named == run_id or (isinstance(named, dict) and named["id"] == run_id)


async def close_of(client):
    """Reads on until the server closes the socket; its close code and reason."""
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(client.until(lambda m: False), WEDGED)
    return closed.value.code, closed.value.reason


def test_a_client_that_lets_too_much_pile_up_is_closed_with_4005_while_another_is_served(tmp_path):
    """A worker with 1,000 stored runs: a client asks for their list (about 60 KB) 400 times and reads nothing. What
    waits for it passes 8 MiB long before --send-timeout (60 s) would end it: it is closed with 4005 and the reason,
    which it finds after what it was sent (the rest let go); the other client is answered before, during and after."""
    runs = tmp_path / "runs"
    for i in range(1000):
        (runs / ".serve" / f"run-{i:04}").mkdir(parents=True)
        (runs / ".serve" / f"run-{i:04}" / "state.json").write_text('{"state": "stopped", "error": null}')
    with serving(runs, None, "--send-timeout", "60") as url:

        async def go():
            studio = await Client.connect(url)
            listed = await studio.request("list")
            # No compression: what waits is counted as sent, and the socket's buffers take it as it is.
            slow = await Client.connect(url, sock=small_socket(url), compression=None, max_queue=1, read_limit=4096)
            for _ in range(400):
                await slow.send("list")
            during = await asyncio.wait_for(studio.request("list"), WEDGED)
            closed = await close_of(slow)
            after = await asyncio.wait_for(studio.request("list"), WEDGED)
            await studio.close()
            return listed, during, after, closed, [m for m in slow.inbox if m["type"] == "runs"]

        listed, during, after, closed, taken = run(go())
    assert len(listed["runs"]) == 1000 and len(json.dumps(listed)) > 50_000
    assert during["runs"] == after["runs"] == listed["runs"]
    assert closed == (4005, f"too slow: over {SEND_QUEUE_BYTES >> 20} MiB waiting to be sent; {AGAIN}")
    assert 0 < len(taken) < 400 and all(m["runs"] == listed["runs"] for m in taken)


def test_a_change_of_state_during_a_history_reaches_the_subscriber_after_it(tmp_path):
    """A run a batch job trains ('external': the test holds its lock) has 12 MB of reports. A client subscribes and
    reads nothing, so the server is in the middle of its history when the job appends 3 reports and lets go of the
    run: a client subscribed to nothing hears 'recorded' then. The subscriber gets the whole history, the 3 new
    reports included, each once in order, and only then the state, counting them all."""
    runs, count = tmp_path / "runs", 800
    recorded_run(runs, "job", "".join(report_line(i, pad=15_000) for i in range(count)))
    lock = lock_run(runs / "job")
    with serving(runs) as url:

        async def go():
            observer = await Client.connect(url)
            slow = await Client.connect(url, sock=small_socket(url), compression=None, max_queue=1, read_limit=4096)
            await slow.send("subscribe", run="job")
            # The subscriber takes one message at most and its socket 128 KB: the history waits for it.
            await slow.until(lambda m: m["type"] == "subscribed")
            with open(runs / "job" / "telemetry.jsonl", "a") as f:
                f.write("".join(report_line(count + i) for i in range(3)))
            lock.close()
            recorded = await observer.until(state_is("job", "recorded"))
            await asyncio.wait_for(slow.until(lambda m: m["type"] == "state" and m["run"]["id"] == "job"), WEDGED)
            await observer.close()
            await slow.close()
            return recorded, slow.inbox

        recorded, inbox = run(go())
    assert recorded["run"]["reports"] == count + 3
    about_job = [m for m in inbox if about(m, "job")]
    assert [m["type"] for m in about_job[:2]] == ["subscribed", "header"]
    assert about_job[0]["run"]["state"] == "external"
    assert [m["seq"] for m in about_job[2:-1]] == list(range(count + 3))  # reports only, each once, in order
    assert [m["report"]["step"] for m in about_job[-4:-1]] == [count, count + 1, count + 2]
    assert about_job[-1]["type"] == "state" and about_job[-1]["run"] == recorded["run"]


def stderr_of(tmp_path):
    """A file for the server's stderr (its log), and a reader of what it holds so far."""
    path = tmp_path / "stderr.txt"
    return open(path, "w"), lambda: path.read_text()


async def until_logged(read, text):
    """Waits until the server's log holds `text` (checked every 50 ms, within WEDGED)."""
    deadline = time.monotonic() + WEDGED
    while text not in read():
        assert time.monotonic() < deadline, f"never logged: {text}\n{read()[-2000:]}"
        await asyncio.sleep(0.05)


def files_open_at_most(count):
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (count, count))


def test_a_flood_of_connections_past_the_file_limit_writes_a_bounded_log(tmp_path):
    """With 40 files allowed, 100 sockets that never finish their handshake leave the server unable to accept: asyncio
    says so with a traceback at every try, about 550 a second (measured with the limit lifted). The log lets 20
    records through per 10 s; the client already in is answered, and once the sockets go a new one gets in."""
    out, logged = stderr_of(tmp_path)
    with out, serving(tmp_path / "runs", None, stderr=out, preexec_fn=files_open_at_most(40)) as url:
        host, port = base_url(url)[len("ws://"):].rstrip("/").split(":")

        async def go():
            studio = await Client.connect(url)
            flood = [socket.create_connection((host, int(port))) for _ in range(100)]
            await until_logged(logged, "out of system resource")
            await asyncio.sleep(1)  # a flood of 500 records, unlimited
            answered = await asyncio.wait_for(studio.request("list"), WEDGED)
            for s in flood:
                s.close()
            newcomer = await asyncio.wait_for(Client.connect(url), WEDGED)
            await newcomer.close()
            await studio.close()
            return answered

        assert run(go())["type"] == "runs"
        log = logged()
    # Two windows at most: the first starts with the server, and a slow machine may reach the second.
    assert 1 <= log.count("out of system resource") <= 40, log[-2000:]
    assert len(log.splitlines()) <= 40 * 8


def test_the_watchers_go_on_past_files_they_cannot_read(tmp_path):
    """Run folders that cannot be read (a folder where run.json or telemetry.jsonl should be: as root, permissions
    would not stop the server) neither keep the server from starting nor stop it from following: each says why as
    its run's error, a run appearing later is found, and one put right is read (its error gone)."""
    runs = tmp_path / "runs"
    recorded_run(runs, "torn-out", report_line(1))
    os.remove(runs / "torn-out" / "telemetry.jsonl")
    (runs / "torn-out" / "telemetry.jsonl").mkdir()
    (runs / "no-header").mkdir(parents=True)
    (runs / "no-header" / "run.json").mkdir()
    with serving(runs) as url:

        async def go():
            client = await Client.connect(url)
            before = {r["id"]: r for r in (await client.request("list"))["runs"]}
            recorded_run(runs, "later", report_line(1) + report_line(2))
            later = await asyncio.wait_for(client.until(state_is("later", "recorded")), WEDGED)
            (runs / "no-header" / "run.json").rmdir()
            (runs / "no-header" / "telemetry.jsonl").write_text(report_line(1))
            write_json_atomic(runs / "no-header" / "run.json", run_header("no-header", tiny_config(), {}, {}))
            mended = await asyncio.wait_for(client.until(state_is("no-header", "recorded")), WEDGED)
            await client.close()
            return before, later, mended

        before, later, mended = run(go())
    assert before["torn-out"]["error"] == f"is a directory: {runs / 'torn-out' / 'telemetry.jsonl'}"
    assert before["no-header"]["error"] == f"is a directory: {runs / 'no-header' / 'run.json'}"
    assert later["run"] == {"id": "later", "state": "recorded", "reports": 2, "error": None}
    assert mended["run"] == {"id": "no-header", "state": "recorded", "reports": 1, "error": None}


def test_a_training_run_s_watcher_goes_on_past_a_file_it_cannot_open_and_shutdown_is_clean(tmp_path):
    """While a run holds after step 1, its telemetry.jsonl is a folder for a moment: the watcher says so, and once
    the file is back it reads on, and the pause asked next ends in 'paused' with every report sent once (a watcher
    that died of it left the run 'training' for good). SIGTERM then ends the server with status 0 and no traceback."""
    runs = tmp_path / "runs"
    telemetry = runs / "r" / "telemetry.jsonl"
    out, logged = stderr_of(tmp_path)
    with out:
        p, url = start_server(runs, {**ENV, HOLD_ENV: "1"}, stderr=out)
        try:

            async def go():
                client = await Client.connect(url)
                await client.request("start", run="r", config=tiny_config(reportEvery=1))
                await client.request("subscribe", run="r")
                await client.until(lambda m: m["type"] == "report" and m["report"]["run"] == "iep")
                telemetry.rename(telemetry.with_suffix(".aside"))
                telemetry.mkdir()
                for i in range(1000):  # larger than what was read, or the server would not open it
                    if telemetry.stat().st_size > telemetry.with_suffix(".aside").stat().st_size:
                        break
                    (telemetry / f"{i:0200}").touch()
                await until_logged(logged, f"run r: is a directory: {telemetry}")
                shutil.rmtree(telemetry)
                telemetry.with_suffix(".aside").rename(telemetry)
                await client.request("pause", run="r")
                await asyncio.wait_for(client.until(state_is("r", "paused")), WEDGED)
                await client.close()
                return client

            client = run(go())
        finally:
            p.send_signal(signal.SIGTERM)
            status = p.wait(WEDGED)
    assert [m["seq"] for m in client.reports("r")] == list(range(len(telemetry_lines(runs / "r"))))
    assert status == 0 and "Traceback" not in logged(), logged()[-3000:]


def test_terminating_a_process_that_is_gone_is_no_error():
    """What shutdown does to every run's process, for one that died and was waited for already."""

    async def go():
        process = await asyncio.create_subprocess_exec("true", stderr=asyncio.subprocess.PIPE)
        await process.communicate()
        await asyncio.sleep(0)  # its transport is let go: asyncio now raises ProcessLookupError for a signal
        terminate(process)

    run(go())


def test_a_damaged_checkpoint_fails_its_run_naming_the_file_and_the_others_are_served(tmp_path):
    """A run that was training when the server stopped, its checkpoint.pt now garbage: the restarted server resumes
    it, and it fails with an error naming the file (saved, so the next start does not try again), while another run
    is served throughout."""
    runs = tmp_path / "runs"
    recorded_run(runs, "good", report_line(1) + report_line(2))
    recorded_run(runs, "r", report_line(1) + report_line(2))
    (runs / "r" / "checkpoint.pt").write_bytes(b"garbage, not a checkpoint " * 100)
    (runs / ".serve" / "r").mkdir(parents=True)
    (runs / ".serve" / "r" / "config.json").write_text(json.dumps(tiny_config()))
    (runs / ".serve" / "r" / "state.json").write_text('{"state": "training", "error": null}')
    with serving(runs) as url:

        async def go():
            client = await Client.connect(url)
            listed = {r["id"]: r for r in (await client.request("list"))["runs"]}
            await client.request("subscribe", run="good")
            failed = await asyncio.wait_for(client.until(state_is("r", "failed")), WEDGED)
            await client.close()
            return client, listed, failed

        client, listed, failed = run(go())
    assert listed["r"]["state"] == "training" and listed["good"]["state"] == "recorded"
    assert [m["seq"] for m in client.reports("good")] == [0, 1]
    path = runs / "r" / "checkpoint.pt"
    assert failed["run"]["error"].startswith(f"error: {path} is damaged: UnpicklingError: "), failed["run"]["error"]
    assert json.loads((runs / ".serve" / "r" / "state.json").read_text())["state"] == "failed"
