"""Test helpers (default interpreter): the RecBole env, ML-100K, a per-user split,
NDCG@10 in numpy, and running ``recbole_env_script.py`` inside the env."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
from functools import cache
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
PLUGIN_ROOT = HERE.parent
SCRIPT = HERE / "recbole_env_script.py"
PYTHON_ENV = "OMNIREC_RECBOLE_PYTHON"
ML100K = "dataset_example/ml-100k/ml-100k.inter"


@cache
def env_python() -> Path:
    """``$OMNIREC_RECBOLE_PYTHON``, else the runner env built from our RunnerSpec.

    The env is built (once, then reused) by omnirec's own ``EnvManager`` in the cache
    the core's ``runner_env`` fixture uses (``$OMNIREC_TEST_ENV_DIR`` or
    ``~/.cache/omnirec/test-envs``); that fixture lives in ``tests/conftest.py``, which
    pytest does not apply to ``plugins/``. When omnirec-recbole is installed here (as it
    is for the coordinator), the env is the very one the coordinator would use.
    """
    if os.environ.get(PYTHON_ENV):
        return Path(os.environ[PYTHON_ENV])
    from omnirec_recbole.plugin import runner_spec

    from omnirec_core.orchestration.envs.manager import EnvManager

    try:
        importlib.metadata.distribution("omnirec-recbole")
        sources = {}
    except importlib.metadata.PackageNotFoundError:
        sources = {"omnirec-recbole": PLUGIN_ROOT}
    cache_dir = Path(os.environ.get("OMNIREC_TEST_ENV_DIR") or Path.home() / ".cache/omnirec/test-envs")
    return Path(EnvManager(cache_dir, sources=sources).ensure(runner_spec()).python)


def run_in_env(spec: dict, workdir: Path, cwd: Path | None = None) -> list[dict]:
    """Run the env script on ``spec``; return each job's result.json (in job order)."""
    workdir.mkdir(parents=True, exist_ok=True)
    spec_path = workdir / f"spec-{len(list(workdir.glob('spec-*.json')))}.json"
    spec_path.write_text(json.dumps(spec))
    proc = subprocess.run(
        ["nice", str(env_python()), str(SCRIPT), str(spec_path)],
        cwd=cwd or workdir,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, f"env script failed:\n{proc.stdout}\n{proc.stderr[-4000:]}"
    return [json.loads((Path(j["out"]) / "result.json").read_text()) for j in spec.get("jobs", [])]


def load_ml100k() -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """ML-100K from the copy inside the env's RecBole package: canonical (user, item, rating).

    Ids come from the full data (``np.unique(..., return_inverse=True)``), so items
    that only have low ratings stay in the item space with no implicit interaction.
    """
    root = subprocess.run(
        [str(env_python()), "-c", "import recbole, os; print(os.path.dirname(recbole.__file__))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    raw = np.loadtxt(Path(root) / ML100K, skiprows=1, delimiter="\t")
    assert raw.shape == (100_000, 4)
    users, user = np.unique(raw[:, 0].astype(np.int64), return_inverse=True)
    items, item = np.unique(raw[:, 1].astype(np.int64), return_inverse=True)
    return user.astype(np.int64), item.astype(np.int64), raw[:, 2], len(users), len(items)


def per_user_split(
    user: np.ndarray, item: np.ndarray, test: float = 0.2, val: float = 0.1, seed: int = 7
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per-user random split: each user's rows shuffled, the last ``test`` share to test,
    the ``val`` share before it to validation (both rounded down), the rest to train."""
    rng = np.random.default_rng(seed)
    order = np.lexsort((rng.random(len(user)), user))
    u, i = user[order], item[order]
    counts = np.bincount(u)
    rank = np.arange(len(u)) - np.repeat(np.cumsum(counts) - counts, counts)
    n = counts[u]
    part = np.where(rank >= n - np.floor(test * n), 2, np.where(rank >= n - np.floor((test + val) * n), 1, 0))
    return {name: (u[part == p], i[part == p]) for p, name in enumerate(("train", "val", "test"))}


def write_split(path: Path, split: dict, n_users: int, n_items: int) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, (u, i) in split.items():
        np.save(path / f"{name}_user.npy", u.astype(np.int64))
        np.save(path / f"{name}_item.npy", i.astype(np.int64))
    (path / "meta.json").write_text(json.dumps({"n_users": int(n_users), "n_items": int(n_items)}))
    return path


def read_prediction(out: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return tuple(np.load(out / f"{n}.npy") for n in ("user", "item", "score"))


def ndcg_at_k(
    rec_user: np.ndarray,
    rec_item: np.ndarray,
    test: tuple[np.ndarray, np.ndarray],
    n_items: int,
    k: int = 10,
) -> float:
    """Mean NDCG@k over users with test items (binary gain, IDCG over min(|R|, k)).

    Recommendation rows come per user, best first; users with no rows score 0.
    """
    t_user, t_item = test
    test_users, n_rel = np.unique(t_user, return_counts=True)
    first = np.searchsorted(rec_user, rec_user, side="left")
    rank = np.arange(len(rec_user)) - first
    keep = rank < k
    hit = np.isin(rec_user[keep] * n_items + rec_item[keep], t_user * n_items + t_item)
    n_users = int(max(test_users.max(), rec_user.max(initial=0))) + 1
    dcg = np.bincount(rec_user[keep], weights=hit / np.log2(rank[keep] + 2), minlength=n_users)
    discounts = np.cumsum(1 / np.log2(np.arange(k) + 2))
    idcg = discounts[np.minimum(n_rel, k) - 1]
    return float(np.mean(dcg[test_users] / idcg))
