"""One pass over the ranked lists that finds hits, repeated pairs and training pairs.

A (user, item) pair is the key ``user * n_items + item``. Each user's list is sorted by
key once (a short row sort, :func:`~omnirec_core.evaluation.metrics.columns.sort_groups`);
then, per block of users, the list keys, the relevant test keys and the training keys --
each already sorted, written side by side into one buffer -- are merged by one stable
sort, which merges sorted runs in linear time. Equal keys end up adjacent with the
list entries first, so a list entry followed by a test entry is a hit, two list entries in
a row are a repeated pair, and a list entry followed (past its test entry) by a training
entry is a training pair. Each merged value carries its key and, in the low bits, where
it came from (the list position, or test, or train), so no permutation array is needed,
and a hit's user and list position come out of the merge with it (metrics use them).

Working per block of users keeps every temporary to a few MiB whatever the job's size.
When the packed values would not fit in 63 bits (huge id spaces), the same answers come
from binary searches over the fully sorted list keys (:func:`match_by_search`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from omnirec_core.evaluation.metrics.columns import sort_groups

if TYPE_CHECKING:
    from omnirec_core.evaluation.metrics.columns import PairIndex
    from omnirec_core.evaluation.metrics.lists import RankedLists

#: List rows per block of users: small enough that a block's arrays stay in cache.
BLOCK_ROWS = 1 << 17


@dataclass(frozen=True)
class Match:
    """Rows of the ordered lists (positions into ``RankedLists.user``...), all ascending.

    ``hit_rows``: rows whose pair is relevant (``None`` when no relevant set was given),
    with ``hit_users`` and ``hit_positions`` (1-based) the user and list position of each;
    ``repeat_pairs``: (m, 2) rows of each adjacent pair of equal keys in key order;
    ``train_rows``: rows whose pair is a training pair (``None`` without a training set).
    """

    hit_rows: np.ndarray | None
    repeat_pairs: np.ndarray
    train_rows: np.ndarray | None
    hit_users: np.ndarray | None = None
    hit_positions: np.ndarray | None = None


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
        sides = [
            (index.keys, np.searchsorted(index.keys, key_bounds), code)
            for index, code in ((self.relevant, self.test_code), (self.train, self.train_code))
            if index is not None
        ]
        hits: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        repeats, leaks = [], []
        for j in range(len(bounds) - 1):
            a, z = int(lists.offsets[bounds[j]]), int(lists.offsets[bounds[j + 1]])
            # One buffer per block: the sorted list values, then each side's sorted keys.
            merged = np.empty(z - a + sum(int(at[j + 1] - at[j]) for _, at, _ in sides), dtype=np.int64)
            self._list_values(int(bounds[j]), int(bounds[j + 1]), merged[: z - a])
            end = z - a
            for keys, at, code in sides:
                part = merged[end : end + int(at[j + 1] - at[j])]
                np.left_shift(keys[at[j] : at[j + 1]], self.b, out=part)
                part |= code
                end += len(part)
            if sides:
                merged.sort(kind="stable")  # sorted runs: a linear merge
            h, r, t = self._scan(merged)
            hits.append(h)
            repeats.append(r)
            leaks.append(t)
        empty = np.zeros(0, dtype=np.int64)
        found: list[np.ndarray | None] = [None] * 3
        if self.relevant is not None:
            found = [np.concatenate([empty, *part]) for part in zip(*hits)] if hits else [empty] * 3
        return Match(
            hit_rows=found[0],
            repeat_pairs=np.concatenate([empty.reshape(0, 2), *repeats]),
            train_rows=np.concatenate([empty, *leaks]) if self.train is not None else None,
            hit_users=found[1],
            hit_positions=found[2],
        )

    def _list_values(self, ua: int, ub: int, out: np.ndarray) -> None:
        """Write the merge values ``key << b | position`` of the lists of users ua..ub-1 to
        ``out``, in key order (computed in place: no temporaries the size of a block)."""
        lists = self.lists
        offsets = lists.offsets[ua : ub + 1]
        a, z = int(offsets[0]), int(offsets[-1])
        user = lists.user[a:z]
        np.multiply(user, np.int64(lists.n_items), out=out)
        out += lists.item[a:z]
        out <<= self.b
        lens = np.diff(offsets)
        width = int(lens.max()) if z > a else 0
        if z > a and ((lens == width) | (lens == 0)).all():
            out.reshape(-1, width)[...] |= np.arange(width)  # full lists: positions 0..K-1
        else:
            out |= np.arange(a, z, dtype=np.int64) - lists.offsets[user]
        sort_groups(out, offsets)

    def _scan(
        self, merged: np.ndarray
    ) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray, np.ndarray]:
        """((hit rows, users, positions), repeated row pairs, training rows) of one block."""
        width, mask = self.width, (1 << self.b) - 1
        # Equal keys differ only in the low bits: two full passes find every adjacent pair,
        # and only those few pairs are looked at further. Within a key the order is list
        # positions, then test, then train, and each side holds a key at most once: so what
        # the second entry of a pair is settles what the first one is.
        at = np.flatnonzero((merged[1:] ^ merged[:-1]) <= mask)
        value, after = merged[at], merged[1:][at]
        second = after & mask
        hits = self._hits(value[second == self.test_code])
        repeat = second < width
        repeats = np.stack((self._rows(value[repeat]), self._rows(after[repeat])), axis=1)
        leaks = np.zeros(0, dtype=np.int64)
        if self.train is not None:
            # A training entry follows its list entry directly, or after the test entry.
            to_train = second == self.train_code
            first = value & mask
            direct = value[to_train & (first < width)]
            via = at[to_train & (first == self.test_code)] - 1
            prev = merged[via[via >= 0]]
            via_list = ((prev ^ merged[via[via >= 0] + 1]) <= mask) & ((prev & mask) < width)
            leaks = np.sort(np.concatenate((self._rows(direct), self._rows(prev[via_list]))))
        return hits, repeats, leaks

    def _hits(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows ascending, users, 1-based positions) of a block's hit entries (key order).

        Key order and row order both group the entries by ascending user, so the users and
        list starts found in key order hold for the rows once these are put in order.
        """
        user, start, rows = self._locate(values)
        if len(rows):  # rows are distinct: marking them orders them without a sort
            low = int(rows.min())
            marked = np.zeros(int(rows.max()) - low + 1, dtype=bool)
            marked[rows - low] = True
            rows = np.flatnonzero(marked) + low
        return rows, user, rows - start + 1

    def _locate(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(user, first row of its list, ordered row) of each list entry's merge value
        ``key << b | 0-based position``."""
        user = (values >> self.b) // np.int64(self.lists.n_items)
        start = self.lists.offsets[user]
        return user, start, start + (values & ((1 << self.b) - 1))

    def _rows(self, values: np.ndarray) -> np.ndarray:
        """Ordered row of each list entry's merge value."""
        return self._locate(values)[2]


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
    hit_users = hit_positions = None
    if relevant is not None:
        idx, found = relevant.find_in(keys)
        hit_rows = np.sort(order[idx[found]])
        hit_users = lists.user[hit_rows]
        hit_positions = hit_rows - lists.offsets[hit_users] + 1
    train_rows = None
    if train is not None:
        # Search the smaller sorted side in the larger one.
        if len(train) < len(keys):
            idx, found = train.find_in(keys)
            seen_at = idx[found]
        else:
            seen_at = np.flatnonzero(train.contains_keys(keys))
        train_rows = np.sort(order[seen_at])
    return Match(hit_rows, repeat_pairs, train_rows, hit_users, hit_positions)
