"""Every RecPack algorithm through the full Coordinator on ML-100K made implicit.

Real runner env (built once per test run, shared cache), real protocol and central
evaluation. Epochs/iterations of the slow models are cut so the run fits CI.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from omnirec_recpack.algorithms import PARAMS

from omnirec_core import HR, NDCG, Evaluator, Recall

pytestmark = pytest.mark.integration

FAST = {
    "WeightedMatrixFactorization": {"iterations": 3},
    "BPRMF": {"max_epochs": 5},
    "MultVAE": {"max_epochs": 5},
    "RecVAE": {"max_epochs": 3},
}


def test_every_algorithm_through_the_coordinator(ml100k_implicit, run_coordinator, tmp_path: Path) -> None:
    algos = {f"RecPack.{name}": FAST.get(name, {}) for name in PARAMS}
    ev = run_coordinator(
        tmp_path / "ck", ml100k_implicit, algos, Evaluator(NDCG([10]), Recall([10]), HR([10]))
    )
    res = ev.get_results()
    ndcg = res[res.metric == "NDCG"].set_index("algorithm")["value"]
    assert set(ndcg.index) == set(algos), f"missing: {set(algos) - set(ndcg.index)}"
    for name in ("ItemKNN", "EASE", "SLIM"):
        assert ndcg[f"RecPack.{name}"] > ndcg["RecPack.Popularity"], name
    assert ndcg["RecPack.Random"] < ndcg["RecPack.Popularity"]
    for job in (tmp_path / "ck").rglob("job.json"):
        rec = json.loads(job.read_text())
        assert rec["status"] == "done"
        assert rec["versions"]["framework_version"].startswith("0.3.6")


def test_explicit_data_is_rejected_at_validation(ml100k_explicit, run_coordinator, tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="MakeImplicit"):
        run_coordinator(tmp_path / "ck", ml100k_explicit, {"RecPack.EASE": {}}, Evaluator(NDCG([10])))
