"""What a tuning search leaves for the results: its trials and the configuration it selected.

A :class:`SearchSummary` is the part of a search's ``search.json`` that tables, exports
and comparisons need; the search itself lives in
:mod:`omnirec_core.orchestration.search`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from omnirec_core.evaluation.labels import config_json

#: Columns of the tidy trial rows (``get_results(trials=True)``).
TRIAL_COLUMNS = ["dataset", "algorithm", "trial", "config", "metric", "value", "selected", "error"]


@dataclass
class SearchSummary:
    """One algorithm's search on one dataset.

    ``trials``: one record per trial in the order they ran, each with ``trial``,
    ``config`` (the full configuration, constants included), ``score`` (mean validation
    score over folds; ``None`` when it failed), ``fold_scores`` and ``error``. ``best``:
    the index of the selected trial (``None`` when no trial succeeded).
    """

    dataset: str
    algorithm: str
    metric: str
    sampler: str
    budget: int
    trials: list[dict[str, Any]] = field(default_factory=list)
    best: int | None = None
    refit: bool = False
    status: str = "done"
    stopped: str = ""
    edges: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def selected_config(self) -> dict[str, Any] | None:
        return None if self.best is None else dict(self.trials[self.best]["config"])

    @property
    def validation_score(self) -> float | None:
        return None if self.best is None else self.trials[self.best].get("score")

    def selects(self, config: str) -> bool:
        """Whether ``config`` (canonical JSON) is the selected configuration."""
        selected = self.selected_config
        return selected is not None and config_json(selected) == config

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SearchSummary:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def overview(self) -> dict[str, Any]:
        """One JSON-safe line per search: what was selected, on what score, after how many trials."""
        return {
            "dataset": self.dataset,
            "algorithm": self.algorithm,
            "metric": self.metric,
            "sampler": self.sampler,
            "budget": self.budget,
            "trials": len(self.trials),
            "best_trial": self.best,
            "config": self.selected_config,
            "validation_score": self.validation_score,
            "refit": self.refit,
            "status": self.status,
            "stopped": self.stopped,
            "edges": list(self.edges),
            "error": self.error,
        }


def trials_frame(searches: list[SearchSummary]) -> pd.DataFrame:
    """One row per trial: ``dataset, algorithm, trial, config, metric, value, selected, error``."""
    rows = []
    for s in searches:
        for t in s.trials:
            score = t.get("score")
            rows.append(
                (
                    s.dataset,
                    s.algorithm,
                    int(t["trial"]),
                    config_json(t.get("config") or {}),
                    s.metric,
                    float(score) if score is not None and math.isfinite(score) else np.nan,
                    s.best == t["trial"],
                    str(t.get("error") or ""),
                )
            )
    df = pd.DataFrame(rows, columns=TRIAL_COLUMNS)
    df["trial"] = df["trial"].astype(np.int64)
    df["value"] = df["value"].astype(np.float64)
    df["selected"] = df["selected"].astype(bool)
    return df
