"""Search spaces: plan-file tables, expansion without a tuner, sampling with one."""

from __future__ import annotations

import numpy as np
import pytest

from omnirec_core import ExperimentPlan
from omnirec_core.experiment.spaces import (
    Categorical,
    Fixed,
    Grid,
    IntRange,
    LogUniform,
    PlanError,
    RandomChoice,
    RandomRange,
    Uniform,
    decode_space,
    encode_space,
)

SPACES = [
    Grid([1, 2, 3]),
    Categorical(["cosine", "jaccard"]),
    RandomChoice([1, 2, 3, 4], n=2),
    RandomRange(1, 9, n=3),
    RandomRange(0.1, 0.9, n=2),
    Fixed([64, 32]),
    Uniform(0.0, 1.0),
    LogUniform(1.0, 1e4),
    IntRange(10, 500),
    IntRange(1, 1000, log=True),
]


@pytest.mark.parametrize("space", SPACES, ids=repr)
def test_plan_file_tables_round_trip(space: object) -> None:
    assert decode_space("x", encode_space(space)) == space


@pytest.mark.parametrize("space", SPACES, ids=repr)
def test_samples_are_reproducible_and_in_range(space: object) -> None:
    a = [space.sample(np.random.default_rng(7)) for _ in range(5)]  # type: ignore[attr-defined]
    b = [space.sample(np.random.default_rng(7)) for _ in range(5)]  # type: ignore[attr-defined]
    assert a == b
    values = [space.sample(np.random.default_rng(s)) for s in range(200)]  # type: ignore[attr-defined]
    bounds = space.bounds()  # type: ignore[attr-defined]
    if bounds is not None:
        assert all(bounds[0] <= v <= bounds[1] for v in values)
    choices = space.choices()  # type: ignore[attr-defined]
    if choices is not None:
        assert set(map(repr, values)) <= set(map(repr, choices))


def test_log_uniform_spreads_over_orders_of_magnitude() -> None:
    values = np.array([LogUniform(1.0, 1e4).sample(np.random.default_rng(s)) for s in range(2000)])
    below_100 = np.mean(values < 100)
    assert 0.4 < below_100 < 0.6  # half the log range, half the draws


@pytest.mark.parametrize("space", [Uniform(0, 1), LogUniform(1, 10), IntRange(1, 5)], ids=repr)
def test_tuner_distributions_need_a_tuner_to_expand(space: object) -> None:
    plan = ExperimentPlan("p")
    plan.add_algorithm("Fake.ItemCF", {"shrink": space})
    with pytest.raises(PlanError, match=r"\[selection\]"):
        plan.expand("Fake.ItemCF")


def test_categorical_expands_to_every_choice() -> None:
    plan = ExperimentPlan("p")
    plan.add_algorithm("Fake.ItemCF", {"shrink": Categorical([0.0, 1.0])})
    assert plan.expand("Fake.ItemCF") == [{"shrink": 0.0}, {"shrink": 1.0}]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"loguniform": [0, 10]}, "low > 0"),
        ({"uniform": [5, 1]}, "low <= high"),
        ({"int": [1.5, 3]}, "integer bounds"),
        ({"int": [0, 9], "log": True}, "low >= 1"),
    ],
)
def test_bad_tables_are_one_clear_error(table: dict, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        decode_space("EASE config 'l2'", table)
