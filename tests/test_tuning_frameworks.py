"""Tuning with real frameworks on ML-100K (ratings >= 3, per user 70/10/20): one algorithm
per shipped framework, through the Coordinator and each framework's runner env.

Each test checks that the selected configuration is the trial with the best validation
score, and that the test metrics come from the model the docs name: the selected trial's
own model (``refit=False``: no extra fit) or one trained again on train and validation
(``refit=True``: one extra fit, in a job of its own).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from omnirec_core import NDCG, Coordinator, Evaluator, ExperimentPlan, Recall
from omnirec_core.evaluation.labels import config_json
from omnirec_core.experiment.selection import Selection
from omnirec_core.orchestration.envs.manager import EnvManager
from omnirec_core.orchestration.jobs import FIT_FILE, VALIDATION_FILE

pytestmark = pytest.mark.integration


def tune(
    ckpt: Path, ds: Any, envs: EnvManager, algorithm: str, config: dict[str, Any], **selection: Any
) -> tuple[Evaluator, dict[str, Any]]:
    plan = ExperimentPlan("tuned", selection=Selection(metric="NDCG@10", **selection))
    plan.add_algorithm(algorithm, config)
    ev = Evaluator(NDCG([10]), Recall(10))
    Coordinator(ckpt, env_manager=envs, quiet=True).run(ds, plan, ev)
    (record,) = ckpt.glob("*/*-search-*/search.json")
    return ev, json.loads(record.read_text())


def check_selection(ev: Evaluator, rec: dict[str, Any], ckpt: Path, *, refit: bool) -> None:
    scores = [t["score"] for t in rec["trials"]]
    assert rec["status"] == "done" and None not in scores
    assert scores[rec["best"]] == max(scores)
    res = ev.get_results()
    selected = {**rec["constants"], **rec["trials"][rec["best"]]["config"]}
    assert len(res) == 2 and set(res["config"]) == {config_json(selected)}
    assert res["value"].between(0.01, 1).all(), res
    (tested,) = {p.parent for p in ckpt.rglob("metrics.json")}
    trial_dirs = {ckpt / key for t in rec["trials"] for key in t["jobs"]}
    fits = list(ckpt.rglob(FIT_FILE))
    if refit:
        assert tested not in trial_dirs and not (tested / VALIDATION_FILE).exists()
        assert len(fits) == len(rec["trials"]) + 1
    else:
        best_dir = ckpt / rec["trials"][rec["best"]]["jobs"][0]
        assert tested == best_dir and (tested / VALIDATION_FILE).exists()
        assert len(fits) == len(rec["trials"])  # the selected model was not trained again


def test_lenskit_itemknn_grid(checkpoint_dir: Path, ml100k_implicit: Any, env_manager: EnvManager) -> None:
    ev, rec = tune(
        checkpoint_dir, ml100k_implicit, env_manager, "LensKit.ItemKNNScorer",
        {"max_nbrs": [5, 20, 80]}, budget=3, sampler="grid",
    )  # fmt: skip
    assert sorted(t["config"]["max_nbrs"] for t in rec["trials"]) == [5, 20, 80]
    check_selection(ev, rec, checkpoint_dir, refit=False)


def test_recpack_ease_tpe(checkpoint_dir: Path, ml100k_implicit: Any, env_manager: EnvManager) -> None:
    ev, rec = tune(
        checkpoint_dir, ml100k_implicit, env_manager, "RecPack.EASE",
        {"l2": {"loguniform": [1.0, 10000.0]}}, budget=5, sampler="tpe",
    )  # fmt: skip
    assert len({t["config"]["l2"] for t in rec["trials"]}) == 5
    check_selection(ev, rec, checkpoint_dir, refit=False)


def test_recbole_bpr_random_with_refit(
    checkpoint_dir: Path, ml100k_implicit: Any, env_manager: EnvManager
) -> None:
    ev, rec = tune(
        checkpoint_dir, ml100k_implicit, env_manager, "RecBole.BPR",
        {"learning_rate": {"loguniform": [1e-3, 1e-2]}, "epochs": 2}, budget=2, sampler="random", refit=True,
    )  # fmt: skip
    assert rec["constants"] == {"epochs": 2}
    check_selection(ev, rec, checkpoint_dir, refit=True)
