"""On-disk state of a checkpoint directory: the exclusive lock and the append-only journal.

The lock is an ``flock`` on ``.omnirec.lock``: the kernel releases it when the holder
dies, so a killed coordinator never leaves a stale lock. The journal is one JSON object
per line, fsynced per append; per-job records (``job.json``, ``metrics.json``) remain the
source of truth, the journal tells the story of a run.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

from omnirec_core.errors import OmniRecError

LOCK_NAME = ".omnirec.lock"
JOURNAL_NAME = "journal.jsonl"


class CheckpointLocked(OmniRecError):
    """Another coordinator holds the checkpoint directory."""


class CheckpointError(OmniRecError):
    """The checkpoint directory cannot be used (not a directory, not writable, full...)."""


def describe_os_error(exc: OSError, doing: str) -> str:
    """One line naming the path, the problem and, where there is one, the fix."""
    path = exc.filename or "?"
    fixes = {
        errno.ENOSPC: "free space and re-run: finished jobs are kept",
        errno.EDQUOT: "free space (or raise the quota) and re-run: finished jobs are kept",
        errno.EROFS: "use a checkpoint_dir on a writable file system",
        errno.EACCES: "use a checkpoint_dir you may write to",
        errno.EPERM: "use a checkpoint_dir you may write to",
        errno.ENOTDIR: "a part of the path is a file; give a directory path",
        errno.EEXIST: "a file of that name is in the way; give a directory path",
    }
    problem = exc.strerror or str(exc)
    fix = fixes.get(exc.errno or 0, "")
    return f"{problem.lower()} while {doing} {path}" + (f"; {fix}" if fix else "")


def check_checkpoint_dir(directory: Path) -> None:
    """Make sure ``directory`` is (or can become) a writable, lockable directory.

    Raises :class:`CheckpointError` with one line naming the path and the problem; nothing
    is left behind but the directory itself.
    """
    if directory.exists() and not directory.is_dir():
        raise CheckpointError(f"checkpoint_dir {directory} is a file, not a directory; give a directory path")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CheckpointError(
            f"cannot create checkpoint_dir {directory}: {describe_os_error(exc, 'creating')}"
        ) from None
    probe = directory / f".omnirec-probe-{os.getpid()}"
    try:
        fd = os.open(probe, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, b"probe")
            os.fsync(fd)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError as exc:
        raise CheckpointError(
            f"checkpoint_dir {directory} cannot be used: {describe_os_error(exc, 'writing')}"
        ) from None


class CheckpointLock:
    """Exclusive, crash-safe lock on a checkpoint directory."""

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 4096, 0).decode(errors="replace").strip() or "unknown process"
            os.close(fd)
            raise CheckpointLocked(
                f"checkpoint directory {self.path.parent} is in use by another coordinator ({holder}); "
                "wait for it to finish or use another checkpoint_dir"
            ) from None
        info = f"pid {os.getpid()} on {socket.gethostname()} since {time.strftime('%Y-%m-%d %H:%M:%S')}"
        os.ftruncate(fd, 0)
        os.pwrite(fd, info.encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    def __enter__(self) -> CheckpointLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class Journal:
    """Append-only, fsynced log of job phases: ``started`` / ``done`` / ``failed``."""

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / JOURNAL_NAME
        self._lock = threading.Lock()

    def append(self, job: str, phase: str, event: str, **extra: Any) -> None:
        record = {"t": round(time.time(), 3), "job": job, "phase": phase, "event": event, **extra}
        line = (json.dumps(record, sort_keys=True, default=str) + "\n").encode()
        with self._lock:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    # A crash tore the last line: end it, so this record is not glued to it.
                    line = b"\n" + line
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)

    def read(self) -> list[dict[str, Any]]:
        """All complete records; a torn last line (crash mid-append) is ignored."""
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_bytes().splitlines():
            with contextlib.suppress(ValueError):
                out.append(json.loads(line))
        return out
