"""Preprocessing steps and Pipe: results, lineage, seeding, bad input."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnirec_core.data.canon import compact
from omnirec_core.data.dataset import RawData, RecSysDataSet, SplitData
from omnirec_core.data.step import to_epoch_seconds
from omnirec_core.data.synthetic import generate
from omnirec_core.errors import DataError, OmniRecError
from omnirec_core.preprocess import (
    CorePruning,
    MakeImplicit,
    Pipe,
    RatingFilter,
    Step,
    Subsample,
    TimeFilter,
    UserHoldout,
)
from omnirec_core.random import set_random_state


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return generate(300, 200, 6000, seed=3)


@pytest.fixture
def ds(frame) -> RecSysDataSet:
    return RecSysDataSet.from_dataframe(frame, "syn")


def original_pairs(dataset: RecSysDataSet) -> pd.DataFrame:
    """The interactions in original ids, sorted, for comparisons across compaction."""
    out = dataset.original_ids(dataset.all_interactions())
    return out.sort_values(["user", "item"]).reset_index(drop=True)


def assert_compact(dataset: RecSysDataSet) -> None:
    df = dataset.all_interactions()
    assert sorted(df["user"].unique()) == list(range(dataset.n_users))
    assert sorted(df["item"].unique()) == list(range(dataset.n_items))
    assert df["user"].dtype == np.int64 and df["item"].dtype == np.int64


def assert_subset(small: RecSysDataSet, big: RecSysDataSet) -> None:
    """Every row of ``small`` is a row of ``big`` (in original ids, all columns)."""
    merged = original_pairs(small).merge(original_pairs(big), how="left", indicator=True)
    assert (merged["_merge"] == "both").all()


# ---- Subsample -------------------------------------------------------------------
def test_subsample_fraction_and_count(ds):
    half = Subsample(frac=0.5).process(ds)
    assert half.num_interactions() == 3000
    some = Subsample(n=1234).process(ds)
    assert some.num_interactions() == 1234
    for out in (half, some):
        assert_compact(out)
        assert_subset(out, ds)


def test_subsample_positional_float_is_a_fraction(ds):
    assert Subsample(0.25).params() == {"n": None, "frac": 0.25}
    assert Subsample(100).params() == {"n": 100, "frac": None}
    assert Subsample(0.25).process(ds).num_interactions() == 1500


def test_subsample_full_fraction_keeps_everything(ds):
    out = Subsample(frac=1.0).process(ds)
    assert out.fingerprint() == ds.fingerprint()
    assert out.lineage[-1]["rows_after"] == out.lineage[-1]["rows_before"] == 6000


def test_subsample_seeded_and_order_independent(ds, frame):
    set_random_state(7)
    a = Subsample(frac=0.3).process(ds)
    b = Subsample(frac=0.3).process(ds)
    shuffled = RecSysDataSet.from_dataframe(frame.sample(frac=1.0, random_state=1), "syn")
    c = Subsample(frac=0.3).process(shuffled)
    set_random_state(8)
    d = Subsample(frac=0.3).process(ds)
    assert a.fingerprint() == b.fingerprint() == c.fingerprint()
    assert a.fingerprint() != d.fingerprint()
    assert a.lineage[-1]["seed"] == 7 and d.lineage[-1]["seed"] == 8


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"n": 5, "frac": 0.5},
        {"frac": 0.0},
        {"frac": 1.5},
        {"frac": -0.1},
        {"n": 0},
        {"n": True},
        {"n": "10"},
    ],
)
def test_subsample_bad_parameters(kwargs):
    with pytest.raises(DataError, match="Subsample"):
        Subsample(**kwargs)


def test_subsample_more_than_available(ds):
    with pytest.raises(DataError, match="only 6000"):
        Subsample(n=10_000).process(ds)


def test_subsample_fraction_rounding_to_nothing():
    tiny = RecSysDataSet.from_dataframe(pd.DataFrame({"user": [1, 2], "item": [1, 2]}))
    with pytest.raises(DataError, match="keeps no interaction"):
        Subsample(frac=0.1).process(tiny)


# ---- MakeImplicit ----------------------------------------------------------------
def test_make_implicit(ds):
    out = MakeImplicit(4).process(ds)
    raw = ds.data.df
    assert out.num_interactions() == int((raw["rating"] >= 4).sum())
    assert "rating" not in out.data.df.columns
    assert "timestamp" in out.data.df.columns
    assert out.meta["feedback"] == "implicit" and out.feedback == "implicit"
    assert ds.feedback == "explicit" and "feedback" not in ds.meta  # input untouched
    kept = ds.original_ids(raw[raw["rating"] >= 4]).drop(columns="rating")
    pd.testing.assert_frame_equal(
        original_pairs(out), kept.sort_values(["user", "item"]).reset_index(drop=True)
    )
    assert_compact(out)
    assert out.lineage[-1] == {
        "step": "MakeImplicit",
        "params": {"threshold": 4.0},
        "rows_before": 6000,
        "rows_after": out.num_interactions(),
    }


def test_make_implicit_needs_ratings(ds):
    implicit = MakeImplicit(3).process(ds)
    with pytest.raises(DataError, match="no 'rating' column"):
        MakeImplicit(3).process(implicit)


def test_make_implicit_threshold_above_every_rating(ds):
    with pytest.raises(DataError, match=r"removed every interaction.*ratings range from 1 to 5"):
        MakeImplicit(6).process(ds)


@pytest.mark.parametrize("bad", ["3", None, float("nan"), float("inf"), True])
def test_make_implicit_bad_threshold(bad):
    with pytest.raises(DataError, match="threshold must be a number"):
        MakeImplicit(bad)


# ---- CorePruning -----------------------------------------------------------------
def naive_kcore(df: pd.DataFrame, user_core: int, item_core: int) -> pd.DataFrame:
    while True:
        before = len(df)
        df = df[df.groupby("user")["item"].transform("size") >= user_core]
        df = df[df.groupby("item")["user"].transform("size") >= item_core]
        if len(df) == before:
            return df


def test_core_pruning_meets_thresholds_and_is_the_maximal_core(ds):
    out = CorePruning(10, 15).process(ds)
    df = out.data.df
    assert df.groupby("user").size().min() >= 10
    assert df.groupby("item").size().min() >= 15
    expected = naive_kcore(ds.data.df, 10, 15)
    assert len(expected) == out.num_interactions()
    got = original_pairs(out)
    want = ds.original_ids(expected).sort_values(["user", "item"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want)
    assert_compact(out)
    entry = out.lineage[-1]
    assert entry["params"] == {"user_core": 10, "item_core": 15}
    assert entry["rows_before"] == 6000 and entry["rows_after"] == len(expected)
    assert entry["rounds"] >= 2


def test_core_pruning_item_core_defaults_to_user_core(ds):
    assert CorePruning(7).params() == {"user_core": 7, "item_core": 7}
    assert CorePruning(7).process(ds).fingerprint() == CorePruning(7, 7).process(ds).fingerprint()


def test_core_pruning_zero_or_one_disables_a_side(ds):
    users_only = CorePruning(20, 0).process(ds)
    assert users_only.data.df.groupby("user").size().min() >= 20
    expected = naive_kcore(ds.data.df, 20, 0)
    assert users_only.num_interactions() == len(expected)
    assert CorePruning(1, 1).process(ds).fingerprint() == ds.fingerprint()


@pytest.mark.parametrize(
    "kwargs", [{"user_core": -1}, {"item_core": -2}, {"user_core": 2.5}, {"user_core": "5"}]
)
def test_core_pruning_bad_cores(kwargs):
    with pytest.raises(DataError, match="core must be a whole number"):
        CorePruning(**kwargs)


def test_core_pruning_without_a_core(ds):
    with pytest.raises(DataError, match="no user-500/item-500 core exists"):
        CorePruning(500).process(ds)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), min_size=1, max_size=120),
    st.integers(0, 5),
    st.integers(0, 5),
)
def test_core_pruning_matches_naive(pairs, user_core, item_core):
    df = pd.DataFrame(pairs, columns=["user", "item"])
    ds = RecSysDataSet.from_dataframe(df)
    expected = naive_kcore(ds.data.df, user_core, item_core)
    if len(expected) == 0:
        with pytest.raises(DataError):
            CorePruning(user_core, item_core).process(ds)
        return
    out = CorePruning(user_core, item_core).process(ds)
    want = ds.original_ids(expected).sort_values(["user", "item"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(original_pairs(out), want)


# ---- compaction ------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=80))
def test_compact_equals_a_sort_based_renumbering(pairs):
    df = pd.DataFrame(pairs, columns=["user", "item"]).astype("int64")
    user_ids = np.arange(31) * 10
    item_ids = np.array([f"i{j}" for j in range(31)], dtype=object)
    fast = compact(df, user_ids, item_ids)
    users, ucodes = np.unique(df["user"].to_numpy(), return_inverse=True)
    items, icodes = np.unique(df["item"].to_numpy(), return_inverse=True)
    np.testing.assert_array_equal(fast.df["user"].to_numpy(), ucodes)
    np.testing.assert_array_equal(fast.df["item"].to_numpy(), icodes)
    np.testing.assert_array_equal(fast.user_ids, user_ids[users])
    np.testing.assert_array_equal(fast.item_ids, item_ids[items])


# ---- TimeFilter ------------------------------------------------------------------
@pytest.fixture
def timed() -> RecSysDataSet:
    df = pd.DataFrame(
        {
            "user": [1, 1, 2, 2, 3],
            "item": [1, 2, 1, 3, 2],
            "rating": [1.0, 2.0, 3.0, 4.0, 5.0],
            "timestamp": [100, 200, 300, 400, 500],
        }
    )
    return RecSysDataSet.from_dataframe(df, "timed")


def test_time_filter_bounds_are_inclusive(timed):
    out = TimeFilter(200, 400).process(timed)
    assert sorted(out.data.df["timestamp"]) == [200, 300, 400]
    assert sorted(TimeFilter(start=300).process(timed).data.df["timestamp"]) == [300, 400, 500]
    assert sorted(TimeFilter(end=100).process(timed).data.df["timestamp"]) == [100]
    assert_compact(out)
    assert out.lineage[-1] == {
        "step": "TimeFilter",
        "params": {"start": 200, "end": 400},
        "rows_before": 5,
        "rows_after": 3,
    }


def test_time_filter_accepts_dates_strings_and_seconds():
    day = 86_400
    base = to_epoch_seconds("2020-01-01")
    assert base == 1_577_836_800
    assert to_epoch_seconds(dt.datetime(2020, 1, 1)) == base
    assert to_epoch_seconds(dt.date(2020, 1, 1)) == base
    assert to_epoch_seconds(pd.Timestamp("2020-01-01T01:00:00+01:00")) == base
    assert to_epoch_seconds(np.datetime64("2020-01-02")) == base + day
    assert to_epoch_seconds(base + 0.7) == base
    assert TimeFilter("2020-01-01", "2020-01-02").params() == {"start": base, "end": base + day}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "needs start, end or both"),
        ({"start": 500, "end": 100}, "is after end"),
        ({"start": "not a date"}, "not a date or time"),
        ({"start": [1]}, "must be a datetime"),
        ({"end": True}, "must be a datetime"),
        ({"end": float("nan")}, "finite"),
    ],
)
def test_time_filter_bad_parameters(kwargs, match):
    with pytest.raises(DataError, match=match):
        TimeFilter(**kwargs)


def test_time_filter_needs_timestamps(timed):
    bare = RecSysDataSet.from_dataframe(timed.data.df[["user", "item"]])
    with pytest.raises(DataError, match="no 'timestamp' column"):
        TimeFilter(start=0).process(bare)


def test_time_filter_removing_everything_names_the_data_span(timed):
    with pytest.raises(DataError, match=r"removed every interaction.*spans 100 \(1970-01-01T00:01:40\)"):
        TimeFilter(start=10_000).process(timed)


# ---- RatingFilter ----------------------------------------------------------------
def test_rating_filter(timed):
    out = RatingFilter(2, 4).process(timed)
    assert sorted(out.data.df["rating"]) == [2.0, 3.0, 4.0]
    assert sorted(RatingFilter(min=4).process(timed).data.df["rating"]) == [4.0, 5.0]
    assert sorted(RatingFilter(max=1).process(timed).data.df["rating"]) == [1.0]
    assert out.lineage[-1]["params"] == {"min": 2.0, "max": 4.0}
    assert_compact(out)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "needs min, max"),
        ({"min": 4, "max": 2}, "larger than max"),
        ({"min": "a"}, "must be a number"),
    ],
)
def test_rating_filter_bad_parameters(kwargs, match):
    with pytest.raises(DataError, match=match):
        RatingFilter(**kwargs)


def test_rating_filter_needs_ratings_and_leftovers(timed):
    with pytest.raises(DataError, match="ratings range from 1 to 5"):
        RatingFilter(min=6).process(timed)
    with pytest.raises(DataError, match="no 'rating' column"):
        RatingFilter(min=1).process(MakeImplicit(1).process(timed))


# ---- every step ------------------------------------------------------------------
STEPS = [
    Subsample(frac=0.5),
    MakeImplicit(3),
    CorePruning(8),
    TimeFilter(end="2010-01-01"),
    RatingFilter(2, 4),
]


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.name)
def test_every_step_changes_the_fingerprint_and_leaves_the_input_alone(ds, step):
    before = ds.fingerprint()
    out = step(ds)
    assert isinstance(out.data, RawData)
    assert out.fingerprint() != before
    assert ds.fingerprint() == before and ds.lineage == []
    assert len(out.lineage) == 1 and out.lineage[0]["step"] == step.name
    assert out.lineage[0]["rows_after"] == out.num_interactions() < 6000
    assert_compact(out)


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.name)
def test_every_step_refuses_split_data(ds, step):
    split = UserHoldout(0.2).process(ds)
    with pytest.raises(DataError, match="works on unsplit data"):
        step.process(split)


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.name)
def test_every_step_keeps_rows_intact_in_original_ids(ds, step):
    out = step(ds)
    got = original_pairs(out)
    full = original_pairs(ds)
    merged = got.merge(full, on=["user", "item"], how="left", suffixes=("", "_orig"))
    assert len(merged) == len(got)
    for col in ("rating", "timestamp"):
        if col in got.columns:
            np.testing.assert_array_equal(merged[col].to_numpy(), merged[f"{col}_orig"].to_numpy())


def test_steps_are_not_datasets():
    with pytest.raises(DataError, match="expects a RecSysDataSet"):
        CorePruning(5).process(pd.DataFrame({"user": [1], "item": [1]}))


# ---- Pipe ------------------------------------------------------------------------
def test_pipe_reference_usage(ds):
    out = Pipe(MakeImplicit(3), CorePruning(5), UserHoldout(0.15, 0.15)).process(ds)
    assert isinstance(out.data, SplitData) and out.data.val is not None
    assert [e["step"] for e in out.lineage] == ["MakeImplicit", "CorePruning", "UserHoldout"]
    assert out.feedback == "implicit"
    rows = out.lineage[1]["rows_after"]
    assert sum(len(p) for p in out.data.parts().values()) == rows
    # Same result as applying the steps one by one, and the input is untouched.
    by_hand = UserHoldout(0.15, 0.15)(CorePruning(5)(MakeImplicit(3)(ds)))
    assert out.fingerprint() == by_hand.fingerprint() and out.lineage == by_hand.lineage
    assert ds.lineage == [] and isinstance(ds.data, RawData)


def test_pipe_accepts_a_list_and_nests(ds):
    inner = Pipe([MakeImplicit(3), CorePruning(5)])
    out = Pipe(inner, UserHoldout(0.2)).process(ds)
    assert [e["step"] for e in out.lineage] == ["MakeImplicit", "CorePruning", "UserHoldout"]
    assert len(inner) == 2 and not inner.final and Pipe(inner, UserHoldout(0.2)).final
    assert inner.params()["steps"][1] == {
        "step": "CorePruning",
        "params": {"user_core": 5, "item_core": 5},
    }
    assert repr(inner) == "Pipe(MakeImplicit(threshold=3.0), CorePruning(user_core=5, item_core=5))"


def test_pipe_takes_duck_typed_steps(ds):
    class DropFirstUser:
        def process(self, dataset):
            df = dataset.data.df
            return dataset.replace_data(RawData(df[df["user"] != 0].reset_index(drop=True)))

    out = Pipe(DropFirstUser(), CorePruning(5)).process(ds)
    assert ds.user_ids[0] not in set(out.user_ids)
    assert [e["step"] for e in out.lineage] == ["CorePruning"]


@pytest.mark.parametrize(
    ("steps", "match"),
    [
        ((), "at least one step"),
        ((UserHoldout(0.2), CorePruning(5)), "must be the last step"),
        ((CorePruning,), "is the class CorePruning"),
        ((CorePruning(5), "MakeImplicit"), "has no process"),
    ],
)
def test_pipe_bad_steps(steps, match):
    with pytest.raises(DataError, match=match):
        Pipe(*steps)


def test_pipe_error_is_the_steps_own_clear_error(ds):
    with pytest.raises(OmniRecError, match="no 'rating' column"):
        Pipe(MakeImplicit(3), MakeImplicit(3)).process(ds)


def test_custom_step_subclass(ds):
    class KeepEvenUsers(Step):
        def params(self):
            return {}

        def process(self, dataset):
            from omnirec_core.data.step import apply_rows

            return apply_rows(dataset, dataset.data.df["user"].to_numpy() % 2 == 0, self)

    out = Pipe(KeepEvenUsers(), CorePruning(2)).process(ds)
    assert out.lineage[0]["step"] == "KeepEvenUsers"
    assert repr(KeepEvenUsers()) == "KeepEvenUsers()"


# ---- persistence -----------------------------------------------------------------
def test_lineage_and_report_survive_save_and_load(ds, tmp_path):
    set_random_state(11)
    out = Pipe(Subsample(frac=0.8), MakeImplicit(3), CorePruning(3), UserHoldout(0.2, 0.1)).process(ds)
    path = out.save(tmp_path / "prepared")
    back = RecSysDataSet.load(path)
    assert back.lineage == out.lineage
    assert back.lineage[0]["seed"] == 11 and back.lineage[-1]["seed"] == 11
    assert back.meta["split_report"] == out.meta["split_report"]
    assert back.meta["feedback"] == "implicit"
    assert back.fingerprint() == out.fingerprint()
    np.testing.assert_array_equal(back.user_ids, out.user_ids)
