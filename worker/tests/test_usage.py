"""Edge-usage telemetry against a brute force over the masks each step actually used: both dying measures (d_t and
d_t at the target rate), entered / left per report window, and the pooled heatmaps."""


import numpy as np
import pytest

from supermask_worker.batches import CifarSource
from supermask_worker.cifar import CifarData
from supermask_worker.comparison import Comparison
from supermask_worker.config import from_config
from supermask_worker.usage import LayerUsage
from conftest import real_cifar, tiny_config


def pooled(per_edge: np.ndarray, rows: int, cols: int) -> list:
    """Mean over kernel positions to [out, in], then means over the uneven bins floor(i n / bins)."""
    pair = per_edge.mean(axis=(2, 3)) if per_edge.ndim == 4 else per_edge
    out, inn = pair.shape
    cells = []
    for r in range(rows):
        for c in range(cols):
            block = pair[r * out // rows : (r + 1) * out // rows, c * inn // cols : (c + 1) * inn // cols]
            cells.append(block.mean())
    return cells


def run_recorded(config):
    """A comparison whose every usage update is recorded: (run id, layer index) -> [(mask, target mask), ...]."""
    spec = from_config(config)
    data = CifarData(real_cifar("data_batch_1.bin"), real_cifar("test_batch.bin"))
    comparison = Comparison(spec, CifarSource(data, spec.seed, spec.batch_size, spec.train_limit, 20))
    seen = {}
    for search in comparison.runs:
        for i, usage in enumerate(search.usage):
            log = seen.setdefault((search.run.id, i), [])

            def record(mask, target, _update=usage.update, _log=log):
                _log.append((mask.clone().numpy(), target.clone().numpy()))
                _update(mask, target)

            usage.update = record
    reports = []
    comparison.run_to_end(reports.append)
    return comparison, seen, [r for r in reports if r["kind"] == "step"]


@pytest.fixture(scope="module", params=["soft", "hard"])
def recorded(request):
    return run_recorded(tiny_config(reportEvery=3, iep={"variant": request.param, "scores": "rewind"}))


def test_every_reported_number_matches_a_brute_force_recount(recorded):
    comparison, seen, reports = recorded
    assert {r["run"] for r in reports} == {"ep", "iep"}
    for report in reports:
        search = next(s for s in comparison.runs if s.run.id == report["run"])
        step = report["step"]
        window_start = max((r["step"] for r in reports if r["run"] == report["run"] and r["step"] < step), default=0)
        for i, layer in enumerate(report["layers"]):
            masks = seen[(report["run"], i)][:step]
            ever = np.maximum.reduce([m for m, _ in masks])
            ever_target = np.maximum.reduce([t for _, t in masks])
            assert layer["dyingRatio"] == pytest.approx(1 - ever.mean(), abs=1e-6)
            assert layer["dyingRatioAtTarget"] == pytest.approx(1 - ever_target.mean(), abs=1e-6)
            changes = [(masks[t][0], masks[t - 1][0]) for t in range(max(1, window_start), step)]
            assert layer["entered"] == sum(int((m * (1 - p)).sum()) for m, p in changes)
            assert layer["left"] == sum(int((p * (1 - m)).sum()) for m, p in changes)
            assert layer["kept"] == int(masks[-1][0].sum())
            h = layer["heatmap"]
            count = sum(m for m, _ in masks) / step
            np.testing.assert_allclose(h["usage"], pooled(count, h["rows"], h["cols"]), atol=5.01e-5)
            np.testing.assert_allclose(h["dead"], pooled(1 - ever, h["rows"], h["cols"]), atol=5.01e-5)
        assert search.layers[0].layer_name == report["layers"][0]["name"]


def test_for_ep_both_dying_measures_agree_and_iep_keeps_more_edges_alive(recorded):
    _, _, reports = recorded
    last = {r["run"]: r for r in reports}
    for layer in last["ep"]["layers"]:
        assert layer["dyingRatio"] == layer["dyingRatioAtTarget"]
    d = {run: np.mean([l["dyingRatio"] for l in r["layers"]]) for run, r in last.items()}
    assert d["iep"] < d["ep"]


def test_heatmaps_pool_big_layers_to_64_by_64():
    from supermask_worker.supermask import SupermaskLinear

    layer = SupermaskLinear("wide", 130, 70, seed=1)
    usage = LayerUsage(layer)
    mask = (layer.scores.detach().abs() > 0.05).float()
    usage.update(mask, mask)
    parsed = usage.parse(usage.readout(1).tolist())
    h = parsed["heatmap"]
    assert (h["rows"], h["cols"]) == (64, 64)
    np.testing.assert_allclose(h["usage"], pooled(mask.numpy(), 64, 64), atol=5.01e-5)
