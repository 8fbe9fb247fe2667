"""ML-100K made implicit and split per user, written as npy columns for the env script.

Used by the integration tests (main environment side). Not a test module.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

SEED = 20240607


def per_user_holdout(user: np.ndarray, frac: float, rng: np.random.Generator) -> np.ndarray:
    """Boolean mask of held-out rows: round(frac * n_u) random interactions of each user."""
    order = np.lexsort((rng.random(len(user)), user))
    counts = np.bincount(user)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pos = np.arange(len(user)) - starts[user[order]]
    held = np.zeros(len(user), dtype=bool)
    held[order] = pos < np.round(frac * counts[user[order]])
    return held


def prepare_ml100k(directory: Path, *, val_frac: float = 0.0) -> dict:
    """ML-100K, ratings >= 3 kept (implicit), per-user random 80/20 split, as npy columns.

    With ``val_frac`` a further share of each user's training rows becomes ``val``.
    Ids stay in the full canonical space of the dataset (943 x 1682), so some items have
    no training interaction: the matrices must still cover them.
    """
    from omnirec_core.data.dataset import RecSysDataSet

    ds = RecSysDataSet.use_dataloader("ml-100k")
    df = ds.all_interactions()
    df = df[df["rating"] >= 3]
    user = df["user"].to_numpy(np.int64)
    item = df["item"].to_numpy(np.int64)
    rng = np.random.default_rng(SEED)
    test = per_user_holdout(user, 0.2, rng)
    train_mask = ~test
    parts = {"test": test}
    if val_frac:
        tr_idx = np.flatnonzero(train_mask)
        val_local = per_user_holdout(user[tr_idx], val_frac, rng)
        val = np.zeros(len(user), dtype=bool)
        val[tr_idx[val_local]] = True
        parts["val"] = val
        train_mask = train_mask & ~val
    parts["train"] = train_mask
    directory.mkdir(parents=True, exist_ok=True)
    for name, mask in parts.items():
        np.save(directory / f"{name}_user.npy", user[mask])
        np.save(directory / f"{name}_item.npy", item[mask])
    meta = {"n_users": int(ds.n_users), "n_items": int(ds.n_items), "seed": SEED, "configs": {}}
    (directory / "meta.json").write_text(json.dumps(meta))
    return meta


def set_configs(directory: Path, configs: dict) -> None:
    meta = json.loads((directory / "meta.json").read_text())
    meta["configs"] = configs
    (directory / "meta.json").write_text(json.dumps(meta))


if __name__ == "__main__":  # prepare data by hand: python recpack_testdata.py DIR [VAL_FRAC]
    prepare_ml100k(Path(sys.argv[1]), val_frac=float(sys.argv[2]) if len(sys.argv) > 2 else 0.0)
