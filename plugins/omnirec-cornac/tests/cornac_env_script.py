"""Runs INSIDE the Cornac env for the integration tests (not collected by pytest).

Usage: ``python cornac_env_script.py MODE ARGS...``

- ``crosscheck CHECKPOINT OUT USERS``: for every Cornac job the Coordinator finished in
  CHECKPOINT, load its saved model and compare the stored top-K lists of USERS sampled
  users with Cornac's own ``recommend(user, k, remove_seen=True)``, and the stored rating
  predictions with Cornac's ``rate``; verdicts per algorithm to ``OUT/crosscheck.json``.
- ``restart CHECKPOINT OUT``: predict every job again in this fresh process from its saved
  model only (no fit), to ``OUT/<algorithm>/{topk,pairs}_{user,item,score}.npy``.
- ``signatures OUT``: constructor parameters and defaults of every offered model.
- ``check SPLIT OUT``: verdicts for the ``[algorithm, config, phase]`` entries of
  ``OUT/configs.json`` (phase ``check``: ``check_config``; ``fit``: a real fit on SPLIT).
- ``repro SPLIT OUT ALGORITHM...``: fit each model twice with one seed (1 and 2 threads)
  and once with another, compare the scores of every user.

CHECKPOINT is a Coordinator checkpoint dir; SPLIT one of its ``splits/fold_0`` dirs.
"""

from __future__ import annotations

import inspect
import json
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from omnirec_cornac.algorithms import MODELS
from omnirec_cornac.worker import META_FILE, MODEL_FILE, CornacHandler, cornac_class, identity_dataset

from omnirec_core.runner import ConfigError, FitRequest, Interactions, PredictRequest, served_prediction

#: Small settings for the slow models in ``repro`` (tiny data; checks seeding, not quality).
FAST = {
    "WMF": {"max_iter": 2}, "IBPR": {"max_iter": 2}, "OnlineIBPR": {"max_iter": 2},
    "VAECF": {"n_epochs": 2}, "RecVAE": {"n_epochs": 1}, "BiVAECF": {"n_epochs": 2},
    "GMF": {"num_epochs": 1}, "MLP": {"num_epochs": 1}, "NeuMF": {"num_epochs": 1},
}  # fmt: skip


def columns(directory: Path) -> dict[str, np.ndarray]:
    return {p.stem: np.load(p) for p in directory.glob("*.npy")}


def split_part(split: Path, part: str) -> Interactions:
    return Interactions.from_columns(columns(split / part))


def jobs(checkpoint: Path) -> list[dict[str, Any]]:
    """Done Cornac jobs: algorithm, model dir, stored predictions, split dir, saved meta."""
    out = []
    for record in sorted(checkpoint.glob("*/Cornac.*/job.json")):
        job = json.loads(record.read_text())
        if job["status"] != "done":
            continue
        model, preds = record.parent / "model", record.parent / "predictions"
        out.append(
            {
                "algorithm": job["algorithm"].split(".", 1)[1],
                "config": job["config"],
                "seed": job["seed"],
                "model": model,
                "meta": json.loads((model / META_FILE).read_text()),
                "topk": columns(preds / "topk") if (preds / "topk").is_dir() else None,
                "pairs": columns(preds / "pairs") if (preds / "pairs").is_dir() else None,
                "split": record.parent.parent / "splits" / "fold_0",
            }
        )
    return out


def load(job: dict[str, Any]) -> Any:
    with open(job["model"] / MODEL_FILE, "rb") as fh:
        return pickle.load(fh)


def compare(ours: tuple[np.ndarray, np.ndarray], theirs: tuple[np.ndarray, np.ndarray]) -> str:
    """``identical``, ``tie_order`` (same scores everywhere, items differ only among tied
    scores) or ``mismatch``."""
    (items, scores), (t_items, t_scores) = ours, theirs
    n = len(t_items)
    if len(items) != n or not np.array_equal(scores, t_scores):
        return "mismatch"
    if np.array_equal(items, t_items):
        return "identical"
    # Every score group that ends before the cut must hold the same items; the group at
    # the cut may continue beyond it, so either side may show any of its members.
    for value in np.unique(t_scores[t_scores != t_scores[-1]]):
        at = t_scores == value
        if set(items[at]) != set(t_items[at]):
            return "mismatch"
    return "tie_order"


def crosscheck(checkpoint: Path, out: Path, n_sample: int) -> None:
    result: dict[str, Any] = {}
    rng = np.random.default_rng(0)
    for job in jobs(checkpoint):
        model, meta = load(job), job["meta"]
        train = identity_dataset(
            split_part(job["split"], "train"), meta["n_users"], meta["n_items"], meta["feedback"], 0
        )
        res: dict[str, Any] = {}
        val_items = held_out(job["split"])
        if job["topk"] is not None:
            topk = job["topk"]
            k = int(topk["rank"].max())
            users = np.unique(topk["user"])
            users = np.sort(rng.choice(users, min(n_sample, len(users)), replace=False))
            verdicts = {"identical": 0, "tie_order": 0, "mismatch": 0}
            examples = []
            for u in users:
                mine = topk["user"] == u
                order = topk["rank"][mine].argsort()
                ours = topk["item"][mine][order], topk["score"][mine][order]
                # Test lists leave out the user's validation items too: ask for room, drop them.
                held = val_items.get(int(u), np.empty(0, np.int64))
                items = np.asarray(
                    model.recommend(int(u), k=k + len(held), remove_seen=True, train_set=train),
                    dtype=np.int64,
                )
                items = items[~np.isin(items, held)][:k]
                scores = np.ravel(model.score(int(u))).astype(np.float64)[items]
                verdict = compare(ours, (items, scores))
                verdicts[verdict] += 1
                if verdict == "mismatch" and len(examples) < 3:
                    examples.append({"user": int(u), "ours": ours[0].tolist(), "cornac": items.tolist()})
            res.update({"users": len(users), "k": k, **verdicts, "examples": examples})
        if job["pairs"] is not None:
            pairs = job["pairs"]
            at = rng.choice(len(pairs["user"]), min(2000, len(pairs["user"])), replace=False)
            rated = np.array([model.rate(int(pairs["user"][j]), int(pairs["item"][j])) for j in at])
            res["pairs"] = len(at)
            res["max_rating_diff"] = float(np.max(np.abs(rated - pairs["score"][at])))
        result[job["algorithm"]] = res
    (out / "crosscheck.json").write_text(json.dumps(result, indent=1))


def held_out(split: Path) -> dict[int, np.ndarray]:
    """Each user's validation items (none without a validation part)."""
    if not (split / "val").is_dir():
        return {}
    val = split_part(split, "val")
    order = np.argsort(val.user, kind="stable")
    users, starts = np.unique(val.user[order], return_index=True)
    return {int(u): items for u, items in zip(users, np.split(val.item[order], starts[1:]))}


def restart(checkpoint: Path, out: Path) -> None:
    handler = CornacHandler()
    for job in jobs(checkpoint):
        meta, topk, pairs = job["meta"], job["topk"], job["pairs"]
        has_val = (job["split"] / "val").is_dir()
        pred = served_prediction(
            handler,
            PredictRequest(
                algorithm=job["algorithm"], config=job["config"], seed=job["seed"], job_dir=job["model"],
                train=split_part(job["split"], "train"), n_users=meta["n_users"], n_items=meta["n_items"],
                feedback=meta["feedback"], k=0 if topk is None else int(topk["rank"].max()),
                users=None if topk is None else np.load(job["split"] / "users" / "user.npy"),
                pairs=None if pairs is None else Interactions(pairs["user"], pairs["item"]),
                val=split_part(job["split"], "val") if has_val else None, exclude_val=has_val,
            ),
        )  # fmt: skip
        target = out / job["algorithm"]
        target.mkdir(parents=True, exist_ok=True)
        if pred.user is not None:
            order = np.argsort(pred.user, kind="stable")  # as the SDK stores them: grouped by user
            for name in ("user", "item", "score"):
                np.save(target / f"topk_{name}.npy", getattr(pred, name)[order])
        if pred.pair_score is not None:
            np.save(target / "pairs_score.npy", pred.pair_score)


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def signatures(out: Path) -> None:
    sigs = {}
    for algo in MODELS:
        params = inspect.signature(cornac_class(algo).__init__).parameters
        sigs[algo] = {n: _plain(p.default) for n, p in params.items() if n != "self"}
    (out / "signatures.json").write_text(json.dumps(sigs))


def _fit_request(
    algo: str, config: dict, split: Path, job_dir: Path, seed: int, threads: int = 1
) -> FitRequest:
    train = split_part(split, "train")
    feedback = "explicit" if train.rating is not None else "implicit"
    return FitRequest(
        algorithm=algo, config=config, seed=seed, job_dir=job_dir, train=train,
        n_users=int(train.user.max()) + 1, n_items=int(train.item.max()) + 1,
        feedback=feedback, threads=threads,
    )  # fmt: skip


def check(split: Path, out: Path) -> None:
    handler = CornacHandler()
    verdicts = []
    for i, (algo, config, phase) in enumerate(json.loads((out / "configs.json").read_text())):
        job_dir = out / f"job_{i}"
        try:
            if phase == "fit":
                handler.fit(_fit_request(algo, config, split, job_dir, seed=1))
            else:
                handler.check_config(algo, config)
            verdicts.append({"ok": True, "error": "", "wrote": job_dir.exists()})
        except ConfigError as exc:
            verdicts.append({"ok": False, "error": str(exc), "wrote": job_dir.exists()})
    (out / "verdicts.json").write_text(json.dumps(verdicts))


def repro(split: Path, out: Path, algos: list[str]) -> None:
    handler = CornacHandler()

    def scores(algo: str, seed: int, threads: int) -> np.ndarray:
        with tempfile.TemporaryDirectory() as tmp:
            req = _fit_request(algo, FAST.get(algo, {}), split, Path(tmp), seed, threads)
            handler.fit(req)
            with open(Path(tmp) / MODEL_FILE, "rb") as fh:
                model = pickle.load(fh)
            return np.stack([np.ravel(model.score(u)) for u in range(req.n_users)])

    result = {}
    for algo in algos:
        one, two = scores(algo, 11, 1), scores(algo, 11, 2)
        result[algo] = {
            "same_seed_1_thread": bool(np.array_equal(one, scores(algo, 11, 1))),
            "same_seed_2_threads": bool(np.array_equal(two, scores(algo, 11, 2))),
            "other_seed_differs": not np.array_equal(one, scores(algo, 12, 1)),
        }
    (out / "repro.json").write_text(json.dumps(result, indent=1))


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
    elif mode == "repro":
        repro(Path(args[0]), Path(args[1]), args[2:])
    else:
        sys.exit(f"unknown mode {mode!r}")
