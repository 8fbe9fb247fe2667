"""Trust on first use: the size and SHA-256 of files no one publishes a checksum for.

The first time such a file is downloaded (or found where the user put it), its size and
SHA-256 are recorded in ``.omnirec-lock.json`` next to it. Every later download of the
same file is verified against that record, so an upstream change or a corrupted
transfer is caught instead of silently changing the dataset. Files with a published
checksum are verified against that instead and never recorded.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import asdict, dataclass
from os import PathLike
from pathlib import Path

from filelock import FileLock

from omnirec_core.data.download import file_sha256
from omnirec_core.errors import DataError
from omnirec_core.runner.fs import atomic_open

LOCK_NAME = ".omnirec-lock.json"
LOCK_VERSION = 1

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LockEntry:
    """What a file looked like the first time omnirec saw it."""

    sha256: str
    size: int
    source: str
    recorded: str


def lock_path(directory: str | PathLike[str]) -> Path:
    return Path(directory) / LOCK_NAME


def read_lock(directory: str | PathLike[str]) -> dict[str, LockEntry]:
    """The entries recorded in ``directory`` (empty when there is no lock file)."""
    path = lock_path(directory)
    if not path.is_file():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("version") != LOCK_VERSION:
            raise ValueError(f"version {raw.get('version')!r}, expected {LOCK_VERSION}")
        return {name: LockEntry(**entry) for name, entry in raw["files"].items()}
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(
            f"{path} is not a valid omnirec lock file ({exc}); delete it to record the "
            "checksums again on the next load"
        ) from None


def record(directory: str | PathLike[str], filename: str, source: str) -> LockEntry:
    """Hash ``directory/filename`` and record it (first use); returns the entry."""
    directory = Path(directory)
    sha, size = file_sha256(directory / filename)
    entry = LockEntry(sha, size, source, dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    # Two processes may fetch files of one dataset at once: read-modify-write under a lock.
    with FileLock(str(lock_path(directory)) + ".lock"):
        entries = read_lock(directory)
        entries[filename] = entry
        payload = {"version": LOCK_VERSION, "files": {k: asdict(v) for k, v in sorted(entries.items())}}
        with atomic_open(lock_path(directory), "w") as fh:
            json.dump(payload, fh, indent=2)
            fh.write("\n")
    log.info("recorded first-use checksum of %s: sha256 %s, %d bytes", filename, sha, size)
    return entry


def mismatch_hint(directory: str | PathLike[str], filename: str, entry: LockEntry) -> str:
    """How to proceed when a file no longer matches its first-use record."""
    return (
        f"{filename} was recorded on first use ({entry.recorded}, from {entry.source}: "
        f"{entry.size:,} bytes, sha256 {entry.sha256}) in {lock_path(directory)}. If the provider "
        "changed the file on purpose, delete that entry (or the lock file) and load again; "
        "the new file is then recorded."
    )


__all__ = ["LOCK_NAME", "LockEntry", "lock_path", "mismatch_hint", "read_lock", "record"]
