"""A split's column files: written once per split, read by every job and runner on it.

``<dataset dir>/splits/fold_<i>/`` holds ``train``, ``val``, ``test``, the test ``users``
and test ``pairs`` as column files, described in ``split.json`` (paths relative to it,
so a checkpoint tree can be moved).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omnirec_core.data.dataset import SplitData
from omnirec_core.errors import OmniRecError
from omnirec_core.orchestration.jobs import read_json, rebase
from omnirec_core.runner.columns import read_columns, write_columns
from omnirec_core.runner.fs import atomic_write_json

#: Parts every split has, and the parts a split with a validation part adds:
#: its users and (user, item) pairs (what tuning trials rank and score) and train + val
#: (what a refit trains on).
PARTS = ("train", "test", "users", "pairs")
VAL_PARTS = ("val", "val_users", "val_pairs", "trainval")


def write_split(directory: Path, split: SplitData) -> dict[str, Any]:
    """Write a split's columns once (reused by every job); return absolute descriptions.

    ``users``/``pairs`` are the test users and pairs; parts a split does not have are None.
    """
    parts = PARTS + (VAL_PARTS if split.val is not None else ())
    rec = read_json(directory / "split.json")
    if rec is not None and all(rec.get(p) for p in parts):
        try:
            absolute = {p: rebase(rec.get(p), directory, relative=False) for p in (*PARTS, *VAL_PARTS)}
            for found in absolute.values():
                if found:
                    read_columns(found, verify=False, mmap=True)
            return {"dir": str(directory), **absolute}
        except (ValueError, KeyError, OSError):
            pass  # rewritten below
    if len(split.train) == 0 or len(split.test) == 0:
        empty = "train" if len(split.train) == 0 else "test"
        raise OmniRecError(f"a split has an empty {empty} part; check the splitter parameters")
    desc: dict[str, dict[str, Any] | None] = dict.fromkeys((*PARTS, *VAL_PARTS))
    for part, df in split.parts().items():
        desc[part] = _frame(directory / part, df)
    for prefix, df in (("", split.test), ("val_", split.val)):
        if df is None:
            continue
        user, item = df["user"].to_numpy(), df["item"].to_numpy()
        desc[f"{prefix}users"] = write_columns(directory / f"{prefix}users", {"user": np.unique(user)})
        desc[f"{prefix}pairs"] = write_columns(directory / f"{prefix}pairs", {"user": user, "item": item})
    if split.val is not None:
        desc["trainval"] = _frame(
            directory / "trainval", pd.concat([split.train, split.val], ignore_index=True)
        )
    atomic_write_json(
        directory / "split.json", {p: rebase(d, directory, relative=True) for p, d in desc.items()}
    )
    return {"dir": str(directory), **desc}


def _frame(directory: Path, df: pd.DataFrame) -> dict[str, Any]:
    return write_columns(directory, {c: df[c].to_numpy() for c in df.columns})
