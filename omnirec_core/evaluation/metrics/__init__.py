"""Metrics: ranking, rating and beyond-accuracy, plus prediction checks and significance tests.

Definitions and protocol choices are in ``docs/metrics.md``; each class docstring gives its
formula.
"""

from omnirec_core.evaluation.metrics.base import Metric, MetricError, MetricResult
from omnirec_core.evaluation.metrics.beyond import AveragePopularity, Gini, ItemCoverage, Novelty
from omnirec_core.evaluation.metrics.columns import PairIndex
from omnirec_core.evaluation.metrics.lists import RankedLists
from omnirec_core.evaluation.metrics.prepare import RatingData, TopKData
from omnirec_core.evaluation.metrics.ranking import (
    HR,
    MAP,
    MRR,
    NDCG,
    Precision,
    RankingMetric,
    Recall,
    RecallCapped,
)
from omnirec_core.evaluation.metrics.rating import MAE, RMSE, RatingMetric
from omnirec_core.evaluation.metrics.significance import PairedComparison, compare_paired, holm
from omnirec_core.evaluation.metrics.validate import (
    PredictionError,
    validate_pair_scores,
    validate_predictions,
)

__all__ = [
    "HR",
    "MAE",
    "MAP",
    "MRR",
    "NDCG",
    "RMSE",
    "AveragePopularity",
    "Gini",
    "ItemCoverage",
    "Metric",
    "MetricError",
    "MetricResult",
    "Novelty",
    "PairIndex",
    "PairedComparison",
    "Precision",
    "PredictionError",
    "RankedLists",
    "RankingMetric",
    "RatingData",
    "RatingMetric",
    "Recall",
    "RecallCapped",
    "TopKData",
    "compare_paired",
    "holm",
    "validate_pair_scores",
    "validate_predictions",
]
