"""Checks on what a runner returned, before anything is scored.

Every violation raises one :class:`PredictionError` that names the problem, the first
offending rows (by the input's row labels) and the fix.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from omnirec_core.errors import OmniRecError
from omnirec_core.evaluation.metrics.columns import (
    Columns,
    PairIndex,
    as_pair_index,
    columns_of,
    combined_keys,
    int_column,
)
from omnirec_core.evaluation.metrics.lists import RankedLists

SHOW_ROWS = 3


class PredictionError(OmniRecError, ValueError):
    """Predictions break the evaluation protocol (ids, duplicates, list length, scores...)."""


def _describe(cols: Columns, positions: np.ndarray) -> str:
    """``row 7 (user=1, item=4, score=nan)`` for the first few positions."""
    parts = []
    for p in positions[:SHOW_ROWS]:
        p = int(p)
        fields = ", ".join(f"{c}={cols[c][p]}" for c in ("user", "item", "score", "rank") if c in cols)
        parts.append(f"row {cols.row_label(p)} ({fields})")
    more = f" and {len(positions) - SHOW_ROWS} more" if len(positions) > SHOW_ROWS else ""
    return ", ".join(parts) + more


def _score_column(cols: Columns, what: str) -> np.ndarray:
    score = cols["score"]
    if len(score) == 0:
        return np.zeros(0, dtype=np.float64)
    if score.dtype.kind not in "fiu":
        raise PredictionError(
            f"{what} column 'score' has dtype {cols.dtypes.get('score', score.dtype)}, expected numbers; "
            "cast it with astype('float64')."
        )
    score = score.astype(np.float64, copy=False)
    if np.isfinite(score).all():  # the common case, without an index array
        return score
    bad = np.flatnonzero(~np.isfinite(score))
    if len(bad):
        raise PredictionError(
            f"{what} have {len(bad)} non-finite score(s) (NaN or inf), first: {_describe(cols, bad)}; "
            "drop those rows or give every listed item a finite score."
        )
    return score


def _require(cols: Columns, what: str, needed: tuple[str, ...]) -> None:
    missing = [c for c in needed if c not in cols]
    if missing:
        raise PredictionError(
            f"{what} lack column(s) {', '.join(missing)} (have: {', '.join(cols.data) or 'none'}); "
            f"{what} need the columns {', '.join(needed)} in canonical int ids."
        )


def validate_predictions(
    pred: Any,
    *,
    n_users: int,
    n_items: int,
    k: int | None,
    train: Any = None,
    exclude_train: bool = True,
    relevant: PairIndex | None = None,
) -> RankedLists:
    """Check top-K predictions and return them as ordered :class:`RankedLists`.

    Checks: columns ``user``, ``item``, ``score`` (``rank`` optional) with integer ids and
    numeric scores; ids in ``0..n_users-1`` / ``0..n_items-1``; finite scores; ranks >= 1;
    at most ``k`` rows per user (skipped when ``k`` is None); no duplicate (user, item); and,
    when ``train`` is given and ``exclude_train``, no training pair in any list. ``train`` may
    be a table or a prebuilt :class:`~omnirec_core.evaluation.metrics.prepare.PairIndex`.
    With ``relevant`` (the relevant test pairs) the hits are found in the same pass and
    kept on the returned lists for scoring.
    """
    what = "predictions"
    cols = columns_of(pred)
    _require(cols, what, ("user", "item", "score"))
    user = int_column(cols, "user", what, n_users, PredictionError)
    item = int_column(cols, "item", what, n_items, PredictionError)
    score = _score_column(cols, what)
    rank = None
    if "rank" in cols:
        rank = cols["rank"]
        if len(rank) == 0:
            rank = np.zeros(0, dtype=np.int64)
        elif rank.dtype.kind not in "iu":
            raise PredictionError(
                f"{what} column 'rank' has dtype {cols.dtypes.get('rank', rank.dtype)}, expected integers "
                "(1 = best); cast it with astype('int64') or drop it to rank by score."
            )
        rank = rank.astype(np.int64, copy=False)
        if len(rank) and rank.min() < 1:
            bad = np.flatnonzero(rank < 1)
            raise PredictionError(
                f"{what} have {len(bad)} rank(s) below 1, first: {_describe(cols, bad)}; ranks start at 1 (best)."
            )

    lists = RankedLists.build(user, item, score, rank, n_users, n_items, source=cols)

    if k is not None and len(lists):
        over = np.flatnonzero(lists.counts > k)
        if len(over):
            extra = lists.offsets[over] + k  # the first row beyond k of each such user
            raise PredictionError(
                f"{len(over)} user(s) have more than k={k} predictions (user {over[0]} has "
                f"{lists.counts[over[0]]}), first rows beyond k: {_describe_ordered(lists, extra)}; "
                f"return at most the top {k} items per user."
            )

    if not len(lists):
        return lists
    train_index = as_pair_index(train, n_users, n_items) if train is not None and exclude_train else None
    found = lists.match(relevant, train_index)
    if len(found.repeat_pairs):
        rows = np.sort(found.repeat_pairs.ravel())
        raise PredictionError(
            f"{what} repeat {len(found.repeat_pairs)} (user, item) pair(s), first rows: "
            f"{_describe_ordered(lists, rows)}; list each item at most once per user."
        )
    if found.train_rows is not None and len(found.train_rows):
        rows = found.train_rows
        raise PredictionError(
            f"{what} contain {len(rows)} training (user, item) pair(s), first: "
            f"{_describe_ordered(lists, rows)}; the protocol excludes each user's training items "
            "from their list (exclude_train=True); filter them out in the runner."
        )
    return lists


def _describe_ordered(lists: RankedLists, positions: np.ndarray) -> str:
    parts = []
    for p in positions[:SHOW_ROWS]:
        p = int(p)
        parts.append(
            f"row {lists.input_row(p)} (user={lists.user[p]}, item={lists.item[p]}, "
            f"score={lists.score[p]:g}, position={lists.pos[p]})"
        )
    more = f" and {len(positions) - SHOW_ROWS} more" if len(positions) > SHOW_ROWS else ""
    return ", ".join(parts) + more


def validate_pair_scores(
    pairs: Any, *, n_users: int, n_items: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check per-pair scores (for rating metrics); return ``(user, item, score)`` arrays.

    Checks: columns ``user``, ``item``, ``score``; integer ids in range; finite scores; no
    duplicate (user, item).
    """
    what = "pair scores"
    cols = columns_of(pairs)
    _require(cols, what, ("user", "item", "score"))
    user = int_column(cols, "user", what, n_users, PredictionError)
    item = int_column(cols, "item", what, n_items, PredictionError)
    score = _score_column(cols, what)
    keys = combined_keys(user, item, n_items)
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    dup = np.flatnonzero(sk[1:] == sk[:-1])
    if len(dup):
        rows = np.sort(np.concatenate((order[dup], order[dup + 1])))
        raise PredictionError(
            f"{what} repeat {len(dup)} (user, item) pair(s), first rows: {_describe(cols, rows)}; "
            "give one score per test pair."
        )
    return user, item, score
