"""Masks: exactly round((1 - p) n) kept, the largest |S|, ties filled by the lowest flat index in TF.js's layout,
hard iEP's allowed edges only; against a brute force that sorts."""

import numpy as np
import pytest
import torch

from supermask_worker.mask import kept_count, to_tf_order, top_mask
from supermask_worker.models import build_model


def brute_force(scores: torch.Tensor, k: int, allowed=None) -> torch.Tensor:
    """Sort by (-rank, TF.js flat index) and keep the first k."""
    rank = scores.abs()
    if allowed is not None:
        rank = torch.where(allowed > 0, rank, torch.full_like(rank, -1.0))
    flat_tf = to_tf_order(rank).reshape(-1).tolist()
    keep = sorted(range(len(flat_tf)), key=lambda i: (-flat_tf[i], i))[:k]
    m = torch.zeros(len(flat_tf))
    m[keep] = 1
    tf_shape = to_tf_order(rank).shape
    back = m.reshape(tf_shape)
    return back.permute(3, 2, 0, 1) if scores.dim() == 4 else back.t()


def test_kept_count_rounds_halves_up_as_javascript():
    assert kept_count(5, 0.5) == 3  # 2.5 -> 3 (Python's round would give 2)
    assert kept_count(1000, 0.832) == 168
    assert kept_count(10, 0) == 10 and kept_count(10, 0.999) == 0


def test_keeps_exactly_round_of_kept_fraction_in_every_layer():
    model = build_model("resnet20", 0.25, 7)
    for p in (0, 0.2, 0.5, 0.832, 0.99):
        for layer in model.masked:
            k = kept_count(layer.edges, p)
            m = top_mask(layer.scores.detach(), k)
            assert int(m.sum()) == k
            s = layer.scores.detach().abs()
            if 0 < k < layer.edges:
                assert s[m > 0].min() >= s[m == 0].max()


@pytest.mark.parametrize("shape", [(10,), (6, 5), (4, 3, 3, 3)])
def test_ties_go_to_the_lowest_tf_index(shape):
    torch.manual_seed(0)
    full = shape if len(shape) > 1 else (1, shape[0])
    n = int(np.prod(full))
    for trial in range(20):
        # Few distinct magnitudes with both signs: many ties at the threshold.
        scores = (torch.randint(1, 4, full) * torch.where(torch.rand(full) < 0.5, -1, 1)).float()
        allowed = (torch.rand(full) < 0.7).float() if trial % 2 else None
        for k in (1, n // 3, n // 2, n - 1):
            got = top_mask(scores, k, allowed)
            assert torch.equal(got, brute_force(scores, k, allowed)), (trial, k)


def test_all_equal_scores_keep_the_first_edges_in_tf_order():
    scores = torch.full((2, 3), 0.5)  # [out, in]; TF.js flat order walks [in, out]
    m = top_mask(scores, 3)
    assert m.t().reshape(-1).tolist() == [1, 1, 1, 0, 0, 0]


def test_hard_iep_selects_only_allowed_edges():
    torch.manual_seed(1)
    scores = torch.randn(8, 16)
    allowed = (torch.rand(8, 16) < 0.5).float()
    k = int(allowed.sum()) // 2
    m = top_mask(scores, k, allowed)
    assert int(m.sum()) == k and torch.all(m <= allowed)
