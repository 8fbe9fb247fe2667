"""The Coordinator: validate, plan jobs, hand units to an executor, evaluate, resume.

Everything the coordinator learns is written into the checkpoint tree first; the
results it returns are derived from those files, so an interrupted run loses at most
the phase in flight and a re-run skips whatever is already done.
"""

from __future__ import annotations

import difflib
import os
import queue
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from omnirec_core.data.dataset import FoldedData, RecSysDataSet, SplitData
from omnirec_core.errors import OmniRecError
from omnirec_core.experiment.plan import ExperimentPlan, config_key
from omnirec_core.orchestration.envs import EnvProvider
from omnirec_core.orchestration.events import Event, UnitFailed
from omnirec_core.orchestration.executors.base import Executor
from omnirec_core.orchestration.executors.local import LocalExecutor
from omnirec_core.orchestration.jobs import (
    FAILED_FILE,
    Job,
    read_json,
    rebase,
    short_hash,
)
from omnirec_core.orchestration.journal import CheckpointLock, Journal
from omnirec_core.orchestration.progress import RunProgress
from omnirec_core.orchestration.scoring import JobScorer
from omnirec_core.orchestration.units import UnitSpec
from omnirec_core.plugin.specs import AlgorithmSpec, RunnerSpec
from omnirec_core.random import get_random_state, label_seed
from omnirec_core.runner.api import cpu_threads
from omnirec_core.runner.columns import read_columns, write_columns
from omnirec_core.runner.fs import atomic_write_json

#: Set to "none" to run every runner on the current interpreter (plugin development).
ISOLATION_ENV = "OMNIREC_RUNNER_ISOLATION"


class ValidationError(OmniRecError):
    """The run request cannot work; nothing was started."""


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.+-]+", "_", name) or "dataset"


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
        self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        self.tmp_dir = Path(tmp_dir).absolute() if tmp_dir is not None else None
        self.max_workers = max_workers
        self.executor: Executor = executor or LocalExecutor(max_workers)
        self._env_manager = env_manager
        self.device = device
        self.threads = threads or max(1, cpu_threads() // max_workers)
        self.quiet = quiet
        self.journal = Journal(self.checkpoint_dir)

    # ---- public API -----------------------------------------------------------------
    def run(
        self,
        datasets: RecSysDataSet[Any] | Iterable[RecSysDataSet[Any]],
        config: ExperimentPlan,
        evaluator: Any,
    ) -> Any:
        """Run every dataset x algorithm x config x fold; return ``evaluator`` filled with results.

        Raises ``SystemExit`` with one clear message when the request cannot work.
        """
        ds_list = [datasets] if isinstance(datasets, RecSysDataSet) else list(datasets)
        try:
            runners = self._validate(ds_list, config, evaluator)
        except OmniRecError as exc:
            raise SystemExit(f"omnirec: {exc}") from None
        lock = CheckpointLock(self.checkpoint_dir)
        try:
            lock.acquire()
        except OmniRecError as exc:
            raise SystemExit(f"omnirec: {exc}") from None
        own_tmp = self.tmp_dir is None
        tmp = Path(tempfile.mkdtemp(prefix="omnirec-")) if own_tmp else self.tmp_dir
        assert tmp is not None
        tmp.mkdir(parents=True, exist_ok=True)
        try:
            self._run(ds_list, config, evaluator, runners, tmp)
        finally:
            lock.release()
            if own_tmp:
                shutil.rmtree(tmp, ignore_errors=True)
        return evaluator

    # ---- validation -----------------------------------------------------------------
    def _validate(
        self, datasets: list[RecSysDataSet[Any]], plan: ExperimentPlan, evaluator: Any
    ) -> dict[str, tuple[RunnerSpec, AlgorithmSpec]]:
        from omnirec_core.plugin.manager import get_runner

        if not isinstance(plan, ExperimentPlan):
            raise ValidationError(f"config must be an ExperimentPlan, got {type(plan).__name__}")
        if plan.is_empty():
            raise ValidationError(
                "the experiment plan is empty: add algorithms with plan.add_algorithm('Runner.Algorithm')"
            )
        if not datasets:
            raise ValidationError("no dataset given: pass a split RecSysDataSet (or a list of them)")
        if not getattr(evaluator, "metrics", None):
            raise ValidationError("the evaluator has no metrics: e.g. Evaluator(NDCG([10]), Recall([10]))")
        for ds in datasets:
            if not isinstance(ds, RecSysDataSet):
                raise ValidationError(f"expected RecSysDataSet objects, got {type(ds).__name__}")
            if not isinstance(ds.data, (SplitData, FoldedData)):
                raise ValidationError(
                    f"dataset {ds.name!r} is not split: finish its preprocessing with a splitter, "
                    "e.g. Pipe(MakeImplicit(3), UserHoldout(0.2)).process(dataset)"
                )
            if isinstance(ds.data, FoldedData) and not ds.data.folds:
                raise ValidationError(f"dataset {ds.name!r} has no folds")
        needs_ratings = bool(evaluator.needs_ratings())
        needs_topk = bool(evaluator.needs_topk())
        resolved: dict[str, tuple[RunnerSpec, AlgorithmSpec]] = {}
        for name in plan.algorithms:
            runner_name, algo_name = name.split(".", 1)
            runner = get_runner(runner_name)
            algo = runner.algorithm(algo_name)
            if algo is None:
                names = [a.name for a in runner.algorithms]
                close = difflib.get_close_matches(algo_name, names, n=3)
                hint = f" Did you mean {', '.join(f'{runner.name}.{c}' for c in close)}?" if close else ""
                raise ValidationError(
                    f"runner {runner.name} has no algorithm {algo_name!r}.{hint} "
                    f"Available: {', '.join(names)}."
                )
            full = f"{runner.name}.{algo.name}"
            if algo.unavailable:
                raise ValidationError(f"{full} cannot run here: {algo.unavailable}")
            for ds in datasets:
                if ds.feedback not in algo.feedback:
                    fix = (
                        " Add MakeImplicit(threshold) to the preprocessing."
                        if ds.feedback == "explicit"
                        else ""
                    )
                    raise ValidationError(
                        f"{full} supports {'/'.join(algo.feedback)} feedback, but dataset {ds.name!r} "
                        f"is {ds.feedback}.{fix}"
                    )
                if needs_ratings and ds.feedback != "explicit":
                    raise ValidationError(
                        f"rating metrics (RMSE/MAE) need explicit ratings, but dataset {ds.name!r} is implicit; "
                        "drop those metrics or the MakeImplicit step"
                    )
            if needs_ratings and "rating" not in algo.predictions:
                raise ValidationError(
                    f"{full} cannot predict ratings, so RMSE/MAE cannot score it; remove those metrics or the algorithm"
                )
            if needs_topk and "topk" not in algo.predictions:
                raise ValidationError(f"{full} produces no ranked lists, so ranking metrics cannot score it")
            if algo.param_names is not None:
                for cfg in plan.expand(name):
                    unknown = sorted(set(cfg) - set(algo.param_names))
                    if unknown:
                        close = difflib.get_close_matches(unknown[0], list(algo.param_names), n=1)
                        hint = f" Did you mean {close[0]!r}?" if close else ""
                        raise ValidationError(
                            f"{full} does not accept config key(s) {', '.join(map(repr, unknown))}.{hint} "
                            f"Valid keys: {', '.join(algo.param_names) or 'none'}."
                        )
            resolved[name] = (runner, algo)
        return resolved

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
        evaluator: Any,
        runners: dict[str, tuple[RunnerSpec, AlgorithmSpec]],
        tmp: Path,
    ) -> None:
        k = int(evaluator.max_k() or 0)
        need_pairs = bool(evaluator.needs_ratings())
        jobs: list[Job] = []
        labels: dict[str, str] = {}
        env_keys = {name: self._env_key(spec) for name, (spec, _) in runners.items()}
        for ds in datasets:
            ds_key = short_hash(ds.fingerprint(), ds.lineage, get_random_state())
            ds_dir = self.checkpoint_dir / f"{_safe(ds.name)}-{ds_key}"
            splits = [ds.data] if isinstance(ds.data, SplitData) else list(ds.data.folds)
            folded = isinstance(ds.data, FoldedData)
            split_descs = [
                self._write_split(ds_dir / "splits" / f"fold_{i}", s) for i, s in enumerate(splits)
            ]
            labels[ds_key] = f"{ds.name}-{ds_key}"
            for name in plan.algorithms:
                for cfg in plan.expand(name):
                    ck = config_key(cfg)
                    job_hash = short_hash(ds_key, name, ck, get_random_state(), env_keys[name])
                    base = ds_dir / f"{name}-{job_hash}"
                    for i, desc in enumerate(split_descs):
                        fold = i if folded else None
                        jobs.append(
                            Job(
                                key=f"{ds_key}/{name}-{job_hash}" + (f"/fold_{i}" if folded else ""),
                                dataset=ds.name,
                                dataset_key=ds_key,
                                algorithm=name,
                                config=cfg,
                                fold=fold,
                                # 31 bits: every framework accepts it (numpy legacy seeding stops at 2**32).
                                seed=label_seed("job", ds_key, name, ck, fold) & 0x7FFFFFFF,
                                job_dir=str(base / f"fold_{i}" if folded else base),
                                n_users=ds.n_users,
                                n_items=ds.n_items,
                                feedback=ds.feedback,
                                data={"train": desc["train"], "val": desc.get("val")},
                                users=desc["users"] if k > 0 else None,
                                pairs=desc["pairs"] if need_pairs else None,
                                k=k,
                                env_key=env_keys[name],
                                extra={"split_dir": desc["dir"]},
                            )
                        )
        progress = RunProgress(total=len(jobs), quiet=self.quiet)
        scorer = JobScorer(evaluator, labels, self.journal, progress)
        pending: dict[str, list[Job]] = {}
        with progress:
            for job in jobs:
                state = scorer.try_finish(job, need_pairs)
                if state == "pending":
                    pending.setdefault(job.algorithm, []).append(job)
            if pending:
                self._execute(pending, runners, scorer, need_pairs, tmp)

    def _say(self, text: str) -> None:
        from rich.console import Console

        Console(stderr=True).print(f"[dim]{text}")

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
        for name, jobs in pending.items():
            spec, _ = runners[name]
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
            )
            path = unit_dir / f"{_safe(name)}.json"
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

    # ---- split files --------------------------------------------------------------------
    def _write_split(self, directory: Path, split: SplitData) -> dict[str, Any]:
        """Write a split's columns once (reused by every job); return absolute descriptions."""
        parts = ("train", "val", "test", "users", "pairs")
        rec = read_json(directory / "split.json")
        if rec is not None:
            try:
                absolute = {p: rebase(rec.get(p), directory, relative=False) for p in parts}
                for desc in absolute.values():
                    if desc:
                        read_columns(desc, verify=False, mmap=True)
                return {"dir": str(directory), **absolute}
            except (ValueError, KeyError, OSError):
                pass  # rewritten below
        if len(split.train) == 0 or len(split.test) == 0:
            empty = "train" if len(split.train) == 0 else "test"
            raise SystemExit(f"omnirec: a split has an empty {empty} part; check the splitter parameters")
        desc: dict[str, Any] = {p: None for p in parts}
        for part, df in split.parts().items():
            desc[part] = write_columns(directory / part, {c: df[c].to_numpy() for c in df.columns})
        test = split.test
        desc["users"] = write_columns(directory / "users", {"user": np.unique(test["user"].to_numpy())})
        desc["pairs"] = write_columns(
            directory / "pairs", {"user": test["user"].to_numpy(), "item": test["item"].to_numpy()}
        )
        atomic_write_json(
            directory / "split.json", {p: rebase(d, directory, relative=True) for p, d in desc.items()}
        )
        return {"dir": str(directory), **desc}
