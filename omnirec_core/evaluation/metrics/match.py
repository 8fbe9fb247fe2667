"""One pass over the ranked lists that finds hits, repeated pairs and training pairs.

A (user, item) pair is the key ``user * n_items + item``. Each user's list is sorted by
key once (a short row sort, :func:`~omnirec_core.evaluation.metrics.columns.sort_groups`); then, per block of users, the list keys,
the relevant test keys and the training keys -- each already sorted -- are merged by one
stable sort, which merges sorted runs in linear time. Equal keys end up adjacent with the
list entries first, so a list entry followed by a test entry is a hit, two list entries in
a row are a repeated pair, and a list entry followed (past its test entry) by a training
entry is a training pair. Each merged value carries its key and, in the low bits, where
it came from (the list position, or test, or train), so no permutation array is needed.

Working per block of users keeps every temporary to a few MiB whatever the job's size.
When the packed values would not fit in 63 bits (huge id spaces), the same answers come
from binary searches over the fully sorted list keys (:func:`match_by_search`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from omnirec_core.evaluation.metrics.columns import combined_keys, sort_groups

if TYPE_CHECKING:
    from omnirec_core.evaluation.metrics.columns import PairIndex
    from omnirec_core.evaluation.metrics.lists import RankedLists

#: List rows per block of users: small enough that a block's arrays stay in cache.
BLOCK_ROWS = 1 << 17


@dataclass(frozen=True)
class Match:
    """Rows of the ordered lists (positions into ``RankedLists.user``...), all ascending.

    ``hit_rows``: rows whose pair is relevant (``None`` when no relevant set was given);
    ``repeat_pairs``: (m, 2) rows of each adjacent pair of equal keys in key order;
    ``train_rows``: rows whose pair is a training pair (``None`` without a training set).
    """

    hit_rows: np.ndarray | None
    repeat_pairs: np.ndarray
    train_rows: np.ndarray | None


def match(lists: RankedLists, relevant: PairIndex | None, train: PairIndex | None) -> Match:
    """Hits against ``relevant``, repeated pairs and pairs in ``train``, in one pass."""
    width = int(lists.counts.max()) if len(lists) else 0
    code_bits = max(2, (width + 1).bit_length())  # room for positions 0..width-1, test, train
    key_bits = max(1, (lists.n_users * lists.n_items).bit_length())
    if key_bits + code_bits > 62:
        return match_by_search(lists, relevant, train)
    return _Merger(lists, relevant, train, width, code_bits).run()


class _Merger:
    """The block-wise merge of :func:`match` (one instance per call)."""

    def __init__(
        self,
        lists: RankedLists,
        relevant: PairIndex | None,
        train: PairIndex | None,
        width: int,
        code_bits: int,
    ) -> None:
        self.lists, self.relevant, self.train = lists, relevant, train
        self.width = width
        self.b = code_bits
        self.test_code = (1 << code_bits) - 2
        self.train_code = (1 << code_bits) - 1

    def run(self) -> Match:
        lists = self.lists
        n_items = np.int64(lists.n_items)
        bounds = _user_blocks(lists.offsets, BLOCK_ROWS)
        key_bounds = bounds.astype(np.int64) * n_items
        rel_at = np.searchsorted(self.relevant.keys, key_bounds) if self.relevant is not None else None
        train_at = np.searchsorted(self.train.keys, key_bounds) if self.train is not None else None
        hits, repeats, leaks = [], [], []
        for j in range(len(bounds) - 1):
            parts = [self._list_values(int(bounds[j]), int(bounds[j + 1]))]
            if rel_at is not None and self.relevant is not None:
                keys = self.relevant.keys[rel_at[j] : rel_at[j + 1]]
                parts.append((keys << self.b) | self.test_code)
            if train_at is not None and self.train is not None:
                keys = self.train.keys[train_at[j] : train_at[j + 1]]
                parts.append((keys << self.b) | self.train_code)
            merged = np.concatenate(parts) if len(parts) > 1 else parts[0]
            merged.sort(kind="stable")  # sorted runs: a linear merge
            h, r, t = self._scan(merged)
            hits.append(h)
            repeats.append(r)
            leaks.append(t)
        empty = np.zeros(0, dtype=np.int64)
        return Match(
            hit_rows=np.concatenate([empty, *hits]) if self.relevant is not None else None,
            repeat_pairs=np.concatenate([empty.reshape(0, 2), *repeats]),
            train_rows=np.concatenate([empty, *leaks]) if self.train is not None else None,
        )

    def _list_values(self, ua: int, ub: int) -> np.ndarray:
        """Merge values ``key << b | position`` of the lists of users ua..ub-1, in key order."""
        lists = self.lists
        offsets = lists.offsets[ua : ub + 1]
        a, z = int(offsets[0]), int(offsets[-1])
        user = lists.user[a:z]
        values = combined_keys(user, lists.item[a:z], lists.n_items) << self.b
        lens = np.diff(offsets)
        width = int(lens.max()) if z > a else 0
        if z > a and ((lens == width) | (lens == 0)).all():
            values.reshape(-1, width)[...] |= np.arange(width)  # full lists: positions 0..K-1
        else:
            values |= np.arange(a, z, dtype=np.int64) - lists.offsets[user]
        return sort_groups(values, offsets)

    def _scan(self, merged: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(hit rows, repeated row pairs, training rows) of one merged block."""
        b, width, mask = self.b, self.width, (1 << self.b) - 1
        # Equal keys differ only in the low bits: two full passes find every adjacent pair,
        # and only those few pairs are looked at further.
        at = np.flatnonzero((merged[1:] ^ merged[:-1]) <= mask)
        first, second = merged[at] & mask, merged[at + 1] & mask
        key = merged[at] >> b
        listed = first < width
        hit = listed & (second == self.test_code)
        repeat = listed & (second < width)
        hits = self._ascending(self._rows(key[hit], first[hit]))
        repeats = np.stack(
            (self._rows(key[repeat], first[repeat]), self._rows(key[repeat], second[repeat])), axis=1
        )
        leaks = np.zeros(0, dtype=np.int64)
        if self.train is not None:
            # A training entry follows its list entry directly, or after the test entry.
            to_train = second == self.train_code
            direct = to_train & listed
            via = to_train & (first == self.test_code)
            before = at[via] - 1
            ok = before >= 0
            before = before[ok]
            prev = merged[before]
            via_list = ((prev >> b) == key[via][ok]) & ((prev & mask) < width)
            rows = np.concatenate(
                (
                    self._rows(key[direct], first[direct]),
                    self._rows(key[via][ok][via_list], prev[via_list] & mask),
                )
            )
            leaks = np.sort(rows)
        return hits, repeats, leaks

    def _ascending(self, rows: np.ndarray) -> np.ndarray:
        """Distinct rows of one block in ascending order, by marking them (no sort)."""
        if not len(rows):
            return rows
        low = int(rows.min())
        marked = np.zeros(int(rows.max()) - low + 1, dtype=bool)
        marked[rows - low] = True
        return np.flatnonzero(marked) + low

    def _rows(self, key: np.ndarray, position0: np.ndarray) -> np.ndarray:
        """Ordered row of each (key, 0-based position) list entry."""
        user = key // np.int64(self.lists.n_items)
        return self.lists.offsets[user] + position0


def _user_blocks(offsets: np.ndarray, rows: int) -> np.ndarray:
    """User boundaries 0 = u_0 < u_1 < ... < u_m = n_users with about ``rows`` list rows between."""
    n_users = len(offsets) - 1
    total = int(offsets[-1])
    targets = np.arange(rows, total, rows, dtype=np.int64)
    inner = np.searchsorted(offsets, targets, side="right") - 1
    return np.unique(np.concatenate(([0], inner[(inner > 0) & (inner < n_users)], [n_users])))


def match_by_search(lists: RankedLists, relevant: PairIndex | None, train: PairIndex | None) -> Match:
    """:func:`match` by binary searches over the fully sorted list keys (any id space)."""
    order, keys = lists.key_order, lists.sorted_keys
    dup = np.flatnonzero(keys[1:] == keys[:-1])
    repeat_pairs = np.stack((order[dup], order[dup + 1]), axis=1)
    hit_rows = None
    if relevant is not None:
        idx, found = relevant.find_in(keys)
        hit_rows = np.sort(order[idx[found]])
    train_rows = None
    if train is not None:
        # Search the smaller sorted side in the larger one.
        if len(train) < len(keys):
            idx, found = train.find_in(keys)
            seen_at = idx[found]
        else:
            seen_at = np.flatnonzero(train.contains_keys(keys))
        train_rows = np.sort(order[seen_at])
    return Match(hit_rows, repeat_pairs, train_rows)
