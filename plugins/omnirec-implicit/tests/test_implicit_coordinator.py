"""implicit through the full Coordinator: every algorithm on ML-100K and on a tiny split.

Real runner env (shared test cache), real protocol, central evaluation. The lists the
Coordinator stored are then checked inside the env against implicit's own ``recommend``
on the saved models, and predicted again in a fresh process from the saved models alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from omnirec_implicit.algorithms import ALGORITHMS

from omnirec_core import NDCG, Evaluator, Recall

pytestmark = pytest.mark.integration

EVERY = {f"implicit.{name}": {} for name in ALGORITHMS}


def _ndcg(ev: Any) -> dict[str, float]:
    res = ev.get_results()
    return res[res.metric == "NDCG"].set_index("algorithm")["value"].to_dict()


@pytest.fixture(scope="module")
def ml100k_run(ml100k_implicit, run_coordinator, tmp_path_factory) -> tuple[Path, dict[str, float]]:
    """Every algorithm with implicit's defaults on the shared ML-100K split (about 20 s)."""
    ckpt = tmp_path_factory.mktemp("implicit-ml100k") / "ck"
    ev = run_coordinator(ckpt, ml100k_implicit, EVERY, Evaluator(NDCG([10]), Recall([10])))
    return ckpt, _ndcg(ev)


def test_every_algorithm_runs_and_als_clearly_beats_popularity(ml100k_run) -> None:
    ckpt, ndcg = ml100k_run
    print("NDCG@10:", json.dumps({a: round(v, 4) for a, v in ndcg.items()}, indent=1))
    assert set(ndcg) == set(EVERY)
    pop = ndcg["implicit.Popularity"]
    assert ndcg["implicit.AlternatingLeastSquares"] > 1.2 * pop
    for name in ("BayesianPersonalizedRanking", "CosineRecommender", "BM25Recommender"):
        assert ndcg[f"implicit.{name}"] > pop, name
    for job in ckpt.rglob("job.json"):
        rec = json.loads(job.read_text())
        assert rec["status"] == "done" and rec["versions"]["framework_version"] == "0.7.3"


def test_stored_lists_equal_implicits_own_recommend(ml100k_run, in_env, tmp_path: Path) -> None:
    ckpt, _ = ml100k_run
    in_env("crosscheck", ckpt, tmp_path, 300)
    checks = json.loads((tmp_path / "crosscheck.json").read_text())
    print(
        json.dumps({a: {k: v for k, v in c.items() if k != "examples"} for a, c in checks.items()}, indent=1)
    )
    assert set(checks) == {name for name, a in ALGORITHMS.items() if a.cls is not None}
    for algo, c in checks.items():
        assert c["mismatch"] == 0, (algo, c["examples"])
        assert c["identical"] + c["tie_order"] == c["users"] == 300, algo
        assert c["identical"] >= 0.9 * c["users"], algo  # ties are the exception, not the rule


def test_predict_in_a_fresh_process_uses_the_saved_model(ml100k_run, in_env, tmp_path: Path) -> None:
    ckpt, _ = ml100k_run
    models = {p: p.stat().st_mtime_ns for p in ckpt.rglob("model/implicit-model.*")}
    in_env("restart", ckpt, tmp_path)
    assert {p: p.stat().st_mtime_ns for p in ckpt.rglob("model/implicit-model.*")} == models  # no refit
    for job in ckpt.rglob("job.json"):
        algo = json.loads(job.read_text())["algorithm"].split(".", 1)[1]
        stored = job.parent / "predictions" / "topk"
        for col in ("user", "item", "score"):
            np.testing.assert_array_equal(
                np.load(tmp_path / algo / f"{col}.npy"),
                np.load(stored / f"{col}.npy"),
                err_msg=f"{algo} {col}",
            )


def test_every_algorithm_on_a_tiny_split(tiny_implicit, run_coordinator, in_env, tmp_path: Path) -> None:
    """Smoke run of every algorithm on 98 users x 196 items, where ties at the cut are common."""
    ckpt = tmp_path / "ck"
    ev = run_coordinator(ckpt, tiny_implicit, EVERY, Evaluator(NDCG([10])))
    assert set(_ndcg(ev)) == set(EVERY)
    in_env("crosscheck", ckpt, tmp_path, 1000)  # every test user
    checks = json.loads((tmp_path / "crosscheck.json").read_text())
    assert len(checks) == len(EVERY) - 1  # all but omnirec's own Popularity
    for algo, c in checks.items():
        assert c["mismatch"] == 0, (algo, c["examples"])


def test_a_bad_value_is_one_clear_message(ml100k_implicit, run_coordinator, tmp_path: Path) -> None:
    plan = {"implicit.AlternatingLeastSquares": {"factors": -1}}
    try:  # rejected at plan validation by the typed params, or by the worker before training
        run_coordinator(tmp_path / "ck", ml100k_implicit, plan, Evaluator(NDCG([10])))
        (job,) = (json.loads(p.read_text()) for p in (tmp_path / "ck").rglob("job.json"))
        assert job["status"] == "failed"
        message = job["error"]
    except SystemExit as exc:
        message = str(exc)
    assert "factors must be an integer ≥ 1, got -1" in message
    assert "Traceback" not in message
    assert not list((tmp_path / "ck").rglob("implicit-model.npz"))


def test_explicit_data_is_rejected_at_validation(ml100k_explicit, run_coordinator, tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="MakeImplicit"):
        run_coordinator(
            tmp_path / "ck", ml100k_explicit, {"implicit.BM25Recommender": {}}, Evaluator(NDCG([10]))
        )
