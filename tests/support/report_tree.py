"""A checkpoint tree with everything a report shows, made by real runs of the fake runner.

- ``synthetic-tiny`` (from the catalogue), implicit, 2-core, 3-fold user cross-validation
  with a validation part, tuned (random search, 4 trials per algorithm, NDCG@10);
- ``synth`` (from a DataFrame), per-user holdout, a plain grid, and one job that fails.

``python -m tests.support.report_tree DIR`` makes it in DIR (for looking at a report by hand).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from omnirec_core import (
    HR,
    NDCG,
    Coordinator,
    CorePruning,
    Evaluator,
    ExperimentPlan,
    MakeImplicit,
    Pipe,
    Recall,
    RecSysDataSet,
    Selection,
    UserCrossValidation,
    UserHoldout,
    set_random_state,
)
from omnirec_core.data.synthetic import generate
from omnirec_core.orchestration.envs.inplace import CurrentInterpreter

SEED = 11
TUNED_METRICS = ["NDCG@5", "NDCG@10", "NDCG@20", "Recall@10", "HR@10"]


def tuned_dataset() -> RecSysDataSet[Any]:
    set_random_state(SEED)
    ds = RecSysDataSet.use_dataloader("synthetic-tiny")
    return Pipe(MakeImplicit(3), CorePruning(2), UserCrossValidation(3, val_size=0.1)).process(ds)


def tuned_plan() -> ExperimentPlan:
    plan = ExperimentPlan("report-tuned", Selection(metric="NDCG@10", budget=4, sampler="random"))
    plan.add_algorithm("Fake.Pop")
    plan.add_algorithm("Fake.ItemCF", {"shrink": {"loguniform": [0.1, 100.0]}})
    plan.add_algorithm("Fake.Random")
    return plan


def holdout_dataset() -> RecSysDataSet[Any]:
    set_random_state(SEED)
    ds = RecSysDataSet.from_dataframe(generate(150, 90, 4000, seed=5), name="synth")
    return Pipe(MakeImplicit(3), UserHoldout(0.2)).process(ds)


def grid_plan() -> ExperimentPlan:
    plan = ExperimentPlan("report-grid")
    plan.add_algorithm("Fake.Pop")
    plan.add_algorithm("Fake.ItemCF", {"shrink": [0.0, 5.0]})
    plan.add_algorithm("Fake.Random", {"fault": "raise_fit"})
    return plan


def make(checkpoint_dir: Path) -> Path:
    """Run both experiments into ``checkpoint_dir``; returns it."""

    def run(ds: Any, plan: ExperimentPlan, evaluator: Evaluator) -> None:
        Coordinator(checkpoint_dir, env_manager=CurrentInterpreter(), quiet=True).run(ds, plan, evaluator)

    run(tuned_dataset(), tuned_plan(), Evaluator(NDCG([5, 10, 20]), Recall(10), HR(10)))
    run(holdout_dataset(), grid_plan(), Evaluator(NDCG([5, 10]), Recall([5, 10])))
    return checkpoint_dir


if __name__ == "__main__":
    make(Path(sys.argv[1]))
