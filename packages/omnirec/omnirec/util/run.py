"""``omnirec.util.run.run_omnirec``: run a plan and print the result tables, as in OmniRec."""

from __future__ import annotations

from collections.abc import Iterable
from os import PathLike
from typing import Any

from omnirec_core.data.dataset import RecSysDataSet
from omnirec_core.evaluation.evaluator import Evaluator
from omnirec_core.experiment.plan import ExperimentPlan
from omnirec_core.orchestration.coordinator import Coordinator


def run_omnirec(
    datasets: RecSysDataSet[Any] | Iterable[RecSysDataSet[Any]],
    plan: ExperimentPlan,
    evaluator: Evaluator,
    slurm_script: PathLike[str] | str | None = None,
) -> Evaluator:
    """Run ``plan`` on ``datasets`` with a default :class:`Coordinator` (checkpoints in
    ``./checkpoints``) and print one result table per dataset; returns ``evaluator``.

    ``slurm_script`` (OmniRec left it unimplemented) runs the jobs on a Slurm cluster
    through omnirec's Slurm executor with that sbatch template (see ``docs/cluster.md``).
    """
    from rich.console import Console

    executor = None
    if slurm_script is not None:
        from omnirec_core.orchestration.executors import SlurmExecutor

        executor = SlurmExecutor(template=slurm_script)
    Coordinator(executor=executor).run(datasets, plan, evaluator)
    console = Console()
    for table in evaluator.get_tables():
        console.print(table)
    return evaluator


__all__ = ["run_omnirec"]
