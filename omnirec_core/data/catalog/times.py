"""Timestamps of every source format as int64 seconds since 1970-01-01 UTC.

A format is ``"s"`` (epoch seconds, numbers or numeric text), ``"ms"`` (epoch
milliseconds) or a ``strptime`` pattern such as ``"%a %b %d %H:%M:%S %z %Y"``; times
without a zone are taken as UTC. Alternatives are separated by ``||`` and tried in
order for the values the previous ones could not parse (``"%Y-%m-%d %H:%M:%S||%Y-%m-%d"``). Values that do not parse come back flagged, so the
caller can count and report them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

EPOCH_UNITS = {"s": 1, "ms": 1000}


def _as_series(values: Any) -> pd.Series:
    if isinstance(values, pd.Series):
        return values.reset_index(drop=True)
    if hasattr(values, "to_pandas"):  # a pyarrow array
        return values.to_pandas().reset_index(drop=True)
    return pd.Series(values)


def to_epoch_seconds(values: Any, fmt: str) -> tuple[np.ndarray, np.ndarray]:
    """``(seconds, ok)``: int64 seconds, and which values parsed (others are 0)."""
    first, *rest = fmt.split("||")
    seconds, ok = _one_format(values, first)
    for alternative in rest:
        if ok.all():
            break
        retry = np.flatnonzero(~ok)
        subset = _as_series(values).iloc[retry]
        more, more_ok = _one_format(subset.reset_index(drop=True), alternative)
        seconds[retry[more_ok]] = more[more_ok]
        ok[retry[more_ok]] = True
    return seconds, ok


def _one_format(values: Any, fmt: str) -> tuple[np.ndarray, np.ndarray]:
    if fmt in EPOCH_UNITS:
        return _from_numbers(values, EPOCH_UNITS[fmt])
    return _from_text(values, fmt)


def _from_numbers(values: Any, per_second: int) -> tuple[np.ndarray, np.ndarray]:
    series = _as_series(values)
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        series = pd.to_numeric(series, errors="coerce")
    raw = series.to_numpy(dtype="float64", na_value=np.nan)
    ok = np.isfinite(raw)
    if pd.api.types.is_integer_dtype(series.dtype):
        # Integers stay exact: floor division, not a float round trip.
        exact = series.to_numpy(dtype="int64", na_value=0)
        return exact // per_second, ok
    seconds = np.zeros(len(raw), dtype="int64")
    seconds[ok] = np.floor(raw[ok] / per_second).astype("int64")
    return seconds, ok


def _from_text(values: Any, fmt: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:
        pa = None
    if pa is not None:
        if isinstance(values, (pa.Array, pa.ChunkedArray)):
            arr = values
        else:
            series = _as_series(values)
            arr = pa.array(series.astype(object).where(series.notna(), None), pa.string(), from_pandas=True)
        if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
            arr = pc.cast(arr, pa.string())
        parsed = pc.strptime(arr, format=fmt, unit="s", error_is_null=True)
        ok = pc.is_valid(parsed).to_numpy(zero_copy_only=False)
        seconds = pc.cast(parsed, pa.int64()).to_numpy(zero_copy_only=False)
        return np.where(ok, np.nan_to_num(seconds, nan=0), 0).astype("int64"), ok
    parsed = pd.to_datetime(_as_series(values), format=fmt, errors="coerce", utc=True)
    ok = parsed.notna().to_numpy()
    seconds = np.zeros(len(parsed), dtype="int64")
    since = (parsed[ok] - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    seconds[ok] = since.to_numpy(dtype="int64")
    return seconds, ok


__all__ = ["EPOCH_UNITS", "to_epoch_seconds"]
