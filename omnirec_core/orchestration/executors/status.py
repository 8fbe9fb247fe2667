"""Where the cluster tasks of a checkpoint tree's latest cluster run are (for ``omnirec status``).

Read from that run's ``units/<run-id>/<engine>.json``: the state and pending reason the
executor recorded at its last poll, and whether it cancelled or gave up on a task. For
Slurm the states are refreshed from ``squeue`` when it answers, so they are right also
when no coordinator is running.
"""

from __future__ import annotations

import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omnirec_core.orchestration.executors.slurm import ACTIVE, WAITING, squeue_rows
from omnirec_core.orchestration.jobs import JOB_FILE, read_json
from omnirec_core.orchestration.units import UnitSpec, unit_paths

#: What a task is, besides the engine's own states (PENDING, RUNNING...).
FINISHED, CANCELLED, GAVE_UP, ENDED = "finished", "cancelled", "gave up", "ended"


@dataclass
class TaskState:
    """One cluster task (a sub-unit's latest submission) as far as it is known."""

    task: str
    state: str
    reason: str = ""
    since: float | None = None
    jobs: dict[str, str] = field(default_factory=dict)  # job key -> job dir
    spec: Path | None = None  # the sub-unit spec file

    def describe(self, engine: str) -> str:
        """``slurm task 42_3 pending: Priority`` (for a job's line)."""
        what = {
            CANCELLED: "was cancelled (a re-run submits it again)",
            ENDED: "ended without finishing (a re-run submits it again)",
        }.get(self.state, self.state.lower())
        return f"{engine} task {self.task or '?'} {what}" + (f": {self.reason}" if self.reason else "")


@dataclass
class ClusterTasks:
    engine: str
    run: str
    tasks: list[TaskState]
    live: bool  # states read from the engine just now
    recorded_at: float | None = None

    def summary(self) -> str:
        """``slurm tasks of run R: 7 pending: Priority, 1 running, 2 finished (from squeue)``."""
        counts: Counter[str] = Counter()
        for t in self.tasks:
            if t.state in ("PENDING", "REQUEUED", "REQUEUE_HOLD"):
                counts[f"pending: {t.reason}" if t.reason else "pending"] += 1
            else:
                counts[t.state.lower()] += 1
        parts = [f"{n} {what}" for what, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
        text = f"{self.engine} tasks of run {self.run}: {', '.join(parts) or 'none'}"
        if all(t.state in (FINISHED, CANCELLED, GAVE_UP, ENDED) for t in self.tasks):
            return text  # nothing left that the engine could tell more about
        when = "from squeue now" if self.live else "as recorded"
        if not self.live and self.recorded_at:
            when += time.strftime(" at %Y-%m-%d %H:%M:%S", time.localtime(self.recorded_at))
        return f"{text} ({when})"

    def by_job_dir(self) -> dict[str, TaskState]:
        return {str(Path(d).resolve()): t for t in self.tasks for d in t.jobs.values()}

    def unstarted_jobs(self) -> list[tuple[Path, dict[str, Any]]]:
        """(job dir, record) of jobs waiting in a task that have no ``job.json`` yet (never started)."""
        out = []
        for t in self.tasks:
            if t.state == FINISHED or t.spec is None:
                continue
            try:
                spec = UnitSpec.load(t.spec)
            except FileNotFoundError:
                continue
            for job in spec.jobs:
                if not (job.path / JOB_FILE).exists():
                    rec = {"dataset": job.dataset, "algorithm": job.algorithm, "config": job.config}
                    out.append((job.path, {**rec, "fold": job.fold, "status": "pending"}))
        return out


def _task_state(root: Path, rec: dict[str, Any]) -> TaskState:
    attempt = (rec.get("attempts") or [{}])[-1]
    t = TaskState(
        str(attempt.get("id") or ""),
        str(attempt.get("state") or "PENDING"),
        str(attempt.get("reason") or ""),
        attempt.get("seen"),
        dict(rec.get("jobs") or {}),
        root / rec["spec"],
    )
    if unit_paths(root / rec["spec"])[0].exists():
        t.state, t.reason = FINISHED, ""
    elif "cancelled" in attempt:
        t.state, t.reason = CANCELLED, ""
    elif "gave_up" in attempt:
        t.state, t.reason = GAVE_UP, ""
    return t


def cluster_tasks(
    checkpoint_dir: Path, *, live: bool = True, engines: tuple[str, ...] = ("slurm", "ray")
) -> ClusterTasks | None:
    """The tasks of the latest run that used a cluster executor; ``None`` when none did."""
    files = [f for engine in engines for f in (checkpoint_dir / "units").glob(f"*/{engine}.json")]
    if not files:
        return None
    latest = max(files, key=lambda f: (f.parent.name, f.stat().st_mtime))  # run ids start with the time
    data = read_json(latest) or {}
    root = latest.parent.parent
    tasks = [_task_state(root, rec) for rec in data.get("subunits", []) if rec.get("spec")]
    out = ClusterTasks(str(data.get("engine", latest.stem)), latest.parent.name, tasks, False)
    out.recorded_at = latest.stat().st_mtime
    if live and out.engine == "slurm":
        _refresh_from_squeue(out)
    return out


def _refresh_from_squeue(out: ClusterTasks) -> None:
    """Replace recorded states by squeue's, for tasks not finished, cancelled or given up."""
    open_tasks = [t for t in out.tasks if t.task and t.state not in (FINISHED, CANCELLED, GAVE_UP)]
    if not open_tasks or shutil.which("squeue") is None:
        return
    rows = squeue_rows(["-j", ",".join(t.task for t in open_tasks)])
    if rows is None:
        return
    found = {r.id: r for r in rows}
    for t in open_tasks:
        row = found.get(t.task)
        if row is None or row.state not in ACTIVE:
            t.state, t.reason = ENDED, ""
        else:
            t.state, t.reason = (
                row.state,
                (row.reason if row.state in WAITING and row.reason != "None" else ""),
            )
    out.live = True
