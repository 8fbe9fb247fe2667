"""RecPack timing: EASE and ItemKNN on ML-100K, RecPack used directly vs through our handler.

Both sides run inside the RecPack runner env, in the same process, on the same data
(ML-100K, ratings >= 3, per-user random 80/20 split, top 10 for every test user,
training items excluded):

- direct: what a RecPack user writes: ``fit(X)``, ``predict(X)``, remove history,
  ``recpack.util.get_top_K_ranks``;
- handler: ``RecPackHandler.fit`` + ``predict`` (matrix building, config checks, pickle
  save/load, blocked top-K with tie order).

Then the end-to-end comparison (see ``_framework.py``): a direct script in the env vs\nthe full path through the Coordinator (protocol, checkpoints, central evaluation).

    nice python benchmarks/bench_recpack.py [--python ENV_PYTHON] [--repeat 3]

The env's interpreter comes from ``--python``, ``$OMNIREC_RECPACK_PYTHON`` or the env
the EnvManager already built for the RecPack RunnerSpec.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

K = 10
ALGORITHMS = ("EASE", "ItemKNN")


# ---- main environment side -------------------------------------------------------------


def prepare(directory: Path, seed: int = 7) -> None:
    from omnirec_core.data.dataset import RecSysDataSet

    ds = RecSysDataSet.use_dataloader("ml-100k")
    df = ds.all_interactions()
    df = df[df["rating"] >= 3]
    user, item = df["user"].to_numpy(np.int64), df["item"].to_numpy(np.int64)
    order = np.lexsort((np.random.default_rng(seed).random(len(user)), user))
    counts = np.bincount(user)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pos = np.arange(len(user)) - starts[user[order]]
    test = np.zeros(len(user), dtype=bool)
    test[order] = pos < np.round(0.2 * counts[user[order]])
    for name, mask in (("train", ~test), ("test", test)):
        np.save(directory / f"{name}_user.npy", user[mask])
        np.save(directory / f"{name}_item.npy", item[mask])
    meta = {"n_users": ds.n_users, "n_items": ds.n_items}
    (directory / "meta.json").write_text(json.dumps(meta))


def find_python(arg: str | None) -> str:
    if arg or os.environ.get("OMNIREC_RECPACK_PYTHON"):
        return arg or os.environ["OMNIREC_RECPACK_PYTHON"]
    from omnirec_recpack.plugin import runner_spec

    from omnirec_core.orchestration.envs.manager import EnvManager

    env = EnvManager().find(runner_spec())
    if env is None:
        sys.exit("no RecPack env found: pass --python or set OMNIREC_RECPACK_PYTHON")
    return str(env.python)


# ---- runner env side -------------------------------------------------------------------


def inner(directory: Path, repeat: int) -> None:
    import scipy.sparse as sp
    from omnirec_recpack.worker import RecPackHandler, interaction_matrix
    from recpack import algorithms as rp
    from recpack.util import get_top_K_ranks

    from omnirec_core.runner import FitRequest, Interactions, PredictRequest

    warnings.simplefilter("ignore", UserWarning)  # RecPack's "missing similar items" notes
    meta = json.loads((directory / "meta.json").read_text())
    n_users, n_items = meta["n_users"], meta["n_items"]
    train = Interactions(*(np.load(directory / f"train_{c}.npy") for c in ("user", "item")))
    test_users = np.unique(np.load(directory / "test_user.npy"))
    handler = RecPackHandler()
    print(f"{'algorithm':10s} {'side':8s} {'fit s':>8s} {'predict+topK s':>15s}")
    for name in ALGORITHMS:
        best: dict[str, list[float]] = {"direct": [1e9, 1e9], "handler": [1e9, 1e9]}
        for _ in range(repeat):
            X = interaction_matrix(train, n_users, n_items)
            t0 = time.perf_counter()
            algo = getattr(rp, name)()
            algo.fit(X)
            t1 = time.perf_counter()
            hist = sp.csr_matrix(X[test_users])
            scores = sp.csr_matrix(algo.predict(hist))
            scores = scores - scores.multiply(hist)  # drop training items
            scores.eliminate_zeros()
            get_top_K_ranks(scores, K)
            t2 = time.perf_counter()
            best["direct"] = [min(best["direct"][0], t1 - t0), min(best["direct"][1], t2 - t1)]

            with tempfile.TemporaryDirectory() as job:
                common = dict(
                    algorithm=name, config={}, seed=1, job_dir=Path(job), train=train,
                    n_users=n_users, n_items=n_items, feedback="implicit",
                )  # fmt: skip
                t0 = time.perf_counter()
                handler.fit(FitRequest(**common))
                t1 = time.perf_counter()
                handler.predict(PredictRequest(**common, k=K, users=test_users))
                t2 = time.perf_counter()
            best["handler"] = [min(best["handler"][0], t1 - t0), min(best["handler"][1], t2 - t1)]
        for side, (fit_s, pred_s) in best.items():
            print(f"{name:10s} {side:8s} {fit_s:8.3f} {pred_s:15.3f}")
        d, h = best["direct"], best["handler"]
        print(f"{name:10s} {'ratio':8s} {h[0] / d[0]:8.2f} {h[1] / d[1]:15.2f}  (handler / direct)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--python", help="RecPack env interpreter")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (best kept)")
    ap.add_argument("--inner", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inner:
        inner(Path(args.inner), args.repeat)
        return
    print("== in-process: RecPack directly vs our handler ==")
    with tempfile.TemporaryDirectory() as tmp:
        prepare(Path(tmp))
        cmd = [find_python(args.python), __file__, "--inner", tmp, "--repeat", str(args.repeat)]
        if subprocess.run(cmd).returncode:
            raise SystemExit(1)
    print("== end to end: a direct script in the env vs through omnirec ==")
    sys.path.insert(0, str(Path(__file__).parent))
    from _framework import compare

    compare("RecPack", list(ALGORITHMS), Path(__file__).with_name("direct_recpack.py"), repeat=2)


if __name__ == "__main__":
    main()
