"""Runs INSIDE the LensKit runner env (tests call it with the env's interpreter).

Modes (results go to ``--out`` as .npy files plus ``results.json``):

- ``run``: for each algorithm, FitRequest -> handler.fit -> PredictRequest -> predict;
- ``fit`` / ``predict``: only one half, so a test can predict from a fresh process;
- ``direct``: the same split through LensKit's own API (no omnirec code);
- ``keys``: LensKit's accepted config keys and the handler's config errors.
- ``declared``: each declared ``Param`` against LensKit's config class (field names and
  defaults, a default written out vs left out, bounds and choices probed).

Data (``--data``): ``train_user.npy``, ``train_item.npy`` [``train_rating.npy``],
``test_user.npy``, ``test_item.npy`` [``test_rating.npy``], ``meta.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from omnirec_lenskit.algorithms import ALGORITHMS
from omnirec_lenskit.worker import LensKitHandler, accepted_keys, scorer_class

from omnirec_core.plugin.specs import NO_DEFAULT
from omnirec_core.runner import (
    ConfigError,
    FitRequest,
    Interactions,
    PredictRequest,
    UserIndex,
    topk_from_scores,
)


def load(data: Path, part: str) -> Interactions:
    rating = data / f"{part}_rating.npy"
    return Interactions(
        np.load(data / f"{part}_user.npy"),
        np.load(data / f"{part}_item.npy"),
        np.load(rating) if rating.exists() else None,
    )


def requests(args: argparse.Namespace, algo: str) -> tuple[FitRequest, PredictRequest]:
    meta = json.loads((args.data / "meta.json").read_text())
    train, test = load(args.data, "train"), load(args.data, "test")
    config = json.loads(args.config).get(algo, {})
    job = args.jobs / algo
    common = dict(
        algorithm=algo,
        config=config,
        seed=args.seed,
        job_dir=job,
        train=train,
        n_users=meta["n_users"],
        n_items=meta["n_items"],
        feedback=args.feedback,
        threads=args.threads,
    )
    pairs = None
    if args.feedback == "explicit" and "rating" in ALGORITHMS[algo].predictions:
        pairs = Interactions(test.user, test.item)
    return FitRequest(**common), PredictRequest(
        **common,
        k=args.k,
        users=np.unique(test.user),
        exclude_train=not args.keep_train,
        pairs=pairs,
    )


def save(out: Path, algo: str, pred) -> None:
    for name in ("user", "item", "score", "pair_score"):
        value = getattr(pred, name)
        if value is not None:
            np.save(out / f"{algo}.{name}.npy", value)


def oracle(handler: LensKitHandler, req: PredictRequest, out: Path) -> None:
    """Reference top-K: every candidate's LensKit score (complete lists), as a dense
    block, cut by omnirec's own ``topk_from_scores`` (training items and items never
    seen in training removed independently of LensKit)."""
    pipe, _, trained = handler._load(req.job_dir)
    selector = pipe.component("candidate-selector")
    before, selector.config.exclude = selector.config.exclude, None  # score every item
    users = np.asarray(req.users)
    try:
        user, item, score = handler._recommend(pipe, users, -1, 1)
    finally:
        selector.config.exclude = before
    dense = np.full((len(users), req.n_items), -np.inf)
    dense[np.searchsorted(users, user), item] = score
    dense[:, ~trained] = -np.inf
    history = UserIndex(req.train, req.n_users) if req.exclude_train else None
    u, i, s = topk_from_scores(dense, users, req.k, history)
    np.save(out / f"{req.algorithm}.oracle_user.npy", u)
    np.save(out / f"{req.algorithm}.oracle_item.npy", i)
    np.save(out / f"{req.algorithm}.oracle_score.npy", s)


def run(args: argparse.Namespace) -> dict:
    handler = LensKitHandler()
    results = {"framework": handler.framework_version()}
    for algo in args.algorithms:
        fit_req, pred_req = requests(args, algo)
        entry: dict = {}
        if args.mode in ("run", "fit"):
            t0 = time.perf_counter()
            entry["fit_info"] = handler.fit(fit_req)
            entry["fit_s"] = time.perf_counter() - t0
        if args.mode in ("run", "predict"):
            t0 = time.perf_counter()
            pred = handler.predict(pred_req)
            entry["predict_s"] = time.perf_counter() - t0
            entry["predict_info"] = pred.info
            save(args.out, algo, pred)
            if args.oracle:
                oracle(handler, pred_req, args.out)
        results[algo] = entry
    return results


def direct(args: argparse.Namespace) -> dict:
    """Plain LensKit: dataset, topn_pipeline, seeded training, batch.recommend."""
    import pandas as pd
    from lenskit import batch
    from lenskit.data import from_interactions_df
    from lenskit.pipeline import topn_pipeline
    from lenskit.training import TrainingOptions

    meta = json.loads((args.data / "meta.json").read_text())
    train, test = load(args.data, "train"), load(args.data, "test")
    frame = pd.DataFrame({"user_id": train.user, "item_id": train.item})
    if args.feedback == "explicit":
        frame["rating"] = train.rating
    kwargs = {}
    if args.full_vocab:
        kwargs = {"users": np.arange(meta["n_users"]), "items": np.arange(meta["n_items"])}
    ds = from_interactions_df(frame, **kwargs)
    users = np.unique(test.user)
    results = {}
    for algo in args.algorithms:
        cls = scorer_class(algo)
        pipe = topn_pipeline(cls(**json.loads(args.config).get(algo, {})))
        pipe.train(ds, TrainingOptions(rng=args.seed))
        df = batch.recommend(pipe, users.tolist(), n=args.k, n_jobs=1).to_df()
        np.save(args.out / f"{algo}.user.npy", df["user_id"].to_numpy(np.int64))
        np.save(args.out / f"{algo}.item.npy", df["item_id"].to_numpy(np.int64))
        np.save(args.out / f"{algo}.score.npy", df["score"].to_numpy(np.float64))
        results[algo] = {"rows": len(df)}
    return results


def keys(args: argparse.Namespace) -> dict:
    handler = LensKitHandler()
    out = {"keys": {a: list(accepted_keys(scorer_class(a))) for a in ALGORITHMS}, "errors": {}}
    for algo, config in json.loads(args.config).items():
        try:
            handler.check_config(algo, config)
            out["errors"][algo] = None
        except ConfigError as exc:
            out["errors"][algo] = str(exc)
    return out


def _accepts(cls, config: dict) -> bool:
    try:
        cls.validate_config(config)
        return True
    except Exception:  # pydantic's ValidationError, or a validator's ValueError
        return False


def declared(args: argparse.Namespace) -> dict:
    """LensKit's view of every declared Param (compared on the test side)."""
    out = {}
    for name, algo in ALGORITHMS.items():
        cls = scorer_class(name)
        base = {"feedback": "implicit"} if algo.auto_feedback else {}
        left_out = cls.validate_config(base).model_dump(mode="json")
        fields = cls.config_class().model_fields
        defaults = {p.name: p.default for p in algo.params if p.default is not NO_DEFAULT}
        written = cls.validate_config({**base, **defaults}).model_dump(mode="json")
        presets = {}
        if "preset" in fields:
            for preset in ("bpr", "warp", "lightgcn"):
                with_defaults = {**base, **defaults, "preset": preset}
                presets[preset] = cls.validate_config(with_defaults).model_dump(
                    mode="json"
                ) == cls.validate_config({**base, "preset": preset}).model_dump(mode="json")
        probes = {}
        for p in algo.params:
            if p.choices is not None:
                probes[p.name] = {
                    "choices_accepted": all(_accepts(cls, {**base, p.name: c}) for c in p.choices),
                    "other_refused": not _accepts(cls, {**base, p.name: "no-such-choice"}),
                }
            elif p.low is not None and p.types and p.types[0] in (int, float):
                step = 1 if p.types[0] is int else 1e-9
                probes[p.name] = {
                    "low_accepted": _accepts(cls, {**base, p.name: p.types[0](p.low)}),
                    "below_low_refused": not _accepts(cls, {**base, p.name: p.types[0](p.low) - step}),
                }
        out[name] = {
            "fields": list(fields),
            "aliases": sorted(set(accepted_keys(cls)) - set(fields)),
            "framework_defaults": left_out,
            "written_out": written,
            "presets_unchanged": presets,
            "probes": probes,
        }
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["run", "fit", "predict", "direct", "keys", "declared"])
    p.add_argument("--data", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--jobs", type=Path)
    p.add_argument("--algorithms", type=lambda s: s.split(","), default=[])
    p.add_argument("--feedback", default="implicit")
    p.add_argument("--config", default="{}", help="JSON: algorithm -> config")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--full-vocab", action="store_true")
    p.add_argument("--keep-train", action="store_true", help="exclude_train=False")
    p.add_argument("--oracle", action="store_true", help="also write the dense reference top-K")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    fn = {"direct": direct, "keys": keys, "declared": declared}.get(args.mode, run)
    results = fn(args)
    (args.out / "results.json").write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
