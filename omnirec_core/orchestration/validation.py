"""Checking a run request before any work starts: plan, metrics, algorithms, datasets.

:func:`validate_plan` needs no data, so ``omnirec run`` calls it before loading a
dataset; :func:`validate_datasets` then checks the data against the plan. Every problem
becomes one :class:`ValidationError` whose message names it and the fix; the coordinator
turns it into ``SystemExit`` (the reference API's contract).
"""

from __future__ import annotations

import difflib
from typing import Any

from omnirec_core.data.dataset import FoldedData, RecSysDataSet, SplitData
from omnirec_core.errors import OmniRecError
from omnirec_core.evaluation.evaluator import Evaluator
from omnirec_core.experiment.plan import ExperimentPlan
from omnirec_core.plugin.manager import get_runner
from omnirec_core.plugin.specs import AlgorithmSpec, RunnerSpec, config_problem

Resolved = dict[str, tuple[RunnerSpec, AlgorithmSpec]]


class ValidationError(OmniRecError):
    """The run request cannot work; nothing was started."""


def resolve_algorithm(name: str) -> tuple[RunnerSpec, AlgorithmSpec]:
    """The runner and algorithm a plan entry names, matched like runner names (any case)."""
    runner_name, algo_name = name.split(".", 1)
    runner = get_runner(runner_name)
    algo = runner.algorithm(algo_name)
    if algo is None:
        names = [a.name for a in runner.algorithms]
        close = difflib.get_close_matches(algo_name, names, n=3)
        hint = f" Did you mean {', '.join(f'{runner.name}.{c}' for c in close)}?" if close else ""
        raise ValidationError(
            f"runner {runner.name} has no algorithm {algo_name!r}.{hint} Available: {', '.join(names)}."
        )
    return runner, algo


def validate_plan(plan: ExperimentPlan, evaluator: Evaluator) -> Resolved:
    """Check the plan and the metrics (no data needed); return each entry's (runner, algorithm)."""
    if not isinstance(plan, ExperimentPlan):
        raise ValidationError(f"config must be an ExperimentPlan, got {type(plan).__name__}")
    if plan.is_empty():
        raise ValidationError(
            "the experiment plan is empty: add algorithms with plan.add_algorithm('Runner.Algorithm')"
        )
    if not getattr(evaluator, "metrics", None):
        raise ValidationError("the evaluator has no metrics: e.g. Evaluator(NDCG([10]), Recall([10]))")
    needs_ratings = bool(evaluator.needs_ratings())
    needs_topk = bool(evaluator.needs_topk())
    resolved: Resolved = {}
    for name in plan.algorithms:
        runner, algo = resolve_algorithm(name)
        full = f"{runner.name}.{algo.name}"
        if algo.unavailable:
            raise ValidationError(f"{full} cannot run here: {algo.unavailable}")
        if needs_ratings and "rating" not in algo.predictions:
            raise ValidationError(
                f"{full} cannot predict ratings, so RMSE/MAE cannot score it; remove those metrics or the algorithm"
            )
        if needs_topk and "topk" not in algo.predictions:
            raise ValidationError(f"{full} produces no ranked lists, so ranking metrics cannot score it")
        if algo.declared is not None:
            for cfg in plan.expand(name):
                problem = config_problem(full, algo.declared, cfg)
                if problem is not None:
                    raise ValidationError(problem)
        resolved[name] = (runner, algo)
    return resolved


def validate_datasets(datasets: list[RecSysDataSet[Any]], resolved: Resolved, evaluator: Evaluator) -> None:
    """Check that every dataset is split and suits every algorithm and metric of the plan."""
    if not datasets:
        raise ValidationError("no dataset given: pass a split RecSysDataSet (or a list of them)")
    needs_ratings = bool(evaluator.needs_ratings())
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
        if needs_ratings and ds.feedback != "explicit":
            raise ValidationError(
                f"rating metrics (RMSE/MAE) need explicit ratings, but dataset {ds.name!r} is implicit; "
                "drop those metrics or the MakeImplicit step"
            )
        for runner, algo in resolved.values():
            if ds.feedback not in algo.feedback:
                fix = (
                    " Add MakeImplicit(threshold) to the preprocessing." if ds.feedback == "explicit" else ""
                )
                raise ValidationError(
                    f"{runner.name}.{algo.name} supports {'/'.join(algo.feedback)} feedback, but dataset "
                    f"{ds.name!r} is {ds.feedback}.{fix}"
                )


def validate_run(datasets: list[RecSysDataSet[Any]], plan: ExperimentPlan, evaluator: Evaluator) -> Resolved:
    """:func:`validate_plan` then :func:`validate_datasets`."""
    resolved = validate_plan(plan, evaluator)
    validate_datasets(datasets, resolved, evaluator)
    return resolved
