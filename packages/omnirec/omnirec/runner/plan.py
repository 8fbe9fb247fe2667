"""``omnirec.runner.plan.ExperimentPlan``: omnirec's plan with OmniRec's method signatures.

It is :class:`omnirec_core.experiment.plan.ExperimentPlan` (search spaces, run files,
tuning all work) with what OmniRec's plan did differently:

- ``add_algorithm(algorithm, algorithm_config=None, force=False)``: the config may be
  passed as ``algorithm_config`` or ``config``;
- ``update_algorithm(algorithm, algorithm_config)`` adds an algorithm that is not yet in
  the plan (omnirec's own plan refuses, to catch misspelt names);
- ``get_algorithm_config(algorithm)`` of an absent algorithm returns ``{}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

from omnirec_core.experiment import plan as _core
from omnirec_core.experiment.plan import algorithm_name
from omnirec_core.experiment.selection import Selection
from omnirec_core.experiment.spaces import PlanError

AlgorithmConfig: TypeAlias = dict[str, Any]


def _config(
    algorithm_config: Mapping[str, Any] | None, config: Mapping[str, Any] | None, method: str
) -> Mapping[str, Any] | None:
    if algorithm_config is not None and config is not None:
        raise PlanError(f"{method}() got both algorithm_config and config; pass one of them")
    return algorithm_config if algorithm_config is not None else config


class ExperimentPlan(_core.ExperimentPlan):
    """Algorithms (``"Runner.Algorithm"`` or an enum of :mod:`omnirec.runner.algos`) with configs."""

    def __init__(self, plan_name: str | None = None, selection: Selection | None = None) -> None:
        super().__init__("plan" if plan_name is None else plan_name, selection)

    def add_algorithm(  # type: ignore[override]
        self,
        algorithm: Any,
        algorithm_config: Mapping[str, Any] | None = None,
        force: bool = False,
        *,
        config: Mapping[str, Any] | None = None,
        tune: bool = False,
    ) -> None:
        """Add an algorithm with its config (lists expand to one run per value).

        Adding one twice raises :class:`PlanError` unless ``force`` (then it is replaced).
        """
        super().add_algorithm(algorithm, _config(algorithm_config, config, "add_algorithm"), force, tune=tune)

    def update_algorithm(  # type: ignore[override]
        self,
        algorithm: Any,
        algorithm_config: Mapping[str, Any] | None = None,
        *,
        config: Mapping[str, Any] | None = None,
    ) -> None:
        """Merge the config into an algorithm's; an algorithm not yet in the plan is added."""
        values = _config(algorithm_config, config, "update_algorithm") or {}
        if algorithm_name(algorithm) in self.algorithms:
            super().update_algorithm(algorithm, values)
        else:
            super().add_algorithm(algorithm, values)

    def get_algorithm_config(self, algorithm: Any) -> AlgorithmConfig:
        """The algorithm's config as given (``{}`` if it is not in the plan)."""
        if algorithm_name(algorithm) not in self.algorithms:
            return {}
        return super().get_algorithm_config(algorithm)


__all__ = ["AlgorithmConfig", "ExperimentPlan"]
