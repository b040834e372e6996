"""What the worker runs: a comparison (protocol v2) is a list of 1-6 runs, each with an id and a method (EP, iEP with
its settings, the dense baseline, IteRand), sharing network, seed, data order, target rate and budget rule.

Every config is checked before anything runs: a v1 config (always EP against one iEP) is checked as v1 and upgraded
to v2 (upgrade_config, as src/protocol/convert.ts); then the ComparisonConfig definition of the one telemetry schema;
then the rules the schema cannot say (unique run ids, a custom schedule's points, a torchvision net's width 1). Each
error names its field.
"""

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

import jsonschema

from . import strictjson
from .schema import schema_validator

MODELS_CIFAR = ("conv2", "conv4", "conv6", "resnet20", "resnet32", "resnet18")
# torchvision's ImageNet nets by the config's name (src/protocol/config.ts's WORKER_ONLY_MODELS) and torchvision's.
TORCHVISION_MODELS = {
    "torchvision/resnet18": "resnet18",
    "torchvision/resnet50": "resnet50",
    "torchvision/resnet101": "resnet101",
    "torchvision/wide_resnet50_2": "wide_resnet50_2",
}
CONFIG_VERSION = 2  # configs and run files; the wire's messages have protocol.WIRE_VERSION
METHODS = ("ep", "iep", "dense", "iterand")


class ConfigError(ValueError):
    """A config that cannot run; `field` is the path of the value at fault (e.g. 'runs[1].iep.points[2].step')."""

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
    at: str = "iep"  # where the settings sit in the config, for errors found later (e.g. 'runs[1].iep')


@dataclass(frozen=True)
class DenseSettings:
    learning_rate: Optional[float]  # None: the comparison's


@dataclass(frozen=True)
class IteRandSettings:
    k_per: int  # steps between re-draws
    lam: float  # fraction of each layer's pruned weights re-drawn


@dataclass(frozen=True)
class RunSpec:
    """One run: `method` with its own settings (only iep, dense and iterand have any)."""

    id: str
    method: str
    iep: Optional[IepSettings] = None
    label: str = ""
    dense: Optional[DenseSettings] = None
    iterand: Optional[IteRandSettings] = None


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
    # Beyond what a config can say (a preset's, presets.py): linear learning-rate warm-up at the start of every run,
    # and label smoothing of the training loss.
    warmup_epochs: float = 0.0
    label_smoothing: float = 0.0


def is_worker_only(model: str) -> bool:
    """torchvision's ImageNet nets: the worker builds them, the browser's engine never."""
    return model in TORCHVISION_MODELS


def default_weight_decay(model: str) -> float:
    """EP's recipes: 5e-4 for the CIFAR ResNets, 1e-4 for Conv-n, 1/32768 for the ImageNet nets (as the engine's
    defaultWeightDecay)."""
    if is_worker_only(model):
        return 1 / 32768
    return 5e-4 if model.startswith("resnet") else 1e-4


def upgrade_config(config: Any) -> Any:
    """A v1 config as v2: its iEP settings move into the run 'iep', beside the run 'ep' (the ids v1 reports carry).
    Anything else is returned as it is, for validation to judge; the input is never changed."""
    if not isinstance(config, dict) or config.get("version") != 1:
        return config
    shared = {k: v for k, v in config.items() if k != "iep"}
    runs = [{"id": "ep", "label": "EP", "method": "ep"}, {"id": "iep", "label": "iEP", "method": "iep"}]
    if "iep" in config:
        runs[1]["iep"] = config["iep"]
    return {**shared, "version": CONFIG_VERSION, "runs": runs}


def upgrade_record(record: Any) -> Any:
    """A v1 run file (header or whole record) as v2: its config upgraded, its reports as they are."""
    if not isinstance(record, dict) or record.get("version") != 1:
        return record
    return {**record, "version": CONFIG_VERSION, "config": upgrade_config(record.get("config"))}


def _path(parts) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _field_path(error: jsonschema.ValidationError) -> str:
    path = _path(error.absolute_path)
    if error.validator in ("required", "additionalProperties"):
        name = error.message.split("'")[1]
        return f"{path}.{name}" if path else name
    return path or "config"


def _branch_error(error: jsonschema.ValidationError, instance: Any) -> jsonschema.ValidationError:
    """A run matching none of RunConfig's branches: the error of the branch its method names (so a bad iEP setting
    is reported as that setting, not as 'not valid under any of the given schemas')."""
    if error.validator != "oneOf" or not isinstance(instance, dict):
        return error
    methods = [b.get("properties", {}).get("method", {}).get("const") for b in error.validator_value]
    chosen = methods.index(instance.get("method")) if instance.get("method") in methods else None
    if chosen is None:
        return error
    inner = [e for e in error.context if e.schema_path and e.schema_path[0] == chosen]
    return min(inner, key=lambda e: list(e.schema_path)) if inner else error


def _schema_check(definition: str, config: Dict[str, Any]) -> None:
    errors = sorted(schema_validator(definition).iter_errors(config), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        error = errors[0]
        if error.validator == "oneOf":
            instance = config
            for part in error.absolute_path:
                instance = instance[part]
            error = _branch_error(error, instance)
        raise ConfigError(_field_path(error), error.message)


def _check_points(points: List[Dict[str, Any]], cycles: int, target: float, at: str) -> None:
    """validatePoints of src/protocol/validate.ts: each point starts a cycle, steps rise from 0, p never falls, the
    last point is at the target rate, one cycle per point. `at` is where the iEP settings sit."""
    if points[0]["step"] != 0:
        raise ConfigError(f"{at}.points[0].step", "the first cycle must start at step 0")
    for i in range(1, len(points)):
        if points[i]["step"] <= points[i - 1]["step"]:
            previous = points[i - 1]["step"]
            raise ConfigError(f"{at}.points[{i}].step", f"must be after the previous point's step {previous}")
        if points[i]["p"] < points[i - 1]["p"]:
            raise ConfigError(f"{at}.points[{i}].p", f"must not fall below the previous point's p {points[i - 1]['p']}")
    last = len(points) - 1
    if abs(points[last]["p"] - target) > 1e-9:
        raise ConfigError(
            f"{at}.points[{last}].p",
            f"the last point must be at the target pruning rate {target} (got {points[last]['p']})",
        )
    if len(points) != cycles:
        raise ConfigError(f"{at}.cycles", f"must equal the number of schedule points ({len(points)})")


def _check_runs(config: Dict[str, Any], settings_at: Callable[[int, str], str]) -> None:
    """The rules beyond the schema; settings_at(i, key) names where run i's settings `key` sit."""
    seen: Dict[str, int] = {}
    for i, run in enumerate(config["runs"]):
        if run["id"] in seen:
            raise ConfigError(f"runs[{i}].id", f"{run['id']!r} is already the id of runs[{seen[run['id']]}]")
        seen[run["id"]] = i
        if not run["label"].strip():
            raise ConfigError(f"runs[{i}].label", "must be 1 to 40 characters, not only spaces")
        iep = run.get("iep")
        if run["method"] == "iep" and iep["schedule"] == "custom":
            at = settings_at(i, "iep")
            if "points" not in iep:
                raise ConfigError(f"{at}.points", "a custom schedule needs at least one (step, p) point")
            _check_points(iep["points"], iep["cycles"], config["targetPruningRate"], at)


def _v2_path(i: int, key: str) -> str:
    return f"runs[{i}].{key}"


def _v1_path(_: int, key: str) -> str:
    return key


def validate_config(config: Any) -> Dict[str, Any]:
    """A v1 or v2 ComparisonConfig checked and returned as v2; raises ConfigError naming the first bad field (a v1
    config's fields are named as v1 names them, e.g. 'iep.cycles')."""
    if not isinstance(config, dict):
        raise ConfigError("config", "must be an object")
    problem = strictjson.first_problem(config)
    if problem:
        raise ConfigError(*problem)
    version = config.get("version")
    if version not in (1, CONFIG_VERSION):
        raise ConfigError("version", f"must be 1 or {CONFIG_VERSION} (got {version!r})")
    if version == 1:
        _schema_check("ComparisonConfigV1", config)
    upgraded = upgrade_config(config)
    _schema_check("ComparisonConfig", upgraded)
    if is_worker_only(upgraded["model"]) and upgraded["width"] != 1:
        # torchvision's nets have torchvision's widths: a multiplier they would ignore is refused, not dropped.
        model, width = upgraded["model"], upgraded["width"]
        raise ConfigError("width", f"must be 1 for {model}: it has torchvision's widths (got {width})")
    _check_runs(upgraded, _v1_path if version == 1 else _v2_path)
    return upgraded


def _run_spec(run: Dict[str, Any], iep_at: str) -> RunSpec:
    method = run["method"]
    base = {"id": run["id"], "method": method, "label": run["label"]}
    if method == "iep":
        iep = run["iep"]
        points = tuple((p["step"], p["p"]) for p in iep["points"]) if iep["schedule"] == "custom" else None
        settings = IepSettings(
            cycles=len(points) if points else iep["cycles"],
            schedule=iep["schedule"],
            points=points,
            variant=iep["variant"],
            scores=iep["scores"],
            lr_rewind=iep["lrRewind"],
            at=iep_at,
        )
        return RunSpec(**base, iep=settings)
    if method == "dense":
        return RunSpec(**base, dense=DenseSettings(run["dense"]["learningRate"]))
    if method == "iterand":
        return RunSpec(**base, iterand=IteRandSettings(run["iterand"]["kPer"], run["iterand"]["lambda"]))
    return RunSpec(**base)


def from_config(config: Any) -> ComparisonSpec:
    """A v1 or v2 ComparisonConfig, validated, as the runs the worker trains."""
    paths = _v1_path if isinstance(config, dict) and config.get("version") == 1 else _v2_path
    c = validate_config(config)
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
        runs=tuple(_run_spec(r, paths(i, "iep")) for i, r in enumerate(c["runs"])),
    )

