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
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from omnirec_core.orchestration.jobs import (
    FAILED_FILE,
    MODEL_DIR,
    PRED_DIR,
    Job,
    fit_done,
    predict_record,
    read_json,
    record_fit,
    write_job_record,
    write_predict_record,
)
from omnirec_core.runner.fs import atomic_write_json
from omnirec_core.runner.messages import FitMessage, PredictMessage

Event = dict[str, Any]
EventSink = Callable[[Event], None]

# Variables of a cluster engine that must not leak into a framework (Ray would try to
# join the engine's cluster); CUDA_VISIBLE_DEVICES is deliberately kept.
STRIP_PREFIXES = ("RAY_",)


def unit_paths(spec_path: Path) -> tuple[Path, Path]:
    """(done record, error record) beside a unit spec."""
    return spec_path.with_suffix(".done.json"), spec_path.with_suffix(".error.json")


def runner_env(spec: dict[str, Any]) -> dict[str, str | None]:
    """Changes to the inherited environment for the runner (``None`` removes a variable)."""
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith(STRIP_PREFIXES)}
    env["PYTHONPATH"] = None  # the runner env's own packages only
    threads = str(spec.get("threads", 1))
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[var] = os.environ.get(var, threads)
    env.update(spec.get("env_vars") or {})
    return env


def _proc_usage(pid: int) -> dict[str, float]:
    """CPU seconds and peak RSS (MiB) of a live process, from /proc (Linux)."""
    out: dict[str, float] = {}
    with contextlib.suppress(OSError, ValueError, IndexError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        out["cpu_s"] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                out["peak_rss_mib"] = int(line.split()[1]) / 1024
    return out


def _request_fields(job: Job, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "algorithm": job.algo,
        "config": job.config,
        "seed": job.seed,
        "job_dir": str(job.path / MODEL_DIR),
        "n_users": job.n_users,
        "n_items": job.n_items,
        "feedback": job.feedback,
        "device": spec.get("device", "cpu"),
        "threads": int(spec.get("threads", 1)),
        "train": job.data["train"],
        "val": job.data.get("val"),
    }


def fit_message(job: Job, spec: dict[str, Any]) -> FitMessage:
    """The ``fit`` request for ``job`` (model state goes to its ``model/`` directory)."""
    return FitMessage(**_request_fields(job, spec))


def predict_message(job: Job, spec: dict[str, Any]) -> PredictMessage:
    """The ``predict`` request for ``job`` (predictions go to its ``predictions/`` directory)."""
    return PredictMessage(
        **_request_fields(job, spec),
        k=job.k,
        exclude_train=job.exclude_train,
        users=job.users,
        pairs=job.pairs,
        out_dir=str(job.path / PRED_DIR),
    )


class _Runner:
    """Starts the runner lazily and restarts it after a crash."""

    def __init__(self, spec: dict[str, Any], ca: Any, log_dir: Path) -> None:
        self.spec, self.ca, self.log_dir = spec, ca, log_dir
        self.proc: Any = None
        self.hello: dict[str, Any] = {}

    def get(self) -> Any:
        from omnirec_core.orchestration.runner_process import RunnerProcess

        if self.proc is None:
            self.proc = RunnerProcess(
                self.spec["runner"],
                Path(self.spec["python"]),
                self.spec["worker_module"],
                log_dir=self.log_dir,
                env=runner_env(self.spec),
                cwd=self.log_dir,
                tls=self.ca,
            )
            self.hello = self.proc.start()
        return self.proc

    def drop(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(Exception):
                self.proc.stop()
            self.proc = None


def _timed_call(
    runner: _Runner, phase: str, body: dict[str, Any], timings: dict[str, Any]
) -> tuple[dict, dict]:
    """Send one request; record wall, runner CPU and in-handler time of ``phase``."""
    proc = runner.get()
    before = _proc_usage(proc.pid)
    t0 = time.perf_counter()
    reply = proc.call(phase, body)
    after = _proc_usage(proc.pid)
    timings[f"{phase}_wall_s"] = round(time.perf_counter() - t0, 4)
    timings[f"{phase}_cpu_s"] = round(after.get("cpu_s", 0) - before.get("cpu_s", 0), 4)
    timings[f"{phase}_handler_s"] = round(float(reply.get("info", {}).get("handler_s", 0.0)), 6)
    return reply, after


def _run_job(job: Job, spec: dict[str, Any], runner: _Runner, emit: EventSink) -> None:
    need_pairs = job.pairs is not None
    if predict_record(job.path, job.k, need_pairs) is not None:
        emit({"job": job.key, "phase": "predict", "event": "skipped"})
        return
    (job.path / FAILED_FILE).unlink(missing_ok=True)
    timings: dict[str, Any] = (read_json(job.path / "job.json") or {}).get("timings", {})
    host = {"host": socket.gethostname(), "python": platform.python_version()}
    if not fit_done(job.path):
        emit({"job": job.key, "phase": "fit", "event": "started"})
        write_job_record(job, status="fitting", **host)
        reply, _ = _timed_call(runner, "fit", fit_message(job, spec).to_body(), timings)
        record_fit(job.path, {"info": reply.get("info", {}), "wall_s": timings["fit_wall_s"]})
        write_job_record(job, status="fitted", timings=timings, versions=runner.hello)
        emit({"job": job.key, "phase": "fit", "event": "done"})
    emit({"job": job.key, "phase": "predict", "event": "started"})
    reply, usage = _timed_call(runner, "predict", predict_message(job, spec).to_body(), timings)
    write_predict_record(job.path, job.k, reply)
    write_job_record(
        job,
        status="predicted",
        timings=timings,
        peak_rss_mib=usage.get("peak_rss_mib"),
        versions=runner.hello,
    )
    emit({"job": job.key, "phase": "predict", "event": "done"})


def execute_unit(spec_path: Path, emit: EventSink | None = None, engine_job_id: str = "") -> dict[str, Any]:
    """Run every job of a unit spec; return (and write) its ``done`` record."""
    from omnirec_core.orchestration.runner_process import RunnerCrashed, RunnerHung
    from omnirec_core.orchestration.tls import RunCA

    spec_path = Path(spec_path)
    done_path, error_path = unit_paths(spec_path)
    done = read_json(done_path)
    if done is not None:
        return done
    spec = read_json(spec_path)
    if spec is None:
        raise FileNotFoundError(f"unit spec {spec_path} is missing or unreadable")
    sink: EventSink = emit or (lambda e: None)
    log_dir = spec_path.parent / spec_path.stem
    log_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    failed: list[str] = []
    with RunCA() as ca:
        runner = _Runner(spec, ca, log_dir)
        try:
            for raw in spec["jobs"]:
                job = Job.from_dict(raw)
                job.path.mkdir(parents=True, exist_ok=True)
                try:
                    _run_job(job, spec, runner, sink)
                except Exception as exc:
                    crashed = isinstance(exc, (RunnerCrashed, RunnerHung))
                    phase = "predict" if fit_done(job.path) else "fit"
                    record = {
                        "phase": phase,
                        "error": f"{type(exc).__name__}: {exc}",
                        "traceback": getattr(exc, "traceback", "") or traceback.format_exc(),
                        "time": time.time(),
                    }
                    atomic_write_json(job.path / FAILED_FILE, record)
                    write_job_record(job, status="failed", error=record["error"])
                    failed.append(job.key)
                    sink({"job": job.key, "phase": phase, "event": "failed", "error": record["error"]})
                    if crashed:
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
