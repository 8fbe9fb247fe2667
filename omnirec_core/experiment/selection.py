"""Model selection: how each algorithm's configuration is chosen on validation data.

A plan with a :class:`Selection` tunes every algorithm: each trial fits on the training
part, ranks for the validation users (their training items excluded) and is scored with
one metric; the best configuration is then evaluated on the test part. Every algorithm
gets the same budget by default, because a fair comparison needs equal effort.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from omnirec_core.experiment.spaces import PlanError

SAMPLERS = ("grid", "random", "tpe")
_KEYS = {"metric", "budget", "sampler", "refit", "time_budget"}


@dataclass(frozen=True)
class Selection:
    """Tune every algorithm of a plan on validation data.

    ``metric``: the selection metric (``"NDCG@10"``; any registered metric). ``budget``:
    trials per algorithm (and dataset). ``sampler``: ``grid`` (exhaustive over discrete
    spaces, a seeded subset when larger than the budget), ``random`` (seeded), or ``tpe``
    (Optuna's TPE; ``pip install 'omnirec-core[tune]'``). ``refit``: train the selected
    configuration again on train and validation before testing (default: test the model
    the winning trial trained). ``time_budget``: seconds per search, after which no new
    trial starts (results then depend on machine speed).
    """

    metric: str = "NDCG@10"
    budget: int = 20
    sampler: str = "random"
    refit: bool = False
    time_budget: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.metric, str) or not self.metric:
            raise PlanError(
                f"Selection(metric=...) must name one metric, e.g. 'NDCG@10', got {self.metric!r}"
            )
        if isinstance(self.budget, bool) or not isinstance(self.budget, int) or self.budget < 1:
            raise PlanError(f"Selection(budget=...) must be a number of trials >= 1, got {self.budget!r}")
        if self.sampler not in SAMPLERS:
            raise PlanError(
                f"Selection(sampler=...) must be one of {', '.join(SAMPLERS)}, got {self.sampler!r}"
            )
        if not isinstance(self.refit, bool):
            raise PlanError(f"Selection(refit=...) must be true or false, got {self.refit!r}")
        if self.time_budget is not None and not (
            isinstance(self.time_budget, (int, float))
            and math.isfinite(self.time_budget)
            and self.time_budget > 0
        ):
            raise PlanError(f"Selection(time_budget=...) must be seconds > 0, got {self.time_budget!r}")

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, table: Mapping[str, Any]) -> Selection:
        """A ``[selection]`` table of a plan file."""
        if not isinstance(table, Mapping):
            raise PlanError(f"[selection] must be a table, got {table!r}")
        unknown = sorted(set(table) - _KEYS)
        if unknown:
            raise PlanError(
                f"[selection] has unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_KEYS))}"
            )
        return cls(**dict(table))
