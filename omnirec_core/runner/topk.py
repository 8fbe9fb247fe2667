"""Top-K helpers shared by runners: user histories, top-k of score blocks, batches."""

from __future__ import annotations

import numpy as np

from omnirec_core.runner.api import Interactions


class UserIndex:
    """Interactions grouped by user (CSR-like), built once with numpy."""

    def __init__(self, data: Interactions, n_users: int) -> None:
        order = np.argsort(data.user, kind="stable")
        self.items = np.asarray(data.item)[order]
        counts = np.bincount(data.user, minlength=n_users)
        self.indptr = np.zeros(n_users + 1, dtype=np.int64)
        np.cumsum(counts, out=self.indptr[1:])

    def rows_of(self, users: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row position in ``users``, item) for every interaction of those users."""
        starts = self.indptr[users]
        lens = self.indptr[users + 1] - starts
        rows = np.repeat(np.arange(len(users)), lens)
        offsets = np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens)
        return rows, self.items[np.repeat(starts, lens) + offsets]


def topk_from_scores(
    scores: np.ndarray, users: np.ndarray, k: int, exclude: UserIndex | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Top-``k`` (user, item, score) rows of a dense ``len(users) x n_items`` score block.

    Excluded (training) items and non-finite scores never appear. Ties are broken by
    item id, so the result is deterministic. Rows come per user, best first.
    """
    scores = np.array(scores, dtype=np.float64, copy=True)
    n, n_items = scores.shape
    bad = ~np.isfinite(scores)
    if bad.any():  # NaN and +inf never rank
        scores[bad] = -np.inf
    if exclude is not None:
        rows, items = exclude.rows_of(np.asarray(users))
        scores[rows, items] = -np.inf
    k = min(k, n_items)
    if k <= 0 or n == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0, dtype=np.float64)
    if k < n_items:
        # The k largest sit at the end of an ascending partition (no negated copy); the
        # candidate pool then takes every score tied with the k-th, so ties break by item.
        part = np.argpartition(scores, n_items - k, axis=1)[:, n_items - k :]
        kth = np.take_along_axis(scores, part, axis=1).min(axis=1, keepdims=True)
        pool_mask = scores >= kth
        r, c = np.nonzero(pool_mask)
    else:
        r, c = np.nonzero(np.ones_like(scores, dtype=bool))
    s = scores[r, c]
    order = np.lexsort((c, -s, r))
    r, c, s = r[order], c[order], s[order]
    first = np.searchsorted(r, np.arange(n))
    pos = np.arange(len(r)) - first[r]
    keep = (pos < k) & np.isfinite(s)
    return np.asarray(users)[r[keep]].astype(np.int64), c[keep].astype(np.int64), s[keep]


def batches(n: int, size: int) -> list[slice]:
    """Slices covering 0..n in steps of ``size``."""
    return [slice(i, min(i + size, n)) for i in range(0, n, max(1, size))]


def grouped_ranks(user: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row order grouping users, 1-based rank) keeping each user's rows in their given order."""
    order = np.argsort(user, kind="stable")
    u = user[order]
    n = len(u)
    if n == 0:
        return order, np.empty(0, dtype=np.int64)
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(u[1:], u[:-1], out=new[1:])
    start = np.maximum.accumulate(np.where(new, np.arange(n), 0))
    return order, (np.arange(n) - start + 1).astype(np.int64)


def without_known(
    user: np.ndarray, item: np.ndarray, score: np.ndarray, known: Interactions, n_items: int, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ranked lists with the ``known`` (user, item) pairs removed, cut to ``k`` per user.

    Each user's rows keep their order; the result is grouped by user, best first.
    """
    keys = np.asarray(user, dtype=np.int64) * n_items + np.asarray(item, dtype=np.int64)
    known_keys = np.unique(
        np.asarray(known.user, dtype=np.int64) * n_items + np.asarray(known.item, dtype=np.int64)
    )
    if len(known_keys):
        at = np.minimum(np.searchsorted(known_keys, keys), len(known_keys) - 1)
        keep = known_keys[at] != keys
        user, item, score = user[keep], item[keep], score[keep]
    order, rank = grouped_ranks(user)
    first_k = order[rank <= k]
    return user[first_k], item[first_k], score[first_k]


def widening(counts: np.ndarray) -> np.ndarray:
    """Per user, how many more items to ask for so that removing ``counts`` known items still
    leaves k: the next power of two minus one, so users fall into few groups."""
    return (2 ** np.ceil(np.log2(np.asarray(counts, dtype=np.float64) + 1)).astype(np.int64)) - 1
