"""Per-job evaluation results and the files they are stored in.

A job directory ``checkpoint_dir/<dataset>-<hash>/<runner>.<algorithm>-<hash>/[fold_N/]``
holds ``job.json`` (written by the coordinator: ``dataset``, ``dataset_key``, ``algorithm``,
``config``, ``fold``, ``status``...) and the evaluation output written here:

- ``per_user.npz``: ``users`` (sorted user ids), ``labels`` (one string per metric value) and
  one float64 array ``v<j>`` per label, aligned with ``users`` (NaN: user not evaluated);
- ``metrics.json``: aggregated values, the counts report, the metric definitions used and the
  sha256 of ``per_user.npz``. It is written last, so its presence marks a complete result.

Both are written atomically (temp file, fsync, rename).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from omnirec_core.errors import OmniRecError
from omnirec_core.evaluation.metrics.base import MetricResult, split_label
from omnirec_core.runner.fs import atomic_open, atomic_write_json, sha256_file

if TYPE_CHECKING:
    from omnirec_core.evaluation.evaluator import Evaluator

log = logging.getLogger(__name__)

METRICS_FILE = "metrics.json"
PER_USER_FILE = "per_user.npz"
JOB_FILE = "job.json"
FORMAT = "omnirec-metrics"
VERSION = 1


class ResultsError(OmniRecError):
    """A stored result is missing, corrupt or of an unknown format."""


@dataclass
class JobResult:
    """The evaluation of one job (one algorithm, config and fold on one dataset).

    ``values`` maps labels (``NDCG@10``, ``RMSE``) to aggregated values, in metric order.
    ``per_user`` maps labels to arrays aligned with ``users`` (sorted ids; NaN where a user was
    not evaluated by that metric); global metrics (coverage, Gini) have none. ``report`` holds
    the counts (``{"topk": {...}, "rating": {...}}``), ``metrics`` the metric definitions.
    """

    values: dict[str, float]
    users: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    per_user: dict[str, np.ndarray] = field(default_factory=dict)
    report: dict[str, dict[str, int]] = field(default_factory=dict)
    metrics: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_metric_results(
        cls, results: list[MetricResult], definitions: list[dict[str, Any]], report: dict[str, dict[str, int]]
    ) -> JobResult:
        """Merge metric results; per-user arrays are aligned on the union of their users."""
        values: dict[str, float] = {}
        for r in results:
            values.update(r.values())
        user_sets = [r.users for r in results if r.users is not None and r.per_user]
        if not user_sets:
            users = np.empty(0, dtype=np.int64)
        elif all(len(u) == len(user_sets[0]) and np.array_equal(u, user_sets[0]) for u in user_sets):
            users = np.asarray(user_sets[0], dtype=np.int64)
        else:
            users = np.unique(np.concatenate(user_sets)).astype(np.int64)
        per_user: dict[str, np.ndarray] = {}
        for r in results:
            if r.users is None:
                continue
            same = len(r.users) == len(users) and np.array_equal(r.users, users)
            at = None if same else np.searchsorted(users, r.users)
            for lab, arr in r.per_user_labels().items():
                arr = np.asarray(arr, dtype=np.float64)
                if at is None:
                    per_user[lab] = arr
                else:
                    full = np.full(len(users), np.nan)
                    full[at] = arr
                    per_user[lab] = full
        return cls(values, users, per_user, report, definitions)

    def __getitem__(self, label: str) -> float:
        return self.values[label]

    def to_frame(self) -> pd.DataFrame:
        """Tidy values: ``metric``, ``k``, ``value``."""
        rows = [(*split_label(lab), v) for lab, v in self.values.items()]
        df = pd.DataFrame(rows, columns=["metric", "k", "value"])
        df["k"] = df["k"].astype("Int64")
        return df

    def per_user_frame(self) -> pd.DataFrame:
        """One row per user: ``user`` and one column per label with per-user values."""
        return pd.DataFrame({"user": self.users, **self.per_user})

    # -- storage ---------------------------------------------------------------------------

    def save(self, job_dir: str | Path) -> Path:
        """Write ``per_user.npz`` then ``metrics.json`` into ``job_dir``, each atomically."""
        job_dir = Path(job_dir)
        job_dir.mkdir(parents=True, exist_ok=True)
        npz = job_dir / PER_USER_FILE
        labels = list(self.per_user)
        arrays = {f"v{j}": self.per_user[lab] for j, lab in enumerate(labels)}
        with atomic_open(npz, "wb") as fh:
            np.savez(fh, users=self.users, labels=np.array(labels, dtype=str), **arrays)
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "values": self.values,
            "labels": list(self.values),  # the JSON is written with sorted keys; keep metric order
            "report": self.report,
            "metrics": self.metrics,
            "per_user": {"file": PER_USER_FILE, "sha256": sha256_file(npz), "labels": labels},
        }
        path = job_dir / METRICS_FILE
        atomic_write_json(path, doc)
        return path

    @classmethod
    def load(cls, job_dir: str | Path, *, per_user: bool = True) -> JobResult:
        """Read a result written by :meth:`save` (``per_user=False`` skips the arrays)."""
        job_dir = Path(job_dir)
        path = job_dir / METRICS_FILE
        try:
            doc = json.loads(path.read_text())
        except FileNotFoundError:
            raise ResultsError(f"{path} does not exist; this job has not been evaluated yet.") from None
        except (OSError, ValueError) as exc:
            raise ResultsError(
                f"{path} is unreadable ({exc}); delete it and re-run the evaluation."
            ) from None
        if doc.get("format") != FORMAT or doc.get("version") != VERSION:
            raise ResultsError(
                f"{path} is not an omnirec metrics file of version {VERSION}; re-run the evaluation."
            )
        values = doc["values"]
        result = cls(
            {lab: float(values[lab]) for lab in doc.get("labels", values)},
            report=doc.get("report", {}),
            metrics=doc.get("metrics", []),
        )
        meta = doc.get("per_user") or {}
        if per_user and meta.get("labels"):
            npz = job_dir / meta["file"]
            if not npz.exists() or sha256_file(npz) != meta.get("sha256"):
                raise ResultsError(
                    f"{npz} is missing or does not match its sha256 in {path}; re-run the evaluation of this job."
                )
            with np.load(npz, allow_pickle=False) as data:
                result.users = data["users"]
                stored = [str(s) for s in data["labels"]]
                result.per_user = {lab: data[f"v{j}"] for j, lab in enumerate(stored)}
        return result


# -- a checkpoint tree -----------------------------------------------------------------------


def _strip_hash(name: str) -> str:
    head, sep, _ = name.rpartition("-")
    return head if sep else name


def _job_info(job_dir: Path, root: Path) -> dict[str, Any]:
    """job.json, or what the directory names tell when it is missing."""
    path = job_dir / JOB_FILE
    if path.exists():
        try:
            info = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ResultsError(f"{path} is unreadable ({exc}); restore it or re-run this job.") from None
        if not isinstance(info, dict):
            raise ResultsError(f"{path} does not hold a JSON object; restore it or re-run this job.")
        return info
    parts = job_dir.relative_to(root).parts
    fold = None
    if parts and parts[-1].startswith("fold_") and parts[-1][5:].isdigit():
        fold, parts = int(parts[-1][5:]), parts[:-1]
    return {
        "dataset": _strip_hash(parts[0]) if parts else root.name,
        "dataset_key": parts[0] if parts else "",
        "algorithm": _strip_hash(parts[-1]) if len(parts) > 1 else "?",
        "config": {},
        "fold": fold,
    }


def iter_job_results(checkpoint_dir: str | Path, *, per_user: bool = True):
    """Yield ``(job_info, JobResult)`` for every job under ``checkpoint_dir`` with a metrics.json."""
    root = Path(checkpoint_dir)
    if not root.is_dir():
        raise ResultsError(f"{root} is not a directory; give the checkpoint directory of a run.")
    for path in sorted(root.rglob(METRICS_FILE)):
        job_dir = path.parent
        yield _job_info(job_dir, root), JobResult.load(job_dir, per_user=per_user)


def load_checkpoint_results(checkpoint_dir: str | Path, *, per_user: bool = True) -> Evaluator:
    """An :class:`~omnirec_core.evaluation.evaluator.Evaluator` holding every evaluated job under the tree.

    Jobs without ``metrics.json`` are skipped. When one dataset name appears with several
    dataset keys (different preprocessing), the key's first 8 characters tell them apart.
    """
    from omnirec_core.evaluation.evaluator import Evaluator

    jobs = list(iter_job_results(checkpoint_dir, per_user=per_user))
    keys_by_name: dict[str, set[str]] = {}
    for info, _ in jobs:
        keys_by_name.setdefault(str(info.get("dataset")), set()).add(str(info.get("dataset_key", "")))
    evaluator = Evaluator()
    for info, result in jobs:
        name = str(info.get("dataset"))
        if len(keys_by_name[name]) > 1:
            name = f"{name} ({str(info.get('dataset_key', ''))[:8]})"
        fold = info.get("fold")
        evaluator.add(name, str(info.get("algorithm")), info.get("config") or {}, fold, result)
    return evaluator
