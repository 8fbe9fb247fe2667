"""LensKit runner worker: runs inside the runner env, where LensKit 2025.8 is installed.

Each job trains LensKit's standard top-N pipeline (``topn_pipeline``: training-history
lookup, candidate selector that removes the user's training items, the scorer, top-N
ranker; plus LensKit's rating predictor with a ``BiasScorer`` fallback when the scorer
predicts ratings on explicit data) and pickles the trained pipeline into the job
directory. Predictions go through ``lenskit.batch``.
"""

from __future__ import annotations

import importlib
import json
import os
import pickle
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from omnirec_core.plugin.specs import check_config
from omnirec_core.runner import (
    ConfigError,
    FitRequest,
    Handler,
    Interactions,
    Prediction,
    PredictRequest,
)
from omnirec_core.runner.fs import atomic_open, atomic_write_json
from omnirec_lenskit.algorithms import ALGORITHMS, ALIASES, UNAVAILABLE, Algorithm
from omnirec_lenskit.ranking import TopK, merge, select_topk

PIPELINE_FILE = "lenskit-pipeline.pkl"
META_FILE = "lenskit-model.json"
TRAINED_ITEMS_FILE = "lenskit-trained-items.npy"

# Users from which LensKit's process pool is used (with more than one thread). On
# ML-100K (943 users, 2 busy cores) the pool of 2 took 2-3x longer than in-process
# inference (about 3 ms per user): spawned workers re-import LensKit and unpickle the
# model. The break-even is a guess kept well above that; OMNIREC_LENSKIT_JOBS overrides.
POOL_MIN_USERS = 20_000
JOBS_ENV = "OMNIREC_LENSKIT_JOBS"


def algorithm_entry(algorithm: str) -> Algorithm:
    """The declaration of ``algorithm``; ConfigError when unknown or unavailable."""
    algo = ALGORITHMS.get(algorithm)
    if algo is None:
        raise ConfigError(f"LensKit has no algorithm {algorithm!r}; available: {', '.join(ALGORITHMS)}")
    if algorithm in UNAVAILABLE:
        raise ConfigError(f"LensKit.{algorithm} cannot run here: {UNAVAILABLE[algorithm]}")
    return algo


def scorer_class(algorithm: str) -> type:
    """The LensKit component class for ``algorithm``; ConfigError when unknown."""
    algo = algorithm_entry(algorithm)
    return getattr(importlib.import_module(algo.module), algo.cls)


def accepted_keys(cls: type) -> tuple[str, ...]:
    """Config keys the scorer's config class accepts: fields, their aliases, and
    ``embedding_size_exp`` where LensKit's ``EmbeddingSizeMixin`` converts it."""
    import dataclasses

    from lenskit.config.common import EmbeddingSizeMixin
    from pydantic import AliasChoices, BaseModel

    cfg = cls.config_class()  # type: ignore[attr-defined]
    if cfg is None:
        return ()
    keys: list[str] = []
    if isinstance(cfg, type) and issubclass(cfg, BaseModel):
        # pydantic is absent where mypy runs, so ``issubclass`` narrows nothing.
        fields: dict[str, Any] = cfg.model_fields  # type: ignore[attr-defined,unused-ignore]
        for name, f in fields.items():
            keys.append(name)
            alias = f.validation_alias
            if isinstance(alias, AliasChoices):
                keys.extend(a for a in alias.choices if isinstance(a, str))
            elif isinstance(alias, str):
                keys.append(alias)
        if issubclass(cfg, EmbeddingSizeMixin):
            keys.append("embedding_size_exp")
    elif dataclasses.is_dataclass(cfg):
        keys.extend(f.name for f in dataclasses.fields(cfg))
    return tuple(dict.fromkeys(keys))


def resolve_config(algorithm: str, config: dict[str, Any], feedback: str | None) -> dict[str, Any]:
    """The scorer config to use: the user's, plus ``feedback`` for the k-NN scorers
    (LensKit defaults them to explicit, which fails on data without ratings)."""
    out = dict(config)
    algo = ALGORITHMS.get(algorithm)
    if algo is not None and algo.auto_feedback and feedback and "feedback" not in out:
        out["feedback"] = feedback
    return out


def validate(algorithm: str, config: dict[str, Any]) -> Any:
    """LensKit's validated config object; ConfigError naming the valid keys otherwise."""
    from pydantic import ValidationError

    cls = scorer_class(algorithm)
    keys = accepted_keys(cls)
    unknown = sorted(set(config) - set(keys))
    if unknown:
        raise ConfigError(
            f"LensKit.{algorithm} does not accept config key(s) {', '.join(map(repr, unknown))}; "
            f"valid keys: {', '.join(keys) or 'none'}"
        )
    try:
        return cls.validate_config(config)  # type: ignore[attr-defined]
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'config'}: {e['msg']}" for e in exc.errors())
        raise ConfigError(
            f"LensKit.{algorithm}: invalid config {config!r}: {problems}; valid keys: {', '.join(keys)}"
        ) from None


def interactions_frame(data: Interactions, feedback: str) -> Any:
    """A LensKit-style frame (``user_id``, ``item_id``, ``rating``, ``timestamp``)."""
    import pandas as pd

    cols: dict[str, np.ndarray] = {
        "user_id": np.asarray(data.user, dtype=np.int64),
        "item_id": np.asarray(data.item, dtype=np.int64),
    }
    # Implicit jobs never show ratings to LensKit, even if the split still has them.
    if feedback == "explicit" and data.rating is not None:
        cols["rating"] = np.asarray(data.rating, dtype=np.float64)
    if data.timestamp is not None:
        cols["timestamp"] = np.asarray(data.timestamp, dtype=np.int64)
    return pd.DataFrame(cols)


def build_dataset(data: Interactions, n_users: int, n_items: int, feedback: str) -> Any:
    """LensKit dataset whose vocabularies are exactly users 0..n_users-1 and items
    0..n_items-1, in that order, so LensKit's ids are our canonical ids."""
    from lenskit.data import from_interactions_df

    ds = from_interactions_df(
        interactions_frame(data, feedback),
        users=np.arange(n_users, dtype=np.int64),
        items=np.arange(n_items, dtype=np.int64),
    )
    if ds.interaction_count != len(data):  # pragma: no cover - canonical data has no repeats
        raise ValueError(
            f"LensKit kept {ds.interaction_count} of {len(data)} training interactions; "
            "ids must lie in 0..n-1 without repeated (user, item) pairs"
        )
    return ds


def predicts_ratings(algorithm: str, feedback: str) -> bool:
    return feedback == "explicit" and "rating" in ALGORITHMS[algorithm].predictions


def build_pipeline(algorithm: str, config: dict[str, Any], feedback: str) -> Any:
    """LensKit's standard top-N pipeline for the scorer (rating predictor where it fits)."""
    from lenskit.pipeline import topn_pipeline

    scorer = scorer_class(algorithm)(validate(algorithm, config))
    if predicts_ratings(algorithm, feedback):
        # LensKit's own rating setup: the scorer, with BiasScorer filling what it cannot score.
        return topn_pipeline(scorer, predicts_ratings=True, name=algorithm), scorer
    return topn_pipeline(scorer, name=algorithm), scorer


def batch_jobs(n_users: int, threads: int) -> int:
    """Processes for LensKit's batch inference: in-process unless many users and cores
    (see ``POOL_MIN_USERS``); ``OMNIREC_LENSKIT_JOBS`` overrides the choice."""
    forced = os.environ.get(JOBS_ENV)
    if forced:
        return max(1, int(forced))
    return max(1, threads) if threads > 1 and n_users >= POOL_MIN_USERS else 1


def flatten(results: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(user, item, score) columns of an item-list collection keyed by ``user_id``.

    Gathers each list's arrays and concatenates them once: about 40x faster than
    ``to_df()`` on ML-100K, and users with empty lists simply contribute no rows.
    """
    keys = list(results.keys())
    lists = list(results.lists())
    sizes = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
    if sizes.sum() == 0:
        e = np.empty(0, dtype=np.int64)
        return e, e.copy(), np.empty(0, dtype=np.float64)
    user = np.repeat(np.asarray([k.user_id for k in keys], dtype=np.int64), sizes)
    item = np.concatenate([x.ids() for x in lists if len(x)]).astype(np.int64)
    score = np.concatenate([_scores(x) for x in lists if len(x)]).astype(np.float64)
    return user, item, score


def _scores(ilist: Any) -> np.ndarray:
    s = ilist.scores()
    return np.full(len(ilist), np.nan) if s is None else s


class LensKitHandler(Handler):
    """Fits and predicts with LensKit scorers in LensKit's top-N pipelines."""

    name = "LensKit"

    def __init__(self) -> None:
        self._threads: int | None = None
        self._loaded: tuple[Path, int, Any] | None = None

    def framework_version(self) -> str:
        from importlib.metadata import version

        return version("lenskit")

    def check_config(self, algorithm: str, config: dict[str, Any]) -> None:
        """The declared keys, types and ranges first (the coordinator's own check), then
        LensKit's validation (strict bounds, the shape of tables, a preset's rules)."""
        algo = algorithm_entry(algorithm)
        names = [p.name for p in algo.params]
        aliases = sorted(a for a in config if ALIASES.get(a) in names)
        if aliases:
            spelled = ", ".join(f"{a!r} (write {ALIASES[a]!r})" for a in aliases)
            raise ConfigError(
                f"LensKit.{algorithm}: LensKit's aliases are not config keys: {spelled}; "
                f"valid keys: {', '.join(names)}"
            )
        check_config(f"LensKit.{algorithm}", algo.params, config)
        validate(algorithm, resolve_config(algorithm, config, None))

    # ---- set-up ------------------------------------------------------------------------

    def _parallel(self, threads: int) -> None:
        """Give LensKit ``threads`` cores: its Rust/Rayon pool and torch/BLAS threads."""
        threads = max(1, int(threads))
        if self._threads == threads:
            return
        if self._threads is None:
            from lenskit.parallel import initialize

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                initialize(processes=1, threads=threads, backend_threads=threads)
        else:
            # LensKit configures itself once per process; its Rayon pool keeps the first
            # size, torch and BLAS follow the new request.
            import torch
            from threadpoolctl import threadpool_limits

            torch.set_num_threads(threads)
            threadpool_limits(threads)
        self._threads = threads

    # ---- fit ---------------------------------------------------------------------------

    def fit(self, req: FitRequest) -> dict[str, Any]:
        from lenskit.random import init_global_rng
        from lenskit.training import TrainingOptions

        config = resolve_config(req.algorithm, req.config, req.feedback)
        self.check_config(req.algorithm, config)  # unknown algorithm, key or value: before work
        algo = ALGORITHMS[req.algorithm]
        if req.feedback not in algo.feedback:
            raise ConfigError(
                f"LensKit.{req.algorithm} needs {'/'.join(algo.feedback)} feedback (ratings); "
                f"this job's data is {req.feedback}"
            )
        if req.feedback == "explicit" and req.train.rating is None:
            raise ValueError(f"LensKit.{req.algorithm}: explicit job without a rating column")
        self._parallel(req.threads)
        # Seeds stdlib, numpy's legacy global and torch; TrainingOptions(rng=seed) then
        # gives each pipeline component its own SeedSequence child of the job seed.
        init_global_rng(req.seed)

        ds = build_dataset(req.train, req.n_users, req.n_items, req.feedback)
        pipe, scorer = build_pipeline(req.algorithm, config, req.feedback)
        t0 = time.perf_counter()
        # device: where LensKit's torch models (FlexMF) train; the others ignore it.
        pipe.train(ds, TrainingOptions(rng=req.seed, device=req.device or None))
        fit_s = time.perf_counter() - t0

        job = Path(req.job_dir)
        job.mkdir(parents=True, exist_ok=True)
        trained = np.bincount(req.train.item, minlength=req.n_items) > 0
        with atomic_open(job / TRAINED_ITEMS_FILE, "wb") as fh:
            np.save(fh, trained, allow_pickle=False)
        with atomic_open(job / PIPELINE_FILE, "wb") as fh:
            pickle.dump(pipe, fh, protocol=pickle.HIGHEST_PROTOCOL)
        meta = {
            "algorithm": req.algorithm,
            "config": scorer.dump_config(),
            "lenskit": self.framework_version(),
            "feedback": req.feedback,
            "predicts_ratings": predicts_ratings(req.algorithm, req.feedback),
            "n_users": req.n_users,
            "n_items": req.n_items,
            "seed": req.seed,
        }
        # Written last: its presence marks a complete model directory.
        atomic_write_json(job / META_FILE, meta)
        self._loaded = None
        return {"lenskit_config": meta["config"], "lenskit_fit_seconds": round(fit_s, 3)}

    # ---- predict -----------------------------------------------------------------------

    def _load(self, job_dir: Path) -> tuple[Any, dict[str, Any], np.ndarray]:
        """The trained pipeline (our own pickle: trusted), its metadata and trained items."""
        job = Path(job_dir)
        meta_path = job / META_FILE
        if not meta_path.exists():
            raise FileNotFoundError(f"no LensKit model in {job} (fit has not completed there)")
        meta = json.loads(meta_path.read_text())
        stamp = (job / PIPELINE_FILE).stat().st_mtime_ns
        if self._loaded is not None and self._loaded[:2] == (job, stamp):
            pipe = self._loaded[2]
        else:
            with open(job / PIPELINE_FILE, "rb") as fh:
                # Trusted: fit() above wrote this file into the coordinator's job dir.
                pipe = pickle.load(fh)
            self._loaded = (job, stamp, pipe)
        trained = np.load(job / TRAINED_ITEMS_FILE, allow_pickle=False)
        return pipe, meta, trained

    def predict(self, req: PredictRequest) -> Prediction:
        pipe, meta, trained = self._load(req.job_dir)
        if (meta["n_users"], meta["n_items"]) != (req.n_users, req.n_items):
            raise ValueError(
                f"model in {req.job_dir} was fit on {meta['n_users']} users x "
                f"{meta['n_items']} items, the request has {req.n_users} x {req.n_items}"
            )
        self._parallel(req.threads)
        out = Prediction(info={})
        if req.k > 0 and req.users is not None and len(req.users):
            users = np.asarray(req.users, dtype=np.int64)
            rows, info = self._topk(pipe, users, req.k, trained, req.exclude_train, req.threads)
            out.user, out.item, out.score = rows.user, rows.item, rows.score
            out.info.update(info)
        if req.pairs is not None and len(req.pairs):
            out.pair_score, info = self._pairs(pipe, req.pairs, req.n_items, req.threads)
            out.info.update(info)
        return out

    def _topk(
        self,
        pipe: Any,
        users: np.ndarray,
        k: int,
        trained: np.ndarray,
        exclude_train: bool,
        threads: int,
    ) -> tuple[TopK, dict[str, Any]]:
        """Top-``k`` per user over items seen in training, via ``lenskit.batch.recommend``.

        LensKit's candidate selector removes each user's training items (the pipeline's
        history lookup holds exactly ``req.train``). We ask for ``k`` plus the never-trained
        items plus a margin, then cut exactly (see :mod:`omnirec_lenskit.ranking`).
        """
        selector = pipe.component("candidate-selector")
        before = selector.config.exclude
        selector.config.exclude = "query" if exclude_train else None
        try:
            n_items = len(trained)
            asked = min(n_items, 2 * k + int((~trained).sum()))
            jobs = batch_jobs(len(users), threads)
            first, redo = select_topk(
                *self._recommend(pipe, users, asked, jobs),
                users=users,
                k=k,
                asked=asked,
                candidate=trained,
            )
            if len(redo):
                full, _ = select_topk(
                    *self._recommend(pipe, redo, -1, batch_jobs(len(redo), threads)),
                    users=redo,
                    k=k,
                    asked=None,
                    candidate=trained,
                )
                first = merge(first, full, users)
        finally:
            selector.config.exclude = before
        return first, {"lenskit_n_jobs": jobs, "lenskit_asked": asked, "lenskit_full_lists": len(redo)}

    @staticmethod
    def _recommend(pipe: Any, users: np.ndarray, n: int, jobs: int) -> tuple[np.ndarray, ...]:
        from lenskit import batch

        recs = batch.recommend(pipe, users.tolist(), n=n, n_jobs=jobs)
        return flatten(recs)

    @staticmethod
    def _pairs(
        pipe: Any, pairs: Interactions, n_items: int, threads: int
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """One score per requested pair: LensKit's rating predictor where the pipeline has
        one (explicit rating models), else the scorer's raw score; NaN where it has none."""
        import pandas as pd
        from lenskit.batch import BatchPipelineRunner
        from lenskit.data import ItemListCollection

        user = np.asarray(pairs.user, dtype=np.int64)
        item = np.asarray(pairs.item, dtype=np.int64)
        test = ItemListCollection.from_df(pd.DataFrame({"user_id": user, "item_id": item}), "user_id")
        has_predictor = pipe.node("rating-predictor", missing="none") is not None
        runner = BatchPipelineRunner(n_jobs=batch_jobs(len(test), threads))
        if has_predictor:
            runner.predict()
        else:
            runner.score()
        output = "predictions" if has_predictor else "scores"
        got_user, got_item, vals = flatten(runner.run(pipe, test).output(output))
        # Align LensKit's rows with the request by the (user, item) key.
        got = got_user * n_items + got_item
        order = np.argsort(got, kind="stable")
        got, vals = got[order], vals[order]
        want = user * n_items + item
        at = np.minimum(np.searchsorted(got, want), max(len(got) - 1, 0))
        found = got[at] == want if len(got) else np.zeros(len(want), dtype=bool)
        score = np.full(len(want), np.nan)
        score[found] = vals[at[found]]
        return score, {
            "lenskit_pair_source": "rating-predictor" if has_predictor else "scorer",
            "lenskit_unscored_pairs": int((~np.isfinite(score)).sum()),
        }


if __name__ == "__main__":
    from omnirec_core.runner.serve import main

    main(LensKitHandler())
