"""Budgets and schedules: EP's ceil(epochs x steps per epoch), iEP's even cycle split (equal compute) or whole-run
cycles (full cycles), the rate schedules, custom points, the cosine learning rate with and without rewinds."""

import math

import pytest

from supermask_worker.config import ConfigError, from_config
from supermask_worker.schedule import cycle_at, learning_rate_at, make_plan, steps_per_epoch
from conftest import tiny_config, tiny_v1_config


def plans(**overrides):
    spec = from_config(tiny_config(**overrides))
    return spec, make_plan(spec, spec.runs[0], 80), make_plan(spec, spec.runs[1], 80)


def test_ep_budget_is_ceil_of_epochs_times_steps_per_epoch():
    assert steps_per_epoch(80, 8) == 10 and steps_per_epoch(81, 8) == 11
    _, ep, _ = plans(epochs=2.35)
    assert ep.total_steps == math.ceil(10 * 2.35) == 24
    assert [(c.start, c.length, c.p) for c in ep.cycles] == [(0, 24, 0.832)]


def test_equal_compute_splits_the_same_total_evenly():
    _, ep, iep = plans(epochs=1.1, iep={"cycles": 4})  # 11 steps
    assert iep.total_steps == ep.total_steps == 11
    # round(c T / C) with halves up: 0, 2.75 -> 3, 5.5 -> 6, 8.25 -> 8.
    assert [c.start for c in iep.cycles] == [0, 3, 6, 8]
    assert [c.length for c in iep.cycles] == [3, 3, 2, 3]


def test_full_cycles_gives_every_cycle_the_whole_budget():
    _, ep, iep = plans(budget="full-cycles", iep={"cycles": 3})
    assert iep.total_steps == 3 * ep.total_steps
    assert [c.length for c in iep.cycles] == [ep.total_steps] * 3


def test_rate_schedules():
    _, _, geometric = plans(iep={"cycles": 8})
    assert [c.p for c in geometric.cycles] == pytest.approx([1 - 0.8**c for c in range(1, 9)], abs=3e-4)
    assert geometric.cycles[-1].p == pytest.approx(0.832)
    _, _, linear = plans(iep={"cycles": 4, "schedule": "linear"})
    assert [c.p for c in linear.cycles] == pytest.approx([0.208, 0.416, 0.624, 0.832])
    _, _, one_shot = plans(iep={"cycles": 3, "schedule": "one-shot"})
    assert [c.p for c in one_shot.cycles] == [0.832] * 3


def test_custom_points_start_cycles_and_are_checked():
    points = [{"step": 0, "p": 0.3}, {"step": 4, "p": 0.6}, {"step": 7, "p": 0.832}]
    _, _, iep = plans(iep={"cycles": 3, "schedule": "custom", "points": points})
    assert [(c.start, c.length, c.p) for c in iep.cycles] == [(0, 4, 0.3), (4, 3, 0.6), (7, 3, 0.832)]
    beyond = [{"step": 0, "p": 0.3}, {"step": 10, "p": 0.832}]
    with pytest.raises(ConfigError) as e:
        plans(iep={"cycles": 2, "schedule": "custom", "points": beyond})
    assert e.value.field == "runs[1].iep.points[1].step"
    with pytest.raises(ConfigError) as e:
        plans(iep={"cycles": 2, "schedule": "custom", "points": [{"step": 0, "p": 0.5}, {"step": 3, "p": 0.4}]})
    assert e.value.field == "runs[1].iep.points[1].p"


def test_too_many_cycles_for_the_budget_is_an_error_naming_cycles():
    with pytest.raises(ConfigError) as e:
        plans(epochs=0.5, iep={"cycles": 6})  # 5 steps
    assert e.value.field == "runs[1].iep.cycles"
    v1 = from_config(tiny_v1_config(epochs=0.5, iep={"cycles": 6}))  # a v1 config's fields keep their v1 names
    with pytest.raises(ConfigError) as e:
        make_plan(v1, v1.runs[1], 80)
    assert e.value.field == "iep.cycles"


def test_cosine_learning_rate_rewinds_per_cycle_or_runs_once():
    _, ep, iep = plans(iep={"cycles": 2})
    assert learning_rate_at(ep, 0) == 0.1
    assert learning_rate_at(ep, 5) == pytest.approx(0.05)
    assert learning_rate_at(iep, 5) == 0.1 and cycle_at(iep, 5).index == 2
    assert learning_rate_at(iep, 4) == pytest.approx(0.1 * (1 + math.cos(math.pi * 4 / 5)) / 2)
    _, _, once = plans(iep={"cycles": 2, "lrRewind": False})
    assert [learning_rate_at(once, t) for t in range(10)] == [learning_rate_at(ep, t) for t in range(10)]
