"""Every LensKit scorer through the full Coordinator on ML-100K (implicit and explicit).

Real runner env (built once per test run, shared cache), real protocol, central evaluation.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from omnirec_lenskit.algorithms import ALGORITHMS

from omnirec_core import MAE, NDCG, RMSE, Evaluator, Recall

pytestmark = pytest.mark.integration

FAST = {"FlexMFImplicitScorer": {"epochs": 3}, "FlexMFExplicitScorer": {"epochs": 3}}


def _configs(feedback: str) -> dict[str, dict]:
    return {
        f"LensKit.{name}": FAST.get(name, {})
        for name, algo in ALGORITHMS.items()
        if feedback in algo.feedback
    }


def test_implicit_scorers_through_the_coordinator(ml100k_implicit, run_coordinator, tmp_path: Path) -> None:
    algos = _configs("implicit")
    algos["LensKit.EASEScorer"] = {"regularization": 250.0}
    ev = run_coordinator(tmp_path / "ck", ml100k_implicit, algos, Evaluator(NDCG([10]), Recall([10])))
    res = ev.get_results()
    ndcg = res[res.metric == "NDCG"].set_index("algorithm")["value"]
    assert set(ndcg.index) == set(algos), f"missing: {set(algos) - set(ndcg.index)}"
    for name in ("ItemKNNScorer", "UserKNNScorer", "EASEScorer", "ImplicitMFScorer"):
        assert ndcg[f"LensKit.{name}"] > ndcg["LensKit.PopScorer"], name
    versions = {
        json.loads(p.read_text())["versions"]["framework_version"]
        for p in (tmp_path / "ck").rglob("job.json")
    }
    assert versions == {"2025.8.1"}


def test_explicit_scorers_rmse_through_the_coordinator(
    ml100k_explicit, run_coordinator, tmp_path: Path
) -> None:
    algos = {
        name: cfg
        for name, cfg in _configs("explicit").items()
        if "rating" in ALGORITHMS[name.split(".")[1]].predictions
    }
    ev = run_coordinator(tmp_path / "ck", ml100k_explicit, algos, Evaluator(RMSE(), MAE(), NDCG([10])))
    res = ev.get_results()
    rmse = res[res.metric == "RMSE"].set_index("algorithm")["value"]
    assert set(rmse.index) == set(algos)
    assert rmse["LensKit.BiasedMFScorer"] < rmse["LensKit.BiasScorer"]
    assert rmse["LensKit.FunkSVDScorer"] < rmse["LensKit.BiasScorer"]
    assert (rmse > 0.5).all() and (rmse < 1.5).all()
