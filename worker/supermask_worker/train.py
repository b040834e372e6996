"""`train` and `resume`: a comparison run in this process to its end (or until SIGTERM), writing RUNS/<id>/run.json,
telemetry.jsonl and checkpoints; what `serve` runs for the studio, and what torchrun runs on many GPUs."""

import argparse
import contextlib
import hashlib
import sys
from pathlib import Path
from typing import ContextManager, Optional, Tuple, Union

import torch

from . import strictjson
from .batches import CifarSource
from .cifar import DatasetError, load_dataset
from .comparison import Comparison
from .config import ComparisonSpec, from_config, validate_config
from .files import said
from .distributed import Ranks, ranks_from_env
from .datakind import data_problem
from .imagenet import ImageFolderSource
from .models import TORCHVISION_MODELS
from .presets import preset_config, preset_spec, record_preset, recorded_preset
from .process import RunBusy, lock_run, new_run_id
from .runner import Discard, drive, resume_state
from .share import WHOLE, Share
from .telemetry import RUN_FILE, RunWriter, new_run_dir, run_header


def backend_info(device: torch.device) -> dict:
    if device.type == "cuda":
        return {"name": "cuda", "reason": "CUDA device found", "adapter": torch.cuda.get_device_name(device)}
    return {"name": "torch-cpu", "reason": "no CUDA device" if not torch.cuda.is_available() else "CPU requested"}


def load_source(data_root: Path, spec: ComparisonSpec, device: torch.device, share: Share = WHOLE):
    """The torchvision nets train on DATA_ROOT/<dataset>/{train,val} (an ImageFolder tree), the CIFAR nets on a
    CIFAR-10 dataset of DATA_ROOT/datasets.json; this process's share of them. A net on the other kind of data is
    refused, saying which nets fit."""
    problem = data_problem(data_root, spec.model, spec.dataset)
    if problem:
        raise DatasetError(problem)
    if spec.model in TORCHVISION_MODELS:
        cuda = device.type == "cuda"
        return ImageFolderSource(
            data_root / spec.dataset,
            spec.seed,
            spec.batch_size,
            spec.test_limit,
            pin_memory=cuda,
            train_limit=spec.train_limit,
            share=share,
        )
    data = load_dataset(data_root, spec.dataset)
    return CifarSource(data, spec.seed, spec.batch_size, spec.train_limit, spec.test_limit, share)


def prepare(
    config: dict, args: argparse.Namespace, ranks: Optional[Ranks], preset: Optional[str]
) -> Tuple[ComparisonSpec, Comparison]:
    """Validates the config and loads its data; raises ConfigError / DatasetError before anything is written."""
    spec = preset_spec(from_config(config), preset)
    default = ranks.device if ranks else torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(args.device) if args.device else default
    source = load_source(Path(args.data_root), spec, device, ranks.share if ranks else WHOLE)
    return spec, Comparison(spec, source, device, ranks)


def masks_digest(comparison: Comparison) -> str:
    """SHA-256 of every run's current masks (a dense run's weights): under torchrun, the ranks print it to show they
    agree."""
    h = hashlib.sha256()
    for run in comparison.runs:
        for t in run.fingerprint():
            h.update(t.cpu().numpy().tobytes())
    return h.hexdigest()


def execute(comparison: Comparison, writer: Union[RunWriter, Discard], lock: ContextManager, every: int) -> int:
    try:
        with lock:
            code = drive(comparison, writer, every)
    except (OSError, ValueError) as e:
        # The last line of stderr is what `serve` gives as the run's error: words, not a stack frame.
        print(f"error: {said(e) if isinstance(e, OSError) else e}", file=sys.stderr, flush=True)
        return 1
    finally:
        writer.close()
    done = "done" if code == 0 else "stopped on request, state saved"
    print(f"{writer.dir.name}: {comparison.steps} steps {done}; telemetry in {writer.dir}", flush=True)
    if comparison.ranks:
        r = comparison.ranks
        print(f"rank {r.rank} of {r.world}: masks sha256 {masks_digest(comparison)}", flush=True)
        r.close()
    return code


def train(args: argparse.Namespace) -> int:
    ranks = ranks_from_env()
    try:
        # The run file holds the config as v2, whatever version it came in as.
        raw = strictjson.loads(Path(args.config).read_text(encoding="utf-8"))
        config = validate_config(preset_config(raw, args.preset))
        spec, comparison = prepare(config, args, ranks, args.preset)
        run_id = args.id or new_run_id(spec.model, spec.seed)
        run_dir = Path(args.runs_dir) / (ranks.from_rank0(run_id) if ranks else run_id)
        if ranks and not ranks.writes:
            return execute(comparison, Discard(run_dir), contextlib.nullcontext(), args.checkpoint_every)
        header = run_header(run_dir.name, config, comparison.summary, backend_info(comparison.device))
        lock = lock_run(new_run_dir(run_dir), args.lock_wait)  # before run.json: `serve` tells a trained run by it
        writer = RunWriter(run_dir, header, created=True)
        record_preset(writer.dir, args.preset)
    except (OSError, ValueError, DatasetError, RunBusy) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return execute(comparison, writer, lock, args.checkpoint_every)


def resume(args: argparse.Namespace) -> int:
    """Goes on with RUNS/<id> from its last checkpoint (from the start when it has none)."""
    ranks = ranks_from_env()
    run_dir = Path(args.runs_dir) / args.id
    try:
        writes = ranks is None or ranks.writes
        lock = lock_run(run_dir, args.lock_wait) if writes else contextlib.nullcontext()
        header = strictjson.loads((run_dir / RUN_FILE).read_text(encoding="utf-8"))
        _, comparison = prepare(header["config"], args, ranks, recorded_preset(run_dir, args.preset))
        reports = resume_state(comparison, run_dir)
        writer = RunWriter.reopen(run_dir, reports) if writes else Discard(run_dir)
    except (OSError, ValueError, KeyError, DatasetError, RunBusy) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return execute(comparison, writer, lock, args.checkpoint_every)
