"""Helpers for tests that drive the fake runner (coordinator side; not used by the worker)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from omnirec_core.orchestration.runner_process import RunnerProcess
from omnirec_core.runner import write_columns

MODULE = "omnirec_fake.worker"


def fake_runner(tmp_path: Path, *, fault: str | None = None, name: str = "Fake", **kw: Any) -> RunnerProcess:
    """A RunnerProcess for the fake worker in the current interpreter (not started)."""
    env = dict(kw.pop("env", {}) or {})
    if fault is not None:
        env["OMNIREC_FAKE_FAULT"] = fault
    kw.setdefault("handshake_timeout", 60.0)
    kw.setdefault("heartbeat_timeout", 30.0)
    return RunnerProcess(name, sys.executable, MODULE, log_dir=tmp_path / "logs", env=env, **kw)


def make_data(
    directory: Path, n_users: int = 40, n_items: int = 60, n: int = 600, seed: int = 0
) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """Random implicit interactions (deduplicated) as column files: (desc, user, item)."""
    rng = np.random.default_rng(seed)
    pairs = np.unique(np.stack([rng.integers(0, n_users, n), rng.integers(0, n_items, n)], axis=1), axis=0)
    user, item = pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
    return write_columns(directory, {"user": user, "item": item}), user, item


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, ppid, pgrp) of a process, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            rest = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return rest[0], int(rest[1]), int(rest[2])


def is_running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (exited but unreaped)."""
    st = _stat(pid)
    return st is not None and st[0] != "Z"


def live_group_members(pgid: int) -> list[int]:
    """Processes in group ``pgid`` that are still running (zombies don't count)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _stat(int(entry))
            if st is not None and st[2] == pgid and st[0] != "Z":
                out.append(int(entry))
    return out


def our_zombies() -> list[int]:
    """Children of this process that exited and were never reaped."""
    me = os.getpid()
    return [
        int(e)
        for e in os.listdir("/proc")
        if e.isdigit() and (st := _stat(int(e))) is not None and st[0] == "Z" and st[1] == me
    ]


def wait_until(predicate: Any, timeout: float = 60.0, step: float = 0.05) -> bool:
    """Poll ``predicate`` until true or ``timeout`` (a bound, not a speed requirement)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


def assert_cleaned_up(rp: RunnerProcess) -> None:
    """The runner was reaped and nothing of its process group runs any more."""
    assert rp.pid is not None
    assert rp.returncode is not None, "runner was not reaped"
    assert _stat(rp.pid) is None or _stat(rp.pid)[1] != os.getpid(), "runner left as our zombie"  # type: ignore[index]
    assert wait_until(lambda: not live_group_members(rp.pid), 30), live_group_members(rp.pid)
    assert rp.pid not in our_zombies()
