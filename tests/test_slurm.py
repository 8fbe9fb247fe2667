"""The Slurm executor against a real one-node Slurm cluster (scripts/slurm-cluster.sh start).

Nothing is mocked: sbatch, squeue, scancel and scontrol talk to real daemons, array
tasks run ``omnirec worker run`` with the fake runner on this machine, and the
coordinator evaluates what they publish.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from omnirec_core import (
    NDCG,
    Coordinator,
    Evaluator,
    ExperimentPlan,
    MakeImplicit,
    Pipe,
    Recall,
    RecSysDataSet,
    UserCrossValidation,
)
from omnirec_core.data.synthetic import generate
from omnirec_core.orchestration.envs.inplace import CurrentInterpreter
from omnirec_core.orchestration.executors import SlurmExecutor
from omnirec_core.orchestration.executors.slurm import default_template, render_template
from omnirec_core.orchestration.journal import Journal
from tests.support import experiment

ROOT = Path(__file__).resolve().parents[1]
KEY = ["dataset", "algorithm", "config", "fold", "metric", "k"]
WAIT = 300.0  # generous bound for anything that waits on the cluster


def _cluster_problem() -> str | None:
    if shutil.which("sbatch") is None:
        return "sbatch is not on PATH: start the one-node test cluster with `scripts/slurm-cluster.sh start`"
    try:
        out = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"the Slurm cluster does not answer ({exc}): run `scripts/slurm-cluster.sh start`"
    if out.returncode != 0 or not re.search(r"idle|mixed|alloc", out.stdout):
        return f"the Slurm cluster is not up ({(out.stderr or out.stdout).strip()}): run `scripts/slurm-cluster.sh start`"
    return None


PROBLEM = _cluster_problem()
pytestmark = [pytest.mark.slurm, pytest.mark.skipif(PROBLEM is not None, reason=PROBLEM or "")]

FAST = {"cpus": 1, "mem": "300M", "time": "30:00", "poll_interval": 0.3, "lost_grace": 1.0}


def dataset() -> RecSysDataSet[Any]:
    ds = RecSysDataSet.from_dataframe(generate(150, 80, 4000, seed=3), name="folds")
    return Pipe(MakeImplicit(3), UserCrossValidation(2)).process(ds)


def plan(kind: str) -> ExperimentPlan:
    p = ExperimentPlan(kind)
    if kind == "mixed":  # 2 algorithms x 2 configs x 2 folds = 8 jobs
        p.add_algorithm("Fake.Pop", {"sleep": [0.0, 0.001]})
        p.add_algorithm("Fake.ItemCF", {"shrink": [0.0, 5.0]})
    else:  # "slow": jobs that take a while, so the queue can be disturbed mid-run
        p.add_algorithm("Fake.Pop", {"sleep": [0.6, 0.601, 0.602]})  # seconds per fit and predict
    return p


def run_plan(ckpt: Path, kind: str, executor: Any = None, *, bound: bool = True, **kwargs: Any) -> Evaluator:
    """Run a plan; ``bound=False`` runs it in this thread (a subprocess that gets SIGINT)."""
    ev = Evaluator(NDCG([5, 10]), Recall(10))
    coord = Coordinator(ckpt, executor=executor, env_manager=CurrentInterpreter(), quiet=True, **kwargs)
    if bound:
        bounded(lambda: coord.run(dataset(), plan(kind), ev), executor)
    else:
        coord.run(dataset(), plan(kind), ev)
    return ev


def bounded(fn: Any, executor: Any = None, timeout: float = WAIT) -> None:
    """Run ``fn`` in a thread; fail (and cancel the executor's tasks) if it does not finish in time."""
    errors: list[BaseException] = []

    def target() -> None:
        try:
            fn()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        if executor is not None:
            executor.cancel()
        raise AssertionError(f"the run did not finish within {timeout:.0f} s")
    if errors:
        raise errors[0]


def sorted_results(ev: Evaluator) -> pd.DataFrame:
    res = ev.get_results()
    res = res.assign(config=res["config"].astype(str))
    return res.sort_values(KEY).reset_index(drop=True)


def state(ckpt: Path) -> list[dict[str, Any]]:
    """Every sub-unit record of every run's slurm.json."""
    return [
        s
        for f in sorted((ckpt / "units").glob("*/slurm.json"))
        for s in json.loads(f.read_text())["subunits"]
    ]


def events(ckpt: Path) -> list[dict[str, Any]]:
    out = []
    for f in (ckpt / "units").rglob("*.events.jsonl"):
        out += [json.loads(line) for line in f.read_text().splitlines()]
    return out


def fit_starts(ckpt: Path) -> Counter[str]:
    return Counter(e["job"] for e in events(ckpt) if e["phase"] == "fit" and e["event"] == "started")


def job_state(task: str) -> dict[str, str]:
    out = subprocess.run(["scontrol", "show", "job", task], capture_output=True, text=True, check=True).stdout
    return dict(m.groups() for m in re.finditer(r"(\w+)=(\S*)", out))


def wait_for(check: Any, what: str, timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def local_mixed(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    return sorted_results(run_plan(tmp_path_factory.mktemp("local") / "ck", "mixed"))


@pytest.fixture(scope="module")
def local_slow(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    return sorted_results(run_plan(tmp_path_factory.mktemp("local") / "ck", "slow"))


@pytest.fixture(scope="module")
def slurm_mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SlurmExecutor, pd.DataFrame]:
    ckpt = tmp_path_factory.mktemp("slurm") / "ck"
    ex = SlurmExecutor(bundle=3, array_limit=4, **FAST)
    return ckpt, ex, sorted_results(run_plan(ckpt, "mixed", ex))


def test_results_are_identical_to_a_local_run(slurm_mixed: Any, local_mixed: pd.DataFrame) -> None:
    ckpt, ex, results = slurm_mixed
    assert len(results) == 8 * 3 and set(results["fold"]) == {0, 1}
    pd.testing.assert_frame_equal(results, local_mixed)
    # 8 jobs in bundles of 3 per algorithm: 2 + 2 array tasks, all in one sbatch call.
    subs = state(ckpt)
    assert ex.submissions == 1 and len(subs) == 4
    assert sorted(len(s["jobs"]) for s in subs) == [1, 1, 3, 3]
    array_ids = {s["attempts"][0]["id"].split("_")[0] for s in subs}
    assert len(array_ids) == 1
    for s in subs:
        spec = ckpt / "units" / s["spec"]
        done = json.loads(spec.with_suffix(".done.json").read_text())
        assert done["engine_job_id"] == s["attempts"][0]["id"]
        assert done["host"] and done["finished"] >= done["started"] and done["versions"]["runner"] == "Fake"
        assert done["failed_jobs"] == []
        assert json.loads(spec.read_text())["threads"] == 1  # the task's --cpus-per-task
    # Events were forwarded as they came: the journal has every phase of every job.
    journal = Journal(ckpt).read()
    assert Counter((e["phase"], e["event"]) for e in journal)[("predict", "done")] == 8
    assert Counter((e["phase"], e["event"]) for e in journal)[("eval", "done")] == 8


def test_requeue_after_finish_does_nothing(slurm_mixed: Any) -> None:
    ckpt, _, _ = slurm_mixed
    sub = state(ckpt)[0]
    task = sub["attempts"][0]["id"]
    spec = ckpt / "units" / sub["spec"]
    done_before = spec.with_suffix(".done.json").read_bytes()
    events_before = spec.with_suffix(".events.jsonl").read_bytes()
    preds = {d: (Path(d) / "predict.json").stat().st_mtime_ns for d in sub["jobs"].values()}
    subprocess.run(["scontrol", "requeue", task], check=True, capture_output=True)
    wait_for(
        lambda: (s := job_state(task)).get("Restarts") == "1" and s.get("JobState") == "COMPLETED",
        f"requeued task {task} to finish",
    )
    log = Path(sub["attempts"][0]["dir"]) / "slurm" / f"{task}.log"
    text = log.read_text()
    assert text.count("omnirec task") == 2  # it did run twice (the log is appended to)
    assert "already done" in text and "nothing to do" in text
    assert spec.with_suffix(".done.json").read_bytes() == done_before
    assert spec.with_suffix(".events.jsonl").read_bytes() == events_before
    assert {d: (Path(d) / "predict.json").stat().st_mtime_ns for d in sub["jobs"].values()} == preds


def test_cancelled_task_is_resubmitted(tmp_path: Path, local_slow: pd.DataFrame) -> None:
    ckpt = tmp_path / "ck"
    ex = SlurmExecutor(bundle=1, array_limit=1, **FAST)
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(run_plan(ckpt, "slow", ex)), daemon=True)
    thread.start()

    def running_task() -> tuple[str, str] | None:
        for s in state(ckpt):
            spec = ckpt / "units" / s["spec"]
            started = spec.with_suffix(".events.jsonl")
            if s["attempts"] and started.exists() and "started" in started.read_text():
                return s["spec"], s["attempts"][0]["id"]
        return None

    spec_key, task = wait_for(running_task, "a task to start its first job")
    subprocess.run(["scancel", task], check=True)
    thread.join(WAIT)
    assert not thread.is_alive() and out
    results = sorted_results(out[0])
    assert len(results) == 6 * 3  # 3 configs x 2 folds, all done
    sub = next(s for s in state(ckpt) if s["spec"] == spec_key)
    assert sub["attempts"][0]["id"] == task and len(sub["attempts"]) == 2
    assert ex.submissions == 2  # the array, then one resubmission
    job = next(iter(sub["jobs"]))
    starts = [e for e in events(ckpt) if e["job"] == job and e["phase"] == "fit" and e["event"] == "started"]
    assert [e["engine_job_id"] for e in starts] == [task, sub["attempts"][1]["id"]]
    assert all(n == 1 for k, n in fit_starts(ckpt).items() if k != job)
    pd.testing.assert_frame_equal(results, local_slow)


def test_killed_coordinator_reattaches_without_duplicating_work(
    tmp_path: Path, local_slow: pd.DataFrame
) -> None:
    ckpt = tmp_path / "ck"
    opts = {**FAST, "bundle": 1, "array_limit": 1}
    code = (
        "import sys; from pathlib import Path; from tests.test_slurm import run_plan, SlurmExecutor; "
        f"run_plan(Path(sys.argv[1]), 'slow', SlurmExecutor(**{opts!r}), bound=False)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(ckpt)], cwd=ROOT, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_for(lambda: fit_starts(ckpt) or proc.poll() is not None, "the first job to start")
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.communicate()  # reaps it and closes the pipe (an open one is a ResourceWarning)
    first = state(ckpt)
    assert len(first) == 6 and all(s["attempts"][0]["id"] for s in first)
    # As if it had died between sbatch and recording the ids of half the tasks:
    # those are found again by job name and array index.
    (state_file,) = (ckpt / "units").glob("*/slurm.json")
    rec = json.loads(state_file.read_text())
    for sub in rec["subunits"][::2]:
        sub["attempts"][0]["id"] = None
    state_file.write_text(json.dumps(rec))
    ex = SlurmExecutor(**opts)
    results = sorted_results(run_plan(ckpt, "slow", ex))
    assert len(results) == 6 * 3
    assert ex.submissions == 0  # everything was still queued or running: nothing resubmitted
    (later,) = [p for p in (ckpt / "units").glob("*/slurm.json") if p != state_file]
    second = json.loads(later.read_text())["subunits"]
    assert second and all(s["spec"].startswith(state_file.parent.name + "/") for s in second)  # re-attached
    ids = {s["spec"]: s["attempts"][0]["id"] for s in first}
    assert all(s["attempts"][0]["id"] == ids[s["spec"]] for s in second)  # incl. those found by name
    # Every job was fitted exactly once, by the tasks of the first submission.
    starts = fit_starts(ckpt)
    assert len(starts) == 6 and set(starts.values()) == {1}
    assert len(list((ckpt / "units").rglob("*.done.json"))) == 6
    journal_starts = Counter(
        e["job"] for e in Journal(ckpt).read() if e["phase"] == "fit" and e["event"] == "started"
    )
    assert max(journal_starts.values()) == 1
    pd.testing.assert_frame_equal(results, local_slow)


def test_interrupted_coordinator_cancels_its_tasks(tmp_path: Path) -> None:
    ckpt = tmp_path / "ck"
    opts = {**FAST, "bundle": 1, "array_limit": 1, "max_retries": 0}
    code = (
        "import sys; from pathlib import Path; from tests.test_slurm import run_plan, SlurmExecutor; "
        f"run_plan(Path(sys.argv[1]), 'slow', SlurmExecutor(**{opts!r}), bound=False)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(ckpt)], cwd=ROOT, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_for(lambda: fit_starts(ckpt) or proc.poll() is not None, "the first job to start")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=WAIT)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode != 0 and "KeyboardInterrupt" in err
    tasks = [s["attempts"][0]["id"] for s in state(ckpt)]
    assert len(tasks) == 6

    def settled() -> dict[str, str] | None:
        rows = subprocess.run(
            ["squeue", "-h", "-r", "-t", "all", "-o", "%i|%T"], capture_output=True, text=True
        )
        queue = dict(line.split("|", 1) for line in rows.stdout.split())
        # Pending tasks cancelled together stay in the array's own record (its bare id).
        st = {t: queue.get(t) or queue.get(t.split("_")[0], "?") for t in tasks}
        return None if {"PENDING", "RUNNING", "COMPLETING"} & set(st.values()) else st

    states = wait_for(settled, "the tasks to be cancelled")
    assert list(states.values()).count("CANCELLED") >= 5  # the running one and the queued ones
    assert len(list((ckpt / "units").rglob("*.done.json"))) <= 1
    # The task stopped mid-job recorded why, with the runner's log tail.
    errors = [json.loads(p.read_text()) for p in (ckpt / "units").rglob("*.error.json")]
    assert errors and all(e["terminated"] and "SIGTERM" in e["error"] for e in errors)
    assert errors[0]["engine_job_id"] in tasks and "==> " in errors[0]["log_tail"]


def test_lost_tasks_are_retried_then_fail_with_the_cause(tmp_path: Path) -> None:
    ckpt = tmp_path / "ck"
    broken = default_template().replace("${command}", "echo 'node setup failed' >&2; exit 3\n${command}")
    ex = SlurmExecutor(template=broken, bundle=4, max_retries=1, **FAST)
    p = ExperimentPlan("lost")
    p.add_algorithm("Fake.Pop")
    ev = Evaluator(NDCG([10]))
    coord = Coordinator(ckpt, executor=ex, env_manager=CurrentInterpreter(), quiet=True)
    bounded(lambda: coord.run(dataset(), p, ev), ex)
    assert ev.get_results().empty
    (sub,) = state(ckpt)
    assert len(sub["attempts"]) == 2 and ex.submissions == 2
    assert "state FAILED" in sub["attempts"][-1]["gave_up"]
    for job_dir in sub["jobs"].values():
        failed = json.loads((Path(job_dir) / "failed.json").read_text())
        assert failed["phase"] == "run"
        assert "2 time(s)" in failed["error"] and "node setup failed" in failed["error"]
    # A re-run with a working template retries them (the checkpoint tree is the truth).
    ev2 = Evaluator(NDCG([10]))
    ex2 = SlurmExecutor(**FAST)
    coord2 = Coordinator(ckpt, executor=ex2, env_manager=CurrentInterpreter(), quiet=True)
    bounded(lambda: coord2.run(dataset(), p, ev2), ex2)
    assert len(ev2.get_results()) == 2


def test_gpu_jobs_request_gres_and_see_the_device(tmp_path: Path) -> None:
    ckpt = tmp_path / "ck"
    tpl = default_template().replace(
        "${command}", 'echo "gpus=${gpus} cuda=$CUDA_VISIBLE_DEVICES"\n${command}'
    )
    ex = SlurmExecutor(template=tpl, bundle=10, **FAST)
    p = ExperimentPlan("gpu")
    p.add_algorithm("Fake.Pop")
    ev = Evaluator(NDCG([10]))
    coord = Coordinator(ckpt, executor=ex, env_manager=CurrentInterpreter(), device="cuda", quiet=True)
    bounded(lambda: coord.run(dataset(), p, ev), ex)
    assert len(ev.get_results()) == 2
    (sub,) = state(ckpt)
    task = sub["attempts"][0]["id"]
    assert sub["gpus"] == 1
    assert "gres:gpu:1" in job_state(task).get("TresPerNode", "")
    log = (Path(sub["attempts"][0]["dir"]) / "slurm" / f"{task}.log").read_text()
    assert "gpus=1 cuda=0" in log


def test_array_size_and_submit_limits_are_respected(tmp_path: Path) -> None:
    ckpt = tmp_path / "ck"
    ex = SlurmExecutor(bundle=1, max_array_size=2, max_submit=2, **FAST)
    ev = run_plan(ckpt, "mixed", ex)
    assert len(ev.get_results()) == 8 * 3
    subs = state(ckpt)
    arrays = Counter(s["attempts"][0]["id"].split("_")[0] for s in subs)
    assert len(subs) == 8 and max(arrays.values()) <= 2 and ex.submissions == len(arrays) >= 4
    # Never more than 2 of our tasks in the queue: at each submission, count those not yet finished.
    spans = [
        (
            s["attempts"][0]["time"],
            json.loads((ckpt / "units" / s["spec"]).with_suffix(".done.json").read_text())["finished"],
        )
        for s in subs
    ]
    for t, _ in spans:
        assert sum(1 for t0, t1 in spans if t0 <= t < t1) <= 2


def test_template_keeps_shell_variables_and_needs_a_command() -> None:
    text = render_template(
        default_template(),
        {
            "command": "run-me",
            "job_name": "j",
            "log_path": "/x/%A_%a.log",
            "cpus": 2,
            "mem": "1G",
            "time": "1:00",
            "gpus": 0,
            "gres": "",
            "partition": "",
        },
    )
    assert "#SBATCH --cpus-per-task=2" in text and text.rstrip().endswith("run-me")
    assert "${SLURM_ARRAY_TASK_ID:-0}" in text and "$(hostname)" in text
    with pytest.raises(Exception, match="no \\$\\{command\\}"):
        render_template("#!/bin/bash\necho hi\n", {"command": "x"})


def test_cli_runs_a_plan_file_on_slurm(tmp_path: Path) -> None:
    extra = '\n[run]\nexecutor = "slurm"\n\n[run.slurm]\ncpus = 1\nmem = "300M"\nbundle = 2\n'
    plan_file = experiment.write_cli_plan(tmp_path / "plan.toml", ["NDCG@10"], extra)
    env = {**os.environ, "OMNIREC_RUNNER_ISOLATION": "none"}
    cmd = [sys.executable, "-m", "omnirec_core.cli", "run", str(plan_file), "-q", "-X", "poll_interval=0.3"]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=WAIT)
    assert out.returncode == 0, out.stderr
    assert "Fake.ItemCF" in out.stdout and "NDCG@10" in out.stdout
    subs = state(tmp_path / "ck")
    assert len(subs) == 2 and all(re.fullmatch(r"\d+_\d", s["attempts"][0]["id"]) for s in subs)
    bad = subprocess.run([*cmd, "-X", "bogus=1"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert bad.returncode != 0 and "no option(s) bogus" in bad.stderr


def test_a_tuning_search_runs_as_one_task_with_local_results(tmp_path: Path) -> None:
    from omnirec_core import UserHoldout
    from omnirec_core.experiment.selection import Selection

    ds = Pipe(MakeImplicit(3), UserHoldout(0.2, 0.1)).process(
        RecSysDataSet.from_dataframe(generate(150, 80, 4000, seed=3), name="tuned")
    )
    p = ExperimentPlan("tuned", selection=Selection(metric="NDCG@10", budget=3, sampler="tpe"))
    p.add_algorithm("Fake.ItemCF", tune=True)
    p.add_algorithm("Fake.Pop", {"sleep": [0.0, 0.001]})

    def run(ckpt: Path, executor: Any) -> Evaluator:
        ev = Evaluator(NDCG([10]))
        coord = Coordinator(ckpt, executor=executor, env_manager=CurrentInterpreter(), quiet=True)
        bounded(lambda: coord.run(ds, p, ev), executor)
        return ev

    local = run(tmp_path / "local", None)
    ex = SlurmExecutor(bundle=3, **FAST)
    remote = run(tmp_path / "slurm", ex)
    pd.testing.assert_frame_equal(sorted_results(remote), sorted_results(local))
    pd.testing.assert_frame_equal(remote.get_results(trials=True), local.get_results(trials=True))
    subs = state(tmp_path / "slurm")
    assert len(subs) == 2 and all(s.get("search") for s in subs)  # one task per search


# ---- runs nobody gets stuck in ---------------------------------------------------------------------
def node_size() -> tuple[str, int, int]:
    """(default partition, CPUs, memory MB) of the one-node cluster."""
    from omnirec_core.orchestration.executors.slurm_limits import read_partition

    part = read_partition(None)
    (node,) = part.nodes
    return part.name, node.cpus, node.mem_mb


def omnirec_cli(*args: str, cwd: Path, timeout: float = WAIT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMNIREC_RUNNER_ISOLATION": "none"}
    cmd = [sys.executable, "-m", "omnirec_core.cli", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)


def test_the_default_request_fits_the_partition_and_runs(tmp_path: Path, local_mixed: pd.DataFrame) -> None:
    part, cpus, mem = node_size()
    ckpt = tmp_path / "ck"
    ex = SlurmExecutor(bundle=4, poll_interval=0.3, lost_grace=1.0)  # no cpus, mem or time
    results = sorted_results(run_plan(ckpt, "mixed", ex))
    pd.testing.assert_frame_equal(results, local_mixed)
    assert ex.cpus == min(4, cpus) and ex.mem == ("8G" if mem >= 8192 else f"{mem}M")
    assert f"chosen to fit partition {part}, largest node {cpus} CPUs" in ex.request_note
    for sub in state(ckpt):
        job = job_state(sub["attempts"][0]["id"])
        assert job["NumCPUs"] == str(ex.cpus) and job["TimeLimit"] == "1-00:00:00"
        assert json.loads((ckpt / "units" / sub["spec"]).read_text())["threads"] == ex.cpus


def test_an_oversize_request_is_refused_before_submission(tmp_path: Path) -> None:
    part, cpus, mem = node_size()
    ckpt = tmp_path / "ck"
    ex = SlurmExecutor(cpus=cpus + 2, mem="300M", poll_interval=0.3)
    with pytest.raises(Exception, match=re.escape(f"asked for cpus={cpus + 2}, mem=300M")) as exc:
        run_plan(ckpt, "mixed", ex)
    assert f"partition {part}: largest node has {cpus} CPUs and {mem // 1024} GB" in str(exc.value)
    assert ex.submissions == 0 and not list((ckpt / "units").rglob("slurm.json"))
    # From the command line: one line, exit code 2, before any data is loaded.
    cli = tmp_path / "cli"
    cli.mkdir()
    plan_file = experiment.write_cli_plan(cli / "plan.toml", ["NDCG@10"])
    out = omnirec_cli("run", str(plan_file), "--executor", "slurm", "-X", f"cpus={cpus + 2}", "-q", cwd=cli)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert f"error: partition {part}: largest node has {cpus} CPUs" in out.stderr
    assert f"asked for cpus={cpus + 2}" in out.stderr and "--partition" in out.stderr
    assert not (cli / "ck").exists()


def test_a_task_that_can_never_start_fails_with_the_reason(tmp_path: Path) -> None:
    _, cpus, _ = node_size()
    ckpt = tmp_path / "ck"
    # Held at submission, then (as an administrator or a mistyped template could) made to
    # ask for more CPUs than any node has, then released: Slurm keeps it pending for ever.
    ex = SlurmExecutor(bundle=4, extra_sbatch_args=["--hold"], **FAST)
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(run_plan(ckpt, "mixed", ex)), daemon=True)
    thread.start()
    tasks = wait_for(lambda: [a["id"] for s in state(ckpt) for a in s["attempts"] if a.get("id")], "sbatch")
    array = tasks[0].split("_")[0]
    # (scontrol applies both but exits 1: "Requested partition configuration not available now".)
    subprocess.run(["scontrol", "update", f"jobid={array}", f"NumCPUs={cpus + 1}"], capture_output=True)
    subprocess.run(["scontrol", "release", array], capture_output=True)
    thread.join(WAIT)
    assert not thread.is_alive() and out
    ev = out[0]
    assert ev.get_results().empty and len(ev.failures) == 8
    for failure in ev.failures:
        assert "can never start; cancelled: PartitionConfig" in failure.error
        assert f"largest node has {cpus} CPUs" in failure.error and "fix:" in failure.error
    assert all("PartitionConfig" in s["attempts"][-1]["gave_up"] for s in state(ckpt))
    rows = subprocess.run(["squeue", "-h", "-r", "-t", "all", "-o", "%i|%T"], capture_output=True, text=True)
    queue = dict(line.split("|", 1) for line in rows.stdout.split())
    assert {queue.get(t) or queue.get(array) for t in tasks} == {"CANCELLED"}
    status = omnirec_cli("status", str(ckpt), cwd=tmp_path)
    assert status.returncode == 0 and status.stdout.count("PartitionConfig") >= 8


def test_a_task_pending_by_priority_shows_its_reason_in_status(
    tmp_path: Path, local_mixed: pd.DataFrame
) -> None:
    _, cpus, _ = node_size()
    ckpt = tmp_path / "ck"

    def sbatch(*args: str) -> str:
        cmd = ["sbatch", "--parsable", "--mem=100M", "-o", "/dev/null", "-J", "omnirec-test-blocker", *args]
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip().split(";")[0]

    # The node busy, and a higher-priority job waiting for it: our tasks wait behind it.
    blockers = [sbatch(f"--cpus-per-task={cpus}", "--wrap", "sleep 300")]
    try:
        blockers.append(sbatch(f"--cpus-per-task={cpus}", "--wrap", "true"))
        ex = SlurmExecutor(bundle=4, extra_sbatch_args=["--nice=100000"], **FAST)
        out: list[Any] = []
        thread = threading.Thread(target=lambda: out.append(run_plan(ckpt, "mixed", ex)), daemon=True)
        thread.start()

        def shown() -> str | None:
            if not list((ckpt / "units").glob("*/slurm.json")):
                return None
            res = omnirec_cli("status", str(ckpt), cwd=tmp_path)
            return res.stdout if "pending: Priority" in res.stdout else None

        text = wait_for(shown, "omnirec status to show tasks pending by priority")
        assert re.search(r"slurm tasks of run \S+: 2 pending: Priority \(from squeue now\)", text), text
        assert text.count("slurm task ") >= 8  # every pending job names its task and why
        assert any(s["attempts"][-1].get("reason") == "Priority" for s in state(ckpt))  # recorded too
    finally:
        subprocess.run(["scancel", *blockers], capture_output=True)
    thread.join(WAIT)
    assert not thread.is_alive() and out
    pd.testing.assert_frame_equal(sorted_results(out[0]), local_mixed)
    final = omnirec_cli("status", str(ckpt), cwd=tmp_path).stdout
    assert "pending" not in final.splitlines()[0] and "8 done" in final


def test_sigterm_cancels_the_tasks_and_a_rerun_submits_them_again(tmp_path: Path) -> None:
    extra = (
        '\n[run]\nexecutor = "slurm"\n\n[run.slurm]\ncpus = 1\nmem = "300M"\nbundle = 1\narray_limit = 1\n'
        "poll_interval = 0.3\n"
    )
    plan_file = experiment.write_cli_plan(tmp_path / "plan.toml", ["NDCG@10"], extra)
    plan_file.write_text(
        plan_file.read_text().replace('name = "Fake.Pop"', 'name = "Fake.Pop"\nconfig = { sleep = 1.0 }')
    )
    ckpt = tmp_path / "ck"
    env = {**os.environ, "OMNIREC_RUNNER_ISOLATION": "none"}
    cmd = [sys.executable, "-m", "omnirec_core.cli", "run", str(plan_file), "-q"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: fit_starts(ckpt) or proc.poll() is not None, "the first job to start")
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=WAIT)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 143, err
    assert "stopped by SIGTERM" in err and "cancelled 3 slurm task(s)" in err and "Traceback" not in err
    first = state(ckpt)
    tasks = [s["attempts"][0]["id"] for s in first]
    assert len(first) == 3 and all("cancelled" in s["attempts"][-1] for s in first)

    def settled() -> dict[str, str] | None:
        rows = subprocess.run(
            ["squeue", "-h", "-r", "-t", "all", "-o", "%i|%T"], capture_output=True, text=True
        )
        queue = dict(line.split("|", 1) for line in rows.stdout.split())
        st = {t: queue.get(t) or queue.get(t.split("_")[0], "?") for t in tasks}
        return None if {"PENDING", "RUNNING", "COMPLETING"} & set(st.values()) else st

    assert set(wait_for(settled, "the tasks to be cancelled").values()) == {"CANCELLED"}
    status = omnirec_cli("status", str(ckpt), cwd=tmp_path).stdout
    assert "3 cancelled" in status and "was cancelled (a re-run submits it again)" in status
    # The re-run does not wait for the cancelled tasks: it submits their jobs again.
    again = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=WAIT)
    assert again.returncode == 0, again.stderr
    (first_file,) = {f for f in (ckpt / "units").glob("*/slurm.json") if f.parent.name in first[0]["spec"]}
    (later,) = [f for f in (ckpt / "units").glob("*/slurm.json") if f != first_file]
    second = json.loads(later.read_text())["subunits"]
    assert second and all(s["spec"].startswith(later.parent.name + "/") for s in second)  # none re-attached


def test_gpu_tasks_no_node_can_hold_fail_without_being_submitted(tmp_path: Path) -> None:
    part, _, _ = node_size()
    ckpt = tmp_path / "ck"
    ex = SlurmExecutor(gpus=2, bundle=4, **FAST)  # the node has one (fake) GPU
    ev = run_plan(ckpt, "mixed", ex)
    assert ev.get_results().empty and len(ev.failures) == 8 and ex.submissions == 0
    for failure in ev.failures:
        assert "could never run on this cluster; not submitted" in failure.error
        assert f"partition {part}: largest node has" in failure.error and "gpus=2" in failure.error
