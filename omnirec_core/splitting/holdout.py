"""Holdout splitters: one train / (val) / test split."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from omnirec_core.data.dataset import SplitData
from omnirec_core.data.step import pair_keys, salts, to_epoch_seconds
from omnirec_core.errors import SplitError
from omnirec_core.splitting.base import (
    TEST,
    TRAIN,
    VAL,
    Splitter,
    TooFew,
    UserwiseSplitter,
    check_fractions,
    check_size,
    fmt_size,
    size_count,
    sorted_users,
    split_from_parts,
    user_order,
)


def _keys(name: str, df: pd.DataFrame, n_items: int) -> np.ndarray:
    return pair_keys(df["user"].to_numpy(), df["item"].to_numpy(), n_items, salts(name))


def _time_text(seconds: int) -> str:
    return f"{np.datetime64(int(seconds), 's')}"


class RandomHoldout(Splitter):
    """Hold out random interactions: ``test_size`` (and ``val_size``) of all rows.

    Sizes are fractions of all interactions (rounded half up) or whole counts.
    """

    description = "random interactions held out for test (and validation)"

    def __init__(self, test_size: float | int, val_size: float | int = 0) -> None:
        self.test_size = check_size(self.name, "test_size", test_size, optional=False)
        self.val_size = check_size(self.name, "val_size", val_size, optional=True)
        check_fractions(self.name, self.test_size, self.val_size)

    def params(self) -> dict[str, Any]:
        return {"test_size": self.test_size, "val_size": self.val_size}

    def split_frame(self, df: pd.DataFrame, n_users: int, n_items: int) -> tuple[SplitData, dict[str, Any]]:
        total = len(df)
        n_test = int(size_count(self.test_size, total))
        n_val = int(size_count(self.val_size, total)) if self.val_size else 0
        for what, size, n in (("test", self.test_size, n_test), ("val", self.val_size, n_val)):
            if size and n < 1:
                raise SplitError(
                    f"{self!r}: {what}_size={fmt_size(size)} of {total} interactions is no "
                    f"interaction; use a larger {what}_size"
                )
        if n_test + n_val >= total:
            raise SplitError(
                f"{self!r}: holding out {n_test + n_val} of {total} interactions leaves none "
                "for training; use smaller sizes"
            )
        # The rows with the smallest random keys are held out; argpartition is O(rows).
        keys = _keys(self.name, df, n_items)
        kth = [n_test - 1, n_test + n_val - 1] if n_val else [n_test - 1]
        cut = np.argpartition(keys, kth)
        part = np.full(total, TRAIN, dtype=np.int8)
        part[cut[:n_test]] = TEST
        part[cut[n_test : n_test + n_val]] = VAL
        return split_from_parts(self, df, part, bool(n_val)), {}


class UserHoldout(UserwiseSplitter):
    """Hold out part of every user's interactions, chosen at random per user.

    ``test_size`` / ``val_size`` are per-user fractions (rounded half up, at least one
    interaction each, at least one left in train) or whole counts per user.
    """

    description = "a random fraction or count of each user's interactions held out"

    def __init__(
        self,
        test_size: float | int,
        val_size: float | int = 0,
        *,
        too_few: TooFew = "train",
        min_user_interactions: int | None = None,
    ) -> None:
        self.test_size = check_size(self.name, "test_size", test_size, optional=False)
        self.val_size = check_size(self.name, "val_size", val_size, optional=True)
        check_fractions(self.name, self.test_size, self.val_size)
        super().__init__(too_few, min_user_interactions)

    def required_interactions(self) -> int:
        held = [s if isinstance(s, int) else 1 for s in (self.test_size, self.val_size) if s]
        return 1 + sum(held)

    def params(self) -> dict[str, Any]:
        return {"test_size": self.test_size, "val_size": self.val_size, **self.policy_params()}

    def split_frame(self, df: pd.DataFrame, n_users: int, n_items: int) -> tuple[SplitData, dict[str, Any]]:
        user = df["user"].to_numpy()
        order, pos, counts = user_order(user, _keys(self.name, df, n_items), n_users)
        short, info = self.short_users(counts)
        n_test = np.maximum(size_count(self.test_size, counts), 1)
        n_val = np.maximum(size_count(self.val_size, counts), 1) if self.val_size else np.zeros_like(counts)
        # Round-ups may leave no training row: take the excess from val first, then test,
        # never below one each.
        excess = np.maximum(n_test + n_val - (counts - 1), 0)
        if self.val_size:
            from_val = np.minimum(excess, n_val - 1)
            n_val -= from_val
            excess -= from_val
        n_test = n_test - excess
        us = sorted_users(counts)
        # Rank within the user decides: test, then validation, then train.
        cut = n_test[us]
        sorted_part = np.full(len(pos), TRAIN, dtype=np.int8)
        sorted_part[pos < cut] = TEST
        if self.val_size:
            at_val = pos >= cut
            cut += n_val[us]
            at_val &= pos < cut
            sorted_part[at_val] = VAL
            del at_val
        del cut
        part = self.unsort(order, sorted_part, short[us])
        return split_from_parts(self, df, part, bool(self.val_size)), info


class LeaveOneOut(UserwiseSplitter):
    """Hold out each user's last ``n`` interactions by time (leave-last-N-out).

    With ``validation=True`` the ``n`` before those form the validation part. Equal
    timestamps, or no timestamps at all, are ordered at random (seeded).
    """

    description = "each user's latest n interactions held out for test (and validation)"

    def __init__(
        self,
        n: int = 1,
        validation: bool = False,
        *,
        too_few: TooFew = "train",
        min_user_interactions: int | None = None,
    ) -> None:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise SplitError(f"LeaveOneOut(n={n!r}): n must be a whole number >= 1")
        self.n = int(n)
        self.validation = bool(validation)
        super().__init__(too_few, min_user_interactions)

    def required_interactions(self) -> int:
        return self.n * (2 if self.validation else 1) + 1

    def params(self) -> dict[str, Any]:
        return {"n": self.n, "validation": self.validation, **self.policy_params()}

    def split_frame(self, df: pd.DataFrame, n_users: int, n_items: int) -> tuple[SplitData, dict[str, Any]]:
        user = df["user"].to_numpy()
        ts = df["timestamp"].to_numpy() if "timestamp" in df.columns else None
        order, pos, counts = user_order(user, _keys(self.name, df, n_items), n_users, ts)
        short, info = self.short_users(counts)
        us = sorted_users(counts)
        from_end = counts[us] - 1 - pos
        sorted_part = np.where(
            from_end < self.n,
            TEST,
            np.where((from_end < 2 * self.n) & self.validation, VAL, TRAIN),
        ).astype(np.int8)
        part = self.unsort(order, sorted_part, short[us])
        info["by"] = "timestamp" if ts is not None else "random"
        return split_from_parts(self, df, part, self.validation), info


class TimeBasedHoldout(Splitter):
    """A global temporal split: the newest interactions are test, the next newest val.

    Give the test part as ``test_size`` (fraction or count of the newest interactions)
    or as ``cutoff`` (test = interactions at or after that time). The validation part is
    ``val_size`` (the newest before test) or ``val_cutoff`` (``val_cutoff <= t < cutoff``).
    Equal timestamps on a size boundary are ordered at random (seeded).
    """

    description = "a global cut in time: the newest interactions held out"

    def __init__(
        self,
        test_size: float | int | None = None,
        val_size: float | int | None = None,
        cutoff: Any = None,
        val_cutoff: Any = None,
    ) -> None:
        if (test_size is None) == (cutoff is None):
            raise SplitError(
                "TimeBasedHoldout needs exactly one of test_size (fraction or count of the "
                "newest interactions) or cutoff (a time: test is everything at or after it)"
            )
        if val_size is not None and val_cutoff is not None:
            raise SplitError("TimeBasedHoldout: give val_size or val_cutoff, not both")
        if val_cutoff is not None and cutoff is None:
            raise SplitError("TimeBasedHoldout: val_cutoff needs cutoff (the start of the test part)")
        self.test_size = (
            None if test_size is None else check_size(self.name, "test_size", test_size, optional=False)
        )
        self.val_size = check_size(self.name, "val_size", val_size, optional=True)
        if self.test_size is not None:
            check_fractions(self.name, self.test_size, self.val_size)
        self.cutoff = (
            None if cutoff is None else to_epoch_seconds(cutoff, "TimeBasedHoldout cutoff", SplitError)
        )
        self.val_cutoff = (
            None
            if val_cutoff is None
            else to_epoch_seconds(val_cutoff, "TimeBasedHoldout val_cutoff", SplitError)
        )
        if self.cutoff is not None and self.val_cutoff is not None and self.val_cutoff >= self.cutoff:
            raise SplitError(
                f"TimeBasedHoldout: val_cutoff {_time_text(self.val_cutoff)} must be before "
                f"cutoff {_time_text(self.cutoff)}"
            )

    def params(self) -> dict[str, Any]:
        return {
            "test_size": self.test_size,
            "val_size": self.val_size,
            "cutoff": self.cutoff,
            "val_cutoff": self.val_cutoff,
        }

    def split_frame(self, df: pd.DataFrame, n_users: int, n_items: int) -> tuple[SplitData, dict[str, Any]]:
        if "timestamp" not in df.columns:
            raise SplitError(
                f"{self!r} needs timestamps, but the data has no 'timestamp' column; use "
                "RandomHoldout or UserHoldout instead"
            )
        ts = df["timestamp"].to_numpy()
        total = len(df)
        span = f"the data spans {_time_text(ts.min())} to {_time_text(ts.max())}"
        part = np.full(total, TRAIN, dtype=np.int8)
        if self.cutoff is not None:
            part[ts >= self.cutoff] = TEST
            if not (part == TEST).any():
                raise SplitError(f"{self!r}: no interaction at or after the cutoff; {span}")
            if self.val_cutoff is not None:
                part[(ts >= self.val_cutoff) & (part == TRAIN)] = VAL
        else:
            size: float | int = self.test_size  # type: ignore[assignment]  # set when no cutoff
            n_test = int(size_count(size, total))
            if n_test < 1:
                raise SplitError(
                    f"{self!r}: test_size={fmt_size(size)} of {total} interactions is no "
                    "interaction; use a larger test_size"
                )
        n_val = int(size_count(self.val_size, total)) if self.val_size else 0
        if self.val_size and n_val < 1:
            raise SplitError(
                f"{self!r}: val_size={fmt_size(self.val_size)} of {total} interactions is no "
                "interaction; use a larger val_size"
            )
        if self.test_size is not None or n_val:
            # Newest first; equal times in random (seeded) order.
            order = np.lexsort((_keys(self.name, df, n_items), ts))[::-1]
            if self.test_size is not None:
                part[order[:n_test]] = TEST
                order = order[n_test:]
            else:
                order = order[part[order] == TRAIN]
            part[order[:n_val]] = VAL
        if not (part == TRAIN).any():
            raise SplitError(f"{self!r} leaves no interaction for training; {span}")
        info: dict[str, Any] = {"test_start": int(ts[part == TEST].min())}
        with_val = bool(self.val_size) or self.val_cutoff is not None
        if with_val and (part == VAL).any():
            info["val_start"] = int(ts[part == VAL].min())
        elif with_val:
            raise SplitError(f"{self!r}: no interaction falls in the validation period; {span}")
        return split_from_parts(self, df, part, with_val), info
