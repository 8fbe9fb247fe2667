"""Plugin side of the fake runner: declares it, nothing else."""

from __future__ import annotations

from omnirec_core.plugin.hookspecs import hookimpl
from omnirec_core.plugin.specs import AlgorithmSpec, RunnerSpec
from omnirec_fake import PARAMS


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
                    params=PARAMS["Pop"],
                    predictions=("topk", "rating"),
                    description="item popularity (interaction counts)",
                ),
                AlgorithmSpec(
                    "Random",
                    params=PARAMS["Random"],
                    predictions=("topk", "rating"),
                    description="seeded uniform random scores",
                ),
                AlgorithmSpec(
                    "ItemCF",
                    params=PARAMS["ItemCF"],
                    defaults={"shrink": 0.0},
                    feedback=("implicit",),
                    description="dense item-item cosine (small data only)",
                ),
            ),
            description="test runner: pure numpy, with fault injection",
        )
    ]
