"""Plugin side of the fake runner: declares it, nothing else."""

from __future__ import annotations

from omnirec_core.plugin.hookspecs import hookimpl
from omnirec_core.plugin.specs import AlgorithmSpec, Param, RunnerSpec
from omnirec_fake import FAULTS

#: The keys every fake algorithm accepts: fault injection and pacing (see worker.py).
COMMON = (
    Param("fault", str, choices=FAULTS, nullable=True, description="inject this failure"),
    Param("sleep", float, low=0, description="seconds a fit lasts"),
    Param("hang_seconds", float, low=0, description="how long hang_fit hangs"),
    Param("flood_mb", float, low=0, description="MB of output flood writes"),
    Param("children", int, low=0, description="child processes a fit starts"),
)


@hookimpl
def omnirec_runners() -> list[RunnerSpec]:
    return [
        RunnerSpec(
            name="Fake",
            worker_module="omnirec_fake.worker",
            requirements=("numpy",),
            install_self=("omnirec-core", "omnirec-fake"),
            algorithms=(
                AlgorithmSpec(
                    "Pop",
                    params=COMMON,
                    predictions=("topk", "rating"),
                    description="item popularity (interaction counts)",
                ),
                AlgorithmSpec(
                    "Random",
                    params=COMMON,
                    predictions=("topk", "rating"),
                    description="seeded uniform random scores",
                ),
                AlgorithmSpec(
                    "ItemCF",
                    params=(*COMMON, Param("shrink", float, default=0.0, low=0)),
                    search_space={"shrink": {"loguniform": [0.1, 100.0]}},
                    feedback=("implicit",),
                    description="dense item-item cosine (small data only)",
                ),
            ),
            description="test runner: pure numpy, with fault injection",
        )
    ]
