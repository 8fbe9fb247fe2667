"""What a runner plugin's worker implements: the handler, its requests and its answer.

This module runs inside every runner env: it imports only the stdlib and numpy (no
pandas, pluggy or click). A worker subclasses :class:`Handler`; the SDK in
:mod:`omnirec_core.runner.serve` turns protocol messages into :class:`FitRequest` /
:class:`PredictRequest` objects and writes the returned :class:`Prediction` to disk.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from omnirec_core.runner.columns import read_columns
from omnirec_core.runner.errors import ConfigError
from omnirec_core.runner.messages import ColumnsDesc, FitMessage, PredictMessage
from omnirec_core.runner.reuse import PreparedCache


@dataclass
class Interactions:
    """Interaction columns in canonical ids (int64 user/item, float64 rating, int64 seconds)."""

    user: np.ndarray
    item: np.ndarray
    rating: np.ndarray | None = None
    timestamp: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.user)

    def columns(self) -> dict[str, np.ndarray]:
        out = {"user": self.user, "item": self.item}
        if self.rating is not None:
            out["rating"] = self.rating
        if self.timestamp is not None:
            out["timestamp"] = self.timestamp
        return out

    @classmethod
    def from_columns(cls, cols: dict[str, np.ndarray]) -> Interactions:
        return cls(cols["user"], cols["item"], cols.get("rating"), cols.get("timestamp"))


def _interactions(desc: ColumnsDesc | None) -> Interactions | None:
    return None if desc is None else Interactions.from_columns(read_columns(desc))


@dataclass(kw_only=True)
class FitRequest:
    """Train ``algorithm`` with ``config`` on ``train``; save model state under ``job_dir``.

    ``val`` is the split's validation part when it has one (for early stopping).
    ``data_key`` identifies the data by content (the column files' sha256, checked when
    they were read, and the id-space sizes): equal keys mean equal ``train``, ``val``,
    ``n_users`` and ``n_items``, whatever the job -- the key to reuse what was built from them.
    """

    algorithm: str
    config: dict[str, Any]
    seed: int
    job_dir: Path
    train: Interactions
    n_users: int
    n_items: int
    feedback: str
    val: Interactions | None = None
    device: str = "cpu"
    threads: int = 1
    data_key: str = ""

    @classmethod
    def load(cls, msg: FitMessage) -> FitRequest:
        """The request a ``fit`` message describes, with its column files read (hash-checked)."""
        return cls(**_common(msg))


@dataclass(kw_only=True)
class PredictRequest(FitRequest):
    """Rank top-``k`` items for ``users`` and/or score ``pairs``, from the model in ``job_dir``.

    With ``exclude_train`` a user's training items must not appear in their list.
    Candidates are all items 0..n_items-1.
    """

    k: int = 0
    users: np.ndarray | None = None
    exclude_train: bool = True
    pairs: Interactions | None = None
    #: The SDK removes validation items from the handler's lists afterwards (see
    #: :func:`omnirec_core.runner.topk.without_known`); handlers need not look at it.
    exclude_val: bool = False

    @classmethod
    def load(cls, msg: FitMessage) -> PredictRequest:
        """The request a ``predict`` message describes, with its column files read."""
        assert isinstance(msg, PredictMessage)
        users = None if msg.users is None else read_columns(msg.users)["user"]
        return cls(
            **_common(msg),
            k=msg.k,
            users=users,
            exclude_train=msg.exclude_train,
            pairs=_interactions(msg.pairs),
            exclude_val=msg.exclude_val,
        )


def data_key(train: ColumnsDesc, val: ColumnsDesc | None, n_users: int, n_items: int) -> str:
    """Content key of a split's training (and validation) columns in an id space."""

    def hashes(desc: ColumnsDesc | None) -> dict[str, str] | None:
        return None if desc is None else {c: d["sha256"] for c, d in desc["columns"].items()}

    text = json.dumps(
        {"train": hashes(train), "val": hashes(val), "n_users": n_users, "n_items": n_items},
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _common(msg: FitMessage) -> dict[str, Any]:
    """The request fields of a fit or predict message, with the training columns loaded."""
    train = _interactions(msg.train)
    assert train is not None
    return {
        "algorithm": msg.algorithm,
        "config": msg.config,
        "seed": msg.seed,
        "job_dir": Path(msg.job_dir),
        "train": train,
        "val": _interactions(msg.val),
        "n_users": msg.n_users,
        "n_items": msg.n_items,
        "feedback": msg.feedback,
        "device": msg.device,
        "threads": msg.threads,
        # After the reads above: the files' contents matched these hashes.
        "data_key": data_key(msg.train, msg.val, msg.n_users, msg.n_items),
    }


@dataclass
class Prediction:
    """Top-K rows (flat user/item/score arrays) and/or one score per requested pair."""

    user: np.ndarray | None = None
    item: np.ndarray | None = None
    score: np.ndarray | None = None
    pair_score: np.ndarray | None = None
    info: dict[str, Any] = field(default_factory=dict)


class Handler:
    """Base class for a runner's worker-side handler. Override ``fit`` and ``predict``."""

    #: Runner name, as in the plugin's RunnerSpec.
    name: str = "runner"
    #: The live connection while serving (``serve.Session``), set by the SDK.
    session: Any = None

    @property
    def prepared(self) -> PreparedCache:
        """Data this runner built from splits, for reuse by later jobs (:mod:`~omnirec_core.runner.reuse`)."""
        cache = self.__dict__.get("_prepared")
        if cache is None:
            cache = self.__dict__["_prepared"] = PreparedCache()
        return cache

    def framework_version(self) -> str:
        """Version of the wrapped framework, reported in the hello message."""
        return "unknown"

    def check_config(self, algorithm: str, config: dict[str, Any]) -> None:
        """Raise :class:`ConfigError` (listing valid keys) for a config that cannot work."""

    def fit(self, req: FitRequest) -> dict[str, Any] | None:
        raise NotImplementedError

    def predict(self, req: PredictRequest) -> Prediction:
        raise NotImplementedError


def cpu_threads() -> int:
    """Cores this process may use (affinity aware)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - non-Linux
        return os.cpu_count() or 1


__all__ = [
    "ConfigError",
    "FitRequest",
    "Handler",
    "Interactions",
    "PredictRequest",
    "Prediction",
    "PreparedCache",
    "cpu_threads",
    "data_key",
]
