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
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape

from omnirec_core.data.dataset import RecSysDataSet
from omnirec_core.errors import OmniRecError
from omnirec_core.evaluation.evaluator import Evaluator
from omnirec_core.experiment.plan import ExperimentPlan
from omnirec_core.orchestration.envs import EnvProvider
from omnirec_core.orchestration.events import ClusterState, Event, TrialDone, UnitFailed
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
from omnirec_core.orchestration.planning import (
    dataset_contexts,
    dataset_fingerprints,
    dataset_keys,
    plan_jobs,
    safe_name,
    unique_datasets,
)
from omnirec_core.orchestration.progress import RunProgress
from omnirec_core.orchestration.provenance import write_run_record
from omnirec_core.orchestration.scoring import JobScorer
from omnirec_core.orchestration.search import SearchSpec, plan_searches, read_outcome, search_summary
from omnirec_core.orchestration.units import UnitSpec
from omnirec_core.orchestration.validation import validate_plan, validate_run
from omnirec_core.plugin.specs import AlgorithmSpec, RunnerSpec
from omnirec_core.runner.api import cpu_threads

if TYPE_CHECKING:
    from omnirec_core.orchestration.envs.manager import RunnerEnv

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
        self._unit_search: dict[str, str] = {}  # unit spec path -> search key
        self._unit_errors: dict[str, str] = {}  # search key -> why its unit failed

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
        fingerprints = dataset_fingerprints(ds_list)
        keys = dataset_keys(ds_list, fingerprints)
        ds_list, notes = unique_datasets(ds_list, keys)
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
            self._run(ds_list, keys, config, evaluator, runners, tmp, fingerprints)
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
        keys: dict[int, str],
        plan: ExperimentPlan,
        evaluator: Evaluator,
        runners: dict[str, tuple[RunnerSpec, AlgorithmSpec]],
        tmp: Path,
        fingerprints: dict[int, str],
    ) -> None:
        k = int(evaluator.max_k() or 0)
        need_pairs = bool(evaluator.needs_ratings())
        env_keys = {name: self._env_key(spec) for name, (spec, _) in runners.items()}
        try:
            contexts = dataset_contexts(self.checkpoint_dir, datasets, keys, fingerprints)
        except OmniRecError as exc:
            raise SystemExit(f"omnirec: {exc}") from None
        write_run_record(self, plan, evaluator, contexts)  # what was run, for reports
        labels = {ctx.id: ctx.label for ctx in contexts}
        if plan.selection is None:
            jobs, searches = plan_jobs(contexts, plan, runners, env_keys, k=k, need_pairs=need_pairs), []
        else:
            jobs = []
            searches = plan_searches(
                contexts, plan, plan.selection, runners, env_keys, k=k, need_pairs=need_pairs
            )
        total = len(jobs) + sum(len(s.context["splits"]) for s in searches)
        progress = RunProgress(total=total, quiet=self.quiet)
        scorer = JobScorer(evaluator, labels, self.journal, progress)
        work = _Work()
        with progress:
            for job in jobs:
                if scorer.try_finish(job, need_pairs) == "pending":
                    work.jobs.setdefault(job.algorithm, []).append(job)
            for search in searches:
                if not self._settle_search(search, scorer, need_pairs, final=False):
                    work.searches.append(search)
            if work:
                self._execute(work, runners, scorer, need_pairs, tmp)

    def _settle_search(self, spec: SearchSpec, scorer: JobScorer, need_pairs: bool, *, final: bool) -> bool:
        """Score a finished search's selected jobs and record its trials; False while it has work left.

        ``final``: after the executor ran; whatever is still missing then is a failure.
        """
        outcome = read_outcome(spec)
        if outcome is None or outcome.status == "failed":
            if not final:
                return False
            error = (outcome.error if outcome else "") or self._unit_errors.get(spec.key, "")
            scorer.fail(spec.failure_job(), "search", error or "the search did not finish; see its unit log")
            if outcome is not None:
                scorer.evaluator.results.add_search(
                    search_summary(outcome.record, scorer.labels[spec.ctx.id])
                )
            return True
        states = {}
        for job in outcome.selected:
            if not scorer.settled(job):
                states[job.key] = scorer.try_finish(job, need_pairs)
        if "pending" in states.values() and not final:
            return False
        for job in outcome.selected:
            if states.get(job.key) == "pending":
                rec = read_json(job.path / FAILED_FILE) or {}
                scorer.fail(
                    job, rec.get("phase", "run"), rec.get("error", "the runner did not produce predictions")
                )
        scorer.evaluator.results.add_search(search_summary(outcome.record, scorer.labels[spec.ctx.id]))
        if outcome.stopped:
            self._warn(f"{spec.algorithm} on {spec.ctx.label}: {outcome.stopped}")
        for note in outcome.edges:
            self._warn(note)
        return True

    def _say(self, text: str) -> None:
        Console(stderr=True).print(f"[dim]{text}")

    def _warn(self, text: str) -> None:
        """A notice the user must see, also when quiet."""
        Console(stderr=True, highlight=False).print(f"[yellow]omnirec: {text}")

    def _env_key(self, spec: RunnerSpec) -> str:
        return self.env_manager().key(spec)[:16]

    def _execute(
        self,
        work: _Work,
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
        by_name = {f"{spec.name}.{algo.name}": spec for spec, algo in runners.values()}
        searches: dict[str, SearchSpec] = {}
        envs: dict[str, RunnerEnv | str] = {}  # the env, or why it could not be built

        def env_for(name: str) -> RunnerEnv | str:
            if name not in envs:
                scorer.progress.phase(f"{name}: preparing runner env")
                try:
                    envs[name] = self.env_manager().ensure(by_name[name])
                except OmniRecError as exc:
                    envs[name] = str(exc)
            return envs[name]

        def add_unit(
            name: str, file: str, env: RunnerEnv, jobs: list[Job], search: SearchSpec | None = None
        ) -> None:
            spec = by_name[name]
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
                search=search,
            )
            path = unit_dir / f"{safe_name(file)}.json"
            unit.save(path)
            units.append(path)
            if search is not None:
                self._unit_search[str(path)] = search.key

        for name, jobs in work.jobs.items():
            env = env_for(name)
            if isinstance(env, str):
                for job in jobs:
                    scorer.fail(job, "env", env)
                continue
            add_unit(name, name, env, jobs)
            by_key.update({j.key: j for j in jobs})
        for search in work.searches:
            env = env_for(search.algorithm)
            if isinstance(env, str):
                scorer.fail(search.failure_job(), "env", env)
                continue
            add_unit(search.algorithm, f"{search.algorithm}-search-{search.key}", env, [], search)
            searches[search.key] = search
        if units:
            self._drive(units, by_key, scorer, need_pairs)
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
        for search in searches.values():
            self._settle_search(search, scorer, need_pairs, final=True)

    def _drive(self, units: list[Path], by_key: dict[str, Job], scorer: JobScorer, need_pairs: bool) -> None:
        """Run the units on the executor, handling its events in this thread as they come."""
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
            while True:
                try:
                    # A timed wait: an interrupt raised without a real signal (a thread's
                    # _thread.interrupt_main) is only seen when this thread wakes up.
                    ev = events.get(timeout=0.5)
                except queue.Empty:
                    continue
                if ev is None:
                    break
                self._on_event(ev, by_key, scorer, need_pairs)
        except BaseException:
            self.executor.cancel()
            raise
        thread.join()
        if errors:
            raise errors[0]

    def _on_event(self, ev: Event, by_key: dict[str, Job], scorer: JobScorer, need_pairs: bool) -> None:
        if isinstance(ev, ClusterState):  # where a cluster's tasks are (pending reasons...)
            scorer.progress.cluster(ev)
            return
        if isinstance(ev, UnitFailed):
            scorer.progress.log(f"[red]unit failed: {escape(ev.error)}")
            search = self._unit_search.get(ev.unit) or self._unit_search.get(_parent_unit(ev.unit), "")
            if search:
                self._unit_errors[search] = ev.error
            return
        if isinstance(ev, TrialDone):
            best = "" if ev.best is None else f", best {ev.best:.4f}"
            score = "failed" if ev.score is None else f"{ev.score:.4f}"
            scorer.progress.phase(f"{ev.algorithm} trial {ev.trial + 1}/{ev.budget}: {score}{best}")
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


@dataclass
class _Work:
    """What a run still has to do: jobs by algorithm, and searches."""

    jobs: dict[str, list[Job]] = field(default_factory=dict)
    searches: list[SearchSpec] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.jobs or self.searches)


def _parent_unit(part: str) -> str:
    """The unit spec a cluster part (``<unit>.parts/part-N.json``) belongs to."""
    path = Path(part)
    return str(path.parent.with_suffix(".json")) if path.parent.suffix == ".parts" else part
