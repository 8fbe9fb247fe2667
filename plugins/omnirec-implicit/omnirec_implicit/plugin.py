"""Declares the implicit runner (runs in the user's environment; implicit is not imported here)."""

from __future__ import annotations

from omnirec_core.plugin.hookspecs import hookimpl
from omnirec_core.plugin.specs import AlgorithmSpec, RunnerSpec
from omnirec_implicit.algorithms import ALGORITHMS, FRAMEWORK_PIN

RUNNER_NAME = "implicit"

REQUIREMENTS = (
    FRAMEWORK_PIN,
    # Imported by the worker; both come with implicit, listed because the worker uses them.
    "scipy",
    "threadpoolctl",
)


def algorithm_specs() -> tuple[AlgorithmSpec, ...]:
    """One ``AlgorithmSpec`` per algorithm: implicit feedback, top-K lists, typed params."""
    return tuple(
        AlgorithmSpec(
            name=name,
            feedback=("implicit",),
            predictions=("topk",),
            params=algo.params,
            description=algo.description,
        )
        for name, algo in ALGORITHMS.items()
    )


def runner_spec() -> RunnerSpec:
    """The implicit runner: Python 3.11 env with implicit 0.7.3 (CPU wheel, no torch)."""
    return RunnerSpec(
        name=RUNNER_NAME,
        algorithms=algorithm_specs(),
        worker_module="omnirec_implicit.worker",
        python="3.11",
        requirements=REQUIREMENTS,
        install_self=("omnirec-core", "omnirec-implicit"),
        description="implicit 0.7.3: ALS, BPR, LMF and item-item neighbours for implicit feedback (CPU).",
    )


@hookimpl
def omnirec_runners() -> list[RunnerSpec]:
    return [runner_spec()]
