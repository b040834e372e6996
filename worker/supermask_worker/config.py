"""What the worker runs: a comparison is a list of runs (one method each: EP, or iEP with its settings) that share
network, seed, data order and budget. That is protocol v2's shape; today's v1 ComparisonConfig (src/protocol/config.ts:
always EP against one iEP) comes in through one adapter, from_v1_config.

Every config is checked before anything runs: first against the ComparisonConfig definition of the one telemetry
schema, then the rules the schema cannot say (a custom schedule's points), each error naming its field.
"""

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import jsonschema

from .schema import schema_validator

MODELS_CIFAR = ("conv2", "conv4", "conv6", "resnet20", "resnet32", "resnet18")


class ConfigError(ValueError):
    """A config that cannot run; `field` is the dotted path of the value at fault (e.g. 'iep.points[2].step')."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class IepSettings:
    cycles: int
    schedule: str  # geometric | linear | one-shot | custom
    points: Optional[Tuple[Tuple[int, float], ...]]  # (step, p), only for 'custom'
    variant: str  # soft | hard
    scores: str  # carry | rewind | reinit
    lr_rewind: bool


@dataclass(frozen=True)
class RunSpec:
    """One search: `method` 'ep' (one cycle at the target rate) or 'iep' (with `iep`'s settings)."""

    id: str
    method: str
    iep: Optional[IepSettings] = None


@dataclass(frozen=True)
class ComparisonSpec:
    """Everything the runs of a comparison share, and the runs."""

    dataset: str
    model: str
    width: float
    seed: int
    target_pruning_rate: float
    epochs: float
    batch_size: int
    learning_rate: float
    momentum: float
    weight_decay: float
    budget: str  # equal-compute | full-cycles
    report_every: int
    train_limit: Optional[int]
    test_limit: Optional[int]
    runs: Tuple[RunSpec, ...]


def default_weight_decay(model: str) -> float:
    """EP's CIFAR recipes: 5e-4 for ResNets, 1e-4 for Conv-n."""
    return 5e-4 if model.startswith("resnet") else 1e-4


def _field_path(error: jsonschema.ValidationError) -> str:
    path = ""
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    if error.validator == "required":
        missing = error.message.split("'")[1]
        return f"{path}.{missing}" if path else missing
    if error.validator == "additionalProperties":
        extra = error.message.split("'")[1]
        return f"{path}.{extra}" if path else extra
    return path or "config"


def _check_points(points: List[Dict[str, Any]], cycles: int, target: float) -> None:
    """validatePoints of src/protocol/validate.ts: each point starts a cycle, steps rise from 0, p never falls, the
    last point is at the target rate, one cycle per point."""
    if points[0]["step"] != 0:
        raise ConfigError("iep.points[0].step", "the first cycle must start at step 0")
    for i in range(1, len(points)):
        if points[i]["step"] <= points[i - 1]["step"]:
            previous = points[i - 1]["step"]
            raise ConfigError(f"iep.points[{i}].step", f"must be after the previous point's step {previous}")
        if points[i]["p"] < points[i - 1]["p"]:
            raise ConfigError(f"iep.points[{i}].p", f"must not fall below the previous point's p {points[i - 1]['p']}")
    last = len(points) - 1
    if abs(points[last]["p"] - target) > 1e-9:
        raise ConfigError(
            f"iep.points[{last}].p",
            f"the last point must be at the target pruning rate {target} (got {points[last]['p']})",
        )
    if len(points) != cycles:
        raise ConfigError("iep.cycles", f"must equal the number of schedule points ({len(points)})")


def validate_v1_config(config: Any) -> Dict[str, Any]:
    """Checks a v1 ComparisonConfig; raises ConfigError naming the first bad field."""
    if not isinstance(config, dict):
        raise ConfigError("config", "must be an object")
    if config.get("version") != 1:
        raise ConfigError("version", f"must be 1 (got {config.get('version')!r})")
    errors = sorted(schema_validator("ComparisonConfig").iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        raise ConfigError(_field_path(errors[0]), errors[0].message)
    iep = config["iep"]
    if iep["schedule"] == "custom":
        if "points" not in iep:
            raise ConfigError("iep.points", "a custom schedule needs at least one (step, p) point")
        _check_points(iep["points"], iep["cycles"], config["targetPruningRate"])
    return config


def from_v1_config(config: Any) -> ComparisonSpec:
    """The adapter: a v1 ComparisonConfig is two runs, 'ep' and 'iep', over one network, seed, data and budget."""
    c = validate_v1_config(config)
    iep = c["iep"]
    points = tuple((p["step"], p["p"]) for p in iep["points"]) if iep["schedule"] == "custom" else None
    settings = IepSettings(
        cycles=len(points) if points else iep["cycles"],
        schedule=iep["schedule"],
        points=points,
        variant=iep["variant"],
        scores=iep["scores"],
        lr_rewind=iep["lrRewind"],
    )
    wd = c["weightDecay"]
    return ComparisonSpec(
        dataset=c["dataset"],
        model=c["model"],
        width=c["width"],
        seed=c["seed"],
        target_pruning_rate=c["targetPruningRate"],
        epochs=c["epochs"],
        batch_size=c["batchSize"],
        learning_rate=c["learningRate"],
        momentum=c["momentum"],
        weight_decay=default_weight_decay(c["model"]) if wd is None else wd,
        budget=c["budget"],
        report_every=c["reportEvery"],
        train_limit=c["trainLimit"],
        test_limit=c["testLimit"],
        runs=(RunSpec("ep", "ep"), RunSpec("iep", "iep", settings)),
    )
