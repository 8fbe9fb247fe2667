"""The built-in preprocessing steps: sampling, feedback conversion, k-core, filters.

Every step takes an unsplit (:class:`RawData`) dataset and returns a new one with ids
re-compacted to 0..n-1 (the original ids kept) and one lineage entry appended.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from omnirec_core.data.dataset import RawData, RecSysDataSet
from omnirec_core.data.step import (
    Step,
    apply_rows,
    is_int,
    is_real,
    pair_keys,
    require_raw,
    salts,
    seed_entry,
    to_epoch_seconds,
)
from omnirec_core.errors import DataError


def _time_text(seconds: int) -> str:
    return f"{seconds} ({np.datetime64(int(seconds), 's')})"


class Subsample(Step):
    """Keep a seeded random sample of interactions: ``n`` of them or a fraction ``frac``.

    A float given as the first argument is a fraction (``Subsample(0.1)``), an int a
    count (``Subsample(1000)``). The sample depends only on the data and the global
    seed, not on row order.
    """

    def __init__(self, n: int | float | None = None, frac: float | None = None) -> None:
        if n is not None and frac is None and is_real(n) and not is_int(n):
            frac = float(n)  # Subsample(0.1): a float first argument is a fraction
            n = None
        if (n is None) == (frac is None):
            raise DataError(
                "Subsample needs exactly one of n (a number of interactions) or frac "
                f"(a fraction in (0, 1]), got n={n!r}, frac={frac!r}"
            )
        if n is not None and (not is_int(n) or n < 1):
            raise DataError(f"Subsample(n={n!r}): n must be a positive whole number")
        if frac is not None and not (is_real(frac) and 0.0 < float(frac) <= 1.0):
            raise DataError(f"Subsample(frac={frac!r}): frac must be a fraction in (0, 1]")
        self.n = None if n is None else int(n)
        self.frac = None if frac is None else float(frac)

    def params(self) -> dict[str, Any]:
        return {"n": self.n, "frac": self.frac}

    def process(self, dataset: RecSysDataSet[Any]) -> RecSysDataSet[RawData]:
        df = require_raw(dataset, self.name)
        total = len(df)
        k = self.n if self.n is not None else math.floor(float(self.frac or 0.0) * total + 0.5)
        if k > total:
            raise DataError(
                f"{self!r} asks for {k} interactions but dataset {dataset.name!r} has only "
                f"{total}; ask for fewer or use frac="
            )
        if k < 1:
            raise DataError(
                f"{self!r} keeps no interaction of the {total} in dataset {dataset.name!r}; "
                "use a larger fraction"
            )
        keys = pair_keys(df["user"].to_numpy(), df["item"].to_numpy(), dataset.n_items, salts(self.name))
        if k == total:
            idx = np.arange(total)
        else:
            # The k smallest keys are a uniform random sample; argpartition is O(rows).
            idx = np.sort(np.argpartition(keys, k - 1)[:k])
        return apply_rows(dataset, idx, self, extra=seed_entry())


class MakeImplicit(Step):
    """Turn ratings into implicit feedback: keep rows with ``rating >= threshold`` and
    drop the rating column (timestamps stay); sets ``meta["feedback"] = "implicit"``."""

    def __init__(self, threshold: float) -> None:
        if not is_real(threshold) or not math.isfinite(float(threshold)):
            raise DataError(f"MakeImplicit(threshold={threshold!r}): threshold must be a number")
        self.threshold = float(threshold)

    def params(self) -> dict[str, Any]:
        return {"threshold": self.threshold}

    def process(self, dataset: RecSysDataSet[Any]) -> RecSysDataSet[RawData]:
        df = require_raw(dataset, self.name)
        if "rating" not in df.columns:
            raise DataError(
                f"{self!r} needs ratings, but dataset {dataset.name!r} has no 'rating' column "
                "(its feedback is already implicit); remove MakeImplicit from the pipeline"
            )
        rating = df["rating"].to_numpy()
        return apply_rows(
            dataset,
            rating >= self.threshold,
            self,
            drop_columns=("rating",),
            meta={"feedback": "implicit"},
            empty_hint=f"ratings range from {rating.min():g} to {rating.max():g}; use a lower threshold",
        )


class CorePruning(Step):
    """Iterative k-core: drop users with fewer than ``user_core`` and items with fewer than
    ``item_core`` interactions until every remaining user and item meets its threshold.

    ``item_core=None`` uses ``user_core`` for items too; 0 or 1 disables a side.
    """

    def __init__(self, user_core: int = 5, item_core: int | None = None) -> None:
        item_core = user_core if item_core is None else item_core
        for what, value in (("user_core", user_core), ("item_core", item_core)):
            if not is_int(value) or value < 0:
                raise DataError(
                    f"CorePruning({what}={value!r}): a core must be a whole number >= 0 "
                    "(the minimum interactions each user/item keeps)"
                )
        self.user_core = int(user_core)
        self.item_core = int(item_core)

    def params(self) -> dict[str, Any]:
        return {"user_core": self.user_core, "item_core": self.item_core}

    def process(self, dataset: RecSysDataSet[Any]) -> RecSysDataSet[RawData]:
        df = require_raw(dataset, self.name)
        user = df["user"].to_numpy()
        item = df["item"].to_numpy()
        # int32 halves the memory traffic of every pass.
        small = dataset.n_users < 2**31 and dataset.n_items < 2**31
        u = user.astype(np.int32) if small else user
        i = item.astype(np.int32) if small else item
        idx: np.ndarray | None = None  # the kept rows; None: all of them
        rounds = 0
        while True:
            rounds += 1
            keep = np.ones(len(u), dtype=bool)
            if self.user_core > 1:
                counts = np.bincount(u, minlength=dataset.n_users)
                keep &= (counts >= self.user_core)[u]
            if self.item_core > 1:
                counts = np.bincount(i, minlength=dataset.n_items)
                keep &= (counts >= self.item_core)[i]
            if keep.all():
                break
            # Shrink the working arrays so each further pass touches fewer rows.
            idx = np.flatnonzero(keep) if idx is None else idx[keep]
            u, i = u[keep], i[keep]
            if len(idx) == 0:
                break
        return apply_rows(
            dataset,
            np.arange(len(df)) if idx is None else idx,
            self,
            extra={"rounds": rounds},
            empty_hint=f"no user-{self.user_core}/item-{self.item_core} core exists; lower the thresholds",
        )


class TimeFilter(Step):
    """Keep interactions with ``start <= timestamp <= end`` (both inclusive, either open).

    Times are datetimes, ISO strings or int seconds since the epoch (naive = UTC).
    """

    def __init__(self, start: Any = None, end: Any = None) -> None:
        if start is None and end is None:
            raise DataError("TimeFilter needs start, end or both")
        self.start = None if start is None else to_epoch_seconds(start, "TimeFilter start")
        self.end = None if end is None else to_epoch_seconds(end, "TimeFilter end")
        if self.start is not None and self.end is not None and self.start > self.end:
            raise DataError(f"TimeFilter: start {_time_text(self.start)} is after end {_time_text(self.end)}")

    def params(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end}

    def process(self, dataset: RecSysDataSet[Any]) -> RecSysDataSet[RawData]:
        df = require_raw(dataset, self.name)
        if "timestamp" not in df.columns:
            raise DataError(
                f"{self!r} needs timestamps, but dataset {dataset.name!r} has no 'timestamp' "
                "column; remove the TimeFilter or load the data with its time column"
            )
        ts = df["timestamp"].to_numpy()
        keep = np.ones(len(ts), dtype=bool)
        if self.start is not None:
            keep &= ts >= self.start
        if self.end is not None:
            keep &= ts <= self.end
        return apply_rows(
            dataset,
            keep,
            self,
            empty_hint=f"the data spans {_time_text(int(ts.min()))} to {_time_text(int(ts.max()))}",
        )


class RatingFilter(Step):
    """Keep interactions with ``min <= rating <= max`` (both inclusive, either open)."""

    def __init__(self, min: float | None = None, max: float | None = None) -> None:
        if min is None and max is None:
            raise DataError("RatingFilter needs min, max or both")
        for what, value in (("min", min), ("max", max)):
            if value is not None and (not is_real(value) or not math.isfinite(float(value))):
                raise DataError(f"RatingFilter({what}={value!r}): {what} must be a number")
        self.min = None if min is None else float(min)
        self.max = None if max is None else float(max)
        if self.min is not None and self.max is not None and self.min > self.max:
            raise DataError(f"RatingFilter: min {self.min:g} is larger than max {self.max:g}")

    def params(self) -> dict[str, Any]:
        return {"min": self.min, "max": self.max}

    def process(self, dataset: RecSysDataSet[Any]) -> RecSysDataSet[RawData]:
        df = require_raw(dataset, self.name)
        if "rating" not in df.columns:
            raise DataError(
                f"{self!r} needs ratings, but dataset {dataset.name!r} has no 'rating' column "
                "(implicit feedback); remove the RatingFilter"
            )
        rating = df["rating"].to_numpy()
        keep = np.ones(len(rating), dtype=bool)
        if self.min is not None:
            keep &= rating >= self.min
        if self.max is not None:
            keep &= rating <= self.max
        return apply_rows(
            dataset,
            keep,
            self,
            empty_hint=f"ratings range from {rating.min():g} to {rating.max():g}",
        )
