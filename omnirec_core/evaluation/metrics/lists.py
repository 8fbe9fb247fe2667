"""Top-K lists in (user, rank) order: ordering, positions and the sorted pair keys."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np

from omnirec_core.evaluation.metrics.columns import Columns, PairIndex, combined_keys, sorted_counts
from omnirec_core.evaluation.metrics.match import Match, match


class RankedLists:
    """Top-K rows in (user, rank) order with their 1-based list positions.

    ``counts[u]`` is the length of user u's list and its rows are ``offsets[u]:offsets[u+1]``.
    ``order`` maps each ordered row to its input row (``None``: input was already ordered).
    """

    def __init__(
        self,
        user: np.ndarray,
        item: np.ndarray,
        score: np.ndarray,
        counts: np.ndarray,
        offsets: np.ndarray,
        n_users: int,
        n_items: int,
        order: np.ndarray | None,
        source: Columns | None = None,
    ) -> None:
        self.user, self.item, self.score = user, item, score
        self.counts, self.offsets = counts, offsets
        self.n_users, self.n_items = n_users, n_items
        self.order, self.source = order, source
        self._match: tuple[PairIndex | None, PairIndex | None, Match] | None = None

    def __len__(self) -> int:
        return len(self.user)

    @classmethod
    def build(
        cls,
        user: np.ndarray,
        item: np.ndarray,
        score: np.ndarray,
        rank: np.ndarray | None,
        n_users: int,
        n_items: int,
        source: Columns | None = None,
    ) -> RankedLists:
        order = ranking_order(user, item, score, rank)
        if order is not None:
            user, item, score = user[order], item[order], score[order]
        counts = sorted_counts(user, n_users)  # users ascend now
        offsets = np.zeros(n_users + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        return cls(user, item, score, counts, offsets, n_users, n_items, order, source)

    @cached_property
    def pos(self) -> np.ndarray:
        """1-based position of each row in its user's list (built on first use)."""
        return np.arange(1, len(self.user) + 1, dtype=np.int64) - self.offsets[self.user]

    def match(self, relevant: PairIndex | None = None, train: PairIndex | None = None) -> Match:
        """Hits, repeated pairs and training pairs of these lists (see :mod:`.match`).

        The last answer is kept: asking again with the same ``relevant`` (and the same
        ``train``, or none) costs nothing, so validation and scoring share one pass.
        """
        if self._match is not None:
            rel, tr, found = self._match
            if rel is relevant and (train is None or tr is train):
                return found
        found = match(self, relevant, train)
        self._match = (relevant, train, found)
        return found

    @cached_property
    def keys(self) -> np.ndarray:
        """Combined key of each row."""
        return combined_keys(self.user, self.item, self.n_items)

    @cached_property
    def _key_sort(self) -> tuple[np.ndarray, np.ndarray]:
        n = len(self)
        listed = np.flatnonzero(self.counts)
        width = int(self.counts.max()) if n else 0
        if n == 0 or len(listed) * width > 2 * n:  # ragged lists: one flat sort
            order = np.argsort(self.keys, kind="stable")
            return order, self.keys[order]
        # Rows are grouped by user, so sorting each user's items (a row of a dense
        # lists x width block) sorts the keys; many short sorts beat one long one.
        lens = self.counts[listed]
        if (lens == width).all():
            dense = self.item.reshape(len(listed), width)
            within = np.argsort(dense, axis=1)
            order = (within + self.offsets[listed][:, None]).ravel()
        else:
            dense = np.full((len(listed), width), self.n_items, dtype=np.int64)  # pads sort last
            dense[np.repeat(np.arange(len(listed)), lens), self.pos - 1] = self.item
            within = np.argsort(dense, axis=1)
            order = (within + self.offsets[listed][:, None])[np.arange(width)[None, :] < lens[:, None]]
        return order, self.keys[order]

    @property
    def key_order(self) -> np.ndarray:
        """Permutation sorting ``keys`` (ascending; equal keys in any order)."""
        return self._key_sort[0]

    @property
    def sorted_keys(self) -> np.ndarray:
        return self._key_sort[1]

    def input_row(self, ordered_position: int) -> Any:
        """Label of the input row behind an ordered row (for error messages)."""
        p = int(self.order[ordered_position]) if self.order is not None else int(ordered_position)
        return self.source.row_label(p) if self.source is not None else p


def _is_ordered(user: np.ndarray, item: np.ndarray, score: np.ndarray, rank: np.ndarray | None) -> bool:
    if rank is not None:
        top = int(rank.max()) + 1
        # Runners write users ascending with ranks 1, 2, ...: then (user, rank) keys rise
        # strictly, which settles the order (and rules out ties) in a few passes.
        if int(user.max()) < np.iinfo(np.int64).max // top and _rising(user, rank, np.int64(top)):
            return True
    u0, u1 = user[:-1], user[1:]
    if (u1 < u0).any():
        return False
    tie = u1 == u0
    if rank is not None:
        r0, r1 = rank[:-1], rank[1:]
        if (tie & (r1 < r0)).any():
            return False
        tie &= r1 == r0
    if not tie.any():
        return True
    s0, s1 = score[:-1][tie], score[1:][tie]
    i0, i1 = item[:-1][tie], item[1:][tie]
    return bool(((s1 < s0) | ((s1 == s0) & (i1 > i0))).all())


def _rising(user: np.ndarray, rank: np.ndarray, top: np.int64, block: int = 1 << 20) -> bool:
    """Whether ``user * top + rank`` rises strictly, checked a block at a time (the
    temporaries stay in cache instead of taking fresh memory for the whole table)."""
    for a in range(0, len(user) - 1, block):
        z = min(a + block + 1, len(user))
        key = user[a:z] * top
        key += rank[a:z]
        if not (key[1:] > key[:-1]).all():
            return False
    return True


def ranking_order(
    user: np.ndarray, item: np.ndarray, score: np.ndarray, rank: np.ndarray | None = None
) -> np.ndarray | None:
    """Permutation into (user, rank, score desc, item asc) order; ``None`` if already ordered.

    Without a rank column the order is (user, score desc, item asc). Runners write their lists
    already ordered, so the O(n) check usually saves the sort.
    """
    if len(user) < 2 or _is_ordered(user, item, score, rank):
        return None
    if rank is not None:
        top = int(rank.max()) + 1
        span = (int(user.max()) + 1) * top
        if span <= 4 * len(user) + 1024:
            # Counting sort on key = user * top + rank: linear, no comparison sort.
            key = user * np.int64(top) + rank
            counts = np.bincount(key, minlength=span)
            if counts.max() <= 1:  # no tied ranks within a user
                dest = np.cumsum(counts) - 1
                order = np.empty(len(user), dtype=np.int64)
                order[dest[key]] = np.arange(len(user))
                return order
        elif int(user.max()) < np.iinfo(np.int64).max // top:
            key = user * np.int64(top) + rank
            order = np.argsort(key, kind="stable")
            sk = key[order]
            if not (sk[1:] == sk[:-1]).any():  # no tied ranks: done
                return order
        return np.lexsort((item, -score, rank, user))
    # Chain of stable sorts (least significant key first) beats a float lexsort here.
    order = np.argsort(item, kind="stable")
    order = order[np.argsort(-score[order], kind="stable")]
    return order[np.argsort(user[order], kind="stable")]
