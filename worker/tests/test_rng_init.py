"""The seeded generator and the initialisation: the vectorised draw equals the step-by-step generator, and weights
and scores have the engine's distributions, one stream per layer and per draw."""

import math

import numpy as np

from supermask_worker.init import fan_in, kaiming_uniform_scores, signed_kaiming_constant
from supermask_worker.rng import derive_seed, mulberry32, permutation, uniform_array


def test_vectorised_draw_equals_the_generator():
    for seed in (0, 1, 7, 0xFFFFFFFF, derive_seed(3, "scores/fc")):
        rng = mulberry32(seed)
        assert uniform_array(seed, 5000).tolist() == [rng() for _ in range(5000)]


def test_values_are_in_the_unit_interval_and_uniform():
    u = uniform_array(derive_seed(1, "x"), 200_000)
    assert u.min() >= 0 and u.max() < 1
    assert abs(u.mean() - 0.5) < 0.005
    assert np.histogram(u, bins=10, range=(0, 1))[0].min() > 19_000


def test_derived_seeds_differ_by_label_and_seed():
    labels = ["weights/conv1", "weights/conv2", "scores/conv1", "scores/conv1/draw1", "data/order"]
    seeds = {derive_seed(s, label) for s in (1, 2) for label in labels}
    assert len(seeds) == 2 * len(labels)
    assert all(0 <= s < 2**32 for s in seeds)


def test_permutation_is_a_permutation_and_seeded():
    p = permutation(1000, mulberry32(5))
    assert sorted(p) == list(range(1000))
    assert p == permutation(1000, mulberry32(5))
    assert p != permutation(1000, mulberry32(6))


def test_signed_kaiming_constant_weights():
    shape = (16, 8, 3, 3)
    w = signed_kaiming_constant(shape, 7, "conv")
    c = np.float32(math.sqrt(2 / fan_in(shape)))
    assert w.dtype == np.float32 and w.shape == shape
    assert set(np.unique(w).tolist()) == {-c, c}
    assert abs((w > 0).mean() - 0.5) < 0.05


def test_kaiming_uniform_scores_and_their_draws():
    shape = (32, 64)
    b = 1 / math.sqrt(64)
    s0 = kaiming_uniform_scores(shape, 7, "fc")
    assert s0.dtype == np.float32 and np.abs(s0).max() <= b
    assert np.abs(s0).max() > 0.95 * b
    assert np.array_equal(s0, kaiming_uniform_scores(shape, 7, "fc", 0))
    assert not np.array_equal(s0, kaiming_uniform_scores(shape, 7, "fc", 1))
    assert not np.array_equal(s0, kaiming_uniform_scores(shape, 7, "fc2"))
