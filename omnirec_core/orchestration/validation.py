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
from omnirec_core.experiment.runfile import build_evaluator
from omnirec_core.experiment.samplers import make_sampler, split_space
from omnirec_core.experiment.selection import Selection
from omnirec_core.experiment.spaces import IntRange, RandomRange, Space
from omnirec_core.plugin.manager import get_runner
from omnirec_core.plugin.specs import AlgorithmSpec, Param, RunnerSpec, config_problem

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
        if plan.selection is not None:
            check_search(plan, name, full, algo)
        else:
            if plan.tunes(name):
                raise ValidationError(
                    f"{full} is marked tune = true, but the plan has no selection: add a [selection] "
                    "table (or ExperimentPlan(selection=Selection(...)))"
                )
            for cfg in plan.expand(name):
                problem = (
                    config_problem(full, algo.declared or (), cfg) if algo.declared is not None else None
                )
                if problem is not None:
                    raise ValidationError(problem)
        resolved[name] = (runner, algo)
    if plan.selection is not None:
        check_selection_metric(plan.selection, resolved)
    return resolved


def check_selection_metric(selection: Selection, resolved: Resolved) -> None:
    """The selection metric exists and can score every algorithm's predictions."""
    try:
        metrics = build_evaluator([selection.metric]).metrics
    except OmniRecError as exc:
        raise ValidationError(f"selection metric: {exc}") from None
    if len(metrics) != 1 or len(metrics[0].labels()) != 1:
        raise ValidationError(
            f"selection metric must be one metric at one cutoff, e.g. 'NDCG@10', got {selection.metric!r}"
        )
    kind = "rating" if metrics[0].kind == "rating" else "topk"
    for runner, algo in resolved.values():
        if kind not in algo.predictions:
            what = "ratings" if kind == "rating" else "ranked lists"
            raise ValidationError(
                f"{runner.name}.{algo.name} produces no {what}, so the selection metric "
                f"{selection.metric} cannot score it; choose another selection metric"
            )


def check_search(plan: ExperimentPlan, entry: str, full: str, algo: AlgorithmSpec) -> None:
    """The space an algorithm searches suits its declared parameters and the sampler."""
    assert plan.selection is not None
    space, constants = split_space(plan.search_config(entry, algo.search_space))
    if plan.tunes(entry) and not algo.search_space:
        raise ValidationError(
            f"{full} declares no search space, so tune = true has nothing to search; "
            "give the values to search in its config instead"
        )
    declared = algo.declared
    if declared is not None:
        problem = config_problem(full, declared, {**constants, **dict.fromkeys(space)})
        unknown = problem if problem is not None and "does not accept" in problem else None
        if unknown is not None:
            raise ValidationError(unknown)
        problem = config_problem(full, declared, constants)
        if problem is not None:
            raise ValidationError(problem)
        for key, dim in sorted(space.items()):
            param = next(p for p in declared if p.name == key)
            why = _space_problem(param, dim)
            if why is not None:
                raise ValidationError(f"{full}: the search space of {key} {why}")
    try:
        make_sampler(plan.selection.sampler, space, 0, full, maximize=True)
    except OmniRecError as exc:
        raise ValidationError(str(exc)) from None


def _space_problem(param: Param, space: Space) -> str | None:
    """Why values drawn from ``space`` may not suit ``param`` (None: they all do)."""
    choices = space.choices()
    if choices is not None:
        for value in choices:
            why = param.problem(value)
            if why is not None:
                return f"has a value that {why.replace('must be', 'is not', 1)}"
        return None
    bounds = space.bounds()
    if bounds is None:
        return None
    types = param.types
    integral = isinstance(space, IntRange) or (isinstance(space, RandomRange) and space.integral)
    if int in types and float not in types and not integral:
        return f"draws floats, but {param.name} must be an integer: use {{int = [lo, hi]}} (IntRange)"
    for end in bounds:
        value = int(end) if integral else float(end)
        why = param.problem(value)
        if why is not None:
            return f"reaches {value:g}, but {param.name} {why}"
    return None


def validate_datasets(
    datasets: list[RecSysDataSet[Any]], resolved: Resolved, evaluator: Evaluator, *, selection: bool = False
) -> None:
    """Check that every dataset is split and suits every algorithm and metric of the plan
    (``selection``: and has a validation part to select on)."""
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
        splits = [ds.data] if isinstance(ds.data, SplitData) else ds.data.folds
        if selection and any(s.val is None for s in splits):
            raise ValidationError(
                f"tuning selects on validation data, but dataset {ds.name!r} has no validation part; "
                "split with one, e.g. UserHoldout(0.2, val_size=0.1), or drop the selection"
            )
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
    validate_datasets(datasets, resolved, evaluator, selection=plan.selection is not None)
    return resolved
