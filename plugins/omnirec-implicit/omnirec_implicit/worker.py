"""implicit worker: fits and ranks with implicit 0.7 inside the runner env.

Started as ``python -m omnirec_implicit.worker`` by the coordinator; the protocol side is
:mod:`omnirec_core.runner.serve`. Everything works on canonical ids: the interaction matrix is
``n_users x n_items`` with row = our user id and column = our item id, so implicit's
indices are ours and nothing needs mapping back. implicit is imported lazily, so the
config checks run (and are tested) without it.
"""

from __future__ import annotations

import importlib
import json
import time
import warnings
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
from omnirec_implicit.algorithms import ALGORITHMS

MODEL_FILE = "implicit-model.npz"
POPULARITY_FILE = "implicit-popularity.npy"
#: Written last by fit: its presence marks a complete model directory.
META_FILE = "implicit-model.json"

#: Users per ``recommend`` call (implicit splits each call into 100-user blocks itself).
USERS_PER_CALL = 4096
#: Dense score entries per top-K block of the popularity baseline (rows x n_items).
BLOCK_ENTRIES = 1 << 22
#: Scores at or below this are implicit's marks for filtered items and list padding
#: (``-finfo(float32).max``); no real score comes near it.
FILTERED = float(-np.finfo(np.float32).max)


def runner_name(algorithm: str) -> str:
    return f"implicit.{algorithm}"


def check_config(algorithm: str, config: dict[str, Any]) -> None:
    """ConfigError naming the problem and the valid keys, before any work."""
    algo = ALGORITHMS.get(algorithm)
    if algo is None:
        raise ConfigError(
            f"the implicit runner has no algorithm {algorithm!r}. Available: {', '.join(ALGORITHMS)}."
        )
    params = {p.name: p for p in algo.params}
    valid = ", ".join(params) or "none"
    unknown = sorted(set(config) - set(params))
    if unknown:
        raise ConfigError(
            f"{runner_name(algorithm)} does not accept config key(s) {', '.join(map(repr, unknown))}. "
            f"Valid keys: {valid}."
        )
    problems = [f"{k} {why}" for k, v in config.items() if (why := params[k].problem(v))]
    if problems:
        raise ConfigError(f"{runner_name(algorithm)}: " + "; ".join(problems) + f". Valid keys: {valid}.")


def resolved_config(algorithm: str, config: dict[str, Any] | None) -> dict[str, Any]:
    """The declared defaults overlaid with the job's config, checked."""
    check_config(algorithm, config or {})
    defaults = {p.name: p.default for p in ALGORITHMS[algorithm].params}
    return {**defaults, **(config or {})}


def require_implicit(req: FitRequest | PredictRequest) -> None:
    if req.feedback == "explicit":
        raise ConfigError(
            f"{runner_name(req.algorithm)} learns from implicit feedback only, but this data has "
            "explicit ratings. Add MakeImplicit(threshold) to the preprocessing first "
            '(e.g. [[preprocess]] step="MakeImplicit" threshold=3).'
        )


def interaction_matrix(data: Interactions, n_users: int, n_items: int) -> Any:
    """Binary users x items CSR over the whole id space (repeats collapse to 1)."""
    import scipy.sparse as sp

    m = sp.csr_matrix(
        (np.ones(len(data), dtype=np.float64), (np.asarray(data.user), np.asarray(data.item))),
        shape=(n_users, n_items),
    )
    m.sum_duplicates()
    m.data[:] = 1.0
    return m


def implicit_class(algorithm: str) -> Any:
    path = ALGORITHMS[algorithm].cls
    assert path is not None, algorithm
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def exact_topk(
    ids: np.ndarray,
    scores: np.ndarray,
    users: np.ndarray,
    k: int,
    n_items: int,
    exclude: UserIndex | None,
    complete: bool,
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """Top-``k`` rows from implicit's ``(users, N)`` answer, and the users to ask again.

    implicit ranks by score alone and, among items tied at its cut, keeps whichever its
    heap happened to keep, in descending id order; its item-item models also return the
    user's own items with score 0 when few others score. Here entries that are padding,
    filtered or (with ``exclude``) training items are dropped, the rest ordered by score
    then item id (the omnirec contract), and the first ``k`` kept. A user must be asked
    again in full unless ``complete``, when implicit's list was full and either fewer
    than ``k`` items survived or its last score ties the ``k``-th kept one: the tie group
    (or more items) may continue beyond what implicit returned. Those users get no rows.
    """
    n, asked = ids.shape
    pos = np.repeat(np.arange(n), asked)
    item = ids.ravel().astype(np.int64)
    score = scores.ravel().astype(np.float64)
    valid = (item >= 0) & (score > FILTERED) & np.isfinite(score)
    returned = np.bincount(pos[valid], minlength=n)
    lowest = np.full(n, np.inf)
    np.minimum.at(lowest, pos[valid], score[valid])
    keep = valid
    if exclude is not None:
        rows, seen = exclude.rows_of(users)
        keep = valid & ~np.isin(pos * n_items + item, rows * n_items + seen)
    pos, item, score = pos[keep], item[keep], score[keep]
    order = np.lexsort((item, -score, pos))
    pos, item, score = pos[order], item[order], score[order]
    sizes = np.bincount(pos, minlength=n)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rank = np.arange(len(pos)) - starts[pos]
    top = rank < k
    has_k = sizes >= k
    kth = np.full(n, -np.inf)
    kth[has_k] = score[starts[has_k] + k - 1]
    redo = np.zeros(n, dtype=bool) if complete else (returned >= asked) & (~has_k | (lowest >= kth))
    top &= ~redo[pos]
    return (users[pos[top]], item[top], score[top]), users[redo]


class ImplicitHandler(Handler):
    """Runs implicit 0.7 models on canonical-id interaction matrices."""

    name = "implicit"

    def framework_version(self) -> str:
        from importlib.metadata import version

        return version("implicit")

    def check_config(self, algorithm: str, config: dict[str, Any]) -> None:
        check_config(algorithm, config)

    # ---- fit ------------------------------------------------------------------------
    def fit(self, req: FitRequest) -> dict[str, Any]:
        require_implicit(req)
        cfg = resolved_config(req.algorithm, req.config)
        algo = ALGORITHMS[req.algorithm]
        # A copy of the split's matrix: a model may change what it is given.
        X = self._matrix(req).copy()
        prepared = self.prepared.last
        threads = max(1, int(req.threads))
        job = Path(req.job_dir)
        start = time.perf_counter()
        if algo.cls is None:  # Popularity: interaction counts are the model
            counts = np.asarray(X.sum(axis=0), dtype=np.float64).ravel()
            fit_s = time.perf_counter() - start
            job.mkdir(parents=True, exist_ok=True)
            with atomic_open(job / POPULARITY_FILE, "wb") as fh:
                np.save(fh, counts, allow_pickle=False)
        else:
            from implicit.utils import ParameterWarning
            from threadpoolctl import threadpool_limits

            cls = implicit_class(req.algorithm)
            seeded = {"random_state": int(req.seed)} if algo.seeded else {}
            # implicit parallelises itself (num_threads) and asks for single-threaded BLAS.
            with threadpool_limits(1, "blas"), warnings.catch_warnings():
                # Its item-item models hand their own COO matrices to a CSR routine.
                warnings.simplefilter("ignore", ParameterWarning)
                model = cls(**cfg, num_threads=threads, **seeded)
                model.fit(X, show_progress=False)
            fit_s = time.perf_counter() - start
            job.mkdir(parents=True, exist_ok=True)
            with atomic_open(job / MODEL_FILE, "wb") as fh:
                model.save(fh)  # implicit's own .npz format (no pickle)
        meta = {
            "algorithm": req.algorithm,
            "config": cfg,
            "n_users": req.n_users,
            "n_items": req.n_items,
            "seed": int(req.seed),
            "threads": threads,
        }
        atomic_write_json(job / META_FILE, meta)
        return {
            "fit_seconds": round(fit_s, 4),
            "implicit_config": cfg,
            "train_interactions": int(X.nnz),
            "threads": threads,
            "prepared": prepared,
        }

    def _matrix(self, req: FitRequest | PredictRequest) -> Any:
        """The split's interaction matrix, built once per split and runner (see ``reuse``)."""
        return self.prepared.get_or_build(
            ("implicit-matrix", req.data_key),
            lambda: interaction_matrix(req.train, req.n_users, req.n_items),
        )

    # ---- predict --------------------------------------------------------------------
    def predict(self, req: PredictRequest) -> Prediction:
        require_implicit(req)
        if req.pairs is not None and len(req.pairs) > 0:
            raise ConfigError(
                f"{runner_name(req.algorithm)} ranks items only; it cannot predict ratings for pairs."
            )
        job = Path(req.job_dir)
        if not (job / META_FILE).exists():
            raise FileNotFoundError(f"no fitted implicit model in {job} (fit has not completed there)")
        meta = json.loads((job / META_FILE).read_text())
        if (meta["algorithm"], meta["n_users"], meta["n_items"]) != (req.algorithm, req.n_users, req.n_items):
            raise ValueError(
                f"the model in {job} is {meta['algorithm']} on {meta['n_users']} users x "
                f"{meta['n_items']} items; the request is {req.algorithm} on {req.n_users} x {req.n_items}"
            )
        users = (
            np.arange(req.n_users, dtype=np.int64)
            if req.users is None
            else np.asarray(req.users, dtype=np.int64)
        )
        exclude = UserIndex(req.train, req.n_users) if req.exclude_train else None
        start = time.perf_counter()
        info: dict[str, Any] = {}
        if req.k <= 0 or len(users) == 0:
            rows = [(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64))]
        elif ALGORITHMS[req.algorithm].cls is None:
            rows = self._popularity(job, users, req.k, req.n_items, exclude)
        else:
            rows, info = self._recommend(req, users, exclude)
        user, item, score = (np.concatenate(col) for col in zip(*rows))
        info["predict_seconds"] = round(time.perf_counter() - start, 4)
        return Prediction(user=user, item=item, score=score, info=info)

    @staticmethod
    def _popularity(
        job: Path, users: np.ndarray, k: int, n_items: int, exclude: UserIndex | None
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        counts = np.load(job / POPULARITY_FILE, allow_pickle=False)
        rows = max(1, BLOCK_ENTRIES // max(1, n_items))
        return [
            topk_from_scores(np.broadcast_to(counts, (s.stop - s.start, n_items)), users[s], k, exclude)
            for s in batches(len(users), rows)
        ]

    def _recommend(
        self, req: PredictRequest, users: np.ndarray, exclude: UserIndex | None
    ) -> tuple[list[tuple[np.ndarray, np.ndarray, np.ndarray]], dict[str, Any]]:
        """Top-k through implicit's batched ``recommend``, cut exactly (see :func:`exact_topk`).

        implicit is asked for ``2k`` items per user with the training items filtered; the
        few users whose list may continue past that (ties at the cut, or too few items
        left) are asked again for complete lists.
        """
        from threadpoolctl import threadpool_limits

        X = self._matrix(req)  # only read here: rows are sliced into new matrices
        n_items, k = req.n_items, req.k
        asked = min(n_items, 2 * k)
        filtered = exclude is not None
        rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        full_lists = 0
        with threadpool_limits(1, "blas"):  # (ALS checks the BLAS threads when it is built)
            model = implicit_class(req.algorithm).load(str(Path(req.job_dir) / MODEL_FILE))
            model.num_threads = max(1, int(req.threads))
            for s in batches(len(users), USERS_PER_CALL):
                u = users[s]
                ids, scores = model.recommend(u, X[u], N=asked, filter_already_liked_items=filtered)
                first, redo = exact_topk(ids, scores, u, k, n_items, exclude, complete=asked >= n_items)
                rows.append(first)
                if len(redo):
                    ids, scores = model.recommend(
                        redo, X[redo], N=n_items, filter_already_liked_items=filtered
                    )
                    rows.append(exact_topk(ids, scores, redo, k, n_items, exclude, complete=True)[0])
                    full_lists += len(redo)
        return rows, {"implicit_asked": asked, "implicit_full_lists": full_lists}


if __name__ == "__main__":
    from omnirec_core.runner.serve import main

    main(ImplicitHandler())
