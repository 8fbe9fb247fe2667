"""What executors report while units run: job phase events and whole-unit failures.

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


Event = JobEvent | UnitFailed
EventSink = Callable[[Event], None]


def event_from_dict(data: dict[str, Any]) -> Event | None:
    """The event a JSON line describes, or ``None`` for anything else (ignored)."""
    if data.get("event") == "unit_failed":
        return UnitFailed(str(data.get("unit", "")), str(data.get("error", "")))
    if isinstance(data.get("job"), str) and isinstance(data.get("event"), str):
        return JobEvent(data["job"], str(data.get("phase", "")), data["event"], str(data.get("error") or ""))
    return None
