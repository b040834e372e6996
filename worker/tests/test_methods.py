"""The two methods beside EP and iEP. Dense: Kaiming-normal weights and BatchNorm's scale and shift are trained on
real CIFAR-10 (every layer changes, the loss falls), no mask, reports without usage. IteRand: at each K_per boundary
exactly floor(lambda x pruned) of each layer's pruned weights are re-drawn, never a kept one, chosen and drawn from
the seed (checked against a brute force). And a four-run comparison (EP, iEP, dense, IteRand) steps every run on the
same batch, the engine's batch for that step."""

import base64
import json
import math

import numpy as np
import pytest
import torch

from supermask_worker.batches import BatchOrder, CifarSource
from supermask_worker.cifar import CifarData
from supermask_worker.comparison import Comparison
from supermask_worker.config import from_config
from supermask_worker.init import fan_in, kaiming_normal, signed_kaiming_constant, uniforms
from supermask_worker.iterand import IteRandSearch
from supermask_worker.mask import kept_count, to_tf_order
from supermask_worker.models import build_model
from supermask_worker.schedule import make_plan
from supermask_worker.schema import validate
from conftest import GOLDEN, IEP, real_cifar, tiny_config

CPU = torch.device("cpu")
EP = {"id": "ep", "label": "EP", "method": "ep"}
DENSE = {"id": "dense", "label": "dense", "method": "dense", "dense": {"learningRate": None}}


def real_data():
    return CifarData(real_cifar("data_batch_1.bin"), real_cifar("test_batch.bin"))


def comparison(config, test_limit=40) -> Comparison:
    spec = from_config(config)
    return Comparison(spec, CifarSource(real_data(), spec.seed, spec.batch_size, spec.train_limit, test_limit), CPU)


def test_the_dense_weights_and_iterand_draws_are_the_engines_bit_for_bit():
    """The engine's draws for one layer, as `npm run golden` wrote them into the vector file."""
    if not GOLDEN.is_file():
        pytest.fail(f"{GOLDEN} is missing: run `npm run golden` to write it")
    draws = json.loads(GOLDEN.read_text())["draws"]
    shape, seed, layer, b = tuple(draws["shape"]), draws["seed"], draws["layer"], draws["boundary"]
    assert len(shape) == 4

    def floats(key):
        return np.frombuffer(base64.b64decode(draws[key]), dtype="<f4")

    assert np.array_equal(floats("kaimingNormal"), kaiming_normal(shape, seed, layer).reshape(-1))
    assert np.array_equal(floats("iterandPriorities"), uniforms(shape, seed, f"iterand/{layer}/{b}").reshape(-1))
    assert np.array_equal(floats("iterandWeights"), signed_kaiming_constant(shape, seed, layer, b).reshape(-1))


def test_kaiming_normal_weights_have_the_fan_in_variance():
    w = kaiming_normal((64, 32, 3, 3), 5, "layer1.0.conv1")
    assert w.dtype == np.float32
    assert abs(w.std() / math.sqrt(2 / fan_in(w.shape)) - 1) < 0.03 and abs(w.mean()) < 0.01
    assert np.array_equal(w, kaiming_normal((64, 32, 3, 3), 5, "layer1.0.conv1"))
    assert not np.array_equal(w, kaiming_normal((64, 32, 3, 3), 6, "layer1.0.conv1"))


def test_dense_trains_every_weight_and_norm_on_real_data_and_its_loss_falls():
    # 256 real images, 4 epochs of 8 steps; one thread, so the result is the same on every run of the test.
    torch.set_num_threads(1)
    config = tiny_config(runs=[EP, DENSE], model="resnet20", width=0.25, trainLimit=256, batchSize=32, epochs=4)
    config.update(reportEvery=8, learningRate=0.05)
    c = comparison(config)
    ep, dense = c.runs
    first = [l.weight.detach().clone() for l in dense.model.masked]
    assert all(isinstance(l.weight, torch.nn.Parameter) for l in dense.model.masked)
    for w, layer in zip(first, dense.model.masked):
        assert torch.equal(w, torch.from_numpy(kaiming_normal(layer.shape, 1, layer.layer_name)))
    scores = [l.scores.detach().clone() for l in dense.model.masked]
    reports = []
    c.run_to_end(reports.append)
    for r in reports:
        validate("StepReport" if r["kind"] == "step" else "EvalReport", r)
    steps = [r for r in reports if r["run"] == "dense" and r["kind"] == "step"]
    assert [r["step"] for r in steps] == [8, 16, 24, 32] and steps[-1]["totalSteps"] == ep.plan.total_steps
    assert all(r["pruningRate"] == 0 and r["cycle"] == r["cycles"] == 1 and r["layers"] == [] for r in steps)
    assert steps[-1]["loss"] < steps[0]["loss"] - 0.1, [r["loss"] for r in steps]
    evals = [r["reason"] for r in reports if r["run"] == "dense" and r["kind"] == "eval"]
    assert evals == ["epoch", "epoch", "epoch", "final"]
    for layer, w0, s0 in zip(dense.model.masked, first, scores):
        assert not torch.equal(layer.weight.detach(), w0), layer.layer_name
        assert torch.equal(layer.scores.detach(), s0), layer.layer_name  # no mask, the scores go unused
    for norm in dense.model.norms:
        assert not torch.equal(norm.weight.detach(), torch.ones_like(norm.weight))
        assert not torch.equal(norm.bias.detach(), torch.zeros_like(norm.bias))
    assert all(not isinstance(l.weight, torch.nn.Parameter) for l in ep.model.masked)  # EP's weights stay frozen


def test_a_dense_run_takes_its_own_learning_rate():
    config = tiny_config(runs=[EP, {**DENSE, "dense": {"learningRate": 0.003}}])
    c = comparison(config)
    assert c.runs[1].plan.learning_rate == 0.003 and c.runs[0].plan.learning_rate == 0.1
    assert c.runs[1].plan.total_steps == c.runs[0].plan.total_steps


def expected_redraw(weight, scores, shape, p, lam, seed, name, boundary):
    """Brute force: the pruned edges (the mask's complement, ranked by |S| with ties by TF.js flat index), the top
    floor(lambda x pruned) of them by priority (same tie rule), given the draw's fresh values."""
    n = int(np.prod(shape))
    kept = kept_count(n, p)
    tf_index = to_tf_order(torch.arange(n).reshape(shape)).reshape(-1).numpy()  # flat TF.js index -> torch index
    order_s = sorted(range(n), key=lambda j: (-abs(float(scores.reshape(-1)[tf_index[j]])), j))
    pruned_tf = set(order_s[kept:])
    priority = uniforms(shape, seed, f"iterand/{name}/{boundary}").reshape(-1)
    count = math.floor(lam * (n - kept))
    chosen_tf = sorted(pruned_tf, key=lambda j: (-float(priority[tf_index[j]]), j))[:count]
    chosen = np.zeros(n, dtype=bool)
    chosen[tf_index[chosen_tf]] = True
    fresh = signed_kaiming_constant(shape, seed, name, boundary).reshape(-1)
    out = weight.reshape(-1).numpy().copy()
    out[chosen] = fresh[chosen]
    kept_mask = np.ones(n, dtype=bool)
    kept_mask[tf_index[list(pruned_tf)]] = False
    return out.reshape(shape), chosen.reshape(shape), kept_mask.reshape(shape), count


@pytest.mark.parametrize("lam", [0.1, 0.5])
def test_iterand_redraws_exactly_floor_lambda_pruned_weights_per_layer_only_pruned_and_seeded(lam):
    iterand = {"id": "it", "label": "IteRand", "method": "iterand", "iterand": {"kPer": 2, "lambda": lam}}
    spec = from_config(tiny_config(runs=[iterand], model="conv2", width=0.125, targetPruningRate=0.6))
    run = spec.runs[0]

    def search(seed=spec.seed):
        model = build_model(spec.model, spec.width, seed)
        return IteRandSearch(spec, run, model, make_plan(spec, run, 80), CPU)

    s = search()
    g = torch.Generator().manual_seed(0)
    batches = [(torch.randn(8, 3, 32, 32, generator=g), torch.randint(0, 10, (8,), generator=g)) for _ in range(5)]
    s.step(batches[0])
    s.step(batches[1])
    for step in (2, 4):  # boundaries 1 and 2, each before its step
        before = [(l.weight.clone(), l.scores.detach().clone()) for l in s.layers]
        expected = [
            expected_redraw(w, sc, l.shape, 0.6, lam, spec.seed, l.layer_name, step // 2)
            for (w, sc), l in zip(before, s.layers)
        ]
        s.step(batches[step])
        for layer, (w0, _), (want, chosen, kept, count) in zip(s.layers, before, expected):
            assert int(chosen.sum()) == count == math.floor(lam * (layer.edges - kept_count(layer.edges, 0.6)))
            assert not (chosen & kept).any()
            assert torch.equal(layer.weight, torch.from_numpy(want)), layer.layer_name
            assert torch.equal(layer.weight[torch.from_numpy(kept)], w0[torch.from_numpy(kept)])  # kept: untouched
            changed = (layer.weight != w0).numpy()
            assert not (changed & ~chosen).any()
        if step == 2:
            between = [l.weight.clone() for l in s.layers]
            s.step(batches[3])  # not a boundary: no weight changes
            assert all(torch.equal(l.weight, w) for l, w in zip(s.layers, between))
    again = search()
    for b in batches:
        again.step(b)
    assert all(torch.equal(a.weight, b.weight) for a, b in zip(s.layers, again.layers))  # seeded
    other = search(seed=spec.seed + 1)
    for b in batches:
        other.step(b)
    assert any(not torch.equal(a.weight, b.weight) for a, b in zip(s.layers, other.layers))


def test_four_runs_step_on_the_same_batches():
    runs = [
        EP,
        {"id": "iep", "label": "iEP", "method": "iep", "iep": {**IEP, "cycles": 2}},
        DENSE,
        {"id": "iterand", "label": "IteRand", "method": "iterand", "iterand": {"kPer": 2, "lambda": 0.2}},
    ]
    # 32 images, batch 8: 4 steps; iEP's full cycles run 8, the last 4 alone.
    c = comparison(tiny_config(runs=runs, trainLimit=32, budget="full-cycles", reportEvery=2))
    seen = {}
    for run in c.runs:

        def record(batch, _run=run, _step=run.step):
            seen.setdefault(_run.run.id, []).append((batch[0].clone(), batch[1].clone()))
            _step(batch)

        run.step = record
    reports = []
    c.run_to_end(reports.append)
    assert {k: len(v) for k, v in seen.items()} == {"ep": 4, "iep": 8, "dense": 4, "iterand": 4}
    order = BatchOrder(c.data.train, 1, 8)
    all_indices = []
    for t in range(8):
        x, y = order.batch(t)
        all_indices.append(order.indices(t).tolist())
        for run_id, batches in seen.items():
            if t < len(batches):
                assert torch.equal(batches[t][0], x) and torch.equal(batches[t][1], y), (run_id, t)
    assert sorted(sum(all_indices[:4], [])) == list(range(32))  # an epoch visits every image once
    assert {r["run"] for r in reports} == {"ep", "iep", "dense", "iterand"}
    for r in reports:
        validate("StepReport" if r["kind"] == "step" else "EvalReport", r)
