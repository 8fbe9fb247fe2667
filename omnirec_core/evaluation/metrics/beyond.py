"""Beyond-accuracy metrics: catalogue coverage, exposure concentration, popularity, novelty.

They look at the top-k lists of the evaluated users (the same lists the accuracy metrics
score). ItemCoverage and Gini are global (one value per job, no per-user values); they need
the catalogue size ``n_items``. AveragePopularity and Novelty are per-user means over the
list and need the training data; pop(i) is the number of distinct training users of item i.
"""

from __future__ import annotations

import numpy as np

from omnirec_core.evaluation.metrics.base import MetricError, MetricResult
from omnirec_core.evaluation.metrics.columns import PairIndex
from omnirec_core.evaluation.metrics.prepare import TopKData, _cumsum0
from omnirec_core.evaluation.metrics.ranking import RankingMetric


def exposure_counts(data: TopKData, k: int) -> np.ndarray:
    """x_i = number of evaluated users' top-k lists containing item i (length n_items)."""
    rows = data.evaluated_rows & (data.lists.pos <= k)
    return np.bincount(data.lists.item[rows], minlength=data.n_items)


def gini(x: np.ndarray) -> float:
    """Gini coefficient of non-negative values x_1..x_n (0 = all equal, (n-1)/n = one holds all).

    G = sum_{j=1}^{n} (2j - n - 1) x_(j) / (n * sum_j x_j), x_(j) sorted ascending.
    """
    n = len(x)
    total = float(np.sum(x))
    if n == 0 or total == 0:
        return float("nan")
    xs = np.sort(np.asarray(x, dtype=np.float64))
    j = np.arange(1, n + 1, dtype=np.float64)
    return float(np.dot(2 * j - n - 1, xs) / (n * total))


class GlobalMetric(RankingMetric):
    """A metric of all lists together: one value per k, no per-user values."""

    needs = ("n_items",)

    def global_at(self, data: TopKData, k: int) -> float:
        raise NotImplementedError

    def compute(self, data: TopKData) -> MetricResult:
        if not data.n_items:
            raise MetricError(f"{self.metric_name} needs the catalogue size: pass n_items=...")
        result = {k: self.global_at(data, k) for k in self.ks}
        return MetricResult(self.metric_name, result, None, {}, data.report)


class ItemCoverage(GlobalMetric):
    """Catalogue coverage: the share of all items recommended to at least one user.

    ItemCoverage@k = |union_u L_u@k| / n_items.
    """

    formula = "|union of top-k lists| / n_items"

    def global_at(self, data: TopKData, k: int) -> float:
        return float(np.count_nonzero(exposure_counts(data, k))) / data.n_items


class Gini(GlobalMetric):
    """Gini coefficient of item exposure (0 = every item equally exposed, near 1 = a few items get all).

    Gini@k = sum_j (2j - n - 1) x_(j) / (n * sum_j x_j) over all n = n_items items, where x_i is
    the number of top-k lists containing item i, sorted ascending.
    """

    formula = "sum_j (2j - n - 1) x_(j) / (n sum x), x_i = #top-k lists with item i, n = n_items"
    higher_is_better = False

    def global_at(self, data: TopKData, k: int) -> float:
        return gini(exposure_counts(data, k))


class _PopularityMetric(RankingMetric):
    needs = ("train",)

    def item_values(self, train: PairIndex) -> np.ndarray:
        raise NotImplementedError

    def per_user_at(self, data: TopKData, k: int) -> np.ndarray:
        if data.train is None:
            raise MetricError(f"{self.metric_name} needs the training data: pass train=...")
        cum = data.__dict__.get(self._cache_key)
        if cum is None:
            cum = _cumsum0(self.item_values(data.train)[data.lists.item])
            data.__dict__[self._cache_key] = cum
        n = np.minimum(data.lens, k).astype(np.float64)
        out = np.full(len(n), np.nan)
        listed = n > 0
        out[listed] = data.window(cum, k)[listed] / n[listed]
        return out

    @property
    def _cache_key(self) -> str:
        return f"_cum_{type(self).__name__}"

    def compute(self, data: TopKData) -> MetricResult:
        per_user = {k: self.per_user_at(data, k) for k in self.ks}
        result = {
            k: float(np.nanmean(v)) if np.isfinite(v).any() else float("nan") for k, v in per_user.items()
        }
        return MetricResult(self.metric_name, result, data.users, per_user, data.report)


class AveragePopularity(_PopularityMetric):
    """Average recommendation popularity (ARP): mean training popularity of the listed items.

    ARP@k = mean over users with a non-empty list of (1 / |L_u@k|) * sum_{i in L_u@k} pop(i),
    pop(i) = number of distinct training users of item i.
    """

    formula = "mean_u (1/|L_u@k|) sum_{i in L_u@k} pop(i); pop(i) = #train users of i"
    higher_is_better = False

    def item_values(self, train: PairIndex) -> np.ndarray:
        return train.item_popularity.astype(np.float64)


class Novelty(_PopularityMetric):
    """Mean self-information of the listed items: rarely seen items are more novel.

    Novelty@k = mean over users with a non-empty list of
    (1 / |L_u@k|) * sum_{i in L_u@k} log2(|U_train| / max(pop(i), 1)).
    """

    formula = "mean_u (1/|L_u@k|) sum_{i in L_u@k} log2(|U_train| / max(pop(i), 1))"

    def item_values(self, train: PairIndex) -> np.ndarray:
        pop = np.maximum(train.item_popularity, 1).astype(np.float64)
        return np.log2(max(train.n_users_present, 1) / pop)
