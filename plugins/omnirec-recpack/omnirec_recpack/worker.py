"""RecPack worker: fits and ranks with RecPack inside the runner env.

Started as ``python -m omnirec_recpack.worker`` by the coordinator; the protocol side is
:mod:`omnirec_core.runner.serve`. Everything here works on canonical ids: the interaction
matrix is ``n_users x n_items`` with row = our user id and column = our item id, so
RecPack's indices are ours and nothing needs mapping back.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import pickle
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from omnirec_core import runner as runner_api
from omnirec_core.plugin.specs import check_config
from omnirec_core.runner import (
    ConfigError,
    FitRequest,
    Handler,
    Prediction,
    PredictRequest,
    UserIndex,
    topk_from_scores,
)
from omnirec_core.runner.fs import atomic_open
from omnirec_recpack.algorithms import ALGORITHMS, PARAMS, TORCH_ALGORITHMS, defaults

MODEL_FILE = "recpack_model.pkl"

#: Dense score entries per top-K block (rows x n_items); bounds predict memory.
BLOCK_ENTRIES = 1 << 22


def _require_known(algorithm: str) -> None:
    if algorithm not in ALGORITHMS:
        raise ConfigError(
            f"RecPack runner has no algorithm {algorithm!r}. Available: {', '.join(ALGORITHMS)}."
        )


def _recpack_class(algorithm: str) -> type:
    _require_known(algorithm)
    import recpack.algorithms

    return getattr(recpack.algorithms, algorithm)


def _signature_defaults(cls: type) -> dict[str, Any]:
    """Constructor parameters of a RecPack class and their defaults (introspected)."""
    params = inspect.signature(cls).parameters
    return {
        n: p.default
        for n, p in params.items()
        if n != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }


def interaction_matrix(data: runner_api.Interactions, n_users: int, n_items: int) -> sp.csr_matrix:
    """Binary users x items CSR over the whole id space (duplicates collapse to 1)."""
    m = sp.csr_matrix(
        (np.ones(len(data), dtype=np.float64), (np.asarray(data.user), np.asarray(data.item))),
        shape=(n_users, n_items),
    )
    m.sum_duplicates()
    m.data[:] = 1.0
    return m


def _rows_only(X: sp.csr_matrix, users: np.ndarray) -> sp.csr_matrix:
    """``X`` with every row zeroed except ``users`` (shape kept: some models index by row)."""
    keep = np.zeros(X.shape[0], dtype=np.float64)
    keep[users] = 1.0
    return sp.diags(keep, format="csr") @ X


def _scored_block(pred: Any) -> np.ndarray:
    """Dense rows of RecPack scores; entries RecPack did not score become -inf.

    RecPack's predictions are sparse: an absent entry means "not recommended" (e.g. an
    item with no neighbour in the user's history, or outside Popularity's K), so it must
    not be ranked as a score of 0.
    """
    if not sp.issparse(pred):
        return np.asarray(pred, dtype=np.float64)
    pred = sp.csr_matrix(pred)
    block = np.full(pred.shape, -np.inf)
    rows = np.repeat(np.arange(pred.shape[0]), np.diff(pred.indptr))
    block[rows, pred.indices] = pred.data
    return block


class RecPackHandler(Handler):
    """Runs RecPack 0.3.6 algorithms on canonical-id interaction matrices."""

    name = "RecPack"

    def framework_version(self) -> str:
        from importlib.metadata import version

        return version("recpack")

    # ---- config ---------------------------------------------------------------------
    def check_config(self, algorithm: str, config: dict[str, Any]) -> None:
        """The declared keys, types and ranges (the coordinator's own check), then one
        construction of the RecPack class, which checks what they cannot express."""
        _require_known(algorithm)
        check_config(f"RecPack.{algorithm}", PARAMS[algorithm], config)
        cls = _recpack_class(algorithm)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cls(**config)
        except (ValueError, TypeError, KeyError, AssertionError, ZeroDivisionError) as exc:
            raise ConfigError(f"RecPack.{algorithm} rejected its config {config!r}: {exc!r}") from None

    def _resolved_config(self, req: FitRequest | PredictRequest) -> dict[str, Any]:
        cfg = {**defaults(req.algorithm), **(req.config or {})}
        self.check_config(req.algorithm, cfg)
        return cfg

    @staticmethod
    def _require_implicit(req: FitRequest | PredictRequest) -> None:
        if req.feedback == "explicit":
            raise ConfigError(
                f"RecPack.{req.algorithm} learns from implicit feedback only, but this data has "
                "explicit ratings. Add MakeImplicit(threshold) to the preprocessing first "
                '(e.g. [[preprocess]] step="MakeImplicit" threshold=3).'
            )

    # ---- fit ------------------------------------------------------------------------
    def fit(self, req: FitRequest) -> dict[str, Any]:
        self._require_implicit(req)
        cfg = self._resolved_config(req)
        cls = _recpack_class(req.algorithm)
        accepted = _signature_defaults(cls)
        seed = int(req.seed) % (2**32)  # numpy seeds are 32-bit
        kwargs = dict(cfg)
        if "seed" in accepted and kwargs.get("seed") is None:
            kwargs["seed"] = seed
        if req.algorithm == "Popularity" and kwargs.get("K") is None:
            kwargs["K"] = req.n_items  # score every item (see algorithms.DEFAULTS)
        X = interaction_matrix(req.train, req.n_users, req.n_items)

        import torch
        from threadpoolctl import threadpool_limits

        torch.set_num_threads(max(1, req.threads))
        # Global seeds too: SLIM's SGD, ItemPNN's sampling and WMF's init draw from them.
        np.random.seed(seed)
        torch.manual_seed(seed)
        start = time.perf_counter()
        info: dict[str, Any] = {}
        with threadpool_limits(limits=max(1, req.threads)), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            algo = cls(**kwargs)
            if hasattr(algo, "device"):
                algo.device = torch.device(req.device if req.device else "cpu")
            if req.algorithm in TORCH_ALGORITHMS:
                info.update(self._fit_torch(algo, X, req, cfg))
            else:
                _fit_plain(algo, X, req.algorithm, kwargs)
        fit_s = time.perf_counter() - start
        # The temp-file handle RecPack keeps for the best epoch cannot be pickled (and
        # is closed by now); the model itself is in ``model_``.
        algo.__dict__.pop("best_model", None)
        job_dir = Path(req.job_dir)
        job_dir.mkdir(parents=True, exist_ok=True)
        with atomic_open(job_dir / MODEL_FILE, "wb") as fh:
            pickle.dump(algo, fh, protocol=pickle.HIGHEST_PROTOCOL)
        info.update(
            {
                "fit_seconds": round(fit_s, 4),
                "recpack_params": {k: _plain(v) for k, v in algo.get_params().items()},
                "train_interactions": int(X.nnz),
            }
        )
        return info

    @staticmethod
    def _fit_torch(algo: Any, X: sp.csr_matrix, req: FitRequest, cfg: dict[str, Any]) -> dict[str, Any]:
        """Fit a RecPack torch model; the validation split drives model selection.

        RecPack's ``fit(X, validation_data=(val_in, val_out))`` evaluates after every epoch
        (``stopping_criterion`` on ``val_out`` given the history ``val_in``) and keeps the
        best epoch unless ``keep_last``. Here ``val_in`` is the training matrix and
        ``val_out`` the split's validation interactions. Without a validation split there
        is nothing to select on: the last epoch is kept and evaluation is skipped.
        """
        if req.val is not None and len(req.val) > 0:
            val_out = interaction_matrix(req.val, req.n_users, req.n_items)
            with _full_torch_load():
                algo.fit(X, validation_data=(X, val_out))
            criterion = cfg.get("stopping_criterion") or _signature_defaults(type(algo)).get(
                "stopping_criterion"
            )
            return {
                "validation": True,
                "best_validation": _plain(algo.stopping_criterion.best_value),
                "validation_criterion": criterion,
            }
        if cfg.get("stop_early"):
            raise ConfigError(
                f"RecPack.{req.algorithm}: stop_early needs a validation split; use a splitter "
                "with a validation part or set stop_early=false."
            )
        algo.keep_last = True
        # Instance attribute shadows the method for this fit only: no validation data,
        # so no per-epoch evaluation to run.
        algo._evaluate = lambda val_in, val_out: None
        try:
            algo.fit(X, validation_data=(X, X))
        finally:
            del algo._evaluate
        return {"validation": False}

    # ---- predict --------------------------------------------------------------------
    def predict(self, req: PredictRequest) -> Prediction:
        self._require_implicit(req)
        if req.pairs is not None and len(req.pairs) > 0:
            raise ConfigError(
                f"RecPack.{req.algorithm} ranks items only; it cannot predict ratings for pairs."
            )
        path = Path(req.job_dir) / MODEL_FILE
        if not path.exists():
            raise FileNotFoundError(f"no fitted RecPack model at {path}; run fit first")
        with open(path, "rb") as fh:  # our own file, written by fit above
            algo = pickle.load(fh)
        users = (
            np.arange(req.n_users, dtype=np.int64)
            if req.users is None
            else np.asarray(req.users, dtype=np.int64)
        )
        X = interaction_matrix(req.train, req.n_users, req.n_items)
        exclude = UserIndex(req.train, req.n_users) if req.exclude_train else None
        out_u, out_i, out_s = [], [], []
        no_scores = 0

        import torch
        from recpack.algorithms.base import ItemSimilarityMatrixAlgorithm
        from threadpoolctl import threadpool_limits

        torch.set_num_threads(max(1, req.threads))
        by_rows = isinstance(algo, ItemSimilarityMatrixAlgorithm)
        rows = max(1, BLOCK_ENTRIES // max(1, req.n_items))
        start = time.perf_counter()
        with threadpool_limits(limits=max(1, req.threads)), warnings.catch_warnings():
            # RecPack warns for users it cannot score (no history); counted below instead.
            warnings.simplefilter("ignore", UserWarning)
            for sl in runner_api.batches(len(users), rows):
                u = users[sl]
                if by_rows:
                    # Scores are history @ similarity: only these rows need computing.
                    pred = algo.predict(X[u])
                else:
                    # Factorisation/torch/KUNN models index users by row number.
                    pred = sp.csr_matrix(algo.predict(_rows_only(X, u)))[u]
                block = _scored_block(pred)
                no_scores += int((~np.isfinite(block)).all(axis=1).sum())
                bu, bi, bs = topk_from_scores(block, u, req.k, exclude)
                out_u.append(bu)
                out_i.append(bi)
                out_s.append(bs)
        cat = np.concatenate
        return Prediction(
            user=cat(out_u) if out_u else np.empty(0, np.int64),
            item=cat(out_i) if out_i else np.empty(0, np.int64),
            score=cat(out_s) if out_s else np.empty(0, np.float64),
            info={
                "predict_seconds": round(time.perf_counter() - start, 4),
                "users_without_scores": no_scores,
            },
        )


@contextlib.contextmanager
def _full_torch_load() -> Iterator[None]:
    """Let RecPack reload its best epoch during fit.

    RecPack keeps the best epoch in a temp file with ``torch.save(module)`` and restores
    it with a bare ``torch.load``, which torch >= 2.6 refuses (``weights_only=True`` by
    default). The file is RecPack's own, written moments before in this process, so full
    unpickling is allowed for the duration of the fit only.
    """
    old = os.environ.get("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD")
    os.environ["TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"] = "1"
    try:
        yield
    finally:
        if old is None:
            del os.environ["TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"]
        else:
            os.environ["TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"] = old


def _fit_plain(algo: Any, X: sp.csr_matrix, algorithm: str, kwargs: dict[str, Any]) -> None:
    """``algo.fit(X)``, turning RecPack's known data-dependent failures into clear errors."""
    try:
        algo.fit(X)
    except ValueError as exc:
        msg = str(exc)
        if algorithm == "ItemPNN" and ("non-zero entries in p" in msg or "contain NaN" in msg):
            raise ConfigError(
                f"RecPack.ItemPNN with pdf={kwargs.get('pdf')!r} failed: {msg}. The 'empirical' "
                f"pdf needs every item to co-occur with more than K={kwargs.get('K')} other "
                "items and at least one training interaction per item; use "
                "pdf='softmax_empirical' or 'uniform', or a smaller K."
            ) from None
        raise


def _plain(value: Any) -> Any:
    """A msgpack/JSON-friendly version of a RecPack parameter value."""
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


if __name__ == "__main__":
    from omnirec_core.runner.serve import main

    main(RecPackHandler())
