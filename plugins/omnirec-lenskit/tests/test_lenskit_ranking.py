"""Fast tests: exact top-K from LensKit-style truncated lists (numpy only)."""

from __future__ import annotations

import numpy as np
from omnirec_lenskit.ranking import TopK, merge, select_topk

from omnirec_core.runner import topk_from_scores


def rows(pairs: list[tuple[int, int, float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    u, i, s = zip(*pairs)
    return np.array(u), np.array(i), np.array(s, dtype=float)


def test_ties_by_item_id_and_candidates_only() -> None:
    u, i, s = rows([(3, 5, 1.0), (3, 2, 2.0), (3, 4, 2.0), (3, 0, 9.0), (3, 1, np.nan)])
    candidate = np.array([False, True, True, True, True, True])  # item 0 never trained
    got, redo = select_topk(u, i, s, users=np.array([3]), k=2, asked=None, candidate=candidate)
    assert got.item.tolist() == [2, 4]
    assert got.score.tolist() == [2.0, 2.0]
    assert got.user.tolist() == [3, 3]
    assert redo.size == 0


def test_rows_follow_the_requested_user_order() -> None:
    u, i, s = rows([(1, 0, 1.0), (2, 1, 1.0), (0, 2, 1.0)])
    got, _ = select_topk(u, i, s, users=np.array([2, 0, 1]), k=1, asked=None, candidate=np.ones(3, bool))
    assert got.user.tolist() == [2, 0, 1]
    assert got.item.tolist() == [1, 2, 0]


def test_truncated_tie_at_the_cut_asks_again() -> None:
    # LensKit was asked for 3; user 0's third score ties the 2nd best: more may follow.
    u, i, s = rows(
        [
            (0, 7, 3.0),
            (0, 8, 2.0),
            (0, 9, 2.0),
            (1, 1, 3.0),
            (1, 2, 2.0),
            (1, 3, 1.0),
            (2, 1, 3.0),
            (2, 2, 2.0),
        ]
    )
    got, redo = select_topk(u, i, s, users=np.array([0, 1, 2]), k=2, asked=3, candidate=np.ones(10, bool))
    assert redo.tolist() == [0]  # user 1: strict drop after k; user 2: list not truncated
    assert got.item[got.user == 1].tolist() == [1, 2]


def test_too_few_candidates_after_filtering_asks_again() -> None:
    u, i, s = rows([(0, 0, 3.0), (0, 1, 2.0), (0, 2, 1.0)])
    candidate = np.array([False, False, True])
    got, redo = select_topk(u, i, s, users=np.array([0]), k=2, asked=3, candidate=candidate)
    assert redo.tolist() == [0]
    assert got.item.tolist() == [2]


def test_merge_replaces_users_and_keeps_order() -> None:
    first = TopK(np.array([5, 5, 6, 7]), np.array([1, 2, 1, 1]), np.array([2.0, 1.0, 1.0, 1.0]))
    second = TopK(np.array([6, 6]), np.array([3, 4]), np.array([5.0, 4.0]))
    got = merge(first, second, np.array([5, 6, 7]))
    assert got.user.tolist() == [5, 5, 6, 6, 7]
    assert got.item.tolist() == [1, 2, 3, 4, 1]


def lenskit_like(scores: np.ndarray, users: np.ndarray, n: int, rng: np.random.Generator):
    """What LensKit's ranker returns: finite scores, best first, ties in arbitrary order,
    cut at ``n`` (``n < 0``: all)."""
    out_u, out_i, out_s = [], [], []
    for row, user in enumerate(users):
        items = np.nonzero(np.isfinite(scores[row]))[0]
        items = rng.permutation(items)
        items = items[np.argsort(-scores[row, items], kind="stable")]
        if n >= 0:
            items = items[:n]
        out_u.append(np.full(len(items), user))
        out_i.append(items)
        out_s.append(scores[row, items])
    return np.concatenate(out_u), np.concatenate(out_i), np.concatenate(out_s)


def test_matches_dense_reference_with_many_ties() -> None:
    """Truncated lists + the asked-again users == omnirec's dense top-K, for random
    integer scores (many ties), unscored items and never-trained items."""
    for seed in range(20):
        rng = np.random.default_rng(seed)
        n_users, n_items, k = 30, 40, int(rng.integers(1, 12))
        scores = rng.integers(0, 6, size=(n_users, n_items)).astype(float)
        scores[rng.random(scores.shape) < 0.2] = np.nan  # unscored (history, no neighbours)
        candidate = rng.random(n_items) < 0.85
        users = rng.permutation(np.arange(100, 100 + n_users))
        asked = k + int((~candidate).sum()) + int(rng.integers(0, 3))

        first, redo = select_topk(
            *lenskit_like(scores, users, asked, rng), users=users, k=k, asked=asked, candidate=candidate
        )
        rows_of = {u: r for r, u in enumerate(users)}
        full, again = select_topk(
            *lenskit_like(scores[[rows_of[u] for u in redo]], redo, -1, rng),
            users=redo,
            k=k,
            asked=None,
            candidate=candidate,
        )
        assert again.size == 0
        got = merge(first, full, users)

        dense = np.where(candidate, scores, np.nan)
        ref_u, ref_i, ref_s = topk_from_scores(dense, users, k)
        assert got.user.tolist() == ref_u.tolist(), seed
        assert got.item.tolist() == ref_i.tolist(), seed
        assert np.array_equal(got.score, ref_s), seed
