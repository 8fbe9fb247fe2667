"""Rating-prediction metrics over test pairs (explicit feedback).

Each test pair (u, i, r_ui) is scored with the runner's prediction s_ui for that pair. The
aggregate is over all test pairs (not a mean of per-user values); per-user values are kept
for paired significance tests. A test pair without a prediction is an error unless the
metric is built with ``allow_missing=True``, in which case it is skipped and counted.
"""

from __future__ import annotations

import numpy as np

from omnirec_core.evaluation.metrics.base import Metric, MetricResult
from omnirec_core.evaluation.metrics.prepare import RatingData
from omnirec_core.evaluation.metrics.validate import PredictionError


class RatingMetric(Metric):
    """Base of metrics on the error e_ui = s_ui - r_ui of each scored test pair."""

    kind = "rating"
    higher_is_better = False

    def __init__(self, *, allow_missing: bool = False) -> None:
        super().__init__(None)
        self.allow_missing = allow_missing

    def _errors(self, data: RatingData) -> np.ndarray:
        if len(data.missing_rows) and not self.allow_missing:
            raise PredictionError(data.missing_message())
        if len(data.error) == 0:
            raise PredictionError(
                f"{self.metric_name}: no test pair has a predicted score; the runner must return a "
                "score for each test (user, item) pair."
            )
        return data.error

    def definition(self) -> dict:
        out = super().definition()
        out["allow_missing"] = self.allow_missing
        return out

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(allow_missing={self.allow_missing})"
            if self.allow_missing
            else f"{type(self).__name__}()"
        )


class RMSE(RatingMetric):
    """Root mean squared error over all scored test pairs.

    RMSE = sqrt( (1/|T|) * sum_{(u,i) in T} (s_ui - r_ui)^2 ); per user, the same over u's pairs.
    """

    formula = "sqrt(mean over test pairs of (s_ui - r_ui)^2)"

    def compute(self, data: RatingData) -> MetricResult:
        sq = self._errors(data) ** 2
        per_user = np.sqrt(data.per_user_mean(sq))
        return MetricResult(
            self.metric_name, float(np.sqrt(sq.mean())), data.users, {None: per_user}, data.report
        )


class MAE(RatingMetric):
    """Mean absolute error over all scored test pairs.

    MAE = (1/|T|) * sum_{(u,i) in T} |s_ui - r_ui|; per user, the same over u's pairs.
    """

    formula = "mean over test pairs of |s_ui - r_ui|"

    def compute(self, data: RatingData) -> MetricResult:
        ab = np.abs(self._errors(data))
        per_user = data.per_user_mean(ab)
        return MetricResult(self.metric_name, float(ab.mean()), data.users, {None: per_user}, data.report)
