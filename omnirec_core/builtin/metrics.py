"""Built-in metric plugin: registers the core metrics the same way a third party would.

A third-party metric is one hookimpl in a module registered under the ``omnirec``
entry-point group::

    from omnirec_core.plugin.hookspecs import hookimpl
    from omnirec_core.plugin.specs import MetricSpec

    @hookimpl
    def omnirec_metrics():
        return [MetricSpec("MyMetric", factory=MyMetric, kind="topk", description="...")]
"""

from __future__ import annotations

from omnirec_core.evaluation.metrics.base import Metric
from omnirec_core.evaluation.metrics.beyond import AveragePopularity, Gini, ItemCoverage, Novelty
from omnirec_core.evaluation.metrics.ranking import HR, MAP, MRR, NDCG, Precision, Recall, RecallCapped
from omnirec_core.evaluation.metrics.rating import MAE, RMSE
from omnirec_core.plugin.hookspecs import hookimpl
from omnirec_core.plugin.specs import Feedback, MetricSpec

BUILTIN_METRICS: tuple[type[Metric], ...] = (
    NDCG,
    HR,
    Recall,
    RecallCapped,
    Precision,
    MRR,
    MAP,
    RMSE,
    MAE,
    ItemCoverage,
    Gini,
    AveragePopularity,
    Novelty,
)


def _spec(cls: type[Metric]) -> MetricSpec:
    doc = (cls.__doc__ or "").strip().splitlines()
    feedback: tuple[Feedback, ...] = ("explicit",) if cls.kind == "rating" else ("implicit", "explicit")
    return MetricSpec(
        name=cls.name or cls.__name__,
        factory=cls,
        kind=cls.kind,
        feedback=feedback,
        description=doc[0] if doc else "",
    )


@hookimpl
def omnirec_metrics() -> list[MetricSpec]:
    return [_spec(cls) for cls in BUILTIN_METRICS]
