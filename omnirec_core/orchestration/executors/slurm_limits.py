"""What a Slurm partition can hold, requests that fit it, and pending reasons that never resolve.

Read with ``scontrol show partition -o`` and ``scontrol show node -o`` (one line per
record, ``Key=Value`` fields). A request is checked against the partition's *nodes*
(the largest per-node CPUs and memory, capped by ``MaxCPUsPerNode`` / ``MaxMemPerNode``)
and its ``MaxTime``; without explicit values omnirec asks for what fits, up to
:data:`DEFAULT_CPUS` CPUs and :data:`DEFAULT_MEM_MB` of memory a task.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field

#: The request when the user gives none, unless the partition's nodes are smaller.
DEFAULT_CPUS = 4
DEFAULT_MEM_MB = 8 * 1024
DEFAULT_TIME_S = 24 * 3600

_UNITS = {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024, "P": 1024**3}


class LimitError(ValueError):
    """A request can never fit the partition, or a value cannot be read."""


def parse_mem(value: str | int) -> int:
    """Slurm's memory syntax in MB: ``8G``, ``300M``, ``1T``, ``8000`` (MB)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGTP]?)B?\s*", str(value), re.IGNORECASE)
    if m is None:
        raise LimitError(f"mem={value!r} is not a memory size; write e.g. 8G, 500M or 8000 (MB)")
    return max(1, int(float(m.group(1)) * _UNITS[(m.group(2) or "M").upper()]))


def format_mem(mb: int) -> str:
    """``21695`` -> ``21 GB``; under 1 GB in MB."""
    return f"{mb // 1024} GB" if mb >= 1024 else f"{mb} MB"


def sbatch_mem(mb: int) -> str:
    """A memory size as sbatch takes it: whole gigabytes as ``8G``, else ``MB`` with ``M``."""
    return f"{mb // 1024}G" if mb % 1024 == 0 else f"{mb}M"


def parse_time(value: str) -> int | None:
    """Slurm's time syntax in seconds (``None``: unlimited).

    ``MM``, ``MM:SS``, ``HH:MM:SS``, ``D-HH``, ``D-HH:MM``, ``D-HH:MM:SS``.
    """
    text = str(value).strip()
    if text.upper() in ("UNLIMITED", "INFINITE", "NONE", ""):
        return None
    m = re.fullmatch(r"(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?", text)
    if m is None:
        raise LimitError(f"time={value!r} is not a Slurm time; write e.g. 30:00, 12:00:00 or 1-00:00:00")
    days, a, b, c = m.groups()
    nums = [int(a)] + [int(x) for x in (b, c) if x is not None]
    if days is not None:  # D-HH[:MM[:SS]]
        h, mi, s = [*nums, 0, 0][:3]
        return int(days) * 86400 + h * 3600 + mi * 60 + s
    if len(nums) == 1:  # minutes
        return nums[0] * 60
    if len(nums) == 2:  # MM:SS
        return nums[0] * 60 + nums[1]
    return nums[0] * 3600 + nums[1] * 60 + nums[2]


def format_time(seconds: int) -> str:
    """Seconds as ``D-HH:MM:SS`` (or ``HH:MM:SS`` under a day)."""
    days, rest = divmod(seconds, 86400)
    h, rest = divmod(rest, 3600)
    mi, s = divmod(rest, 60)
    return (f"{days}-" if days else "") + f"{h:02d}:{mi:02d}:{s:02d}"


def _fields(line: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in re.finditer(r"(?:^|\s)(\w+)=(\S*)", line)}


def _limit(value: str | None) -> int | None:
    m = re.match(r"(\d+)", value or "")
    return int(m.group(1)) if m else None


def gpu_count(gres: str) -> int:
    """GPUs in a node's ``Gres`` (``gpu:2``, ``gpu:a100:4(S:0-1)``, ``gpu:1,mps:100``)."""
    total = 0
    for entry in re.sub(r"\([^)]*\)", "", gres or "").split(","):
        parts = entry.strip().split(":")
        if parts[0] == "gpu":
            total += int(parts[-1]) if len(parts) > 1 and parts[-1].isdigit() else 1
    return total


@dataclass(frozen=True)
class Node:
    name: str
    cpus: int
    mem_mb: int
    gpus: int
    state: str

    @property
    def unusable(self) -> bool:
        """Down, drained, failed or not yet configured: no job starts there until an administrator acts."""
        return bool(re.search(r"DOWN|DRAIN|FAIL|FUTURE|INVAL|NOT_RESPONDING|POWER(ED|ING)_DOWN", self.state))


@dataclass(frozen=True)
class Partition:
    """A partition's per-node capacity (node sizes capped by the partition's limits) and MaxTime."""

    name: str
    state: str = "UP"
    nodes: tuple[Node, ...] = ()
    max_time_s: int | None = None
    default: bool = False

    def largest(self) -> tuple[int, int]:
        """The most CPUs and the most memory (MB) any one node offers (not necessarily the same node)."""
        return max((n.cpus for n in self.nodes), default=0), max((n.mem_mb for n in self.nodes), default=0)

    def describe(self) -> str:
        cpus, mem = self.largest()
        return f"partition {self.name}: largest node has {cpus} CPUs and {format_mem(mem)}"


def parse_partitions(partition_text: str, node_text: str) -> dict[str, Partition]:
    """Partitions from ``scontrol show partition -o`` and ``scontrol show node -o`` output."""
    nodes: dict[str, list[Node]] = {}
    for line in node_text.splitlines():
        f = _fields(line)
        if "NodeName" not in f:
            continue
        cpus = _limit(f.get("CPUEfctv")) or _limit(f.get("CPUTot")) or 0
        mem = (_limit(f.get("RealMemory")) or 0) - (_limit(f.get("MemSpecLimit")) or 0)
        node = Node(f["NodeName"], cpus, max(mem, 0), gpu_count(f.get("Gres", "")), f.get("State", ""))
        for part in f.get("Partitions", "").split(","):
            if part:
                nodes.setdefault(part, []).append(node)
    out = {}
    for line in partition_text.splitlines():
        f = _fields(line)
        name = f.get("PartitionName")
        if not name:
            continue
        max_cpus, max_mem = _limit(f.get("MaxCPUsPerNode")), _limit(f.get("MaxMemPerNode"))
        capped = tuple(
            Node(
                n.name,
                min(n.cpus, max_cpus) if max_cpus else n.cpus,
                min(n.mem_mb, max_mem) if max_mem else n.mem_mb,
                n.gpus,
                n.state,
            )
            for n in nodes.get(name, [])
        )
        try:
            max_time = parse_time(f.get("MaxTime", "UNLIMITED"))
        except LimitError:
            max_time = None
        out[name] = Partition(name, f.get("State", "UP"), capped, max_time, f.get("Default") == "YES")
    return out


def read_partition(name: str | None, timeout: float = 60.0) -> Partition:
    """The partition ``name`` (``None``: the cluster's default) as the controller describes it now.

    Raises :class:`LimitError` when it does not exist, ``OSError`` /
    ``subprocess.SubprocessError`` when scontrol cannot answer.
    """

    def scontrol(*args: str) -> str:
        res = subprocess.run(
            ["scontrol", *args], capture_output=True, text=True, timeout=timeout, check=False
        )
        if res.returncode != 0:
            raise subprocess.SubprocessError((res.stderr or res.stdout).strip())
        return res.stdout

    parts = parse_partitions(scontrol("show", "partition", "-o"), scontrol("show", "node", "-o"))
    if name is None:
        found = next((p for p in parts.values() if p.default), None)
        if found is None:
            raise LimitError(
                "the cluster has no default partition; choose one with --partition "
                f"({', '.join(sorted(parts)) or 'none found'})"
            )
        return found
    if name not in parts:
        raise LimitError(
            f"partition {name!r} does not exist; partitions: {', '.join(sorted(parts)) or 'none'}"
        )
    return parts[name]


@dataclass
class Request:
    """What each array task asks for; ``derived`` names the values omnirec chose."""

    cpus: int
    mem_mb: int
    time_s: int
    derived: list[str] = field(default_factory=list)


def fit_request(
    part: Partition, cpus: int | None, mem_mb: int | None, time_s: int | None, *, gpus: int = 0
) -> Request:
    """The request for one task: the given values, checked, and defaults that fit the partition.

    Raises :class:`LimitError` naming the limit when no node of the partition can ever hold
    the given values.
    """
    if not part.nodes:
        raise LimitError(f"partition {part.name} has no nodes; choose another with --partition")
    asked = ", ".join(
        f"{k}={v}"
        for k, v in (
            ("cpus", cpus),
            ("mem", None if mem_mb is None else sbatch_mem(mem_mb)),
            ("gpus", gpus or None),
        )
        if v is not None
    )
    fitting = [
        n
        for n in part.nodes
        if (cpus is None or cpus <= n.cpus) and (mem_mb is None or mem_mb <= n.mem_mb) and gpus <= n.gpus
    ]
    if not fitting:
        most_gpus = max(n.gpus for n in part.nodes)
        big_cpus, big_mem = part.largest()
        largest = part.describe()
        if gpus:
            largest = f"partition {part.name}: largest node has {big_cpus} CPUs, {format_mem(big_mem)} and {most_gpus} GPU(s)"
        both = ""
        if (cpus or 0) <= big_cpus and (mem_mb or 0) <= big_mem and gpus <= most_gpus:
            both = " (no single node has all of it)"
        raise LimitError(f"{largest}; asked for {asked}{both}")
    best = max(
        fitting,
        key=lambda n: (min(DEFAULT_CPUS, n.cpus) if cpus is None else 0, min(DEFAULT_MEM_MB, n.mem_mb)),
    )
    req = Request(
        cpus if cpus is not None else min(DEFAULT_CPUS, best.cpus),
        mem_mb if mem_mb is not None else min(DEFAULT_MEM_MB, best.mem_mb),
        0,
    )
    req.derived = [k for k, v in (("cpus", cpus), ("mem", mem_mb)) if v is None]
    if time_s is not None:
        if part.max_time_s is not None and time_s > part.max_time_s:
            raise LimitError(
                f"partition {part.name} allows at most {format_time(part.max_time_s)} per job; "
                f"asked for time={format_time(time_s)}"
            )
        req.time_s = time_s
    else:
        req.time_s = min(DEFAULT_TIME_S, part.max_time_s or DEFAULT_TIME_S)
        req.derived.append("time")
    return req


# ---- pending reasons ---------------------------------------------------------------------
#: Pending reasons that waiting never resolves: (what it means, the fix).
NEVER: dict[str, tuple[str, str]] = {
    "PartitionConfig": (
        "the request exceeds what the partition's nodes or limits allow",
        "lower -X cpus / -X mem / -X time, or choose another partition with --partition",
    ),
    "BadConstraints": (
        "no node of the partition satisfies the job's constraints (--constraint, --gres, CPU or memory layout)",
        "change the constraint or --gres (extra_sbatch_args or your template), or choose another --partition",
    ),
    "PartitionNodeLimit": (
        "the job asks for more or fewer nodes than the partition allows",
        "ask for one node per task in your sbatch template",
    ),
    "PartitionTimeLimit": (
        "the time limit is longer than the partition's MaxTime",
        "lower -X time, or choose another partition with --partition",
    ),
    "InvalidAccount": (
        "the account is invalid",
        "pass a valid account: -X extra_sbatch_args='[\"--account=NAME\"]'",
    ),
    "AccountNotAllowed": (
        "the account may not use this partition",
        "pass another --account in extra_sbatch_args, or choose another --partition",
    ),
    "InvalidQOS": ("the QOS is invalid", "pass a valid QOS: -X extra_sbatch_args='[\"--qos=NAME\"]'"),
    "QOSNotAllowed": (
        "the QOS may not be used with this partition or account",
        "pass another --qos in extra_sbatch_args, or choose another --partition",
    ),
    "DependencyNeverSatisfied": (
        "a job it depends on failed",
        "remove the --dependency from extra_sbatch_args",
    ),
    "PartitionDown": (
        "the partition is down",
        "choose another partition with --partition, or run again once an administrator has brought it up",
    ),
    "PartitionInactive": (
        "the partition is inactive",
        "choose another partition with --partition, or run again once an administrator has activated it",
    ),
}
#: A per-job (or per-node) limit of the QOS or association: a task over it never starts.
_PER_JOB_LIMIT = re.compile(r"^(QOS|Assoc)(Max\w*Per(Job|Node)|Min)\w*$")
#: Reasons that mean "a node is unavailable": final only when every node of the partition is.
_NODES_GONE = ("ReqNodeNotAvail", "NodeDown")


def reason_code(reason: str) -> str:
    """``ReqNodeNotAvail, UnavailableNodes:vm`` -> ``ReqNodeNotAvail``."""
    return reason.split(",", 1)[0].strip()


def never_starts(reason: str, part: Partition | None) -> str | None:
    """Why a task pending with ``reason`` can never start, with the fix; ``None`` while waiting may help.

    ``part`` (the task's partition, read now) decides the node reasons: final only when every
    node of the partition is down, drained or failed.
    """
    code = reason_code(reason)
    if code in NEVER:
        what, fix = NEVER[code]
        if code == "PartitionConfig" and part is not None and part.nodes:
            what += f" ({part.describe()})"
        return f"{code}: {what}; fix: {fix}"
    if _PER_JOB_LIMIT.match(code):
        return (
            f"{code}: the request exceeds a per-job limit of your QOS or association; "
            "fix: lower -X cpus / -X mem / -X time (see `sacctmgr show qos` for the limits)"
        )
    if code in _NODES_GONE and part is not None and part.nodes and all(n.unusable for n in part.nodes):
        states = ", ".join(f"{n.name} {n.state.lower()}" for n in part.nodes[:5])
        return (
            f"{code}: every node of partition {part.name} is down or drained ({states}); "
            "fix: choose another partition with --partition, or run again once an administrator has resumed them"
        )
    return None
