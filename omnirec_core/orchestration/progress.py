"""Run progress on the terminal (rich): jobs done/total, current phase, elapsed time, cluster state.

Waiting on a cluster is never silent: on a terminal the progress line shows where the
tasks are ("slurm: 0/7 tasks finished, 7 pending: Priority"); when quiet, or when stderr
is not a terminal, a run that has waited on the cluster for :data:`QUIET_AFTER` seconds
prints one line per change of that state to stderr.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from omnirec_core.orchestration.events import ClusterState

#: Seconds of waiting on a cluster after which a quiet run reports its state changes.
QUIET_AFTER = 60.0


class RunProgress:
    """A progress bar over jobs; silent when ``quiet`` (but for long cluster waits)."""

    def __init__(
        self,
        total: int,
        quiet: bool = False,
        console: Console | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        stream: TextIO | None = None,
        quiet_after: float = QUIET_AFTER,
    ) -> None:
        self.total = total
        self.done = 0
        self.failed = 0
        self.quiet = quiet
        self._progress: Progress | None = None
        self._task: Any = None
        self._clock = clock
        self._stream = stream
        self._quiet_after = quiet_after
        self._waiting_since: float | None = None
        self._notes: list[str] = []  # cluster notices held back until a quiet run reports
        self._reported = ""  # the cluster state line printed last
        if not quiet:
            self._progress = Progress(
                TextColumn("[bold]jobs"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("[cyan]{task.fields[cluster]}"),
                TextColumn("{task.description}"),
                console=console or Console(stderr=True),
                transient=False,
            )

    def __enter__(self) -> RunProgress:
        if self._progress is not None:
            self._progress.start()
            self._task = self._progress.add_task("", total=self.total, cluster="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self.phase(f"{self.done} done, {self.failed} failed")
            self._progress.stop()

    def phase(self, text: str) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description=text)

    def advance(self, ok: bool) -> None:
        self.done += ok
        self.failed += not ok
        if self._progress is not None:
            self._progress.advance(self._task)

    def log(self, text: str) -> None:
        if self._progress is not None:
            self._progress.console.print(text)

    def cluster(self, state: ClusterState) -> None:
        """Show where a cluster executor's tasks are: live on a terminal, else as lines after a wait."""
        now = self._clock()
        if self._waiting_since is None:
            self._waiting_since = now
        live = self._progress is not None and self._progress.console.is_terminal
        if state.note:
            if live:
                self.log(f"[dim]{escape(state.note)}")
            else:
                self._notes.append(state.note)
        if not state.tasks:
            return
        text = state.describe()
        if live:
            assert self._progress is not None
            self._progress.update(self._task, cluster=escape(text))
            return
        if now - self._waiting_since < self._quiet_after or text == self._reported:
            return
        for line in [*self._notes, text]:
            self._write(f"omnirec {time.strftime('%H:%M:%S')} {line}")
        self._notes.clear()
        self._reported = text

    def _write(self, line: str) -> None:
        stream = self._stream or sys.stderr
        try:
            stream.write(line + "\n")
            stream.flush()
        except OSError:  # a closed terminal (SIGHUP) must not end the run
            pass
