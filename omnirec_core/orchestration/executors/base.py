"""What every executor implements: place units of work; everything else is files.

An executor gets unit spec files and runs each with
:func:`omnirec_core.orchestration.units.execute_unit` somewhere, reporting job events
through a callback. It only submits, waits and cancels: the checkpoint tree stays the
source of truth, and the coordinator evaluates.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from omnirec_core.orchestration.events import EventSink


class Executor(Protocol):
    """Runs unit spec files until each has a ``done`` record (or failed for good)."""

    def run(self, units: Sequence[Path], emit: EventSink) -> None: ...

    def cancel(self) -> None: ...
