"""Original ids as sorted categoricals: one hash pass, one fast sort of the distinct ids.

Canonical ids number the original ids in sorted order. For tens of millions of string
ids, encoding them once with pyarrow's ``dictionary_encode`` and sorting only the
distinct values is several times faster than ``pandas.factorize(sort=True)`` over the
strings, and canonicalisation takes a categorical with sorted categories as it is.

The distinct values are sorted by their bytes (UTF-8 byte order is code point order,
the order of Python's ``str`` comparison) eight bytes at a time: one integer sort of
the first eight bytes as big-endian words orders almost all of them; only values that
tie go on to the next eight bytes. That is much faster than comparing whole strings.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

WORD = 8


def _word(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray, k: int) -> np.ndarray:
    """Bytes ``8k .. 8k+7`` of each string as a big-endian uint64, zero-padded.

    ``data`` must end with at least 8 spare bytes, so every 8-byte window is in bounds.
    """
    windows = np.lib.stride_tricks.as_strided(data, shape=(len(data) - WORD + 1, WORD), strides=(1, 1))
    block = windows[np.minimum(starts + k * WORD, len(windows) - 1)]
    block[np.arange(WORD) >= (lengths - k * WORD)[:, None]] = 0
    return block.view(">u8").ravel().astype(np.uint64)


def byte_order(values: Any) -> np.ndarray:
    """Positions that sort a pyarrow string array by its bytes (nulls not allowed)."""
    import pyarrow as pa

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    offset_type: type[np.signedinteger[Any]] = np.int64 if pa.types.is_large_string(values.type) else np.int32
    offsets = np.frombuffer(values.buffers()[1], dtype=offset_type)[values.offset : values.offset + n + 1]
    raw = np.frombuffer(values.buffers()[2], dtype=np.uint8) if values.buffers()[2] else np.zeros(0, np.uint8)
    data = np.concatenate([raw, np.zeros(2 * WORD, np.uint8)])  # spare bytes: windows stay in bounds
    starts = offsets[:-1].astype(np.int64)
    lengths = (offsets[1:] - offsets[:-1]).astype(np.int64)
    first = _word(data, starts, lengths, 0)
    order = np.argsort(first)
    first = first[order]
    # boundary[i]: position i of `order` starts a new group of strings equal so far.
    boundary = np.ones(n, dtype=bool)
    boundary[1:] = first[1:] != first[:-1]
    del first
    if boundary.all():  # the usual case for ids: the first eight bytes decide
        return order
    longest = int(lengths.max())
    k = 1
    while True:
        group = np.cumsum(boundary)
        tied = np.bincount(group)[group] > 1
        if not tied.any():
            return order
        at = np.flatnonzero(tied)
        rows = order[at]
        if k * WORD >= longest:
            # Equal padded bytes (only possible with NUL characters): shorter first.
            order[at] = rows[np.lexsort((lengths[rows], group[at]))]
            return order
        word = _word(data, starts[rows], lengths[rows], k)
        resort = np.lexsort((word, group[at]))
        order[at] = rows[resort]
        word, same_group = word[resort], group[at][1:] == group[at][:-1]
        boundary[at[1:][same_group & (word[1:] != word[:-1])]] = True
        k += 1


def sorted_categorical(values: Any) -> pd.Categorical:
    """``values`` (a pyarrow string array) as a categorical with sorted categories."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], values.type)
    encoded = pc.dictionary_encode(values)
    del values  # the caller handed over its reference: the raw strings are freed here
    order = byte_order(encoded.dictionary)
    rank = np.empty(len(order), dtype=_code_dtype(len(order)))
    rank[order] = np.arange(len(order), dtype=rank.dtype)
    codes = rank[encoded.indices.to_numpy(zero_copy_only=False)]
    categories = pd.Index(encoded.dictionary.take(pa.array(order)).to_pandas(), copy=False)
    return pd.Categorical.from_codes(codes, categories=categories, validate=False)


def _code_dtype(n: int) -> type[np.signedinteger[Any]]:
    return np.int32 if n < 2**31 - 1 else np.int64


__all__ = ["byte_order", "sorted_categorical"]
