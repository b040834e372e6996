"""Command line: `python -m supermask_worker train CONFIG.json --runs-dir DIR` runs a comparison to its end, writing
DIR/<id>/run.json and DIR/<id>/telemetry.jsonl with checkpoints; `resume ID` goes on from the last one (what
`serve` runs for the studio)."""

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Tuple

import torch

from .batches import CifarSource
from .cifar import DatasetError, load_dataset
from .comparison import Comparison
from .config import ComparisonSpec, ConfigError, from_v1_config
from .imagenet import ImageFolderSource, is_image_folder
from .models import TORCHVISION_MODELS
from .runner import RunBusy, drive, lock_run, resume_state
from .telemetry import RUN_FILE, RunWriter, run_header

REPO_DATA = Path(__file__).resolve().parents[2] / "public" / "data"


def backend_info(device: torch.device) -> dict:
    if device.type == "cuda":
        return {"name": "cuda", "reason": "CUDA device found", "adapter": torch.cuda.get_device_name(device)}
    return {"name": "torch-cpu", "reason": "no CUDA device" if not torch.cuda.is_available() else "CPU requested"}


def load_source(data_root: Path, spec: ComparisonSpec, device: torch.device):
    """The torchvision nets train on DATA_ROOT/<dataset>/{train,val} (an ImageFolder tree), the CIFAR nets on a
    CIFAR-10 dataset of DATA_ROOT/datasets.json."""
    if spec.model in TORCHVISION_MODELS:
        folder = data_root / spec.dataset
        if not is_image_folder(folder):
            missing = f"{folder}/train and {folder}/val are missing"
            raise DatasetError(f"{spec.model} trains on an ImageFolder tree: {missing}")
        cuda = device.type == "cuda"
        return ImageFolderSource(folder, spec.seed, spec.batch_size, spec.test_limit, pin_memory=cuda)
    data = load_dataset(data_root, spec.dataset)
    return CifarSource(data, spec.seed, spec.batch_size, spec.train_limit, spec.test_limit)


def prepare(config: dict, args: argparse.Namespace) -> Tuple[ComparisonSpec, Comparison]:
    """Validates the config and loads its data; raises ConfigError / DatasetError before anything is written."""
    spec = from_v1_config(config)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    return spec, Comparison(spec, load_source(Path(args.data_root), spec, device), device)


def execute(comparison: Comparison, writer: RunWriter, args: argparse.Namespace) -> int:
    try:
        code = drive(comparison, writer, args.checkpoint_every)
    finally:
        writer.close()
    done = "done" if code == 0 else "stopped on request, state saved"
    print(f"{writer.dir.name}: {comparison.steps} steps {done}; telemetry in {writer.dir}", flush=True)
    return code


def train(args: argparse.Namespace) -> int:
    try:
        config = json.loads(Path(args.config).read_text(encoding="utf-8"))
        spec, comparison = prepare(config, args)
        run_id = args.id or datetime.now(timezone.utc).strftime(f"%Y%m%d-%H%M%S-{spec.model}-s{spec.seed}")
        header = run_header(run_id, config, comparison.summary, backend_info(comparison.device))
        writer = RunWriter(Path(args.runs_dir) / run_id, header)
        lock = lock_run(writer.dir)
    except (OSError, json.JSONDecodeError, ConfigError, DatasetError, RunBusy) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    with lock:
        return execute(comparison, writer, args)


def resume(args: argparse.Namespace) -> int:
    """Goes on with RUNS/<id> from its last checkpoint (from the start when it has none)."""
    run_dir = Path(args.runs_dir) / args.id
    try:
        lock = lock_run(run_dir)
        header = json.loads((run_dir / RUN_FILE).read_text(encoding="utf-8"))
        _, comparison = prepare(header["config"], args)
        reports = resume_state(comparison, run_dir)
        writer = RunWriter.reopen(run_dir, reports)
    except (OSError, ValueError, KeyError, DatasetError, RunBusy) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    with lock:
        return execute(comparison, writer, args)


def add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--runs-dir", required=True, help="runs are written to RUNS_DIR/<id>/")
    p.add_argument(
        "--data-root", default=str(REPO_DATA), help="folder with the app's datasets.json (default: %(default)s)"
    )
    p.add_argument("--device", help="torch device, e.g. cpu or cuda:1 (default: cuda if available)")
    p.add_argument(
        "--checkpoint-every", type=int, default=100, help="comparison steps between checkpoints (default: %(default)s)"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m supermask_worker", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    t = commands.add_parser("train", help="run a comparison config to its end, writing its telemetry")
    t.add_argument("config", help="a ComparisonConfig as JSON (the studio's format, src/protocol/config.ts)")
    t.add_argument("--id", help="the run's id (default: time, model and seed)")
    add_run_options(t)
    t.set_defaults(func=train)
    r = commands.add_parser("resume", help="go on with a run from its last checkpoint")
    r.add_argument("id", help="the run's id (its folder in RUNS_DIR)")
    add_run_options(r)
    r.set_defaults(func=resume)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
