"""Reusing prepared data inside a runner changes no number (real frameworks, real Coordinator).

The same plan runs twice on ML-100K: with every job preparing its data from scratch
(``OMNIREC_REUSE_ENTRIES=0``) and with reuse. Metrics, stored top-K lists and scores
must be identical, and the second and later jobs on the split must have reused the
framework's data (RecBole only when its data-relevant config is equal).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from omnirec_core import NDCG, Evaluator, Recall
from omnirec_core.runner.reuse import ENV_ENTRIES

pytestmark = pytest.mark.integration

PLAN = {
    # Two batch sizes: loaders prepared for one must not serve the other.
    "RecBole.BPR": {"epochs": 2, "learning_rate": [0.001, 0.01], "train_batch_size": [1024, 2048]},
    "LensKit.ItemKNNScorer": {"max_nbrs": [10, 30]},
    "RecPack.EASE": {"l2": [100.0, 500.0]},
}


def _run(tmp: Path, name: str, dataset, run_coordinator, monkeypatch: pytest.MonkeyPatch, reuse: bool):
    with monkeypatch.context() as m:
        if not reuse:
            m.setenv(ENV_ENTRIES, "0")  # the runners inherit it
        ckpt = tmp / name
        ev = run_coordinator(ckpt, dataset, PLAN, Evaluator(NDCG([10]), Recall([10])))
    return ckpt, ev.get_results().sort_values(["algorithm", "config", "metric", "k"], ignore_index=True)


def _prepared(ckpt: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for fit in ckpt.rglob("fit.json"):
        algorithm = json.loads((fit.parent / "job.json").read_text())["algorithm"]
        out.setdefault(algorithm, []).append(json.loads(fit.read_text())["info"]["prepared"])
    return out


def test_results_identical_with_and_without_reuse(
    ml100k_implicit, run_coordinator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch, ev_scratch = _run(tmp_path, "scratch", ml100k_implicit, run_coordinator, monkeypatch, False)
    reused, ev_reused = _run(tmp_path, "reused", ml100k_implicit, run_coordinator, monkeypatch, True)
    assert len(ev_scratch) == 2 * 8
    np.testing.assert_array_equal(ev_scratch["value"].to_numpy(), ev_reused["value"].to_numpy())
    assert ev_scratch.drop(columns="value").equals(ev_reused.drop(columns="value"))
    # The stored lists themselves, job by job (job directories are content-keyed).
    lists = sorted(scratch.rglob("predictions/topk"))
    assert len(lists) == 8
    for topk in lists:
        twin = reused / topk.relative_to(scratch)
        for column in ("user", "item", "score"):
            np.testing.assert_array_equal(np.load(topk / f"{column}.npy"), np.load(twin / f"{column}.npy"))

    assert {a: sorted(v) for a, v in _prepared(scratch).items()} == {
        "RecBole.BPR": ["built, not kept"] * 4,
        "LensKit.ItemKNNScorer": ["built, not kept"] * 2,
        "RecPack.EASE": ["built, not kept"] * 2,
    }
    assert {a: sorted(v) for a, v in _prepared(reused).items()} == {
        "RecBole.BPR": ["built", "built", "reused", "reused"],  # one build per batch size
        "LensKit.ItemKNNScorer": ["built", "reused"],
        "RecPack.EASE": ["built", "reused"],
    }
