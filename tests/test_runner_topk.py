"""``topk_from_scores`` against a plain per-user sort: ties by item id, exclusions, NaN/inf."""

from __future__ import annotations

import numpy as np
import pytest

from omnirec_core.runner import Interactions, UserIndex, topk_from_scores


def _reference(scores: np.ndarray, users: np.ndarray, k: int, seen: set[tuple[int, int]]):
    out_u, out_i, out_s = [], [], []
    for row, u in enumerate(users):
        cand = [(-s, i) for i, s in enumerate(scores[row]) if np.isfinite(s) and (int(u), i) not in seen]
        for neg, i in sorted(cand)[:k]:
            out_u.append(int(u))
            out_i.append(i)
            out_s.append(-neg)
    return np.array(out_u, dtype=np.int64), np.array(out_i, dtype=np.int64), np.array(out_s)


@pytest.mark.parametrize("seed", range(8))
def test_matches_a_plain_sort(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_users, n_items, k = 12, 30, int(rng.integers(1, 35))
    scores = rng.integers(0, 6, (n_users, n_items)).astype(np.float64)  # many ties
    scores[rng.random(scores.shape) < 0.05] = np.nan
    scores[rng.random(scores.shape) < 0.03] = np.inf
    scores[rng.random(scores.shape) < 0.03] = -np.inf
    users = rng.permutation(40)[:n_users]
    train = Interactions(rng.integers(0, 40, 200), rng.integers(0, n_items, 200))
    seen = set(zip(train.user.tolist(), train.item.tolist()))
    before = scores.copy()
    got = topk_from_scores(scores, users, k, UserIndex(train, 40))
    want = _reference(scores, users, k, seen)
    for g, w in zip(got, want):  # rows per user in the order given, best first
        np.testing.assert_array_equal(g, w)
    np.testing.assert_array_equal(scores, before)  # the caller's block is left as it was
