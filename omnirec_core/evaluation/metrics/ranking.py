"""Top-k ranking metrics with binary relevance.

Notation, for an evaluated user u: L_u is the list in rank order (position i = 1 is best),
R_u the relevant test items, rel_i = 1 if the item at position i is in R_u else 0, and
hits@k = sum_{i=1}^{k} rel_i. Positions past the end of a short list count as misses.
Every value is the mean over evaluated users (users with |R_u| >= 1); a user with no
predictions scores 0.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from omnirec_core.evaluation.metrics.base import Metric, MetricResult
from omnirec_core.evaluation.metrics.prepare import TopKData


class RankingMetric(Metric):
    """A per-user top-k metric: subclasses implement :meth:`per_user_at`."""

    kind = "topk"
    cutoff_required = True

    def __init__(self, k: int | Iterable[int] | None = None) -> None:
        super().__init__(k)

    def per_user_at(self, data: TopKData, k: int) -> np.ndarray:
        """One value per evaluated user (aligned with ``data.users``) at cutoff k."""
        raise NotImplementedError

    def compute(self, data: TopKData) -> MetricResult:
        per_user = {k: self.per_user_at(data, k).astype(np.float64, copy=False) for k in self.ks}
        result = {k: float(v.mean()) if len(v) else float("nan") for k, v in per_user.items()}
        return MetricResult(self.metric_name, result, data.users, per_user, data.report)


class NDCG(RankingMetric):
    """Normalised discounted cumulative gain with binary gain.

    NDCG@k = DCG@k / IDCG@k, DCG@k = sum_{i=1}^{k} rel_i / log2(i + 1),
    IDCG@k = sum_{i=1}^{min(|R_u|, k)} 1 / log2(i + 1).
    """

    formula = "DCG@k / IDCG@k; DCG@k = sum_{i<=k} rel_i / log2(i+1); IDCG@k over min(|R|, k) ones"

    def per_user_at(self, data: TopKData, k: int) -> np.ndarray:
        return data.dcg(k) / data.ideal_dcg(k)


class HR(RankingMetric):
    """Hit rate: whether any relevant item is in the top k.

    HR@k = 1 if hits@k > 0 else 0.
    """

    formula = "1 if hits@k > 0 else 0"

    def per_user_at(self, data: TopKData, k: int) -> np.ndarray:
        return (data.hits(k) > 0).astype(np.float64)


class Recall(RankingMetric):
    """Recall: the share of the user's relevant items found in the top k.

    Recall@k = hits@k / |R_u|. It cannot reach 1 when |R_u| > k; see :class:`RecallCapped`.
    """

    formula = "hits@k / |R|"

    def per_user_at(self, data: TopKData, k: int) -> np.ndarray:
        return data.hits(k) / data.n_relevant


class RecallCapped(RankingMetric):
    """Capped recall (RecPack's CalibratedRecallK, LensKit's Recall): reaches 1 for a perfect list.

    RecallCapped@k = hits@k / min(|R_u|, k).
    """

    formula = "hits@k / min(|R|, k)"

    def per_user_at(self, data: TopKData, k: int) -> np.ndarray:
        return data.hits(k) / np.minimum(data.n_relevant, k)


class Precision(RankingMetric):
    """Precision: the share of the k slots holding a relevant item.

    Precision@k = hits@k / k (k, not the list length: a short list is not rewarded).
    """

    formula = "hits@k / k"

    def per_user_at(self, data: TopKData, k: int) -> np.ndarray:
        return data.hits(k) / k


class MRR(RankingMetric):
    """Mean reciprocal rank of the first relevant item within the top k.

    MRR@k = 1 / i* where i* is the position of the first hit, or 0 if there is none in 1..k.
    """

    formula = "1 / (position of first hit) if it is <= k else 0"

    def per_user_at(self, data: TopKData, k: int) -> np.ndarray:
        first = data.first_hit
        out = np.zeros(len(first), dtype=np.float64)
        found = (first > 0) & (first <= k)
        out[found] = 1.0 / first[found]
        return out


class MAP(RankingMetric):
    """Mean average precision, normalised by the number of relevant items the list can hold.

    AP@k = (1 / min(|R_u|, k)) * sum_{i=1}^{k} rel_i * P@i, with P@i = hits@i / i; MAP@k is its mean.
    """

    formula = "(1 / min(|R|, k)) * sum_{i<=k} rel_i * hits@i / i"

    def per_user_at(self, data: TopKData, k: int) -> np.ndarray:
        return data.ap_sum(k) / np.minimum(data.n_relevant, k)
