"""The one-pass merge that finds hits, repeated pairs and training pairs agrees with
binary searches over the fully sorted keys, on ragged, shuffled and faulty lists."""

from __future__ import annotations

import numpy as np
import pytest

from omnirec_core.evaluation.metrics import match as match_module
from omnirec_core.evaluation.metrics.columns import PairIndex, sort_groups
from omnirec_core.evaluation.metrics.lists import RankedLists
from omnirec_core.evaluation.metrics.match import match, match_by_search


def _lists(rng: np.random.Generator, n_users: int, n_items: int, k: int, repeats: int) -> RankedLists:
    lens = rng.integers(0, k + 1, n_users)
    user = np.repeat(np.arange(n_users), lens)
    item = np.concatenate([rng.choice(n_items, size=n, replace=False) for n in lens])
    # Plant repeated pairs: copy an item onto the next row of the same user.
    for row in rng.choice(max(len(user) - 1, 1), size=min(repeats, max(len(user) - 1, 0)), replace=False):
        if user[row + 1] == user[row]:
            item[row + 1] = item[row]
    rank = np.concatenate([np.arange(1, n + 1) for n in lens]).astype(np.int64)
    perm = rng.permutation(len(user))  # shuffled input: build() orders it
    score = -rank.astype(np.float64)
    return RankedLists.build(user[perm], item[perm], score[perm], rank[perm], n_users, n_items)


def _pairs(rng: np.random.Generator, n_users: int, n_items: int, n: int) -> PairIndex:
    return PairIndex.from_arrays(rng.integers(0, n_users, n), rng.integers(0, n_items, n), n_items)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("block", [7, 1 << 17])
def test_merge_agrees_with_search(seed: int, block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(match_module, "BLOCK_ROWS", block)  # many blocks, or one
    rng = np.random.default_rng(seed)
    n_users, n_items, k = 60, 40, 8
    lists = _lists(rng, n_users, n_items, k, repeats=2 * (seed % 3))
    relevant = _pairs(rng, n_users, n_items, 500)
    train = _pairs(rng, n_users, n_items, 300 * (seed % 2))
    got, want = match(lists, relevant, train), match_by_search(lists, relevant, train)
    np.testing.assert_array_equal(np.sort(got.repeat_pairs, axis=None), np.sort(want.repeat_pairs, axis=None))
    assert len(got.repeat_pairs) == len(want.repeat_pairs)
    if len(want.repeat_pairs):
        return  # lists with repeats are refused; which copy counts as the hit is moot
    assert got.hit_rows is not None and want.hit_rows is not None
    assert len(want.hit_rows) > 0
    np.testing.assert_array_equal(got.hit_rows, want.hit_rows)
    np.testing.assert_array_equal(got.train_rows, want.train_rows)
    for found in (got, want):  # each hit's user and 1-based list position
        np.testing.assert_array_equal(found.hit_users, lists.user[found.hit_rows])
        np.testing.assert_array_equal(found.hit_positions, lists.pos[found.hit_rows])
    # Every hit row really is a relevant pair; every other row really is not.
    keys = lists.user * n_items + lists.item
    is_hit = np.zeros(len(lists), dtype=bool)
    is_hit[got.hit_rows] = True
    np.testing.assert_array_equal(is_hit, relevant.contains_keys(keys))


def test_without_relevant_or_train_and_for_empty_lists() -> None:
    rng = np.random.default_rng(1)
    lists = _lists(rng, 10, 30, 5, repeats=0)
    only = match(lists, None, None)
    assert only.hit_rows is None and only.train_rows is None and only.repeat_pairs.shape == (0, 2)
    empty = RankedLists.build(*(np.zeros(0, np.int64),) * 2, np.zeros(0), None, 5, 9)
    found = match(empty, _pairs(rng, 5, 9, 10), _pairs(rng, 5, 9, 10))
    assert found.hit_rows is not None and len(found.hit_rows) == 0


def test_huge_id_space_uses_the_search_fallback() -> None:
    n_users, n_items = 3, 1 << 61  # keys would not leave room for the low bits
    lists = RankedLists.build(
        np.array([0, 0, 2]), np.array([5, 1 << 60, 7]), np.array([2.0, 1.0, 1.0]), None, n_users, n_items
    )
    relevant = PairIndex.from_arrays(np.array([0, 2]), np.array([1 << 60, 8]), n_items)
    assert match(lists, relevant, None).hit_rows.tolist() == [1]


@pytest.mark.parametrize("lens", [[3, 3, 3], [2, 0, 4, 1], [5]])
def test_sort_groups(lens: list[int]) -> None:
    rng = np.random.default_rng(0)
    offsets = np.concatenate(([0], np.cumsum(lens)))
    values = np.concatenate([g * 100 + rng.permutation(n) for g, n in enumerate(lens)]).astype(np.int64)
    np.testing.assert_array_equal(sort_groups(values, offsets), np.sort(values))
