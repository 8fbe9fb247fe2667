"""Splitters: partitions, per-user guarantees, seeding, policies, reports, plugin listing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnirec_core.builtin.splitters import (
    LeaveOneOut,
    RandomCrossValidation,
    RandomHoldout,
    TimeBasedHoldout,
    UserCrossValidation,
    UserHoldout,
    describe_split,
)
from omnirec_core.data.dataset import FoldedData, RecSysDataSet, SplitData
from omnirec_core.data.synthetic import generate
from omnirec_core.errors import SplitError
from omnirec_core.plugin.manager import get_splitter, get_splitters
from omnirec_core.random import get_random_state, set_random_state


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return generate(400, 300, 8000, seed=5)


@pytest.fixture
def ds(frame) -> RecSysDataSet:
    return RecSysDataSet.from_dataframe(frame, "syn")


def keyset(df: pd.DataFrame) -> set[tuple[int, int]]:
    return set(zip(df["user"].tolist(), df["item"].tolist()))


def per_user(df: pd.DataFrame, n_users: int) -> np.ndarray:
    return np.bincount(df["user"].to_numpy(), minlength=n_users)


def assert_partition(parts: list[pd.DataFrame], whole: pd.DataFrame) -> None:
    """The parts are disjoint and together hold exactly the rows of ``whole``."""
    assert sum(len(p) for p in parts) == len(whole)
    merged = pd.concat(parts, ignore_index=True)
    assert keyset(merged) == keyset(whole)
    cols = sorted(whole.columns)
    a = merged[cols].sort_values(["user", "item"]).reset_index(drop=True)
    b = whole[cols].sort_values(["user", "item"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


ALL_SPLITTERS = [
    RandomHoldout(0.2, 0.1),
    UserHoldout(0.2, 0.1),
    TimeBasedHoldout(0.2, 0.1),
    LeaveOneOut(1, validation=True),
    UserCrossValidation(3),
    RandomCrossValidation(4, val_size=0.1),
]


def splits_of(out: RecSysDataSet) -> list[SplitData]:
    return out.data.folds if isinstance(out.data, FoldedData) else [out.data]


# ---- properties every splitter has ---------------------------------------------
@pytest.mark.parametrize("splitter", ALL_SPLITTERS, ids=lambda s: s.name)
def test_parts_partition_the_data_in_the_same_id_space(ds, splitter):
    out = splitter.process(ds)
    assert isinstance(out.data, FoldedData if splitter.folded else SplitData)
    for split in splits_of(out):
        assert_partition(list(split.parts().values()), ds.data.df)
        assert len(split.train) and len(split.test)
    assert out.user_ids is ds.user_ids and out.item_ids is ds.item_ids
    entry = out.lineage[-1]
    assert entry["step"] == splitter.name and entry["params"] == splitter.params()
    assert entry["seed"] == get_random_state()
    assert entry["rows_before"] == entry["rows_after"] == ds.num_interactions()
    assert out.meta["split_report"] == describe_split(out)
    assert ds.lineage == [] and "split_report" not in ds.meta


@pytest.mark.parametrize("splitter", ALL_SPLITTERS, ids=lambda s: s.name)
def test_same_seed_same_split_other_seed_other_split(ds, frame, splitter):
    set_random_state(1)
    a = splitter.process(ds).fingerprint()
    b = splitter.process(ds).fingerprint()
    # Row order does not matter: the split depends on the content and the seed only.
    shuffled = RecSysDataSet.from_dataframe(frame.sample(frac=1.0, random_state=3), "syn")
    shuffled.data.df = shuffled.data.df.sample(frac=1.0, random_state=4).reset_index(drop=True)
    c = splitter.process(shuffled).fingerprint()
    set_random_state(2)
    d = splitter.process(ds).fingerprint()
    assert a == b == c
    if isinstance(splitter, (TimeBasedHoldout, LeaveOneOut)):
        assert a == d  # synthetic timestamps have no ties, so time alone decides
    else:
        assert a != d


@pytest.mark.parametrize("splitter", ALL_SPLITTERS, ids=lambda s: s.name)
def test_splitters_refuse_split_data(ds, splitter):
    split = RandomHoldout(0.2).process(ds)
    with pytest.raises(SplitError, match="works on unsplit data"):
        splitter.process(split)


def test_plugin_lists_every_splitter():
    specs = get_splitters()
    expected = {
        "RandomHoldout": False,
        "UserHoldout": False,
        "TimeBasedHoldout": False,
        "LeaveOneOut": False,
        "UserCrossValidation": True,
        "RandomCrossValidation": True,
    }
    assert {name: specs[name].folded for name in expected} == expected
    for name in expected:
        assert specs[name].description
        assert specs[name].factory.__name__ == name
    assert get_splitter("userholdout").factory is UserHoldout
    assert isinstance(specs["LeaveOneOut"].factory(n=2), LeaveOneOut)


# ---- RandomHoldout ---------------------------------------------------------------
def test_random_holdout_sizes(ds):
    out = RandomHoldout(0.25, 0.1).process(ds)
    assert (len(out.data.train), len(out.data.val), len(out.data.test)) == (5200, 800, 2000)
    counts = RandomHoldout(123, 45).process(ds).data
    assert (len(counts.test), len(counts.val), len(counts.train)) == (123, 45, 8000 - 168)
    assert RandomHoldout(0.2).process(ds).data.val is None


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((0,), "count must be at least 1"),
        ((1.0,), "fraction between 0 and 1"),
        ((-0.1,), "fraction between 0 and 1"),
        (("0.2",), "fraction between 0 and 1"),
        ((True,), "fraction between 0 and 1"),
        ((0.6, 0.4), "sum must be below 1"),
        ((0.2, -1), "count must be at least 1"),
    ],
)
def test_holdout_bad_sizes(args, match):
    for cls in (RandomHoldout, UserHoldout):
        with pytest.raises(SplitError, match=match):
            cls(*args)


def test_random_holdout_sizes_beyond_the_data(ds):
    with pytest.raises(SplitError, match="leaves none for training"):
        RandomHoldout(5000, 3000).process(ds)
    with pytest.raises(SplitError, match="is no interaction"):
        RandomHoldout(0.00001).process(ds)


# ---- UserHoldout -----------------------------------------------------------------
def test_user_holdout_per_user_fractions(ds):
    out = UserHoldout(0.2, 0.1).process(ds)
    n = ds.n_users
    total = per_user(ds.data.df, n)
    tr, va, te = (
        per_user(out.data.train, n),
        per_user(out.data.val, n),
        per_user(out.data.test, n),
    )
    eligible = total >= 3
    assert (tr[eligible] >= 1).all() and (va[eligible] >= 1).all() and (te[eligible] >= 1).all()
    # Big enough users get exactly the rounded share.
    big = total >= 10
    np.testing.assert_array_equal(te[big], np.floor(total[big] * 0.2 + 0.5))
    np.testing.assert_array_equal(va[big], np.floor(total[big] * 0.1 + 0.5))
    # Users too small for a split stay whole in train (the default policy).
    short = (total > 0) & ~eligible
    assert short.any()
    np.testing.assert_array_equal(tr[short], total[short])
    assert out.lineage[-1]["too_few_users"] == int(short.sum())
    assert out.lineage[-1]["too_few_policy"] == "train"
    assert out.lineage[-1]["min_user_interactions"] == 3


def test_user_holdout_counts_per_user(ds):
    out = UserHoldout(2, 1).process(ds)
    n = ds.n_users
    total = per_user(ds.data.df, n)
    eligible = total >= 4
    np.testing.assert_array_equal(per_user(out.data.test, n)[eligible], 2)
    np.testing.assert_array_equal(per_user(out.data.val, n)[eligible], 1)
    np.testing.assert_array_equal(per_user(out.data.test, n)[~eligible], 0)


def test_user_holdout_rounding_never_empties_train():
    # Three interactions, 50% test + 40% val: rounds to 2 + 1 = 3; one must stay in train.
    df = pd.DataFrame({"user": [1, 1, 1, 2, 2, 2], "item": [1, 2, 3, 1, 2, 3]})
    out = UserHoldout(0.5, 0.4).process(RecSysDataSet.from_dataframe(df))
    for part in ("train", "val", "test"):
        np.testing.assert_array_equal(per_user(getattr(out.data, part), 2), [1, 1])


def test_user_holdout_too_few_policies(ds):
    total = per_user(ds.data.df, ds.n_users)
    short = (total > 0) & (total < 6)
    dropped = UserHoldout(0.2, min_user_interactions=6, too_few="drop").process(ds)
    present = per_user(dropped.all_interactions(), ds.n_users) > 0
    assert not present[short].any() and present[~short & (total > 0)].all()
    assert dropped.lineage[-1]["rows_after"] == ds.num_interactions() - int(total[short].sum())
    assert dropped.meta["split_report"]["train"]["users"] == int((~short & (total > 0)).sum())

    with pytest.raises(SplitError) as err:
        UserHoldout(0.2, min_user_interactions=6, too_few="error").process(ds)
    msg = str(err.value)
    assert f"{int(short.sum())} of {int((total > 0).sum())} users have fewer than 6" in msg
    assert "CorePruning(user_core=6)" in msg and "too_few='train'" in msg


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"too_few": "keep"}, "choose one of 'train', 'drop', 'error'"),
        ({"min_user_interactions": 1}, "at least 2 interactions"),
        ({"min_user_interactions": 2.5}, "whole number >= 2"),
    ],
)
def test_user_holdout_bad_policy(kwargs, match):
    with pytest.raises(SplitError, match=match):
        UserHoldout(0.2, **kwargs)


def test_user_holdout_when_nobody_qualifies():
    df = pd.DataFrame({"user": [1, 2, 3], "item": [1, 2, 3]})
    with pytest.raises(SplitError, match="left the test part empty"):
        UserHoldout(0.2).process(RecSysDataSet.from_dataframe(df))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 8), st.integers(0, 25)), min_size=12, max_size=150),
    st.sampled_from([0.1, 0.3, 0.5, 1, 2]),
    st.sampled_from([0, 0.2, 1]),
)
def test_user_holdout_property(pairs, test_size, val_size):
    ds = RecSysDataSet.from_dataframe(pd.DataFrame(pairs, columns=["user", "item"]))
    splitter = UserHoldout(test_size, val_size)
    total = per_user(ds.data.df, ds.n_users)
    need = splitter.required_interactions()
    if not (total >= need).any():
        with pytest.raises(SplitError):
            splitter.process(ds)
        return
    out = splitter.process(ds)
    assert_partition(list(out.data.parts().values()), ds.data.df)
    eligible = total >= need
    for name, part in out.data.parts().items():
        counts = per_user(part, ds.n_users)
        assert (counts[eligible] >= 1).all(), name
        if name != "train":
            assert (counts[~eligible] == 0).all()


# ---- LeaveOneOut -----------------------------------------------------------------
def test_leave_one_out_takes_each_users_latest(ds):
    out = LeaveOneOut(validation=True).process(ds)
    n = ds.n_users
    total = per_user(ds.data.df, n)
    eligible = total >= 3
    for part in (out.data.test, out.data.val):
        np.testing.assert_array_equal(per_user(part, n)[eligible], 1)
        np.testing.assert_array_equal(per_user(part, n)[~eligible], 0)
    last_train = out.data.train.groupby("user")["timestamp"].max()
    val_t = out.data.val.set_index("user")["timestamp"]
    test_t = out.data.test.set_index("user")["timestamp"]
    assert (val_t >= last_train.loc[val_t.index]).all()
    assert (test_t >= val_t.loc[test_t.index]).all()
    assert out.lineage[-1]["by"] == "timestamp"


def test_leave_n_out():
    df = pd.DataFrame(
        {
            "user": [1] * 5 + [2] * 2,
            "item": [1, 2, 3, 4, 5, 1, 2],
            "timestamp": [5, 4, 3, 2, 1, 1, 2],
        }
    )
    out = LeaveOneOut(n=2).process(RecSysDataSet.from_dataframe(df))
    test = out.original_ids(out.data.test)
    assert sorted(test["item"][test["user"] == 1]) == [1, 2]  # the two newest
    assert (test["user"] != 2).all()  # user 2 has too few (needs 3) and stays in train


def test_leave_one_out_ties_and_missing_timestamps_are_random_but_seeded():
    df = pd.DataFrame({"user": [0] * 50, "item": range(50), "timestamp": [7] * 50})
    ds = RecSysDataSet.from_dataframe(df)
    bare = RecSysDataSet.from_dataframe(df[["user", "item"]])
    picks = set()
    for seed in range(6):
        set_random_state(seed)
        a = LeaveOneOut().process(ds).data.test["item"].tolist()
        assert LeaveOneOut().process(ds).data.test["item"].tolist() == a
        picks.add(a[0])
        out = LeaveOneOut().process(bare)
        assert out.lineage[-1]["by"] == "random" and len(out.data.test) == 1
    assert len(picks) > 1


@pytest.mark.parametrize("n", [0, -1, 1.5, True])
def test_leave_one_out_bad_n(n):
    with pytest.raises(SplitError, match="n must be a whole number"):
        LeaveOneOut(n=n)


# ---- TimeBasedHoldout ------------------------------------------------------------
def test_time_based_holdout_by_size(ds):
    out = TimeBasedHoldout(0.2, 0.1).process(ds)
    train, val, test = out.data.train, out.data.val, out.data.test
    assert (len(test), len(val)) == (1600, 800)
    assert train["timestamp"].max() <= val["timestamp"].min()
    assert val["timestamp"].max() <= test["timestamp"].min()
    assert out.lineage[-1]["test_start"] == test["timestamp"].min()
    report = out.meta["split_report"]
    assert report["test"]["unseen_users"] == len(set(test["user"]) - set(train["user"]))


def test_time_based_holdout_by_cutoff(ds):
    ts = ds.data.df["timestamp"]
    cut, vcut = int(ts.quantile(0.8)), int(ts.quantile(0.6))
    out = TimeBasedHoldout(cutoff=cut, val_cutoff=vcut).process(ds)
    assert len(out.data.test) == int((ts >= cut).sum())
    assert len(out.data.val) == int(((ts >= vcut) & (ts < cut)).sum())
    assert out.data.train["timestamp"].max() < vcut
    as_text = str(np.datetime64(cut, "s"))
    same = TimeBasedHoldout(cutoff=as_text, val_cutoff=vcut).process(ds)
    assert same.fingerprint() == out.fingerprint()
    mixed = TimeBasedHoldout(cutoff=cut, val_size=100).process(ds)
    assert len(mixed.data.val) == 100
    assert mixed.data.val["timestamp"].max() < cut <= mixed.data.test["timestamp"].min()


def test_time_based_holdout_errors(ds):
    late = int(ds.data.df["timestamp"].max()) + 1
    with pytest.raises(SplitError, match="no interaction at or after the cutoff; the data spans"):
        TimeBasedHoldout(cutoff=late).process(ds)
    with pytest.raises(SplitError, match="leaves no interaction for training"):
        TimeBasedHoldout(cutoff=0).process(ds)
    bare = RecSysDataSet.from_dataframe(ds.data.df[["user", "item"]])
    with pytest.raises(SplitError, match="needs timestamps"):
        TimeBasedHoldout(0.2).process(bare)
    with pytest.raises(SplitError, match="exactly one of test_size"):
        TimeBasedHoldout()
    with pytest.raises(SplitError, match="exactly one of test_size"):
        TimeBasedHoldout(0.2, cutoff=5)
    with pytest.raises(SplitError, match="not both"):
        TimeBasedHoldout(cutoff=5, val_size=0.1, val_cutoff=3)
    with pytest.raises(SplitError, match="val_cutoff needs cutoff"):
        TimeBasedHoldout(0.2, val_cutoff=3)
    with pytest.raises(SplitError, match="must be before"):
        TimeBasedHoldout(cutoff=5, val_cutoff=5)
    with pytest.raises(SplitError, match="not a date"):
        TimeBasedHoldout(cutoff="someday")


# ---- cross-validation ------------------------------------------------------------
def test_user_cross_validation(ds):
    out = UserCrossValidation(4).process(ds)
    folds = out.data.folds
    n = ds.n_users
    total = per_user(ds.data.df, n)
    eligible = total >= 4
    # Test parts partition every eligible user's interactions.
    tests = [f.test for f in folds]
    assert_partition(tests, ds.data.df[eligible[ds.data.df["user"].to_numpy()]])
    per_fold = np.stack([per_user(t, n) for t in tests])
    assert (per_fold[:, eligible] >= 1).all()
    assert (per_fold.max(axis=0) - per_fold.min(axis=0) <= 1).all()
    assert (per_fold[:, ~eligible] == 0).all()
    for f in folds:
        assert f.val is None
        assert (per_user(f.train, n)[eligible] >= 1).all()
    assert out.meta["split_report"]["kind"] == "folded" and len(out.meta["split_report"]["folds"]) == 4


def test_user_cross_validation_with_validation_and_drop(ds):
    out = UserCrossValidation(3, val_size=0.2, too_few="drop").process(ds)
    n = ds.n_users
    total = per_user(ds.data.df, n)
    kept = ds.data.df[(total >= 3)[ds.data.df["user"].to_numpy()]]
    for f in out.data.folds:
        assert_partition(list(f.parts().values()), kept)
        tr, va = per_user(f.train, n), per_user(f.val, n)
        assert (tr[total >= 3] >= 1).all()
        assert (va[total >= 10] >= 1).all()
    vals = [keyset(f.val) for f in out.data.folds]
    assert vals[0] != vals[1]


def test_user_cross_validation_errors(ds):
    with pytest.raises(SplitError, match="folds must be a whole number >= 2"):
        UserCrossValidation(1)
    with pytest.raises(SplitError, match="users have fewer than 50"):
        UserCrossValidation(50, too_few="error").process(ds)


def test_random_cross_validation(ds):
    out = RandomCrossValidation(3).process(ds)
    tests = [f.test for f in out.data.folds]
    assert_partition(tests, ds.data.df)
    assert sorted(len(t) for t in tests) == [2666, 2667, 2667]
    for f in out.data.folds:
        assert keyset(f.train).isdisjoint(keyset(f.test))


def test_random_cross_validation_errors():
    small = RecSysDataSet.from_dataframe(pd.DataFrame({"user": [1, 2], "item": [1, 2]}))
    with pytest.raises(SplitError, match="cannot fill 3 folds"):
        RandomCrossValidation(3).process(small)
    with pytest.raises(SplitError, match="folds must be"):
        RandomCrossValidation(2.5)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 6), st.integers(0, 30)), min_size=10, max_size=150),
    st.integers(2, 5),
)
def test_user_cross_validation_property(pairs, folds):
    ds = RecSysDataSet.from_dataframe(pd.DataFrame(pairs, columns=["user", "item"]))
    total = per_user(ds.data.df, ds.n_users)
    if not (total >= folds).any():
        with pytest.raises(SplitError):
            UserCrossValidation(folds).process(ds)
        return
    out = UserCrossValidation(folds).process(ds)
    for f in out.data.folds:
        assert_partition([f.train, f.test], ds.data.df)
    eligible = total >= folds
    per_fold = np.stack([per_user(f.test, ds.n_users) for f in out.data.folds])
    np.testing.assert_array_equal(per_fold.sum(axis=0), np.where(eligible, total, 0))


# ---- describe_split --------------------------------------------------------------
def test_describe_split_counts_unseen_users_and_items():
    df = pd.DataFrame({"user": [0, 0, 1, 2], "item": [0, 1, 1, 2], "timestamp": [1, 2, 3, 4]})
    ds = RecSysDataSet.from_dataframe(df)
    out = TimeBasedHoldout(test_size=2).process(ds)
    # train: (0,0) (0,1); test: (1,1) (2,2): users 1 and 2 unseen, item 2 unseen.
    assert describe_split(out) == {
        "kind": "split",
        "train": {"rows": 2, "users": 1, "items": 2},
        "test": {
            "rows": 2,
            "users": 2,
            "items": 2,
            "unseen_users": 2,
            "unseen_items": 1,
            "unseen_rows": 2,
        },
    }
    with pytest.raises(SplitError, match="is not split"):
        describe_split(ds)


# ---- the shared ordering ---------------------------------------------------------
@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.integers(0, 2**64 - 1), min_size=0, max_size=200, unique=True),
    st.integers(1, 40),
    st.sampled_from([0, 40, 60]),
    st.randoms(use_true_random=False),
)
def test_grouped_order_is_the_exact_lexsort(keys, n_groups, shift, rand):
    # shift=60 squeezes the keys into a few high bits, so truncated keys collide often
    # and the tie repair must restore the full-key order.
    from omnirec_core.splitting.base import grouped_order

    k = np.array([x >> shift for x in keys], dtype=np.uint64)
    k = np.unique(k)
    k = k[np.array(rand.sample(range(len(k)), len(k)), dtype=np.int64)] if len(k) else k
    group = np.array([rand.randrange(n_groups) for _ in range(len(k))], dtype=np.int64)
    np.testing.assert_array_equal(grouped_order(group, k, n_groups), np.lexsort((k, group)))
    np.testing.assert_array_equal(grouped_order(None, k), np.argsort(k, kind="stable"))


def test_short_users_kept_in_train_never_feed_validation(ds):
    out = UserCrossValidation(4, val_size=0.3).process(ds)
    total = per_user(ds.data.df, ds.n_users)
    short = (total > 0) & (total < 4)
    assert short.any()
    for f in out.data.folds:
        assert (per_user(f.val, ds.n_users)[short] == 0).all()
        assert (per_user(f.test, ds.n_users)[short] == 0).all()
        np.testing.assert_array_equal(per_user(f.train, ds.n_users)[short], total[short])
