"""Cornac worker: fits and ranks with Cornac 3.0 inside the runner env.

Started as ``python -m omnirec_cornac.worker`` by the coordinator; the protocol side is
:mod:`omnirec_core.runner.serve`. Cornac's ``Dataset`` is built with identity id maps over the
whole id space (user ``u`` is Cornac's user index ``u``, item ``i`` its item index ``i``),
so every model scores exactly our canonical items and nothing needs mapping back.
Cornac is imported lazily, so the config checks run (and are tested) without it.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import json
import pickle
import random
import sys
import time
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from omnirec_core.runner import (
    ConfigError,
    FitRequest,
    Handler,
    Interactions,
    Prediction,
    PredictRequest,
    UserIndex,
    batches,
    topk_from_scores,
)
from omnirec_core.runner.fs import atomic_open, atomic_write_json
from omnirec_cornac.algorithms import LEFT_OUT, MODELS, Model

MODEL_FILE = "cornac-model.pkl"
#: Written last by fit: its presence marks a complete model directory.
META_FILE = "cornac-model.json"

#: Dense score entries per top-K block (rows x n_items); bounds predict memory.
BLOCK_ENTRIES = 1 << 22

_LIST_KEYS = ("autoencoder_structure", "encoder_structure", "layers")
_EARLY_STOPPING_KEYS = ("min_delta", "patience")


def runner_name(algorithm: str) -> str:
    return f"Cornac.{algorithm}"


def _extra_problem(key: str, value: Any) -> str | None:
    """Checks a ``Param`` cannot express: list elements and the early-stopping table."""
    if key in _LIST_KEYS and isinstance(value, list):
        ok = value and all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value)
        return None if ok else f"must be a non-empty list of positive integers, got {value!r}"
    if key == "early_stopping" and isinstance(value, dict):
        unknown = sorted(set(value) - set(_EARLY_STOPPING_KEYS))
        if unknown:
            return f"takes only {' and '.join(_EARLY_STOPPING_KEYS)}, got {', '.join(unknown)}"
        delta, patience = value.get("min_delta", 0.0), value.get("patience", 0)
        if isinstance(delta, bool) or not isinstance(delta, (int, float)) or delta < 0:
            return f"min_delta must be a number >= 0, got {delta!r}"
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            return f"patience must be an integer >= 0, got {patience!r}"
    return None


def check_config(algorithm: str, config: dict[str, Any]) -> None:
    """ConfigError naming the problem and the valid keys, before any work."""
    model = MODELS.get(algorithm)
    if model is None:
        why = next((why for names, why in LEFT_OUT.items() if algorithm in names.split(", ")), None)
        if why:
            raise ConfigError(f"{runner_name(algorithm)} is not offered by omnirec's Cornac runner: {why}.")
        raise ConfigError(
            f"the Cornac runner has no algorithm {algorithm!r}. Available: {', '.join(MODELS)}."
        )
    params = {p.name: p for p in model.params}
    valid = ", ".join(params) or "none"
    unknown = sorted(set(config) - set(params))
    if unknown:
        raise ConfigError(
            f"{runner_name(algorithm)} does not accept config key(s) {', '.join(map(repr, unknown))}. "
            f"Valid keys: {valid}."
        )
    problems = [
        f"{k} {why}" for k, v in config.items() if (why := params[k].problem(v) or _extra_problem(k, v))
    ]
    if problems:
        raise ConfigError(f"{runner_name(algorithm)}: " + "; ".join(problems) + f". Valid keys: {valid}.")


def resolved_config(algorithm: str, config: dict[str, Any] | None) -> dict[str, Any]:
    """The declared defaults overlaid with the job's config, checked."""
    check_config(algorithm, config or {})
    defaults = {p.name: p.default for p in MODELS[algorithm].params}
    return {**defaults, **(config or {})}


def require_feedback(req: FitRequest | PredictRequest) -> None:
    feedback = MODELS[req.algorithm].feedback
    if req.feedback in feedback:
        return
    if req.feedback == "explicit":
        fix = 'Add MakeImplicit(threshold) to the preprocessing first (e.g. [[preprocess]] step="MakeImplicit" threshold=3).'
    else:
        fix = "Use data with ratings (no MakeImplicit step), or a model for implicit feedback."
    raise ConfigError(
        f"{runner_name(req.algorithm)} learns from {' or '.join(feedback)} feedback only, but this "
        f"job's data is {req.feedback}. {fix}"
    )


def identity_dataset(data: Interactions, n_users: int, n_items: int, feedback: str, seed: int) -> Any:
    """A Cornac ``Dataset`` whose user and item indices are our canonical ids.

    ``Dataset.from_uir`` numbers ids by first appearance and knows only ids that occur;
    this one covers all ``n_users x n_items`` ids in order. Values are the ratings on
    explicit data and 1 on implicit data.
    """
    from cornac.data import Dataset

    if feedback == "explicit":
        if data.rating is None:
            raise ValueError("explicit job without a rating column")
        values = np.asarray(data.rating, dtype=np.float64)
    else:
        values = np.ones(len(data), dtype=np.float64)
    return Dataset(
        num_users=n_users,
        num_items=n_items,
        uid_map=OrderedDict((u, u) for u in range(n_users)),
        iid_map=OrderedDict((i, i) for i in range(n_items)),
        uir_tuple=(np.asarray(data.user, dtype=np.int64), np.asarray(data.item, dtype=np.int64), values),
        seed=seed,
    )


def cornac_class(algorithm: str) -> type:
    return getattr(importlib.import_module("cornac.models"), algorithm)


def build_model(algorithm: str, cfg: dict[str, Any], seed: int, threads: int) -> Any:
    """The Cornac model with the job's config, plus the arguments omnirec manages."""
    cls = cornac_class(algorithm)
    accepted = inspect.signature(cls).parameters
    managed = {"seed": seed, "num_threads": threads, "verbose": False, "use_gpu": False}
    extra = {k: v for k, v in managed.items() if k in accepted}
    return cls(**cfg, **MODELS[algorithm].fixed, **extra)


def _seed_everything(seed: int, model: Model, cfg: dict[str, Any], threads: int) -> None:
    """Global generators too: IBPR and OnlineIBPR take no seed and draw from torch's."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    if model.torch or cfg.get("backend") == "pytorch":
        import torch

        torch.manual_seed(seed)
        torch.set_num_threads(threads)


def inference_mode(model: Any) -> None:
    """Switch the fitted model's torch networks to eval mode.

    Cornac leaves RecVAE's network in training mode, so its ``score`` applied dropout and
    sampled the latent code: every call ranked differently. A trained model is scored
    in eval mode (no dropout, posterior mean), as its paper evaluates it.
    """
    if "torch" not in sys.modules:
        return
    import torch

    for value in vars(model).values():
        if isinstance(value, torch.nn.Module):
            value.eval()


def storable(model: Any) -> Any:
    """A shallow copy without the attributes Cornac's own ``save`` leaves out (data sets)."""
    out = copy.copy(model)
    for name in getattr(model, "ignored_attrs", ()):
        out.__dict__.pop(name, None)
    return out


def score_rows(model: Any, users: np.ndarray, n_items: int) -> tuple[np.ndarray, int]:
    """``model.score(u)`` for each user as a dense block; NaN rows where Cornac cannot score."""
    from cornac.exception import ScoreException

    block = np.full((len(users), n_items), np.nan)
    failed = 0
    for row, u in enumerate(users):
        try:
            block[row] = np.asarray(model.score(int(u)), dtype=np.float64).ravel()
        except ScoreException:
            failed += 1
    return block, failed


class CornacHandler(Handler):
    """Runs Cornac 3.0 models on identity-mapped Cornac datasets."""

    name = "Cornac"

    def framework_version(self) -> str:
        from importlib.metadata import version

        return version("cornac")

    def check_config(self, algorithm: str, config: dict[str, Any]) -> None:
        check_config(algorithm, config)

    # ---- fit ------------------------------------------------------------------------
    def fit(self, req: FitRequest) -> dict[str, Any]:
        cfg = resolved_config(req.algorithm, req.config)
        require_feedback(req)
        model_info = MODELS[req.algorithm]
        has_val = req.val is not None and len(req.val) > 0
        if cfg.get("early_stopping") is not None and not has_val:
            raise ConfigError(
                f"{runner_name(req.algorithm)}: early_stopping needs a validation part; use a splitter "
                "with one (e.g. UserHoldout(0.2, 0.1)) or leave early_stopping out."
            )
        if req.n_items < model_info.min_items:
            raise ConfigError(
                f"{runner_name(req.algorithm)} needs at least {model_info.min_items} items (it scores "
                f"NDCG@100 on the training data every epoch); this data has {req.n_items}."
            )
        seed, threads = int(req.seed), max(1, int(req.threads))
        train = identity_dataset(req.train, req.n_users, req.n_items, req.feedback, seed)
        val = (
            identity_dataset(req.val, req.n_users, req.n_items, req.feedback, seed)
            if req.val and has_val
            else None
        )

        from threadpoolctl import threadpool_limits

        _seed_everything(seed, model_info, cfg, threads)
        start = time.perf_counter()
        with threadpool_limits(limits=threads), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Cornac's deprecation and progress notes
            model = build_model(req.algorithm, cfg, seed, threads)
            model.fit(train, val)
        fit_s = time.perf_counter() - start
        inference_mode(model)
        job = Path(req.job_dir)
        job.mkdir(parents=True, exist_ok=True)
        with atomic_open(job / MODEL_FILE, "wb") as fh:
            pickle.dump(storable(model), fh, protocol=pickle.HIGHEST_PROTOCOL)
        meta = {
            "algorithm": req.algorithm,
            "config": cfg,
            "feedback": req.feedback,
            "n_users": req.n_users,
            "n_items": req.n_items,
            "seed": seed,
            "threads": threads,
        }
        atomic_write_json(job / META_FILE, meta)
        return {
            "fit_seconds": round(fit_s, 4),
            "cornac_config": cfg,
            "train_interactions": len(req.train),
            "validation": has_val,
        }

    # ---- predict --------------------------------------------------------------------
    def _load(self, req: PredictRequest) -> Any:
        job = Path(req.job_dir)
        if not (job / META_FILE).exists():
            raise FileNotFoundError(f"no fitted Cornac model in {job} (fit has not completed there)")
        meta = json.loads((job / META_FILE).read_text())
        if (meta["algorithm"], meta["n_users"], meta["n_items"]) != (req.algorithm, req.n_users, req.n_items):
            raise ValueError(
                f"the model in {job} is {meta['algorithm']} on {meta['n_users']} users x "
                f"{meta['n_items']} items; the request is {req.algorithm} on {req.n_users} x {req.n_items}"
            )
        with open(job / MODEL_FILE, "rb") as fh:  # our own file, written by fit above
            return pickle.load(fh)

    def predict(self, req: PredictRequest) -> Prediction:
        require_feedback(req)
        wants_pairs = req.pairs is not None and len(req.pairs) > 0
        if wants_pairs and "rating" not in MODELS[req.algorithm].predictions:
            raise ConfigError(
                f"{runner_name(req.algorithm)} ranks items only; it cannot predict ratings for pairs."
            )
        model = self._load(req)
        threads = max(1, int(req.threads))
        if MODELS[req.algorithm].torch or getattr(model, "backend", None) == "pytorch":
            import torch

            torch.set_num_threads(threads)
        from threadpoolctl import threadpool_limits

        out = Prediction(info={})
        start = time.perf_counter()
        with threadpool_limits(limits=threads), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if req.k > 0 and req.users is not None and len(req.users):
                out.user, out.item, out.score, unscored = self._topk(model, req)
                out.info["users_without_scores"] = unscored
            if wants_pairs and req.pairs is not None:
                out.pair_score = self._pairs(model, req.pairs)
        out.info["predict_seconds"] = round(time.perf_counter() - start, 4)
        return out

    @staticmethod
    def _topk(model: Any, req: PredictRequest) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """Top-k per user from ``model.score(u)`` over all items, in blocks of users.

        Cornac's own ``rank`` sorts every item with an unstable sort; here training items
        are excluded and ties broken by item id (``topk_from_scores``), the omnirec contract.
        """
        users = np.asarray(req.users, dtype=np.int64)
        exclude = UserIndex(req.train, req.n_users) if req.exclude_train else None
        rows = max(1, BLOCK_ENTRIES // max(1, req.n_items))
        parts, unscored = [], 0
        for s in batches(len(users), rows):
            block, failed = score_rows(model, users[s], req.n_items)
            unscored += failed
            parts.append(topk_from_scores(block, users[s], req.k, exclude))
        user, item, score = (np.concatenate(col) for col in zip(*parts))
        return user, item, score, unscored

    @staticmethod
    def _pairs(model: Any, pairs: Interactions) -> np.ndarray:
        """One rating per pair from Cornac's own ``rate`` (score clipped to the training range).

        Per pair on purpose: some models' ``score(u)`` is not their rating (PMF returns the
        raw dot products there and applies its sigmoid and scaling only per item).
        """
        return np.fromiter(
            (model.rate(int(u), int(i)) for u, i in zip(pairs.user, pairs.item)),
            dtype=np.float64,
            count=len(pairs),
        )


if __name__ == "__main__":
    from omnirec_core.runner.serve import main

    main(CornacHandler())
