"""Cluster runs nobody gets stuck in, without a cluster: requests that fit, reasons, reports.

The partition arithmetic and the pending-reason rules are checked on text as Slurm prints
it. The waiting logic of :class:`ClusterExecutor` (report, cancel what can never start,
record cancellations) runs for real against a scripted engine: an in-process stand-in
for sbatch/squeue whose tasks stay pending with a given reason, then run the worker here.
The same paths against real daemons are in tests/test_slurm.py and tests/test_ray.py.
"""

from __future__ import annotations

import _thread
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from omnirec_core import NDCG, Coordinator, Evaluator
from omnirec_core.orchestration.envs.inplace import CurrentInterpreter
from omnirec_core.orchestration.events import ClusterState, Event, EventSink
from omnirec_core.orchestration.executors.cluster import ClusterExecutor, SubUnit
from omnirec_core.orchestration.executors.slurm_limits import (
    LimitError,
    fit_request,
    format_mem,
    never_starts,
    parse_mem,
    parse_partitions,
    parse_time,
)
from omnirec_core.orchestration.executors.status import cluster_tasks
from omnirec_core.orchestration.progress import RunProgress
from tests.support import experiment

PARTITIONS = """\
PartitionName=debug AllowGroups=ALL Default=YES MaxTime=UNLIMITED MaxCPUsPerNode=UNLIMITED Nodes=vm State=UP \
MaxMemPerNode=UNLIMITED TRES=cpu=2,mem=21695M,node=1
PartitionName=big Default=NO MaxTime=12:00:00 MaxCPUsPerNode=32 Nodes=n[1-2] State=UP MaxMemPerNode=UNLIMITED
PartitionName=gone Default=NO MaxTime=1-00:00:00 Nodes=d1 State=UP
"""
NODES = """\
NodeName=vm Arch=x86_64 CoresPerSocket=1  CPUAlloc=0 CPUEfctv=2 CPUTot=2 AvailableFeatures=(null) Gres=gpu:1 \
OS=Linux 6.1 #1 SMP RealMemory=21695 State=IDLE Partitions=debug  CfgTRES=cpu=2,mem=21695M
NodeName=n1 CPUEfctv=64 CPUTot=64 Gres=(null) RealMemory=256000 MemSpecLimit=4000 State=MIXED Partitions=big
NodeName=n2 CPUTot=16 Gres=gpu:a100:4(S:0-1) RealMemory=1000000 State=IDLE+DRAIN Partitions=big
NodeName=d1 CPUTot=8 Gres=(null) RealMemory=16000 State=DOWN* Partitions=gone
"""


@pytest.fixture(scope="module")
def parts() -> dict[str, Any]:
    return parse_partitions(PARTITIONS, NODES)


def test_sizes_and_times_read_as_slurm_writes_them() -> None:
    assert [parse_mem(v) for v in ("8G", "300M", "1T", "8000", "1.5G", "512k")] == [
        8192,
        300,
        1048576,
        8000,
        1536,
        1,
    ]
    assert format_mem(21695) == "21 GB" and format_mem(300) == "300 MB"
    assert parse_time("30") == 1800 and parse_time("30:15") == 1815 and parse_time("12:00:00") == 43200
    assert parse_time("1-00:00:00") == parse_time("1-0") == 86400 and parse_time("2-03:04") == 183840
    assert parse_time("UNLIMITED") is None
    for bad in (lambda: parse_mem("lots"), lambda: parse_time("soon")):
        with pytest.raises(LimitError, match=r"write e\.g\."):
            bad()


def test_partitions_are_read_with_their_nodes_limits_and_states(parts: dict[str, Any]) -> None:
    debug, big = parts["debug"], parts["big"]
    assert debug.default and not big.default and debug.max_time_s is None and big.max_time_s == 43200
    assert [(n.name, n.cpus, n.mem_mb, n.gpus) for n in debug.nodes] == [("vm", 2, 21695, 1)]
    # MaxCPUsPerNode caps a node; MemSpecLimit is not for jobs; typed GPUs count.
    assert [(n.name, n.cpus, n.mem_mb, n.gpus) for n in big.nodes] == [
        ("n1", 32, 252000, 0),
        ("n2", 16, 1000000, 4),
    ]
    assert [n.unusable for n in big.nodes] == [False, True]
    assert debug.describe() == "partition debug: largest node has 2 CPUs and 21 GB"


def test_defaults_fit_the_partition_and_oversize_requests_name_the_limit(parts: dict[str, Any]) -> None:
    debug, big = parts["debug"], parts["big"]
    req = fit_request(debug, None, None, None)
    assert (req.cpus, req.mem_mb, req.time_s, req.derived) == (2, 8192, 86400, ["cpus", "mem", "time"])
    assert (fit_request(big, None, None, None).cpus, fit_request(big, None, None, None).time_s) == (4, 43200)
    assert fit_request(debug, 1, None, 600).mem_mb == 8192  # only what was not given is chosen
    with pytest.raises(LimitError) as exc:
        fit_request(debug, 4, None, None)
    assert str(exc.value) == "partition debug: largest node has 2 CPUs and 21 GB; asked for cpus=4"
    with pytest.raises(LimitError, match="asked for mem=64G"):
        fit_request(debug, None, 64 * 1024, None)
    with pytest.raises(LimitError, match="no single node has all of it"):
        fit_request(big, 32, 500_000, None)  # n1 has the CPUs, n2 the memory
    with pytest.raises(LimitError, match="allows at most 12:00:00 per job; asked for time=1-00:00:00"):
        fit_request(big, None, None, 86400)
    with pytest.raises(LimitError, match="and 1 GPU\\(s\\); asked for cpus=1, mem=1G, gpus=2"):
        fit_request(debug, 1, 1024, None, gpus=2)
    assert fit_request(big, 8, 1024, None, gpus=4).cpus == 8


def test_only_reasons_that_waiting_never_resolves_are_final(parts: dict[str, Any]) -> None:
    debug, gone = parts["debug"], parts["gone"]
    why = never_starts("PartitionConfig", debug)
    assert why and "largest node has 2 CPUs" in why and "fix: lower -X cpus" in why
    for reason in (
        "BadConstraints",
        "InvalidAccount",
        "InvalidQOS",
        "PartitionTimeLimit",
        "QOSMaxCpuPerJobLimit",
    ):
        assert "fix:" in (never_starts(reason, debug) or ""), reason
    for reason in (
        "Priority",
        "Resources",
        "None",
        "",
        "QOSMaxJobsPerUserLimit",
        "JobArrayTaskLimit",
        "Dependency",
    ):
        assert never_starts(reason, debug) is None, reason
    # A node reason is final only when every node of the partition is down or drained.
    assert never_starts("ReqNodeNotAvail, UnavailableNodes:vm", debug) is None
    assert "every node of partition gone is down" in (
        never_starts("ReqNodeNotAvail, UnavailableNodes:d1", gone) or ""
    )
    assert never_starts("NodeDown", None) is None


def test_cluster_state_reads_as_one_line() -> None:
    state = ClusterState("slurm", 8, 1, 1, (("Priority", 5), ("", 1)))
    assert state.describe() == "slurm: 1/8 tasks finished, 1 running, 5 pending: Priority, 1 pending"
    assert (
        ClusterState("ray", 7, 0, 0, (("Priority", 7),)).describe()
        == "ray: 0/7 tasks finished, 7 pending: Priority"
    )


def test_a_quiet_run_reports_cluster_changes_after_a_minute() -> None:
    now = [0.0]
    out = io.StringIO()
    progress = RunProgress(3, quiet=True, clock=lambda: now[0], stream=out)
    waiting = ClusterState("slurm", 2, 0, 0, (("Priority", 2),))
    progress.cluster(ClusterState("slurm", note="slurm: each task asks for cpus=2"))
    progress.cluster(waiting)
    now[0] = 59.0
    progress.cluster(waiting)
    assert out.getvalue() == ""  # a short wait stays quiet
    now[0] = 61.0
    progress.cluster(waiting)
    progress.cluster(waiting)  # no change, no line
    now[0] = 90.0
    progress.cluster(ClusterState("slurm", 2, 0, 1, (("Priority", 1),)))
    progress.cluster(ClusterState("slurm", 2, 2, 0, ()))
    lines = [line.split(" ", 2)[2] for line in out.getvalue().splitlines()]
    assert lines == [
        "slurm: each task asks for cpus=2",
        "slurm: 0/2 tasks finished, 2 pending: Priority",
        "slurm: 0/2 tasks finished, 1 running, 1 pending: Priority",
        "slurm: 2/2 tasks finished",
    ]


# ---- the waiting logic, against a scripted engine -------------------------------------------------
class ScriptedEngine(ClusterExecutor):
    """Tasks pend with ``reason`` for ``polls`` polls (forever when None), then run here.

    ``never`` decides final reasons as Slurm's executor does (``never_starts``).
    """

    engine = "scripted"

    def __init__(self, reason: str, polls: int | None) -> None:
        super().__init__(
            cpus=1, gpus=0, bundle=2, max_retries=0, poll_interval=0.01, lost_grace=0.0, worker_command=None
        )
        self.reason, self.polls = reason, polls
        self.queue: dict[str, tuple[Path, int]] = {}  # id -> (spec, polls seen)
        self.cancelled_ids: list[str] = []
        self.seen: list[Event] = []
        self._n = 0

    def run(self, units: Sequence[Path], emit: EventSink) -> None:
        def spy(ev: Event) -> None:
            self.seen.append(ev)
            emit(ev)

        super().run(units, spy)

    def _engine_submit(self, subs: list[SubUnit], run_dir: Path) -> None:
        for s in subs:
            self._n += 1
            s.attempts[-1]["id"] = f"t{self._n}"
            self.queue[f"t{self._n}"] = (s.spec, 0)

    def _engine_states(self, ids: list[str]) -> dict[str, str] | None:
        out = {}
        self._reasons = {}
        for i in ids:
            if i not in self.queue:
                continue
            spec, n = self.queue[i]
            if self.polls is not None and n >= self.polls:
                # The task runs (the real worker command), writes its done record and leaves the queue.
                subprocess.run(
                    [*self.worker_command, "worker", "run", str(spec)], check=True, capture_output=True
                )
                del self.queue[i]
                continue
            self.queue[i] = (spec, n + 1)
            out[i], self._reasons[i] = "PENDING", self.reason
        return out

    def _engine_active(self, state: str) -> bool:
        return state == "PENDING"

    def _engine_cancel(self, ids: list[str]) -> None:
        self.cancelled_ids += ids
        for i in ids:
            self.queue.pop(i, None)

    def _engine_never(self, sub: SubUnit, state: str, reason: str) -> str | None:
        return never_starts(reason, None)


def run_scripted(ckpt: Path, ex: ScriptedEngine) -> Evaluator:
    ev = Evaluator(NDCG([10]))
    coord = Coordinator(ckpt, executor=ex, env_manager=CurrentInterpreter(), quiet=True)
    coord.run(experiment.dataset(), experiment.plan(), ev)
    return ev


def states(ckpt: Path) -> list[dict[str, Any]]:
    return [
        s
        for f in sorted((ckpt / "units").glob("*/scripted.json"))
        for s in json.loads(f.read_text())["subunits"]
    ]


def test_a_task_that_can_never_start_is_cancelled_and_its_jobs_fail_with_the_fix(tmp_path: Path) -> None:
    ex = ScriptedEngine("BadConstraints", None)
    ev = run_scripted(tmp_path / "ck", ex)
    assert ev.get_results().empty and len(ev.failures) == 4
    assert all("BadConstraints" in f.error and "fix:" in f.error for f in ev.failures)
    assert sorted(ex.cancelled_ids) == ["t1", "t2"]  # both tasks, after two polls each
    assert all("gave_up" in s["attempts"][-1] for s in states(tmp_path / "ck"))
    last = [e for e in ex.seen if isinstance(e, ClusterState)][-1]
    assert last.describe() == "scripted: 2/2 tasks finished"


def test_pending_reasons_are_reported_and_recorded_while_waiting(tmp_path: Path) -> None:
    ex = ScriptedEngine("Priority", 3)
    ev = run_scripted(tmp_path / "ck", ex)
    assert len(ev.get_results()) == 4 and not ev.failures  # 4 jobs, one NDCG@10 row each
    reports = [e.describe() for e in ex.seen if isinstance(e, ClusterState)]
    assert "scripted: 0/2 tasks finished, 2 pending: Priority" in reports
    assert reports[-1] == "scripted: 2/2 tasks finished" and not ex.cancelled_ids
    assert all(s["attempts"][-1]["state"] == "FINISHED" for s in states(tmp_path / "ck"))


def test_an_interrupted_run_records_its_cancelled_tasks_and_the_next_run_submits_them(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    # A shell starts background jobs with SIGINT ignored, and then Python installs no
    # handler: interrupt_main() would do nothing. Install Python's own for this test.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    request.addfinalizer(lambda: signal.signal(signal.SIGINT, previous))
    ckpt = tmp_path / "ck"
    ex = ScriptedEngine("Priority", None)

    def interrupt_when_waiting() -> None:
        while not any(isinstance(e, ClusterState) and e.pending for e in list(ex.seen)):
            threading.Event().wait(0.01)
        _thread.interrupt_main()  # as Ctrl-C, or SIGTERM through cli/signals.py

    threading.Thread(target=interrupt_when_waiting, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        run_scripted(ckpt, ex)
    assert sorted(ex.cancelled_ids) == ["t1", "t2"] and ex.cancelled == 2
    first = states(ckpt)
    assert all("cancelled" in s["attempts"][-1] for s in first)
    tasks = cluster_tasks(ckpt, engines=("scripted",))
    assert tasks is not None and {t.state for t in tasks.tasks} == {"cancelled"}
    assert "2 cancelled" in tasks.summary()
    # The next run does not wait for the cancelled tasks: it submits their jobs again.
    again = ScriptedEngine("Priority", 1)
    ev = run_scripted(ckpt, again)
    assert len(ev.get_results()) == 4 and again.submissions == 2 and not again.queue


# ---- SIGTERM / SIGHUP stop a run like Ctrl-C ------------------------------------------------------
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_stop_a_run_like_ctrl_c(tmp_path: Path, sig: signal.Signals) -> None:
    plan = experiment.write_cli_plan(tmp_path / "plan.toml", ["NDCG@10"])
    plan.write_text(
        plan.read_text().replace('name = "Fake.Pop"', 'name = "Fake.Pop"\nconfig = { sleep = 30.0 }')
    )
    env = {**os.environ, "OMNIREC_RUNNER_ISOLATION": "none"}
    cmd = [sys.executable, "-m", "omnirec_core.cli", "run", str(plan), "-q"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    try:
        journal = tmp_path / "ck" / "journal.jsonl"
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if journal.exists() and '"started"' in journal.read_text():  # a runner is at work
                break
            time.sleep(0.1)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 128 + sig, err
    assert f"stopped by {sig.name}: finished jobs are kept" in err and "Traceback" not in err
