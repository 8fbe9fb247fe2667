"""The Coordinator: validate, plan jobs, hand units to an executor, evaluate, resume.

Everything the coordinator learns is written into the checkpoint tree first; the
results it returns are derived from those files, so an interrupted run loses at most
the phase in flight and a re-run skips whatever is already done.
"""

from __future__ import annotations

import os
import queue
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable
from os import PathLike
from pathlib import Path
from typing import Any

from rich.console import Console

from omnirec_core.data.dataset import RecSysDataSet
from omnirec_core.errors import OmniRecError
from omnirec_core.evaluation.evaluator import Evaluator
from omnirec_core.experiment.plan import ExperimentPlan
from omnirec_core.orchestration.envs import EnvProvider
from omnirec_core.orchestration.events import Event, UnitFailed
from omnirec_core.orchestration.executors.base import Executor
from omnirec_core.orchestration.executors.local import LocalExecutor
from omnirec_core.orchestration.jobs import (
    FAILED_FILE,
    Job,
    read_json,
)
from omnirec_core.orchestration.journal import (
    CheckpointLock,
    Journal,
    check_checkpoint_dir,
    describe_os_error,
)
from omnirec_core.orchestration.planning import plan_jobs, safe_name, unique_datasets
from omnirec_core.orchestration.progress import RunProgress
from omnirec_core.orchestration.scoring import JobScorer
from omnirec_core.orchestration.units import UnitSpec
from omnirec_core.orchestration.validation import validate_plan, validate_run
from omnirec_core.plugin.specs import AlgorithmSpec, RunnerSpec
from omnirec_core.runner.api import cpu_threads

#: Set to "none" to run every runner on the current interpreter (plugin development).
ISOLATION_ENV = "OMNIREC_RUNNER_ISOLATION"


class Coordinator:
    """Run experiment plans on split datasets, each framework in its own runner env.

    ``checkpoint_dir`` keeps models, predictions, metrics and the journal; ``tmp_dir`` holds
    temporary files (a private temporary directory, removed at the end, when ``None``).
    """

    def __init__(
        self,
        checkpoint_dir: PathLike[str] | str = Path("./checkpoints"),
        tmp_dir: PathLike[str] | str | None = None,
        *,
        executor: Executor | None = None,
        max_workers: int = 1,
        env_manager: EnvProvider | None = None,
        device: str = "cpu",
        threads: int | None = None,
        quiet: bool = False,
    ) -> None:
        # Absolute: runner processes work in other directories.
        self.checkpoint_dir = Path(checkpoint_dir).absolute()
        try:
            check_checkpoint_dir(self.checkpoint_dir)
        except OmniRecError as exc:
            raise SystemExit(f"omnirec: {exc}") from None
        self.tmp_dir = Path(tmp_dir).absolute() if tmp_dir is not None else None
        self.max_workers = max_workers
        self.executor: Executor = executor or LocalExecutor(max_workers)
        self._env_manager = env_manager
        self.device = device
        self.threads = threads or max(1, cpu_threads() // max_workers)
        self.quiet = quiet
        self.journal = Journal(self.checkpoint_dir)

    # ---- public API -----------------------------------------------------------------
    def validate(self, plan: ExperimentPlan, evaluator: Evaluator) -> None:
        """Check the plan and metrics before any data is loaded (``SystemExit`` on a problem)."""
        try:
            validate_plan(plan, evaluator)
        except OmniRecError as exc:
            raise SystemExit(f"omnirec: {exc}") from None

    def run(
        self,
        datasets: RecSysDataSet[Any] | Iterable[RecSysDataSet[Any]],
        config: ExperimentPlan,
        evaluator: Evaluator,
    ) -> Evaluator:
        """Run every dataset x algorithm x config x fold; return ``evaluator`` filled with results.

        Raises ``SystemExit`` with one clear message when the request cannot work.
        """
        ds_list = [datasets] if isinstance(datasets, RecSysDataSet) else list(datasets)
        try:
            runners = validate_run(ds_list, config, evaluator)
        except OmniRecError as exc:
            raise SystemExit(f"omnirec: {exc}") from None
        ds_list, notes = unique_datasets(ds_list)
        for note in notes:
            self._warn(note)
        lock = CheckpointLock(self.checkpoint_dir)
        try:
            lock.acquire()
        except OmniRecError as exc:
            raise SystemExit(f"omnirec: {exc}") from None
        try:
            tmp = self._make_tmp()
        except OSError as exc:
            lock.release()
            raise SystemExit(
                f"omnirec: {describe_os_error(exc, 'creating the temporary directory')}"
            ) from None
        try:
            self._run(ds_list, config, evaluator, runners, tmp)
        except OSError as exc:  # a full disk, a file system gone read-only...
            raise SystemExit(f"omnirec: {describe_os_error(exc, 'writing')}") from None
        finally:
            lock.release()
            shutil.rmtree(tmp, ignore_errors=True)  # this run's own directory; tmp_dir itself stays
        return evaluator

    def _make_tmp(self) -> Path:
        """This run's temporary directory, inside ``tmp_dir`` (created if needed) or the system's."""
        if self.tmp_dir is not None:
            self.tmp_dir.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="omnirec-run-", dir=self.tmp_dir))

    # ---- the run ----------------------------------------------------------------------
    def env_manager(self) -> EnvProvider:
        if self._env_manager is None:
            if os.environ.get(ISOLATION_ENV, "").lower() == "none":
                from omnirec_core.orchestration.envs.inplace import CurrentInterpreter

                self._env_manager = CurrentInterpreter()
            else:
                from omnirec_core.orchestration.envs.manager import EnvManager

                self._env_manager = EnvManager(progress=None if self.quiet else self._say)
        return self._env_manager

    def _run(
        self,
        datasets: list[RecSysDataSet[Any]],
        plan: ExperimentPlan,
        evaluator: Evaluator,
        runners: dict[str, tuple[RunnerSpec, AlgorithmSpec]],
        tmp: Path,
    ) -> None:
        k = int(evaluator.max_k() or 0)
        need_pairs = bool(evaluator.needs_ratings())
        env_keys = {name: self._env_key(spec) for name, (spec, _) in runners.items()}
        planned = plan_jobs(
            self.checkpoint_dir, datasets, plan, runners, env_keys, k=k, need_pairs=need_pairs
        )
        jobs = planned.jobs
        progress = RunProgress(total=len(jobs), quiet=self.quiet)
        scorer = JobScorer(evaluator, planned.labels, self.journal, progress)
        pending: dict[str, list[Job]] = {}
        with progress:
            for job in jobs:
                state = scorer.try_finish(job, need_pairs)
                if state == "pending":
                    pending.setdefault(job.algorithm, []).append(job)
            if pending:
                self._execute(pending, runners, scorer, need_pairs, tmp)

    def _say(self, text: str) -> None:
        Console(stderr=True).print(f"[dim]{text}")

    def _warn(self, text: str) -> None:
        """A notice the user must see, also when quiet."""
        Console(stderr=True, highlight=False).print(f"[yellow]omnirec: {text}")

    def _env_key(self, spec: RunnerSpec) -> str:
        return self.env_manager().key(spec)[:16]

    def _execute(
        self,
        pending: dict[str, list[Job]],
        runners: dict[str, tuple[RunnerSpec, AlgorithmSpec]],
        scorer: JobScorer,
        need_pairs: bool,
        tmp: Path,
    ) -> None:
        # Unique per run, even for two runs of one process within a second: a unit's done
        # record must never be mistaken for this run's.
        run_id = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        unit_dir = self.checkpoint_dir / "units" / run_id
        units: list[Path] = []
        by_key: dict[str, Job] = {}
        by_name = {f"{spec.name}.{algo.name}": (spec, algo) for spec, algo in runners.values()}
        for name, jobs in pending.items():
            spec, _ = by_name[name]
            scorer.progress.phase(f"{name}: preparing runner env")
            try:
                env = self.env_manager().ensure(spec)
            except OmniRecError as exc:
                for job in jobs:
                    scorer.fail(job, "env", str(exc))
                continue
            unit = UnitSpec(
                runner=spec.name,
                worker_module=spec.worker_module,
                python=str(env.python),
                env_key=env.key,
                env_vars=dict(spec.env_vars),
                threads=self.threads,
                device=self.device,
                jobs=jobs,
                tmp_dir=str(tmp),
                isolated=self.env_manager().isolated,
            )
            path = unit_dir / f"{safe_name(name)}.json"
            unit.save(path)
            units.append(path)
            by_key.update({j.key: j for j in jobs})
        if not units:
            return
        events: queue.Queue[Event | None] = queue.Queue()
        errors: list[BaseException] = []

        def drive() -> None:
            try:
                self.executor.run(units, events.put)
            except BaseException as exc:  # surfaced in the main thread
                errors.append(exc)
            finally:
                events.put(None)  # the end

        thread = threading.Thread(target=drive, name="omnirec-executor", daemon=True)
        thread.start()
        try:
            while (ev := events.get()) is not None:
                self._on_event(ev, by_key, scorer, need_pairs)
        except BaseException:
            self.executor.cancel()
            raise
        thread.join()
        if errors:
            raise errors[0]
        # Anything the events did not cover (e.g. a unit that died as a whole) is settled from disk.
        for job in by_key.values():
            if not scorer.settled(job):
                state = scorer.try_finish(job, need_pairs)
                if state == "pending":
                    rec = read_json(job.path / FAILED_FILE) or {}
                    scorer.fail(
                        job,
                        rec.get("phase", "run"),
                        rec.get("error", "the runner did not produce predictions"),
                    )

    def _on_event(self, ev: Event, by_key: dict[str, Job], scorer: JobScorer, need_pairs: bool) -> None:
        if isinstance(ev, UnitFailed):
            scorer.progress.log(f"[red]unit failed: {ev.error}")
            return
        job = by_key.get(ev.job)
        if job is None:
            return
        if ev.event in ("started", "done", "failed"):
            self.journal.append(job.key, ev.phase, ev.event, **({"error": ev.error} if ev.error else {}))
        if ev.event == "started":
            scorer.progress.phase(
                f"{job.algorithm} {ev.phase} ({job.dataset}{'' if job.fold is None else f', fold {job.fold}'})"
            )
        elif ev.event == "failed":
            scorer.fail(job, ev.phase, ev.error, journal=False)
        elif ev.phase == "predict" and ev.event in ("done", "skipped"):
            scorer.try_finish(job, need_pairs)
