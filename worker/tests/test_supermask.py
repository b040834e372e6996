"""Supermask layers: the straight-through gradient, frozen weights, affine-free BatchNorm with PyTorch's running
statistics, and the engine's model structure."""

import torch

from supermask_worker.config import from_config
from supermask_worker.mask import kept_count, top_mask
from supermask_worker.models import build_model, summarize
from supermask_worker.schedule import make_plan
from supermask_worker.search import Search
from supermask_worker.supermask import MaskedWeight, SupermaskLinear, affine_free_bn
from conftest import tiny_config


def test_straight_through_gradient_is_dL_dWeff_times_W_times_sign_S():
    torch.manual_seed(0)
    layer = SupermaskLinear("fc", 12, 5, seed=3)
    layer.mask = top_mask(layer.scores.detach(), kept_count(layer.edges, 0.6))
    x = torch.randn(7, 12)
    target = torch.randn(7, 5)
    loss = ((layer(x) - target) ** 2).sum()
    (g_scores,) = torch.autograd.grad(loss, [layer.scores])
    # The same loss with W * M as a leaf: its gradient, times W, times sign(S).
    w_eff = (layer.weight * layer.mask).requires_grad_(True)
    (g_eff,) = torch.autograd.grad(((x @ w_eff.t() - target) ** 2).sum(), [w_eff])
    assert torch.allclose(g_scores, g_eff * layer.weight * torch.sign(layer.scores.detach()), rtol=1e-6, atol=1e-7)
    # Pruned edges get a gradient too (that is how they come back).
    assert (g_scores[layer.mask == 0] != 0).any()


def test_masked_weight_gives_no_gradient_to_weights_or_mask():
    s = torch.randn(4, 3, requires_grad=True)
    w = torch.randn(4, 3, requires_grad=True)
    m = (torch.rand(4, 3) < 0.5).float().requires_grad_(True)
    out = MaskedWeight.apply(s, w, m)
    assert torch.equal(out, w * m)
    gs, gw, gm = torch.autograd.grad(out.sum(), [s, w, m], allow_unused=True)
    assert gw is None and gm is None and gs is not None


def test_weights_stay_frozen_and_scores_move():
    spec = from_config(tiny_config(model="resnet20", width=0.125))
    run = spec.runs[1]
    model = build_model(spec.model, spec.width, spec.seed)
    weights = [l.weight.clone() for l in model.masked]
    scores = [l.scores.detach().clone() for l in model.masked]
    assert all(not isinstance(l.weight, torch.nn.Parameter) for l in model.masked)
    search = Search(spec, run, model, make_plan(spec, run, 80), torch.device("cpu"))
    g = torch.Generator().manual_seed(0)
    for _ in range(6):  # across the cycle starts at steps 3 and 5 (of 10)
        search.step((torch.randn(8, 3, 32, 32, generator=g), torch.randint(0, 10, (8,), generator=g)))
    for layer, w0, s0 in zip(model.masked, weights, scores):
        assert torch.equal(layer.weight, w0), layer.layer_name
        assert not torch.equal(layer.scores.detach(), s0), layer.layer_name


def test_affine_free_batchnorm_uses_biased_batch_and_unbiased_running_variance():
    bn = affine_free_bn(3)
    assert list(bn.parameters()) == []
    x = torch.randn(4, 3, 5, 5) * 2 + 1
    y = bn(x)
    mean = x.mean(dim=(0, 2, 3))
    var = x.var(dim=(0, 2, 3), unbiased=False)
    expected = (x - mean[None, :, None, None]) / torch.sqrt(var[None, :, None, None] + 1e-5)
    assert torch.allclose(y, expected, atol=1e-5)
    n = 4 * 5 * 5
    assert torch.allclose(bn.running_mean, 0.1 * mean, atol=1e-6)
    assert torch.allclose(bn.running_var, 0.9 + 0.1 * var * n / (n - 1), atol=1e-6)


def test_model_layers_names_and_sizes_are_the_engines():
    model = build_model("resnet20", 1, 1)
    summary = summarize(model, "resnet20", 1, 0.832)
    assert summary["totalEdges"] == 270_896  # docs/engine.md
    names = [l["name"] for l in summary["layers"]]
    assert names[:3] == ["conv1", "layer1.0.conv1", "layer1.0.conv2"] and names[-1] == "fc"
    assert "layer2.0.shortcut" in names and "layer1.0.shortcut" not in names
    conv2 = build_model("conv2", 0.125, 1)
    assert [(l.layer_name, l.shape) for l in conv2.masked] == [
        ("conv1", (8, 3, 3, 3)),
        ("conv2", (8, 8, 3, 3)),
        ("fc1", (32, 2048)),
        ("fc2", (32, 32)),
        ("fc3", (10, 32)),
    ]
