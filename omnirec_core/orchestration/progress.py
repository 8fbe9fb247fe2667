"""Run progress on the terminal (rich): jobs done/total, current phase, elapsed time."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class RunProgress:
    """A progress bar over jobs; silent when ``quiet``."""

    def __init__(self, total: int, quiet: bool = False, console: Console | None = None) -> None:
        self.total = total
        self.done = 0
        self.failed = 0
        self.quiet = quiet
        self._progress: Progress | None = None
        self._task: Any = None
        if not quiet:
            self._progress = Progress(
                TextColumn("[bold]jobs"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                console=console or Console(stderr=True),
                transient=False,
            )

    def __enter__(self) -> RunProgress:
        if self._progress is not None:
            self._progress.start()
            self._task = self._progress.add_task("", total=self.total)
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
