"""ResultSet: every job's evaluation result, keyed by (dataset, algorithm, config, fold).

It stores results, answers tidy questions about them, and saves/loads them in the same
array layout as a job's own ``per_user.npz`` (see :mod:`omnirec_core.evaluation.result`).
Comparisons live in :mod:`~omnirec_core.evaluation.comparison`, tables and exports in
:mod:`~omnirec_core.evaluation.presentation`; the methods here that reach them are thin
conveniences, so a loaded result set prints and exports like an Evaluator.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from omnirec_core.evaluation import comparison, presentation
from omnirec_core.evaluation.labels import config_json, row_label
from omnirec_core.evaluation.metrics.base import split_label
from omnirec_core.evaluation.presentation import Format
from omnirec_core.evaluation.result import JobResult, ResultsError, per_user_arrays, read_per_user
from omnirec_core.evaluation.searches import SearchSummary, trials_frame
from omnirec_core.runner.fs import atomic_open, atomic_write_json, sha256_file

if TYPE_CHECKING:
    from rich.table import Table

    from omnirec_core.evaluation.tables import TableModel

log = logging.getLogger(__name__)

Key = tuple[str, str, str, "int | None"]

RESULTS_FORMAT = "omnirec-results"


@dataclass(frozen=True)
class JobFailure:
    """A job that produced no result: the phase it failed in and why (one line)."""

    dataset: str
    algorithm: str
    config: str  # canonical JSON, like result keys
    fold: int | None
    phase: str
    error: str


class ResultSet:
    """Job results by (dataset, algorithm, config JSON, fold), in the order they were added,
    and the jobs that failed (so tables can show them instead of leaving them out)."""

    def __init__(self) -> None:
        self._jobs: dict[Key, JobResult] = {}
        self._failed: dict[Key, JobFailure] = {}
        self._searches: dict[tuple[str, str], SearchSummary] = {}

    def add(
        self,
        dataset: str,
        algorithm: str,
        config: Mapping[str, Any] | str | None,
        fold: int | None,
        result: JobResult,
    ) -> None:
        """Record a job's result (replacing an earlier one for the same job)."""
        key = (str(dataset), str(algorithm), config_json(config), None if fold is None else int(fold))
        self._jobs[key] = result
        self._failed.pop(key, None)

    def add_failure(
        self,
        dataset: str,
        algorithm: str,
        config: Mapping[str, Any] | str | None,
        fold: int | None,
        phase: str,
        error: str,
    ) -> None:
        """Record that a job failed (replacing an earlier result or failure of the same job)."""
        key = (str(dataset), str(algorithm), config_json(config), None if fold is None else int(fold))
        self._jobs.pop(key, None)
        self._failed[key] = JobFailure(*key, phase=phase, error=error)

    def add_search(self, search: SearchSummary) -> None:
        """Record a tuning search's trials and selection (replacing one for the same dataset and algorithm)."""
        self._searches[(search.dataset, search.algorithm)] = search

    def searches(self, dataset: str | None = None) -> list[SearchSummary]:
        """The tuning searches (of one dataset), in the order they were recorded."""
        return [s for (ds, _), s in self._searches.items() if dataset is None or ds == dataset]

    def search_for(self, dataset: str, algorithm: str, config: str) -> SearchSummary | None:
        """The search that selected ``config`` (canonical JSON) for ``algorithm`` on ``dataset``."""
        found = self._searches.get((dataset, algorithm))
        return found if found is not None and found.selects(config) else None

    def failures(self) -> list[JobFailure]:
        """The jobs that failed, in the order they were recorded."""
        return list(self._failed.values())

    def jobs(self) -> dict[Key, JobResult]:
        """Every recorded result by (dataset, algorithm, config JSON, fold)."""
        return dict(self._jobs)

    def __len__(self) -> int:
        return len(self._jobs)

    def __iter__(self) -> Iterator[tuple[Key, JobResult]]:
        return iter(self._jobs.items())

    def rows_by_dataset(self, *, failed: bool = False) -> dict[str, list[tuple[str, str]]]:
        """The (algorithm, config JSON) rows of each dataset, in order of appearance
        (with ``failed``, also rows whose every job failed)."""
        out: dict[str, list[tuple[str, str]]] = {}
        keys = [*self._jobs, *self._failed] if failed else list(self._jobs)
        for ds, algo, cfg, _ in keys:
            rows = out.setdefault(ds, [])
            if (algo, cfg) not in rows:
                rows.append((algo, cfg))
        return out

    def labels(self, dataset: str | None = None) -> list[str]:
        """Every metric label in the results (of one dataset), in metric order."""
        out: list[str] = []
        for key, res in self._jobs.items():
            if dataset is None or key[0] == dataset:
                out += [lab for lab in res.values if lab not in out]
        return out

    # -- tidy results -------------------------------------------------------------------------

    def get_results(self, *, trials: bool = False) -> pd.DataFrame:
        """One row per value: ``dataset, algorithm, config, fold, metric, k, value``.

        ``trials=True``: the tuning trials instead, one row per trial: ``dataset, algorithm,
        trial, config, metric, value`` (its mean validation score), ``selected``, ``error``.
        """
        if trials:
            return trials_frame(self.searches())
        rows = [
            (ds, algo, cfg, fold, *split_label(lab), v)
            for (ds, algo, cfg, fold), res in self._jobs.items()
            for lab, v in res.values.items()
        ]
        df = pd.DataFrame(rows, columns=["dataset", "algorithm", "config", "fold", "metric", "k", "value"])
        df["fold"] = df["fold"].astype("Int64")
        df["k"] = df["k"].astype("Int64")
        df["value"] = df["value"].astype(np.float64)
        return df

    def results_by_dataset(self) -> dict[str, pd.DataFrame]:
        """The reference API's shape: dataset -> frame of ``algorithm, fold, name, k, value``."""
        df = self.get_results().rename(columns={"metric": "name"})
        df["algorithm"] = [row_label(a, c) for a, c in zip(df["algorithm"], df["config"])]
        return {
            str(ds): part[["algorithm", "fold", "name", "k", "value"]].reset_index(drop=True)
            for ds, part in df.groupby("dataset", sort=False)
        }

    def summary(self) -> pd.DataFrame:
        """Mean, std (n-1) and number of folds per dataset, algorithm, config and label."""
        groups: dict[tuple[str, str, str, str], list[float]] = {}
        for (ds, algo, cfg, _fold), res in self._jobs.items():
            for lab, v in res.values.items():
                groups.setdefault((ds, algo, cfg, lab), []).append(v)
        rows = []
        for (ds, algo, cfg, lab), vals in groups.items():
            arr = np.asarray(vals, dtype=np.float64)
            std = float(np.std(arr, ddof=1)) if len(arr) > 1 else float("nan")
            rows.append((ds, algo, cfg, *split_label(lab), lab, float(arr.mean()), std, len(arr)))
        df = pd.DataFrame(
            rows, columns=["dataset", "algorithm", "config", "metric", "k", "label", "mean", "std", "folds"]
        )
        df["k"] = df["k"].astype("Int64")
        return df

    # -- comparison and presentation (see those modules) ---------------------------------------

    def compare(self, baseline: str, metric: str | None = None, **options: Any) -> pd.DataFrame:
        """Paired tests against ``baseline`` (:func:`~omnirec_core.evaluation.comparison.compare`)."""
        return comparison.compare(self, baseline, metric, **options)

    def table_models(self, **options: Any) -> list[TableModel]:
        return presentation.table_models(self, **options)

    def get_tables(self, **options: Any) -> list[Table]:
        """Rich tables, one per dataset (:func:`~omnirec_core.evaluation.presentation.get_tables`)."""
        return presentation.get_tables(self, **options)

    def render(self, format: Format, **options: Any) -> str:
        """The results as ``table`` text, ``csv``, ``json``, ``markdown`` or ``latex``."""
        return presentation.render(self, format, **options)

    def export(self, path: str | Path, format: Format | None = None, **options: Any) -> Path:
        """Write :meth:`render` output to ``path`` atomically (format from the suffix if not given)."""
        return presentation.export(self, path, format, **options)

    # -- save / load ------------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Save every job's result: JSON at ``path`` plus per-user values in ``<stem>.per_user.npz``."""
        path = Path(path)
        npz = path.with_name(path.stem + ".per_user.npz")
        arrays: dict[str, Any] = {}
        jobs = []
        for j, ((ds, algo, cfg, fold), res) in enumerate(self._jobs.items()):
            arrays.update(per_user_arrays(res, prefix=f"j{j}_"))
            jobs.append(
                {
                    "dataset": ds,
                    "algorithm": algo,
                    "config": json.loads(cfg),
                    "fold": fold,
                    "values": res.values,
                    "labels": list(res.values),
                    "report": res.report,
                    "metrics": res.metrics,
                    "per_user": {"key": f"j{j}", "labels": list(res.per_user)},
                }
            )
        doc: dict[str, Any] = {
            "format": RESULTS_FORMAT,
            "version": 1,
            "jobs": jobs,
            "searches": [s.to_dict() for s in self.searches()],
            "per_user": None,
        }
        if arrays:
            with atomic_open(npz, "wb") as fh:
                np.savez(fh, **arrays)
            doc["per_user"] = {"file": npz.name, "sha256": sha256_file(npz)}
        atomic_write_json(path, doc)
        return path

    def load(self, path: str | Path) -> ResultSet:
        """Add the results saved by :meth:`save` (same jobs are replaced); returns self."""
        path = Path(path)
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ResultsError(f"cannot read results file {path}: {exc}") from None
        if not isinstance(doc, dict) or doc.get("format") != RESULTS_FORMAT:
            raise ResultsError(f"{path} is not an omnirec results file (written by Evaluator.save_results).")
        arrays: Mapping[str, np.ndarray] = {}
        meta = doc.get("per_user")
        if meta:
            npz = path.with_name(meta["file"])
            if npz.exists() and sha256_file(npz) == meta.get("sha256"):
                with np.load(npz, allow_pickle=False) as data:
                    arrays = {k: data[k] for k in data.files}
            else:
                log.warning("%s is missing or altered; per-user values (for compare) are not loaded", npz)
        for job in doc["jobs"]:
            values = job["values"]
            res = JobResult(
                {lab: float(values[lab]) for lab in job.get("labels", values)},
                report=job.get("report", {}),
                metrics=job.get("metrics", []),
            )
            if arrays:
                res.users, res.per_user = read_per_user(
                    arrays, f"{job['per_user']['key']}_", job["per_user"]["labels"]
                )
            self.add(job["dataset"], job["algorithm"], job["config"], job["fold"], res)
        for search in doc.get("searches", []):
            self.add_search(SearchSummary.from_dict(search))
        return self
