"""Metric definitions against hand-computed values, edge cases and properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnirec_core.evaluation.metrics import (
    HR,
    MAE,
    MAP,
    MRR,
    NDCG,
    RMSE,
    AveragePopularity,
    Gini,
    ItemCoverage,
    MetricError,
    MetricResult,
    Novelty,
    Precision,
    PredictionError,
    Recall,
    RecallCapped,
)
from omnirec_core.evaluation.metrics.beyond import gini

L2 = math.log2


def lists(*per_user: tuple[int, list[int]]) -> pd.DataFrame:
    """Predictions from (user, [items best first]); score decreases with position."""
    rows = [(u, i, 1.0 / (p + 1)) for u, items in per_user for p, i in enumerate(items)]
    frame = pd.DataFrame(rows, columns=["user", "item", "score"])
    return frame.astype({"user": "int64", "item": "int64", "score": "float64"})


def truth(*per_user: tuple[int, list[int]]) -> pd.DataFrame:
    rows = [(u, i) for u, items in per_user for i in items]
    return pd.DataFrame(rows, columns=["user", "item"]).astype("int64")


ALL = [NDCG, HR, Recall, RecallCapped, Precision, MRR, MAP]


def values(metric, pred, test, **kw) -> dict[str, float]:
    return metric.calculate(pred, test, **kw).values()


# -- hand-computed cases --------------------------------------------------------------------


def test_one_relevant_item_at_rank_1():
    pred, test = lists((0, [5, 6, 7])), truth((0, [5]))
    assert values(NDCG(3), pred, test) == {"NDCG@3": 1.0}
    assert values(HR(3), pred, test) == {"HR@3": 1.0}
    assert values(Recall(3), pred, test) == {"Recall@3": 1.0}
    assert values(RecallCapped(3), pred, test) == {"RecallCapped@3": 1.0}
    assert values(Precision([1, 3]), pred, test) == {"Precision@1": 1.0, "Precision@3": pytest.approx(1 / 3)}
    assert values(MRR(3), pred, test) == {"MRR@3": 1.0}
    assert values(MAP(3), pred, test) == {"MAP@3": 1.0}


def test_nothing_found_scores_zero():
    pred, test = lists((0, [1, 2, 3])), truth((0, [9]))
    for cls in ALL:
        assert all(v == 0.0 for v in values(cls([1, 3]), pred, test).values()), cls


def test_all_found():
    pred, test = lists((0, [1, 2, 3])), truth((0, [3, 1, 2]))
    assert values(NDCG([2, 3]), pred, test) == {"NDCG@2": 1.0, "NDCG@3": 1.0}
    assert values(Recall([2, 3]), pred, test) == {"Recall@2": pytest.approx(2 / 3), "Recall@3": 1.0}
    assert values(RecallCapped([2, 3]), pred, test) == {"RecallCapped@2": 1.0, "RecallCapped@3": 1.0}
    assert values(Precision([2, 3]), pred, test) == {"Precision@2": 1.0, "Precision@3": 1.0}
    assert values(MAP([2, 3]), pred, test) == {"MAP@2": 1.0, "MAP@3": 1.0}
    assert values(MRR(3), pred, test) == {"MRR@3": 1.0}


def test_ndcg_partial_hits():
    # hits at positions 2 and 3, |R| = 3: DCG = 1/log2(3) + 1/log2(4), IDCG = 1 + 1/log2(3) + 1/log2(4)
    pred, test = lists((0, [7, 1, 2])), truth((0, [1, 2, 9]))
    dcg = 1 / L2(3) + 1 / L2(4)
    idcg = 1 + 1 / L2(3) + 1 / L2(4)
    assert NDCG(3).calculate(pred, test)[3] == pytest.approx(dcg / idcg)
    # at k = 2 only position 2 counts and IDCG is over min(|R|, 2) = 2 items
    assert NDCG(2).calculate(pred, test)[2] == pytest.approx((1 / L2(3)) / (1 + 1 / L2(3)))


def test_map_hand_computed():
    # hits at positions 1, 3, 5 of 5; |R| = 4 -> AP@5 = (1/1 + 2/3 + 3/5) / 4
    pred, test = lists((0, [10, 11, 12, 13, 14])), truth((0, [10, 12, 14, 99]))
    assert MAP(5).calculate(pred, test)[5] == pytest.approx((1 + 2 / 3 + 3 / 5) / 4)
    # at k = 3: (1 + 2/3) / min(4, 3)
    assert MAP(3).calculate(pred, test)[3] == pytest.approx((1 + 2 / 3) / 3)
    assert MRR(5).calculate(pred, test)[5] == 1.0


def test_mrr_first_hit_beyond_k_is_zero():
    pred, test = lists((0, [1, 2, 3, 4])), truth((0, [4]))
    assert values(MRR([3, 4]), pred, test) == {"MRR@3": 0.0, "MRR@4": 0.25}


def test_k_larger_than_list():
    # a list of 2 with one hit at position 2, |R| = 2, k = 5
    pred, test = lists((0, [1, 2])), truth((0, [2, 8]))
    res = {cls.__name__: cls(5).calculate(pred, test)[5] for cls in ALL}
    assert res["NDCG"] == pytest.approx((1 / L2(3)) / (1 + 1 / L2(3)))
    assert res["Precision"] == pytest.approx(1 / 5)  # k, not the list length
    assert res["Recall"] == pytest.approx(1 / 2)
    assert res["RecallCapped"] == pytest.approx(1 / 2)
    assert res["HR"] == 1.0
    assert res["MRR"] == pytest.approx(1 / 2)
    assert res["MAP"] == pytest.approx((1 / 2) / 2)
    report = NDCG(5).calculate(pred, test).report
    assert report["users_with_short_lists"] == 1


def test_recall_versus_capped_recall():
    # |R| = 4 > k = 2 and both top-2 items are hits
    pred, test = lists((0, [1, 2, 3])), truth((0, [1, 2, 5, 6]))
    assert Recall(2).calculate(pred, test)[2] == pytest.approx(0.5)
    assert RecallCapped(2).calculate(pred, test)[2] == 1.0


def test_users_without_predictions_score_zero_and_are_counted():
    pred = lists((0, [1, 2]))
    test = truth((0, [1]), (1, [3]))
    res = NDCG(2).calculate(pred, test)
    assert res[2] == pytest.approx(0.5)  # user 0 scores 1, user 1 scores 0
    assert list(res.users) == [0, 1]
    assert res.per_user[2].tolist() == [1.0, 0.0]
    assert res.report["users_without_predictions"] == 1
    assert res.report["evaluated_users"] == 2


def test_users_without_relevant_items_are_left_out_and_counted():
    pred = lists((0, [1, 2]), (1, [3, 4]), (2, [5]))
    test = pd.DataFrame({"user": [0, 1, 1], "item": [1, 3, 4], "rating": [5.0, 1.0, 2.0]})
    res = HR(2).calculate(pred, test, relevance_threshold=4.0)
    assert res[2] == 1.0  # only user 0 is evaluated
    assert list(res.users) == [0]
    assert res.report["users_without_relevant"] == 1  # user 1: all ratings below 4
    assert res.report["ignored_prediction_users"] == 2  # users 1 and 2
    assert res.report["ignored_prediction_rows"] == 3


def test_no_threshold_means_every_test_item_is_relevant():
    pred = lists((1, [3, 4]))
    test = pd.DataFrame({"user": [1], "item": [4], "rating": [1.0]})
    assert HR(2).calculate(pred, test)[2] == 1.0


def test_ties_break_by_item_id_without_rank():
    pred = pd.DataFrame({"user": [0, 0, 0], "item": [9, 3, 5], "score": [1.0, 1.0, 0.5]})
    test = truth((0, [9]))
    assert MRR(3).calculate(pred, test)[3] == 0.5  # order: 3, 9, 5


def test_rank_column_wins_over_score_and_ties_in_rank_use_score_then_item():
    test = truth((0, [9]))
    pred = pd.DataFrame({"user": [0, 0, 0], "item": [3, 9, 5], "score": [0.1, 0.2, 0.3], "rank": [2, 1, 3]})
    assert MRR(3).calculate(pred, test)[3] == 1.0
    tied = pred.assign(rank=[1, 1, 2], score=[0.5, 0.5, 0.1])  # items 3 and 9 tie: 3 first
    assert MRR(3).calculate(tied, test)[3] == 0.5


def test_result_object_api():
    pred, test = lists((0, [5, 6]), (1, [1, 2])), truth((0, [6]), (1, [7]))
    res = NDCG([1, 2]).calculate(pred, test)
    assert isinstance(res, MetricResult)
    assert res.name == "NDCG"
    assert set(res.result) == {1, 2}
    assert res["NDCG@2"] == res[2]
    frame = res.per_user_frame()
    assert list(frame.columns) == ["user", "NDCG@1", "NDCG@2"]
    assert frame["NDCG@2"].tolist() == pytest.approx([1 / L2(3), 0.0])
    with pytest.raises(MetricError, match="several values"):
        _ = res.value
    with pytest.raises(KeyError):
        res[5]


@pytest.mark.parametrize("bad", [0, -1, [5, "x"], [], True, 2.5])
def test_bad_cutoffs_raise(bad):
    with pytest.raises(MetricError, match="NDCG"):
        NDCG(bad)


def test_cutoff_required_for_ranking_metrics():
    with pytest.raises(MetricError, match="needs at least one cutoff"):
        Recall()


def test_cutoffs_are_sorted_and_deduplicated():
    assert NDCG([10, 5, 10]).ks == (5, 10)
    assert NDCG([10, 5]).labels() == ["NDCG@5", "NDCG@10"]


# -- rating metrics -------------------------------------------------------------------------


def rating_case():
    test = pd.DataFrame({"user": [0, 0, 1], "item": [1, 2, 3], "rating": [4.0, 3.0, 5.0]})
    pairs = pd.DataFrame({"user": [1, 0, 0, 2], "item": [3, 2, 1, 9], "score": [4.0, 3.0, 3.5, 1.0]})
    return pairs, test


def test_rmse_mae_hand_computed():
    pairs, test = rating_case()  # errors: -0.5, 0, -1
    rmse, mae = RMSE().calculate(pairs, test), MAE().calculate(pairs, test)
    assert rmse.value == pytest.approx(math.sqrt((0.25 + 0 + 1) / 3))
    assert mae.value == pytest.approx(0.5)
    assert list(rmse.users) == [0, 1]
    assert rmse.per_user[None].tolist() == pytest.approx([math.sqrt(0.125), 1.0])
    assert mae.per_user[None].tolist() == pytest.approx([0.25, 1.0])
    assert rmse.report["ignored_predictions"] == 1  # the (2, 9) pair is not a test pair


def test_missing_pair_score_is_an_error_unless_allowed():
    pairs, test = rating_case()
    pairs = pairs[pairs["item"] != 2]
    with pytest.raises(PredictionError, match=r"1 test pair\(s\) have no predicted score.*allow_missing"):
        RMSE().calculate(pairs, test)
    res = MAE(allow_missing=True).calculate(pairs, test)
    assert res.value == pytest.approx(0.75)
    assert res.report["missing_pairs"] == 1


def test_rating_metric_needs_rating_column():
    pairs, test = rating_case()
    with pytest.raises(Exception, match="'rating' column"):
        RMSE().calculate(pairs, test.drop(columns="rating"))


# -- beyond accuracy ------------------------------------------------------------------------


def beyond_case():
    pred = lists((0, [1, 2, 3]), (1, [4, 5]), (2, [6]))
    test = truth((0, [2]), (1, [7]), (3, [1]))  # user 2 is not evaluated, user 3 has no list
    train = truth((0, [1]), (1, [2, 5]), (2, [2]))
    return pred, test, train


def test_item_coverage_and_gini():
    pred, test, _ = beyond_case()
    # top-2 lists of evaluated users 0, 1, 3: {1, 2} and {4, 5} -> 4 of 10 items
    assert ItemCoverage(2).calculate(pred, test, n_items=10)[2] == pytest.approx(0.4)
    assert ItemCoverage(3).calculate(pred, test, n_items=10)[3] == pytest.approx(0.5)
    # exposure counts: six zeros and four ones -> G = (3 + 5 + 7 + 9) / (10 * 4)
    assert Gini(2).calculate(pred, test, n_items=10)[2] == pytest.approx(0.6)
    res = Gini(2).calculate(pred, test, n_items=10)
    assert res.per_user == {}


def test_gini_function():
    assert gini(np.array([1, 1, 1, 1])) == 0.0
    assert gini(np.array([0, 0, 0, 4])) == pytest.approx(3 / 4)  # (n - 1) / n
    assert math.isnan(gini(np.zeros(3)))


def test_average_popularity_and_novelty():
    pred, test, train = beyond_case()
    # pop: item1 -> 1 user, item2 -> 2, item5 -> 1, item4 -> 0; 3 training users
    ap = AveragePopularity(2).calculate(pred, test, train=train)
    assert ap.per_user[2][:2].tolist() == [1.5, 0.5]
    assert math.isnan(ap.per_user[2][2])  # user 3 has no list: left out of the mean
    assert ap[2] == pytest.approx(1.0)
    nov = Novelty(2).calculate(pred, test, train=train)
    u0 = (L2(3 / 1) + L2(3 / 2)) / 2
    u1 = (L2(3 / 1) + L2(3 / 1)) / 2  # item 4 unseen in training counts as pop 1
    assert nov[2] == pytest.approx((u0 + u1) / 2)


def test_beyond_metrics_say_what_context_they_need():
    pred, test, _ = beyond_case()
    with pytest.raises(MetricError, match="n_items"):
        ItemCoverage(2).calculate(pred, test)
    with pytest.raises(MetricError, match="train"):
        Novelty(2).calculate(pred, test)


# -- properties -----------------------------------------------------------------------------


def reference(
    pred_lists: dict[int, list[int]], rel: dict[int, set[int]], k: int
) -> dict[str, dict[int, float]]:
    """Straight per-user definitions, for comparison."""
    out: dict[str, dict[int, float]] = {
        m: {} for m in ("NDCG", "HR", "Recall", "RecallCapped", "Precision", "MRR", "MAP")
    }
    for u, r in rel.items():
        top = pred_lists.get(u, [])[:k]
        flags = [i in r for i in top]
        hits = sum(flags)
        dcg = sum(1 / L2(p + 2) for p, f in enumerate(flags) if f)
        idcg = sum(1 / L2(p + 2) for p in range(min(len(r), k)))
        first = next((p + 1 for p, f in enumerate(flags) if f), 0)
        ap, seen = 0.0, 0
        for p, f in enumerate(flags):
            if f:
                seen += 1
                ap += seen / (p + 1)
        out["NDCG"][u] = dcg / idcg
        out["HR"][u] = float(hits > 0)
        out["Recall"][u] = hits / len(r)
        out["RecallCapped"][u] = hits / min(len(r), k)
        out["Precision"][u] = hits / k
        out["MRR"][u] = 1 / first if first else 0.0
        out["MAP"][u] = ap / min(len(r), k)
    return out


@st.composite
def instances(draw):
    n_users = draw(st.integers(1, 6))
    n_items = draw(st.integers(1, 12))
    k = draw(st.integers(1, 6))
    pred_lists = {}
    for u in range(n_users):
        items = draw(st.lists(st.integers(0, n_items - 1), unique=True, max_size=k))
        if items:
            pred_lists[u] = items
    rel = {}
    for u in range(n_users):
        items = draw(st.sets(st.integers(0, n_items - 1), max_size=n_items))
        if items:
            rel[u] = items
    seed = draw(st.integers(0, 2**16))
    return n_users, n_items, k, pred_lists, rel, seed


def frames(pred_lists, rel):
    pred = lists(*pred_lists.items()) if pred_lists else lists()
    test = truth(*((u, sorted(r)) for u, r in rel.items())) if rel else truth()
    return pred, test


@settings(max_examples=150, deadline=None)
@given(instances())
def test_matches_reference_and_bounds(inst):
    n_users, n_items, k, pred_lists, rel, _ = inst
    pred, test = frames(pred_lists, rel)
    ref = reference(pred_lists, rel, k)
    per_user = {}
    for cls in ALL:
        res = cls(k).calculate(pred, test, n_users=n_users, n_items=n_items)
        assert list(res.users) == sorted(rel)
        vals = res.per_user[k]
        per_user[cls.__name__] = vals
        assert np.all((vals >= 0) & (vals <= 1 + 1e-12)), cls.__name__
        expected = [ref[cls.__name__][u] for u in sorted(rel)]
        assert vals.tolist() == pytest.approx(expected), cls.__name__
        if rel:
            assert res[k] == pytest.approx(float(np.mean(expected)))
    if rel:
        assert np.all(per_user["HR"] >= per_user["Recall"] - 1e-12)
        assert np.all(per_user["HR"] >= per_user["Precision"] - 1e-12)
        assert np.all(per_user["RecallCapped"] >= per_user["Recall"] - 1e-12)


@settings(max_examples=100, deadline=None)
@given(instances())
def test_perfect_lists_score_one(inst):
    n_users, n_items, k, _, rel, _ = inst
    if not rel:
        return
    perfect = {u: sorted(r)[:k] for u, r in rel.items()}  # relevant items first, nothing else
    pred, test = frames(perfect, rel)
    for cls in (NDCG, HR, MRR, RecallCapped, MAP):
        res = cls(k).calculate(pred, test, n_users=n_users, n_items=n_items)
        assert res.per_user[k] == pytest.approx(np.ones(len(rel))), cls.__name__


@settings(max_examples=100, deadline=None)
@given(instances())
def test_invariant_to_row_order(inst):
    n_users, n_items, k, pred_lists, rel, seed = inst
    pred, test = frames(pred_lists, rel)
    rng = np.random.default_rng(seed)
    shuffled_pred = pred.iloc[rng.permutation(len(pred))]
    shuffled_test = test.iloc[rng.permutation(len(test))]
    for with_rank in (False, True):
        p1, p2 = pred, shuffled_pred
        if with_rank:
            p1 = pred.assign(rank=pred.groupby("user").cumcount() + 1)
            p2 = p1.iloc[rng.permutation(len(p1))]
        for cls in ALL:
            a = cls(k).calculate(p1, test, n_users=n_users, n_items=n_items)
            b = cls(k).calculate(p2, shuffled_test, n_users=n_users, n_items=n_items)
            assert np.array_equal(a.users, b.users)
            assert a.per_user[k].tolist() == pytest.approx(b.per_user[k].tolist())


def test_large_random_instance_matches_reference():
    rng = np.random.default_rng(7)
    n_users, n_items, k = 300, 60, 20
    pred_lists = {
        u: rng.choice(n_items, size=rng.integers(0, k + 1), replace=False).tolist() for u in range(n_users)
    }
    pred_lists = {u: v for u, v in pred_lists.items() if v}
    rel = {
        u: set(rng.choice(n_items, size=rng.integers(1, 15), replace=False).tolist())
        for u in range(0, n_users, 2)
    }
    pred, test = frames(pred_lists, rel)
    for kk in (1, 5, 20):
        ref = reference(pred_lists, rel, kk)
        for cls in ALL:
            res = cls(kk).calculate(pred, test, n_users=n_users, n_items=n_items)
            assert res.per_user[kk].tolist() == pytest.approx([ref[cls.__name__][u] for u in sorted(rel)])


def test_docs_custom_ranking_metric_example():
    """The F1 example of docs/metrics.md, verbatim in behaviour."""
    from omnirec_core.evaluation.metrics import RankingMetric

    class F1(RankingMetric):
        """F1 of precision@k and recall@k: 2 P R / (P + R)."""

        formula = "2 P@k R@k / (P@k + R@k)"

        def per_user_at(self, data, k):
            hits = data.hits(k)
            p, r = hits / k, hits / data.n_relevant
            return np.divide(2 * p * r, p + r, out=np.zeros(len(hits)), where=(p + r) > 0)

    pred, test = lists((0, [1, 2]), (1, [3])), truth((0, [2]), (1, [9]))
    res = F1(2).calculate(pred, test)
    assert res.per_user[2].tolist() == pytest.approx([2 * 0.5 * 1 / 1.5, 0.0])
    assert res.values() == {"F1@2": pytest.approx(1 / 3)}
