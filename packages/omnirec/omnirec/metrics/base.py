"""``omnirec.metrics.base``: metrics written OmniRec's way, inside omnirec's Evaluator.

A metric written for OmniRec subclasses :class:`Metric` and implements
``calculate(predictions, test) -> MetricResult``; it runs here unchanged::

    class Coverage10(Metric):
        def calculate(self, predictions, test):
            return MetricResult("Coverage10", predictions["item"].nunique() / 1682)

    Evaluator(NDCG([10]), Coverage10())

The Evaluator calls ``calculate`` once per job with plain DataFrames (slower than
omnirec's own metrics, which share work prepared once per job and run vectorised):

- ranking metrics (``kind = "topk"``, the default) get the ranked lists (``user``,
  ``item``, ``score``, ``rank``) of every test user, as long as the longest cutoff of any
  metric of the Evaluator, or ``list_length`` items when no metric declares one;
- rating metrics (``kind = "rating"``, or subclasses of
  :class:`omnirec.metrics.prediction.PredictionMetric`) get a score for each test pair
  (``user``, ``item``, ``score`` and, as OmniRec named it, ``rating``);
- ``test`` is the test part (``user``, ``item`` and ``rating``/``timestamp`` when the data
  has them), in omnirec's ids (0..n-1).

Cutoffs are read from ``self._k_list`` (OmniRec's ``RankingMetric`` keeps them there) or
given as ``Metric.__init__(k)``. The result is stored and shown like any other metric's,
labelled ``name@k`` from its ``MetricResult``. Such a metric has no per-user values, so
significance tests and confidence intervals leave it out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from numbers import Real
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from omnirec_core.evaluation.metrics.base import Metric as _CoreMetric
from omnirec_core.evaluation.metrics.base import MetricError, MetricResult, label, parse_cutoffs


class Metric(_CoreMetric):
    """Base class of a metric written OmniRec's way: implement ``calculate(predictions, test)``."""

    #: How many items each ranked list holds when no metric of the Evaluator declares a cutoff.
    list_length: ClassVar[int] = 20

    def __init__(self, k: int | Iterable[int] | None = None) -> None:
        self.ks = parse_cutoffs(self.metric_name, k, required=False)

    # OmniRec's metrics often skip the base __init__, so nothing below relies on it.
    @property
    def ks(self) -> tuple[int, ...]:
        """The declared cutoffs (``_k_list`` of OmniRec's ranking metrics); for a ranking
        metric without any, ``(list_length,)``: the list it asks the runners for."""
        declared = self._declared()
        if not declared and self.kind == "topk":
            return (int(self.list_length),)
        return declared

    @ks.setter
    def ks(self, value: tuple[int, ...]) -> None:
        self.__dict__["_declared_ks"] = tuple(value)

    def _declared(self) -> tuple[int, ...]:
        own = self.__dict__.get("_declared_ks")
        if own:
            return tuple(own)
        k_list = getattr(self, "_k_list", None)
        if k_list is None:
            return ()
        return parse_cutoffs(self.metric_name, k_list, required=False)

    def labels(self) -> list[str]:
        """The labels of the values it produced last time, else ``name@k`` of its cutoffs."""
        seen = self.__dict__.get("_seen_labels")
        if seen:
            return list(seen)
        return [label(self.metric_name, k) for k in self._declared()] or [self.metric_name]

    def calculate(self, predictions: pd.DataFrame, test: pd.DataFrame, **context: Any) -> MetricResult:
        """Compute the metric from plain DataFrames (see the module docstring)."""
        raise NotImplementedError(f"{type(self).__name__} must implement calculate(predictions, test)")

    def compute(self, data: Any) -> MetricResult:
        """Hand the job's predictions and test part to :meth:`calculate` as DataFrames."""
        predictions = data.predictions_frame()
        if self.kind == "rating" and "score" in predictions and "rating" not in predictions:
            predictions["rating"] = predictions["score"]
        result = as_result(self, self.calculate(predictions, data.test_frame()))
        self.__dict__["_seen_labels"] = tuple(result.values())
        return result

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and _state(other) == _state(self)

    def __hash__(self) -> int:
        return hash((type(self), self._declared()))


def _state(metric: Metric) -> dict[str, Any]:
    return {k: v for k, v in vars(metric).items() if k != "_seen_labels"}


def as_result(metric: _CoreMetric, out: Any) -> MetricResult:
    """An OmniRec-style result (``name`` and ``result``: a float, or ``{k: float}``) as a MetricResult."""
    name = getattr(out, "name", None)
    value = getattr(out, "result", None)
    where = f"{type(metric).__name__}.calculate()"
    if not isinstance(name, str) or not name:
        raise MetricError(f"{where} must return MetricResult(name, result), got {out!r}")
    result: float | dict[int, float]
    if isinstance(value, Mapping):
        by_k: dict[int, float] = {}
        for k, v in value.items():
            if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not _number(v):
                raise MetricError(f"{where}: result must map int cutoffs to numbers, got {value!r}")
            by_k[int(k)] = float(v)
        result = by_k
    elif isinstance(value, Real) and not isinstance(value, bool):
        result = float(value)
    else:
        raise MetricError(f"{where}: result must be a number or {{k: number}}, got {value!r}")
    if isinstance(out, MetricResult) and out.result == result:
        return out
    return MetricResult(name, result)


def _number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


__all__ = ["Metric", "MetricResult", "as_result"]
