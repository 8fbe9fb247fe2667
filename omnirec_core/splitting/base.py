"""The splitter interface and the vectorised machinery the built-in splitters share.

Rows are assigned to parts by array arithmetic only: a seeded random key per
(user, item) pair (:func:`~omnirec_core.data.step.pair_keys`), one sort that groups
rows by user, and each row's rank inside its user. No per-user Python loop.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from omnirec_core.data.canon import take_rows
from omnirec_core.data.dataset import FoldedData, RecSysDataSet, SplitData
from omnirec_core.data.step import Step, is_int, is_real, require_raw, seed_entry
from omnirec_core.errors import SplitError
from omnirec_core.splitting.report import describe_data

TooFew = Literal["train", "drop", "error"]
TOO_FEW_POLICIES: tuple[str, ...] = ("train", "drop", "error")

# Part codes of the per-row assignment array.
TRAIN, VAL, TEST, DROP = 0, 1, 2, -1


class Splitter(Step):
    """A step that turns an unsplit dataset into :class:`SplitData` or :class:`FoldedData`.

    Ids are not re-numbered (train, val and test share the id space). The lineage entry
    records the parameters and the global seed; ``meta["split_report"]`` holds
    :func:`describe_split` of the result (sizes, unseen users and items per part).
    """

    final: ClassVar[bool] = True
    folded: ClassVar[bool] = False
    description: ClassVar[str] = ""

    def process(self, dataset: RecSysDataSet[Any]) -> RecSysDataSet[Any]:
        df = require_raw(dataset, self.name, SplitError)
        data, info = self.split_frame(df, dataset.n_users, dataset.n_items)
        frames = data.folds[0].parts().values() if isinstance(data, FoldedData) else data.parts().values()
        entry = {
            "step": self.name,
            "params": self.params(),
            **seed_entry(),
            "rows_before": len(df),
            "rows_after": sum(len(f) for f in frames),
            **info,
        }
        new = dataset.replace_data(data, step=entry)
        new.meta["split_report"] = describe_data(data, dataset.n_users, dataset.n_items)
        return new

    @abstractmethod
    def split_frame(
        self, df: pd.DataFrame, n_users: int, n_items: int
    ) -> tuple[SplitData | FoldedData, dict[str, Any]]:
        """Split a canonical table; returns the data and extra lineage fields."""


class UserwiseSplitter(Splitter):
    """A splitter that holds out part of every user's interactions.

    Users with fewer than ``min_user_interactions`` interactions (default: the fewest
    that leave at least one in train and one in every held-out part) follow ``too_few``:
    ``"train"`` keeps all their interactions in train, ``"drop"`` leaves them out of
    every part, ``"error"`` raises a :class:`SplitError` naming how many users are short.
    """

    def __init__(self, too_few: TooFew = "train", min_user_interactions: int | None = None) -> None:
        if too_few not in TOO_FEW_POLICIES:
            raise SplitError(
                f"{self.name}(too_few={too_few!r}): choose one of {', '.join(map(repr, TOO_FEW_POLICIES))}"
            )
        need = self.required_interactions()
        if min_user_interactions is not None and (
            not is_int(min_user_interactions) or min_user_interactions < need
        ):
            raise SplitError(
                f"{self.name}(min_user_interactions={min_user_interactions!r}): with these "
                f"parameters a user needs at least {need} interactions to keep one in train "
                f"and one in each held-out part or fold; use a whole number >= {need}"
            )
        self.too_few: TooFew = too_few
        self.min_user_interactions = None if min_user_interactions is None else int(min_user_interactions)

    @abstractmethod
    def required_interactions(self) -> int:
        """The fewest interactions a user needs for this splitter's guarantees."""

    def policy_params(self) -> dict[str, Any]:
        return {"too_few": self.too_few, "min_user_interactions": self.min_user_interactions}

    def unsort(
        self,
        order: np.ndarray,
        sorted_codes: np.ndarray,
        short_rows: np.ndarray,
        keep: int = TRAIN,
        drop: int = DROP,
    ) -> np.ndarray:
        """Per-row codes from codes computed in ``order``; rows of short users (a mask
        in the same order) get ``keep`` or ``drop`` as the ``too_few`` policy says."""
        sorted_codes[short_rows] = drop if self.too_few == "drop" else keep
        codes = np.empty_like(sorted_codes)
        codes[order] = sorted_codes
        return codes

    def short_users(self, counts: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
        """Users with some but too few interactions (a mask over users), after applying
        the ``error`` policy; plus the lineage fields that report them."""
        need = self.min_user_interactions or self.required_interactions()
        short = (counts > 0) & (counts < need)
        n_short = int(short.sum())
        if n_short and self.too_few == "error":
            raise SplitError(
                f"{self!r}: {n_short} of {int((counts > 0).sum())} users have fewer than {need} "
                f"interactions (the fewest this split needs per user), holding "
                f"{int(counts[short].sum())} interactions in all; remove them first with "
                f"CorePruning(user_core={need}), or pass too_few='train' (keep them in train "
                "only) or too_few='drop' (leave them out)"
            )
        return short, {
            "too_few_users": n_short,
            "too_few_policy": self.too_few,
            "min_user_interactions": need,
        }


# ---- sizes ------------------------------------------------------------------------
def check_size(splitter: str, what: str, value: Any, *, optional: bool) -> int | float:
    """A size: a fraction in (0, 1), or a whole count >= 1; 0/None when ``optional``."""
    if optional and (value is None or (is_real(value) and value == 0)):
        return 0
    if is_int(value):
        if value < 1:
            raise SplitError(f"{splitter}({what}={value!r}): a count must be at least 1")
        return int(value)
    if is_real(value) and 0.0 < float(value) < 1.0:
        return float(value)
    raise SplitError(
        f"{splitter}({what}={value!r}): give a fraction between 0 and 1 (exclusive) or a "
        f"whole number of interactions >= 1{' (or 0 for none)' if optional else ''}"
    )


def check_fractions(splitter: str, test: int | float, val: int | float) -> None:
    if isinstance(test, float) and isinstance(val, float) and test + val >= 1.0:
        raise SplitError(
            f"{splitter}: test_size + val_size = {test + val:g} leaves nothing to train on; "
            "their sum must be below 1"
        )


def size_count(size: int | float, total: Any) -> Any:
    """How many of ``total`` rows a size means (fractions round half up)."""
    if isinstance(size, float):
        return np.floor(np.asarray(total) * size + 0.5).astype(np.int64)
    return np.full_like(np.asarray(total, dtype=np.int64), size)


def fmt_size(size: int | float) -> str:
    return f"{size:g}" if isinstance(size, float) else str(size)


# ---- ordering ---------------------------------------------------------------------
def grouped_order(group: np.ndarray | None, keys: np.ndarray, n_groups: int = 1) -> np.ndarray:
    """Row positions ordered by (``group``, ``keys``): ``np.lexsort((keys, group))``, faster.

    Packs group bits, the high bits of each key and the row index into one uint64 and
    sorts the values (``np.sort`` is about three times faster than ``argsort``). Rows
    whose truncated keys collide are then put in full-key order, so the result is the
    exact, tie-free order whatever the row order. ``keys`` must be distinct uint64.
    """
    n = len(keys)
    ibits = max(1, (n - 1).bit_length())
    gbits = max(1, (max(n_groups, 1) - 1).bit_length()) if group is not None else 0
    kbits = 64 - gbits - ibits
    if kbits < 16:  # too little room for the key: exact two-key sort
        return np.lexsort((keys, group)) if group is not None else np.argsort(keys)
    # In place where possible: at 10M rows each temporary is 80 MB of fresh memory.
    packed = keys >> np.uint64(64 - kbits)
    packed <<= np.uint64(ibits)
    if group is not None:
        high = group.astype(np.uint64)
        high <<= np.uint64(64 - gbits)
        packed |= high
        del high
    packed |= np.arange(n, dtype=np.uint64)
    # Canonical data comes in user order: then timsort, which merges the groups as runs,
    # is about 3x faster than quicksort. The values are distinct, so the order is the same.
    grouped = group is not None and n > 1 and bool((group[1:] >= group[:-1]).all())
    packed.sort(kind="stable" if grouped else "quicksort")
    order = (packed & np.uint64((1 << ibits) - 1)).view(np.int64)  # row indices fit int64
    head = packed
    head >>= np.uint64(ibits)
    tie = head[1:] == head[:-1]
    del head, packed
    if tie.any():
        tied = np.zeros(n, dtype=bool)
        tied[1:] |= tie
        tied[:-1] |= tie
        at = np.flatnonzero(tied)
        run = np.cumsum(np.concatenate(([True], ~tie[at[1:] - 1])))
        rows = order[at]
        order[at] = rows[np.lexsort((keys[rows], run))]
    return order


def user_order(
    user: np.ndarray, keys: np.ndarray, n_users: int, ts: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows grouped by user, each user's rows by (``ts``,) ``keys``.

    Returns ``order`` (row positions in that order), ``pos`` (each sorted row's rank in
    its user, 0-based) and ``counts`` (rows per user).
    """
    counts = np.bincount(user, minlength=n_users)
    if ts is None:
        order = grouped_order(user, keys, n_users)
    else:
        order = np.lexsort((keys, ts, user))
    starts = np.cumsum(counts) - counts
    pos = np.arange(len(order), dtype=np.int64)
    pos -= np.repeat(starts, counts)  # the ordered rows' users ascend: no gather needed
    return order, pos, counts


def sorted_users(counts: np.ndarray) -> np.ndarray:
    """``user[order]`` for the ``order`` and ``counts`` of :func:`user_order`, without a
    gather: the ordered rows hold each user's rows in turn."""
    return np.repeat(np.arange(len(counts)), counts)


def split_from_parts(splitter: Step, df: pd.DataFrame, part: np.ndarray, with_val: bool) -> SplitData:
    """Frames of the rows assigned to train / val / test; empty parts are an error."""
    frames: dict[str, pd.DataFrame] = {}
    names = {"train": TRAIN, "val": VAL, "test": TEST} if with_val else {"train": TRAIN, "test": TEST}
    for name, code in names.items():
        idx = np.flatnonzero(part == code)
        if len(idx) == 0:
            raise SplitError(
                f"{splitter!r} left the {name} part empty ({len(df)} interactions, "
                f"{int((part == DROP).sum())} dropped); adjust the sizes, or the data has too "
                "few interactions per user for this split"
            )
        frames[name] = take_rows(df, idx)
    return SplitData(frames["train"], frames["test"], frames.get("val"))
