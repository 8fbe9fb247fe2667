"""Fast tests (no RecBole needed): the RunnerSpec and the config validation."""

from __future__ import annotations

import ast
import importlib.metadata
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from omnirec_recbole import catalog
from omnirec_recbole.plugin import omnirec_runners, runner_spec

from omnirec_core.experiment.spaces import decode_space
from omnirec_core.plugin.specs import NO_DEFAULT, RunnerSpec
from tests.support.declarations import (
    assert_refused_at_validation,
    doc_value,
    docs_row,
    docs_search_spaces,
    space_values,
)

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
        # Every declared default is what the worker fills in, and passes validation.
        assert dict(algo.defaults) == catalog.defaults(model), algo.name
        assert catalog.config_problems(algo.name, dict(algo.defaults)) == [], algo.name
        assert algo.gpu is (not model.closed_form)
        if model.closed_form:
            assert "epochs" not in algo.param_names
        else:
            assert algo.defaults["epochs"] == catalog.TRAINING_DEFAULTS["epochs"]
            assert algo.defaults["valid_metric"] == "NDCG@10"


def test_every_key_is_a_typed_param_with_a_valid_default():
    for algo in runner_spec().algorithms:
        model = catalog.MODELS_BY_NAME[algo.name]
        assert set(algo.param_names) >= set(model.params), algo.name
        for p in algo.declared:
            assert p.type is not None and p.description, (algo.name, p.name)
            assert p.default is not NO_DEFAULT, (algo.name, p.name)
            assert p.problem(p.default) is None, (algo.name, p.name, p.default)
            if isinstance(p.default, (int, float)) and not isinstance(p.default, bool):
                assert p.type in (int, float), (algo.name, p.name)  # a count or a number, typed
        # The declared default is RecBole's yaml value unless we override it (and say so).
        for key, value in model.params.items():
            assert algo.defaults[key] == model.ours.get(key, value), (algo.name, key)
    overridden = {k for k in catalog.TRAINING_DEFAULTS if k in catalog.TRAINING_OVERRIDES}
    assert overridden == {"epochs", "valid_metric", "eval_batch_size"}
    for key, (recbole, _why) in catalog.TRAINING_OVERRIDES.items():
        assert catalog.TRAINING_DEFAULTS[key] != recbole, key


def test_unknown_key_lists_the_valid_keys():
    problems = catalog.config_problems("BPR", {"embeding_size": 32})
    assert len(problems) == 1
    assert "'embeding_size'. Did you mean 'embedding_size'?" in problems[0]
    assert "learning_rate" in problems[0]


def test_training_keys_refused_for_closed_form_models():
    (problem,) = catalog.config_problems("EASE", {"epochs": 5})
    assert "closed form" in problem and "reg_weight" in problem


@pytest.mark.parametrize(
    ("algorithm", "config", "fragment"),
    [
        ("BPR", {"epochs": 0}, "epochs must be an integer ≥ 1, got 0"),
        ("BPR", {"epochs": 2.5}, "epochs must be an integer ≥ 1, got 2.5"),
        ("BPR", {"learning_rate": -1}, "learning_rate must be a number > 0, got -1"),
        ("BPR", {"embedding_size": "big"}, "embedding_size must be an integer ≥ 1, got 'big'"),
        ("ItemKNN", {"knn_method": "items"}, "knn_method must be one of 'item', 'user', got 'items'"),
        ("NeuMF", {"mlp_hidden_size": 64}, "mlp_hidden_size must be a list or tuple, got 64"),
        ("NeuMF", {"mf_train": 1}, "mf_train must be true or false, got 1"),
        ("NeuMF", {"dropout_prob": 1.5}, "dropout_prob must be a number in [0, 1], got 1.5"),
        ("BPR", {"valid_metric": "AUC"}, "NAME@K"),
        ("BPR", {"valid_metric": "RMSE@10"}, "NAME@K"),
        ("BPR", {"learner": "lbfgs"}, "learner must be one of 'adam', 'adamw'"),
        ("BPR", {"train_neg_sample_args": {"distribution": "zipf"}}, "uniform or popularity"),
        ("BPR", {"seed": 1}, "job seed"),
        ("BPR", {"data_path": "/tmp"}, "job directory"),
        ("BPR", {"use_gpu": True}, "device"),
        ("LINE", {"order": 3}, "order must be an integer in [1, 2], got 3"),
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
                "learner": "sgd",
                "train_neg_sample_args": {"distribution": "popularity", "sample_num": 2},
            },
        )
        == []
    )
    assert catalog.config_problems("ItemKNN", {"k": 50, "shrink": 10}) == []
    assert catalog.config_problems("MultiVAE", {"mlp_hidden_size": (300,)}) == []
    assert catalog.config_problems("BPR", {"train_neg_sample_args": None}) == []


TUNED = {"BPR", "LightGCN", "MultiVAE", "NeuMF"}


def test_search_spaces_lie_inside_the_declared_params():
    spec = runner_spec()
    assert {a.name for a in spec.algorithms if a.search_space} == TUNED
    for algo in spec.algorithms:
        for key, table in algo.search_space.items():
            param = algo.param(key)
            assert param is not None, (algo.name, key)
            for value in space_values(table):
                assert param.problem(value) is None, (algo.name, key, value)
        if algo.search_space:
            # Epochs are fixed, not searched, so a tuned run stays short.
            assert len(space_values(algo.search_space["epochs"])) == 1, algo.name


@pytest.fixture(scope="module")
def tiny_implicit():
    """The generated ``synthetic-tiny`` data, ratings >= 3 kept, 80/20 per user."""
    from omnirec_core import MakeImplicit, Pipe, RecSysDataSet, UserHoldout, set_random_state

    set_random_state(7)
    return Pipe(MakeImplicit(3), UserHoldout(0.2)).process(RecSysDataSet.use_dataloader("synthetic-tiny"))


@pytest.mark.parametrize(
    ("name", "config", "message"),
    [
        ("RecBole.BPR", {"learning_rate": "abc"}, "RecBole.BPR: learning_rate must be a number > 0, got 'abc'"),
        ("RecBole.LightGCN", {"n_layers": 0}, "n_layers must be an integer ≥ 1, got 0"),
        ("RecBole.EASE", {"epochs": 5}, "RecBole.EASE does not accept config key(s) 'epochs'"),
        ("RecBole.BPR", {"seed": 5}, "RecBole.BPR does not accept config key(s) 'seed'"),
        ("RecBole.CDAE", {"loss_type": "hinge"}, "loss_type must be one of 'BCE', 'MSE', got 'hinge'"),
        ("RecBole.MultiVAE", {"anneal_cap": -0.1}, "anneal_cap must be a number ≥ 0, got -0.1"),
    ],
)  # fmt: skip
def test_bad_values_are_refused_by_the_coordinators_validation(tiny_implicit, name, config, message):
    assert_refused_at_validation(tiny_implicit, name, config, message)


DOCS = PKG.parents[2] / "docs" / "runners" / "recbole.md"


def test_docs_list_every_algorithm_with_its_declared_keys():
    text = DOCS.read_text()
    for algo in runner_spec().algorithms:
        # The model's own hyperparameters; the training keys have a table of their own.
        own = [p for p in algo.declared if p.name in catalog.MODELS_BY_NAME[algo.name].params]
        row = docs_row(SimpleNamespace(name=algo.name, declared=own))
        assert row in text, f"docs/runners/recbole.md lacks or differs in the row:\n{row}"
    bpr = runner_spec().algorithm("BPR")
    training = [p for p in bpr.declared if p.name in catalog.TRAINING_DEFAULTS]
    assert [p.name for p in training] == list(catalog.TRAINING_DEFAULTS)
    row = docs_row(SimpleNamespace(name="trained models", declared=training))
    assert row in text, f"docs/runners/recbole.md lacks or differs in the row:\n{row}"
    for key, (recbole, _why) in catalog.TRAINING_OVERRIDES.items():
        assert f"| `{key}` | {doc_value(catalog.TRAINING_DEFAULTS[key])} | {doc_value(recbole)} |" in text, (
            key
        )
    declared = {
        (name, key): decode_space(name, table)
        for name, spaces in catalog.SEARCH_SPACES.items()
        for key, table in spaces.items()
    }
    assert docs_search_spaces(text) == declared


def test_plugin_side_imports_nothing_from_the_framework():
    """plugin.py and catalog.py run in the user's env, where RecBole/torch are absent."""
    allowed = {
        "__future__",
        "collections",
        "copy",
        "dataclasses",
        "re",
        "typing",
        "omnirec_core",
        "omnirec_recbole",
    }
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
