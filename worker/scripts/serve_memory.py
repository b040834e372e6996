"""The memory of `serve` with many and large stored runs: writes a runs folder of recorded runs (reports the size of
a real one, ~17 KB: a small net's layers with their heatmaps), starts `serve` on it and reads the server's VmRSS
and VmHWM (peak) from /proc/PID/status after loading and after one client read the largest run's whole history.

    python3 worker/scripts/serve_memory.py [--worker DIR] [--runs 40] [--reports 100] [--large 3000]

--worker: the folder holding supermask_worker (default: this checkout's), to measure another version of it.
"""

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import websockets

TOKEN = "memory-probe"


def report(step: int) -> str:
    """A step report shaped as a real one: 8 layers, each with a 12 x 18 heatmap of usage and dead fractions."""
    cells = [round((step * 7 + i) % 97 / 97, 4) for i in range(12 * 18)]
    layer = {"kept": 100, "dyingRatio": 0.5, "dyingRatioAtTarget": 0.5, "entered": 3, "left": 2,
             "heatmap": {"rows": 12, "cols": 18, "usage": cells, "dead": cells[::-1]}}
    layers = [{"name": f"conv{i}", **layer} for i in range(8)]
    return json.dumps({"kind": "step", "run": "ep", "step": step, "loss": 2.3, "layers": layers}) + "\n"


def write_run(runs: Path, run_id: str, reports: int) -> None:
    (runs / run_id).mkdir(parents=True)
    (runs / run_id / "run.json").write_text(json.dumps({"format": "supermask-run", "version": 2, "id": run_id}))
    with open(runs / run_id / "telemetry.jsonl", "w") as f:
        for step in range(reports):
            f.write(report(step))


def memory(pid: int) -> str:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    mb = {k: int(fields[k].split()[0]) // 1024 for k in ("VmRSS", "VmHWM")}
    return f"RSS {mb['VmRSS']} MB, peak {mb['VmHWM']} MB"


async def read_history(url: str, run_id: str, expected: int) -> float:
    start = time.monotonic()
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send(json.dumps({"v": 1, "type": "hello", "token": TOKEN}))
        await ws.recv()
        await ws.send(json.dumps({"v": 1, "type": "subscribe", "run": run_id}))
        got = 0
        while got < expected:
            if json.loads(await ws.recv())["type"] == "report":
                got += 1
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", default=str(Path(__file__).resolve().parents[1]))
    parser.add_argument("--runs", type=int, default=40, help="stored runs of --reports reports each")
    parser.add_argument("--reports", type=int, default=100)
    parser.add_argument("--large", type=int, default=3000, help="reports of the one large run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        runs = Path(folder)
        for i in range(args.runs):
            write_run(runs, f"run{i:03}", args.reports)
        write_run(runs, "large", args.large)
        size = sum(f.stat().st_size for f in runs.rglob("telemetry.jsonl")) >> 20
        print(f"{args.runs} runs of {args.reports} reports and one of {args.large}: {size} MB of telemetry")
        command = [sys.executable, "-m", "supermask_worker", "serve", "--runs-dir", str(runs), "--port", "0",
                   "--token", TOKEN]
        start = time.monotonic()
        p = subprocess.Popen(command, cwd=args.worker, stdout=subprocess.PIPE, text=True)
        try:
            assert p.stdout is not None
            url = next(line.strip() for line in p.stdout if line.startswith("ws://")).split("?")[0]
            print(f"loaded in {time.monotonic() - start:.1f} s: {memory(p.pid)}")
            took = asyncio.run(read_history(url, "large", args.large))
            print(f"after a client read the large run's history ({took:.1f} s): {memory(p.pid)}")
        finally:
            p.terminate()
            p.wait()


if __name__ == "__main__":
    main()
