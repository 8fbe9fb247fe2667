"""Top-K lists in (user, rank) order: ordering, positions and the sorted pair keys."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from omnirec_core.evaluation.metrics.columns import Columns, combined_keys


@dataclass(frozen=True)
class RankedLists:
    """Top-K rows in (user, rank) order with their 1-based list positions.

    ``counts[u]`` is the length of user u's list and its rows are ``offsets[u]:offsets[u+1]``.
    ``order`` maps each ordered row to its input row (``None``: input was already ordered).
    """

    user: np.ndarray
    item: np.ndarray
    score: np.ndarray
    pos: np.ndarray
    counts: np.ndarray
    offsets: np.ndarray
    n_users: int
    n_items: int
    order: np.ndarray | None
    source: Columns | None = None

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
        counts = np.bincount(user, minlength=n_users)
        offsets = np.zeros(n_users + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        pos = np.arange(1, len(user) + 1, dtype=np.int64) - offsets[user]
        return cls(user, item, score, pos, counts, offsets, n_users, n_items, order, source)

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
