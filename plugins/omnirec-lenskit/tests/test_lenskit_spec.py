"""Fast tests: the LensKit runner's declarations (no LensKit needed)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from omnirec_lenskit import plugin
from omnirec_lenskit.algorithms import ALGORITHMS

from omnirec_core.plugin.specs import RunnerSpec

EXPECTED = {
    "PopScorer",
    "BiasScorer",
    "ItemKNNScorer",
    "UserKNNScorer",
    "EASEScorer",
    "SLIMScorer",
    "ImplicitMFScorer",
    "BiasedMFScorer",
    "FunkSVDScorer",
    "FlexMFImplicitScorer",
    "FlexMFExplicitScorer",
}
RATING = {
    "BiasScorer",
    "ItemKNNScorer",
    "UserKNNScorer",
    "BiasedMFScorer",
    "FunkSVDScorer",
    "FlexMFExplicitScorer",
}
EXPLICIT_ONLY = {"BiasScorer", "BiasedMFScorer", "FunkSVDScorer", "FlexMFExplicitScorer"}


@pytest.fixture(scope="module")
def spec() -> RunnerSpec:
    return plugin.runner_spec()


def test_runner_is_found_through_the_entry_point() -> None:
    from omnirec_core.plugin.manager import get_runner

    runner = get_runner("LensKit")
    assert runner.worker_module == "omnirec_lenskit.worker"
    assert {a.name for a in runner.algorithms} == EXPECTED


def test_runner_env_pins(spec: RunnerSpec) -> None:
    assert spec.name == "LensKit"
    assert spec.python == "3.11"
    # Exact pins: torch must be pinned or pip pulls a multi-GB CUDA build.
    assert set(spec.requirements) == {"lenskit==2025.8.1", "torch==2.13.0"}
    assert spec.install_self == ("omnirec-core", "omnirec-lenskit")
    assert not spec.gpu


def test_algorithm_declarations(spec: RunnerSpec) -> None:
    assert {a.name for a in spec.algorithms} == EXPECTED
    for algo in spec.algorithms:
        assert not algo.unavailable, f"{algo.name}: {algo.unavailable}"
        assert "topk" in algo.predictions
        assert ("rating" in algo.predictions) == (algo.name in RATING), algo.name
        expected_feedback = ("explicit",) if algo.name in EXPLICIT_ONLY else ("implicit", "explicit")
        assert algo.feedback == expected_feedback, algo.name
        assert algo.params, algo.name
        assert set(algo.defaults) <= set(algo.param_names), algo.name
        assert len(set(algo.param_names)) == len(algo.param_names), algo.name


def test_knn_feedback_is_left_to_the_job(spec: RunnerSpec) -> None:
    # A default feedback would override the automatic choice from the job's feedback type.
    for name in ("ItemKNNScorer", "UserKNNScorer"):
        algo = spec.algorithm(name)
        assert algo is not None and "feedback" in algo.param_names
        assert "feedback" not in algo.defaults
        assert ALGORITHMS[name].auto_feedback


def test_worker_side_imports_stay_light() -> None:
    # The worker module imports LensKit lazily and never the user-side stack.
    code = (
        "import sys, omnirec_lenskit.worker as w;"
        "bad = [m for m in ('pluggy', 'click', 'lenskit', 'pandas') if m in sys.modules];"
        "assert not bad, bad; assert w.LensKitHandler.name == 'LensKit'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
