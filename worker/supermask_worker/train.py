"""`train` and `resume`: a comparison run in this process to its end (or until SIGTERM), writing RUNS/<id>/run.json,
telemetry.jsonl and checkpoints; what `serve` runs for the studio, and what torchrun runs on many GPUs."""

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
from .process import RunBusy, lock_run
from .runner import drive, resume_state
from .telemetry import RUN_FILE, RunWriter, run_header


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
        lock = lock_run(writer.dir, args.lock_wait)
    except (OSError, json.JSONDecodeError, ConfigError, DatasetError, RunBusy) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    with lock:
        return execute(comparison, writer, args)


def resume(args: argparse.Namespace) -> int:
    """Goes on with RUNS/<id> from its last checkpoint (from the start when it has none)."""
    run_dir = Path(args.runs_dir) / args.id
    try:
        lock = lock_run(run_dir, args.lock_wait)
        header = json.loads((run_dir / RUN_FILE).read_text(encoding="utf-8"))
        _, comparison = prepare(header["config"], args)
        reports = resume_state(comparison, run_dir)
        writer = RunWriter.reopen(run_dir, reports)
    except (OSError, ValueError, KeyError, DatasetError, RunBusy) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    with lock:
        return execute(comparison, writer, args)
