"""Fast tests: the RunnerSpec, the typed config declarations and the worker's config checks.

Cornac itself is not needed: the worker imports it lazily.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pluggy
import pytest
from omnirec_cornac import plugin
from omnirec_cornac.algorithms import LEFT_OUT, MODELS

from omnirec_core import NO_DEFAULT
from omnirec_core.plugin import hookspecs
from omnirec_core.runner import ConfigError, FitRequest, Interactions, PredictRequest

worker = pytest.importorskip("omnirec_cornac.worker")

RATING_MODELS = {"GlobalAvg", "BaselineOnly", "ItemKNN", "UserKNN", "MF", "PMF", "SVD", "NMF"}


def test_runner_spec_pins_and_worker() -> None:
    spec = plugin.runner_spec()
    assert spec.name == "Cornac"
    assert spec.worker_module == "omnirec_cornac.worker"
    assert spec.python == "3.11"
    assert spec.requirements[:3] == ("cornac==3.0.1", "torch==2.13.0", "tensorflow-cpu==2.21.0")
    assert spec.install_self == ("omnirec-core", "omnirec-cornac")


def test_every_model_declares_typed_params_with_defaults() -> None:
    spec = plugin.runner_spec()
    assert [a.name for a in spec.algorithms] == list(MODELS)
    assert len(MODELS) == 24
    for algo in spec.algorithms:
        assert algo.params is not None, algo.name
        for p in algo.params:
            assert p.type is not None and p.default is not NO_DEFAULT, (algo.name, p.name)
            assert p.problem(p.default) is None, (algo.name, p.name)  # the default is valid
        assert dict(algo.defaults) == {p.name: p.default for p in algo.params}, algo.name
        # omnirec sets these from the job, so they are never config keys
        assert not {"seed", "num_threads", "verbose", "use_gpu", "name"} & set(algo.param_names or ())


def test_rating_models_are_explicit_and_predict_ratings() -> None:
    for algo in plugin.runner_spec().algorithms:
        assert ("rating" in algo.predictions) == (algo.name in RATING_MODELS), algo.name
        if algo.name in RATING_MODELS:
            assert algo.feedback == ("explicit",), algo.name
    assert MODELS["GlobalAvg"].predictions == ("rating",)  # a constant ranks nothing


def test_left_out_models_are_not_offered() -> None:
    offered = set(MODELS)
    for names in LEFT_OUT:
        assert not offered & set(names.split(", ")), names


DOCS = Path(__file__).resolve().parents[3] / "docs" / "runners" / "cornac.md"


def test_docs_list_every_algorithm_with_its_keys_and_defaults() -> None:
    rows: dict[str, str] = {}
    for line in DOCS.read_text().splitlines():
        if line.startswith("| `"):
            rows.setdefault(line.split("`")[1], line)  # the first table: the algorithm table
    for name, algo in MODELS.items():
        assert name in rows, name
        for p in algo.params:
            default = repr(p.default) if isinstance(p.default, float) else json.dumps(p.default)
            assert f"`{p.name}={default}`" in rows[name], (name, p.name)
    for names in LEFT_OUT:  # and every model left out, with its reason
        for name in names.split(", "):
            assert f"`{name}`" in DOCS.read_text(), name


def test_docs_example_plans_are_valid_for_this_runner(tmp_path: Path) -> None:
    from omnirec_core.experiment.runfile import load_run_file

    blocks = [b.split("```")[0] for b in DOCS.read_text().split("```toml\n")[1:]]
    checked = 0
    for i, block in enumerate(blocks):
        (tmp_path / f"{i}.toml").write_text(block)
        plan = load_run_file(tmp_path / f"{i}.toml").plan
        for name in plan.algorithms:
            runner, algorithm = name.split(".", 1)
            if runner == "Cornac":
                for config in plan.expand(name):
                    worker.check_config(algorithm, config)  # raises on a bad key or value
                    checked += 1
    assert checked >= 3


def test_hook_registers_through_pluggy() -> None:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(plugin, "cornac")
    (runners,) = pm.hook.omnirec_runners()
    assert [r.name for r in runners] == ["Cornac"]


def test_installed_entry_point_and_dependencies() -> None:
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet

    try:
        dist = metadata.distribution("omnirec-cornac")
    except metadata.PackageNotFoundError:
        pytest.skip("omnirec-cornac is not installed in this environment")
    eps = [ep for ep in dist.entry_points if ep.group == "omnirec"]
    assert [(ep.name, ep.value) for ep in eps] == [("cornac", "omnirec_cornac.plugin")]
    # The core, in the range the plugin was written for (and nothing else: frameworks live in runner envs).
    reqs = [Requirement(r) for r in dist.requires or []]
    assert [(r.name, r.specifier) for r in reqs] == [("omnirec-core", SpecifierSet(">=0.1,<0.2"))]


def test_plugin_side_imports_no_framework() -> None:
    code = (
        "import sys, omnirec_cornac.plugin as p; p.runner_spec(); "
        "bad = [m for m in ('cornac', 'torch', 'tensorflow', 'scipy') if m in sys.modules]; "
        "assert not bad, bad"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    ("algorithm", "config", "message"),
    [
        ("EASE", {"lambda": 100.0}, "does not accept config key(s) 'lambda'. Valid keys: lamb, posB."),
        ("EASE", {"lamb": -1.0}, "lamb must be a number ≥ 0, got -1.0"),
        ("BPR", {"k": 2.5}, "k must be an integer ≥ 1, got 2.5"),
        ("BPR", {"seed": 3}, "does not accept config key(s) 'seed'"),
        (
            "ItemKNN",
            {"similarity": "jaccard"},
            "similarity must be one of 'cosine', 'pearson', got 'jaccard'",
        ),
        ("ItemKNN", {"weighting": "tfidf"}, "weighting must be one of 'idf', 'bm25' (or null)"),
        ("PMF", {"gamma": 1.5}, "gamma must be a number in [0, 1], got 1.5"),
        ("VAECF", {"autoencoder_structure": 20}, "autoencoder_structure must be a list, got 20"),
        ("VAECF", {"autoencoder_structure": [20, 0]}, "must be a non-empty list of positive integers"),
        ("NeuMF", {"early_stopping": {"patience": 5, "delta": 0.1}}, "takes only min_delta and patience"),
        ("NeuMF", {"early_stopping": {"patience": -1}}, "patience must be an integer >= 0, got -1"),
        ("MLP", {"backend": "tensorflow"}, "does not accept config key(s) 'backend'"),
        ("LightGCN", {}, "Cornac.LightGCN is not offered by omnirec's Cornac runner: needs DGL"),
        ("CTR", {}, "need item texts (side information)"),
        ("Bogus", {}, "no algorithm 'Bogus'. Available: MostPop, GlobalAvg,"),
    ],
)
def test_bad_configs_name_the_problem_and_the_valid_keys(algorithm: str, config: dict, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        worker.CornacHandler().check_config(algorithm, config)
    assert message in str(err.value)


def test_good_configs_and_defaults_pass() -> None:
    handler = worker.CornacHandler()
    for name, model in MODELS.items():
        handler.check_config(name, {})
        handler.check_config(name, {p.name: p.default for p in model.params})
    handler.check_config("NeuMF", {"layers": [32, 16], "early_stopping": {"min_delta": 0.0, "patience": 3}})
    handler.check_config("ItemKNN", {"weighting": None, "similarity": "pearson"})
    assert worker.resolved_config("EASE", {"posB": False}) == {"lamb": 500.0, "posB": False}


def _request(tmp_path: Path, algorithm: str, feedback: str, **kw: object) -> FitRequest:
    train = Interactions(np.array([0, 1, 2]), np.array([0, 1, 1]), rating=np.array([4.0, 2.0, 5.0]))
    return FitRequest(
        algorithm=algorithm, config={}, seed=1, job_dir=tmp_path / "job", train=train,
        n_users=3, n_items=2, feedback=feedback, **kw,
    )  # fmt: skip


def test_wrong_feedback_is_refused_with_the_fix(tmp_path: Path) -> None:
    handler = worker.CornacHandler()
    with pytest.raises(ConfigError, match=r"implicit feedback only.*MakeImplicit"):
        handler.fit(_request(tmp_path, "BPR", "explicit"))
    with pytest.raises(ConfigError, match=r"explicit feedback only.*no MakeImplicit step"):
        handler.fit(_request(tmp_path, "MF", "implicit"))
    assert not (tmp_path / "job").exists()  # refused before anything was written


def test_fit_time_checks_need_the_data(tmp_path: Path) -> None:
    handler = worker.CornacHandler()
    req = _request(tmp_path, "NeuMF", "implicit")
    req.config = {"early_stopping": {"patience": 2}}
    with pytest.raises(ConfigError, match="early_stopping needs a validation part"):
        handler.fit(req)
    with pytest.raises(ConfigError, match="RecVAE needs at least 101 items"):
        handler.fit(_request(tmp_path, "RecVAE", "implicit"))


def test_ranking_only_models_refuse_rating_pairs(tmp_path: Path) -> None:
    fields = {k: v for k, v in vars(_request(tmp_path, "EASE", "implicit")).items() if k != "val"}
    with pytest.raises(ConfigError, match="cannot predict ratings"):
        worker.CornacHandler().predict(
            PredictRequest(**fields, pairs=Interactions(np.array([0]), np.array([1])))
        )
