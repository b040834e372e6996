"""Checkpoints: a comparison's whole state (scores, momentum, allowed masks, BatchNorm statistics, usage counters,
steps, RNG states) and how many reports its telemetry held then, written atomically (files.write_atomic), so a
crash at any instant leaves the previous checkpoint or the new one, never a torn file.
"""

from pathlib import Path
from typing import Any, Dict, Optional

import torch

from .comparison import Comparison
from .files import write_atomic

CHECKPOINT_FILE = "checkpoint.pt"
FORMAT = "supermask-worker/checkpoint"
VERSION = 1


def save_checkpoint(run_dir: Path, comparison: Comparison, reports: int, done: bool) -> None:
    """`reports`: lines in telemetry.jsonl at this point; a resumed run re-creates those after it identically."""
    state: Dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "reports": reports,
        "done": done,
        # Nothing in the step draws from these today (scores are re-drawn from the seed); kept so that a step that
        # does (dropout, a sampler) resumes identically too.
        "rng": {"torch": torch.get_rng_state(), "cuda": torch.cuda.get_rng_state_all()},
        "comparison": comparison.state(),
    }
    write_atomic(Path(run_dir) / CHECKPOINT_FILE, lambda f: torch.save(state, f))


def load_checkpoint(run_dir: Path) -> Optional[Dict[str, Any]]:
    path = Path(run_dir) / CHECKPOINT_FILE
    if not path.exists():
        return None
    try:
        state = torch.load(path, map_location="cpu")
    except Exception as e:  # torch.load raises whatever its unpickler meets in a damaged file
        raise ValueError(f"{path} is damaged: {type(e).__name__}: {e}") from e
    if not isinstance(state, dict) or state.get("format") != FORMAT or state.get("version") != VERSION:
        raise ValueError(f"{path} is not a version {VERSION} worker checkpoint")
    return state


def restore_checkpoint(comparison: Comparison, state: Dict[str, Any]) -> None:
    comparison.restore(state["comparison"])
    torch.set_rng_state(state["rng"]["torch"])
    if torch.cuda.is_available() and state["rng"]["cuda"]:
        torch.cuda.set_rng_state_all(state["rng"]["cuda"])
