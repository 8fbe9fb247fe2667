"""Unit test of the handler, in-process: no runner env or coordinator needed."""

import numpy as np
from omnirec_minimal.worker import MostPopular

from omnirec_core.runner import FitRequest, Interactions, PredictRequest


def test_most_popular_ranks_by_count_and_skips_seen_items(tmp_path):
    train = Interactions(user=np.array([0, 0, 1, 2, 2, 2]), item=np.array([0, 1, 1, 1, 2, 3]))
    common = dict(
        algorithm="MostPop",
        config={},
        seed=1,
        job_dir=tmp_path,
        train=train,
        n_users=3,
        n_items=4,
        feedback="implicit",
    )
    handler = MostPopular()
    assert handler.fit(FitRequest(**common)) == {"items_seen": 4}
    pred = handler.predict(PredictRequest(**common, k=2, users=np.array([0, 1])))
    # counts: item 1 -> 3, items 0, 2, 3 -> 1 each; ties break by item id
    assert pred.user.tolist() == [0, 0, 1, 1]
    assert pred.item.tolist() == [2, 3, 0, 2]
    assert pred.score.tolist() == [1.0, 1.0, 1.0, 1.0]
