"""The worker inside the real Cornac env: declarations vs Cornac, config checks, seeds.

Data: the tiny generated splits the Coordinator writes (a checkpoint's ``splits/fold_0``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from omnirec_cornac.algorithms import MANAGED, MODELS, NOT_EXPOSED

from omnirec_core import MAE, NDCG, RMSE, Evaluator

pytestmark = pytest.mark.integration


def _split(data: Any, algorithm: str, evaluator: Any, run_coordinator: Any, ckpt: Path) -> Path:
    run_coordinator(ckpt, data, {algorithm: {}}, evaluator)
    (split,) = ckpt.glob("*/splits/fold_0")
    return split


@pytest.fixture(scope="module")
def tiny_splits(tiny_implicit, tiny_explicit, run_coordinator, tmp_path_factory) -> dict[str, Path]:
    """The tiny splits as the Coordinator writes them (one cheap model each)."""
    tmp = tmp_path_factory.mktemp("cornac-tiny")
    return {
        "implicit": _split(
            tiny_implicit, "Cornac.MostPop", Evaluator(NDCG([10])), run_coordinator, tmp / "i"
        ),
        "explicit": _split(
            tiny_explicit, "Cornac.GlobalAvg", Evaluator(RMSE(), MAE()), run_coordinator, tmp / "e"
        ),
    }


def test_declared_params_and_defaults_are_cornacs_own(in_env, tmp_path: Path) -> None:
    in_env("signatures", tmp_path)
    sigs = json.loads((tmp_path / "signatures.json").read_text())
    assert set(sigs) == set(MODELS)
    for algo, params in sigs.items():
        model = MODELS[algo]
        declared = {p.name: p.default for p in model.params}
        not_config = (set(MANAGED) | set(NOT_EXPOSED) | set(model.fixed)) & set(params)
        assert set(params) - not_config == set(declared), algo
        assert {k: params[k] for k in declared} == declared, algo


def test_bad_configs_fail_before_training_with_the_fix(in_env, tiny_splits, tmp_path: Path) -> None:
    entries = [
        ["EASE", {"lamb": 100.0, "posB": False}, "fit"],
        ["EASE", {"lamb": "big"}, "fit"],
        ["NeuMF", {"num_epochs": 1, "early_stopping": {"patience": 2}}, "fit"],
        ["VAECF", {"likelihood": "poisson"}, "fit"],
        ["MF", {"backend": "tensorflow"}, "check"],
        ["NGCF", {}, "check"],
    ]
    (tmp_path / "configs.json").write_text(json.dumps(entries))
    in_env("check", tiny_splits["implicit"], tmp_path)
    v = json.loads((tmp_path / "verdicts.json").read_text())
    assert v[0]["ok"] and v[0]["wrote"]
    assert not any(x["ok"] for x in v[1:])
    assert not any(x["wrote"] for x in v[1:])  # refused before the job dir was touched
    assert "lamb must be a number ≥ 0, got 'big'" in v[1]["error"]
    assert "early_stopping needs a validation part" in v[2]["error"]
    assert "likelihood must be one of 'mult', 'bern', 'gaus', 'pois', got 'poisson'" in v[3]["error"]
    assert "backend must be one of 'cpu', 'pytorch'" in v[4]["error"]
    assert "not offered" in v[5]["error"] and "DGL" in v[5]["error"]


#: One model per way of drawing random numbers: Cython SGD, Poisson/variational updates,
#: TensorFlow, torch with Cornac's seed, torch with only the global seed (IBPR), ratings.
REPRO = {
    "implicit": ["BPR", "HPF", "WMF", "VAECF", "RecVAE", "NeuMF", "IBPR"],
    "explicit": ["MF", "PMF"],
}


def test_seeds_make_models_reproducible(in_env, tiny_splits, tmp_path: Path) -> None:
    repro = {}
    for feedback, algos in REPRO.items():
        in_env("repro", tiny_splits[feedback], tmp_path, *algos)
        repro.update(json.loads((tmp_path / "repro.json").read_text()))
    print(json.dumps(repro, indent=1))
    for algo, r in repro.items():
        assert r["same_seed_1_thread"] and r["same_seed_2_threads"], algo
        assert r["other_seed_differs"], algo
