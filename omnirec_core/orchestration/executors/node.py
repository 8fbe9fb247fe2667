"""The worker entry point behind ``omnirec worker run``: one unit spec on this node.

It runs :func:`omnirec_core.orchestration.units.execute_unit`, appends every job event to the unit's
event file (``<spec>.events.jsonl``, read by cluster executors), and when the unit
itself fails (not one of its jobs) writes ``<spec>.error.json`` with the error, the
traceback and the tail of the runner logs. A unit whose ``done`` record exists is a
no-op, so requeued or duplicated tasks are harmless. SIGTERM (scancel, preemption, time
limit) stops the runner cleanly and is recorded as such; it never marks a job failed.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
import traceback
from pathlib import Path
from typing import Any

from omnirec_core.errors import OmniRecError
from omnirec_core.orchestration.events import Event
from omnirec_core.orchestration.jobs import read_json
from omnirec_core.orchestration.units import execute_unit, unit_paths
from omnirec_core.runner.fs import atomic_write_json

#: Set by the Ray executor (and usable by any engine) to name the task in the records.
ENGINE_ID_ENV = "OMNIREC_ENGINE_JOB_ID"


class Terminated(BaseException):
    """SIGTERM arrived: the engine is stopping this task (not an error of any job)."""


def engine_job_id() -> str:
    """The engine's id for this task: ``ARRAYJOB_TASK`` under Slurm arrays, else the job id."""
    if os.environ.get(ENGINE_ID_ENV):
        return os.environ[ENGINE_ID_ENV]
    if os.environ.get("SLURM_ARRAY_TASK_ID") and os.environ.get("SLURM_ARRAY_JOB_ID"):
        return f"{os.environ['SLURM_ARRAY_JOB_ID']}_{os.environ['SLURM_ARRAY_TASK_ID']}"
    return os.environ.get("SLURM_JOB_ID") or os.environ.get("RAY_JOB_SUBMISSION_ID", "")


def spec_from_task_list(task_list: Path, index: int | None = None) -> Path:
    """Line ``index`` (0-based; default ``$SLURM_ARRAY_TASK_ID``) of a task-list file."""
    if index is None:
        raw = os.environ.get("SLURM_ARRAY_TASK_ID")
        if raw is None:
            raise OmniRecError(
                "--task-list needs --index or $SLURM_ARRAY_TASK_ID (run it as a Slurm array task)"
            )
        index = int(raw)
    lines = [ln for ln in task_list.read_text().splitlines() if ln.strip()]
    if not 0 <= index < len(lines):
        raise OmniRecError(f"task list {task_list} has {len(lines)} entries; index {index} is out of range")
    return Path(lines[index])


def _log_tail(spec: Path, n_bytes: int = 4000) -> str:
    """The end of each runner log of the unit (``<spec stem>/*.log``)."""
    parts = []
    for log in sorted((spec.parent / spec.stem).glob("*.log")):
        try:
            data = log.read_bytes()[-n_bytes:].decode("utf-8", "replace")
        except OSError:
            continue
        parts.append(f"==> {log.name} <==\n{data}")
    return "\n".join(parts)


class _EventFile:
    """Appends events as JSON lines, flushed and fsynced so other nodes see them."""

    def __init__(self, path: Path, engine_id: str) -> None:
        self._fh = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed by close()
        self._engine_id = engine_id

    def __call__(self, event: Event) -> None:
        line = json.dumps({**event.to_dict(), "t": round(time.time(), 3), "engine_job_id": self._engine_id})
        self._fh.write(line + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()


def run_worker(spec: Path) -> tuple[str, dict[str, Any]]:
    """Execute one unit spec; returns ("done" | "already-done", done record).

    Raises the unit's own failure after recording it in ``<spec>.error.json``.
    """
    spec = Path(spec).absolute()
    done_path, error_path = unit_paths(spec)
    engine_id = engine_job_id()
    existing = read_json(done_path)
    if existing is not None:
        return "already-done", existing

    def on_term(signum: int, frame: Any) -> None:
        raise Terminated(f"signal {signal.Signals(signum).name}")

    previous = signal.signal(signal.SIGTERM, on_term)
    events = _EventFile(spec.with_suffix(".events.jsonl"), engine_id)
    try:
        return "done", execute_unit(spec, events, engine_job_id=engine_id)
    except BaseException as exc:
        terminated = isinstance(exc, (Terminated, KeyboardInterrupt))
        atomic_write_json(
            error_path,
            {
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "engine_job_id": engine_id,
                "time": time.time(),
                "terminated": terminated,
                "error": (
                    f"terminated by {exc} (cancelled, preempted or out of time)"
                    if terminated
                    else f"{type(exc).__name__}: {exc}"
                ),
                "traceback": "" if terminated else traceback.format_exc(),
                "log_tail": _log_tail(spec),
            },
        )
        raise
    finally:
        events.close()
        signal.signal(signal.SIGTERM, previous)
