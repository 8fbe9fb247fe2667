"""Hand omnirec's split to RecBole as atomic files, and map RecBole's ids back.

RecBole's benchmark-file mode loads ``<dataset>.train.inter``, ``.valid.inter`` and
``.test.inter`` as given (no filtering, no re-split). Its token vocabulary is built
from those files plus the ``.user`` and ``.item`` files; we write every user id
0..n_users-1 and item id 0..n_items-1 into the latter, so every item is a candidate
and every user can be scored, including ones with no training interaction. Internal
id 0 is RecBole's padding token ``[PAD]``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from omnirec_core.runner import Interactions

DATASET = "omnirec"
USER, ITEM, RATING, TIME = "user_id", "item_id", "rating", "timestamp"
PHASES = ("train", "valid", "test")
_HEADER = {USER: "user_id:token", ITEM: "item_id:token", RATING: "rating:float", TIME: "timestamp:float"}


def _frame(data: Interactions | None, fields: list[str]) -> pd.DataFrame:
    if data is None:
        return pd.DataFrame({f: pd.Series(dtype="float64") for f in fields})
    cols = {USER: data.user, ITEM: data.item, RATING: data.rating, TIME: data.timestamp}
    n = len(data)
    return pd.DataFrame(
        {f: (np.asarray(cols[f]) if cols[f] is not None else np.full(n, np.nan)) for f in fields}
    )


def _write(path: Path, frame: pd.DataFrame) -> None:
    frame.to_csv(path, sep="\t", index=False, header=[_HEADER[c] for c in frame.columns])


def load_col(train: Interactions) -> dict[str, list[str]]:
    """RecBole's ``load_col`` for the columns ``train`` has."""
    fields = [USER, ITEM]
    if train.rating is not None:
        fields.append(RATING)
    if train.timestamp is not None:
        fields.append(TIME)
    return {"inter": fields, "user": [USER], "item": [ITEM]}


def write_benchmark(
    data_path: Path, train: Interactions, val: Interactions | None, n_users: int, n_items: int
) -> dict[str, list[str]]:
    """Write the split under ``data_path/omnirec/``; return RecBole's ``load_col``.

    The test file is always empty: test pairs are never given to RecBole (predict only
    needs the trained model). Without a validation split the valid file is empty too.
    """
    folder = data_path / DATASET
    folder.mkdir(parents=True, exist_ok=True)
    columns = load_col(train)
    fields = columns["inter"]
    for phase, data in zip(PHASES, (train, val, None)):
        _write(folder / f"{DATASET}.{phase}.inter", _frame(data, fields))
    _write(folder / f"{DATASET}.user", pd.DataFrame({USER: np.arange(n_users, dtype=np.int64)}))
    _write(folder / f"{DATASET}.item", pd.DataFrame({ITEM: np.arange(n_items, dtype=np.int64)}))
    return columns


def our_ids(dataset, field: str) -> np.ndarray:
    """Our id for each RecBole internal id 1..n-1 (position i holds internal id i+1)."""
    tokens = dataset.field2id_token[field]
    if tokens[0] != "[PAD]":
        raise RuntimeError(f"RecBole's {field} vocabulary does not start with [PAD]")
    return np.asarray(tokens[1:]).astype(np.int64)


def internal_index(ours: np.ndarray, n: int) -> np.ndarray:
    """Inverse of :func:`our_ids`: RecBole's internal id for each of our ids 0..n-1 (0: none)."""
    out = np.zeros(n, dtype=np.int64)
    out[ours] = np.arange(1, len(ours) + 1)
    return out
