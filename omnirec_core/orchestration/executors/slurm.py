"""Slurm executor: job arrays of ``omnirec worker run`` from a user-editable sbatch template.

Each submission is one ``sbatch --array=0-N%LIMIT --requeue`` whose task ``i`` runs line
``i`` of a task-list file (a sub-unit spec path). State comes from ``squeue`` (and
``sacct`` where accounting exists, for the reason a task ended) plus our own records.
The checkpoint directory, the runner env cache and this Python must be on storage the
compute nodes share; runner envs are built here, before submission.

Before submitting, the request is checked against the target partition's nodes
(:mod:`.slurm_limits`): ``cpus``, ``mem`` and ``time`` left unset are chosen to fit, and an
explicit request no node can hold is refused with the limit. While waiting, a task
pending for a reason that never resolves is cancelled and its jobs fail with the reason.
"""

from __future__ import annotations

import getpass
import importlib.resources
import os
import re
import shlex
import shutil
import string
import subprocess
from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import Any, NamedTuple

from omnirec_core.orchestration.executors.cluster import (
    ClusterError,
    ClusterExecutor,
    SubUnit,
    TransientError,
    tail,
)
from omnirec_core.orchestration.executors.slurm_limits import (
    DEFAULT_CPUS,
    DEFAULT_MEM_MB,
    DEFAULT_TIME_S,
    LimitError,
    Partition,
    fit_request,
    format_mem,
    format_time,
    gpu_count,
    never_starts,
    parse_mem,
    parse_time,
    read_partition,
    reason_code,
    sbatch_mem,
)
from omnirec_core.orchestration.jobs import read_json
from omnirec_core.orchestration.units import unit_paths

#: States in which a task may still write its done record.
ACTIVE = frozenset(
    {
        "PENDING",
        "RUNNING",
        "CONFIGURING",
        "COMPLETING",
        "SUSPENDED",
        "REQUEUED",
        "REQUEUE_HOLD",
        "REQUEUE_FED",
        "RESIZING",
        "SIGNALING",
        "STAGE_OUT",
        "STOPPED",
        "RESV_DEL_HOLD",
    }
)
#: Active states in which a task has not started yet.
WAITING = frozenset({"PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD"})
#: sbatch errors worth retrying at the next poll rather than failing the run.
TRANSIENT = re.compile(
    r"timed out|temporarily unavailable|try again|Socket|submit limit|MaxSubmit|QOSMax|AssocMax|"
    r"Job violates accounting/QOS policy",
    re.IGNORECASE,
)
#: sbatch refusals by accounting policy: a submit limit (wait) or a size/time limit (never).
POLICY = re.compile(r"QOSMax|AssocMax|accounting/QOS policy", re.IGNORECASE)
COMMAND_TIMEOUT = 120.0


class SlurmError(ClusterError):
    """A Slurm command failed."""


class Row(NamedTuple):
    """One array task in ``squeue``."""

    id: str
    state: str
    reason: str
    partition: str
    cpus: str
    mem: str
    name: str


def default_template() -> str:
    """The sbatch template shipped with omnirec (``omnirec_core/templates/slurm.sbatch``)."""
    return importlib.resources.files("omnirec_core").joinpath("templates/slurm.sbatch").read_text()


def render_template(template: str, values: dict[str, Any]) -> str:
    """Fill ``${name}`` variables; other ``$...`` (shell variables) are left as they are."""
    if not re.search(r"\$\{?command\}?", template):
        raise SlurmError("the sbatch template has no ${command} line; add one where the worker should run")
    return string.Template(template).safe_substitute({k: str(v) for k, v in values.items()})


def _run(cmd: list[str], timeout: float = COMMAND_TIMEOUT) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise SlurmError(
            f"{cmd[0]} not found: run omnirec on a Slurm login node (where sbatch and squeue are on PATH)"
        ) from None
    except subprocess.TimeoutExpired:
        raise TransientError(f"{cmd[0]} did not answer within {timeout:.0f} s") from None


def slurm_config() -> dict[str, str]:
    """``scontrol show config`` as a dict (empty when it fails)."""
    try:
        out = _run(["scontrol", "show", "config"])
    except ClusterError:
        return {}
    conf = {}
    for line in out.stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            conf[key.strip()] = value.strip()
    return conf


def squeue_rows(select: list[str]) -> list[Row] | None:
    """``squeue`` rows (arrays expanded, every state) for the selection (``-u USER``, ``-j IDS``); None on failure."""
    try:
        res = _run(["squeue", "-h", "-r", "-t", "all", *select, "-o", "%i|%T|%r|%P|%C|%m|%j"], 60)
    except ClusterError:
        return None
    if res.returncode != 0:
        # Asked for ids that have all left the queue: none, not a failure.
        return [] if "Invalid job id" in res.stderr else None
    rows = []
    for line in res.stdout.splitlines():
        parts = line.strip().split("|", 6)
        if len(parts) == 7:
            rows.append(Row(*parts))
    return rows


def _int(value: str | None) -> int | None:
    m = re.match(r"\s*(\d+)", value or "")
    return int(m.group(1)) if m else None


class SlurmExecutor(ClusterExecutor):
    """Run units as Slurm job arrays; ``Coordinator(..., executor=SlurmExecutor(...))``.

    ``template``: path or text of an sbatch template (default: the shipped one);
    ``cpus``/``mem``/``time``: per array task (runners use ``cpus`` threads); unset, they
    are chosen to fit the partition's largest node, up to 4 CPUs, 8G and one day;
    ``gpus``: GPUs for every task (0: only GPU algorithms get them, as ``--gres=gres``);
    ``array_limit``: tasks of one array running at once (``%`` limit); ``bundle``: jobs
    per task; ``max_retries``: resubmissions of a task that ended without finishing;
    ``max_submit``: cap on this user's queued tasks (default: the association's
    MaxSubmitJobs when ``sacctmgr`` knows it); ``max_array_size``: tasks per array (at most
    the cluster's MaxArraySize); ``extra_sbatch_args``: passed to sbatch.
    """

    engine = "slurm"

    def __init__(
        self,
        template: str | PathLike[str] | None = None,
        partition: str | None = None,
        cpus: int | None = None,
        mem: str | None = None,
        time: str | None = None,
        gpus: int = 0,
        gres: str | None = "gpu:1",
        array_limit: int = 100,
        bundle: int = 10,
        max_retries: int = 2,
        poll_interval: float = 5.0,
        extra_sbatch_args: Sequence[str] = (),
        *,
        max_submit: int | None = None,
        max_array_size: int | None = None,
        lost_grace: float = 10.0,
        worker_command: Sequence[str] | None = None,
    ) -> None:
        super().__init__(
            cpus=cpus,
            gpus=gpus,
            bundle=bundle,
            max_retries=max_retries,
            poll_interval=poll_interval,
            lost_grace=lost_grace,
            worker_command=worker_command,
        )
        if array_limit < 1:
            raise ValueError("array_limit must be at least 1")
        self.template = self._load_template(template)
        self.partition = partition
        # What the user asked for (None: choose what fits), checked here for syntax.
        self._asked = (cpus, mem, time)
        if mem is not None:
            parse_mem(mem)
        if time is not None:
            parse_time(time)
        self.mem = mem
        self.time = time
        self._checked = False
        self._part: Partition | None = None  # the target partition, read by check_request()
        self._parts: dict[str, tuple[int, Partition | None]] = {}  # name -> (poll, partition)
        self._polls = 0
        self._rows: dict[str, Row] = {}  # our tasks at the last poll
        self.gres = gres
        self.array_limit = array_limit
        self.extra_sbatch_args = list(extra_sbatch_args)
        self.max_submit = max_submit
        self._max_array_size = max_array_size
        self.max_array_size = max_array_size or 1001
        self._user = getpass.getuser()
        self._queued = 0  # this user's active tasks at the last poll
        self._last: dict[str, tuple[str, str]] = {}  # id -> (state, reason) at the last poll

    # ---- the request -----------------------------------------------------------------
    def check_request(self) -> None:
        """Fit ``cpus``/``mem``/``time`` to the target partition, or refuse a request no node can hold."""
        if self._checked:
            return
        if shutil.which("sbatch") is None:
            raise SlurmError(
                "sbatch not found: run omnirec on a Slurm login node (sbatch and squeue on PATH)"
            )
        cpus, mem, time = self._asked
        mem_mb = None if mem is None else parse_mem(mem)
        # An explicit unlimited time is longer than any partition's MaxTime.
        time_s = None if time is None else (parse_time(time) or 1 << 40)
        name = self._target_partition()
        try:
            part = read_partition(name)
        except LimitError as exc:
            raise SlurmError(str(exc)) from None
        except (OSError, subprocess.SubprocessError) as exc:
            # The controller cannot describe its nodes: keep what was asked, else the defaults.
            self.cpus = cpus or DEFAULT_CPUS
            self.mem = mem or sbatch_mem(DEFAULT_MEM_MB)
            self.time = time or format_time(DEFAULT_TIME_S)
            if cpus is None or mem is None:
                self.request_note = (
                    f"slurm: could not read the partition's nodes ({str(exc).strip()[:200]}); each task asks "
                    f"for cpus={self.cpus}, mem={self.mem}, time={self.time}"
                )
            self._checked = True
            return
        try:
            req = fit_request(part, cpus, mem_mb, time_s)
        except LimitError as exc:
            raise SlurmError(
                f"{exc}; lower the request (-X cpus=N, -X mem=SIZE, -X time=LIMIT) or choose a partition "
                "with bigger nodes (--partition)"
            ) from None
        self._part = part
        self.cpus = req.cpus
        self.mem = mem or sbatch_mem(req.mem_mb)
        self.time = time or format_time(req.time_s)
        if {"cpus", "mem"} & set(req.derived):  # the time limit alone is no news
            big_cpus, big_mem = part.largest()
            self.request_note = (
                f"slurm: each task asks for cpus={self.cpus}, mem={self.mem}, time={self.time} "
                f"(chosen to fit partition {part.name}, largest node {big_cpus} CPUs and {format_mem(big_mem)}; "
                "set -X cpus=N -X mem=SIZE -X time=LIMIT to change)"
            )
        self._checked = True

    def _target_partition(self) -> str | None:
        """The partition tasks go to: ``partition``, else one named in extra_sbatch_args or the template."""
        if self.partition:
            return self.partition
        args = list(self.extra_sbatch_args)
        lines = [ln.split(None, 1)[1] for ln in self.template.splitlines() if ln.startswith("#SBATCH ")]
        for words in (args, [w for ln in lines for w in shlex.split(ln, comments=True)]):
            for i, word in enumerate(words):
                value = None
                if word.startswith("--partition="):
                    value = word.split("=", 1)[1]
                elif word in ("-p", "--partition") and i + 1 < len(words):
                    value = words[i + 1]
                elif word.startswith("-p") and len(word) > 2 and not word.startswith("--"):
                    value = word[2:]
                if value and "$" not in value:
                    return value
        return None

    def _partition(self, name: str | None, *, fresh: bool = False) -> Partition | None:
        """A partition as read at this poll (``fresh``) or any earlier one; ``None`` if unreadable."""
        if name is None or (self._part is not None and name == self._part.name and not fresh):
            return self._part
        cached = self._parts.get(name)
        if cached is not None and (not fresh or cached[0] == self._polls):
            return cached[1]
        try:
            part: Partition | None = read_partition(name, timeout=30)
        except (LimitError, OSError, subprocess.SubprocessError):
            part = None
        self._parts[name] = (self._polls, part)
        return part

    @staticmethod
    def _load_template(template: str | PathLike[str] | None) -> str:
        if template is None:
            return default_template()
        if isinstance(template, str) and "\n" in template:
            return template
        path = Path(template)
        if not path.is_file():
            raise SlurmError(f"sbatch template {path} not found; pass a file path or the template text")
        return path.read_text()

    # ---- engine ----------------------------------------------------------------------
    def _engine_start(self) -> None:
        self.check_request()
        conf = slurm_config()
        cluster = _int(conf.get("MaxArraySize")) or 1001  # indices 0..MaxArraySize-1
        self.max_array_size = min(cluster, self._max_array_size or cluster)
        if self.max_submit is None:
            self.max_submit = self._assoc_max_submit()

    def _assoc_max_submit(self) -> int | None:
        """MaxSubmitJobs of this user's association, when accounting is there to tell."""
        if shutil.which("sacctmgr") is None:
            return None
        try:
            out = _run(["sacctmgr", "-nP", "show", "assoc", f"user={self._user}", "format=MaxSubmitJobs"], 20)
        except ClusterError:
            return None
        found = [_int(x) for x in out.stdout.split()] if out.returncode == 0 else []
        limits = [x for x in found if x]
        return min(limits) if limits else None

    def _engine_room(self) -> int:
        if self.max_submit is None:
            return 1 << 30
        rows = self._squeue()  # fresh: the count from the last poll may predate tasks that left
        if rows is not None:
            self._queued = sum(1 for r in rows if r.state in ACTIVE)
        return self.max_submit - self._queued

    def _engine_chunk(self) -> int:
        return self.max_array_size

    def _engine_submit(self, subs: list[SubUnit], run_dir: Path) -> None:
        self._sbatch(subs, subs[0].attempts[-1]["name"], run_dir)

    def _sbatch(self, subs: list[SubUnit], name: str, run_dir: Path) -> None:
        out_dir = run_dir / "slurm"
        out_dir.mkdir(parents=True, exist_ok=True)
        tasks = out_dir / f"{name}.tasks"
        tasks.write_text("".join(f"{s.spec}\n" for s in subs))
        gpus = subs[0].gpus
        gres = self._gres(gpus)
        command = " ".join(
            shlex.quote(c) for c in [*self.worker_command, "worker", "run", "--task-list", str(tasks)]
        )
        script = out_dir / f"{name}.sbatch"
        log_pattern = out_dir / "%A_%a.log"
        script.write_text(
            render_template(
                self.template,
                {
                    "command": command,
                    "job_name": name,
                    "log_path": log_pattern,
                    "cpus": self.cpus,
                    "mem": self.mem,
                    "time": self.time,
                    "gpus": gpus,
                    "gres": gres or "",
                    "partition": self.partition or "",
                },
            )
        )
        cmd = [
            "sbatch",
            "--parsable",
            f"--array=0-{len(subs) - 1}%{self.array_limit}",
            "--requeue",
            f"--job-name={name}",
            f"--chdir={os.getcwd()}",  # paths in the specs may be relative to it
            *([f"--partition={self.partition}"] if self.partition else []),
            *([f"--gres={gres}"] if gres else []),
            *self.extra_sbatch_args,
            str(script),
        ]
        res = _run(cmd)
        if res.returncode != 0:
            msg = (res.stderr or res.stdout).strip()
            if TRANSIENT.search(msg):
                if not self._never_admitted(msg):
                    raise TransientError(msg)
                msg += (
                    " (none of your jobs is queued, so this is a limit on each job's size or time, not on "
                    "their number: lower -X cpus / -X mem / -X time, or pass another --qos / --account)"
                )
            raise SlurmError(f"sbatch refused the job array ({' '.join(cmd)}): {msg}")
        job_id = res.stdout.strip().split(";")[0]
        self._queued += len(subs)
        for i, s in enumerate(subs):
            s.attempts[-1]["id"] = f"{job_id}_{i}"

    def _never_admitted(self, msg: str) -> bool:
        """A policy refusal while none of this user's jobs is queued: a per-job size or time limit, not a count."""
        if not POLICY.search(msg):
            return False
        rows = self._squeue()
        return rows is not None and not any(r.state in ACTIVE for r in rows)

    def _squeue(self) -> list[Row] | None:
        """This user's tasks, arrays expanded; None on failure."""
        return squeue_rows(["-u", self._user])

    def _engine_states(self, ids: list[str]) -> dict[str, str] | None:
        rows = self._squeue()
        if rows is None:
            return None
        self._polls += 1
        self._queued = sum(1 for r in rows if r.state in ACTIVE)
        self._last = {r.id: (r.state, r.reason) for r in rows}
        wanted = set(ids)
        mine = [r for r in rows if r.id in wanted]
        self._reasons = {r.id: r.reason for r in mine if r.state in WAITING and r.reason != "None"}
        self._rows = {r.id: r for r in mine}
        return {r.id: r.state for r in mine}

    def _engine_active(self, state: str) -> bool:
        return state in ACTIVE

    def _engine_pending(self, state: str) -> bool:
        return state in WAITING

    def _engine_never(self, sub: SubUnit, state: str, reason: str) -> str | None:
        code = reason_code(reason)
        if not code:
            return None
        row = self._rows.get(sub.engine_id or "")
        name = row.partition if row else self._part.name if self._part else None
        part = self._partition(name, fresh=code in ("ReqNodeNotAvail", "NodeDown"))
        why = never_starts(reason, part)
        if why and code == "PartitionConfig" and row is not None:
            why = f"{why} (the task asks for {row.cpus} CPUs and {row.mem} memory)"
        return why

    def _engine_unplaceable(self, sub: SubUnit) -> str | None:
        """A GPU sub-unit on a partition without a node that has the GPUs (and the CPUs and memory)."""
        gres = self._gres(sub.gpus)
        if not gres or not gres.startswith("gpu") or self._part is None:
            return None
        try:
            fit_request(self._part, self.cpus, parse_mem(self.mem or "1"), None, gpus=gpu_count(gres))
        except LimitError as exc:
            return (
                f"{exc}; fix: choose a partition with GPU nodes (--partition), name the GPUs as the "
                "cluster does (-X gres=gpu:TYPE:1), or run on the CPU"
            )
        return None

    def _gres(self, gpus: int) -> str | None:
        """The --gres of a task that needs ``gpus`` GPUs (None: no GPUs, or the template asks for them)."""
        if not gpus:
            return None
        return f"gpu:{gpus}" if self.gres == "gpu:1" and gpus > 1 else self.gres

    def _engine_resolve(self, attempts: list[dict[str, Any]]) -> None:
        """Find the ids of array tasks submitted just before a crash, by job name and index."""
        if not attempts:
            return
        rows = self._squeue() or []
        for a in attempts:
            for r in rows:
                if r.name == a.get("name") and r.id.endswith(f"_{a.get('index')}"):
                    a["id"] = r.id
                    break

    def _engine_cancel(self, ids: list[str]) -> None:
        for start in range(0, len(ids), 500):
            _run(["scancel", *ids[start : start + 500]])

    def _engine_describe(self, sub: SubUnit, state: str) -> str:
        job_id = sub.engine_id or "?"
        final, reason = self._last.get(job_id, (state, ""))
        sacct = self._sacct_state(job_id)
        parts = [f"state {sacct or final}" + (f" ({reason})" if reason and reason != "None" else "")]
        error = read_json(unit_paths(sub.spec)[1])
        if error and error.get("engine_job_id") == job_id:
            parts.append(f"worker error: {error.get('error')}")
            if error.get("log_tail"):
                parts.append(f"runner log tail:\n{error['log_tail'][-1500:]}")
        if sub.attempts and sub.attempts[-1].get("dir"):
            log_file = Path(sub.attempts[-1]["dir"]) / "slurm" / f"{job_id}.log"
            parts.append(f"task log {log_file}, last lines:\n{tail(log_file, 1500)}")
        return "; ".join(parts)

    def _sacct_state(self, job_id: str) -> str:
        """The final state from accounting, when the cluster keeps it (else '')."""
        if shutil.which("sacct") is None:
            return ""
        try:
            res = _run(["sacct", "-n", "-P", "-X", "-j", job_id, "-o", "State"], 30)
        except ClusterError:
            return ""
        lines = [ln.strip() for ln in res.stdout.splitlines() if ln.strip()]
        return lines[-1] if res.returncode == 0 and lines else ""
