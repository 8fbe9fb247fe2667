"""``omnirec.metrics.prediction``: OmniRec's rating-prediction metrics, computed by omnirec.

``RMSE`` and ``MAE`` are omnirec's own, over every test pair. Unlike OmniRec, a test pair
without a predicted score is an error, not silently dropped; ``RMSE(allow_missing=True)``
skips and counts such pairs instead.

``PredictionMetric`` is OmniRec's base class for rating metrics written by users: a
:class:`~omnirec.metrics.base.Metric` of kind ``"rating"`` with the ``merge`` helper.
"""

from __future__ import annotations

import pandas as pd
from pandas import DataFrame

from omnirec.metrics.base import Metric
from omnirec_core.evaluation.metrics.rating import MAE, RMSE


class PredictionMetric(Metric):
    """A rating metric written OmniRec's way: ``calculate`` gets a score for each test pair."""

    kind = "rating"

    def merge(self, predictions: DataFrame, test: DataFrame) -> DataFrame:
        """Predictions joined to the test pairs: ``rating_pred`` and ``rating_test`` side by side."""
        return pd.merge(predictions, test, on=["user", "item"], suffixes=("_pred", "_test"))


__all__ = ["MAE", "RMSE", "PredictionMetric"]
