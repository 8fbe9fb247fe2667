"""Reading a checkpoint tree: job records and the evaluated results under it.

Works on any finished tree, also one on read-only media or moved elsewhere: records hold
paths relative to their job directory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from omnirec_core.evaluation.result import METRICS_FILE, JobResult, ResultsError
from omnirec_core.evaluation.resultset import ResultSet
from omnirec_core.orchestration.jobs import JOB_FILE, read_json


def job_records(checkpoint_dir: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every job directory's ``job.json`` under a checkpoint tree."""
    out = []
    for path in sorted(checkpoint_dir.rglob(JOB_FILE)):
        rec = read_json(path)
        if rec is not None:
            out.append((path.parent, rec))
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


def iter_job_results(
    checkpoint_dir: str | Path, *, per_user: bool = True
) -> Iterator[tuple[dict[str, Any], JobResult]]:
    """Yield ``(job_info, JobResult)`` for every job under ``checkpoint_dir`` with a metrics.json."""
    root = Path(checkpoint_dir)
    if not root.is_dir():
        raise ResultsError(f"{root} is not a directory; give the checkpoint directory of a run.")
    for path in sorted(root.rglob(METRICS_FILE)):
        job_dir = path.parent
        yield _job_info(job_dir, root), JobResult.load(job_dir, per_user=per_user)


def load_checkpoint_results(checkpoint_dir: str | Path, *, per_user: bool = True) -> ResultSet:
    """A :class:`~omnirec_core.evaluation.resultset.ResultSet` of every evaluated job under the tree.

    Jobs without ``metrics.json`` are skipped. When one dataset name appears with several
    dataset keys (different preprocessing), the key's first 8 characters tell them apart.
    """
    jobs = list(iter_job_results(checkpoint_dir, per_user=per_user))
    keys_by_name: dict[str, set[str]] = {}
    for info, _ in jobs:
        keys_by_name.setdefault(str(info.get("dataset")), set()).add(str(info.get("dataset_key", "")))
    results = ResultSet()
    for info, result in jobs:
        name = str(info.get("dataset"))
        if len(keys_by_name[name]) > 1:
            name = f"{name} ({str(info.get('dataset_key', ''))[:8]})"
        fold = info.get("fold")
        results.add(name, str(info.get("algorithm")), info.get("config") or {}, fold, result)
    return results
