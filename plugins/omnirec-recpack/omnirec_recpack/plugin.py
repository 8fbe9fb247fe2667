"""Declares the RecPack runner (runs in the user's environment; RecPack is not imported here)."""

from __future__ import annotations

from omnirec_core.plugin.hookspecs import hookimpl
from omnirec_core.plugin.specs import AlgorithmSpec, RunnerSpec
from omnirec_recpack.algorithms import (
    ALGORITHMS,
    DESCRIPTIONS,
    FRAMEWORK_PIN,
    GPU_CAPABLE,
    PARAMS,
    SEARCH_SPACES,
    UNAVAILABLE,
)

RUNNER_NAME = "RecPack"

REQUIREMENTS = (
    FRAMEWORK_PIN,
    # RecPack 0.3.6 breaks with numpy 2 (seen on this machine).
    "numpy<2",
    # Pinned: resolves to the local CPU wheel; an unpinned torch pulls a multi-GB CUDA build.
    "torch==2.13.0",
)


def algorithm_specs() -> tuple[AlgorithmSpec, ...]:
    """One ``AlgorithmSpec`` per RecPack algorithm: implicit feedback, top-K only, typed params
    with the defaults the worker uses, a recommended search space for the main ones."""
    return tuple(
        AlgorithmSpec(
            name=name,
            feedback=("implicit",),
            predictions=("topk",),
            params=PARAMS[name],
            gpu=name in GPU_CAPABLE,
            unavailable=UNAVAILABLE.get(name, ""),
            description=DESCRIPTIONS[name],
            search_space=SEARCH_SPACES.get(name, {}),
        )
        for name in ALGORITHMS
    )


def runner_spec() -> RunnerSpec:
    """The RecPack runner: Python 3.11 env with RecPack, numpy<2 and CPU torch."""
    return RunnerSpec(
        name=RUNNER_NAME,
        algorithms=algorithm_specs(),
        worker_module="omnirec_recpack.worker",
        python="3.11",
        requirements=REQUIREMENTS,
        install_self=("omnirec-core", "omnirec-recpack"),
        description="RecPack 0.3.6: implicit-feedback top-N algorithms (item KNN, EASE, SLIM, "
        "factorisations, BPR-MF, VAEs).",
    )


@hookimpl
def omnirec_runners() -> list[RunnerSpec]:
    return [runner_spec()]
