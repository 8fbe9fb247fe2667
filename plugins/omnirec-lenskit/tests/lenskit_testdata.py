"""Test helpers (default interpreter): ML-100K, a per-user holdout, small metrics,
and running ``lenskit_env_script.py`` inside the LensKit runner env."""

from __future__ import annotations

import glob
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "lenskit_env_script.py"
PYTHON_ENV = "OMNIREC_LENSKIT_PYTHON"
ML100K_MEMBER = "recbole/dataset_example/ml-100k/ml-100k.inter"


def ml100k(cache: Path) -> pd.DataFrame:
    """ML-100K with canonical ids: omnirec's loader, else straight from the RecBole wheel."""
    try:
        from omnirec_core.data.dataset import RecSysDataSet

        return RecSysDataSet.use_dataloader("ml-100k").data.df.copy()
    except Exception as exc:  # the loader is optional here; the wheel is the same file
        print(f"omnirec loader unavailable ({exc!r}); reading the RecBole wheel", file=sys.stderr)
    wheels = glob.glob(str(cache / "recbole-1.2.1-*.whl"))
    if not wheels:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "recbole==1.2.1", "--no-deps", "-d", str(cache)],
            check=True,
        )
        wheels = glob.glob(str(cache / "recbole-1.2.1-*.whl"))
    raw = pd.read_csv(io.BytesIO(zipfile.ZipFile(wheels[0]).read(ML100K_MEMBER)), sep="\t")
    _, user = np.unique(raw.iloc[:, 0].to_numpy(), return_inverse=True)
    _, item = np.unique(raw.iloc[:, 1].to_numpy(), return_inverse=True)
    return pd.DataFrame(
        {
            "user": user,
            "item": item,
            "rating": raw.iloc[:, 2].astype(float),
            "timestamp": raw.iloc[:, 3].astype(np.int64),
        }
    )


def holdout(df: pd.DataFrame, frac: float = 0.2, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-user random holdout: ``round(frac * n_u)`` random rows of each user go to test."""
    rng = np.random.default_rng(seed)
    user = df["user"].to_numpy()
    order = np.lexsort((rng.random(len(df)), user))
    counts = np.bincount(user)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.empty(len(df), dtype=np.int64)
    rank[order] = np.arange(len(df)) - starts[user[order]]
    test = rank < np.round(frac * counts[user])
    return df[~test].reset_index(drop=True), df[test].reset_index(drop=True)


def write_split(path: Path, train: pd.DataFrame, test: pd.DataFrame, n_users: int, n_items: int) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, part in (("train", train), ("test", test)):
        np.save(path / f"{name}_user.npy", part["user"].to_numpy(np.int64))
        np.save(path / f"{name}_item.npy", part["item"].to_numpy(np.int64))
        if "rating" in part:
            np.save(path / f"{name}_rating.npy", part["rating"].to_numpy(np.float64))
    (path / "meta.json").write_text(json.dumps({"n_users": int(n_users), "n_items": int(n_items)}))
    return path


def ndcg_at_k(
    rec_user: np.ndarray, rec_item: np.ndarray, test: pd.DataFrame, n_items: int, k: int = 10
) -> float:
    """Mean binary NDCG@k over test users; rows are per user, best first."""
    test_users, n_rel = np.unique(test["user"].to_numpy(), return_counts=True)
    first = np.searchsorted(rec_user, rec_user, side="left")  # rows grouped by user
    rank = np.arange(len(rec_user)) - first
    relevant = np.isin(
        rec_user * n_items + rec_item, test["user"].to_numpy() * n_items + test["item"].to_numpy()
    )
    gain = np.where((rank < k) & relevant, 1.0 / np.log2(rank + 2), 0.0)
    dcg = np.zeros(int(max(test_users.max(), rec_user.max(initial=0))) + 1)
    np.add.at(dcg, rec_user, gain)
    discounts = np.cumsum(1.0 / np.log2(np.arange(k) + 2))
    idcg = discounts[np.minimum(n_rel, k) - 1]
    return float(np.mean(dcg[test_users] / idcg))


def rmse(pred: np.ndarray, truth: np.ndarray) -> float:
    return float(np.sqrt(np.mean((pred - truth) ** 2)))


def env_python() -> str:
    """Interpreter of the LensKit runner env.

    ``$OMNIREC_LENSKIT_PYTHON`` if set (a hand-built dev env with the same pins);
    otherwise the env the project's EnvManager builds from our RunnerSpec, in the cache
    the core's ``runner_env`` fixture uses (``$OMNIREC_TEST_ENV_DIR`` or
    ``~/.cache/omnirec/test-envs``; built once, about 2 minutes, then reused).
    """
    if os.environ.get(PYTHON_ENV):
        return os.environ[PYTHON_ENV]
    from omnirec_lenskit.plugin import runner_spec

    from omnirec_core.orchestration.envs.manager import EnvManager

    cache = Path(os.environ.get("OMNIREC_TEST_ENV_DIR") or Path.home() / ".cache/omnirec/test-envs")
    cache.mkdir(parents=True, exist_ok=True)
    manager = EnvManager(cache, sources={"omnirec-lenskit": HERE.parent})
    return str(manager.ensure(runner_spec()).python)


def run_script(python: str, mode: str, out: Path, *args: str) -> dict:
    """Run ``lenskit_env_script.py`` in the env; fail with its output when it fails."""
    cmd = [python, str(SCRIPT), mode, "--out", str(out), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}")
    return json.loads((out / "results.json").read_text())


def load_rows(out: Path, algo: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return tuple(np.load(out / f"{algo}.{c}.npy") for c in ("user", "item", "score"))  # type: ignore[return-value]
