"""`npm run fidelity`'s smoke version: the whole study (comparisons at two budgets and two seeds, and the case study
at two pruning rates) on 200 real CIFAR-10 training images and 100 test images, a few steps per run, in a real
process. Its run files must be RunRecords of the schema, its tables must follow from them, and running it again must
train nothing and change nothing recorded. The long runs live in the script, never here."""

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import jsonschema

from conftest import SHARED_CIFAR10, WORKER, real_cifar
from serving import ENV
from supermask_worker.schema import load_schema

SMOKE = ["--train-limit", "200", "--test-limit", "100", "--batch", "25", "--width", "0.125", "--reports", "4"]
SMOKE += ["--budgets", "1,2", "--seeds", "1,2", "--case-epochs", "2", "--case-k", "0.2,0.832", "--jobs", "1"]


def fidelity(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "supermask_worker.fidelity", "--cifar10", str(SHARED_CIFAR10), *args]
    return subprocess.run(command, cwd=WORKER, env=ENV, capture_output=True, text=True, timeout=600)


def test_the_study_writes_importable_run_files_and_tables_that_follow_from_them(tmp_path):
    real_cifar("test_batch.bin")  # fails with a message when the real data set is missing
    done = fidelity("--out", str(tmp_path), *SMOKE)
    assert done.returncode == 0, done.stderr
    ids = json.loads((tmp_path / "study.json").read_text())["jobs"]
    # the case study's k = 0.832 run is the seed-1, 2-epoch comparison's EP run, not trained twice
    assert sorted(ids) == ["case-k0.2-e2-s1", "compare-e1-s1", "compare-e1-s2", "compare-e2-s1", "compare-e2-s2"]
    validator = jsonschema.Draft7Validator(load_schema())
    records = {i: json.loads((tmp_path / "records" / f"{i}.json").read_text()) for i in ids}
    for record in records.values():
        validator.validate(record)
    assert {r["run"] for r in records["case-k0.2-e2-s1"]["reports"]} == {"ep"}

    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["missing"] == []
    case = {row["k"]: row for row in summary["caseStudy"]}
    assert sorted(case) == [0.2, 0.832] and case[0.832]["run"] == "compare-e2-s1"
    for k, row in case.items():
        # kept edges are selected, so at most the pruned fraction k can be dying
        assert 0 <= row["dT"] <= k + 1e-3 and abs(row["kMinusDT"] - (k - row["dT"])) < 1e-3
        assert row["steps"] == 16  # 2 epochs of 200 images in batches of 25
    for budget in summary["comparisons"]:
        ep, iep = budget["ep"], budget["iep"]
        assert budget["seeds"] == [1, 2] and ep["steps"] == iep["steps"] == 8 * budget["epochs"]  # equal compute
        accuracies = [r["testAccuracy"] for r in ep["perSeed"]]
        assert ep["testAccuracy"]["mean"] == round(sum(accuracies) / 2, 4)
        seed1 = records[budget["runs"][0]]
        final = next(e for e in seed1["evals"] if e["run"] == "iep" and e["reason"] == "final")
        assert iep["perSeed"][0]["testAccuracy"] == round(final["testAccuracy"], 4)
        # EP searches at the target rate only, so its two measures agree; iEP's early denser cycles select more
        # edges than its target-rate ranking ever does
        assert ep["dT"] == ep["dTAtTarget"]
        assert iep["dT"]["mean"] <= iep["dTAtTarget"]["mean"]
        over = iep["perSeed"][0]["overSteps"]
        assert len(over["dyingRatio"]) == len(seed1["summary"]["layers"]) == len(over["dyingRatioAtTarget"])
        assert all(len(series) == len(over["step"]) for series in over["dyingRatio"])
    for name in ("case-study.svg", "accuracy.svg", "dying-layers-e1.svg", "dying-layers-e2.svg"):
        assert ET.parse(tmp_path / name).getroot().tag.endswith("svg")
    assert "| 0.832 |" in (tmp_path / "tables.md").read_text()

    telemetry = {i: (tmp_path / "runs" / i / "telemetry.jsonl").read_bytes() for i in ids}
    again = fidelity("--out", str(tmp_path), *SMOKE)
    assert again.returncode == 0, again.stderr
    assert all((tmp_path / "runs" / i / "telemetry.jsonl").read_bytes() == t for i, t in telemetry.items())


def test_a_missing_data_set_is_refused_before_anything_is_written(tmp_path):
    done = fidelity("--cifar10", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out"))
    assert done.returncode != 0
    assert "the real CIFAR-10 is not at" in done.stderr and "--cifar10" in done.stderr
    assert not (tmp_path / "out").exists()
