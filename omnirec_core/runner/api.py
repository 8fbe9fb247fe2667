"""What a runner plugin's worker implements, and the column files both sides exchange.

This module runs inside every runner env: it imports only the stdlib and numpy (no
pandas, pluggy or click). A worker subclasses :class:`Handler`; the SDK in
:mod:`omnirec_core.runner.serve` turns protocol messages into :class:`FitRequest` /
:class:`PredictRequest` objects and writes the returned :class:`Prediction` to disk.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from omnirec_core.runner.fs import atomic_open, sha256_file

COLUMN_DTYPES = {
    "user": np.int64,
    "item": np.int64,
    "rating": np.float64,
    "timestamp": np.int64,
    "score": np.float64,
    "rank": np.int64,
}


class ConfigError(ValueError):
    """A config key or value the algorithm does not accept; the message lists the valid keys."""


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


@dataclass
class FitRequest:
    """Train ``algorithm`` with ``config`` on ``train``; save model state under ``job_dir``."""

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


@dataclass
class PredictRequest:
    """Rank top-``k`` items for ``users`` and/or score ``pairs``, from the model in ``job_dir``.

    With ``exclude_train`` a user's training items must not appear in their list.
    Candidates are all items 0..n_items-1.
    """

    algorithm: str
    config: dict[str, Any]
    seed: int
    job_dir: Path
    train: Interactions
    n_users: int
    n_items: int
    feedback: str
    k: int = 0
    users: np.ndarray | None = None
    exclude_train: bool = True
    pairs: Interactions | None = None
    device: str = "cpu"
    threads: int = 1


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

    def framework_version(self) -> str:
        """Version of the wrapped framework, reported in the hello message."""
        return "unknown"

    def check_config(self, algorithm: str, config: dict[str, Any]) -> None:
        """Raise :class:`ConfigError` (listing valid keys) for a config that cannot work."""

    def fit(self, req: FitRequest) -> dict[str, Any] | None:
        raise NotImplementedError

    def predict(self, req: PredictRequest) -> Prediction:
        raise NotImplementedError


# ---- top-K helpers shared by all runners --------------------------------------------


class UserIndex:
    """Interactions grouped by user (CSR-like), built once with numpy."""

    def __init__(self, data: Interactions, n_users: int) -> None:
        order = np.argsort(data.user, kind="stable")
        self.items = np.asarray(data.item)[order]
        counts = np.bincount(data.user, minlength=n_users)
        self.indptr = np.zeros(n_users + 1, dtype=np.int64)
        np.cumsum(counts, out=self.indptr[1:])

    def rows_of(self, users: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row position in ``users``, item) for every interaction of those users."""
        starts = self.indptr[users]
        lens = self.indptr[users + 1] - starts
        rows = np.repeat(np.arange(len(users)), lens)
        offsets = np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens)
        return rows, self.items[np.repeat(starts, lens) + offsets]


def topk_from_scores(
    scores: np.ndarray, users: np.ndarray, k: int, exclude: UserIndex | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Top-``k`` (user, item, score) rows of a dense ``len(users) x n_items`` score block.

    Excluded (training) items and non-finite scores never appear. Ties are broken by
    item id, so the result is deterministic. Rows come per user, best first.
    """
    scores = np.array(scores, dtype=np.float64, copy=True)
    n, n_items = scores.shape
    if exclude is not None:
        rows, items = exclude.rows_of(np.asarray(users))
        scores[rows, items] = -np.inf
    scores[~np.isfinite(scores)] = -np.inf
    k = min(k, n_items)
    if k <= 0 or n == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0, dtype=np.float64)
    if k < n_items:
        # Partition on (-score, item) order: take a candidate pool that includes all ties at the cut.
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        kth = np.take_along_axis(scores, part, axis=1).min(axis=1, keepdims=True)
        pool_mask = scores >= kth
        r, c = np.nonzero(pool_mask)
    else:
        r, c = np.nonzero(np.ones_like(scores, dtype=bool))
    s = scores[r, c]
    order = np.lexsort((c, -s, r))
    r, c, s = r[order], c[order], s[order]
    first = np.searchsorted(r, np.arange(n))
    pos = np.arange(len(r)) - first[r]
    keep = (pos < k) & np.isfinite(s)
    return np.asarray(users)[r[keep]].astype(np.int64), c[keep].astype(np.int64), s[keep]


def batches(n: int, size: int) -> list[slice]:
    """Slices covering 0..n in steps of ``size``."""
    return [slice(i, min(i + size, n)) for i in range(0, n, max(1, size))]


# ---- column files -------------------------------------------------------------------


def write_columns(directory: Path, columns: dict[str, np.ndarray]) -> dict[str, Any]:
    """Write each column as ``<name>.npy`` atomically; return its description.

    The description ``{"rows": n, "columns": {name: {"path", "sha256", "dtype"}}}`` is what
    travels in protocol messages instead of the data.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rows = None
    desc: dict[str, Any] = {}
    for name, values in columns.items():
        arr = np.ascontiguousarray(values, dtype=COLUMN_DTYPES.get(name))
        if rows is None:
            rows = len(arr)
        elif len(arr) != rows:
            raise ValueError(f"column {name!r} has {len(arr)} rows, expected {rows}")
        path = directory / f"{name}.npy"
        with atomic_open(path, "wb") as fh:
            np.save(fh, arr, allow_pickle=False)
        desc[name] = {"path": str(path), "sha256": sha256_file(path), "dtype": str(arr.dtype)}
    return {"rows": int(rows or 0), "columns": desc}


class ColumnFileError(ValueError):
    """A column file is missing, altered, or not what its description says."""


def read_columns(desc: dict[str, Any], *, verify: bool = True, mmap: bool = False) -> dict[str, np.ndarray]:
    """Load columns described by :func:`write_columns`, checking hash, dtype and length."""
    out: dict[str, np.ndarray] = {}
    for name, col in desc["columns"].items():
        path = Path(col["path"])
        if not path.exists():
            raise ColumnFileError(f"column file {path} is missing")
        if verify and sha256_file(path) != col["sha256"]:
            raise ColumnFileError(f"column file {path} does not match its recorded sha256")
        try:
            arr = np.load(path, allow_pickle=False, mmap_mode="r" if mmap else None)
        except (ValueError, OSError, EOFError) as exc:
            raise ColumnFileError(f"column file {path} is unreadable: {exc}") from None
        if str(arr.dtype) != col.get("dtype", str(arr.dtype)) or arr.ndim != 1:
            raise ColumnFileError(f"column file {path} has dtype {arr.dtype}/{arr.ndim}-d, expected {col.get('dtype')}")
        if len(arr) != desc["rows"]:
            raise ColumnFileError(f"column file {path} has {len(arr)} rows, expected {desc['rows']}")
        out[name] = arr
    return out


def cpu_threads() -> int:
    """Cores this process may use (affinity aware)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - non-Linux
        return os.cpu_count() or 1
