"""``omnirec.metrics.ranking``: OmniRec's ranking metrics, computed by omnirec.

``NDCG`` and ``HR`` are omnirec's own. ``Recall`` is omnirec's ``RecallCapped``
(hits / min(|R|, k)), the formula OmniRec documents for its Recall; its values are
labelled ``RecallCapped@k``. omnirec's plain ``Recall`` (hits / |R|) is
``omnirec_core.Recall``. One deliberate difference: NDCG's ideal DCG sums over
min(|R|, k) positions, not k, so a perfect list scores 1 (see ``docs/metrics.md`` and
``docs/migrating-from-omnirec.md``).

``RankingMetric`` is OmniRec's base class for ranking metrics written by users: a
:class:`~omnirec.metrics.base.Metric` with cutoffs ``k`` (kept in ``_k_list``) and the
``make_topk_dict`` helper.
"""

from __future__ import annotations

from pandas import DataFrame

from omnirec.metrics.base import Metric
from omnirec_core.evaluation.metrics.ranking import HR, NDCG
from omnirec_core.evaluation.metrics.ranking import RecallCapped as Recall


class RankingMetric(Metric):
    """A ranking metric written OmniRec's way, with cutoffs ``k`` (an int or a list)."""

    kind = "topk"

    def __init__(self, k: int | list[int]) -> None:
        self._k_list = list(k) if isinstance(k, (list, tuple)) else [k]
        super().__init__(self._k_list)

    def make_topk_dict(self, predictions: DataFrame) -> dict[int, tuple[list[int], list[float]]]:
        """``{user: ([items by rank], [scores])}`` from a frame of ``user, item, score, rank``."""
        ordered = predictions.sort_values(["user", "rank"], kind="stable")
        return {
            int(user): (group["item"].to_list(), group["score"].to_list())
            for user, group in ordered.groupby("user", sort=True)
        }


__all__ = ["HR", "NDCG", "RankingMetric", "Recall"]
