"""The step interface and what steps and splitters share: checks, id compaction, hashing.

A step never changes its input: it returns a new dataset whose lineage has one more
entry ``{"step", "params", "rows_before", "rows_after", ...}``.
"""

from __future__ import annotations

import datetime as dt
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from omnirec_core.data.canon import compact, take_rows
from omnirec_core.data.dataset import RawData, RecSysDataSet
from omnirec_core.errors import DataError, OmniRecError
from omnirec_core.random import get_random_state, rng


class Step(ABC):
    """One preprocessing operation: ``step.process(dataset)`` (or ``step(dataset)``).

    Subclasses implement :meth:`params` (JSON-able, recorded in the lineage) and
    :meth:`process`. ``final`` marks steps that must come last in a :class:`Pipe`
    (splitters).
    """

    final: ClassVar[bool] = False

    @property
    def name(self) -> str:
        return type(self).__name__

    @abstractmethod
    def params(self) -> dict[str, Any]:
        """The parameters as recorded in the lineage (JSON-able)."""

    @abstractmethod
    def process(self, dataset: RecSysDataSet[Any]) -> RecSysDataSet[Any]:
        """A new dataset with this step applied; ``dataset`` is left unchanged."""

    def __call__(self, dataset: RecSysDataSet[Any]) -> RecSysDataSet[Any]:
        return self.process(dataset)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params().items() if v is not None)
        return f"{self.name}({args})"


def require_raw(
    dataset: RecSysDataSet[Any], step: str, error: type[OmniRecError] = DataError
) -> pd.DataFrame:
    """The interaction table of an unsplit dataset, or a clear error naming ``step``."""
    if not isinstance(dataset, RecSysDataSet):
        raise error(f"{step} expects a RecSysDataSet, got {type(dataset).__name__}")
    if not isinstance(dataset.data, RawData):
        raise error(
            f"{step} works on unsplit data (RawData), but dataset {dataset.name!r} holds "
            f"{type(dataset.data).__name__}; apply it before splitting, with the splitter "
            "last, e.g. Pipe(MakeImplicit(3), CorePruning(5), UserHoldout(0.2))"
        )
    df = dataset.data.df
    if len(df) == 0:
        raise error(f"{step}: dataset {dataset.name!r} has no interactions")
    return df


def apply_rows(
    dataset: RecSysDataSet[Any],
    keep: np.ndarray,
    step: Step,
    *,
    drop_columns: tuple[str, ...] = (),
    meta: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
    empty_hint: str = "",
) -> RecSysDataSet[RawData]:
    """A new dataset of the rows ``keep`` (boolean mask or sorted positions) with
    compacted ids and one lineage entry for ``step``."""
    df = dataset.data.df
    idx = np.flatnonzero(keep) if keep.dtype == bool else keep
    if len(idx) == 0:
        raise DataError(
            f"{step!r} removed every interaction of dataset {dataset.name!r} "
            f"({len(df)} rows before){'; ' + empty_hint if empty_hint else ''}"
        )
    cols = [c for c in df.columns if c not in drop_columns]
    if len(idx) == len(df):
        canon = compact(df[cols], dataset.user_ids, dataset.item_ids)
    else:  # the taken columns are new: compact may renumber them in place
        canon = compact(take_rows(df[cols], idx), dataset.user_ids, dataset.item_ids, owned=True)
    entry = {
        "step": step.name,
        "params": step.params(),
        **(extra or {}),
        "rows_before": len(df),
        "rows_after": len(idx),
    }
    new = dataset.replace_data(
        RawData(canon.df), user_ids=canon.user_ids, item_ids=canon.item_ids, step=entry
    )
    new.meta.update(meta or {})
    return new


# ---- seeded, order-independent random keys ----------------------------------------
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(x: np.ndarray, inplace: bool = False) -> np.ndarray:
    """splitmix64's finaliser: a bijection on uint64 that scrambles every bit (of ``x``
    itself when ``inplace``; one scratch array either way, not one per step)."""
    if not inplace:
        x = x.copy()
    t = np.empty_like(x)
    for shift, mul in ((30, _M1), (27, _M2), (31, None)):
        np.right_shift(x, np.uint64(shift), out=t)
        x ^= t
        if mul is not None:
            x *= mul
    return x


def salts(*labels: object) -> tuple[np.uint64, np.uint64]:
    """Two 64-bit salts from the global seed and ``labels``."""
    a, b = rng(*labels).integers(0, np.iinfo(np.uint64).max, size=2, dtype=np.uint64, endpoint=True)
    return np.uint64(a), np.uint64(b)


def pair_keys(
    user: np.ndarray, item: np.ndarray, n_items: int, salt: tuple[np.uint64, np.uint64]
) -> np.ndarray:
    """A seeded pseudo-random uint64 key per (user, item) pair.

    The key depends only on the pair and the seed, not on row order, so the same data in
    any order gets the same sample or split. Distinct pairs get distinct keys (the mix
    is a bijection), so ordering by key is a total, tie-free random order.
    """
    x = user.astype(np.uint64)
    x *= np.uint64(max(n_items, 1))
    # Ids are >= 0: an int64 column seen as uint64 holds the same numbers (no copy).
    x += item.view(np.uint64) if item.dtype == np.int64 else item.astype(np.uint64)
    x ^= salt[0]
    _mix(x, inplace=True)
    x ^= salt[1]
    return _mix(x, inplace=True)


def id_keys(ids: np.ndarray, salt: tuple[np.uint64, np.uint64]) -> np.ndarray:
    """A seeded pseudo-random uint64 key per id (for per-user random offsets)."""
    x = _mix(ids.astype(np.uint64) ^ salt[0], inplace=True)
    x ^= salt[1]
    return _mix(x, inplace=True)


def seed_entry() -> dict[str, int]:
    """The lineage field recording the global seed a random step used."""
    return {"seed": get_random_state()}


# ---- parameter checks -------------------------------------------------------------
def is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_real(value: object) -> bool:
    return (is_int(value) or isinstance(value, (float, np.floating))) and not isinstance(
        value, (bool, np.bool_)
    )


def to_epoch_seconds(value: object, what: str = "time", error: type[OmniRecError] = DataError) -> int:
    """A point in time (datetime, date, ``pd.Timestamp``, ISO text or int/float seconds
    since the epoch) as int seconds; naive datetimes are taken as UTC."""
    if is_real(value):
        seconds = float(value)  # type: ignore[arg-type]  # is_real: an int or float of some kind
        if not math.isfinite(seconds):
            raise error(f"{what} must be a finite time, got {value!r}")
        return int(value) if is_int(value) else math.floor(seconds)  # type: ignore[call-overload]
    if isinstance(value, (str, dt.datetime, dt.date, np.datetime64, pd.Timestamp)):
        try:
            ts = pd.Timestamp(value)
        except (ValueError, TypeError) as exc:
            raise error(f"{what}={value!r} is not a date or time ({exc})") from None
        if ts is pd.NaT:
            raise error(f"{what} must be a time, got {value!r}")
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC").tz_localize(None)
        return int(ts.value // 1_000_000_000)
    raise error(
        f"{what} must be a datetime, an ISO date string or seconds since the epoch, "
        f"got {type(value).__name__} {value!r}"
    )
