"""Per-job evaluation results and the files they are stored in.

A job directory ``checkpoint_dir/<dataset>-<hash>/<runner>.<algorithm>-<hash>/[fold_N/]``
holds, besides the coordinator's records, the evaluation output written here:

- ``per_user.npz``: ``users`` (sorted user ids), ``labels`` (one string per metric value) and
  one float64 array ``v<j>`` per label, aligned with ``users`` (NaN: user not evaluated);
- ``metrics.json``: aggregated values, the counts report, the metric definitions used and the
  sha256 of ``per_user.npz``. It is written last, so its presence marks a complete result.

Both are written atomically (temp file, fsync, rename).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omnirec_core.errors import OmniRecError
from omnirec_core.evaluation.metrics.base import MetricResult, split_label
from omnirec_core.runner.fs import atomic_open, atomic_write_json, sha256_file

log = logging.getLogger(__name__)

METRICS_FILE = "metrics.json"
PER_USER_FILE = "per_user.npz"
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
        arrays: dict[str, Any] = {"users": self.users, **per_user_arrays(self)}
        with atomic_open(npz, "wb") as fh:
            np.savez(fh, labels=np.array(labels, dtype=str), **arrays)
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
    def load(cls, job_dir: str | Path, *, per_user: bool | Collection[str] = True) -> JobResult:
        """Read a result written by :meth:`save` (``per_user=False`` skips the arrays; a
        collection of labels reads only theirs)."""
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
        wanted = (
            per_user if isinstance(per_user, bool) else any(lab in per_user for lab in meta.get("labels", []))
        )
        if wanted and meta.get("labels"):
            npz = job_dir / meta["file"]
            if not npz.exists() or sha256_file(npz) != meta.get("sha256"):
                raise ResultsError(
                    f"{npz} is missing or does not match its sha256 in {path}; re-run the evaluation of this job."
                )
            with np.load(npz, allow_pickle=False) as data:  # members are read only when asked for
                labels = [str(s) for s in data["labels"]]
                result.users, result.per_user = read_per_user(
                    data, "", labels, None if isinstance(per_user, bool) else per_user
                )
        return result


def per_user_arrays(result: JobResult, prefix: str = "") -> dict[str, np.ndarray]:
    """A result's per-user values as named arrays, the one layout every results file uses.

    ``{prefix}users`` and ``{prefix}v<i>`` for the i-th label of ``result.per_user`` (the
    labels themselves are stored beside the arrays); empty when there are no per-user values.
    """
    labels = list(result.per_user)
    if not labels:
        return {}
    return {
        f"{prefix}users": result.users,
        **{f"{prefix}v{i}": result.per_user[lab] for i, lab in enumerate(labels)},
    }


def read_per_user(
    arrays: Mapping[str, np.ndarray], prefix: str, labels: list[str], only: Collection[str] | None = None
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``(users, per_user)`` from arrays written by :func:`per_user_arrays` (``only``: just these labels)."""
    users = arrays[f"{prefix}users"] if f"{prefix}users" in arrays else np.empty(0, dtype=np.int64)
    return users, {
        lab: arrays[f"{prefix}v{i}"] for i, lab in enumerate(labels) if only is None or lab in only
    }
