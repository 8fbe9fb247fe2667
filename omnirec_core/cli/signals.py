"""SIGTERM and SIGHUP stop ``omnirec run`` the way Ctrl-C does.

The signal raises :class:`Stopped` (a ``KeyboardInterrupt``) in the main thread, so the
coordinator unwinds exactly as on Ctrl-C: it cancels the cluster tasks it submitted or
re-attached to and records that they were cancelled (the next run submits those jobs
again), stops local runners, keeps every finished job, and the command exits with
128 + the signal number (143 for SIGTERM, 129 for SIGHUP). ``kill -9`` cannot be caught:
then the cluster tasks keep running and the next run re-attaches to them.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

#: The signals that stop a run like Ctrl-C (SIGINT already raises KeyboardInterrupt).
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class Stopped(KeyboardInterrupt):
    """The process was asked to stop by ``signum``."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.name = signal.Signals(signum).name
        super().__init__(self.name)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise :class:`Stopped` (once; repeats are ignored)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    handled = [s for s in STOP_SIGNALS if signal.getsignal(s) is not signal.SIG_IGN]  # keep nohup's choice

    def stop(signum: int, frame: FrameType | None) -> None:
        for s in handled:  # a second signal must not interrupt the cancelling
            signal.signal(s, signal.SIG_IGN)
        raise Stopped(signum)

    previous = {s: signal.signal(s, stop) for s in handled}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
