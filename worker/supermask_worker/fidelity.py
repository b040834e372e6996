"""`npm run fidelity` (python -m supermask_worker.fidelity): the fidelity study on the real CIFAR-10.

Two sets of runs, each one run file the studio imports (a RunRecord: run.json + telemetry.jsonl, and RECORDS/<id>.json):
- the paper's case study (Iwasawa et al., Table 1): EP alone at k = 1 - 0.8^c, c = 1..8, for the final dying ratio
  d_T per k. k is the pruning rate p (the fraction pruned); the run at k = 0.832 is the comparisons' EP run of the
  same seed and budget when there is one;
- EP at the target rate against soft iEP (1 - 0.8^c over 8 cycles) at equal compute, at every budget, every seed.

Runs go to OUT/runs/<id>/ through the worker's own writer and checkpoints, so the study can be stopped and started
again: finished runs are skipped and a cut-off one goes on from its last checkpoint. Then summary.json, the tables
and the plots are made from the run files alone (fidelity_summary.py).
"""

import argparse
import dataclasses
import hashlib
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Dict, List, Optional

REPO = Path(__file__).resolve().parents[2]
DEFAULT_CIFAR10 = Path(os.environ.get("CIFAR10_DIR", REPO.parent / "shared" / "cifar10"))
BATCH_FILES = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
CASE_KS = [round(1 - 0.8**c, 3) for c in range(1, 9)]  # 0.2, 0.36, ..., 0.832
TARGET = CASE_KS[-1]


def spread_rank(k: float) -> int:
    """k's place in the order c = 1, 8, then the middle (4), then the middles of the halves (2, 6, 3, 5, 7): a case
    study cut short still spans the range of k."""
    order = [0, len(CASE_KS) - 1]
    gaps = [(0, len(CASE_KS) - 1)]
    while gaps:
        lo, hi = gaps.pop(0)
        if hi - lo > 1:
            mid = (lo + hi) // 2
            order.append(mid)
            gaps += [(lo, mid), (mid, hi)]
    nearest = min(range(len(CASE_KS)), key=lambda i: abs(CASE_KS[i] - k))
    return order.index(nearest)


@dataclasses.dataclass(frozen=True)
class Job:
    """One run file: `methods` ('ep',) for a case-study run, ('ep', 'iep') for a comparison."""

    id: str
    config: dict
    methods: tuple

    @property
    def cost(self) -> float:
        """Run-epochs: what the job costs."""
        return self.config["epochs"] * len(self.methods)

    @property
    def order(self) -> tuple:
        """Comparisons first, the shortest budget first (every seed of a budget before the next budget), then the
        case study, its k in spread_rank order: a study cut short by time has whole budgets and a spread of k."""
        if len(self.methods) > 1:
            return (0, self.cost, 0)
        return (1, self.cost, spread_rank(self.config["targetPruningRate"]))


def base_config(args: argparse.Namespace, seed: int, epochs: float, k: float) -> dict:
    """A v1 ComparisonConfig (src/protocol/config.ts), as the studio writes it."""
    train_count = args.train_limit or 50_000
    steps = max(1, round(epochs * -(-train_count // args.batch)))
    return {
        "version": 1,
        "dataset": "cifar10",
        "model": args.model,
        "width": args.width,
        "seed": seed,
        "targetPruningRate": k,
        "epochs": epochs,
        "batchSize": args.batch,
        "learningRate": args.lr,
        "momentum": 0.9,
        "weightDecay": None,
        "budget": "equal-compute",
        "iep": {"cycles": 8, "schedule": "geometric", "variant": "soft", "scores": "carry", "lrRewind": True},
        "reportEvery": max(1, steps // args.reports),
        "trainLimit": args.train_limit,
        "testLimit": args.test_limit,
        "backend": "auto",
    }


def plan_jobs(args: argparse.Namespace) -> List[Job]:
    jobs = []
    for epochs in args.budgets:
        for seed in args.seeds:
            jobs.append(Job(f"compare-e{epochs:g}-s{seed}", base_config(args, seed, epochs, TARGET), ("ep", "iep")))
    for epochs in args.case_epochs:
        reused = epochs in args.budgets and args.case_seed in args.seeds
        for k in args.case_k:
            if k == TARGET and reused:
                continue  # the comparison's EP run is this run
            config = base_config(args, args.case_seed, epochs, k)
            jobs.append(Job(f"case-k{k:g}-e{epochs:g}-s{args.case_seed}", config, ("ep",)))
    return sorted(jobs, key=lambda j: j.order)


def check_cifar10(folder: Path) -> Path:
    """The real CIFAR-10 binary files, each checked against the folder's SHA256SUMS; returns cifar-10-batches-bin."""
    sums = folder / "SHA256SUMS"
    bins = folder / "cifar-10-batches-bin"
    if not sums.is_file() or not bins.is_dir():
        raise SystemExit(
            f"error: the real CIFAR-10 is not at {folder} (it needs cifar-10-batches-bin/ and SHA256SUMS); "
            "pass --cifar10 DIR or set CIFAR10_DIR"
        )
    expected = {line.split()[-1].split("/")[-1]: line.split()[0] for line in sums.read_text().splitlines() if line}
    for name in BATCH_FILES:
        actual = hashlib.sha256((bins / name).read_bytes()).hexdigest() if (bins / name).is_file() else "missing"
        if expected.get(name) != actual:
            raise SystemExit(f"error: {bins / name} does not match {sums} (sha256 {actual})")
    return bins


def write_data_root(out: Path, bins: Path) -> Path:
    """A data root whose datasets.json lists the real set as 'cifar10', the id `npm run data:cifar10` gives it."""
    root = out / "data"
    root.mkdir(parents=True, exist_ok=True)
    entry = {
        "id": "cifar10",
        "name": "CIFAR-10 (50,000 train / 10,000 test)",
        "path": str(bins.resolve()),
        "train": 50_000,
        "test": 10_000,
        "trainFiles": BATCH_FILES[:5],
        "testFiles": BATCH_FILES[5:],
    }
    (root / "datasets.json").write_text(json.dumps([entry], indent=2) + "\n", encoding="utf-8")
    return root


def finished(run_dir: Path, methods: tuple) -> bool:
    """Whether every run of the job has its final evaluation in the telemetry."""
    path = run_dir / "telemetry.jsonl"
    if not path.is_file():
        return False
    finals = {json.loads(line)["run"] for line in path.read_text().splitlines() if '"reason":"final"' in line}
    return set(methods) <= finals


def final_eval_only(comparison_class):
    """The comparison, evaluating each run once, at its end: the study quotes final test accuracy only, and the
    engine's evaluations at every epoch and iEP cycle end would cost it a fifth of its compute more."""

    class FinalEval(comparison_class):
        @staticmethod
        def eval_reason(run) -> Optional[str]:
            return "final" if run.done else None

    return FinalEval


def run_job(job: Job, out: Path, data_root: Path, threads: int, device: Optional[str]) -> str:
    """Trains one job to its end (resuming a cut-off one), then writes its RunRecord to OUT/records/<id>.json."""
    import torch

    torch.set_num_threads(threads)
    from .config import from_config, upgrade_config
    from .comparison import Comparison
    from .runner import drive, resume_state
    import jsonschema

    from .schema import load_schema
    from .telemetry import RunWriter, new_run_dir, read_record, run_header
    from .train import backend_info, load_source
    from .process import lock_run

    run_dir = out / "runs" / job.id
    t0 = time.monotonic()
    if not finished(run_dir, job.methods):
        # Protocol v2: the job's runs only (a case-study file holds its EP run alone), so the file says what ran.
        v2 = upgrade_config(job.config)
        config = {**v2, "runs": [r for r in v2["runs"] if r["id"] in job.methods]}
        spec = from_config(config)
        dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        comparison = final_eval_only(Comparison)(spec, load_source(data_root, spec, dev), dev)
        fresh = not run_dir.exists()
        # Locked before run.json appears: `serve`, watching the same folder, tells a run in training by its lock.
        with lock_run(new_run_dir(run_dir) if fresh else run_dir):
            if fresh:
                header = run_header(job.id, config, comparison.summary, backend_info(dev))
                writer = RunWriter(run_dir, header, created=True)
            else:
                writer = RunWriter.reopen(run_dir, resume_state(comparison, run_dir))
            try:
                code = drive(comparison, writer, checkpoint_every=200)
            finally:
                writer.close()
        if code != 0:
            raise RuntimeError(f"{job.id} stopped on request (exit {code}); run the study again to go on")
    record = read_record(run_dir)
    jsonschema.Draft7Validator(load_schema()).validate(record)  # the schema's top level is the RunRecord
    records = out / "records"
    records.mkdir(parents=True, exist_ok=True)
    (records / f"{job.id}.json").write_text(json.dumps(record, separators=(",", ":")), encoding="utf-8")
    return f"{job.id}: done in {time.monotonic() - t0:.0f} s"


def numbers(kind):
    return lambda text: [kind(v) for v in text.split(",") if v]


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="npm run fidelity --", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--cifar10",
        type=Path,
        default=DEFAULT_CIFAR10,
        help="folder with cifar-10-batches-bin/ and SHA256SUMS (default: $CIFAR10_DIR or ../shared/cifar10)",
    )
    p.add_argument("--out", type=Path, default=REPO / "results" / "fidelity", help="default: %(default)s")
    p.add_argument("--model", default="resnet20")
    p.add_argument("--width", type=float, default=0.5)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument(
        "--budgets",
        type=numbers(float),
        default=[1.0, 3.0],
        help="EP's epochs per comparison, comma-separated; iEP gets as many steps (default: 1,3)",
    )
    p.add_argument("--seeds", type=numbers(int), default=[1, 2, 3], help="default: 1,2,3")
    p.add_argument(
        "--case-epochs",
        type=numbers(float),
        help="the case study's budgets, comma-separated (default: the smallest of --budgets)",
    )
    p.add_argument("--case-seed", type=int, default=1)
    p.add_argument("--case-k", type=numbers(float), default=CASE_KS, help="the case study's pruning rates k")
    p.add_argument("--train-limit", type=int, help="the first N training images (default: all 50,000)")
    p.add_argument("--test-limit", type=int, help="the first N test images (default: all 10,000)")
    p.add_argument("--reports", type=int, default=20, help="step reports per run, about (default: %(default)s)")
    p.add_argument("--jobs", type=int, default=2, help="runs trained at once, a process each (default: %(default)s)")
    p.add_argument("--threads", type=int, default=1, help="torch threads per process (default: %(default)s)")
    p.add_argument("--device", help="torch device (default: cuda if available)")
    p.add_argument("--summary-only", action="store_true", help="train nothing; summarise the run files there are")
    args = p.parse_args(argv)
    if args.case_epochs is None:
        args.case_epochs = [min(args.budgets)]
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    out: Path = args.out
    jobs = plan_jobs(args)
    if not args.summary_only:
        data_root = write_data_root(out, check_cifar10(args.cifar10))
        (out / "study.json").write_text(json.dumps({"argv": sys.argv[1:], "jobs": [j.id for j in jobs]}, indent=2))
        print(f"{len(jobs)} run files, {sum(j.cost for j in jobs):g} run-epochs, {args.jobs} at once", flush=True)
        if args.jobs == 1:
            for job in jobs:
                print(run_job(job, out, data_root, args.threads, args.device), flush=True)
        else:
            with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn")) as pool:
                futures = [pool.submit(run_job, j, out, data_root, args.threads, args.device) for j in jobs]
                try:
                    for f in futures:
                        print(f.result(), flush=True)
                except BaseException:
                    # A run stopped (Ctrl-C reaches every process: each run checkpoints) or failed: start no other.
                    pool.shutdown(wait=True, cancel_futures=True)
                    raise
    from .fidelity_summary import write_summary

    summary = write_summary(out, [j.id for j in jobs], TARGET, sys.argv[1:])
    print(f"summary: {summary}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
