"""What executors report while units run: job phase events, whole-unit failures, cluster state.

Workers on other nodes append them to a unit's event file as JSON lines
(:meth:`JobEvent.to_dict`); executors read them back with :func:`event_from_dict` and
hand them to the coordinator through an :data:`EventSink`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

Phase = Literal["fit", "predict", "eval", "env", "run"]
JobState = Literal["started", "done", "failed", "skipped"]


@dataclass(frozen=True)
class JobEvent:
    """Job ``job`` reached ``event`` in ``phase`` (``error`` says why when it failed)."""

    job: str
    phase: str
    event: str
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = {"job": self.job, "phase": self.phase, "event": self.event}
        return {**out, "error": self.error} if self.error else out


@dataclass(frozen=True)
class UnitFailed:
    """A unit (or a cluster task running part of one) failed as a whole, or is retried."""

    unit: str
    error: str

    def to_dict(self) -> dict[str, Any]:
        return {"unit": self.unit, "event": "unit_failed", "error": self.error}


@dataclass(frozen=True)
class TrialDone:
    """A tuning trial finished: its validation score and the best so far (None: failed / none yet)."""

    search: str
    algorithm: str
    trial: int
    budget: int
    score: float | None
    best: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"event": "trial", **{k: getattr(self, k) for k in self.__dataclass_fields__}}


@dataclass(frozen=True)
class ClusterState:
    """Where a cluster executor's tasks are, emitted at every poll (in-process only).

    ``pending`` counts waiting tasks by the engine's reason ("Priority", "Resources"; ""
    when it gives none); ``note`` is a one-off notice (e.g. the resources chosen).
    """

    engine: str
    tasks: int = 0
    finished: int = 0
    running: int = 0
    pending: tuple[tuple[str, int], ...] = ()
    note: str = ""

    def describe(self) -> str:
        """``slurm: 1/8 tasks finished, 1 running, 6 pending: Priority``."""
        parts = [f"{self.engine}: {self.finished}/{self.tasks} tasks finished"]
        if self.running:
            parts.append(f"{self.running} running")
        parts += [f"{n} pending" + (f": {reason}" if reason else "") for reason, n in self.pending]
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"event": "cluster", **{k: getattr(self, k) for k in self.__dataclass_fields__}}


Event = JobEvent | UnitFailed | TrialDone | ClusterState
EventSink = Callable[[Event], None]


def event_from_dict(data: dict[str, Any]) -> Event | None:
    """The event a JSON line describes, or ``None`` for anything else (ignored)."""
    if data.get("event") == "unit_failed":
        return UnitFailed(str(data.get("unit", "")), str(data.get("error", "")))
    if data.get("event") == "trial":

        def number(key: str) -> float | None:
            value = data.get(key)
            return float(value) if isinstance(value, (int, float)) else None

        return TrialDone(
            str(data.get("search", "")),
            str(data.get("algorithm", "")),
            int(data.get("trial") or 0),
            int(data.get("budget") or 0),
            number("score"),
            number("best"),
        )
    if isinstance(data.get("job"), str) and isinstance(data.get("event"), str):
        return JobEvent(data["job"], str(data.get("phase", "")), data["event"], str(data.get("error") or ""))
    return None
