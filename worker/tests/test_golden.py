"""The golden vectors (test/golden/vectors.json, written from the TypeScript engine by `npm run golden`): the
worker reproduces the engine's weights and scores bit for bit, its per-step pruning rate and learning rate, its masks
exactly, after 5 steps on fixed batches its scores to 1e-4 relative and every reported count exactly, its data order
and augmentation bit for bit, and a whole comparison's reports and evaluations, all four methods (EP, hard iEP, dense,
IteRand). The dense baseline's and IteRand's seeded draws are checked against the same file in test_methods.py."""

import base64
import hashlib
import json
from functools import lru_cache

import numpy as np
import pytest
import torch
from conftest import GOLDEN, real_cifar

from supermask_worker.batches import BatchOrder, CifarSource, batch_arrays
from supermask_worker.cifar import CifarData
from supermask_worker.comparison import Comparison
from supermask_worker.config import from_config
from supermask_worker.models import build_model
from supermask_worker.schedule import cycle_at, learning_rate_at, make_plan
from supermask_worker.search import Search

CPU = torch.device("cpu")


@lru_cache(maxsize=1)
def vectors():
    if not GOLDEN.is_file():
        pytest.fail(f"{GOLDEN} is missing: run `npm run golden` to write it")
    return json.loads(GOLDEN.read_text())


def case_ids():
    return [c["name"] for c in vectors()["cases"]]


def bits(mask: torch.Tensor) -> str:
    packed = np.packbits(mask.reshape(-1).numpy().astype(np.uint8), bitorder="little")
    return base64.b64encode(packed.tobytes()).decode()


def floats(s: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(s), dtype="<f4")


def sha256(t: torch.Tensor) -> str:
    return hashlib.sha256(t.detach().numpy().astype("<f4").tobytes()).hexdigest()


@pytest.fixture(scope="module", params=range(2), ids=lambda i: case_ids()[i])
def golden_case(request):
    """One case, its spec and its searches after the golden steps (shared by this case's checks)."""
    case = vectors()["cases"][request.param]
    spec = from_config(case["config"])
    test = real_cifar("test_batch.bin")
    searches = [
        Search(spec, run, build_model(spec.model, spec.width, spec.seed), make_plan(spec, run, case["trainCount"]), CPU)
        for run in spec.runs
    ]
    first = [[bits(m) for m in s.masks_at(s.plan.cycles[0].p)] for s in searches]
    reports = [[] for _ in searches]
    b = spec.batch_size
    for t in range(5):
        x, y = batch_arrays(test, np.arange(t * b, (t + 1) * b), None)
        for s, out in zip(searches, reports):
            s.step((torch.from_numpy(x), torch.from_numpy(y)))
            out.append(s.report())
    return case, searches, first, reports


def test_weights_and_scores_are_bit_identical(golden_case):
    case, _, _, _ = golden_case
    config = case["config"]
    fresh = build_model(config["model"], config["width"], config["seed"])
    assert [l.layer_name for l in fresh.masked] == [l["name"] for l in case["layers"]]
    for layer, expected in zip(fresh.masked, case["layers"]):
        assert list(layer.shape) == expected["shape"]
        assert sha256(layer.weight) == expected["weightsSha256"], layer.layer_name
        assert sha256(layer.scores) == expected["scoresSha256"], layer.layer_name


def test_per_step_pruning_rate_and_learning_rate(golden_case):
    case, searches, _, _ = golden_case
    for s, run in zip(searches, case["runs"]):
        assert s.run.id == run["id"]
        assert s.plan.total_steps == run["totalSteps"]
        steps = range(run["totalSteps"])
        assert [cycle_at(s.plan, t).p for t in steps] == pytest.approx(run["pruningRate"], rel=1e-12)
        assert [learning_rate_at(s.plan, t) for t in steps] == pytest.approx(run["learningRate"], rel=1e-12)


def test_first_masks_are_identical(golden_case):
    case, _, first, _ = golden_case
    for masks, run in zip(first, case["runs"]):
        assert masks == run["firstMasks"], run["id"]


def test_reports_after_each_step(golden_case):
    case, _, _, reports = golden_case
    for got, run in zip(reports, case["runs"]):
        for t, (r, e) in enumerate(zip(got, run["steps"])):
            where = f"{run['id']} step {t + 1}"
            assert r["loss"] == pytest.approx(e["loss"], rel=1e-4), where
            assert r["trainAccuracy"] == e["trainAccuracy"], where
            for lr, le in zip(r["layers"], e["layers"]):
                assert (lr["kept"], lr["entered"], lr["left"]) == (le["kept"], le["entered"], le["left"]), where
                assert lr["dyingRatio"] == pytest.approx(le["dyingRatio"], abs=1e-6), where
                assert lr["dyingRatioAtTarget"] == pytest.approx(le["dyingRatioAtTarget"], abs=1e-6), where
        # Heatmaps are rounded to 4 decimals on both sides: a float difference may flip the last digit.
        for lr, he in zip(got[-1]["layers"], run["heatmaps"]):
            assert (lr["heatmap"]["rows"], lr["heatmap"]["cols"]) == (he["rows"], he["cols"])
            np.testing.assert_allclose(lr["heatmap"]["usage"], he["usage"], atol=1.01e-4, rtol=0)
            np.testing.assert_allclose(lr["heatmap"]["dead"], he["dead"], atol=1.01e-4, rtol=0)


def test_scores_agree_and_masks_are_identical_after_five_steps(golden_case):
    case, searches, _, _ = golden_case
    for s, run in zip(searches, case["runs"]):
        for layer, expected in zip(s.layers, run["scores"]):
            e = floats(expected).reshape(layer.shape)
            got = layer.scores.detach().numpy()
            # Relative to the layer's scale (its largest |S|): a score near zero differs by float rounding alone.
            assert np.abs(got - e).max() <= 1e-4 * np.abs(e).max(), layer.layer_name
        assert [bits(m) for m in s.masks_at(s.cycle.p)] == run["masks"], run["id"]


def test_data_order_and_augmentation():
    order = vectors()["dataOrder"]
    train = real_cifar("data_batch_1.bin").limit(order["trainCount"])
    batches = BatchOrder(train, order["seed"], order["batchSize"])
    assert [batches.indices(t).tolist() for t in range(len(order["indices"]))] == order["indices"]
    for t, expected in enumerate(order["batchSha256"]):
        x, _ = batches.batch(t)
        assert sha256(x) == expected, f"augmented batch of step {t}"


def test_a_whole_comparison_reports_as_the_engine_does():
    """Augmented batches in the seeded order; EP, hard iEP over 4 cycles, dense and IteRand (re-draws every 3 steps);
    reports every 3 steps, evaluations at epochs, cycle ends and the end: the same reports, in the same places, with
    the same counts."""
    assert [r["method"] for r in vectors()["comparison"]["config"]["runs"]] == ["ep", "iep", "dense", "iterand"]
    expected = vectors()["comparison"]
    spec = from_config(expected["config"])
    data = CifarData(real_cifar("data_batch_1.bin"), real_cifar("test_batch.bin"))
    comparison = Comparison(spec, CifarSource(data, spec.seed, spec.batch_size, spec.train_limit, spec.test_limit), CPU)
    out = []
    comparison.run_to_end(out.append)
    reports = [r for r in out if r["kind"] == "step"]
    evals = [r for r in out if r["kind"] == "eval"]
    assert [(r["run"], r["step"]) for r in reports] == [(r["run"], r["step"]) for r in expected["reports"]]
    for r, e in zip(reports, expected["reports"]):
        where = f"{r['run']} step {r['step']}"
        for key in ("totalSteps", "cycle", "cycles", "trainAccuracy"):
            assert r[key] == e[key], f"{where}: {key}"
        for key in ("epoch", "pruningRate", "learningRate"):
            assert r[key] == pytest.approx(e[key], rel=1e-12), f"{where}: {key}"
        assert r["loss"] == pytest.approx(e["loss"], rel=1e-4), where
        for lr, le in zip(r["layers"], e["layers"]):
            assert (lr["kept"], lr["entered"], lr["left"]) == (le["kept"], le["entered"], le["left"]), where
            assert lr["dyingRatio"] == pytest.approx(le["dyingRatio"], abs=1e-6), where
            assert lr["dyingRatioAtTarget"] == pytest.approx(le["dyingRatioAtTarget"], abs=1e-6), where
    assert [(r["run"], r["step"], r["reason"]) for r in evals] == [
        (r["run"], r["step"], r["reason"]) for r in expected["evals"]
    ]
    for r, e in zip(evals, expected["evals"]):
        assert r["testAccuracy"] == e["testAccuracy"]
        assert r["testLoss"] == pytest.approx(e["testLoss"], rel=1e-4)
