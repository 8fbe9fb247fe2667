"""Fast tests: the RunnerSpec, the typed config declarations, and the worker's framework-free parts.

implicit itself is not needed: the worker imports it lazily, so config checks, the
exact top-K cut and the popularity baseline run here on hand-made data.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pluggy
import pytest
from omnirec_implicit import plugin
from omnirec_implicit.algorithms import ALGORITHMS

from omnirec_core import NO_DEFAULT
from omnirec_core.plugin import hookspecs
from omnirec_core.runner import ConfigError, FitRequest, Interactions, PredictRequest, UserIndex

worker = pytest.importorskip("omnirec_implicit.worker")

EXPECTED = [
    "AlternatingLeastSquares", "BayesianPersonalizedRanking", "LogisticMatrixFactorization",
    "ItemItemRecommender", "CosineRecommender", "TFIDFRecommender", "BM25Recommender", "Popularity",
]  # fmt: skip


def test_runner_spec_pins_and_worker() -> None:
    spec = plugin.runner_spec()
    assert spec.name == "implicit"
    assert spec.worker_module == "omnirec_implicit.worker"
    assert spec.python == "3.11"
    assert spec.requirements[0] == "implicit==0.7.3"
    assert not any(r.startswith("torch") for r in spec.requirements)  # CPU wheel, no torch
    assert spec.install_self == ("omnirec-core", "omnirec-implicit")


def test_every_algorithm_is_implicit_topk_with_typed_defaults() -> None:
    spec = plugin.runner_spec()
    assert [a.name for a in spec.algorithms] == EXPECTED
    for algo in spec.algorithms:
        assert algo.feedback == ("implicit",), algo.name
        assert algo.predictions == ("topk",), algo.name
        assert algo.params is not None, algo.name
        for p in algo.params:
            assert p.type is not None and p.default is not NO_DEFAULT, (algo.name, p.name)
            assert p.problem(p.default) is None, (algo.name, p.name)  # the default is valid
        assert dict(algo.defaults) == {p.name: p.default for p in algo.params}, algo.name
        # omnirec sets these from the job, so they are never config keys
        assert not {"random_state", "num_threads", "use_gpu"} & set(algo.param_names or ())


DOCS = Path(__file__).resolve().parents[3] / "docs" / "runners" / "implicit.md"


def test_docs_list_every_algorithm_with_its_keys_and_defaults() -> None:
    rows: dict[str, str] = {}
    for line in DOCS.read_text().splitlines():
        if line.startswith("| `"):
            rows.setdefault(line.split("`")[1], line)  # the first table: the algorithm table
    for name, algo in ALGORITHMS.items():
        assert name in rows, name
        for p in algo.params:
            default = repr(p.default) if isinstance(p.default, float) else json.dumps(p.default)
            assert f"`{p.name}={default}`" in rows[name], (name, p.name)


def test_docs_example_plans_are_valid_for_this_runner(tmp_path: Path) -> None:
    from omnirec_core.experiment.runfile import load_run_file

    blocks = [b.split("```")[0] for b in DOCS.read_text().split("```toml\n")[1:]]
    checked = 0
    for i, block in enumerate(blocks):
        (tmp_path / f"{i}.toml").write_text(block)
        plan = load_run_file(tmp_path / f"{i}.toml").plan
        for name in plan.algorithms:
            runner, algorithm = name.split(".", 1)
            if runner == "implicit":
                for config in plan.expand(name):
                    worker.check_config(algorithm, config)  # raises on a bad key or value
                    checked += 1
    assert checked >= 3


def test_hook_registers_through_pluggy() -> None:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(plugin, "implicit")
    (runners,) = pm.hook.omnirec_runners()
    assert [r.name for r in runners] == ["implicit"]


def test_installed_entry_point_and_dependencies() -> None:
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet

    try:
        dist = metadata.distribution("omnirec-implicit")
    except metadata.PackageNotFoundError:
        pytest.skip("omnirec-implicit is not installed in this environment")
    eps = [ep for ep in dist.entry_points if ep.group == "omnirec"]
    assert [(ep.name, ep.value) for ep in eps] == [("implicit", "omnirec_implicit.plugin")]
    # The core, in the range the plugin was written for (and nothing else: frameworks live in runner envs).
    reqs = [Requirement(r) for r in dist.requires or []]
    assert [(r.name, r.specifier) for r in reqs] == [("omnirec-core", SpecifierSet(">=0.1,<0.2"))]


def test_plugin_side_imports_no_framework() -> None:
    code = (
        "import sys, omnirec_implicit.plugin as p; p.runner_spec(); "
        "bad = [m for m in ('implicit', 'scipy', 'threadpoolctl') if m in sys.modules]; "
        "assert not bad, bad"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


# ---- config checks -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("algorithm", "config", "message"),
    [
        (
            "AlternatingLeastSquares",
            {"factor": 64},
            "does not accept config key(s) 'factor'. Valid keys: factors,",
        ),
        ("AlternatingLeastSquares", {"factors": 0}, "factors must be an integer ≥ 1, got 0"),
        ("AlternatingLeastSquares", {"factors": 64.0}, "factors must be an integer ≥ 1, got 64.0"),
        (
            "AlternatingLeastSquares",
            {"regularization": "high"},
            "regularization must be a number ≥ 0, got 'high'",
        ),
        ("AlternatingLeastSquares", {"use_cg": 1}, "use_cg must be true or false, got 1"),
        ("AlternatingLeastSquares", {"dtype": "float16"}, "dtype must be one of 'float32', 'float64'"),
        ("AlternatingLeastSquares", {"random_state": 3}, "does not accept config key(s) 'random_state'"),
        ("BM25Recommender", {"B": 1.5}, "B must be a number in [0, 1], got 1.5"),
        ("CosineRecommender", {"K": -5}, "K must be an integer ≥ 1, got -5"),
        ("Popularity", {"K": 10}, "does not accept config key(s) 'K'. Valid keys: none."),
        ("ALS", {}, "no algorithm 'ALS'. Available: AlternatingLeastSquares,"),
    ],
)
def test_bad_configs_name_the_problem_and_the_valid_keys(algorithm: str, config: dict, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        worker.ImplicitHandler().check_config(algorithm, config)
    assert message in str(err.value)


def test_good_configs_and_defaults_pass() -> None:
    handler = worker.ImplicitHandler()
    for name, algo in ALGORITHMS.items():
        handler.check_config(name, {})
        handler.check_config(name, {p.name: p.default for p in algo.params})
    handler.check_config("AlternatingLeastSquares", {"factors": 64, "alpha": 40, "iterations": 5})
    assert worker.resolved_config("BM25Recommender", {"K": 50}) == {"K": 50, "K1": 1.2, "B": 0.75}


# ---- worker helpers ----------------------------------------------------------------------


def test_interaction_matrix_covers_every_item_and_binarises() -> None:
    data = Interactions(np.array([0, 0, 2, 2]), np.array([1, 1, 3, 0]))
    m = worker.interaction_matrix(data, n_users=4, n_items=7)
    assert m.shape == (4, 7) and m.nnz == 3 and set(m.data) == {1.0}


F = worker.FILTERED


def _cut(ids, scores, users, k, train=None, complete=False):
    exclude = None
    if train is not None:
        exclude = UserIndex(Interactions(np.array(train[0]), np.array(train[1])), max(users) + 1)
    (u, i, s), redo = worker.exact_topk(
        np.array(ids), np.array(scores, dtype=np.float32), np.array(users), k, 10, exclude, complete
    )
    return u.tolist(), i.tolist(), s.tolist(), redo.tolist()


def test_exact_cut_orders_ties_by_item_id_and_asks_again_when_a_tie_reaches_the_cut() -> None:
    # implicit's answer for N=4: ties in descending id order, as its heap leaves them.
    u, i, s, redo = _cut(
        [[5, 7, 3, 1], [4, 9, 8, 2]], [[0.9, 0.5, 0.5, 0.25], [0.75, 0.5, 0.5, 0.5]], [0, 1], 2
    )
    assert (u, i) == ([0, 0], [5, 3])  # 0.5 tie: item 3 before 7
    assert s == pytest.approx([0.9, 0.5])
    # user 1: the 2nd place ties the last returned score, so more items may share it
    assert redo == [1]
    # the same answer counts as complete when it was a full ranking
    u, i, _, redo = _cut([[4, 9, 8, 2]], [[0.75, 0.5, 0.5, 0.5]], [1], 2, complete=True)
    assert (u, i, redo) == ([1, 1], [4, 2], [])


def test_exact_cut_drops_padding_filtered_and_training_items() -> None:
    # item-item models return the user's own items with score 0, and pad with -1 ids.
    ids = [[6, 1, 2, -1], [3, 4, 5, 8]]
    scores = [[0.4, 0.0, 0.0, F], [0.3, 0.2, F, F]]
    u, i, _, redo = _cut(ids, scores, [0, 1], 2, train=([0, 0, 1], [1, 2, 9]))
    assert (u, i) == ([0, 1, 1], [6, 3, 4])
    assert redo == []  # user 0's list was not full (padding), so it is complete
    # a full list that loses items to the exclusion may hide more candidates
    _, i, _, redo = _cut([[6, 1, 2, 7]], [[0.4, 0.3, 0.2, 0.1]], [0], 3, train=([0, 0], [1, 2]))
    assert (i, redo) == ([], [0])


def _requests(tmp_path: Path, **kw: object) -> tuple[FitRequest, PredictRequest]:
    train = Interactions(np.array([0, 0, 1, 1, 2, 2, 2, 3]), np.array([0, 1, 1, 2, 1, 2, 3, 4]))
    common = dict(
        algorithm="Popularity", config={}, seed=1, job_dir=tmp_path / "job", train=train,
        n_users=5, n_items=6, feedback="implicit",
    )  # fmt: skip
    common.update(kw)
    return FitRequest(**common), PredictRequest(**common, k=3, users=np.array([0, 3, 4]))


def test_popularity_ranks_by_training_counts_without_training_items(tmp_path: Path) -> None:
    fit, pred = _requests(tmp_path)
    handler = worker.ImplicitHandler()
    handler.fit(fit)
    assert (tmp_path / "job" / worker.META_FILE).exists()
    out = handler.predict(pred)
    lists = {u: out.item[out.user == u].tolist() for u in (0, 3, 4)}
    # counts: item1=3, item2=2, items 0, 3, 4 once each, item 5 never
    assert lists == {0: [2, 3, 4], 3: [1, 2, 0], 4: [1, 2, 0]}
    assert out.score[out.user == 4].tolist() == [3.0, 2.0, 1.0]


def test_predict_without_a_fitted_model_says_so(tmp_path: Path) -> None:
    _, pred = _requests(tmp_path)
    with pytest.raises(FileNotFoundError, match="no fitted implicit model"):
        worker.ImplicitHandler().predict(pred)


def test_explicit_feedback_and_rating_pairs_are_refused(tmp_path: Path) -> None:
    fit, pred = _requests(tmp_path, feedback="explicit")
    handler = worker.ImplicitHandler()
    with pytest.raises(ConfigError, match=r"implicit feedback only.*MakeImplicit"):
        handler.fit(fit)
    with pytest.raises(ConfigError, match="MakeImplicit"):
        handler.predict(pred)
    assert not (tmp_path / "job").exists()  # refused before anything was written
    _, pred = _requests(tmp_path)
    pred.pairs = Interactions(np.array([0]), np.array([3]))
    with pytest.raises(ConfigError, match="cannot predict ratings"):
        handler.predict(pred)
