"""`serve` in a real process on loopback, driven over a real WebSocket: nobody without the token or from a foreign
page gets in, bad configs are refused naming their field before anything runs, a v2 comparison of four runs streams
schema-valid reports under its run ids (and a v1 config is still accepted, recorded as v2),
a subscriber gets the history it asks for and then live reports (none lost, none repeated), and after kill -9 a
restarted server resumes the run with telemetry identical to a run never interrupted."""

import json
import os
import signal
import subprocess
import sys

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatusCode

from supermask_worker.process import HOLD_ENV, INTERRUPTED
from supermask_worker.runs import RunStore
from supermask_worker.schema import validate
from supermask_worker.config import upgrade_config
from supermask_worker.telemetry import RunWriter, run_header
from conftest import WORKER, tiny_config, tiny_v1_config
from serving import ENV, Client, run, server, start_server, state_is, telemetry_lines  # noqa: F401 (a fixture)

WALL_CLOCK = ("imagesPerSecond",)  # the only fields that may differ between an interrupted run and a whole one
# 20 steps (80 images, batch 8, 2 epochs); iEP's 4 cycles end at steps 5, 10, 15, 20.
RUN_CONFIG = tiny_config(epochs=2, trainLimit=80)
RUN_CONFIG["runs"] += [
    {"id": "dense", "label": "dense", "method": "dense", "dense": {"learningRate": None}},
    {"id": "iterand", "label": "IteRand", "method": "iterand", "iterand": {"kPer": 4, "lambda": 0.1}},
]
METHODS = ("ep", "iep", "dense", "iterand")


def closed_with(url, message, **kwargs):
    """Connects, sends one raw message, returns the close code the server answers with."""

    async def go():
        async with websockets.connect(url.split("?")[0], **kwargs) as ws:
            await ws.send(message)
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
            return closed.value.code

    return run(go())


def test_a_wrong_token_no_hello_an_old_protocol_and_a_foreign_origin_are_refused(server):
    hello = {"v": 1, "type": "hello", "token": "not-the-token"}
    assert closed_with(server, json.dumps(hello)) == 4001
    assert closed_with(server, json.dumps({"v": 1, "type": "list"})) == 4002
    assert closed_with(server, json.dumps({**hello, "v": 0})) == 4003
    with pytest.raises(InvalidStatusCode) as refused:
        run(Client.connect(server, origin="http://evil.example"))
    assert refused.value.status_code == 403

    async def studio_origin():
        client = await Client.connect(server, origin="http://localhost:5173")
        await client.close()

    run(studio_origin())  # the studio's own origin gets in


def test_a_malformed_config_is_refused_naming_its_field_and_nothing_runs(server):
    async def go():
        client = await Client.connect(server)
        before = await client.request("list")
        bad = await client.request("start", config=tiny_config(iep={"cycles": 0}))
        assert bad["type"] == "error" and bad["code"] == "invalid-config"
        assert bad["field"] == "config.runs[1].iep.cycles"
        wrong = await client.request("start", config=tiny_config(width="wide"))
        assert wrong["field"] == "config.width"
        twice = tiny_config()
        twice["runs"][1]["id"] = "ep"
        assert (await client.request("start", config=twice))["field"] == "config.runs[1].id"
        old = await client.request("start", config=tiny_v1_config(iep={"cycles": 0}))
        assert old["code"] == "invalid-config" and old["field"] == "config.iep.cycles"  # v1 names, as sent
        unknown = await client.request("pause", run="nope")
        assert unknown["code"] == "unknown-run" and unknown["field"] == "run"
        after = await client.request("list")
        assert after["runs"] == before["runs"]
        await client.ws.send("x" * (2 << 20))  # over the size limit: the server closes with 1009 (message too big)
        with pytest.raises(ConnectionClosed) as closed:
            await client.next()
        assert closed.value.code == 1009

    run(go())


def is_eval_at(run_id, method, step):
    return lambda m: (
        m["type"] == "report" and m["run"] == run_id and m["report"]["run"] == method and m["report"]["step"] == step
        and m["report"]["kind"] == "eval"
    )


def test_a_run_streams_valid_reports_and_a_late_subscriber_gets_history_then_live(tmp_path):
    # The training process holds after step 10 until paused: late subscribers join at a known point, no race.
    p, url = start_server(tmp_path / "runs", {**ENV, HOLD_ENV: "10"})
    try:

        async def go():
            a = await Client.connect(url)
            assert (await a.request("start", run="r", config=RUN_CONFIG))["type"] == "started"
            await a.request("subscribe", run="r", fromSeq=0)
            await a.until(is_eval_at("r", "iep", 10))  # the last report of step 10
            b = await Client.connect(url)
            await b.request("subscribe", run="r", fromStep=6)
            await a.request("pause", run="r")
            await a.until(state_is("r", "paused"))
            await b.request("resume", run="r")
            await a.until(state_is("r", "done"))
            await b.until(state_is("r", "done"))
            return a, b

        a, b = run(go())
        recorded = telemetry_lines(tmp_path / "runs" / "r")
        assert [m["seq"] for m in a.reports("r")] == list(range(len(recorded)))
        assert [m["report"] for m in a.reports("r")] == recorded
        assert [m["report"] for m in b.reports("r")] == [r for r in recorded if r["step"] >= 6]
        assert b.inbox.index(next(m for m in b.inbox if m["type"] == "header")) < b.inbox.index(b.reports("r")[0])
        for r in recorded:
            validate("StepReport" if r["kind"] == "step" else "EvalReport", r)
        steps = sorted({(r["run"], r["step"]) for r in recorded if r["kind"] == "step"})
        assert steps == sorted((m, s) for m in METHODS for s in (5, 10, 15, 20))
        assert b.inbox[[m["type"] for m in b.inbox].index("header")]["header"]["config"] == RUN_CONFIG

        async def reconnect():
            c = await Client.connect(url)  # a client that had reports 0..6 asks for the rest
            await c.request("subscribe", run="r", fromSeq=7)
            await c.request("list")  # replies come after the history the subscription sent
            return c

        c = run(reconnect())
        assert [m["seq"] for m in c.reports("r")] == list(range(7, len(recorded)))
    finally:
        p.terminate()
        p.wait()


def test_a_v1_config_is_still_accepted_and_recorded_as_v2(tmp_path):
    p, url = start_server(tmp_path / "runs")
    try:

        async def go():
            a = await Client.connect(url)
            v1 = tiny_v1_config(trainLimit=16, iep={"cycles": 2})
            assert (await a.request("start", run="old", config=v1))["type"] == "started"
            await a.request("subscribe", run="old")
            await a.until(state_is("old", "done"))
            return a, v1

        a, v1 = run(go())
        header = next(m for m in a.inbox if m["type"] == "header")["header"]
        assert header["version"] == 2 and header["config"] == upgrade_config(v1)
        assert {m["report"]["run"] for m in a.reports("old")} == {"ep", "iep"}
    finally:
        p.terminate()
        p.wait()


def without_wall_clock(reports):
    return [{k: v for k, v in r.items() if k not in WALL_CLOCK} for r in reports]


def test_kill_9_then_restart_resumes_the_run_with_identical_telemetry(tmp_path):
    config = tiny_config(epochs=2, trainLimit=80, reportEvery=3, iep={"variant": "hard", "scores": "rewind"})
    (tmp_path / "config.json").write_text(json.dumps(config))
    whole = subprocess.run(
        [sys.executable, "-m", "supermask_worker", "train", str(tmp_path / "config.json"), "--id", "whole"]
        + ["--runs-dir", str(tmp_path / "reference")],
        cwd=WORKER, env=ENV, capture_output=True, text=True, timeout=300,
    )
    assert whole.returncode == 0, whole.stderr
    runs = tmp_path / "runs"
    p, url = start_server(runs, {**ENV, HOLD_ENV: "7"})

    async def until_step_6():
        a = await Client.connect(url)
        await a.request("start", run="k", config=config)
        await a.request("subscribe", run="k")
        await a.until(lambda m: m["type"] == "report" and m["report"]["step"] == 6 and m["report"]["run"] == "iep")

    run(until_step_6())
    os.kill(p.pid, signal.SIGKILL)  # the server, and with it its training process (past the checkpoint at step 5)
    p.wait()
    p, url = start_server(runs)
    try:

        async def until_done():
            a = await Client.connect(url)
            info = await a.request("subscribe", run="k")
            if info["run"]["state"] != "done":
                await a.until(state_is("k", "done"))

        run(until_done())
    finally:
        p.terminate()
        p.wait()
    expected = without_wall_clock(telemetry_lines(tmp_path / "reference" / "whole"))
    assert without_wall_clock(telemetry_lines(runs / "k")) == expected


def test_a_run_trained_by_another_process_is_followed_live_to_its_end(tmp_path):
    """`train` and `resume` started by hand (as a batch job, torchrun, would be) into the runs folder of a running
    `serve`: it lists the run as 'external' while a process trains it (pausing it from the studio is refused), a
    subscriber gets every report once, in order, those appended after it subscribed included, and the state
    'recorded' after the last one."""
    runs = tmp_path / "runs"
    (tmp_path / "config.json").write_text(json.dumps(tiny_config(epochs=2, trainLimit=80)))
    p, url = start_server(runs)

    def by_hand(*args, hold=None):
        env = {**ENV, HOLD_ENV: str(hold)} if hold else ENV
        command = [sys.executable, "-m", "supermask_worker", *args, "--runs-dir", str(runs)]
        return subprocess.Popen(command, cwd=WORKER, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def ended(process, code):
        _, err = process.communicate(timeout=300)
        assert process.returncode == code, err.decode()[-2000:]

    try:

        async def go():
            a = await Client.connect(url)
            # The job holds after step 10 until SIGTERM stops it: the subscriber joins at a known point, no race.
            ended_at_10 = by_hand("train", str(tmp_path / "config.json"), "--id", "job", hold=10)
            await a.until(state_is("job", "external"))
            await a.request("subscribe", run="job")
            await a.until(is_eval_at("job", "iep", 10))
            refused = await a.request("pause", run="job")
            ended_at_10.send_signal(signal.SIGTERM)
            ended(ended_at_10, INTERRUPTED)
            await a.until(state_is("job", "recorded"))
            ended(by_hand("resume", "job"), 0)
            count = len(telemetry_lines(runs / "job"))
            await a.until(lambda m: state_is("job", "recorded")(m) and m["run"]["reports"] == count)
            return a, refused, await a.request("list")

        a, refused, listed = run(go())
    finally:
        p.terminate()
        p.wait()
    assert (refused["type"], refused["code"]) == ("error", "bad-state")
    recorded = telemetry_lines(runs / "job")
    assert [m["seq"] for m in a.reports("job")] == list(range(len(recorded)))
    assert [m["report"] for m in a.reports("job")] == recorded
    for r in recorded:
        validate("StepReport" if r["kind"] == "step" else "EvalReport", r)
    steps = [(r["run"], r["step"]) for r in recorded if r["kind"] == "step"]
    assert steps == [(m, s) for s in (5, 10, 15, 20) for m in ("ep", "iep")]
    about_job = [m for m in a.inbox if m in a.reports("job") or state_is("job", "recorded")(m)]
    assert about_job[-1]["type"] == "state" and about_job[-1]["run"]["state"] == "recorded"
    assert [r for r in listed["runs"] if r["id"] == "job"] == [about_job[-1]["run"]]


def test_following_goes_on_past_a_run_folder_it_cannot_read(tmp_path):
    """A run.json torn or edited by hand is said once, as the run's error, and the runs after it are still read."""
    changes = []
    store = RunStore(tmp_path, [], changes.append)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "run.json").write_text("{")
    good = RunWriter(tmp_path / "good", run_header("good", tiny_config(), {}, {}))
    report = {"kind": "step", "run": "ep", "step": 1}  # what is read back is not checked again
    (tmp_path / "good" / "telemetry.jsonl").write_text(json.dumps(report) + "\n")
    good.close()
    store.follow_others()
    store.follow_others()
    assert store.runs["good"].count == 1 and store.runs["good"].state == "recorded"
    assert "Expecting property name" in store.runs["bad"].error
    assert [r.id for r in changes] == ["bad", "good"]  # each listed once; the error said once
