"""Runs INSIDE the RecPack env for the integration tests (not collected by pytest).

Usage: ``python recpack_env_script.py MODE DATA_DIR OUT_DIR [ALGORITHM ...]``

- ``fit`` / ``predict`` / ``both``: drive ``RecPackHandler`` directly with FitRequest /
  PredictRequest on the columns in DATA_DIR (``train_user.npy`` ...); predictions for the
  test users go to ``OUT_DIR/<algo>/{user,item,score}.npy``, timings and info to
  ``OUT_DIR/<algo>/result.json``. Model state lives in ``OUT_DIR/<algo>/job``.
- ``metrics``: RecPack's own NDCGK / RecallK / CalibratedRecallK on the saved predictions
  of each ALGORITHM, written to ``OUT_DIR/<algo>/recpack_metrics.json``.
- ``signatures``: constructor parameters and defaults of every algorithm, and the params of
  instances built with and without the declared defaults, to ``OUT_DIR/signatures.json``.
- ``check``: verdicts for the ``[algorithm, config, phase]`` entries in
  ``OUT_DIR/configs.json`` (phase ``check``: ``check_config`` only; ``fit``: a real fit).
"""

from __future__ import annotations

import inspect
import json
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from omnirec_recpack.algorithms import ALGORITHMS
from omnirec_recpack.worker import RecPackHandler

from omnirec_core.runner import ConfigError, FitRequest, Interactions, PredictRequest

K = 10


def load(data: Path, part: str) -> Interactions | None:
    if not (data / f"{part}_user.npy").exists():
        return None
    return Interactions(np.load(data / f"{part}_user.npy"), np.load(data / f"{part}_item.npy"))


def meta(data: Path) -> dict:
    return json.loads((data / "meta.json").read_text())


def run(mode: str, data: Path, out: Path, algos: list[str]) -> None:
    m = meta(data)
    train, val, test = load(data, "train"), load(data, "val"), load(data, "test")
    handler = RecPackHandler()
    for algo in algos:
        adir = out / algo
        adir.mkdir(parents=True, exist_ok=True)
        config = m.get("configs", {}).get(algo, {})
        common = dict(
            algorithm=algo,
            config=config,
            seed=m["seed"],
            job_dir=adir / "job",
            train=train,
            n_users=m["n_users"],
            n_items=m["n_items"],
            feedback="implicit",
            threads=1,
        )
        result = json.loads((adir / "result.json").read_text()) if mode == "predict" else {}
        if mode in ("fit", "both"):
            t = time.perf_counter()
            result["fit_info"] = handler.fit(FitRequest(**common, val=val))
            result["fit_s"] = time.perf_counter() - t
        if mode in ("predict", "both"):
            users = np.unique(test.user)
            t = time.perf_counter()
            pred = handler.predict(PredictRequest(**common, k=K, users=users, exclude_train=True))
            key = "predict_s" if mode == "both" else "restart_predict_s"
            result[key] = time.perf_counter() - t
            result["predict_info"] = pred.info
            tag = "" if mode == "both" else "restart_"
            for name in ("user", "item", "score"):
                np.save(adir / f"{tag}{name}.npy", getattr(pred, name))
        (adir / "result.json").write_text(json.dumps(result, default=str))
        print(algo, {k: v for k, v in result.items() if k.endswith("_s")}, flush=True)


def recpack_metrics(data: Path, out: Path, algos: list[str]) -> None:
    """RecPack's metrics on our top-K lists, fed as rank-valued scores (k+1-rank).

    Rank-valued scores make RecPack's own top-K (argpartition, arbitrary tie order)
    reproduce exactly our list order, so only the metric definitions are compared.
    """
    from recpack.metrics import NDCGK, CalibratedRecallK, RecallK

    m = meta(data)
    test = load(data, "test")
    shape = (m["n_users"], m["n_items"])
    y_true = sp.csr_matrix((np.ones(len(test)), (test.user, test.item)), shape=shape)
    y_true.data[:] = 1.0
    for algo in algos:
        adir = out / algo
        user, item = np.load(adir / "user.npy"), np.load(adir / "item.npy")
        first = np.r_[True, user[1:] != user[:-1]]
        start = np.maximum.accumulate(np.where(first, np.arange(len(user)), 0))
        rank = np.arange(len(user)) - start + 1
        y_pred = sp.csr_matrix(((K + 1 - rank).astype(float), (user, item)), shape=shape)
        res = {}
        for cls in (NDCGK, RecallK, CalibratedRecallK):
            metric = cls(K)
            metric.calculate(y_true, y_pred)
            per_user = metric.results
            res[cls.__name__] = {
                "value": float(metric.value),
                "users": per_user["user_id"].to_numpy().tolist(),
                "scores": per_user["score"].to_numpy().tolist(),
            }
        (adir / "recpack_metrics.json").write_text(json.dumps(res))


def _plain(value):
    """A comparable, JSON-able form of a parameter value (objects by their attributes)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if callable(value) and hasattr(value, "__name__"):
        return value.__name__
    if hasattr(value, "__dict__"):
        return {type(value).__name__: _plain(vars(value))}
    return repr(value)


def signatures(out: Path) -> None:
    """Constructor parameters and their defaults, and what a constructed instance holds
    when it is given our declared defaults (``get_params``)."""
    import recpack.algorithms
    from omnirec_recpack.algorithms import defaults

    sigs, built = {}, {}
    for algo in ALGORITHMS:
        cls = getattr(recpack.algorithms, algo)
        params = inspect.signature(cls.__init__).parameters
        sigs[algo] = {n: p.default for n, p in params.items() if n != "self"}
        built[algo] = {
            "given": _plain(cls(**defaults(algo)).get_params()),
            "left_out": _plain(cls().get_params()),
        }
    out.mkdir(parents=True, exist_ok=True)
    (out / "signatures.json").write_text(json.dumps({"signatures": sigs, "built": built}, default=repr))


def check(data: Path, out: Path) -> None:
    """``check_config`` (phase "check") or a whole ``fit`` (phase "fit") per config entry."""
    handler = RecPackHandler()
    m = meta(data)
    train = load(data, "train")
    verdicts = []
    entries = json.loads((out / "configs.json").read_text())
    for i, (algo, config, phase) in enumerate(entries):
        job_dir = out / f"job_{i}"
        try:
            if phase == "fit":
                handler.fit(
                    FitRequest(
                        algorithm=algo,
                        config=config,
                        seed=m["seed"],
                        job_dir=job_dir,
                        train=train,
                        n_users=m["n_users"],
                        n_items=m["n_items"],
                        feedback="implicit",
                    )
                )
            else:
                handler.check_config(algo, config)
            verdicts.append({"ok": True, "error": "", "job_dir_exists": job_dir.exists()})
        except ConfigError as exc:
            verdicts.append({"ok": False, "error": str(exc), "job_dir_exists": job_dir.exists()})
    out.mkdir(parents=True, exist_ok=True)
    (out / "verdicts.json").write_text(json.dumps(verdicts))


if __name__ == "__main__":
    mode, data_dir, out_dir, *names = sys.argv[1:]
    data_path, out_path = Path(data_dir), Path(out_dir)
    if mode == "metrics":
        recpack_metrics(data_path, out_path, names)
    elif mode == "signatures":
        signatures(out_path)
    elif mode == "check":
        check(data_path, out_path)
    else:
        run(mode, data_path, out_path, names or list(ALGORITHMS))
