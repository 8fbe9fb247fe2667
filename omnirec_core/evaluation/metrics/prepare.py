"""Vectorised preparation shared by all metrics of one job.

Ranking lists are put in (user, rank) order once (usually just an O(n) check: runners write
them ordered). The combined keys ``user * n_items + item`` of the lists are sorted once,
the relevant test keys are looked up in them with one ``searchsorted``, and the hits are
kept as a sparse list of (user, position) rows. A per-user sum over positions 1..k is then
one ``bincount`` over the hits with position <= k; sums over all list rows (popularity)
use one cumulative sum taken at per-user offsets:

    S_u(k) = C[start_u + min(len_u, k)] - C[start_u],   C = [0, cumsum(x)]

No step loops over users in Python or scans the test table per user.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from omnirec_core.errors import DataError
from omnirec_core.evaluation.metrics.columns import (
    Columns,
    PairIndex,
    as_pair_index,
    columns_of,
    combined_keys,
    int_column,
)
from omnirec_core.evaluation.metrics.lists import RankedLists
from omnirec_core.evaluation.metrics.validate import validate_pair_scores, validate_predictions

__all__ = ["PairIndex", "RankedLists", "RatingData", "TopKData", "prepare_rating", "prepare_topk"]


def _window(cum: np.ndarray, starts: np.ndarray, lens: np.ndarray, k: int) -> np.ndarray:
    """Per-user sum of the first ``k`` list entries from a cumulative sum with leading 0."""
    return cum[starts + np.minimum(lens, k)] - cum[starts]


def _cumsum0(x: np.ndarray) -> np.ndarray:
    out = np.empty(len(x) + 1, dtype=np.float64 if x.dtype.kind == "f" else np.int64)
    out[0] = 0
    np.cumsum(x, out=out[1:])
    return out


class TopKData:
    """Everything ranking metrics need for one job, computed once and shared.

    ``users`` are the evaluated users (at least one relevant test item), sorted; every
    per-user array is aligned with it. Users with an empty list score 0 through ``lens == 0``.
    Hits are kept as the sparse list of hit rows (``h_user``, ``h_pos`` in (user, position)
    order), so a per-user sum over positions 1..k is one ``bincount`` over the hits.
    """

    def __init__(
        self,
        lists: RankedLists,
        relevant: PairIndex,
        *,
        report: dict[str, int],
        train: PairIndex | None = None,
        test: Columns | None = None,
        context: dict[str, Any] | None = None,
    ) -> None:
        n_users, n_items = lists.n_users, lists.n_items
        self.lists = lists
        self.n_users, self.n_items = n_users, n_items
        self.train = train
        self.test = test
        self._context = context or {}
        rel_counts = relevant.user_counts(n_users) if n_items else np.zeros(n_users, np.int64)
        self.is_evaluated = rel_counts > 0
        self.users = np.flatnonzero(self.is_evaluated)
        self.n_relevant = rel_counts[self.users]
        self.starts = lists.offsets[self.users]
        self.lens = lists.counts[self.users]
        # Shared with validation when it was given the same relevant pairs (one pass).
        found = lists.match(relevant)
        assert found.hit_rows is not None and found.hit_users is not None and found.hit_positions is not None
        self.hit_rows, self.h_user, self.h_pos = found.hit_rows, found.hit_users, found.hit_positions
        listed = lists.counts > 0
        report = dict(report)
        report.update(
            evaluated_users=len(self.users),
            users_without_predictions=int(np.count_nonzero(self.lens == 0)),
            prediction_rows=len(lists),
            prediction_users=int(np.count_nonzero(listed)),
            ignored_prediction_users=int(np.count_nonzero(listed & ~self.is_evaluated)),
            ignored_prediction_rows=int(lists.counts[~self.is_evaluated].sum()),
        )
        max_k = self._context.get("max_k")
        if max_k:
            report["users_with_short_lists"] = int(np.count_nonzero((self.lens > 0) & (self.lens < max_k)))
        self.report = report

    def per_user_hits_sum(self, k: int, weights: np.ndarray | None = None) -> np.ndarray:
        """Per evaluated user: the number (or ``weights`` sum) of hits at positions 1..k."""
        if k >= self._longest_list:  # every hit counts: no mask to build
            return np.bincount(self.h_user, weights=weights, minlength=self.n_users)[self.users]
        m = self.h_pos <= k
        w = None if weights is None else weights[m]
        return np.bincount(self.h_user[m], weights=w, minlength=self.n_users)[self.users]

    @cached_property
    def _longest_list(self) -> int:
        return int(self.lists.counts.max()) if len(self.lists) else 0

    def hits(self, k: int) -> np.ndarray:
        """hits@k per evaluated user (computed once per k: Recall, HR, Precision share it)."""
        cache = self.__dict__.setdefault("_hits", {})
        if k not in cache:
            cache[k] = self.per_user_hits_sum(k)
            cache[k].flags.writeable = False  # shared: a metric must not change it in place
        return cache[k]

    @cached_property
    def gain(self) -> np.ndarray:
        """Binary DCG gain of each hit: 1 / log2(pos + 1)."""
        discount = 1.0 / np.log2(np.arange(2, self._longest_list + 2, dtype=np.float64))
        return discount[self.h_pos - 1]  # a lookup, not a logarithm per hit

    def dcg(self, k: int) -> np.ndarray:
        """DCG@k = sum_{i<=k} rel_i / log2(i + 1) per evaluated user."""
        return self.per_user_hits_sum(k, self.gain)

    def ideal_dcg(self, k: int) -> np.ndarray:
        """Per-user IDCG@k = sum_{i=1}^{min(|R_u|, k)} 1 / log2(i + 1)."""
        table = np.zeros(k + 1)
        table[1:] = np.cumsum(1.0 / np.log2(np.arange(2, k + 2)))
        return table[np.minimum(self.n_relevant, k)]

    @cached_property
    def _first_of_user(self) -> np.ndarray:
        first = np.ones(len(self.h_user), dtype=bool)
        first[1:] = self.h_user[1:] != self.h_user[:-1]
        return first

    @cached_property
    def precision_at_hits(self) -> np.ndarray:
        """P@i at each hit: (hits up to and including it) / its position."""
        n = len(self.h_user)
        start = (
            np.maximum.accumulate(np.where(self._first_of_user, np.arange(n), 0))
            if n
            else np.zeros(0, np.int64)
        )
        return (np.arange(n) - start + 1) / self.h_pos

    def ap_sum(self, k: int) -> np.ndarray:
        """sum_{i<=k} rel_i * P@i per evaluated user."""
        return self.per_user_hits_sum(k, self.precision_at_hits)

    @cached_property
    def first_hit(self) -> np.ndarray:
        """Position of each evaluated user's first hit, 0 where there is none."""
        per_user = np.zeros(self.n_users, dtype=np.int64)
        first = self._first_of_user
        per_user[self.h_user[first]] = self.h_pos[first]
        return per_user[self.users]

    @cached_property
    def evaluated_rows(self) -> np.ndarray:
        """Mask of list rows that belong to evaluated users."""
        return self.is_evaluated[self.lists.user]

    def window(self, cum: np.ndarray, k: int) -> np.ndarray:
        """Per-user sum over list positions 1..k, from a cumulative sum over all list rows."""
        return _window(cum, self.starts, self.lens, k)

    # -- for metrics that want plain frames ------------------------------------------------

    def predictions_frame(self) -> pd.DataFrame:
        lists = self.lists
        return pd.DataFrame({"user": lists.user, "item": lists.item, "score": lists.score, "rank": lists.pos})

    def test_frame(self) -> pd.DataFrame:
        empty = {"user": np.empty(0, np.int64), "item": np.empty(0, np.int64)}
        return pd.DataFrame(self.test.data if self.test is not None else empty)

    def context(self) -> dict[str, Any]:
        return {"n_users": self.n_users, "n_items": self.n_items, **self._context}


class RatingData:
    """Test pairs joined with the predicted score for each (for RMSE, MAE).

    ``error`` is ``predicted - rating`` for each test pair that has a score, ``pair_user`` its
    user; ``users`` are the sorted users with at least one scored pair.
    """

    def __init__(
        self,
        pairs: Columns,
        test: Columns,
        *,
        n_users: int,
        n_items: int,
        pair_user: np.ndarray,
        pair_item: np.ndarray,
        pair_score: np.ndarray,
        context: dict[str, Any] | None = None,
    ) -> None:
        self.pairs, self.test = pairs, test
        self.n_users, self.n_items = n_users, n_items
        self._context = context or {}
        tu = int_column(test, "user", "test", n_users)
        ti = int_column(test, "item", "test", n_items)
        if "rating" not in test:
            raise DataError("rating metrics need a 'rating' column in the test table (explicit feedback).")
        rating = test["rating"].astype(np.float64, copy=False)
        pkeys = combined_keys(pair_user, pair_item, n_items)
        order = np.argsort(pkeys, kind="stable")
        sorted_keys = pkeys[order]
        tkeys = combined_keys(tu, ti, n_items)
        if len(sorted_keys):
            idx = np.minimum(np.searchsorted(sorted_keys, tkeys), len(sorted_keys) - 1)
            found = sorted_keys[idx] == tkeys
        else:
            idx = np.zeros(len(tkeys), dtype=np.int64)
            found = np.zeros(len(tkeys), dtype=bool)
        self.missing_rows = np.flatnonzero(~found)
        self.pair_user = tu[found]
        self.error = pair_score[order[idx[found]]] - rating[found]
        used = np.zeros(len(pkeys), dtype=bool)
        used[idx[found]] = True
        self.users = np.flatnonzero(np.bincount(self.pair_user, minlength=n_users))
        self.report = {
            "test_pairs": len(tkeys),
            "scored_pairs": int(found.sum()),
            "missing_pairs": len(self.missing_rows),
            "ignored_predictions": int(len(pkeys) - used.sum()),
            "rating_users": len(self.users),
        }

    @cached_property
    def user_index(self) -> np.ndarray:
        """Position in ``users`` of each scored pair's user."""
        return np.searchsorted(self.users, self.pair_user)

    def per_user_mean(self, values: np.ndarray) -> np.ndarray:
        """Mean of ``values`` (one per scored pair) per user in ``users``."""
        n = len(self.users)
        return np.bincount(self.user_index, weights=values, minlength=n) / np.bincount(
            self.user_index, minlength=n
        )

    def missing_message(self) -> str:
        rows = ", ".join(
            f"row {self.test.row_label(int(p))} (user={self.test['user'][p]}, item={self.test['item'][p]})"
            for p in self.missing_rows[:3]
        )
        return (
            f"{len(self.missing_rows)} test pair(s) have no predicted score, first: {rows}; the runner "
            "must score every test pair, or construct the metric with allow_missing=True to skip them."
        )

    def predictions_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.pairs.data)

    def test_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.test.data)

    def context(self) -> dict[str, Any]:
        return {"n_users": self.n_users, "n_items": self.n_items, **self._context}


def _infer_sizes(tables: list[Columns], n_users: int | None, n_items: int | None) -> tuple[int, int]:
    def top(name: str) -> int:
        m = 0
        for t in tables:
            if name in t and len(t[name]) and t[name].dtype.kind in "iu":
                m = max(m, int(t[name].max()) + 1)
        return m

    return (n_users if n_users is not None else top("user"), n_items if n_items is not None else top("item"))


def relevant_pairs(
    test: Columns, n_users: int, n_items: int, threshold: float | None
) -> tuple[PairIndex, dict[str, int]]:
    """The relevant test pairs (``rating >= threshold`` when a threshold is set) and counts."""
    tu = int_column(test, "user", "test", n_users)
    ti = int_column(test, "item", "test", n_items)
    if threshold is not None:
        if "rating" not in test:
            raise DataError("a relevance threshold needs a 'rating' column in the test table.")
        keep = test["rating"] >= threshold
        rel = PairIndex.from_arrays(tu[keep], ti[keep], n_items)
    else:
        rel = PairIndex.from_arrays(tu, ti, n_items)
    n_rel_users = int(np.count_nonzero(rel.user_counts(n_users))) if n_items else 0
    # Without a threshold every test pair is relevant: the same users, no second count.
    test_users = (
        n_rel_users if threshold is None else int(np.count_nonzero(np.bincount(tu, minlength=n_users)))
    )
    return rel, {
        "test_rows": len(tu),
        "test_users": test_users,
        "relevant_pairs": len(rel),
        "users_without_relevant": test_users - n_rel_users,
    }


def prepare_topk(
    predictions: Any,
    test: Any,
    *,
    n_users: int | None = None,
    n_items: int | None = None,
    train: Any = None,
    relevance_threshold: float | None = None,
    max_k: int | None = None,
    lists: RankedLists | None = None,
    relevant: tuple[PairIndex, dict[str, int]] | None = None,
    **_: Any,
) -> TopKData:
    """Validate ``predictions`` (unless ``lists`` is given) and build :class:`TopKData`.

    ``relevant``: :func:`relevant_pairs` of ``test`` when the caller built it already.
    """
    test_cols = columns_of(test)
    if lists is None:
        pred_cols = columns_of(predictions)
        n_users, n_items = _infer_sizes([pred_cols, test_cols], n_users, n_items)
        lists = validate_predictions(pred_cols, n_users=n_users, n_items=n_items, k=None)
    n_users, n_items = lists.n_users, lists.n_items
    rel, report = relevant or relevant_pairs(test_cols, n_users, n_items, relevance_threshold)
    train_index = as_pair_index(train, n_users, n_items) if train is not None else None
    context = {"relevance_threshold": relevance_threshold, "max_k": max_k, "train": train}
    return TopKData(lists, rel, report=report, train=train_index, test=test_cols, context=context)


def prepare_rating(
    predictions: Any,
    test: Any,
    *,
    n_users: int | None = None,
    n_items: int | None = None,
    **_: Any,
) -> RatingData:
    """Validate pair scores and join them to the test pairs."""
    pairs, test_cols = columns_of(predictions), columns_of(test)
    n_users, n_items = _infer_sizes([pairs, test_cols], n_users, n_items)
    user, item, score = validate_pair_scores(pairs, n_users=n_users, n_items=n_items)
    return RatingData(
        pairs, test_cols, n_users=n_users, n_items=n_items, pair_user=user, pair_item=item, pair_score=score
    )
