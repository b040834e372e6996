"""`serve` under faults, in a real process on loopback: damaged run files (a garbage line, a torn last line, a state
file that is not JSON) mark their run as damaged, saying which file and line, while the server starts and serves
every other run."""

import json

from supermask_worker.telemetry import RunWriter, run_header
from conftest import tiny_config
from serving import Client, run, start_server


def report(step):
    return json.dumps({"kind": "step", "run": "ep", "step": step}) + "\n"  # what is read back is not checked again


def recorded_run(runs, run_id, telemetry):
    """A run folder as `train` leaves it once done (no process holds it), with `telemetry` as its reports file."""
    RunWriter(runs / run_id, run_header(run_id, tiny_config(), {}, {})).close()
    (runs / run_id / "telemetry.jsonl").write_text(telemetry)


def test_damaged_files_mark_their_run_and_the_server_serves_the_others(tmp_path):
    runs = tmp_path / "runs"
    recorded_run(runs, "good", report(1) + report(2))
    recorded_run(runs, "garbage", report(1) + "}{ not a report\n" + report(3))
    recorded_run(runs, "torn", report(1) + report(2) + report(3)[:10])
    (runs / ".serve").mkdir()
    (runs / ".serve" / "lost.json").write_text('{"state": "tr')
    p, url = start_server(runs)
    try:

        async def go():
            client = await Client.connect(url)
            listed = {r["id"]: r for r in (await client.request("list"))["runs"]}
            await client.request("subscribe", run="garbage")
            await client.request("subscribe", run="good")
            await client.request("list")  # replies come after the history the subscriptions sent
            await client.close()
            return client, listed

        client, listed = run(go())
    finally:
        p.terminate()
        p.wait()
    assert (listed["good"]["reports"], listed["good"]["error"]) == (2, None)
    garbage = listed["garbage"]
    assert garbage["reports"] == 1
    assert garbage["error"].startswith(f"damaged: {runs / 'garbage' / 'telemetry.jsonl'} line 2 is not a report")
    torn = listed["torn"]
    assert torn["reports"] == 2
    assert torn["error"] == f"damaged: {runs / 'torn' / 'telemetry.jsonl'} line 3 is torn (10 bytes without a line end)"
    assert listed["lost"]["state"] == "failed"
    assert listed["lost"]["error"].startswith(f"damaged: {runs / '.serve' / 'lost.json'} is not a run's state")
    assert [m["seq"] for m in client.reports("garbage")] == [0]  # what comes before the damage is still served
    assert [m["seq"] for m in client.reports("good")] == [0, 1]
