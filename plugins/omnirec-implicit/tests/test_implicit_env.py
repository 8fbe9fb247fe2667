"""The worker inside the real implicit env: declarations vs implicit, config checks, seeds.

Data: the tiny generated split the Coordinator writes (a checkpoint's ``splits/fold_0``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from omnirec_implicit.algorithms import ALGORITHMS

from omnirec_core import NDCG, Evaluator

pytestmark = pytest.mark.integration

#: Constructor arguments omnirec sets from the job instead of the config.
SET_BY_OMNIREC = {"num_threads", "random_state"}


@pytest.fixture(scope="module")
def tiny_split(tiny_implicit, run_coordinator, tmp_path_factory) -> Path:
    """The split files of the tiny data, as the Coordinator writes them (Popularity only)."""
    ckpt = tmp_path_factory.mktemp("implicit-tiny") / "ck"
    run_coordinator(ckpt, tiny_implicit, {"implicit.Popularity": {}}, Evaluator(NDCG([10])))
    (split,) = ckpt.glob("*/splits/fold_0")
    return split


def test_declared_params_and_defaults_are_implicits_own(in_env, tmp_path: Path) -> None:
    in_env("signatures", tmp_path)
    sigs = json.loads((tmp_path / "signatures.json").read_text())
    assert set(sigs) == {name for name, a in ALGORITHMS.items() if a.cls is not None}
    for algo, params in sigs.items():
        declared = {p.name: p.default for p in ALGORITHMS[algo].params}
        assert set(params) - SET_BY_OMNIREC == set(declared), algo
        assert {k: params[k] for k in declared} == declared, algo
        assert ("random_state" in params) == ALGORITHMS[algo].seeded, algo


def test_bad_configs_fail_before_training_with_the_fix(in_env, tiny_split: Path, tmp_path: Path) -> None:
    entries = [
        ["AlternatingLeastSquares", {"factors": 16, "iterations": 2}, "fit"],
        ["AlternatingLeastSquares", {"factors": "many"}, "fit"],
        ["BayesianPersonalizedRanking", {"learning_rate": -0.1}, "fit"],
        ["BM25Recommender", {"K1": 1.2, "k1": 2.0}, "fit"],
        ["LogisticMatrixFactorization", {"neg_prop": 2.5}, "check"],
        ["implicit.ALS", {}, "check"],
    ]
    (tmp_path / "configs.json").write_text(json.dumps(entries))
    in_env("check", tiny_split, tmp_path)
    v = json.loads((tmp_path / "verdicts.json").read_text())
    assert v[0]["ok"] and v[0]["wrote"]
    assert not any(x["ok"] for x in v[1:])
    assert not any(x["wrote"] for x in v[1:])  # refused before the job dir was touched
    assert "factors must be an integer ≥ 1, got 'many'" in v[1]["error"]
    assert "learning_rate must be a number > 0, got -0.1" in v[2]["error"]
    assert "'k1'" in v[3]["error"] and "Valid keys: K, K1, B." in v[3]["error"]
    assert "neg_prop must be an integer ≥ 0, got 2.5" in v[4]["error"]
    assert "Available: AlternatingLeastSquares" in v[5]["error"]


def test_ties_at_the_cut_are_broken_by_item_id(in_env, tmp_path: Path) -> None:
    in_env("ties", tmp_path)
    ties = json.loads((tmp_path / "ties.json").read_text())
    worker, implicit = ties["worker"], ties["implicit"]
    assert implicit["scores"] == [1.0] * 10 and worker["scores"] == [1.0] * 10
    # implicit keeps whichever tied items its heap kept, in its own order; the worker asked
    # for 20, saw the tie reach past them, asked again in full and kept the lowest ids.
    assert implicit["items"] != list(range(1, 11))
    assert worker["items"] == list(range(1, 11))
    assert worker["info"]["implicit_full_lists"] == 1


def test_seeds_make_models_reproducible(in_env, tiny_split: Path, tmp_path: Path) -> None:
    in_env("repro", tiny_split, tmp_path)
    repro = json.loads((tmp_path / "repro.json").read_text())
    print(json.dumps(repro, indent=1))
    assert set(repro) == {name for name, a in ALGORITHMS.items() if a.seeded}
    for algo, r in repro.items():
        assert r["same_seed_1_thread"], algo
        assert r["other_seed_differs"], algo
    # ALS solves each user and item independently: bit-identical with several threads too.
    # BPR and LMF (lock-free parallel SGD) are declared not to be; docs/runners/implicit.md.
    assert repro["AlternatingLeastSquares"]["same_seed_2_threads"]
    assert ALGORITHMS["AlternatingLeastSquares"].thread_reproducible
