"""Exact top-K from LensKit's (longer) recommendation lists; numpy only.

LensKit ranks by score alone and may drop or keep tied items at its cut in any order,
and its candidates include items that had no training interactions. We ask it for
more than ``k`` items, keep only candidate items, order by score then item id (the
omnirec contract), and report the users whose tie group at the ``k``-th place may
reach past what LensKit returned, so the caller can ask again for their full lists.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class TopK:
    """Flat rows, grouped by the order of the requested users, best first."""

    user: np.ndarray
    item: np.ndarray
    score: np.ndarray

    @classmethod
    def empty(cls) -> TopK:
        e = np.empty(0, dtype=np.int64)
        return cls(e, e.copy(), np.empty(0, dtype=np.float64))


def group_sizes(keys: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(keys, minlength=n)


def select_topk(
    user: np.ndarray,
    item: np.ndarray,
    score: np.ndarray,
    *,
    users: np.ndarray,
    k: int,
    asked: int | None,
    candidate: np.ndarray,
) -> tuple[TopK, np.ndarray]:
    """Top-``k`` rows per user from LensKit's rows, plus the users to ask again in full.

    ``asked`` is the list length requested from LensKit (``None``: complete lists).
    ``candidate`` is a boolean mask over item ids: others never appear. Non-finite
    scores never appear. A user must be asked again when LensKit's list was cut at
    ``asked`` and either fewer than ``k`` candidates survived or the last returned
    score ties the ``k``-th best (the tie group may continue beyond the cut).
    """
    users = np.asarray(users, dtype=np.int64)
    user = np.asarray(user, dtype=np.int64)
    item = np.asarray(item, dtype=np.int64)
    score = np.asarray(score, dtype=np.float64)
    n = len(users)
    pos_of = np.full(int(max(users.max(initial=-1), user.max(initial=-1))) + 1, -1, np.int64)
    pos_of[users] = np.arange(n)
    pos = pos_of[user]

    finite = np.isfinite(score) & (pos >= 0)
    returned = group_sizes(pos[finite], n)
    lowest = np.full(n, np.inf)
    np.minimum.at(lowest, pos[finite], score[finite])

    keep = finite & candidate[item]
    pos, item, score = pos[keep], item[keep], score[keep]
    order = np.lexsort((item, -score, pos))
    pos, item, score = pos[order], item[order], score[order]
    sizes = group_sizes(pos, n)
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(sizes[:-1], out=starts[1:])
    rank = np.arange(len(pos)) - starts[pos]
    top = rank < k

    kth = np.full(n, -np.inf)
    has_k = sizes >= k
    kth[has_k] = score[starts[has_k] + k - 1]
    if asked is None or asked < 0:
        redo = np.zeros(n, dtype=bool)
    else:
        redo = (returned >= asked) & (~has_k | (lowest >= kth))
    rows = TopK(users[pos[top]], item[top], score[top])
    return rows, users[redo]


def merge(first: TopK, second: TopK, users: np.ndarray) -> TopK:
    """``first`` without the users in ``second``, plus ``second``, in ``users`` order."""
    users = np.asarray(users, dtype=np.int64)
    drop = np.isin(first.user, second.user)
    user = np.concatenate([first.user[~drop], second.user])
    item = np.concatenate([first.item[~drop], second.item])
    score = np.concatenate([first.score[~drop], second.score])
    pos_of = np.full(int(users.max(initial=-1)) + 1, -1, np.int64)
    pos_of[users] = np.arange(len(users))
    # Stable: within a user the rows keep their best-first order.
    order = np.argsort(pos_of[user], kind="stable")
    return TopK(user[order], item[order], score[order])
