"""omnirec: reproducible recommender-system experiments across frameworks.

The public API is imported lazily, so ``import omnirec_core.runner.wire`` inside a runner env
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
    "hookimpl": "omnirec_core.plugin.hookspecs",
    "DatasetSpec": "omnirec_core.plugin.specs",
    "SplitterSpec": "omnirec_core.plugin.specs",
    "MetricSpec": "omnirec_core.plugin.specs",
    "RunnerSpec": "omnirec_core.plugin.specs",
    "AlgorithmSpec": "omnirec_core.plugin.specs",
    "Param": "omnirec_core.plugin.specs",
    "NO_DEFAULT": "omnirec_core.plugin.specs",
    "Coordinator": "omnirec_core.orchestration.coordinator",
    "ExperimentPlan": "omnirec_core.experiment.plan",
    "Grid": "omnirec_core.experiment.spaces",
    "RandomChoice": "omnirec_core.experiment.spaces",
    "RandomRange": "omnirec_core.experiment.spaces",
    "Fixed": "omnirec_core.experiment.spaces",
    "Uniform": "omnirec_core.experiment.spaces",
    "LogUniform": "omnirec_core.experiment.spaces",
    "IntRange": "omnirec_core.experiment.spaces",
    "Categorical": "omnirec_core.experiment.spaces",
    "Selection": "omnirec_core.experiment.selection",
    "Evaluator": "omnirec_core.evaluation.evaluator",
    "LocalExecutor": "omnirec_core.orchestration.executors.local",
    "SlurmExecutor": "omnirec_core.orchestration.executors",
    "RayExecutor": "omnirec_core.orchestration.executors",
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
    "NDCG": "omnirec_core.evaluation.metrics",
    "HR": "omnirec_core.evaluation.metrics",
    "Recall": "omnirec_core.evaluation.metrics",
    "RecallCapped": "omnirec_core.evaluation.metrics",
    "Precision": "omnirec_core.evaluation.metrics",
    "MRR": "omnirec_core.evaluation.metrics",
    "MAP": "omnirec_core.evaluation.metrics",
    "RMSE": "omnirec_core.evaluation.metrics",
    "MAE": "omnirec_core.evaluation.metrics",
    "ItemCoverage": "omnirec_core.evaluation.metrics",
    "Gini": "omnirec_core.evaluation.metrics",
    "AveragePopularity": "omnirec_core.evaluation.metrics",
    "Novelty": "omnirec_core.evaluation.metrics",
    "Metric": "omnirec_core.evaluation.metrics",
    "MetricResult": "omnirec_core.evaluation.metrics",
    "PredictionError": "omnirec_core.evaluation.metrics",
    "JobResult": "omnirec_core.evaluation.result",
    "load_checkpoint_results": "omnirec_core.orchestration.tree",
    "ResultSet": "omnirec_core.evaluation.resultset",
    "EnvManager": "omnirec_core.orchestration.envs.manager",
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
