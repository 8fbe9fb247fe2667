"""What a split looks like: sizes per part and how much of val/test is unseen in train."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from omnirec_core.data.dataset import FoldedData, RecSysDataSet, SplitData
from omnirec_core.errors import SplitError


def _present(values: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(values, minlength=n) > 0


def _split_report(split: SplitData, n_users: int, n_items: int) -> dict[str, Any]:
    train = split.train
    seen_u = _present(train["user"].to_numpy(), n_users)
    seen_i = _present(train["item"].to_numpy(), n_items)
    out: dict[str, Any] = {}
    for name, frame in split.parts().items():
        u = frame["user"].to_numpy()
        i = frame["item"].to_numpy()
        pu, pi = _present(u, n_users), _present(i, n_items)
        entry = {"rows": len(frame), "users": int(pu.sum()), "items": int(pi.sum())}
        if name != "train":
            entry["unseen_users"] = int((pu & ~seen_u).sum())
            entry["unseen_items"] = int((pi & ~seen_i).sum())
            # Rows no model trained on this split can score: user or item never in train.
            entry["unseen_rows"] = int((~seen_u[u] | ~seen_i[i]).sum())
        out[name] = entry
    return out


def describe_data(data: SplitData | FoldedData, n_users: int, n_items: int) -> dict[str, Any]:
    """The report of :func:`describe_split` for bare split data in an id space."""
    if isinstance(data, SplitData):
        return {"kind": "split", **_split_report(data, n_users, n_items)}
    if isinstance(data, FoldedData):
        return {"kind": "folded", "folds": [_split_report(f, n_users, n_items) for f in data.folds]}
    raise SplitError(f"cannot describe {type(data).__name__}: it is not split")


def _max_id(frames: list[pd.DataFrame], col: str) -> int:
    return max((int(f[col].max()) + 1 for f in frames if len(f)), default=0)


def describe_split(dataset: RecSysDataSet[Any]) -> dict[str, Any]:
    """Sizes of each part and, for val and test, how many users, items and rows are
    unseen in train (per fold for folded data).

    Shape: ``{"kind": "split", "train": {"rows", "users", "items"}, "test": {...,
    "unseen_users", "unseen_items", "unseen_rows"}, "val": {...}}`` or
    ``{"kind": "folded", "folds": [<one such dict per fold>]}``. Splitters store this in
    ``meta["split_report"]``; this function recomputes it for any split dataset.
    """
    data = dataset.data
    if not isinstance(data, (SplitData, FoldedData)):
        raise SplitError(
            f"dataset {dataset.name!r} is not split (it holds {type(data).__name__}); "
            "split it first, e.g. UserHoldout(0.2).process(dataset)"
        )
    frames = dataset.frames()
    n_users = max(dataset.n_users, _max_id(frames, "user"))
    n_items = max(dataset.n_items, _max_id(frames, "item"))
    return describe_data(data, n_users, n_items)
