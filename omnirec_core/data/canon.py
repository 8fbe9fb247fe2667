"""Canonicalisation: validated columns and dtypes, duplicates dropped, dense ids.

A canonical interaction table has ``user`` and ``item`` as int64 ids in 0..n-1,
optionally ``rating`` (float64) and ``timestamp`` (int64 seconds). Ids are assigned in
sorted order of the original ids, so the same data in any row order canonicalises to
the same table.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from omnirec_core.errors import DataError

REQUIRED = ("user", "item")
OPTIONAL = ("rating", "timestamp")
COLUMNS = REQUIRED + OPTIONAL


@dataclass
class Canonical:
    """A canonical table plus the original ids (index = canonical id)."""

    df: pd.DataFrame
    user_ids: np.ndarray
    item_ids: np.ndarray
    duplicates_dropped: int = 0


def _fix_hint(columns: list[str], missing: str) -> str:
    return (
        f"the data has no {missing!r} column (columns: {', '.join(map(str, columns)) or 'none'}); "
        f"rename yours, e.g. columns={{'<your {missing} column>': {missing!r}}} when loading"
    )


def to_seconds(col: pd.Series) -> np.ndarray:
    """Timestamps of any common form (datetime, numeric, text) as int64 seconds."""
    if pd.api.types.is_datetime64_any_dtype(col):
        if getattr(col.dt, "tz", None) is not None:
            col = col.dt.tz_convert("UTC").dt.tz_localize(None)
        if col.isna().any():
            raise DataError(f"'timestamp' has {int(col.isna().sum())} missing values; drop them")
        return col.astype("datetime64[s]").astype("int64").to_numpy()
    if pd.api.types.is_integer_dtype(col) and not col.hasnans:
        return col.to_numpy(dtype="int64")  # exact, and no float copy of a large column
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        values = col.to_numpy(dtype="float64")
        bad = ~np.isfinite(values)
        if bad.any():
            raise DataError(
                f"'timestamp' has {int(bad.sum())} missing or non-finite values "
                f"(first at row {int(np.flatnonzero(bad)[0])}); drop those rows or the column"
            )
        return np.floor(values).astype("int64")
    numeric = pd.to_numeric(col, errors="coerce")
    if not pd.api.types.is_bool_dtype(numeric) and numeric.notna().all():
        return to_seconds(numeric.astype("float64"))  # epoch seconds stored as text
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "could not infer format"
            try:
                parsed = pd.to_datetime(col, utc=True)
            except (ValueError, TypeError):
                # pandas infers one format from the first value; allow mixed ones.
                parsed = pd.to_datetime(col, utc=True, format="mixed")
    except (ValueError, TypeError) as exc:
        raise DataError(
            f"'timestamp' values such as {col.iloc[0]!r} are neither numbers nor dates ({exc}); "
            "convert them or drop the column"
        ) from None
    return to_seconds(parsed)


def canonicalize(df: pd.DataFrame) -> Canonical:
    """Validate and canonicalise an interaction table in original ids."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame of interactions, got {type(df).__name__}")
    for col in REQUIRED:
        if col not in df.columns:
            raise DataError(_fix_hint(list(df.columns), col))
    if len(df) == 0:
        raise DataError("the dataset is empty: it has no interactions; check the source file and filters")
    out: dict[str, np.ndarray] = {}
    ids: dict[str, np.ndarray] = {}
    for col in REQUIRED:
        series = df[col]
        nan = series.isna().to_numpy()
        if nan.any():
            raise DataError(
                f"{col!r} has {int(nan.sum())} missing (NaN) ids, first at row "
                f"{int(np.flatnonzero(nan)[0])}; drop them first, e.g. df.dropna(subset=[{col!r}])"
            )
        if isinstance(series.dtype, pd.CategoricalDtype):
            codes, uniques = _factorize_categorical(series)
        else:
            codes, uniques = pd.factorize(series, sort=True)
        out[col] = codes.astype("int64")
        ids[col] = np.asarray(uniques)
    if "rating" in df.columns:
        rating = df["rating"]
        if not pd.api.types.is_numeric_dtype(rating) or pd.api.types.is_bool_dtype(rating):
            coerced = pd.to_numeric(rating, errors="coerce")
            bad = coerced.isna() & rating.notna()
            if bad.any():
                first = int(np.flatnonzero(bad.to_numpy())[0])
                raise DataError(
                    f"'rating' has non-numeric values such as {rating.iloc[first]!r} (row {first}); "
                    "convert ratings to numbers or drop the column for implicit feedback"
                )
            rating = coerced
        values = rating.to_numpy(dtype="float64")
        if not np.isfinite(values).all():
            n = int((~np.isfinite(values)).sum())
            raise DataError(f"'rating' has {n} missing or infinite values; drop those rows")
        out["rating"] = values
    if "timestamp" in df.columns:
        out["timestamp"] = to_seconds(df["timestamp"])

    n_items = len(ids["item"])
    # The ids live on in the key alone (user = key // n_items), so the id columns can go
    # now: at tens of millions of rows each kept copy costs hundreds of MB.
    key = out.pop("user") * n_items + out.pop("item")
    keep = _latest_per_key(key, out.get("timestamp"))
    dropped = len(key) - len(keep)
    kept = key[keep]
    del key
    cols: dict[str, np.ndarray] = {"user": kept // n_items, "item": kept % n_items}
    del kept
    for c in OPTIONAL:
        if c in out:
            cols[c] = out.pop(c)[keep]
    table = pd.DataFrame(cols, copy=False)
    return Canonical(table, ids["user"], ids["item"], dropped)


def _factorize_categorical(series: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """``pd.factorize(sort=True)`` of a categorical's values, from its codes.

    Parsers hand over string ids already dictionary-encoded; sorting the categories
    (when they are not sorted yet) and dropping unused ones is O(rows) instead of
    hashing every string again.
    """
    codes = series.cat.codes.to_numpy().astype("int64")
    categories = series.cat.categories
    if not categories.is_monotonic_increasing:
        order = categories.argsort()
        rank = np.empty(len(order), dtype="int64")
        rank[order] = np.arange(len(order))
        codes = rank[codes]
        categories = categories[order]
    used = np.bincount(codes, minlength=len(categories)) > 0
    if not used.all():
        codes = (np.cumsum(used) - 1)[codes]
        categories = categories[used]
    return codes, categories


MAX_BUCKET_BITS = 16  # beyond this many extra bits, fall back to the plain multi-key sort


def _packed_order(key: np.ndarray, index_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions sorted by (key, position), and the keys in that order: one uint64 sort."""
    packed = (key.astype(np.uint64) << np.uint64(index_bits)) | np.arange(len(key), dtype=np.uint64)
    packed.sort()
    order = (packed & np.uint64((1 << index_bits) - 1)).astype(np.int64)
    sorted_key = (packed >> np.uint64(index_bits)).astype(np.int64)
    return order, sorted_key


def _order_by_key(key: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Positions sorted by (key, position) and the sorted keys; ``None`` if too large.

    Keys and positions are packed into one uint64 and sorted, much faster than a
    multi-key sort. When they need more than 64 bits (tens of millions of rows over
    millions of users and items), rows are first grouped by the key's high bits with
    a stable radix sort of a 16-bit bucket number, and each bucket is packed and sorted
    on its own: the buckets are in key order and positions stay ascending inside them.
    """
    n = len(key)
    index_bits = max(1, (n - 1).bit_length())
    key_bits = max(1, int(key.max()).bit_length())
    extra = key_bits + index_bits - 64
    if extra <= 0:
        return _packed_order(key, index_bits)
    if extra > MAX_BUCKET_BITS:
        return None
    shift = key_bits - extra
    bucket = (key >> shift).astype(np.uint16)
    grouped = np.argsort(bucket, kind="stable")  # radix sort for 16-bit values
    bounds = np.searchsorted(bucket[grouped], np.arange((1 << extra) + 1))
    del bucket
    low = key[grouped] & ((1 << shift) - 1)
    order = np.empty(n, dtype=np.int64)
    sorted_key = np.empty(n, dtype=np.int64)
    for b in range(1 << extra):
        lo, hi = int(bounds[b]), int(bounds[b + 1])
        if lo == hi:
            continue
        local, local_key = _packed_order(low[lo:hi], max(1, (hi - lo - 1).bit_length()))
        order[lo:hi] = grouped[lo:hi][local]
        sorted_key[lo:hi] = local_key | (b << shift)
    return order, sorted_key


def _latest_per_key(key: np.ndarray, timestamp: np.ndarray | None) -> np.ndarray:
    """Row positions, ordered by key, keeping per key the latest row (time, then position)."""
    n = len(key)
    ordered = _order_by_key(key)
    if ordered is None:  # too large to pack even in buckets: the plain 3-key sort
        order_keys = [np.arange(n)] + ([timestamp] if timestamp is not None else []) + [key]
        order = np.lexsort(order_keys)
        sorted_key = key[order]
        last = np.ones(n, dtype=bool)
        last[:-1] = sorted_key[1:] != sorted_key[:-1]
        return order[last]
    order, sorted_key = ordered
    same = sorted_key[1:] == sorted_key[:-1]
    del sorted_key
    last = np.ones(n, dtype=bool)
    last[:-1] = ~same
    if timestamp is not None and same.any():
        # Only inside runs of duplicate keys does time decide which row is last.
        tied = np.zeros(n, dtype=bool)
        tied[1:] |= same
        tied[:-1] |= same
        at = np.flatnonzero(tied)
        run = np.cumsum(np.concatenate(([True], ~same[at[1:] - 1])))
        rows = order[at]
        order[at] = rows[np.lexsort((rows, timestamp[rows], run))]
    return order[last]


def take_rows(df: pd.DataFrame, idx: np.ndarray) -> pd.DataFrame:
    """Rows ``idx`` of ``df`` with a fresh RangeIndex: numpy columns are gathered directly
    (several times faster than ``DataFrame.take`` at millions of rows) and kept as
    separate arrays (no copy into one block per dtype)."""
    if not all(isinstance(dt, np.dtype) for dt in df.dtypes):
        return df.take(idx).reset_index(drop=True)
    return pd.DataFrame({c: df[c].to_numpy()[idx] for c in df.columns}, copy=False)


def compact(
    df: pd.DataFrame, user_ids: np.ndarray, item_ids: np.ndarray, *, owned: bool = False
) -> Canonical:
    """Re-number ids to 0..n-1 after rows were removed, keeping the original-id mapping.

    Ids keep their relative order; O(rows) with ``bincount`` (no sort), which matters at 25M rows.
    ``owned``: ``df`` is the caller's to change (its id columns are renumbered in place).
    """
    if not df.index.equals(pd.RangeIndex(len(df))):
        df = df.reset_index(drop=True)  # new id columns align by position
    cols: dict[str, Any] = {c: df[c] for c in df.columns}
    kept: dict[str, np.ndarray] = {}
    for col, ids in (("user", user_ids), ("item", item_ids)):
        values = df[col].to_numpy()
        present = np.bincount(values, minlength=len(ids)) > 0
        if present[: len(ids)].all():  # none of these ids went away: they stand as they are
            kept[col] = ids
            continue
        new_id = np.cumsum(present) - 1
        if owned and values.dtype == new_id.dtype and values.base is not None and values.base.flags.writeable:
            # pandas hands out a read-only view of the column; the caller owns it, so write
            # through. Each value is read before its own slot is written: in place is safe.
            values.flags.writeable = True
            cols[col] = np.take(new_id, values, out=values, mode="clip")
        else:
            cols[col] = new_id[values]
        kept[col] = ids[present]
    # copy=False keeps the columns separate (no copy into one block per dtype); the input's
    # columns go in as Series so that copy-on-write still protects the input frame.
    out = pd.DataFrame(cols, copy=False)
    return Canonical(out, kept["user"], kept["item"])
