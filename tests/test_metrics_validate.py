"""Every prediction check raises one clear PredictionError naming the offending rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from omnirec_core.errors import DataError, OmniRecError
from omnirec_core.evaluation.metrics import (
    PairIndex,
    PredictionError,
    validate_pair_scores,
    validate_predictions,
)
from omnirec_core.evaluation.metrics.lists import ranking_order

N_USERS, N_ITEMS = 4, 10


def good() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user": [0, 0, 1, 1, 2],
            "item": [1, 2, 3, 4, 5],
            "score": [0.9, 0.8, 0.7, 0.6, 0.5],
            "rank": [1, 2, 1, 2, 1],
        },
        index=[10, 11, 12, 13, 14],  # row labels the messages must use
    )


def check(pred, **kw):
    args = {"n_users": N_USERS, "n_items": N_ITEMS, "k": 2, **kw}
    return validate_predictions(pred, **args)


def test_good_predictions_pass_and_are_ordered():
    lists = check(good().iloc[::-1])
    assert lists.user.tolist() == [0, 0, 1, 1, 2]
    assert lists.item.tolist() == [1, 2, 3, 4, 5]
    assert lists.pos.tolist() == [1, 2, 1, 2, 1]
    assert lists.counts.tolist() == [2, 2, 1, 0]


def test_prediction_error_is_an_omnirec_error():
    assert issubclass(PredictionError, OmniRecError)


def test_missing_column():
    with pytest.raises(PredictionError, match=r"lack column\(s\) score .*need the columns user, item, score"):
        check(good().drop(columns="score"))


def test_float_ids_with_nan():
    pred = good().astype({"user": "float64"})
    pred.loc[12, "user"] = np.nan
    with pytest.raises(PredictionError, match=r"column 'user' has dtype float64, expected integer ids"):
        check(pred)


def test_string_item_ids():
    with pytest.raises(PredictionError, match="column 'item' has dtype"):
        check(good().astype({"item": str}))


def test_non_numeric_score():
    with pytest.raises(PredictionError, match="column 'score' has dtype"):
        check(good().astype({"score": str}))


def test_user_id_out_of_range():
    pred = good()
    pred.loc[13, "user"] = N_USERS
    with pytest.raises(PredictionError, match=r"1 user id\(s\) outside 0\.\.3, first: row 13 \(user=4\)"):
        check(pred)


def test_negative_item_id():
    pred = good()
    pred.loc[11, "item"] = -1
    with pytest.raises(PredictionError, match=r"item id\(s\) outside 0\.\.9, first: row 11 \(item=-1\)"):
        check(pred)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_score(bad):
    pred = good()
    pred.loc[12, "score"] = bad
    with pytest.raises(PredictionError, match=r"1 non-finite score\(s\).*row 12 \(user=1, item=3"):
        check(pred)


def test_rank_below_one():
    pred = good()
    pred.loc[14, "rank"] = 0
    with pytest.raises(PredictionError, match=r"rank\(s\) below 1, first: row 14"):
        check(pred)


def test_float_rank():
    with pytest.raises(PredictionError, match="column 'rank' has dtype float64"):
        check(good().astype({"rank": "float64"}))


def test_more_than_k_per_user():
    pred = pd.concat(
        [good(), pd.DataFrame({"user": [0], "item": [7], "score": [0.1], "rank": [3]}, index=[99])]
    )
    with pytest.raises(
        PredictionError, match=r"1 user\(s\) have more than k=2 predictions \(user 0 has 3\).*row 99"
    ):
        check(pred)
    assert check(pred, k=3).counts[0] == 3
    assert check(pred, k=None).counts[0] == 3  # k=None skips the length check


def test_duplicate_user_item():
    pred = good()
    pred.loc[11, "item"] = 1  # user 0 lists item 1 twice (rows 10 and 11)
    with pytest.raises(
        PredictionError, match=r"repeat 1 \(user, item\) pair\(s\), first rows: row 10 .* row 11"
    ):
        check(pred)


@pytest.mark.parametrize("as_index", [False, True])
def test_training_items_must_be_excluded(as_index):
    train = pd.DataFrame({"user": [1, 3], "item": [4, 0]})
    if as_index:
        train = PairIndex.from_frame(train, N_ITEMS)
    with pytest.raises(
        PredictionError, match=r"1 training \(user, item\) pair\(s\), first: row 13 \(user=1, item=4"
    ):
        check(good(), train=train)
    assert len(check(good(), train=train, exclude_train=False)) == 5


def test_pair_index_built_for_another_catalogue_is_refused():
    idx = PairIndex.from_frame(pd.DataFrame({"user": [0], "item": [1]}), N_ITEMS + 1)
    with pytest.raises(DataError, match="n_items=11, not 10"):
        check(good(), train=idx)


def test_mapping_of_arrays_is_accepted():
    cols = {c: good()[c].to_numpy() for c in ("user", "item", "score")}
    assert len(check(cols)) == 5


def test_pair_scores_checks():
    pairs = pd.DataFrame({"user": [0, 1, 1], "item": [1, 2, 2], "score": [3.0, 4.0, 5.0]})
    with pytest.raises(
        PredictionError, match=r"pair scores repeat 1 \(user, item\) pair\(s\), first rows: row 1 .*row 2"
    ):
        validate_pair_scores(pairs, n_users=N_USERS, n_items=N_ITEMS)
    with pytest.raises(PredictionError, match="pair scores lack column"):
        validate_pair_scores(pairs.drop(columns="score"), n_users=N_USERS, n_items=N_ITEMS)
    with pytest.raises(PredictionError, match="non-finite"):
        validate_pair_scores(pairs.assign(score=[1.0, np.nan, 2.0]), n_users=N_USERS, n_items=N_ITEMS)
    u, i, s = validate_pair_scores(pairs.iloc[:2], n_users=N_USERS, n_items=N_ITEMS)
    assert u.tolist() == [0, 1] and i.tolist() == [1, 2] and s.tolist() == [3.0, 4.0]


@pytest.mark.parametrize("seed", range(5))
def test_ranking_order_matches_lexsort(seed):
    rng = np.random.default_rng(seed)
    n = 200
    user = rng.integers(0, 10, n)
    item = rng.permutation(n)
    score = rng.integers(0, 4, n).astype(float)  # many ties
    expected = np.lexsort((item, -score, user))
    order = ranking_order(user, item, score)
    assert np.array_equal(order, expected)
    rank = rng.integers(1, 6, n)  # tied ranks: score then item decide
    order = ranking_order(user, item, score, rank)
    assert np.array_equal(order, np.lexsort((item, -score, rank, user)))
    unique_rank = np.concatenate([rng.permutation(np.arange(1, (user == u).sum() + 1)) for u in range(10)])
    by_user = np.argsort(user, kind="stable")
    rank2 = np.empty(n, dtype=np.int64)
    rank2[by_user] = unique_rank
    order = ranking_order(user, item, score, rank2)  # the counting-sort path
    assert np.array_equal(order, np.lexsort((rank2, user)))
    assert ranking_order(user[order], item[order], score[order], rank2[order]) is None


def test_empty_predictions_of_any_dtype_are_valid():
    empty = pd.DataFrame(columns=["user", "item", "score", "rank"])  # object dtype columns
    lists = check(empty)
    assert len(lists) == 0 and lists.counts.tolist() == [0] * N_USERS


@pytest.mark.parametrize("lengths", [[3, 3, 3], [3, 1, 0, 2], [1, 5], [1, 1, 1, 1, 9]])
def test_sorted_keys_for_equal_and_ragged_lists(lengths):
    rng = np.random.default_rng(sum(lengths))
    user = np.repeat(np.arange(len(lengths)), lengths)
    item = np.concatenate([rng.choice(N_ITEMS, n, replace=False) for n in lengths])
    pred = pd.DataFrame({"user": user, "item": item, "score": -np.arange(len(user), dtype=float)})
    lists = validate_predictions(pred, n_users=len(lengths), n_items=N_ITEMS, k=None)
    keys = user * N_ITEMS + item
    assert np.array_equal(lists.sorted_keys, np.sort(keys))
    assert np.array_equal(lists.keys[lists.key_order], lists.sorted_keys)
