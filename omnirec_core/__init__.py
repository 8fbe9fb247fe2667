"""omnirec: reproducible recommender-system experiments across frameworks.

The public API is imported lazily, so ``import omnirec_core.wire`` inside a runner env
stays light (no pandas, pluggy or click).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "RecSysDataSet": "omnirec_core.data.dataset",
    "RawData": "omnirec_core.data.dataset",
    "SplitData": "omnirec_core.data.dataset",
    "FoldedData": "omnirec_core.data.dataset",
    "DatasetStats": "omnirec_core.data.dataset",
    "set_random_state": "omnirec_core.random",
    "get_random_state": "omnirec_core.random",
    "OmniRecError": "omnirec_core.errors",
    "DataError": "omnirec_core.errors",
    "SplitError": "omnirec_core.errors",
    "PluginError": "omnirec_core.errors",
    "hookimpl": "omnirec_core.hookspecs",
    "DatasetSpec": "omnirec_core.specs",
    "SplitterSpec": "omnirec_core.specs",
    "MetricSpec": "omnirec_core.specs",
    "RunnerSpec": "omnirec_core.specs",
    "AlgorithmSpec": "omnirec_core.specs",
    "Param": "omnirec_core.specs",
    "NO_DEFAULT": "omnirec_core.specs",
    "Coordinator": "omnirec_core.coordinator",
    "ExperimentPlan": "omnirec_core.plan",
    "Grid": "omnirec_core.plan",
    "RandomChoice": "omnirec_core.plan",
    "RandomRange": "omnirec_core.plan",
    "Fixed": "omnirec_core.plan",
    "Evaluator": "omnirec_core.evaluator",
    "LocalExecutor": "omnirec_core.executors",
    "SlurmExecutor": "omnirec_core.cluster",
    "RayExecutor": "omnirec_core.cluster",
    "Pipe": "omnirec_core.preprocess",
    "Subsample": "omnirec_core.preprocess",
    "MakeImplicit": "omnirec_core.preprocess",
    "CorePruning": "omnirec_core.preprocess",
    "TimeFilter": "omnirec_core.preprocess",
    "RatingFilter": "omnirec_core.preprocess",
    "RandomHoldout": "omnirec_core.splitting",
    "UserHoldout": "omnirec_core.splitting",
    "TimeBasedHoldout": "omnirec_core.splitting",
    "LeaveOneOut": "omnirec_core.splitting",
    "UserCrossValidation": "omnirec_core.splitting",
    "RandomCrossValidation": "omnirec_core.splitting",
    "NDCG": "omnirec_core.metrics",
    "HR": "omnirec_core.metrics",
    "Recall": "omnirec_core.metrics",
    "RecallCapped": "omnirec_core.metrics",
    "Precision": "omnirec_core.metrics",
    "MRR": "omnirec_core.metrics",
    "MAP": "omnirec_core.metrics",
    "RMSE": "omnirec_core.metrics",
    "MAE": "omnirec_core.metrics",
    "ItemCoverage": "omnirec_core.metrics",
    "Gini": "omnirec_core.metrics",
    "AveragePopularity": "omnirec_core.metrics",
    "Novelty": "omnirec_core.metrics",
    "Metric": "omnirec_core.metrics",
    "MetricResult": "omnirec_core.metrics",
    "PredictionError": "omnirec_core.metrics",
    "JobResult": "omnirec_core.results",
    "load_checkpoint_results": "omnirec_core.results",
    "EnvManager": "omnirec_core.envs",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'omnirec_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
