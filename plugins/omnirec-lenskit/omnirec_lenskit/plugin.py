"""Declares the LensKit runner (runs in the user's environment; LensKit is not imported here)."""

from __future__ import annotations

from omnirec_core.plugin.hookspecs import hookimpl
from omnirec_core.plugin.specs import AlgorithmSpec, RunnerSpec
from omnirec_lenskit.algorithms import ALGORITHMS, LENSKIT_PIN, UNAVAILABLE

RUNNER_NAME = "LensKit"

REQUIREMENTS = (
    LENSKIT_PIN,
    # Pinned: resolves to the local CPU wheel; an unpinned torch pulls a multi-GB CUDA build.
    # LensKit 2026.x needs Python 3.12, for which no CPU torch wheel is at hand.
    "torch==2.13.0",
)


def algorithm_specs() -> tuple[AlgorithmSpec, ...]:
    """One ``AlgorithmSpec`` per LensKit scorer: LensKit's config keys as typed params with
    LensKit's defaults, and a recommended search space for the main scorers."""
    return tuple(
        AlgorithmSpec(
            name=name,
            feedback=algo.feedback,  # type: ignore[arg-type]
            predictions=algo.predictions,  # type: ignore[arg-type]
            params=algo.params,
            gpu=False,
            unavailable=UNAVAILABLE.get(name, ""),
            description=algo.description,
            search_space=algo.search_space,
        )
        for name, algo in ALGORITHMS.items()
    )


def runner_spec() -> RunnerSpec:
    """The LensKit runner: Python 3.11 env with LensKit 2025.8.1 and CPU torch."""
    return RunnerSpec(
        name=RUNNER_NAME,
        algorithms=algorithm_specs(),
        worker_module="omnirec_lenskit.worker",
        python="3.11",
        requirements=REQUIREMENTS,
        install_self=("omnirec-core", "omnirec-lenskit"),
        description="LensKit 2025.8 scorers in top-N pipelines; ratings via LensKit's predictor.",
    )


@hookimpl
def omnirec_runners() -> list[RunnerSpec]:
    return [runner_spec()]
