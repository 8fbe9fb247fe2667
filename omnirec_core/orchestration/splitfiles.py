"""A split's column files: written once per split, read by every job and runner on it.

``<dataset dir>/splits/fold_<i>/`` holds ``train``, ``val``, ``test``, the test ``users``
and test ``pairs`` as column files, described in ``split.json`` (paths relative to it,
so a checkpoint tree can be moved).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from omnirec_core.data.dataset import SplitData
from omnirec_core.orchestration.jobs import read_json, rebase
from omnirec_core.runner.columns import read_columns, write_columns
from omnirec_core.runner.fs import atomic_write_json


def write_split(directory: Path, split: SplitData) -> dict[str, Any]:
    """Write a split's columns once (reused by every job); return absolute descriptions."""
    parts = ("train", "val", "test", "users", "pairs")
    rec = read_json(directory / "split.json")
    if rec is not None:
        try:
            absolute = {p: rebase(rec.get(p), directory, relative=False) for p in parts}
            for found in absolute.values():
                if found:
                    read_columns(found, verify=False, mmap=True)
            return {"dir": str(directory), **absolute}
        except (ValueError, KeyError, OSError):
            pass  # rewritten below
    if len(split.train) == 0 or len(split.test) == 0:
        empty = "train" if len(split.train) == 0 else "test"
        raise SystemExit(f"omnirec: a split has an empty {empty} part; check the splitter parameters")
    desc: dict[str, dict[str, Any] | None] = dict.fromkeys(parts)
    for part, df in split.parts().items():
        desc[part] = write_columns(directory / part, {c: df[c].to_numpy() for c in df.columns})
    test = split.test
    desc["users"] = write_columns(directory / "users", {"user": np.unique(test["user"].to_numpy())})
    desc["pairs"] = write_columns(
        directory / "pairs", {"user": test["user"].to_numpy(), "item": test["item"].to_numpy()}
    )
    atomic_write_json(
        directory / "split.json", {p: rebase(d, directory, relative=True) for p, d in desc.items()}
    )
    return {"dir": str(directory), **desc}
