"""Reading a checkpoint tree: job records and the evaluated results under it.

Works on any finished tree, also one on read-only media or moved elsewhere: records hold
paths relative to their job directory.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

from omnirec_core.evaluation.result import METRICS_FILE, JobResult, ResultsError
from omnirec_core.evaluation.resultset import JobFailure, ResultSet
from omnirec_core.orchestration.errortext import summary
from omnirec_core.orchestration.jobs import FAILED_FILE, JOB_FILE, dataset_labels, read_json
from omnirec_core.orchestration.search import SEARCH_FILE, search_summary
from omnirec_core.runner.fs import sha256_file


def job_records(checkpoint_dir: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every job directory's ``job.json`` under a checkpoint tree."""
    out = []
    for path in sorted(checkpoint_dir.rglob(JOB_FILE)):
        rec = read_json(path)
        if rec is not None:
            out.append((path.parent, rec))
    return out


def search_records(checkpoint_dir: Path) -> list[dict[str, Any]]:
    """The ``search.json`` of every tuning search under a checkpoint tree."""
    out = []
    for path in sorted(checkpoint_dir.glob(f"*/*-search-*/{SEARCH_FILE}")):
        rec = read_json(path)
        if rec is not None:
            out.append(rec)
    return out


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


def metrics_unchanged(job_dir: Path, info: dict[str, Any]) -> bool:
    """Whether ``metrics.json`` is the file the evaluation wrote (its sha256 is in job.json).

    Records written before the hash was kept cannot be checked and count as unchanged.
    """
    recorded = info.get("metrics_sha256")
    if recorded is None:
        return True
    try:
        return sha256_file(job_dir / METRICS_FILE) == recorded
    except OSError:
        return False


def iter_job_results(
    checkpoint_dir: str | Path, *, per_user: bool | Collection[str] = True
) -> Iterator[tuple[dict[str, Any], JobResult | JobFailure]]:
    """``(job_info, JobResult)`` for every evaluated job under ``checkpoint_dir`` and
    ``(job_info, JobFailure)`` for every failed one (or one whose metrics file was changed
    after its evaluation: such values are never shown)."""
    root = Path(checkpoint_dir)
    if not root.is_dir():
        raise ResultsError(f"{root} is not a directory; give the checkpoint directory of a run.")
    dirs = {p.parent for p in root.rglob(METRICS_FILE)} | {p.parent for p in root.rglob(JOB_FILE)}
    for job_dir in sorted(dirs):
        info = _job_info(job_dir, root)
        if info.get("trial") and not (job_dir / METRICS_FILE).exists():
            continue  # a tuning trial: its score is in its search's record
        where = (str(info.get("dataset")), str(info.get("algorithm")), "", info.get("fold"))
        if info.get("status") == "failed" or not (job_dir / METRICS_FILE).exists():
            if info.get("status") == "failed":
                failed = read_json(job_dir / FAILED_FILE) or {}
                error = summary(str(failed.get("error") or info.get("error") or ""))
                yield info, JobFailure(*where, phase=str(failed.get("phase", "?")), error=error)
            continue
        if not metrics_unchanged(job_dir, info):
            yield info, JobFailure(*where, phase="eval", error=ALTERED)
            continue
        yield info, JobResult.load(job_dir, per_user=per_user)


#: Why a job whose metrics file no longer matches its record shows no values.
ALTERED = "metrics.json was changed after evaluation; run `omnirec run` again to re-score it from the stored predictions"


def load_checkpoint_results(
    checkpoint_dir: str | Path, *, per_user: bool | Collection[str] = True
) -> ResultSet:
    """A :class:`~omnirec_core.evaluation.resultset.ResultSet` of every job under the tree:
    the evaluated ones with their results, the failed ones as failures (``per_user``: load
    the per-user values, or only those of the labels it names).

    Datasets are labelled as in a run: by name, and when one name has several contents
    (different preprocessing) by name and the first 8 characters of the dataset key.
    """
    jobs = list(iter_job_results(checkpoint_dir, per_user=per_user))
    idents = [(str(info.get("dataset")), str(info.get("dataset_key", ""))) for info, _ in jobs]
    searches = search_records(Path(checkpoint_dir))
    search_idents = [(str(rec.get("dataset")), str(rec.get("dataset_key", ""))) for rec in searches]
    labels = dataset_labels(idents + search_idents)
    results = ResultSet()
    for ident, rec in zip(search_idents, searches):
        results.add_search(search_summary(rec, labels[ident]))
    for ident, (info, outcome) in zip(idents, jobs):
        config, fold, algorithm = info.get("config") or {}, info.get("fold"), str(info.get("algorithm"))
        if isinstance(outcome, JobFailure):
            results.add_failure(labels[ident], algorithm, config, fold, outcome.phase, outcome.error)
        else:
            results.add(labels[ident], algorithm, config, fold, outcome)
    return results
