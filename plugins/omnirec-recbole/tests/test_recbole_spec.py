"""Fast tests (no RecBole needed): the RunnerSpec and the config validation."""

from __future__ import annotations

import ast
import importlib.metadata
from pathlib import Path

import pytest
from omnirec_recbole import catalog
from omnirec_recbole.plugin import omnirec_runners, runner_spec

from omnirec_core.plugin.specs import RunnerSpec

PKG = Path(catalog.__file__).parent

BRIEF_MODELS = (
    "Pop",
    "ItemKNN",
    "BPR",
    "NeuMF",
    "DMF",
    "FISM",
    "NAIS",
    "SpectralCF",
    "GCMC",
    "NGCF",
    "LightGCN",
    "DGCF",
    "LINE",
    "MultiVAE",
    "MultiDAE",
    "MacridVAE",
    "CDAE",
    "ENMF",
    "NNCF",
    "RecVAE",
    "EASE",
    "SLIMElastic",
    "SGL",
    "ADMMSLIM",
    "NCEPLRec",
    "SimpleX",
    "NCL",
    "Random",
    "DiffRec",
    "LDiffRec",
)


def test_hook_returns_one_runner_spec():
    specs = omnirec_runners()
    assert len(specs) == 1 and isinstance(specs[0], RunnerSpec)
    spec = specs[0]
    assert spec.name == "RecBole"
    assert spec.worker_module == "omnirec_recbole.worker"
    assert spec.python == "3.11"
    assert spec.install_self == ("omnirec-core", "omnirec-recbole")


def test_requirements_are_exact_pins_with_the_known_constraints():
    reqs = dict(r.split("==") for r in runner_spec().requirements)
    assert reqs["recbole"] == "1.2.1"
    assert reqs["torch"] == "2.13.0"  # unpinned torch pulls a multi-GB CUDA build
    assert int(reqs["numpy"].split(".")[0]) < 2
    assert tuple(map(int, reqs["scipy"].split(".")[:2])) < (1, 13)
    assert int(reqs["pandas"].split(".")[0]) < 3
    assert int(reqs["setuptools"].split(".")[0]) < 82
    assert "faiss-cpu" in reqs


def test_every_general_model_of_the_brief_is_declared_once():
    names = [a.name for a in runner_spec().algorithms]
    assert sorted(names) == sorted(BRIEF_MODELS)
    assert len(set(names)) == len(names)


def test_algorithm_specs_are_consistent():
    for algo in runner_spec().algorithms:
        model = catalog.MODELS_BY_NAME[algo.name]
        assert algo.predictions == ("topk",)
        assert set(algo.feedback) == {"implicit", "explicit"}
        assert algo.param_names is not None and set(algo.defaults) <= set(algo.param_names), algo.name
        # Defaults pass the runner's own validation.
        assert catalog.config_problems(algo.name, dict(algo.defaults)) == [], algo.name
        assert algo.gpu is (not model.closed_form)
        if model.closed_form:
            assert "epochs" not in algo.param_names
        else:
            assert algo.defaults["epochs"] == catalog.TRAINING_DEFAULTS["epochs"]
            assert algo.defaults["valid_metric"] == "NDCG@10"


def test_unknown_key_lists_the_valid_keys():
    problems = catalog.config_problems("BPR", {"embeding_size": 32})
    assert len(problems) == 1
    assert "embeding_size" in problems[0] and "embedding_size" in problems[0]
    assert "learning_rate" in problems[0]


def test_training_keys_refused_for_closed_form_models():
    (problem,) = catalog.config_problems("EASE", {"epochs": 5})
    assert "closed form" in problem and "reg_weight" in problem


@pytest.mark.parametrize(
    ("algorithm", "config", "fragment"),
    [
        ("BPR", {"epochs": 0}, "positive integer"),
        ("BPR", {"epochs": 2.5}, "positive integer"),
        ("BPR", {"learning_rate": -1}, "positive number"),
        ("BPR", {"embedding_size": "big"}, "must be a number"),
        ("ItemKNN", {"knn_method": "items"}, "one of item, user"),
        ("NeuMF", {"mlp_hidden_size": 64}, "must be a list"),
        ("NeuMF", {"mf_train": 1}, "true or false"),
        ("BPR", {"valid_metric": "AUC"}, "NAME@K"),
        ("BPR", {"valid_metric": "RMSE@10"}, "NAME@K"),
        ("BPR", {"learner": "lbfgs"}, "learner must be one of"),
        ("BPR", {"seed": 1}, "job seed"),
        ("BPR", {"data_path": "/tmp"}, "job directory"),
        ("BPR", {"use_gpu": True}, "device"),
        ("Nope", {}, "unknown RecBole algorithm"),
    ],
)
def test_bad_values_are_refused(algorithm, config, fragment):
    problems = catalog.config_problems(algorithm, config)
    assert problems and fragment in problems[0], problems


def test_good_overrides_pass():
    assert (
        catalog.config_problems(
            "BPR",
            {
                "epochs": 3,
                "learning_rate": 0.01,
                "valid_metric": "recall@20",
                "learner": "SGD",
                "train_neg_sample_args": {"distribution": "popularity", "sample_num": 2},
            },
        )
        == []
    )
    assert catalog.config_problems("ItemKNN", {"k": 50, "shrink": 10}) == []
    assert catalog.config_problems("MultiVAE", {"mlp_hidden_size": (300,)}) == []


def test_plugin_side_imports_nothing_from_the_framework():
    """plugin.py and catalog.py run in the user's env, where RecBole/torch are absent."""
    allowed = {"__future__", "collections", "dataclasses", "re", "typing", "omnirec_core", "omnirec_recbole"}
    for name in ("plugin.py", "catalog.py"):
        tree = ast.parse((PKG / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                mods = [node.module or ""]
            else:
                continue
            for mod in mods:
                assert mod.split(".")[0] in allowed, f"{name} imports {mod}"


def test_entry_point_is_declared():
    text = (PKG.parent / "pyproject.toml").read_text()
    assert '[project.entry-points.omnirec]\nrecbole = "omnirec_recbole.plugin"' in text
    assert 'dependencies = ["omnirec-core>=0.1,<0.2"]' in text
    try:
        eps = importlib.metadata.entry_points(group="omnirec")
    except Exception:  # pragma: no cover
        pytest.skip("entry points unavailable")
    found = [ep for ep in eps if ep.name == "recbole"]
    if not found:
        pytest.skip("omnirec-recbole is not installed in this environment")
    assert found[0].value == "omnirec_recbole.plugin"
