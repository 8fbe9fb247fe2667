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
