"""With a validation part, test lists leave out each user's training *and* validation
items, for every runner alike (the SDK removes validation items)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from support import experiment

from omnirec_core import (
    NDCG,
    CorePruning,
    Evaluator,
    ExperimentPlan,
    MakeImplicit,
    Pipe,
    RecSysDataSet,
    UserHoldout,
)
from omnirec_core.data.synthetic import generate
from omnirec_core.orchestration.jobs import PREDICT_FILE, predict_record
from omnirec_core.runner import Interactions, read_columns
from omnirec_core.runner.topk import widening, without_known


def test_without_known_drops_pairs_and_keeps_k_in_order() -> None:
    user = np.array([0, 0, 0, 0, 1, 1, 1])
    item = np.array([5, 3, 9, 1, 2, 4, 6])
    score = np.array([9.0, 8, 7, 6, 5, 4, 3])
    known = Interactions(np.array([0, 1, 1]), np.array([3, 2, 7]))
    u, i, s = without_known(user, item, score, known, n_items=10, k=2)
    assert u.tolist() == [0, 0, 1, 1] and i.tolist() == [5, 9, 4, 6] and s.tolist() == [9, 7, 4, 3]


def test_widening_leaves_room_in_few_groups() -> None:
    counts = np.array([0, 1, 2, 3, 4, 5, 9, 100])
    room = widening(counts)
    assert (room >= counts).all()
    assert room.tolist() == [0, 1, 3, 3, 7, 7, 15, 127]


def test_test_lists_exclude_validation_items(checkpoint_dir: Path) -> None:
    raw = RecSysDataSet.from_dataframe(generate(120, 200, 5000, seed=4), name="valsplit")
    ds = Pipe(MakeImplicit(3), CorePruning(3), UserHoldout(0.2, 0.2)).process(raw)
    p = ExperimentPlan("val")
    p.add_algorithm("Fake.Pop")
    p.add_algorithm("Fake.Random")
    experiment.run(checkpoint_dir, ds=ds, p=p, evaluator=Evaluator(NDCG([10])))
    val = ds.data.val
    val_keys = set(zip(val["user"], val["item"]))
    for job_dir in {p.parent for p in checkpoint_dir.rglob(PREDICT_FILE)}:
        rec = predict_record(job_dir, 10, False, exclude_val=True)
        assert rec is not None and rec["exclude_val"] is True
        lists = read_columns(rec["topk"])
        assert not val_keys & set(zip(lists["user"], lists["item"]))
        per_user = np.bincount(lists["user"])
        assert per_user[per_user > 0].min() == 10  # still k items for every user
