"""The local executor: runner processes on this machine, in coordinator threads."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from omnirec_core.orchestration.events import EventSink, UnitFailed
from omnirec_core.orchestration.units import execute_unit


class LocalExecutor:
    """Runner processes on this machine, up to ``max_workers`` units at a time."""

    def __init__(self, max_workers: int = 1) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.max_workers = max_workers
        self._cancel = threading.Event()

    def run(self, units: Sequence[Path], emit: EventSink) -> None:
        def one(path: Path) -> Any:
            if self._cancel.is_set():
                return None
            try:
                return execute_unit(path, emit)
            except Exception as exc:  # a broken unit must not stop the others
                emit(UnitFailed(str(path), f"{type(exc).__name__}: {exc}"))
                return None

        with ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="omnirec-unit") as pool:
            list(pool.map(one, units))

    def cancel(self) -> None:
        self._cancel.set()
