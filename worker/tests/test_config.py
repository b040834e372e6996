"""Protocol v2 configs: the four methods become RunSpecs; the schema's errors and the rules beyond it (unique ids,
each iEP run's custom schedule) name the field under `runs[i]`; a v1 config is upgraded as src/protocol/convert.ts
does and its own errors keep their v1 names."""

import copy
import dataclasses

import pytest

from supermask_worker.schema import load_schema
from supermask_worker.config import (
    MODELS_CIFAR,
    TORCHVISION_MODELS,
    is_worker_only,
    ConfigError,
    DenseSettings,
    IteRandSettings,
    from_config,
    upgrade_config,
    upgrade_record,
    validate_config,
)
from conftest import IEP, tiny_config, tiny_v1_config

FOUR = [
    {"id": "ep", "label": "EP", "method": "ep"},
    {"id": "iep", "label": "iEP", "method": "iep", "iep": IEP},
    {"id": "dense", "label": "dense", "method": "dense", "dense": {"learningRate": 0.01}},
    {"id": "iterand", "label": "IteRand", "method": "iterand", "iterand": {"kPer": 3, "lambda": 0.1}},
]
CUSTOM = {"cycles": 2, "schedule": "custom", "variant": "soft", "scores": "carry", "lrRewind": True}


def four(**overrides):
    return tiny_config(runs=copy.deepcopy(FOUR), **overrides)


def field_of(config) -> str:
    with pytest.raises(ConfigError) as e:
        from_config(config)
    return e.value.field


def test_all_four_methods_become_run_specs_with_their_settings():
    spec = from_config(four())
    assert [(r.id, r.method, r.label) for r in spec.runs] == [
        ("ep", "ep", "EP"),
        ("iep", "iep", "iEP"),
        ("dense", "dense", "dense"),
        ("iterand", "iterand", "IteRand"),
    ]
    assert spec.runs[1].iep is not None and spec.runs[1].iep.cycles == 4 and spec.runs[1].iep.at == "runs[1].iep"
    assert spec.runs[2].dense == DenseSettings(0.01)
    assert spec.runs[3].iterand == IteRandSettings(3, 0.1)
    assert spec.runs[0].iep is spec.runs[0].dense is spec.runs[0].iterand is None


def test_a_v1_config_is_upgraded_to_the_runs_ep_and_iep():
    v1 = tiny_v1_config(iep={"cycles": 3})
    before = copy.deepcopy(v1)
    upgraded = upgrade_config(v1)
    assert v1 == before  # the input is left alone
    assert upgraded["version"] == 2 and "iep" not in upgraded
    assert upgraded["runs"] == [
        {"id": "ep", "label": "EP", "method": "ep"},
        {"id": "iep", "label": "iEP", "method": "iep", "iep": {**IEP, "cycles": 3}},
    ]
    assert validate_config(v1) == upgraded
    v1_spec, v2_spec = from_config(v1), from_config(tiny_config(iep={"cycles": 3}))
    assert v1_spec.runs[1].iep.at == "iep" and v2_spec.runs[1].iep.at == "runs[1].iep"
    v1_iep = dataclasses.replace(v1_spec.runs[1], iep=dataclasses.replace(v1_spec.runs[1].iep, at="runs[1].iep"))
    assert dataclasses.replace(v1_spec, runs=(v1_spec.runs[0], v1_iep)) == v2_spec
    record = {"format": "supermask-studio/run", "version": 1, "config": v1}
    assert upgrade_record(record) == {**record, "version": 2, "config": upgraded}


def test_a_v1_config_names_its_fields_as_v1_does():
    assert field_of(tiny_v1_config(iep={"cycles": 0})) == "iep.cycles"
    points = [{"step": 0, "p": 0.5}, {"step": 3, "p": 0.4}]
    assert field_of(tiny_v1_config(iep={**CUSTOM, "points": points})) == "iep.points[1].p"
    assert field_of({**tiny_v1_config(), "runs": []}) == "runs"  # v1 has no runs


@pytest.mark.parametrize(
    "change, field",
    [
        (lambda c: c.update(version=3), "version"),
        (lambda c: c.update(runs=[]), "runs"),
        (lambda c: c.update(runs=c["runs"] * 2 + c["runs"][:3]), "runs"),
        (lambda c: c["runs"][3].update(id="ep"), "runs[3].id"),
        (lambda c: c["runs"][2].update(id="Dense!"), "runs[2].id"),
        (lambda c: c["runs"][2].update(label="   "), "runs[2].label"),
        (lambda c: c["runs"][2].update(method="sgd"), "runs[2]"),
        (lambda c: c["runs"][2]["dense"].update(learningRate=0), "runs[2].dense.learningRate"),
        (lambda c: c["runs"][3]["iterand"].update(kPer=0), "runs[3].iterand.kPer"),
        (lambda c: c["runs"][3]["iterand"].update(lam=0.1), "runs[3].iterand.lam"),
        (lambda c: c["runs"][3].pop("iterand"), "runs[3].iterand"),
        (lambda c: c["runs"][1]["iep"].update(cycles=0), "runs[1].iep.cycles"),
        (lambda c: c.update(width="wide"), "width"),
    ],
)
def test_a_bad_v2_config_names_its_field(change, field):
    config = four()
    change(config)
    assert field_of(config) == field


def test_custom_schedules_are_checked_per_iep_run():
    good = [{"step": 0, "p": 0.5}, {"step": 3, "p": 0.832}]
    bad = [{"step": 0, "p": 0.5}, {"step": 3, "p": 0.4}]
    runs = copy.deepcopy(FOUR)
    runs[1]["iep"] = {**CUSTOM, "points": good}
    runs.append({"id": "iep2", "label": "iEP 2", "method": "iep", "iep": {**CUSTOM, "points": bad}})
    assert field_of(tiny_config(runs=runs)) == "runs[4].iep.points[1].p"
    runs[4]["iep"]["points"] = good[:1]
    assert field_of(tiny_config(runs=runs)) == "runs[4].iep.points[0].p"  # the last point is not at the target
    del runs[4]["iep"]["points"]
    assert field_of(tiny_config(runs=runs)) == "runs[4].iep.points"
    runs[4]["iep"]["points"] = good
    spec = from_config(tiny_config(runs=runs))
    assert spec.runs[4].iep.points == ((0, 0.5), (3, 0.832)) and spec.runs[4].iep.at == "runs[4].iep"


def test_the_worker_knows_exactly_the_schemas_models():
    """The schema's model enum is the CIFAR nets, then the worker-only ImageNet nets the worker builds (the studio's
    WORKER_ONLY_MODELS, held to the same enum by test/unit/protocol/fields.test.ts)."""
    enum = load_schema()["definitions"]["ComparisonConfig"]["properties"]["model"]["enum"]
    assert enum == [*MODELS_CIFAR, *TORCHVISION_MODELS]
    assert [m for m in enum if is_worker_only(m)] == list(TORCHVISION_MODELS)
