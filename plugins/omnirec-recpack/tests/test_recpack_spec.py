"""Fast tests: the RunnerSpec declarations and the worker's framework-free helpers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pluggy
import pytest
from omnirec_recpack import algorithms, plugin

from omnirec_core.plugin import hookspecs
from omnirec_core.runner import ConfigError, FitRequest, Interactions, PredictRequest

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
        assert set(algo.defaults) <= set(algo.param_names), algo.name
        assert algo.unavailable == "", f"{algo.name}: {algo.unavailable}"
        assert spec.algorithm(algo.name) is algo


def test_torch_models_declare_small_epochs_and_seed_param() -> None:
    for name in algorithms.TORCH_ALGORITHMS:
        assert algorithms.DEFAULTS[name]["max_epochs"] <= 20
        assert "seed" in algorithms.PARAMS[name]
        assert "stop_early" in algorithms.PARAMS[name]


def test_hook_registers_through_pluggy() -> None:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(plugin, "recpack")
    (runners,) = pm.hook.omnirec_runners()
    assert [r.name for r in runners] == ["RecPack"]


def test_installed_entry_point_and_dependencies() -> None:
    from importlib import metadata

    try:
        dist = metadata.distribution("omnirec-recpack")
    except metadata.PackageNotFoundError:
        pytest.skip("omnirec-recpack is not installed in this environment")
    eps = [ep for ep in dist.entry_points if ep.group == "omnirec"]
    assert [(ep.name, ep.value) for ep in eps] == [("recpack", "omnirec_recpack.plugin")]
    assert dist.requires == ["omnirec-core"]


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


@pytest.mark.parametrize(
    ("key", "value", "default", "ok"),
    [
        ("K", 50, 200, True),
        ("K", 50.0, 200, False),
        ("K", 0, 200, False),
        ("K", True, 200, False),
        ("l2", 10, 1000.0, True),
        ("l2", "big", 1000.0, False),
        ("l2", float("nan"), 1000.0, False),
        ("normalize_X", 1, False, False),
        ("similarity", 3, "cosine", False),
        ("pop_discount", None, None, True),
        ("seed", 0, None, True),
    ],
)
def test_value_checks(key: str, value: object, default: object, ok: bool) -> None:
    assert (worker._check_value(key, value, default) is None) is ok


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
