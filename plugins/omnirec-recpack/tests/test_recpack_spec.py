"""Fast tests: the RunnerSpec declarations and the worker's framework-free helpers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pluggy
import pytest
from omnirec_recpack import algorithms, plugin

from omnirec_core.experiment.spaces import decode_space
from omnirec_core.plugin import hookspecs
from omnirec_core.plugin.specs import NO_DEFAULT
from omnirec_core.runner import ConfigError, FitRequest, Interactions, PredictRequest
from tests.support.declarations import (
    assert_refused_at_validation,
    docs_row,
    docs_search_spaces,
    space_values,
)

EXPECTED = [
    "Popularity", "Random", "ItemKNN", "ItemPNN", "EASE", "SLIM", "SVD", "NMF",
    "SVDItemToItem", "NMFItemToItem", "KUNN", "WeightedMatrixFactorization", "BPRMF",
    "MultVAE", "RecVAE",
]  # fmt: skip


def test_runner_spec_pins_and_worker() -> None:
    spec = plugin.runner_spec()
    assert spec.name == "RecPack"
    assert spec.worker_module == "omnirec_recpack.worker"
    assert spec.python == "3.11"
    assert spec.requirements == ("recpack==0.3.6", "numpy<2", "torch==2.13.0")
    assert spec.install_self == ("omnirec-core", "omnirec-recpack")


def test_every_listed_algorithm_is_declared_implicit_topk() -> None:
    spec = plugin.runner_spec()
    assert [a.name for a in spec.algorithms] == EXPECTED
    for algo in spec.algorithms:
        assert algo.feedback == ("implicit",), algo.name
        assert algo.predictions == ("topk",), algo.name
        assert algo.params, algo.name
        assert algo.unavailable == "", f"{algo.name}: {algo.unavailable}"
        assert spec.algorithm(algo.name) is algo


def test_every_key_is_a_typed_param_whose_default_the_worker_uses() -> None:
    spec = plugin.runner_spec()
    for algo in spec.algorithms:
        for p in algo.declared or ():
            assert p.type is not None and p.description, (algo.name, p.name)
            assert p.default is not NO_DEFAULT, (algo.name, p.name)  # RecPack has a default for every key
            assert p.problem(p.default) is None, (algo.name, p.name, p.default)
        # The coordinator merges exactly the defaults the worker fills in itself.
        assert dict(algo.defaults) == algorithms.defaults(algo.name), algo.name
    for name, overrides in algorithms.OVERRIDES.items():
        assert set(overrides) <= set(algorithms.defaults(name)), name
        assert {k: algorithms.defaults(name)[k] for k in overrides} == overrides, name


def test_torch_models_declare_small_epochs_and_seed_param() -> None:
    for name in algorithms.TORCH_ALGORITHMS:
        assert algorithms.defaults(name)["max_epochs"] <= 20
        assert "seed" in algorithms.defaults(name)
        assert "stop_early" in algorithms.defaults(name)


TUNED = {"EASE", "ItemKNN", "SLIM", "MultVAE"}


def test_search_spaces_lie_inside_the_declared_params() -> None:
    spec = plugin.runner_spec()
    assert {a.name for a in spec.algorithms if a.search_space} == TUNED
    for algo in spec.algorithms:
        for key, table in algo.search_space.items():
            param = algo.param(key)
            assert param is not None, (algo.name, key)
            for value in space_values(table):
                assert param.problem(value) is None, (algo.name, key, value)
    # Epochs are fixed, not searched, so a tuned run stays short.
    assert space_values(algorithms.SEARCH_SPACES["MultVAE"]["max_epochs"]) == [20]


@pytest.fixture(scope="module")
def tiny_implicit() -> Any:
    """The generated ``synthetic-tiny`` data, ratings >= 3 kept, 80/20 per user."""
    from omnirec_core import MakeImplicit, Pipe, RecSysDataSet, UserHoldout, set_random_state

    set_random_state(7)
    return Pipe(MakeImplicit(3), UserHoldout(0.2)).process(RecSysDataSet.use_dataloader("synthetic-tiny"))


@pytest.mark.parametrize(
    ("name", "config", "message"),
    [
        ("RecPack.EASE", {"l2": "abc"}, "RecPack.EASE: l2 must be a number ≥ 0, got 'abc'"),
        ("RecPack.EASE", {"lambda": 5.0}, "does not accept config key(s) 'lambda'. Valid keys: l2, alpha, density."),
        ("RecPack.EASE", {"density": 1.5}, "density must be a number in [0, 1] (or null), got 1.5"),
        ("RecPack.ItemKNN", {"K": 50.0}, "K must be an integer ≥ 1, got 50.0"),
        ("RecPack.ItemKNN", {"similarity": "jaccard"}, "similarity must be one of 'cosine', 'conditional_probability'"),
        ("RecPack.ItemKNN", {"normalize_X": 1}, "normalize_X must be true or false, got 1"),
        ("RecPack.SVD", {"num_components": 0}, "num_components must be an integer ≥ 1, got 0"),
        ("RecPack.NMF", {"l1_ratio": -0.1}, "l1_ratio must be a number in [0, 1], got -0.1"),
        ("RecPack.MultVAE", {"dropout": 2}, "dropout must be a number in [0, 1], got 2"),
        ("RecPack.MultVAE", {"save_best_to_file": True}, "save_best_to_file must be one of False, got True"),
        ("RecPack.BPRMF", {"stopping_criterion": "auc"}, "stopping_criterion must be one of 'bpr', 'warp'"),
        ("RecPack.WeightedMatrixFactorization", {"confidence_scheme": "linear"}, "confidence_scheme must be one of 'minimal', 'log-scaling'"),
    ],
)  # fmt: skip
def test_bad_values_are_refused_by_the_coordinators_validation(
    tiny_implicit: Any, name: str, config: dict, message: str
) -> None:
    assert_refused_at_validation(tiny_implicit, name, config, message)


DOCS = Path(__file__).resolve().parents[3] / "docs" / "runners" / "recpack.md"


def test_docs_list_every_algorithm_with_its_declared_keys() -> None:
    text = DOCS.read_text()
    for algo in plugin.runner_spec().algorithms:
        row = docs_row(algo)
        assert row in text, f"docs/runners/recpack.md lacks or differs in the row:\n{row}"
    declared = {
        (name, key): decode_space(name, table)
        for name, spaces in algorithms.SEARCH_SPACES.items()
        for key, table in spaces.items()
    }
    assert docs_search_spaces(text) == declared
    for name, overrides in algorithms.OVERRIDES.items():
        for key in overrides:
            assert f"| `{name}` | `{key}` |" in text, (name, key)  # the overrides table


def test_hook_registers_through_pluggy() -> None:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(plugin, "recpack")
    (runners,) = pm.hook.omnirec_runners()
    assert [r.name for r in runners] == ["RecPack"]


def test_installed_entry_point_and_dependencies() -> None:
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet

    try:
        dist = metadata.distribution("omnirec-recpack")
    except metadata.PackageNotFoundError:
        pytest.skip("omnirec-recpack is not installed in this environment")
    eps = [ep for ep in dist.entry_points if ep.group == "omnirec"]
    assert [(ep.name, ep.value) for ep in eps] == [("recpack", "omnirec_recpack.plugin")]
    # The core, in the range the plugin was written for (and nothing else: frameworks live in runner envs).
    reqs = [Requirement(r) for r in dist.requires or []]
    assert [(r.name, r.specifier) for r in reqs] == [("omnirec-core", SpecifierSet(">=0.1,<0.2"))]


def test_plugin_side_imports_no_framework() -> None:
    code = (
        "import sys, omnirec_recpack.plugin as p; p.runner_spec(); "
        "bad = [m for m in ('recpack', 'torch', 'scipy') if m in sys.modules]; "
        "assert not bad, bad"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


# ---- worker helpers that need no RecPack -----------------------------------------------

worker = pytest.importorskip("omnirec_recpack.worker")


def test_interaction_matrix_covers_every_item_and_binarises() -> None:
    data = Interactions(np.array([0, 0, 2, 2]), np.array([1, 1, 3, 0]))
    m = worker.interaction_matrix(data, n_users=4, n_items=7)
    assert m.shape == (4, 7)
    assert m.nnz == 3
    assert set(m.data) == {1.0}
    assert m[0, 1] == 1.0 and m[2, 3] == 1.0 and m[2, 0] == 1.0


def test_unscored_entries_become_minus_inf() -> None:
    import scipy.sparse as sp

    pred = sp.csr_matrix(np.array([[0.0, 2.0, 0.0], [-1.0, 0.0, 0.5]]))
    block = worker._scored_block(pred)
    assert block[0, 1] == 2.0 and block[1, 0] == -1.0 and block[1, 2] == 0.5
    assert np.isneginf(block[0, 0]) and np.isneginf(block[1, 1])


def test_rows_only_keeps_shape_and_selected_rows() -> None:
    import scipy.sparse as sp

    X = sp.csr_matrix(np.arange(12, dtype=float).reshape(4, 3))
    out = worker._rows_only(X, np.array([1, 3]))
    assert out.shape == (4, 3)
    np.testing.assert_array_equal(out.toarray()[[0, 2]], 0)
    np.testing.assert_array_equal(out.toarray()[[1, 3]], X.toarray()[[1, 3]])


def test_worker_checks_the_declarations_before_importing_recpack() -> None:
    handler = worker.RecPackHandler()
    with pytest.raises(ConfigError, match="K must be an integer ≥ 1, got 0"):
        handler.check_config("ItemKNN", {"K": 0})
    with pytest.raises(ConfigError, match="Available: Popularity"):
        handler.check_config("LightGCN", {})
    assert "recpack" not in sys.modules


def test_explicit_feedback_is_refused_with_the_fix(tmp_path: Path) -> None:
    train = Interactions(np.array([0, 1]), np.array([0, 1]), rating=np.array([4.0, 2.0]))
    common = dict(
        algorithm="EASE", config={}, seed=1, job_dir=tmp_path, train=train,
        n_users=2, n_items=2, feedback="explicit",
    )  # fmt: skip
    handler = worker.RecPackHandler()
    with pytest.raises(ConfigError, match="MakeImplicit"):
        handler.fit(FitRequest(**common))
    with pytest.raises(ConfigError, match="implicit feedback only"):
        handler.predict(PredictRequest(**common, k=5, users=np.array([0])))
    assert not list(tmp_path.iterdir())  # refused before anything was written


def test_rating_pairs_are_refused(tmp_path: Path) -> None:
    train = Interactions(np.array([0, 1]), np.array([0, 1]))
    req = PredictRequest(
        algorithm="EASE", config={}, seed=1, job_dir=tmp_path, train=train, n_users=2,
        n_items=2, feedback="implicit", pairs=Interactions(np.array([0]), np.array([1])),
    )  # fmt: skip
    with pytest.raises(ConfigError, match="cannot predict ratings"):
        worker.RecPackHandler().predict(req)
