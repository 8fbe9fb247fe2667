"""Column access and (user, item) key sets shared by metrics and prediction checks.

Tables arrive as DataFrames, mappings of arrays or ``runner_api.Interactions``; ids are
canonical int64 and a (user, item) pair is the int64 key ``user * n_items + item``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from omnirec_core.errors import DataError

_NUMERIC_COLUMNS = ("user", "item", "score", "rank", "rating")


@dataclass(frozen=True)
class Columns:
    """Column arrays of a table plus its row labels (for error messages)."""

    data: dict[str, np.ndarray]
    index: pd.Index | None
    dtypes: dict[str, str]
    n_rows: int

    def __contains__(self, name: str) -> bool:
        return name in self.data

    def __getitem__(self, name: str) -> np.ndarray:
        return self.data[name]

    def row_label(self, position: int) -> Any:
        return self.index[position] if self.index is not None else position


def columns_of(obj: Any) -> Columns:
    """Columns of a DataFrame, a mapping of arrays, or an object with ``columns()``."""
    if isinstance(obj, Columns):
        return obj
    if isinstance(obj, pd.DataFrame):
        data: dict[str, np.ndarray] = {}
        dtypes: dict[str, str] = {}
        for name in _NUMERIC_COLUMNS:
            if name not in obj.columns:
                continue
            series = obj[name]
            dtypes[name] = str(series.dtype)
            if isinstance(series.dtype, pd.api.extensions.ExtensionDtype):
                numpy_dtype = getattr(series.dtype, "numpy_dtype", None)
                if numpy_dtype is not None and not series.isna().any():
                    data[name] = series.to_numpy(dtype=numpy_dtype)
                else:
                    data[name] = series.to_numpy(dtype=object)
            else:
                data[name] = series.to_numpy()
        index = (
            None
            if isinstance(obj.index, pd.RangeIndex) and obj.index.start == 0 and obj.index.step == 1
            else obj.index
        )
        return Columns(data, index, dtypes, len(obj))
    if callable(getattr(obj, "columns", None)):  # runner_api.Interactions
        obj = obj.columns()
    if isinstance(obj, dict) or hasattr(obj, "items"):
        data = {k: np.asarray(v) for k, v in obj.items() if k in _NUMERIC_COLUMNS}
        lengths = {len(v) for v in data.values()}
        if len(lengths) > 1:
            raise DataError(f"columns have different lengths {sorted(lengths)}; give equal-length arrays.")
        return Columns(
            data, None, {k: str(v.dtype) for k, v in data.items()}, lengths.pop() if lengths else 0
        )
    raise DataError(f"expected a pandas DataFrame or a mapping of column arrays, got {type(obj).__name__}.")


def combined_keys(user: np.ndarray, item: np.ndarray, n_items: int) -> np.ndarray:
    """The int64 key ``user * n_items + item`` identifying a (user, item) pair."""
    return user.astype(np.int64, copy=False) * np.int64(n_items) + item


class PairIndex:
    """A set of (user, item) pairs as sorted unique combined keys.

    Build it once per split (``PairIndex.from_frame(train, n_items)``) and pass it as ``train``
    to evaluate many algorithms without re-sorting the training pairs each time.
    """

    def __init__(self, keys: np.ndarray, n_items: int) -> None:
        self.keys = keys
        self.n_items = int(n_items)
        self._user_counts: np.ndarray | None = None

    @classmethod
    def from_arrays(cls, user: np.ndarray, item: np.ndarray, n_items: int) -> PairIndex:
        keys = combined_keys(user, item, n_items)
        if len(keys) > 1 and (keys[1:] > keys[:-1]).all():
            return cls(keys, n_items)  # split parts come sorted and unique: one pass
        # Stable sort: tables grouped by user are nearly sorted, which timsort exploits.
        keys = np.sort(keys, kind="stable")
        if len(keys) > 1:
            keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]
        return cls(keys, n_items)

    @classmethod
    def from_frame(
        cls, table: Any, n_items: int, n_users: int | None = None, what: str = "train"
    ) -> PairIndex:
        cols = columns_of(table)
        user = int_column(cols, "user", what, n_users)
        item = int_column(cols, "item", what, n_items)
        return cls.from_arrays(user, item, n_items)

    def __len__(self) -> int:
        return len(self.keys)

    def contains_keys(self, keys: np.ndarray) -> np.ndarray:
        """Boolean mask: which of ``keys`` are in the set."""
        if len(self.keys) == 0:
            return np.zeros(len(keys), dtype=bool)
        idx = np.searchsorted(self.keys, keys)
        np.minimum(idx, len(self.keys) - 1, out=idx)
        return self.keys[idx] == keys

    def find_in(self, sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each key of this set: its position in ``sorted_keys`` and whether it is there.

        Both sides are sorted, so the lookups walk forward through memory.
        """
        if len(sorted_keys) == 0:
            return np.zeros(len(self.keys), dtype=np.int64), np.zeros(len(self.keys), dtype=bool)
        idx = np.searchsorted(sorted_keys, self.keys)
        np.minimum(idx, len(sorted_keys) - 1, out=idx)
        return idx, sorted_keys[idx] == self.keys

    def user_counts(self, n_users: int) -> np.ndarray:
        """Number of pairs of each user 0..n_users-1 (from the run lengths of the sorted keys' users)."""
        if self._user_counts is None or len(self._user_counts) != n_users:
            if not len(self.keys) or self.keys[-1] < n_users * self.n_items:
                # The keys' users ascend: their run lengths (cheaper than a search per user).
                self._user_counts = sorted_counts(self.keys // np.int64(self.n_items), n_users)
            else:
                bounds = np.arange(n_users + 1, dtype=np.int64) * np.int64(self.n_items)
                self._user_counts = np.diff(np.searchsorted(self.keys, bounds))
        return self._user_counts

    @cached_property
    def item_popularity(self) -> np.ndarray:
        """Number of distinct users per item (length ``n_items``)."""
        return np.bincount(self.keys % self.n_items, minlength=self.n_items)

    @cached_property
    def n_users_present(self) -> int:
        """Number of distinct users with at least one pair."""
        users = self.keys // self.n_items
        return int(np.count_nonzero(users[1:] != users[:-1]) + 1) if len(users) else 0


def sorted_counts(values: np.ndarray, n: int) -> np.ndarray:
    """How often each of 0..n-1 occurs in the non-decreasing ``values`` (all below ``n``):
    one comparison pass over the runs, about half the cost of a ``bincount``."""
    counts = np.zeros(n, dtype=np.int64)
    if len(values):
        starts = np.flatnonzero(values[1:] != values[:-1]) + 1
        bounds = np.concatenate(([0], starts, [len(values)]))
        counts[values[bounds[:-1]]] = np.diff(bounds)
    return counts


def sort_groups(values: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Sort ``values`` in place, where the groups ``offsets[g]:offsets[g+1]`` hold ordered
    value ranges; returns it.

    Groups of one length (top-K lists) are sorted as rows of a dense block: many short
    sorts are about 3x cheaper than one long one. Otherwise timsort, which sorts the
    short runs and merges them, finding the groups already in order.
    """
    lens = np.diff(offsets)
    listed = lens[lens > 0]
    if len(values) > 1 and (listed == listed[0]).all():
        values.reshape(len(listed), int(listed[0])).sort(axis=1)
    else:
        values.sort(kind="stable")
    return values


def int_column(
    cols: Columns, name: str, what: str, bound: int | None, error: type[Exception] = DataError
) -> np.ndarray:
    """Column ``name`` as int64 ids in ``[0, bound)``, or a clear error."""
    if name not in cols:
        raise error(
            f"{what} has no {name!r} column (columns: {', '.join(cols.data) or 'none'}); "
            f"give {what} the columns user and item in canonical int ids."
        )
    arr = cols[name]
    if len(arr) == 0:  # an empty column of any dtype (e.g. object from an empty frame) is fine
        return np.zeros(0, dtype=np.int64)
    if arr.dtype.kind not in "iu":
        raise error(
            f"{what} column {name!r} has dtype {cols.dtypes.get(name, arr.dtype)}, expected integer ids "
            f"(NaN ids or strings?); map ids to canonical ints 0..n-1 and cast with astype('int64')."
        )
    arr = arr.astype(np.int64, copy=False)
    # Seen as unsigned, a negative id is huge: one max() checks both ends.
    if bound is not None and len(arr) and arr.view(np.uint64).max() >= bound:
        bad = np.flatnonzero((arr < 0) | (arr >= bound))
        if len(bad):
            rows = ", ".join(f"row {cols.row_label(int(p))} ({name}={arr[p]})" for p in bad[:3])
            raise error(
                f"{what} has {len(bad)} {name} id(s) outside 0..{bound - 1}, first: {rows}; "
                f"ids must be canonical ints of the dataset the split came from."
            )
    return arr


def as_pair_index(train: Any, n_users: int, n_items: int) -> PairIndex:
    """``train`` as a :class:`PairIndex` (built here unless one was passed)."""
    if isinstance(train, PairIndex):
        if train.n_items != n_items:
            raise DataError(f"the train PairIndex was built with n_items={train.n_items}, not {n_items}.")
        return train
    return PairIndex.from_frame(train, n_items, n_users)
