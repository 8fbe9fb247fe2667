"""Tuning: one algorithm's search on one dataset, run where its runner runs.

A search is one unit of work: the runner process serves every trial, and the executor
places it like any unit (locally, on Slurm, on Ray). Trial ``i`` is proposed by the
sampler from the trials before it, fitted on the training part of each fold (the
validation part is the framework's early-stopping data, as in a plain run), asked for
the validation users' top-K lists (their training items excluded) and scored with the
selection metric; the configuration with the best mean validation score over the folds
wins (ties: the earliest trial). Then the winner is tested: its trial models rank the
test users (``refit=False``), or it is trained again on train and validation and tested
(``refit=True``); the coordinator scores those test lists like any job's.

Every trial is a job of the checkpoint tree with its own content key, and its validation
score is recorded in its ``job.json`` with the hash of the lists it came from, so a
resumed or extended search re-proposes the same trials and finds them done.
``search.json`` in the search's directory records the trials and the outcome.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from omnirec_core.errors import OmniRecError
from omnirec_core.evaluation.searches import SearchSummary
from omnirec_core.experiment.plan import ExperimentPlan
from omnirec_core.experiment.runfile import build_evaluator
from omnirec_core.experiment.samplers import Trial, make_sampler, split_space
from omnirec_core.experiment.selection import Selection
from omnirec_core.experiment.spaces import LogUniform, decode_space, encode_space
from omnirec_core.orchestration.events import EventSink, TrialDone
from omnirec_core.orchestration.jobs import (
    FAILED_FILE,
    JOB_FILE,
    VALIDATION_FILE,
    Job,
    predict_record,
    prediction_source,
    read_json,
    short_hash,
    write_job_record,
)
from omnirec_core.orchestration.planning import DatasetContext, make_job
from omnirec_core.plugin.specs import AlgorithmSpec, RunnerSpec
from omnirec_core.random import get_random_state
from omnirec_core.runner.columns import read_columns
from omnirec_core.runner.fs import atomic_write_json

SEARCH_FILE = "search.json"
#: Share of a range within which the selected value counts as being on its edge.
EDGE = 0.01


@dataclass
class SearchSpec:
    """Everything a search needs, written into its unit spec (it may run on another node)."""

    key: str
    algorithm: str
    context: dict[str, Any]  # a DatasetContext
    env_key: str
    defaults: dict[str, Any]
    constants: dict[str, Any]
    space: dict[str, Any]  # plan-file tables
    sampler: str
    budget: int
    time_budget: float | None
    metric: str
    maximize: bool
    refit: bool
    seed: int
    k: int
    need_pairs: bool
    rating: bool = False  # the selection metric scores ratings, not ranked lists

    @property
    def ctx(self) -> DatasetContext:
        return DatasetContext(**self.context)

    @property
    def dir(self) -> Path:
        return Path(self.context["dir"]) / f"{self.algorithm}-search-{self.key}"

    @property
    def record(self) -> Path:
        return self.dir / SEARCH_FILE

    def failure_job(self) -> Job:
        """A stand-in job for the search as a whole (its records live in the search's directory)."""
        ctx = self.ctx
        return Job(
            key=f"{ctx.id}/{self.algorithm}-search-{self.key}",
            dataset=ctx.name,
            dataset_key=ctx.key,
            algorithm=self.algorithm,
            config=dict(self.constants),
            fold=None,
            seed=0,
            job_dir=str(self.dir),
            n_users=ctx.n_users,
            n_items=ctx.n_items,
            feedback=ctx.feedback,
            data={},
            users=None,
            pairs=None,
            k=self.k,
            env_key=self.env_key,
        )


@dataclass
class Outcome:
    """What ``search.json`` holds once a search has run."""

    status: str  # done | failed
    trials: list[dict[str, Any]] = field(default_factory=list)
    best: int | None = None
    selected: list[Job] = field(default_factory=list)
    edges: list[str] = field(default_factory=list)
    stopped: str = ""
    error: str = ""
    record: dict[str, Any] = field(default_factory=dict)  # search.json as written


def search_summary(rec: dict[str, Any], label: str) -> SearchSummary:
    """The results' view of a ``search.json`` record (trial configs with the constants)."""
    constants = rec.get("constants") or {}
    trials = [{**t, "config": {**constants, **(t.get("config") or {})}} for t in rec.get("trials", [])]
    return SearchSummary(
        dataset=label,
        algorithm=str(rec.get("algorithm", "?")),
        metric=str(rec.get("metric", "")),
        sampler=str(rec.get("sampler", "")),
        budget=int(rec.get("budget") or 0),
        trials=trials,
        best=rec.get("best"),
        refit=bool(rec.get("refit", False)),
        status=str(rec.get("status", "")),
        stopped=str(rec.get("stopped") or ""),
        edges=list(rec.get("edges") or []),
        error=str(rec.get("error") or ""),
    )


def plan_searches(
    contexts: list[DatasetContext],
    plan: ExperimentPlan,
    selection: Selection,
    runners: dict[str, tuple[RunnerSpec, AlgorithmSpec]],
    env_keys: dict[str, str],
    *,
    k: int,
    need_pairs: bool,
) -> list[SearchSpec]:
    """One search per dataset and algorithm of the plan."""
    metric = build_evaluator([selection.metric]).metrics[0]
    out = []
    for ctx in contexts:
        for entry in plan.algorithms:
            runner, algo = runners[entry]
            name = f"{runner.name}.{algo.name}"
            space, constants = split_space(plan.search_config(entry, algo.search_space))
            encoded = {key: encode_space(value) for key, value in sorted(space.items())}
            defaults = dict(algo.defaults)
            key = short_hash(
                ctx.key, name, encoded, constants, defaults, selection.sampler, selection.metric,
                selection.refit, get_random_state(), env_keys[entry],
            )  # fmt: skip
            out.append(
                SearchSpec(
                    key=key,
                    algorithm=name,
                    context=asdict(ctx),
                    env_key=env_keys[entry],
                    defaults=defaults,
                    constants=constants,
                    space=encoded,
                    sampler=selection.sampler,
                    budget=selection.budget,
                    time_budget=selection.time_budget,
                    metric=selection.metric,
                    maximize=metric.higher_is_better,
                    refit=selection.refit,
                    seed=get_random_state(),
                    k=k,
                    need_pairs=need_pairs,
                    rating=metric.kind == "rating",
                )
            )
    return out


def read_outcome(spec: SearchSpec) -> Outcome | None:
    """The recorded outcome of this search, if it ran to the end with this budget."""
    rec = read_json(spec.record)
    if rec is None or rec.get("key") != spec.key or rec.get("status") not in ("done", "failed"):
        return None
    if rec.get("budget") != spec.budget or rec.get("time_budget") != spec.time_budget:
        return None
    return Outcome(
        status=rec["status"],
        trials=rec.get("trials", []),
        best=rec.get("best"),
        selected=[Job.from_dict(j) for j in rec.get("selected", [])],
        edges=rec.get("edges", []),
        stopped=rec.get("stopped", ""),
        error=rec.get("error", ""),
        record=rec,
    )


class Search:
    """Runs one search; ``run_job(job)`` fits and predicts a job through the unit's runner."""

    def __init__(self, spec: SearchSpec, run_job: Callable[[Job], None], sink: EventSink) -> None:
        self.spec, self.run_job, self.sink = spec, run_job, sink
        self.ctx = spec.ctx
        self.space = {k: decode_space(f"{spec.algorithm} config {k!r}", v) for k, v in spec.space.items()}
        self.evaluator = build_evaluator([spec.metric])
        self._frames: dict[int, dict[str, pd.DataFrame]] = {}

    # ---- trials --------------------------------------------------------------------------
    def trial_jobs(self, config: dict[str, Any]) -> list[Job]:
        """The jobs of one trial: the configuration on every fold, predicting for validation."""
        spec, ctx = self.spec, self.ctx
        shown = {**spec.constants, **config}
        effective = {**spec.defaults, **shown}
        jobs = []
        for index, desc in enumerate(ctx.splits):
            job = make_job(ctx, index, spec.algorithm, shown, effective, spec.env_key, k=0, need_pairs=False)
            jobs.append(
                replace(
                    job,
                    users=None if spec.rating else desc["val_users"],
                    pairs=desc["val_pairs"] if spec.rating else None,
                    k=0 if spec.rating else self.evaluator.max_k(),
                    exclude_val=False,
                    predict_to="validation",
                )
            )
        return jobs

    def score(self, job: Job, index: int) -> float:
        """The job's validation score: recorded, or computed from its validation lists."""
        need_pairs = self.spec.rating
        rec = predict_record(job.path, job.k, need_pairs, record=VALIDATION_FILE)
        if rec is None:
            self.run_job(job)
            rec = predict_record(job.path, job.k, need_pairs, record=VALIDATION_FILE)
            if rec is None:
                raise OmniRecError(f"{job.algorithm} wrote no validation predictions for trial job {job.key}")
        source = prediction_source(rec)
        known = (read_json(job.path / JOB_FILE) or {}).get("validation") or {}
        if known.get("from") == source and known.get("metric") == self.spec.metric:
            return float(known["value"])
        frames = self._split(index)
        result = self.evaluator.evaluate(
            pd.DataFrame(read_columns(rec["topk"])) if rec.get("topk") else None,
            frames["val"],
            train=frames["train"],
            n_users=job.n_users,
            n_items=job.n_items,
            pair_scores=pd.DataFrame(read_columns(rec["pairs"])) if rec.get("pairs") else None,
        )
        value = float(result.values[self.spec.metric])
        write_job_record(job, validation={"metric": self.spec.metric, "value": value, "from": source})
        return value

    def _split(self, index: int) -> dict[str, pd.DataFrame]:
        if index not in self._frames:
            desc = self.ctx.splits[index]
            self._frames[index] = {
                p: pd.DataFrame(read_columns(desc[p], verify=False)) for p in ("train", "val")
            }
        return self._frames[index]

    # ---- the search ----------------------------------------------------------------------
    def run(self, start_failure: Callable[[], Exception | None]) -> Outcome:
        """Propose, fit and score up to ``budget`` trials; the outcome names the test jobs
        of the best configuration (``selected``), which the caller runs."""
        spec = self.spec
        for stale in (JOB_FILE, FAILED_FILE):  # an earlier failure of the whole search
            (spec.dir / stale).unlink(missing_ok=True)
        sampler = make_sampler(spec.sampler, self.space, spec.seed, f"{spec.key}", maximize=spec.maximize)
        history: list[Trial] = []
        trials: list[dict[str, Any]] = []
        t0, stopped = time.monotonic(), ""
        for trial in range(spec.budget):
            if spec.time_budget is not None and time.monotonic() - t0 > spec.time_budget:
                stopped = f"time budget of {spec.time_budget:g} s reached after {trial} trial(s)"
                break
            config = sampler.propose(trial, history)
            if config is None:
                stopped = f"search space exhausted after {trial} trial(s)"
                break
            entry: dict[str, Any] = {"trial": trial, "config": config, "fold_scores": [], "score": None}
            jobs = self.trial_jobs(config)
            entry["jobs"], entry["effective"] = [j.key for j in jobs], jobs[0].effective_config
            try:
                entry["fold_scores"] = [self.score(job, i) for i, job in enumerate(jobs)]
                entry["score"] = sum(entry["fold_scores"]) / len(entry["fold_scores"])
            except Exception as exc:  # a failed trial counts, with its cause
                entry["error"] = f"{type(exc).__name__}: {exc}"
            history.append(Trial(config, entry["score"]))
            trials.append(entry)
            best = self._best(trials)
            best_score = None if best is None else trials[best]["score"]
            self.sink(TrialDone(spec.key, spec.algorithm, trial, spec.budget, entry["score"], best_score))
            self._write("running", trials, best, stopped=stopped)
            if start_failure() is not None:
                return self._finish(
                    "failed", trials, None, error=entry.get("error", "the runner could not start")
                )
        best = self._best(trials)
        if best is None:
            errors = [t["error"] for t in trials if t.get("error")]
            return self._finish(
                "failed", trials, None, stopped=stopped, error=errors[0] if errors else "no trial ran"
            )
        # The unit runs the selected jobs next, like any jobs (failures recorded with each).
        return self._finish(
            "done", trials, best, selected=self._test_jobs(trials[best]["config"]), stopped=stopped
        )

    def _test_jobs(self, config: dict[str, Any]) -> list[Job]:
        spec, ctx = self.spec, self.ctx
        shown = {**spec.constants, **config}
        effective = {**spec.defaults, **shown}
        return [
            make_job(
                ctx, i, spec.algorithm, shown, effective, spec.env_key,
                k=spec.k, need_pairs=spec.need_pairs, refit=spec.refit,
            )
            for i in range(len(ctx.splits))
        ]  # fmt: skip

    def _best(self, trials: list[dict[str, Any]]) -> int | None:
        scored = [
            (t["score"], t["trial"]) for t in trials if t["score"] is not None and math.isfinite(t["score"])
        ]
        if not scored:
            return None
        sign = -1.0 if self.spec.maximize else 1.0
        return min(scored, key=lambda s: (sign * s[0], s[1]))[1]

    def edges(self, trials: list[dict[str, Any]], best: int) -> list[str]:
        """Notes for searched values of the best trial that landed on an edge of their range.

        Only ranges and lists of three or more numbers count (a choice between two values
        is always on an edge), and only when the scores differ at all.
        """
        if len({t["score"] for t in trials if t["score"] is not None}) < 2:
            return []
        notes = []
        for key, value in sorted(trials[best]["config"].items()):
            space = self.space[key]
            if not _is_number(value):
                continue
            bounds, choices = space.bounds(), space.choices()
            if bounds is None:  # a list: its smallest or largest value
                if choices is None or len(choices) < 3 or not all(map(_is_number, choices)):
                    continue
                lo, hi = min(choices), max(choices)
                sides = (("lower", value == lo), ("upper", value == hi))
            else:  # a range: within EDGE of either end (on a log scale for log ranges)
                lo, hi = bounds
                if lo == hi:
                    continue
                log = (isinstance(space, LogUniform) or getattr(space, "log", False)) and lo > 0
                to = math.log if log else float
                position = (to(value) - to(lo)) / (to(hi) - to(lo))
                sides = (("lower", position <= EDGE), ("upper", position >= 1 - EDGE))
            notes += [
                f"{self.spec.algorithm}: best {key}={value:g} is the {side} bound of the range "
                f"[{lo:g}, {hi:g}]; widen it"
                for side, near in sides
                if near
            ]
        return notes

    def _write(self, status: str, trials: list[dict[str, Any]], best: int | None, **extra: Any) -> None:
        spec = self.spec
        atomic_write_json(
            spec.record,
            {
                "key": spec.key,
                "algorithm": spec.algorithm,
                "dataset": spec.context["name"],
                "dataset_key": spec.context["key"],
                "label": spec.context["label"],
                "metric": spec.metric,
                "maximize": spec.maximize,
                "sampler": spec.sampler,
                "budget": spec.budget,
                "time_budget": spec.time_budget,
                "refit": spec.refit,
                "space": spec.space,
                "constants": spec.constants,
                "status": status,
                "trials": trials,
                "best": best,
                **extra,
            },
        )

    def _finish(
        self,
        status: str,
        trials: list[dict[str, Any]],
        best: int | None,
        *,
        selected: list[Job] | None = None,
        stopped: str = "",
        error: str = "",
    ) -> Outcome:
        edges = self.edges(trials, best) if best is not None else []
        selected = selected or []
        self._write(
            status,
            trials,
            best,
            selected=[j.to_dict() for j in selected],
            edges=edges,
            stopped=stopped,
            error=error,
        )
        return Outcome(status, trials, best, selected, edges, stopped, error)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


__all__ = [
    "SEARCH_FILE",
    "Outcome",
    "Search",
    "SearchSpec",
    "plan_searches",
    "read_outcome",
    "search_summary",
]
