"""The synthetic interaction generator and its size presets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from omnirec_core.data.dataset import RecSysDataSet
from omnirec_core.data.synthetic import SYNTHETIC_SIZES, T_END, T_START, generate, generate_preset
from omnirec_core.errors import DataError


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return generate(2_000, 1_000, 60_000, seed=1)


def test_shape_columns_and_dtypes(df):
    assert list(df.columns) == ["user", "item", "rating", "timestamp"]
    assert len(df) == 60_000
    assert df["user"].dtype == np.int32 and df["item"].dtype == np.int32
    assert df["rating"].dtype == np.float32 and df["timestamp"].dtype == np.int64
    assert df["user"].between(0, 1_999).all() and df["item"].between(0, 999).all()


def test_no_duplicate_pairs_and_every_user_present(df):
    assert not df.duplicated(["user", "item"]).any()
    assert df["user"].nunique() == 2_000
    assert RecSysDataSet.from_dataframe(df).meta["duplicates_dropped"] == 0


def test_ratings_and_timestamps(df):
    assert set(np.unique(df["rating"])) == {1.0, 2.0, 3.0, 4.0, 5.0}
    assert df["timestamp"].between(T_START, T_END).all()
    # Every rating level is common enough to be useful for thresholds.
    shares = df["rating"].value_counts(normalize=True)
    assert shares.min() > 0.01 and shares.max() < 0.6


def test_popularity_and_activity_are_skewed(df):
    items = np.sort(df["item"].value_counts().to_numpy())[::-1]
    top_decile = items[: len(items) // 10].sum() / items.sum()
    assert top_decile > 0.3  # uniform popularity would give 0.1
    flat = generate(2_000, 1_000, 60_000, seed=1, popularity_exponent=0.0)
    flat_items = np.sort(flat["item"].value_counts().to_numpy())[::-1]
    assert flat_items[:100].sum() / flat_items.sum() < 0.15
    users = df["user"].value_counts()
    assert users.max() > 8 * users.median()
    even = generate(2_000, 1_000, 60_000, seed=1, activity_skew=0.0)["user"].value_counts()
    assert even.max() - even.min() <= 1


def test_same_seed_same_data_other_seed_other_data(df):
    pd.testing.assert_frame_equal(generate(2_000, 1_000, 60_000, seed=1), df)
    other = generate(2_000, 1_000, 60_000, seed=2)
    assert not other.equals(df)


def test_optional_columns():
    bare = generate(50, 40, 300, ratings=False, timestamps=False)
    assert list(bare.columns) == ["user", "item"]
    assert list(generate(50, 40, 300, ratings=False).columns) == ["user", "item", "timestamp"]


def test_dense_and_tiny_requests_are_exact():
    dense = generate(10, 10, 50)  # every user gets exactly half the items
    assert len(dense) == 50 and not dense.duplicated(["user", "item"]).any()
    assert (dense["user"].value_counts() == 5).all()
    sparse = generate(100, 10, 30)  # fewer interactions than users
    assert len(sparse) == 30 and not sparse.duplicated(["user", "item"]).any()
    one = generate(1, 1, 1)
    assert one[["user", "item"]].values.tolist() == [[0, 0]]


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((0, 10, 10), {}, "n_users must be a whole number"),
        ((10, -1, 10), {}, "n_items must be"),
        ((10, 10, 2.5), {}, "n_interactions must be"),
        ((True, 10, 10), {}, "n_users must be"),
        ((10, 10, 51), {}, "do not fit 10 users x 10 items"),
        ((10, 10, 10), {"popularity_exponent": -1}, "popularity_exponent must be a number >= 0"),
        ((10, 10, 10), {"activity_skew": float("nan")}, "activity_skew must be"),
    ],
)
def test_bad_arguments(args, kwargs, match):
    with pytest.raises(DataError, match=match):
        generate(*args, **kwargs)


def test_presets():
    assert list(SYNTHETIC_SIZES) == ["tiny", "small", "medium", "1m", "10m", "25m"]
    for size in SYNTHETIC_SIZES.values():
        assert set(size) == {"n_users", "n_items", "n_interactions"}
        assert size["n_interactions"] <= size["n_users"] * max(1, size["n_items"] // 2)
    assert SYNTHETIC_SIZES["1m"]["n_interactions"] == 1_000_000
    assert SYNTHETIC_SIZES["25m"]["n_interactions"] == 25_000_000
    tiny = generate_preset("tiny", seed=3)
    assert len(tiny) == SYNTHETIC_SIZES["tiny"]["n_interactions"]
    pd.testing.assert_frame_equal(tiny, generate(**SYNTHETIC_SIZES["tiny"], seed=3))
    with pytest.raises(DataError, match="unknown synthetic size 'huge'; choose one of tiny"):
        generate_preset("huge")
