"""Declares the Cornac runner (runs in the user's environment; Cornac is not imported here)."""

from __future__ import annotations

from omnirec_core.plugin.hookspecs import hookimpl
from omnirec_core.plugin.specs import AlgorithmSpec, RunnerSpec
from omnirec_cornac.algorithms import FRAMEWORK_PIN, MODELS

RUNNER_NAME = "Cornac"

REQUIREMENTS = (
    FRAMEWORK_PIN,
    # Pinned: resolves to the local CPU wheel; an unpinned torch pulls a multi-GB CUDA build.
    # IBPR, OnlineIBPR, VAECF, RecVAE, BiVAECF and the NCF models train with it.
    "torch==2.13.0",
    # WMF trains with TensorFlow (tf.compat.v1); the CPU-only wheel works with NumPy 2.
    "tensorflow-cpu==2.21.0",
    # Imported by the worker; both come with Cornac, listed because the worker uses them.
    "scipy",
    "threadpoolctl",
)

ENV_VARS = {
    # TensorFlow's C++ start-up notices would fill the runner log.
    "TF_CPP_MIN_LOG_LEVEL": "2",
}


def algorithm_specs() -> tuple[AlgorithmSpec, ...]:
    """One ``AlgorithmSpec`` per Cornac model, with Cornac's own config keys and defaults."""
    return tuple(
        AlgorithmSpec(
            name=name,
            feedback=model.feedback,  # type: ignore[arg-type]
            predictions=model.predictions,  # type: ignore[arg-type]
            params=model.params,
            description=model.description,
        )
        for name, model in MODELS.items()
    )


def runner_spec() -> RunnerSpec:
    """The Cornac runner: Python 3.11 env with Cornac 3.0.1, CPU torch and CPU TensorFlow."""
    return RunnerSpec(
        name=RUNNER_NAME,
        algorithms=algorithm_specs(),
        worker_module="omnirec_cornac.worker",
        python="3.11",
        requirements=REQUIREMENTS,
        install_self=("omnirec-core", "omnirec-cornac"),
        env_vars=ENV_VARS,
        description="Cornac 3.0.1: collaborative-filtering models on user-item interactions "
        "(top-K lists; ratings for the explicit-feedback models).",
    )


@hookimpl
def omnirec_runners() -> list[RunnerSpec]:
    return [runner_spec()]
