"""Declares the RecBole runner (runs in the user's environment; RecBole is not imported)."""

from __future__ import annotations

from omnirec_core.plugin.hookspecs import hookimpl
from omnirec_core.plugin.specs import AlgorithmSpec, RunnerSpec
from omnirec_recbole import catalog

RUNNER_NAME = "RecBole"


def _algorithm(model: catalog.Model) -> AlgorithmSpec:
    return AlgorithmSpec(
        name=model.name,
        feedback=("implicit", "explicit"),
        # General recommenders rank items; their scores are not ratings.
        predictions=("topk",),
        # Typed, with the defaults the worker uses (RecBole's own but for a few overrides).
        params=catalog.params(model),
        search_space=catalog.SEARCH_SPACES.get(model.name, {}),
        # Closed-form models are numpy/scipy work; only the trained ones use a GPU.
        gpu=not model.closed_form,
        unavailable=model.unavailable,
        description=model.description,
    )


def runner_spec() -> RunnerSpec:
    """The RecBole runner: every general recommender of RecBole 1.2.1 listed in the catalog."""
    return RunnerSpec(
        name=RUNNER_NAME,
        algorithms=tuple(_algorithm(m) for m in catalog.MODELS),
        worker_module="omnirec_recbole.worker",
        python="3.11",
        requirements=catalog.REQUIREMENTS,
        install_self=("omnirec-core", "omnirec-recbole"),
        gpu=True,
        description=f"RecBole {catalog.RECBOLE_VERSION} general recommenders (PyTorch)",
    )


@hookimpl
def omnirec_runners() -> list[RunnerSpec]:
    return [runner_spec()]
