"""A unit of work: one runner process serving a list of jobs, described by a spec file.

The same :func:`execute_unit` runs in a coordinator thread (local executor) or on a
cluster node (``omnirec worker run SPEC``). It is idempotent: jobs whose predictions are
already published are skipped, a job whose model is intact is not refitted, and a unit
whose ``done`` record exists returns at once, so requeues are harmless.
"""

from __future__ import annotations

import contextlib
import os
import platform
import resource
import socket
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from omnirec_core.orchestration.events import EventSink, JobEvent
from omnirec_core.orchestration.jobs import (
    FAILED_FILE,
    MODEL_DIR,
    Job,
    fit_done,
    predict_record,
    read_json,
    record_fit,
    write_job_record,
    write_predict_record,
)
from omnirec_core.orchestration.runner_process import RunnerCrashed, RunnerHung, RunnerProcess
from omnirec_core.orchestration.search import Search, SearchSpec
from omnirec_core.orchestration.tls import RunCA
from omnirec_core.runner.fs import atomic_write_json
from omnirec_core.runner.messages import FitMessage, PredictMessage

# Variables of a cluster engine that must not leak into a framework (Ray would try to
# join the engine's cluster); CUDA_VISIBLE_DEVICES is deliberately kept.
STRIP_PREFIXES = ("RAY_",)


@dataclass
class UnitSpec:
    """One runner process's work: which env and worker to start, and the jobs to serve.

    Written as a JSON file by the coordinator (``units/<run>/<algorithm>.json``); cluster
    executors split it into parts of a few jobs each (``parent`` names the unit).
    """

    runner: str
    worker_module: str
    python: str
    jobs: list[Job]
    env_key: str = ""
    env_vars: dict[str, str] = field(default_factory=dict)
    threads: int = 1
    device: str = "cpu"
    parent: str = ""
    #: The run's temporary directory: TLS secrets and the runner's TMPDIR go below it
    #: (the system's when it does not exist where the unit runs, e.g. on a cluster node).
    tmp_dir: str = ""
    #: False for in-place runs (the caller's interpreter): its environment is kept as it is.
    isolated: bool = True
    #: A tuning search (one algorithm on one dataset); its trials replace the job list.
    search: SearchSpec | None = None

    def save(self, path: Path) -> None:
        atomic_write_json(path, asdict(self))

    @classmethod
    def load(cls, path: Path) -> UnitSpec:
        """The spec at ``path``; ``FileNotFoundError`` when missing or unreadable."""
        data = read_json(path)
        if data is None:
            raise FileNotFoundError(f"unit spec {path} is missing or unreadable")
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        search = SearchSpec(**known["search"]) if known.get("search") else None
        return cls(**{**known, "jobs": [Job.from_dict(j) for j in data.get("jobs", [])], "search": search})

    def part(self, jobs: list[Job], parent: str, threads: int) -> UnitSpec:
        """A spec for some of this unit's jobs (a cluster task's share)."""
        return replace(self, jobs=jobs, parent=parent, threads=threads)


def unit_paths(spec_path: Path) -> tuple[Path, Path]:
    """(done record, error record) beside a unit spec."""
    return spec_path.with_suffix(".done.json"), spec_path.with_suffix(".error.json")


def runner_env(spec: UnitSpec, scratch: Path | None = None) -> dict[str, str | None]:
    """Changes to the inherited environment for the runner (``None`` removes a variable).

    An isolated runner sees its env's own packages only (no ``PYTHONPATH``); an in-place
    one keeps the caller's environment. ``scratch`` becomes its ``TMPDIR``.
    """
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith(STRIP_PREFIXES)}
    if spec.isolated:
        env["PYTHONPATH"] = None
    if scratch is not None:
        env["TMPDIR"] = str(scratch)
    threads = str(spec.threads)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[var] = os.environ.get(var, threads)
    env.update(spec.env_vars)
    return env


def _proc_usage(pid: int) -> dict[str, float]:
    """CPU seconds and peak RSS (MiB) of a live process, from /proc (Linux).

    The CPU time includes the process's finished children: frameworks that run inference
    in a process pool (LensKit's batch functions at many users) do their work there.
    """
    out: dict[str, float] = {}
    with contextlib.suppress(OSError, ValueError, IndexError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
        out["cpu_s"] = ticks / os.sysconf("SC_CLK_TCK")
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                out["peak_rss_mib"] = int(line.split()[1]) / 1024
    return out


def _request_fields(job: Job, spec: UnitSpec) -> dict[str, Any]:
    return {
        "algorithm": job.algo,
        "config": job.run_config,
        "seed": job.seed,
        "job_dir": str(job.path / MODEL_DIR),
        "n_users": job.n_users,
        "n_items": job.n_items,
        "feedback": job.feedback,
        "device": spec.device,
        "threads": spec.threads,
        "train": job.data["train"],
        "val": job.data.get("val"),
    }


def fit_message(job: Job, spec: UnitSpec) -> FitMessage:
    """The ``fit`` request for ``job`` (model state goes to its ``model/`` directory)."""
    return FitMessage(**_request_fields(job, spec))


def predict_message(job: Job, spec: UnitSpec) -> PredictMessage:
    """The ``predict`` request for ``job`` (predictions go to its ``predictions/`` directory)."""
    return PredictMessage(
        **_request_fields(job, spec),
        k=job.k,
        exclude_train=job.exclude_train,
        exclude_val=job.exclude_val,
        users=job.users,
        pairs=job.pairs,
        out_dir=str(job.path / job.pred_dir),
    )


class _Runner:
    """Starts the runner lazily and restarts it after a crash."""

    def __init__(self, spec: UnitSpec, ca: RunCA, log_dir: Path, scratch: Path) -> None:
        self.spec, self.ca, self.log_dir, self.scratch = spec, ca, log_dir, scratch
        self.proc: RunnerProcess | None = None
        self.hello: dict[str, Any] = {}
        #: Seconds the serving runner took from spawn to handshake (interpreter, imports, TLS).
        self.start_s = 0.0
        #: Why the runner could not start, when it could not: the same for every job.
        self.start_failure: Exception | None = None

    def get(self) -> RunnerProcess:
        if self.proc is None:
            t0 = time.perf_counter()
            self.proc = RunnerProcess(
                self.spec.runner,
                Path(self.spec.python),
                self.spec.worker_module,
                log_dir=self.log_dir,
                env=runner_env(self.spec, self.scratch),
                cwd=self.log_dir,
                tls=self.ca,
            )
            try:
                self.hello = self.proc.start()
            except Exception as exc:
                self.proc, self.start_failure = None, exc
                raise
            self.start_s = round(time.perf_counter() - t0, 3)
        return self.proc

    def drop(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(Exception):
                self.proc.stop()
            self.proc = None


def _timed_call(
    runner: _Runner, phase: str, body: dict[str, Any], timings: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, float]]:
    """Send one request; record wall, runner CPU and in-handler time of ``phase``."""
    proc = runner.get()
    pid = proc.pid or 0
    before = _proc_usage(pid)
    t0 = time.perf_counter()
    reply = proc.call(phase, body)
    after = _proc_usage(pid)
    timings[f"{phase}_wall_s"] = round(time.perf_counter() - t0, 4)
    timings[f"{phase}_cpu_s"] = round(after.get("cpu_s", 0) - before.get("cpu_s", 0), 4)
    timings[f"{phase}_handler_s"] = round(float(reply.get("info", {}).get("handler_s", 0.0)), 6)
    # Paid once per runner process; every job it serves records it.
    timings["runner_start_s"] = runner.start_s
    return reply, after


def _run_job(job: Job, spec: UnitSpec, runner: _Runner, emit: EventSink) -> None:
    need_pairs = job.pairs is not None
    if (
        predict_record(job.path, job.k, need_pairs, exclude_val=job.exclude_val, record=job.record_file)
        is not None
    ):
        emit(JobEvent(job.key, "predict", "skipped"))
        return
    (job.path / FAILED_FILE).unlink(missing_ok=True)
    timings: dict[str, Any] = (read_json(job.path / "job.json") or {}).get("timings", {})
    host = {"host": socket.gethostname(), "python": platform.python_version()}
    if not fit_done(job.path):
        emit(JobEvent(job.key, "fit", "started"))
        write_job_record(job, status="fitting", **host)
        reply, _ = _timed_call(runner, "fit", fit_message(job, spec).to_body(), timings)
        info = reply.get("info", {})
        record_fit(job.path, {"info": info, "wall_s": timings["fit_wall_s"]})
        device = {k: info[k] for k in ("device_requested", "device", "gpu") if k in info}
        write_job_record(job, status="fitted", timings=timings, versions=runner.hello, device=device)
        emit(JobEvent(job.key, "fit", "done"))
    emit(JobEvent(job.key, "predict", "started"))
    reply, usage = _timed_call(runner, "predict", predict_message(job, spec).to_body(), timings)
    write_predict_record(job.path, job.k, reply, exclude_val=job.exclude_val, record=job.record_file)
    write_job_record(
        job,
        status="predicted" if job.predict_to == "test" else "validated",
        timings=timings,
        peak_rss_mib=usage.get("peak_rss_mib"),
        versions=runner.hello,
    )
    emit(JobEvent(job.key, "predict", "done"))


def _run_trial(job: Job, spec: UnitSpec, runner: _Runner, sink: EventSink) -> None:
    """One trial job of a search: its failure is recorded and raised to the search."""
    job.path.mkdir(parents=True, exist_ok=True)
    try:
        _run_job(job, spec, runner, sink)
    except Exception as exc:
        _record_failure(job, exc, sink)
        if isinstance(exc, (RunnerCrashed, RunnerHung)):
            runner.drop()
        raise


def _record_failure(job: Job, exc: BaseException, sink: EventSink, *, phase: str = "") -> None:
    """Write ``failed.json`` and the job record, and report the failure."""
    job.path.mkdir(parents=True, exist_ok=True)
    if not phase:
        phase = "predict" if fit_done(job.path) else "fit"
    record = {
        "phase": phase,
        "error": f"{type(exc).__name__}: {exc}",
        "traceback": getattr(exc, "traceback", "") or "".join(traceback.format_exception(exc)),
        "time": time.time(),
    }
    atomic_write_json(job.path / FAILED_FILE, record)
    write_job_record(job, status="failed", error=record["error"])
    sink(JobEvent(job.key, phase, "failed", str(record["error"])))


def execute_unit(spec_path: Path, emit: EventSink | None = None, engine_job_id: str = "") -> dict[str, Any]:
    """Run every job of a unit spec; return (and write) its ``done`` record."""
    spec_path = Path(spec_path)
    done_path, error_path = unit_paths(spec_path)
    done = read_json(done_path)
    if done is not None:
        return done
    spec = UnitSpec.load(spec_path)
    sink: EventSink = emit or (lambda e: None)
    log_dir = spec_path.parent / spec_path.stem
    log_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    failed: list[str] = []
    base = Path(spec.tmp_dir) if spec.tmp_dir and Path(spec.tmp_dir).is_dir() else None
    with (
        tempfile.TemporaryDirectory(prefix="omnirec-scratch-", dir=base) as scratch,
        RunCA(base_dir=base) as ca,
    ):
        runner = _Runner(spec, ca, log_dir, Path(scratch))
        jobs = list(spec.jobs)
        try:
            if spec.search is not None:
                outcome = Search(spec.search, lambda job: _run_trial(job, spec, runner, sink), sink).run(
                    lambda: runner.start_failure
                )
                if outcome.status == "failed":
                    failed.append(spec.search.key)
                jobs += outcome.selected
            for n, job in enumerate(jobs):
                job.path.mkdir(parents=True, exist_ok=True)
                try:
                    _run_job(job, spec, runner, sink)
                except Exception as exc:
                    _record_failure(job, exc, sink)
                    failed.append(job.key)
                    if runner.start_failure is not None:
                        # A runner that cannot start will not start for the next job either.
                        for rest in jobs[n + 1 :]:
                            _record_failure(rest, runner.start_failure, sink, phase="start")
                            failed.append(rest.key)
                        break
                    if isinstance(exc, (RunnerCrashed, RunnerHung)):
                        runner.drop()
        finally:
            runner.drop()
    record = {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "engine_job_id": engine_job_id,
        "started": t0,
        "finished": time.time(),
        "failed_jobs": failed,
        "versions": runner.hello,
        "peak_rss_self_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    atomic_write_json(done_path, record)
    error_path.unlink(missing_ok=True)
    return record
