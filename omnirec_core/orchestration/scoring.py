"""The evaluation phase of a run: score finished jobs and keep their records.

A job's stored result is reused only when it was computed from exactly the predictions
on disk (their column hashes) and has every value the evaluator asks for; otherwise the
job is scored again from its stored predictions, without the runner.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.markup import escape

from omnirec_core.errors import OmniRecError
from omnirec_core.evaluation.evaluator import Evaluator
from omnirec_core.evaluation.metrics.columns import PairIndex
from omnirec_core.evaluation.metrics.validate import PredictionError
from omnirec_core.evaluation.result import JobResult
from omnirec_core.orchestration.errortext import summary
from omnirec_core.orchestration.jobs import (
    FAILED_FILE,
    JOB_FILE,
    PREDICT_FILE,
    Job,
    predict_record,
    prediction_source,
    read_json,
    rebase,
    write_job_record,
)
from omnirec_core.orchestration.journal import Journal
from omnirec_core.orchestration.progress import RunProgress
from omnirec_core.orchestration.tree import metrics_unchanged
from omnirec_core.runner.columns import read_columns
from omnirec_core.runner.fs import atomic_write_json, sha256_file


class JobScorer:
    """Scores finished jobs with the caller's evaluator and keeps the per-job records."""

    def __init__(
        self, evaluator: Evaluator, labels: dict[str, str], journal: Journal, progress: RunProgress
    ) -> None:
        self.evaluator = evaluator
        self.labels = labels
        self.journal = journal
        self.progress = progress
        self._splits: dict[str, dict[str, Any]] = {}
        self._settled: set[str] = set()

    def settled(self, job: Job) -> bool:
        return job.key in self._settled

    def _split(self, job: Job) -> dict[str, Any]:
        """The split's test columns and its training pairs, read and indexed once per split."""
        d = job.extra["split_dir"]
        if d not in self._splits:
            rec = read_json(Path(d) / "split.json") or {}
            parts = {
                part: read_columns(desc, verify=False)
                for part in ("train", "val", "test")
                if (desc := rebase(rec.get(part), Path(d), relative=False))
            }
            train = parts["train"]
            # Sorted once here instead of once per job (every job of the split checks it).
            self._splits[d] = {
                "train": PairIndex.from_frame(train, job.n_items, job.n_users),
                "test": parts["test"],
            }
            if "val" in parts:  # what test lists must leave out: the known history
                known = {c: np.concatenate([train[c], parts["val"][c]]) for c in ("user", "item")}
                self._splits[d]["known"] = PairIndex.from_frame(known, job.n_items, job.n_users)
        return self._splits[d]

    def try_finish(self, job: Job, need_pairs: bool) -> str:
        """Evaluate the job if its predictions are there; returns done/failed/pending."""
        rec = predict_record(job.path, job.k, need_pairs, exclude_val=job.exclude_val)
        if rec is None:
            return "pending"
        source = prediction_source(rec)
        info = read_json(job.path / JOB_FILE) or {}
        # Reused only when computed from these predictions and unchanged since (its hash
        # is in job.json); anything else is scored again from the stored predictions.
        if (
            info.get("evaluated_from") == source
            and info.get("metrics_sha256")
            and metrics_unchanged(job.path, info)
        ):
            result = None
            with contextlib.suppress(OmniRecError):
                result = JobResult.load(job.path)
            if result is not None and _covers(self.evaluator, result):
                self._add(job, result)
                return "done"
        self.journal.append(job.key, "eval", "started")
        parts = self._split(job)
        # Column arrays as read: a DataFrame would copy every column into one block first.
        topk = (
            _lists(read_columns(rec["topk"]), made_for=rec.get("k", 0), k=job.k) if rec.get("topk") else None
        )
        pair_scores = read_columns(rec["pairs"]) if rec.get("pairs") else None
        try:
            result = self.evaluator.evaluate(
                topk,
                parts["test"],
                train=parts["train"],
                n_users=job.n_users,
                n_items=job.n_items,
                pair_scores=pair_scores,
                exclude_train=job.exclude_train,
                known=parts.get("known") if job.exclude_val else None,
            )
        except PredictionError as exc:
            # Predictions that break the protocol are unusable: a re-run asks the runner again.
            (job.path / PREDICT_FILE).unlink(missing_ok=True)
            self.fail(job, "eval", str(exc))
            return "failed"
        except OmniRecError as exc:  # the evaluation's own problem: the predictions stay
            self.fail(job, "eval", str(exc))
            return "failed"
        metrics = result.save(job.path)
        write_job_record(job, status="done", evaluated_from=source, metrics_sha256=sha256_file(metrics))
        self.journal.append(job.key, "eval", "done")
        self._add(job, result)
        return "done"

    def _add(self, job: Job, result: JobResult) -> None:
        self.evaluator.add(self.labels[job.dataset_id], job.algorithm, job.config, job.fold, result)
        self._settled.add(job.key)
        self.progress.advance(ok=True)

    def fail(self, job: Job, phase: str, error: str, *, journal: bool = True) -> None:
        if job.key in self._settled:
            return
        if journal:
            self.journal.append(job.key, phase, "failed", error=error)
        if not (job.path / FAILED_FILE).exists():
            atomic_write_json(job.path / FAILED_FILE, {"phase": phase, "error": error, "time": time.time()})
        write_job_record(job, status="failed", error=error)
        cause = summary(error)
        self.evaluator.results.add_failure(
            self.labels[job.dataset_id], job.algorithm, job.config, job.fold, phase, cause
        )
        self._settled.add(job.key)
        self.progress.advance(ok=False)
        self.progress.log(f"[red]failed[/red] {job.algorithm} {job.config} ({phase}): {escape(cause)}")


def _lists(columns: dict[str, np.ndarray], *, made_for: int, k: int) -> dict[str, np.ndarray]:
    """Stored ranked lists; those made for a larger cutoff are cut to ``k`` by their rank.

    Lists made for this ``k`` are left as they are, so a runner that returned too many
    items still fails the check.
    """
    if 0 < k < made_for and "rank" in columns:
        keep = columns["rank"] <= k
        columns = {name: values[keep] for name, values in columns.items()}
    return columns


def _covers(evaluator: Evaluator, result: JobResult) -> bool:
    """Whether a stored result has every value the evaluator asks for."""
    return all(label in result.values for m in evaluator.metrics for label in m.labels())
