"""Fast tests: the LensKit runner's declarations (no LensKit needed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from omnirec_lenskit import plugin
from omnirec_lenskit.algorithms import ALGORITHMS, ALIASES, NO_DEFAULT_REASONS, OVERRIDES

from omnirec_core.experiment.spaces import decode_space
from omnirec_core.plugin.specs import NO_DEFAULT, RunnerSpec
from tests.support.declarations import (
    assert_refused_at_validation,
    docs_row,
    docs_search_spaces,
    space_values,
)

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


@pytest.fixture(scope="module")
def tiny_implicit() -> Any:
    """The generated ``synthetic-tiny`` data, ratings >= 3 kept, 80/20 per user."""
    from omnirec_core import MakeImplicit, Pipe, RecSysDataSet, UserHoldout, set_random_state

    set_random_state(7)
    return Pipe(MakeImplicit(3), UserHoldout(0.2)).process(RecSysDataSet.use_dataloader("synthetic-tiny"))


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
        assert len(set(algo.param_names)) == len(algo.param_names), algo.name


def test_knn_feedback_is_left_to_the_job(spec: RunnerSpec) -> None:
    # A default feedback would override the automatic choice from the job's feedback type.
    for name in ("ItemKNNScorer", "UserKNNScorer"):
        algo = spec.algorithm(name)
        assert algo is not None and "feedback" in algo.param_names
        assert "feedback" not in algo.defaults
        assert ALGORITHMS[name].auto_feedback


def test_every_key_is_a_typed_param_with_a_valid_default_or_a_reason(spec: RunnerSpec) -> None:
    for algo in spec.algorithms:
        for p in algo.declared or ():
            assert p.type is not None and p.description, (algo.name, p.name)
            if p.default is NO_DEFAULT:
                # Only keys with no value that behaves like leaving them out, each with its reason.
                assert p.name in NO_DEFAULT_REASONS, (algo.name, p.name)
                assert NO_DEFAULT_REASONS[p.name].split()[-1] in p.description, (algo.name, p.name)
            else:
                assert p.problem(p.default) is None, (algo.name, p.name, p.default)
        # Every declared default reaches the coordinator's merge, and nothing else does.
        assert dict(algo.defaults) == ALGORITHMS[algo.name].defaults, algo.name
        assert not set(ALIASES) & set(algo.param_names), algo.name
    assert OVERRIDES == {}  # every default is LensKit's own (checked in the env)


def test_flexmf_preset_keys_have_no_default_so_a_preset_can_set_them(spec: RunnerSpec) -> None:
    algo = spec.algorithm("FlexMFImplicitScorer")
    assert algo is not None and algo.defaults["preset"] is None
    for key in ("loss", "negative_strategy", "user_bias", "item_bias", "convolution_layers"):
        assert key in algo.param_names and key not in algo.defaults, key


TUNED = {"ItemKNNScorer", "UserKNNScorer", "ImplicitMFScorer", "EASEScorer"}


def test_search_spaces_lie_inside_the_declared_params(spec: RunnerSpec) -> None:
    assert {a.name for a in spec.algorithms if a.search_space} == TUNED
    for algo in spec.algorithms:
        for key, table in algo.search_space.items():
            param = algo.param(key)
            assert param is not None, (algo.name, key)
            for value in space_values(table):
                assert param.problem(value) is None, (algo.name, key, value)


@pytest.mark.parametrize(
    ("name", "config", "message"),
    [
        ("LensKit.EASEScorer", {"regularization": "abc"}, "LensKit.EASEScorer: regularization must be a number > 0, got 'abc'"),
        ("LensKit.EASEScorer", {"lambda": 5.0}, "does not accept config key(s) 'lambda'. Valid keys: regularization."),
        ("LensKit.ItemKNNScorer", {"max_nbrs": 0}, "max_nbrs must be an integer ≥ 1, got 0"),
        ("LensKit.ItemKNNScorer", {"nnbrs": 30}, "does not accept config key(s) 'nnbrs'."),
        ("LensKit.UserKNNScorer", {"feedback": "sometimes"}, "feedback must be one of 'explicit', 'implicit', got 'sometimes'"),
        ("LensKit.ImplicitMFScorer", {"features": 20}, "does not accept config key(s) 'features'"),
        ("LensKit.ImplicitMFScorer", {"epochs": 2.5}, "epochs must be an integer ≥ 1, got 2.5"),
        ("LensKit.ImplicitMFScorer", {"user_embeddings": "always"}, "user_embeddings must be one of True, False, 'prefer'"),
        ("LensKit.FlexMFImplicitScorer", {"loss": "hinge"}, "loss must be one of 'logistic', 'pairwise', 'warp'"),
        ("LensKit.PopScorer", {"score": None}, "score must be one of 'quantile', 'rank', 'count', got None"),
    ],
)  # fmt: skip
def test_bad_values_are_refused_by_the_coordinators_validation(
    tiny_implicit: Any, name: str, config: dict, message: str
) -> None:
    assert_refused_at_validation(tiny_implicit, name, config, message)


DOCS = Path(__file__).resolve().parents[3] / "docs" / "runners" / "lenskit.md"


def test_docs_list_every_algorithm_with_its_declared_keys(spec: RunnerSpec) -> None:
    text = DOCS.read_text()
    for algo in spec.algorithms:
        row = docs_row(algo)
        assert row in text, f"docs/runners/lenskit.md lacks or differs in the row:\n{row}"
    declared = {
        (name, key): decode_space(name, table)
        for name, algo in ALGORITHMS.items()
        for key, table in algo.search_space.items()
    }
    assert docs_search_spaces(text) == declared


def test_worker_side_imports_stay_light() -> None:
    # The worker module imports LensKit lazily and never the user-side stack.
    code = (
        "import sys, omnirec_lenskit.worker as w;"
        "bad = [m for m in ('pluggy', 'click', 'lenskit', 'pandas') if m in sys.modules];"
        "assert not bad, bad; assert w.LensKitHandler.name == 'LensKit'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_worker_refuses_aliases_and_bad_values_before_importing_lenskit() -> None:
    from omnirec_lenskit.worker import LensKitHandler

    from omnirec_core.runner import ConfigError

    handler = LensKitHandler()
    with pytest.raises(ConfigError, match=r"'nnbrs' \(write 'max_nbrs'\)"):
        handler.check_config("ItemKNNScorer", {"nnbrs": 30})
    with pytest.raises(ConfigError, match="max_nbrs must be an integer ≥ 1, got 'many'"):
        handler.check_config("UserKNNScorer", {"max_nbrs": "many"})
    with pytest.raises(ConfigError, match="does not accept config key"):
        handler.check_config("EASEScorer", {"k": 3})  # not an alias of any EASE key
    assert "lenskit" not in sys.modules
