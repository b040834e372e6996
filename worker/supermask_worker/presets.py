"""Training recipes chosen on the command line (`--preset NAME`), for settings a studio config does not hold.

imagenet-ep is EP's ImageNet recipe (allenai/hidden-networks' configs, Wide ResNet-50-2): batch 256, SGD momentum
0.875, lr 0.256 cosine after 5 warm-up epochs, weight decay 1/32768, label smoothing 0.1. The first four are config
fields, so they are written into the config (the run file shows what ran); warm-up and label smoothing are not, so
they go to the spec, and the run folder records the preset's name (PRESET_FILE) for `resume` to apply it again.
The epochs stay the config's (the recipe's 100 is a budget the user picks).
"""

import dataclasses
import json
from pathlib import Path
from typing import Any, Dict, Optional

from .config import ComparisonSpec

PRESET_FILE = "preset.json"

PRESETS: Dict[str, Dict[str, Any]] = {
    "imagenet-ep": {
        "config": {"batchSize": 256, "learningRate": 0.256, "momentum": 0.875, "weightDecay": 1 / 32768},
        "warmup_epochs": 5.0,
        "label_smoothing": 0.1,
    },
}


def preset_config(config: Any, name: Optional[str]) -> Any:
    """The config with the preset's config fields (a v1 or v2 config; anything else is left to validation)."""
    if name is None or not isinstance(config, dict):
        return config
    return {**config, **PRESETS[name]["config"]}


def preset_spec(spec: ComparisonSpec, name: Optional[str]) -> ComparisonSpec:
    """The spec with what the preset sets beyond the config."""
    if name is None:
        return spec
    p = PRESETS[name]
    return dataclasses.replace(spec, warmup_epochs=p["warmup_epochs"], label_smoothing=p["label_smoothing"])


def record_preset(run_dir: Path, name: Optional[str]) -> None:
    if name is not None:
        (Path(run_dir) / PRESET_FILE).write_text(json.dumps({"preset": name}) + "\n", encoding="utf-8")


def recorded_preset(run_dir: Path, asked: Optional[str]) -> Optional[str]:
    """The preset a run was started with; asking `resume` for another one is an error (ValueError)."""
    path = Path(run_dir) / PRESET_FILE
    recorded = json.loads(path.read_text(encoding="utf-8"))["preset"] if path.exists() else None
    if asked is not None and asked != recorded:
        raise ValueError(f"{Path(run_dir).name} was started with preset {recorded!r}, not {asked!r}")
    return recorded
