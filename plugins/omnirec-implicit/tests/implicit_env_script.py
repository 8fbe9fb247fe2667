"""Runs INSIDE the implicit env for the integration tests (not collected by pytest).

Usage: ``python implicit_env_script.py MODE ARGS...``

- ``crosscheck CHECKPOINT OUT USERS``: for every implicit job the Coordinator finished in
  CHECKPOINT, load its saved model with implicit, ask implicit's own ``recommend`` (training
  items filtered) for the top-k of USERS sampled users and compare with the lists omnirec
  stored; verdicts per algorithm to ``OUT/crosscheck.json``.
- ``restart CHECKPOINT OUT``: predict every job again in this fresh process from its saved
  model only (no fit), lists to ``OUT/<algorithm>/{user,item,score}.npy``.
- ``signatures OUT``: constructor parameters and defaults of every implicit class.
- ``check SPLIT OUT``: verdicts for the ``[algorithm, config, phase]`` entries of
  ``OUT/configs.json`` (phase ``check``: ``check_config``; ``fit``: a real fit on SPLIT).
- ``ties OUT``: one user with 25 equally scored candidates, worker vs implicit.
- ``repro SPLIT OUT``: fit each seeded model twice per setting, compare the factors.

CHECKPOINT is a Coordinator checkpoint dir; SPLIT one of its ``splits/fold_0`` dirs.
"""

from __future__ import annotations

import inspect
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from omnirec_implicit.algorithms import ALGORITHMS
from omnirec_implicit.worker import (
    FILTERED,
    META_FILE,
    MODEL_FILE,
    ImplicitHandler,
    implicit_class,
    interaction_matrix,
)

from omnirec_core.runner import ConfigError, FitRequest, Interactions, PredictRequest, served_prediction


def columns(directory: Path) -> dict[str, np.ndarray]:
    return {p.stem: np.load(p) for p in directory.glob("*.npy")}


def split_part(split: Path, part: str) -> Interactions:
    return Interactions.from_columns(columns(split / part))


def jobs(checkpoint: Path) -> list[dict[str, Any]]:
    """Done implicit jobs: algorithm, model dir, stored top-K, split dir, saved meta."""
    out = []
    for record in sorted(checkpoint.glob("*/implicit.*/job.json")):
        job = json.loads(record.read_text())
        if job["status"] != "done":
            continue
        model = record.parent / "model"
        topk = columns(record.parent / "predictions" / "topk")
        out.append(
            {
                "algorithm": job["algorithm"].split(".", 1)[1],
                "config": job["config"],
                "seed": job["seed"],
                "model": model,
                "meta": json.loads((model / META_FILE).read_text()),
                "topk": topk,
                "split": record.parent.parent / "splits" / "fold_0",
            }
        )
    return out


def compare(ours: tuple[np.ndarray, np.ndarray], theirs: tuple[np.ndarray, np.ndarray]) -> str:
    """``identical``, ``tie_order`` (same scores everywhere, items differ only among tied
    scores) or ``mismatch``. The framework's list may be shorter (filtered): its length counts.
    """
    (items, scores), (t_items, t_scores) = ours, theirs
    n = len(t_items)
    if len(items) < n or not np.array_equal(scores[:n], t_scores):
        return "mismatch"
    if np.array_equal(items[:n], t_items):
        return "identical"
    # Every score group that ends before the cut must hold the same items; the group at
    # the cut may continue beyond it, so either side may show any of its members.
    cut = t_scores[-1]
    for value in np.unique(t_scores[t_scores != cut]):
        at = t_scores == value
        if set(items[:n][at]) != set(t_items[at]):
            return "mismatch"
    return "tie_order"


def crosscheck(checkpoint: Path, out: Path, n_sample: int) -> None:
    from threadpoolctl import threadpool_limits

    result = {}
    for job in jobs(checkpoint):
        algo = job["algorithm"]
        if ALGORITHMS[algo].cls is None:  # omnirec's own Popularity: nothing of implicit's to compare
            continue
        meta, topk = job["meta"], job["topk"]
        model = implicit_class(algo).load(str(job["model"] / MODEL_FILE))
        train = split_part(job["split"], "train")
        X = interaction_matrix(train, meta["n_users"], meta["n_items"])
        k = int(topk["rank"].max())
        rng = np.random.default_rng(0)
        users = np.sort(
            rng.choice(np.unique(topk["user"]), min(n_sample, len(np.unique(topk["user"]))), replace=False)
        )
        # Test lists leave out the users' validation items too: ask for room, drop them.
        val = (
            interaction_matrix(split_part(job["split"], "val"), meta["n_users"], meta["n_items"])
            if (job["split"] / "val").is_dir()
            else None
        )
        room = 0 if val is None else int(np.diff(val.indptr)[users].max())
        with threadpool_limits(1, "blas"):
            ids, scores = model.recommend(users, X[users], N=k + room, filter_already_liked_items=True)
        verdicts: dict[str, int] = {"identical": 0, "tie_order": 0, "mismatch": 0}
        train_returned = 0
        examples = []
        for row, u in enumerate(users):
            mine = topk["rank"][topk["user"] == u].argsort()
            ours_items = topk["item"][topk["user"] == u][mine]
            ours_scores = topk["score"][topk["user"] == u][mine]
            t_items, t_scores = ids[row].astype(np.int64), scores[row].astype(np.float64)
            real = (t_items >= 0) & (t_scores > FILTERED)
            liked = X[u].indices
            own = np.isin(t_items, liked) & real
            train_returned += int(own.sum())
            keep = real & ~own
            if val is not None:
                keep &= ~np.isin(t_items, val[u].indices)
            t_items, t_scores = t_items[keep][:k], t_scores[keep][:k]
            verdict = compare((ours_items, ours_scores), (t_items, t_scores))
            verdicts[verdict] += 1
            if verdict == "mismatch" and len(examples) < 3:
                examples.append({"user": int(u), "ours": ours_items.tolist(), "implicit": t_items.tolist()})
        result[algo] = {"users": len(users), "k": k, **verdicts, "train_items_returned": train_returned,
                        "examples": examples}  # fmt: skip
    (out / "crosscheck.json").write_text(json.dumps(result, indent=1))


def restart(checkpoint: Path, out: Path) -> None:
    handler = ImplicitHandler()
    for job in jobs(checkpoint):
        meta = job["meta"]
        has_val = (job["split"] / "val").is_dir()
        pred = served_prediction(
            handler,
            PredictRequest(
                algorithm=job["algorithm"], config=job["config"], seed=job["seed"], job_dir=job["model"],
                train=split_part(job["split"], "train"), n_users=meta["n_users"], n_items=meta["n_items"],
                feedback="implicit", k=int(job["topk"]["rank"].max()),
                users=np.load(job["split"] / "users" / "user.npy"),
                val=split_part(job["split"], "val") if has_val else None, exclude_val=has_val,
            ),
        )  # fmt: skip
        order = np.argsort(pred.user, kind="stable")  # as the SDK stores them: grouped by user
        (out / job["algorithm"]).mkdir(parents=True, exist_ok=True)
        for name in ("user", "item", "score"):
            np.save(out / job["algorithm"] / f"{name}.npy", getattr(pred, name)[order])


def signatures(out: Path) -> None:
    sigs = {}
    for algo in ALGORITHMS:
        if ALGORITHMS[algo].cls is None:
            continue
        params = inspect.signature(implicit_class(algo).__init__).parameters
        sigs[algo] = {
            n: (np.dtype(p.default).name if isinstance(p.default, type) else p.default)
            for n, p in params.items()
            if n != "self"
        }
    (out / "signatures.json").write_text(json.dumps(sigs))


def _fit_request(algo: str, config: dict, split: Path, job_dir: Path, seed: int, threads: int) -> FitRequest:
    train = split_part(split, "train")
    n_users, n_items = int(train.user.max()) + 1, int(train.item.max()) + 1
    return FitRequest(
        algorithm=algo, config=config, seed=seed, job_dir=job_dir, train=train,
        n_users=n_users, n_items=n_items, feedback="implicit", threads=threads,
    )  # fmt: skip


def check(split: Path, out: Path) -> None:
    handler = ImplicitHandler()
    verdicts = []
    for i, (algo, config, phase) in enumerate(json.loads((out / "configs.json").read_text())):
        job_dir = out / f"job_{i}"
        try:
            if phase == "fit":
                handler.fit(_fit_request(algo, config, split, job_dir, seed=1, threads=1))
            else:
                handler.check_config(algo, config)
            verdicts.append({"ok": True, "error": "", "wrote": job_dir.exists()})
        except ConfigError as exc:
            verdicts.append({"ok": False, "error": str(exc), "wrote": job_dir.exists()})
    (out / "verdicts.json").write_text(json.dumps(verdicts))


def ties(out: Path) -> None:
    """A user whose 25 candidates all score the same, ranked by the worker and by implicit.

    Users 1..25 each hold item 0 and one other item 1..25; user 0 holds item 0 only, so
    every co-occurring item scores 1 for user 0 under the plain item-item model.
    """
    user = np.array([0] + [u for u in range(1, 26) for _ in (0, 1)])
    item = np.array([0] + [i for u in range(1, 26) for i in (0, u)])
    train = Interactions(user, item)
    common = dict(
        algorithm="ItemItemRecommender", config={"K": 50}, seed=1, job_dir=out / "job", train=train,
        n_users=26, n_items=30, feedback="implicit",
    )  # fmt: skip
    handler = ImplicitHandler()
    handler.fit(FitRequest(**common))
    pred = handler.predict(PredictRequest(**common, k=10, users=np.array([0])))
    model = implicit_class("ItemItemRecommender").load(str(out / "job" / MODEL_FILE))
    X = interaction_matrix(train, 26, 30)
    ids, scores = model.recommend(np.array([0]), X[[0]], N=10, filter_already_liked_items=True)
    result = {
        "worker": {"items": pred.item.tolist(), "scores": pred.score.tolist(), "info": pred.info},
        "implicit": {"items": ids[0].tolist(), "scores": scores[0].tolist()},
    }
    (out / "ties.json").write_text(json.dumps(result))


def repro(split: Path, out: Path) -> None:
    """Same seed twice per thread count, and another seed, for every seeded model."""
    handler = ImplicitHandler()

    def factors(algo: str, seed: int, threads: int) -> np.ndarray:
        with tempfile.TemporaryDirectory() as tmp:
            handler.fit(_fit_request(algo, {"iterations": 5}, split, Path(tmp), seed, threads))
            model = implicit_class(algo).load(str(Path(tmp) / MODEL_FILE))
            return np.concatenate([model.user_factors.ravel(), model.item_factors.ravel()])

    result = {}
    for algo, spec in ALGORITHMS.items():
        if not spec.seeded:
            continue
        one, two = factors(algo, 11, 1), factors(algo, 11, 2)
        result[algo] = {
            "same_seed_1_thread": bool(np.array_equal(one, factors(algo, 11, 1))),
            "same_seed_2_threads": bool(np.array_equal(two, factors(algo, 11, 2))),
            "other_seed_differs": not np.array_equal(one, factors(algo, 12, 1)),
        }
    (out / "repro.json").write_text(json.dumps(result))


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    Path(args[0 if mode in ("signatures", "ties") else 1]).mkdir(parents=True, exist_ok=True)
    if mode == "crosscheck":
        crosscheck(Path(args[0]), Path(args[1]), int(args[2]))
    elif mode == "restart":
        restart(Path(args[0]), Path(args[1]))
    elif mode == "signatures":
        signatures(Path(args[0]))
    elif mode == "check":
        check(Path(args[0]), Path(args[1]))
    elif mode == "ties":
        ties(Path(args[0]))
    elif mode == "repro":
        repro(Path(args[0]), Path(args[1]))
    else:
        sys.exit(f"unknown mode {mode!r}")
