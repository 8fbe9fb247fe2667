"""Typed parameter declarations of algorithms (``Param``) and how specs normalise them."""

from __future__ import annotations

import pytest

from omnirec_core import NO_DEFAULT, AlgorithmSpec, Param


@pytest.mark.parametrize(
    ("param", "value", "message"),
    [
        (Param("l2", float, low=0), "abc", "must be a number ≥ 0, got 'abc'"),
        (Param("l2", float, low=0), -1.0, "must be a number ≥ 0, got -1.0"),
        (Param("l2", float, low=0), float("nan"), "must be a number ≥ 0, got nan"),
        (Param("k", int, low=1, high=500), 2.5, "must be an integer in [1, 500], got 2.5"),
        (Param("k", int, low=1), True, "must be an integer ≥ 1, got True"),
        (
            Param("sim", str, choices=("cosine", "jaccard")),
            "cos",
            "must be one of 'cosine', 'jaccard', got 'cos'",
        ),
        (Param("flag", bool), 1, "must be true or false, got 1"),
        (Param("k", int), None, "must be an integer, got None"),
        (Param("dims", list), 64, "must be a list, got 64"),
        (Param("lr", float, low=0, low_open=True), 0.0, "must be a number > 0, got 0.0"),
        (Param("p", float, low=0, high=1, high_open=True), 1, "must be a number in [0, 1), got 1"),
        (Param("p", float, low=0, high=1, low_open=True), 0, "must be a number in (0, 1], got 0"),
        (Param("x", float, high=2, high_open=True), 2.0, "must be a number < 2, got 2.0"),
    ],
)
def test_param_rejects_with_a_clear_message(param: Param, value: object, message: str) -> None:
    assert param.problem(value) == message


@pytest.mark.parametrize(
    ("param", "value"),
    [
        (Param("l2", float, low=0), 0),
        (Param("l2", float, low=0), 1e4),
        (Param("k", int, low=1, high=500), 500),
        (Param("k", int, nullable=True), None),
        (Param("sim", str, choices=("cosine", "jaccard")), "jaccard"),
        (Param("any"), {"x": [1, 2]}),
        (Param("dims", (int, list)), [64, 32]),
        (Param("lr", float, low=0, low_open=True), 1e-12),
        (Param("p", float, low=0, high=1, high_open=True), 0),
    ],
)
def test_param_accepts_valid_values(param: Param, value: object) -> None:
    assert param.problem(value) is None


def test_choices_compare_types_too() -> None:
    # 1 == True in Python; a choice of True must not accept 1.
    assert Param("flag", choices=(True, False)).problem(1) is not None


def test_algorithm_spec_normalises_params_and_merges_declared_defaults() -> None:
    spec = AlgorithmSpec(
        "EASE",
        params=("alpha", Param("l2", float, default=1000.0, low=0), Param("density", float, nullable=True)),
        defaults={"alpha": 0.0},
    )
    assert spec.param_names == ("alpha", "l2", "density")
    assert all(isinstance(p, Param) for p in spec.params or ())
    assert spec.defaults == {"l2": 1000.0, "alpha": 0.0}
    assert spec.param("l2") is not None and spec.param("l2").default == 1000.0
    assert spec.param("density") is not None and spec.param("density").default is NO_DEFAULT
    assert spec.param("nope") is None


def test_explicit_defaults_win_over_param_defaults() -> None:
    spec = AlgorithmSpec("X", params=(Param("k", int, default=10),), defaults={"k": 20})
    assert spec.defaults == {"k": 20}


def test_spec_without_params_stays_open() -> None:
    spec = AlgorithmSpec("X")
    assert spec.params is None and spec.param_names is None and spec.param("k") is None


def test_bounds_ignore_values_that_are_not_numbers() -> None:
    assert Param("x", low=1).problem("text") is None
    assert Param("x", (int, list), low=1).problem([0]) is None
    assert Param("x", (int, list), low=1).problem(0) is not None
