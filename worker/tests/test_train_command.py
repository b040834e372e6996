"""The train command end to end in a real process, on the bundled real CIFAR-10 subset: schema-valid reports in
RUNS/<id>/telemetry.jsonl (one per line) that make a valid RunRecord; bad input is refused with a message naming the
field, and a run directory already written is never touched."""

import json
import subprocess
import sys

import jsonschema
import pytest

from supermask_worker.__main__ import main
from supermask_worker.schema import load_schema, validate
from supermask_worker.telemetry import read_record
from supermask_worker.config import upgrade_config
from conftest import WORKER, tiny_config, tiny_v1_config


def args(tmp_path, config, *extra):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return ["train", str(path), "--runs-dir", str(tmp_path / "runs"), *extra]


def train(tmp_path, config, *extra):
    """The command in a real process, as `serve` and users run it."""
    command = [sys.executable, "-m", "supermask_worker", *args(tmp_path, config, *extra)]
    return subprocess.run(command, cwd=WORKER, capture_output=True, text=True, timeout=300)


def refused(tmp_path, capsys, config, *extra):
    """The command in this process (refusals need no new process); returns its exit code and error output."""
    code = main(args(tmp_path, config, *extra))
    return code, capsys.readouterr().err


def test_a_run_streams_schema_valid_reports_that_make_a_run_record(tmp_path):
    config = tiny_config(trainLimit=64, iep={"cycles": 2, "variant": "hard"})
    done = train(tmp_path, config, "--id", "r1")
    assert done.returncode == 0, done.stderr
    lines = (tmp_path / "runs" / "r1" / "telemetry.jsonl").read_text().splitlines()
    reports = [json.loads(line) for line in lines]
    for r in reports:
        validate("StepReport" if r["kind"] == "step" else "EvalReport", r)
    steps = {run: [r["step"] for r in reports if r["kind"] == "step" and r["run"] == run] for run in ("ep", "iep")}
    assert steps == {"ep": [5, 8], "iep": [5, 8]}  # every reportEvery = 5 steps and at the last of 8
    evals = [(r["run"], r["step"], r["reason"]) for r in reports if r["kind"] == "eval"]
    assert evals == [("iep", 4, "cycle-end"), ("ep", 8, "final"), ("iep", 8, "final")]
    record = read_record(tmp_path / "runs" / "r1")
    jsonschema.Draft7Validator(load_schema()).validate(record)
    assert record["source"] == "remote" and record["backend"]["name"] in ("torch-cpu", "cuda")
    assert record["summary"]["layers"][0]["name"] == "conv1"


def test_a_v1_config_is_accepted_and_recorded_as_v2(tmp_path):
    v1 = tiny_v1_config(trainLimit=16, epochs=1, iep={"cycles": 2})
    done = train(tmp_path, v1, "--id", "old")
    assert done.returncode == 0, done.stderr
    header = json.loads((tmp_path / "runs" / "old" / "run.json").read_text())
    assert header["version"] == 2 and header["config"] == upgrade_config(v1)
    record = read_record(tmp_path / "runs" / "old")
    jsonschema.Draft7Validator(load_schema()).validate(record)
    assert {r["run"] for r in record["reports"]} == {"ep", "iep"}


def test_a_v1_run_file_is_read_as_v2(tmp_path):
    done = train(tmp_path, tiny_config(trainLimit=16, iep={"cycles": 2}), "--id", "r")
    assert done.returncode == 0, done.stderr
    run_file = tmp_path / "runs" / "r" / "run.json"
    header = json.loads(run_file.read_text())
    v1_config = {k: v for k, v in header["config"].items() if k != "runs"}
    v1_config.update(version=1, iep=header["config"]["runs"][1]["iep"])
    run_file.write_text(json.dumps({**header, "version": 1, "config": v1_config}))  # as a v1 worker wrote it
    record = read_record(tmp_path / "runs" / "r")
    assert record["version"] == 2 and record["config"] == header["config"]
    jsonschema.Draft7Validator(load_schema()).validate(record)


def test_a_report_of_the_wrong_shape_is_refused():
    with pytest.raises(jsonschema.ValidationError):
        validate("StepReport", {"kind": "step", "run": "ep", "step": -1})


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"width": "wide"}, "width"),
        ({"iep": {"cycles": 0}}, "runs[1].iep.cycles"),
        (
            {"iep": {"schedule": "custom", "cycles": 2, "points": [{"step": 0, "p": 0.3}, {"step": 3, "p": 0.5}]}},
            "runs[1].iep.points[1].p",
        ),
        ({"model": "vgg"}, "model"),
    ],
)
def test_a_bad_config_is_refused_naming_its_field(tmp_path, capsys, overrides, field):
    code, err = refused(tmp_path, capsys, tiny_config(**overrides))
    assert code == 2
    assert err.startswith(f"error: {field}: "), err
    assert not (tmp_path / "runs").exists()


def test_an_unknown_dataset_and_a_used_run_id_are_refused_and_nothing_recorded_is_lost(tmp_path, capsys):
    code, err = refused(tmp_path, capsys, tiny_config(dataset="cifar100"))
    assert code == 2 and "dataset 'cifar100' is not in" in err
    (tmp_path / "runs" / "taken").mkdir(parents=True)
    (tmp_path / "runs" / "taken" / "telemetry.jsonl").write_text("kept\n")
    code, err = refused(tmp_path, capsys, tiny_config(), "--id", "taken")
    assert code == 2 and "already exists" in err
    assert (tmp_path / "runs" / "taken" / "telemetry.jsonl").read_text() == "kept\n"
