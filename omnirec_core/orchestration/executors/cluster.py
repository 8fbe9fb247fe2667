"""What every cluster executor shares: sub-units, the state file, re-attaching, polling.

A cluster executor splits each unit spec into *sub-units* of ``bundle`` jobs (spec files
beside the unit, ``<unit>.parts/part-NNN.json``), submits them to an engine, and
watches three things: the engine's queue, the sub-unit's ``done`` record, and the
event file the worker appends to (``part-NNN.events.jsonl``), whose job events it
forwards to the coordinator as they appear. A sub-unit whose task left the queue
without a ``done`` record is *lost* and resubmitted up to ``max_retries`` times.

Every submission is recorded in ``units/<run-id>/<engine>.json``, with the last state
and pending reason the engine gave for each task (``omnirec status`` shows them). A
restarted coordinator reads the records of earlier runs first: a sub-unit whose task is
still queued or running is waited for, and its jobs are left out of the new sub-units, so
no work is duplicated (job keys are stable across runs; run ids are not). Tasks cancelled
by :meth:`ClusterExecutor.cancel` are recorded as such and submitted again by the next run.

Nothing waits silently: every poll reports a :class:`ClusterState` (tasks by state and
pending reason), and a task pending for a reason that waiting never resolves (a request
no node can hold, an invalid account...) is cancelled and its jobs fail with the reason
and the fix, within two polls.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omnirec_core.errors import OmniRecError
from omnirec_core.orchestration.events import (
    ClusterState,
    EventSink,
    JobEvent,
    TrialDone,
    UnitFailed,
    event_from_dict,
)
from omnirec_core.orchestration.jobs import FAILED_FILE, PREDICT_FILE, predict_record, read_json
from omnirec_core.orchestration.units import UnitSpec, unit_paths
from omnirec_core.plugin.manager import get_runner
from omnirec_core.runner.fs import atomic_write_json

log = logging.getLogger("omnirec.cluster")


class ClusterError(OmniRecError):
    """The cluster engine refused or failed a request."""


class TransientError(ClusterError):
    """The engine is busy or a limit is reached for now; try again at the next poll."""


def events_path(spec: Path) -> Path:
    """The append-only event file a worker writes beside its unit spec."""
    return spec.with_suffix(".events.jsonl")


def default_worker_command() -> list[str]:
    """``python -m omnirec_core.cli`` with this interpreter (must be reachable from the nodes)."""
    return [sys.executable, "-m", "omnirec_core.cli"]


@dataclass
class SubUnit:
    """A spec file of at most ``bundle`` jobs and its submissions (``attempts``)."""

    key: str  # spec path relative to the units root
    spec: Path
    jobs: dict[str, str]  # job key -> job dir
    gpus: int = 0
    attempts: list[dict[str, Any]] = field(default_factory=list)
    finished: bool = False
    waiting: bool = True  # needs a (re)submission
    offset: int = 0
    gone_since: float | None = None
    gone_polls: int = 0
    search: str = ""  # the key of the search this task runs (a search unit)
    never_polls: int = 0  # polls in a row it was pending for a reason that never resolves

    @property
    def engine_id(self) -> str | None:
        return self.attempts[-1].get("id") if self.attempts else None

    def record(self) -> dict[str, Any]:
        out = {"spec": self.key, "jobs": self.jobs, "gpus": self.gpus, "attempts": self.attempts}
        return {**out, "search": self.search} if self.search else out


def needs_gpu(spec: UnitSpec) -> bool:
    """Whether a unit's algorithm wants a GPU: device ``cuda`` or a GPU runner/algorithm spec."""
    if spec.device.startswith("cuda"):
        return True
    try:
        runner = get_runner(spec.runner)
    except OmniRecError:  # the plugin is not installed here: trust the device alone
        return False
    name = (
        spec.jobs[0].algo if spec.jobs else spec.search.algorithm.split(".", 1)[-1] if spec.search else None
    )
    algo = runner.algorithm(name) if name else None
    return bool(runner.gpu or (algo is not None and algo.gpu))


class ClusterExecutor:
    """Submit, poll, re-attach and retry; engines implement the ``_engine_*`` methods."""

    engine = "cluster"

    def __init__(
        self,
        *,
        cpus: int | None,
        gpus: int,
        bundle: int,
        max_retries: int,
        poll_interval: float,
        lost_grace: float,
        worker_command: Sequence[str] | None,
    ) -> None:
        if bundle < 1:
            raise ValueError("bundle must be at least 1 job per task")
        if cpus is not None and cpus < 1:
            raise ValueError("cpus must be at least 1")
        self.cpus = cpus
        self.gpus = gpus
        self.bundle = bundle
        self.max_retries = max_retries
        self.poll_interval = poll_interval
        self.lost_grace = lost_grace
        self.worker_command = list(worker_command or default_worker_command())
        self.submissions = 0  # engine submissions made by the last run() (sbatch calls, Ray jobs)
        self.cancelled = 0  # tasks cancel() cancelled
        self._batch = 0
        self._cancel = threading.Event()
        self._lock = threading.RLock()
        self._subs: list[SubUnit] = []
        self._terminal: set[str] = set()
        self._emit: EventSink = lambda e: None
        self._state_path: Path | None = None
        self._root = Path(".")
        self._reasons: dict[str, str] = {}  # engine id -> why it is pending, from the last poll
        #: One line on the resources chosen for the user (set by :meth:`check_request`).
        self.request_note = ""

    @property
    def threads(self) -> int:
        """Threads a runner uses: the CPUs each task asks for."""
        return self.cpus or 1

    def check_request(self) -> None:
        """Check the request against the cluster before anything is submitted; choose defaults that fit.

        Raises :class:`ClusterError` naming the limit when no node could ever run a task.
        Engines override it; it is called again (cheaply) when a run starts.
        """

    # ---- engine interface ------------------------------------------------------------
    def _engine_start(self) -> None:
        """Called once per run before anything else (e.g. read limits)."""

    def _engine_new_id(self, sub: SubUnit) -> str | None:
        """The id of the next submission when the client chooses it (``None``: the engine does)."""
        return None

    def _engine_chunk(self) -> int:
        """How many sub-units one submission may carry (e.g. the largest job array)."""
        return 1

    def _engine_submit(self, subs: list[SubUnit], run_dir: Path) -> None:
        """Submit ``subs`` as one submission (attempt ``name``/``index`` set); set each attempt's ``id``.

        May raise :class:`TransientError` to be tried again at the next poll.
        """
        raise NotImplementedError

    def _engine_states(self, ids: list[str]) -> dict[str, str] | None:
        """State of each id the engine still knows (absent: unknown); ``None`` if the query failed."""
        raise NotImplementedError

    def _engine_active(self, state: str) -> bool:
        raise NotImplementedError

    def _engine_room(self) -> int:
        """How many more tasks may be submitted now."""
        return 1 << 30

    def _engine_resolve(self, attempts: list[dict[str, Any]]) -> None:
        """Fill in the ids of attempts recorded before the engine answered (a crash in between)."""

    def _engine_cancel(self, ids: list[str]) -> None:
        raise NotImplementedError

    def _engine_describe(self, sub: SubUnit, state: str) -> str:
        """Why a task ended without a done record (state, engine reason, log tail)."""
        return state

    def _engine_pending(self, state: str) -> bool:
        """Whether an active task is still waiting to start."""
        return state == "PENDING"

    def _engine_never(self, sub: SubUnit, state: str, reason: str) -> str | None:
        """Why a pending task can never start and how to fix it; ``None`` while waiting may help."""
        return None

    def _engine_unplaceable(self, sub: SubUnit) -> str | None:
        """Why a sub-unit could never run on this cluster (checked before submitting it), or ``None``."""
        return None

    # ---- the run ---------------------------------------------------------------------
    def run(self, units: Sequence[Path], emit: EventSink) -> None:
        """Run every unit on the engine; return when each sub-unit is done or given up."""
        if not units:
            return
        self._emit = emit
        self._terminal = set()
        self.submissions = 0
        units = [Path(u).absolute() for u in units]
        run_dir = units[0].parent
        self._root = run_dir.parent
        self._state_path = run_dir / f"{self.engine}.json"
        self._engine_start()
        if self.request_note:
            self._emit(ClusterState(self.engine, note=self.request_note))
        attached = self._attach(run_dir)
        claimed = {k for s in attached for k in s.jobs} | {s.search for s in attached if s.search}
        subs = attached + [s for u in units for s in self._split(u, claimed)]
        with self._lock:
            self._subs = subs
        self._save()
        if attached:
            log.info("re-attached to %d running %s task(s)", len(attached), self.engine)
        while not self._cancel.is_set():
            self._submit_waiting(run_dir)
            self._poll()
            self._report()
            if all(s.finished for s in self._subs):
                break
            self._cancel.wait(self.poll_interval)
        self._save()

    def cancel(self) -> None:
        """Stop waiting and cancel every task this executor submitted or re-attached to (for good).

        The cancellation is recorded, so the next run submits those jobs again instead of
        waiting for tasks that will never finish.
        """
        self._cancel.set()
        with self._lock:
            live = [s for s in self._subs if not s.finished and s.engine_id]
            now = time.time()
            for s in live:
                s.attempts[-1]["cancelled"] = now
        self.cancelled += len(live)
        if live:
            self._save()
            self._engine_cancel([i for s in live if (i := s.engine_id)])

    # ---- sub-units -------------------------------------------------------------------
    def _split(self, unit: Path, claimed: set[str]) -> list[SubUnit]:
        try:
            spec = UnitSpec.load(unit)
        except FileNotFoundError as exc:
            raise ClusterError(str(exc)) from None
        jobs = []
        for j in spec.jobs:
            if j.key in claimed:
                continue
            if predict_record(j.path, j.k, j.pairs is not None, exclude_val=j.exclude_val) is not None:
                # Published since the coordinator looked (by a task of an earlier run).
                self._forward(JobEvent(j.key, "predict", "skipped"))
                continue
            jobs.append(j)
        gpus = max(self.gpus, 1) if needs_gpu(spec) else self.gpus
        parts = unit.with_suffix(".parts")
        out = []
        if spec.search is not None:  # a search is one task: its trials depend on each other
            if spec.search.key in claimed:
                return []
            path = parts / "search.json"
            spec.part([], parent=unit.name, threads=self.threads).save(path)
            return [
                SubUnit(
                    key=str(path.relative_to(self._root)),
                    spec=path,
                    jobs={},
                    gpus=gpus,
                    search=spec.search.key,
                )
            ]
        for n, start in enumerate(range(0, len(jobs), self.bundle)):
            chunk = jobs[start : start + self.bundle]
            path = parts / f"part-{n:04d}.json"
            spec.part(chunk, parent=unit.name, threads=self.threads).save(path)
            out.append(
                SubUnit(
                    key=str(path.relative_to(self._root)),
                    spec=path,
                    jobs={j.key: j.job_dir for j in chunk},
                    gpus=gpus,
                )
            )
        return out

    def _attach(self, run_dir: Path) -> list[SubUnit]:
        """Sub-units of earlier runs whose task is still queued or running."""
        merged: dict[str, SubUnit] = {}
        attempts: dict[str, dict[tuple[str, int], dict[str, Any]]] = {}
        for state_file in sorted(self._root.glob(f"*/{self.engine}.json")):
            if state_file.parent == run_dir:
                continue
            for rec in (read_json(state_file) or {}).get("subunits", []):
                spec = self._root / rec["spec"]
                if unit_paths(spec)[0].exists():
                    continue
                if rec["spec"] not in merged:
                    merged[rec["spec"]] = SubUnit(
                        key=rec["spec"],
                        spec=spec,
                        jobs=rec["jobs"],
                        gpus=rec.get("gpus", 0),
                        waiting=False,
                        search=rec.get("search", ""),
                    )
                # The same submission may be recorded by several runs (oldest first): merge them,
                # keeping the id whichever knows it and the latest state, cancellation or verdict.
                seen = attempts.setdefault(rec["spec"], {})
                for a in rec.get("attempts", []):
                    attempt = (str(a.get("name")), int(a.get("index", 0)))
                    merged_attempt = {**seen.get(attempt, {}), **a}
                    merged_attempt["id"] = a.get("id") or seen.get(attempt, {}).get("id")
                    seen[attempt] = merged_attempt
        subs = []
        for spec_key, s in merged.items():
            s.attempts = sorted(attempts.get(spec_key, {}).values(), key=lambda a: a.get("time", 0))
            # A task cancelled or given up on is not waited for: its jobs are submitted again.
            if s.attempts and not any(k in s.attempts[-1] for k in ("cancelled", "gave_up")):
                subs.append(s)
        self._engine_resolve([s.attempts[-1] for s in subs if not s.attempts[-1].get("id")])
        states = self._engine_states([s.engine_id for s in subs if s.engine_id]) or {}
        attached = []
        for s in subs:
            state = states.get(s.engine_id or "")
            if state is None or not self._engine_active(state):
                continue
            events = events_path(s.spec)
            s.offset = events.stat().st_size if events.exists() else 0
            # Jobs it published while no coordinator was listening are evaluated now.
            for key, job_dir in s.jobs.items():
                if (Path(job_dir) / PREDICT_FILE).exists():
                    self._forward(JobEvent(key, "predict", "skipped"))
            attached.append(s)
        return attached

    def _save(self) -> None:
        if self._state_path is None:
            return
        with self._lock:
            records = [s.record() for s in self._subs]
        atomic_write_json(self._state_path, {"engine": self.engine, "subunits": records})

    # ---- submitting --------------------------------------------------------------------
    def _submit_waiting(self, run_dir: Path) -> None:
        waiting = [s for s in self._subs if s.waiting and not s.finished]
        if not waiting:
            return
        unplaceable = [(s, why) for s in waiting if not s.attempts and (why := self._engine_unplaceable(s))]
        if unplaceable:
            self._fail_group(unplaceable, "could never run on this cluster; not submitted")
            self._save()
            waiting = [s for s in waiting if not s.finished]
        room = self._engine_room()
        by_gpus: dict[int, list[SubUnit]] = {}
        for s in waiting[: max(room, 0)]:
            by_gpus.setdefault(s.gpus, []).append(s)
        size = max(1, self._engine_chunk())
        for group in by_gpus.values():
            for start in range(0, len(group), size):
                if not self._submit_chunk(group[start : start + size], run_dir):
                    return

    def _submit_chunk(self, chunk: list[SubUnit], run_dir: Path) -> bool:
        """One engine submission; False when it was deferred (busy engine, limit, cancel)."""
        self._batch += 1
        name = f"omnirec-{run_dir.name}-{self._batch}"
        now = time.time()
        for i, s in enumerate(chunk):
            s.attempts.append(
                {"id": self._engine_new_id(s), "name": name, "index": i, "time": now, "dir": str(run_dir)}
            )
        self._save()  # before the engine hears of it, so a crash in between can be resolved
        try:
            with self._lock:
                if self._cancel.is_set():
                    raise TransientError("cancelled")
                self._engine_submit(chunk, run_dir)
                self.submissions += 1
        except BaseException as exc:
            for s in chunk:
                s.attempts.pop()
            self._save()
            if not isinstance(exc, TransientError):
                raise
            log.info("%s submission deferred: %s", self.engine, exc)
            return False
        for s in chunk:
            s.waiting = False
            s.gone_since, s.gone_polls = None, 0
        self._save()
        return True

    # ---- polling -----------------------------------------------------------------------
    def _poll(self) -> None:
        live = [s for s in self._subs if not s.finished and not s.waiting]
        if not live:
            return
        # The queue is read before the records: a task that left it has written its record.
        states = self._engine_states([s.engine_id for s in live if s.engine_id])
        changed = False
        stuck: list[tuple[SubUnit, str]] = []
        for s in live:
            self._pump(s)
            done = read_json(unit_paths(s.spec)[0])
            if done is not None:
                self._finish(s, done)
                changed = True
                continue
            if states is None:
                continue
            state = states.get(s.engine_id or "", "GONE")
            if self._engine_active(state):
                s.gone_since, s.gone_polls = None, 0
                pending = self._engine_pending(state)
                reason = self._reasons.get(s.engine_id or "", "") if pending else ""
                changed |= self._note_state(s, state, reason)
                why = self._engine_never(s, state, reason) if pending else None
                s.never_polls = s.never_polls + 1 if why else 0
                if why and s.never_polls >= 2:  # twice in a row: not a passing state
                    stuck.append((s, why))
                continue
            s.gone_polls += 1
            s.gone_since = s.gone_since or time.time()
            if s.gone_polls >= 2 and time.time() - s.gone_since >= self.lost_grace:
                self._lost(s, state)
                changed = True
        if stuck:
            self._engine_cancel([i for s, _ in stuck if (i := s.engine_id)])
            self._fail_group(stuck, "can never start; cancelled")
            changed = True
        if changed:
            self._save()

    @staticmethod
    def _note_state(s: SubUnit, state: str, reason: str) -> bool:
        """Record the task's state and pending reason in its attempt; True when they changed."""
        attempt = s.attempts[-1]
        if attempt.get("state") == state and attempt.get("reason", "") == reason:
            return False
        attempt.update(state=state, reason=reason, seen=time.time())
        if not reason:
            del attempt["reason"]
        return True

    def _report(self) -> None:
        """Emit where this run's tasks are: finished, running, pending by reason."""
        with self._lock:
            subs = list(self._subs)
        pending: dict[str, int] = {}
        running = finished = 0
        for s in subs:
            if s.finished:
                finished += 1
            elif s.waiting:
                key = "not submitted yet" if not s.attempts else "to be resubmitted"
                pending[key] = pending.get(key, 0) + 1
            elif self._engine_pending(str(s.attempts[-1].get("state", "PENDING"))):
                reason = str(s.attempts[-1].get("reason", ""))
                pending[reason] = pending.get(reason, 0) + 1
            else:
                running += 1
        ordered = tuple(sorted(pending.items(), key=lambda kv: (-kv[1], kv[0])))
        self._emit(ClusterState(self.engine, len(subs), finished, running, ordered))

    def _pump(self, s: SubUnit) -> None:
        """Forward the complete lines the worker appended to its event file since last time."""
        path = events_path(s.spec)
        try:
            if path.stat().st_size <= s.offset:
                return
            with open(path, "rb") as fh:
                fh.seek(s.offset)
                data = fh.read()
        except OSError:
            return
        end = data.rfind(b"\n")
        if end < 0:
            return
        s.offset += end + 1
        for line in data[: end + 1].splitlines():
            try:
                ev = event_from_dict(json.loads(line))
            except (ValueError, AttributeError):
                continue
            if isinstance(ev, JobEvent) and ev.job in s.jobs:
                self._forward(ev)
            elif isinstance(ev, TrialDone) and s.search:
                self._emit(ev)

    def _forward(self, ev: JobEvent) -> None:
        """Emit an event; at most one final event (predicted or failed) per job."""
        if ev.job in self._terminal:
            return
        if ev.event == "failed" or (ev.phase == "predict" and ev.event in ("done", "skipped")):
            self._terminal.add(ev.job)
        self._emit(ev)

    def _finish(self, s: SubUnit, done: dict[str, Any]) -> None:
        self._pump(s)
        failed = set(done.get("failed_jobs", []))
        for key, job_dir in s.jobs.items():
            if key in self._terminal:
                continue
            if (Path(job_dir) / PREDICT_FILE).exists():
                self._forward(JobEvent(key, "predict", "skipped"))
            elif key in failed:
                rec = read_json(Path(job_dir) / FAILED_FILE) or {}
                self._forward(JobEvent(key, rec.get("phase", "run"), "failed", rec.get("error", "")))
        if s.attempts:
            s.attempts[-1].pop("reason", None)
            s.attempts[-1].update(state="FINISHED", seen=time.time())
        s.finished = True

    def _lost(self, s: SubUnit, state: str) -> None:
        why = self._engine_describe(s, state)
        n = len(s.attempts)
        if n <= self.max_retries:
            self._emit(
                UnitFailed(
                    str(s.spec),
                    f"{self.engine} task {s.engine_id} ended without finishing ({state}); "
                    f"resubmitting (attempt {n + 1} of {self.max_retries + 1})",
                )
            )
            s.waiting = True
            return
        error = f"{self.engine} task {s.engine_id} ended without finishing its jobs, {n} time(s): {why}"
        self._emit(UnitFailed(str(s.spec), error))
        self._fail(s, error)

    def _fail(self, s: SubUnit, error: str) -> None:
        """Give up on a sub-unit: its jobs without published predictions fail with ``error``."""
        if s.attempts:
            s.attempts[-1]["gave_up"] = error
        for key, job_dir in s.jobs.items():
            if (Path(job_dir) / PREDICT_FILE).exists():
                self._forward(JobEvent(key, "predict", "skipped"))
            else:
                self._forward(JobEvent(key, "run", "failed", error))
        s.finished = True

    def _fail_group(self, subs: list[tuple[SubUnit, str]], what: str) -> None:
        """Fail sub-units that can never run, saying so once per cause (and to every search)."""
        by_why: dict[str, list[SubUnit]] = {}
        for s, why in subs:
            by_why.setdefault(why, []).append(s)
        for why, group in by_why.items():
            ids = [eid for s in group if (eid := s.engine_id)]
            if len(group) == 1:
                tasks = f"task {ids[0]}" if ids else "task"
            else:
                tasks = f"{len(group)} tasks" + (f" ({ids[0]}, ...)" if ids else "")
            summary = f"{self.engine} {tasks} {what}: {why}"
            for i, s in enumerate(group):
                error = f"{self.engine} task {s.engine_id} {what}: {why}" if s.engine_id else f"{what}: {why}"
                if i == 0 or s.search:  # one line for the group; a search needs its own cause
                    self._emit(UnitFailed(str(s.spec), summary if i == 0 else error))
                self._fail(s, error)


def tail(path: Path, n_bytes: int = 3000) -> str:
    """The end of a text file, or '' when it cannot be read."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - n_bytes))
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
