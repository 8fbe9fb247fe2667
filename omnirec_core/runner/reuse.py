"""Keep what a runner built from a split for the next job on the same split.

One runner process serves every job of an algorithm in a run: grid points and tuning
trials on one split come one after another, so the framework's data structures (a
RecBole dataset and its data loaders, an interaction matrix, id maps) can be built once
and handed to the next job. Entries are keyed by what they were built from -- the
split's content (:attr:`FitRequest.data_key <omnirec_core.runner.api.FitRequest.data_key>`)
plus the config that shapes the preparation -- never by a job's position.

Memory rule: an entry is stored, and later reused, only while the memory still available
to this process (the smaller of the system's ``MemAvailable`` and the cgroup's limit minus
its usage) is at least ``min_free`` of the total (default 20 %,
``OMNIREC_REUSE_MIN_FREE``); when it drops below, every entry is dropped and jobs prepare
from scratch. At most ``entries`` splits are kept (default 4, ``OMNIREC_REUSE_ENTRIES``;
0 turns reuse off), the least recently used going first.

Stdlib only (this runs inside every runner env).
"""

from __future__ import annotations

import contextlib
import os
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

ENV_ENTRIES = "OMNIREC_REUSE_ENTRIES"
ENV_MIN_FREE = "OMNIREC_REUSE_MIN_FREE"
DEFAULT_ENTRIES = 4
DEFAULT_MIN_FREE = 0.2

T = TypeVar("T")

__all__ = ["PreparedCache", "memory_headroom"]


def _meminfo() -> dict[str, int]:
    out: dict[str, int] = {}
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            name, value = line.split(":", 1)
            out[name] = int(value.split()[0]) * 1024
    return out


#: (limit, usage) files of the cgroup this process sees as its root: v2, then v1.
_CGROUP_FILES = (
    ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
    ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"),
)


def _cgroup() -> tuple[int, int] | None:
    """(limit, usage) in bytes of this process's cgroup, when it has a memory limit."""
    for limit_file, usage_file in _CGROUP_FILES:
        with contextlib.suppress(OSError, ValueError):
            text = Path(limit_file).read_text().strip()
            if text == "max" or int(text) >= 1 << 60:  # no limit set
                return None
            return int(text), int(Path(usage_file).read_text().strip())
    return None


def memory_headroom() -> float | None:
    """Share of memory still available to this process (0..1); ``None`` if unknown."""
    info = _meminfo()
    total, available = info.get("MemTotal"), info.get("MemAvailable")
    shares = []
    if total and available is not None:
        shares.append(available / total)
    cgroup = _cgroup()
    if cgroup is not None and cgroup[0] > 0:
        shares.append(max(0, cgroup[0] - cgroup[1]) / cgroup[0])
    return min(shares) if shares else None


def _env_number(name: str, default: float) -> float:
    with contextlib.suppress(ValueError):
        return float(os.environ.get(name, default))
    return default


class PreparedCache:
    """Framework data built from a split, kept across jobs under the memory rule above.

    ``get_or_build(key, build)`` returns the entry for ``key``, building it (and keeping
    it when memory allows) if there is none. ``last`` says what the last call did:
    ``"reused"``, ``"built"`` or ``"built, not kept"`` (for the job's fit info).
    """

    def __init__(self, entries: int | None = None, min_free: float | None = None) -> None:
        self.entries = int(_env_number(ENV_ENTRIES, DEFAULT_ENTRIES) if entries is None else entries)
        self.min_free = _env_number(ENV_MIN_FREE, DEFAULT_MIN_FREE) if min_free is None else min_free
        self._store: OrderedDict[Hashable, Any] = OrderedDict()
        self.last = ""
        self.reused = self.built = self.dropped = 0

    def __len__(self) -> int:
        return len(self._store)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._store

    def roomy(self) -> bool:
        """Whether memory allows keeping entries now (unknown memory counts as roomy)."""
        headroom = memory_headroom()
        return headroom is None or headroom >= self.min_free

    def clear(self) -> None:
        self.dropped += len(self._store)
        self._store.clear()

    def get_or_build(self, key: Hashable, build: Callable[[], T]) -> T:
        if self.entries <= 0:
            self.built += 1
            self.last = "built, not kept"
            return build()
        if not self.roomy():
            self.clear()  # memory is tight: give everything back before building
        if key in self._store:
            self._store.move_to_end(key)
            self.reused += 1
            self.last = "reused"
            return self._store[key]  # type: ignore[no-any-return]
        value = build()
        self.built += 1
        if self.roomy():
            self._store[key] = value
            while len(self._store) > self.entries:
                self._store.popitem(last=False)
                self.dropped += 1
            self.last = "built"
        else:
            self.clear()
            self.last = "built, not kept"
        return value
