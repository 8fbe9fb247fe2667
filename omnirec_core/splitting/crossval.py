"""Cross-validation splitters: k folds whose test parts partition the data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from omnirec_core.data.dataset import FoldedData, SplitData
from omnirec_core.data.step import id_keys, is_int, pair_keys, salts
from omnirec_core.errors import SplitError
from omnirec_core.splitting.base import (
    DROP,
    TEST,
    TRAIN,
    VAL,
    Splitter,
    TooFew,
    UserwiseSplitter,
    check_size,
    grouped_order,
    size_count,
    sorted_users,
    split_from_parts,
    user_order,
)

# Fold codes besides 0..folds-1.
ALWAYS_TRAIN, DROPPED = -1, -2


def _check_folds(name: str, folds: Any) -> int:
    if not is_int(folds) or folds < 2:
        raise SplitError(f"{name}(folds={folds!r}): folds must be a whole number >= 2")
    return int(folds)


def _folds_from_codes(
    splitter: Splitter,
    df: pd.DataFrame,
    fold: np.ndarray,
    folds: int,
    val_size: int | float,
    n_users: int,
    n_items: int,
    per_user: bool,
) -> FoldedData:
    """One split per fold: test = that fold, train = the rest, val carved from train."""
    user = df["user"].to_numpy()
    item = df["item"].to_numpy()
    out: list[SplitData] = []
    for k in range(folds):
        part = np.where(fold == k, TEST, np.where(fold == DROPPED, DROP, TRAIN)).astype(np.int8)
        if val_size:
            # Users kept whole in train by too_few="train" give no validation rows.
            train = np.flatnonzero((part == TRAIN) & (fold != ALWAYS_TRAIN))
            keys = pair_keys(user[train], item[train], n_items, salts(splitter.name, "val", k))
            if per_user:
                order, pos, counts = user_order(user[train], keys, n_users)
                n_val = np.maximum(size_count(val_size, counts), 1)
                # Leave at least one training row per user.
                n_val = np.minimum(n_val, np.maximum(counts - 1, 0))
                chosen = order[pos < n_val[user[train][order]]]
            else:
                n_val = min(int(size_count(val_size, len(train))), len(train) - 1)
                if n_val < 1:
                    raise SplitError(
                        f"{splitter!r}: fold {k} has too few training rows for a validation part"
                    )
                chosen = np.argpartition(keys, n_val - 1)[:n_val]
            part[train[chosen]] = VAL
        out.append(split_from_parts(splitter, df, part, bool(val_size)))
    return FoldedData(out)


class UserCrossValidation(UserwiseSplitter):
    """k-fold cross-validation within users: each user's interactions are dealt at random
    into ``folds`` near-equal groups; fold k tests on every user's group k.

    ``val_size`` (optional) carves a per-user fraction or count of each fold's training
    part out as validation, leaving at least one training interaction per user.
    """

    description = "each user's interactions partitioned into k folds"
    folded = True

    def __init__(
        self,
        folds: int = 5,
        val_size: float | int = 0,
        *,
        too_few: TooFew = "train",
        min_user_interactions: int | None = None,
    ) -> None:
        self.folds = _check_folds(self.name, folds)
        self.val_size = check_size(self.name, "val_size", val_size, optional=True)
        super().__init__(too_few, min_user_interactions)

    def required_interactions(self) -> int:
        return self.folds

    def params(self) -> dict[str, Any]:
        return {"folds": self.folds, "val_size": self.val_size, **self.policy_params()}

    def split_frame(self, df: pd.DataFrame, n_users: int, n_items: int) -> tuple[FoldedData, dict[str, Any]]:
        user = df["user"].to_numpy()
        salt = salts(self.name)
        keys = pair_keys(user, df["item"].to_numpy(), n_items, salt)
        order, pos, counts = user_order(user, keys, n_users)
        short, info = self.short_users(counts)
        us = sorted_users(counts)
        # A random per-user offset spreads the remainder rows over all folds.
        offset = (id_keys(np.arange(n_users), salt) % np.uint64(self.folds)).astype(np.int64)
        sorted_fold = (pos + offset[us]) % self.folds
        fold = self.unsort(order, sorted_fold, short[us], keep=ALWAYS_TRAIN, drop=DROPPED)
        data = _folds_from_codes(self, df, fold, self.folds, self.val_size, n_users, n_items, per_user=True)
        return data, info


class RandomCrossValidation(Splitter):
    """k-fold cross-validation over all interactions: rows are dealt at random into
    ``folds`` groups of near-equal size; fold k tests on group k.

    ``val_size`` (optional) carves a random fraction or count of each fold's training
    part out as validation.
    """

    description = "all interactions partitioned at random into k folds"
    folded = True

    def __init__(self, folds: int = 5, val_size: float | int = 0) -> None:
        self.folds = _check_folds(self.name, folds)
        self.val_size = check_size(self.name, "val_size", val_size, optional=True)

    def params(self) -> dict[str, Any]:
        return {"folds": self.folds, "val_size": self.val_size}

    def split_frame(self, df: pd.DataFrame, n_users: int, n_items: int) -> tuple[FoldedData, dict[str, Any]]:
        total = len(df)
        if total < self.folds:
            raise SplitError(
                f"{self!r}: {total} interactions cannot fill {self.folds} folds; use fewer folds"
            )
        keys = pair_keys(df["user"].to_numpy(), df["item"].to_numpy(), n_items, salts(self.name))
        fold = np.empty(total, dtype=np.int64)
        fold[grouped_order(None, keys)] = np.arange(total) % self.folds
        data = _folds_from_codes(self, df, fold, self.folds, self.val_size, n_users, n_items, per_user=False)
        return data, {}
