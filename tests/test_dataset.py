"""The data model: canonicalisation, bad input, loaders, stats, fingerprint, file format."""

from __future__ import annotations

import json
import mmap
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnirec_core.data import FoldedData, RawData, RecSysDataSet, SplitData
from omnirec_core.data.canon import canonicalize, compact
from omnirec_core.data.fileformat import FORMAT, VERSION
from omnirec_core.errors import DataError


def _df() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user": ["u3", "u1", "u2", "u1", "u3"],
            "item": [30, 10, 20, 30, 10],
            "rating": [4.0, 5.0, 3.0, 2.0, 1.0],
            "timestamp": [300, 100, 200, 150, 50],
        }
    )


def _random(seed: int = 0, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "user": rng.integers(0, 40, n),
            "item": rng.integers(0, 60, n),
            "rating": rng.integers(1, 6, n).astype(float),
            "timestamp": rng.integers(0, 10**9, n),
        }
    )


# ---- canonicalisation -----------------------------------------------------------------
def test_ids_are_dense_and_assigned_in_sorted_order() -> None:
    c = canonicalize(_df())
    assert c.user_ids.tolist() == ["u1", "u2", "u3"]
    assert c.item_ids.tolist() == [10, 20, 30]
    assert c.df["user"].dtype == np.int64 and c.df["item"].dtype == np.int64
    assert c.df["rating"].dtype == np.float64 and c.df["timestamp"].dtype == np.int64
    # Every original pair survives under its new ids.
    back = set(zip(c.user_ids[c.df["user"]], c.item_ids[c.df["item"]]))
    assert back == set(zip(_df()["user"], _df()["item"]))


def test_duplicates_keep_the_latest_interaction() -> None:
    df = pd.DataFrame(
        {
            "user": [1, 1, 1, 2],
            "item": [5, 5, 5, 5],
            "rating": [1.0, 3.0, 2.0, 4.0],
            "timestamp": [10, 30, 20, 5],
        }
    )
    c = canonicalize(df)
    assert c.duplicates_dropped == 2
    row = c.df[c.df["user"] == 0]
    assert row["rating"].tolist() == [3.0] and row["timestamp"].tolist() == [30]
    ds = RecSysDataSet.from_dataframe(df)
    assert ds.meta["duplicates_dropped"] == 2 and ds.num_interactions() == 2


def test_duplicates_without_timestamps_keep_the_last_row() -> None:
    df = pd.DataFrame({"user": [1, 1, 2], "item": [5, 5, 5], "rating": [1.0, 4.0, 2.0]})
    c = canonicalize(df)
    assert c.df.sort_values("user")["rating"].tolist() == [4.0, 2.0]


def test_duplicate_with_equal_timestamps_keeps_the_later_row() -> None:
    df = pd.DataFrame({"user": [1, 1], "item": [5, 5], "rating": [1.0, 4.0], "timestamp": [7, 7]})
    assert canonicalize(df).df["rating"].tolist() == [4.0]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (pd.to_datetime(["2020-01-01 00:00:00", "2020-01-02 00:00:01"]), [1577836800, 1577923201]),
        (
            pd.to_datetime(["2020-01-01T01:00:00+01:00", "2020-01-01T00:00:01Z"], format="ISO8601", utc=True),
            [1577836800, 1577836801],
        ),
        ([1577836800.9, 1577836801.0], [1577836800, 1577836801]),
        (["2020-01-01", "2020-01-02"], [1577836800, 1577923200]),
        (["2020-01-01", "2020-01-02 00:00:05"], [1577836800, 1577923205]),
        (["1577836800", "1577836801"], [1577836800, 1577836801]),
    ],
    ids=["datetime", "tz-aware", "float", "date-text", "mixed-text", "epoch-text"],
)
def test_timestamps_become_int_seconds(values, expected) -> None:
    df = pd.DataFrame({"user": [1, 2], "item": [1, 2], "timestamp": values})
    ts = canonicalize(df).df.sort_values("user")["timestamp"]
    assert ts.dtype == np.int64
    assert ts.tolist() == expected


def test_row_order_does_not_change_the_canonical_data() -> None:
    df = _random()
    a = RecSysDataSet.from_dataframe(df)
    b = RecSysDataSet.from_dataframe(df.sample(frac=1.0, random_state=3))
    assert a.fingerprint() == b.fingerprint()


def test_compact_renumbers_after_filtering() -> None:
    c = canonicalize(_df())
    kept = c.df[c.df["user"] != 1]  # drop u2 and with it item 20
    out = compact(kept, c.user_ids, c.item_ids)
    assert out.user_ids.tolist() == ["u1", "u3"] and out.item_ids.tolist() == [10, 30]
    assert sorted(out.df["user"].unique()) == [0, 1] and sorted(out.df["item"].unique()) == [0, 1]


# ---- bad input ------------------------------------------------------------------------
@pytest.mark.parametrize("missing", ["user", "item"])
def test_missing_id_column_names_it_and_the_fix(missing: str) -> None:
    df = _df().rename(columns={missing: f"{missing}Id"})
    with pytest.raises(DataError) as info:
        RecSysDataSet.from_dataframe(df)
    msg = str(info.value)
    assert f"no '{missing}' column" in msg
    assert f"{missing}Id" in msg  # lists the columns the caller really has
    assert "columns={" in msg  # and how to map them


def test_column_mapping_fixes_the_missing_column() -> None:
    df = _df().rename(columns={"user": "userId", "item": "movieId"})
    ds = RecSysDataSet.from_dataframe(df, "m", columns={"userId": "user", "movieId": "item"})
    assert (ds.n_users, ds.n_items, ds.num_interactions()) == (3, 3, 5)


@pytest.mark.parametrize("col", ["user", "item"])
def test_nan_ids_are_refused_with_the_row(col: str) -> None:
    df = _df().astype({col: object})
    df.loc[2, col] = np.nan
    with pytest.raises(DataError, match=rf"'{col}' has 1 missing \(NaN\) ids, first at row 2.*dropna"):
        canonicalize(df)


def test_non_numeric_ratings_are_refused_with_the_value() -> None:
    df = _df().astype({"rating": object})
    df.loc[3, "rating"] = "five"
    with pytest.raises(DataError, match=r"non-numeric values such as 'five' \(row 3\)"):
        canonicalize(df)


def test_numeric_text_ratings_are_accepted() -> None:
    df = _df().astype({"rating": str})
    assert canonicalize(df).df["rating"].dtype == np.float64


def test_missing_ratings_are_refused() -> None:
    df = _df()
    df.loc[0, "rating"] = np.nan
    with pytest.raises(DataError, match="'rating' has 1 missing"):
        canonicalize(df)


def test_bad_timestamps_are_refused() -> None:
    df = _df().astype({"timestamp": object})
    df.loc[1, "timestamp"] = "not a time"
    with pytest.raises(DataError, match="neither numbers nor dates"):
        canonicalize(df)


def test_empty_dataset_is_refused() -> None:
    with pytest.raises(DataError, match="empty"):
        RecSysDataSet.from_dataframe(_df().iloc[:0])


def test_non_dataframe_is_refused() -> None:
    with pytest.raises(DataError, match="expected a pandas DataFrame"):
        canonicalize([(1, 2)])  # type: ignore[arg-type]


# ---- file loaders ---------------------------------------------------------------------
def test_from_csv_with_separator_and_column_mapping(tmp_path: Path) -> None:
    path = tmp_path / "ratings.tsv"
    df = _df().rename(columns={"user": "uid", "item": "iid", "rating": "stars"})
    df.to_csv(path, sep="\t", index=False)
    ds = RecSysDataSet.from_csv(path, columns={"uid": "user", "iid": "item", "stars": "rating"}, sep="\t")
    assert ds.name == "ratings"
    assert ds.fingerprint() == RecSysDataSet.from_dataframe(_df()).fingerprint()


def test_from_csv_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        RecSysDataSet.from_csv(tmp_path / "nope.csv")
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(DataError, match=r"could not read .*bin\.csv"):
        RecSysDataSet.from_csv(tmp_path / "bin.csv")
    (tmp_path / "cols.csv").write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="no 'user' column"):
        RecSysDataSet.from_csv(tmp_path / "cols.csv")


def test_from_parquet_with_column_mapping(tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    _df().rename(columns={"user": "visitor"}).to_parquet(path)
    ds = RecSysDataSet.from_parquet(path, "ev", columns={"visitor": "user"})
    assert ds.name == "ev"
    assert ds.fingerprint() == RecSysDataSet.from_dataframe(_df()).fingerprint()
    (tmp_path / "fake.parquet").write_text("not parquet")
    with pytest.raises(DataError, match=r"could not read .* as Parquet"):
        RecSysDataSet.from_parquet(tmp_path / "fake.parquet")


# ---- stats ----------------------------------------------------------------------------
def test_stats_of_a_small_known_dataset() -> None:
    s = RecSysDataSet.from_dataframe(_df(), "toy").stats()
    assert (s.name, s.users, s.items, s.interactions) == ("toy", 3, 3, 5)
    assert s.density == pytest.approx(5 / 9)
    assert (s.rating_min, s.rating_max, s.time_min, s.time_max) == (1.0, 5.0, 50, 300)
    assert s.feedback == "explicit"
    # per user: u1 2, u2 1, u3 2; per item: 10 -> 2, 20 -> 1, 30 -> 2
    assert s.per_user == {
        "min": 1.0,
        "q25": 1.5,
        "median": 2.0,
        "q75": 2.0,
        "max": 2.0,
        "mean": pytest.approx(5 / 3),
    }
    assert s.per_item["max"] == 2.0 and s.per_item["min"] == 1.0
    json.dumps(s.as_dict())  # serialisable for the CLI


def test_stats_of_implicit_and_split_data() -> None:
    ds = RecSysDataSet.from_dataframe(_df()[["user", "item"]])
    s = ds.stats()
    assert s.feedback == "implicit" and s.rating_min is None and s.time_min is None
    df = ds.data.df
    split = ds.replace_data(SplitData(df.iloc[:3], df.iloc[4:], df.iloc[3:4]))
    s = split.stats()
    assert s.parts == {"train": 3, "val": 1, "test": 1} and s.interactions == 5


# ---- fingerprint ----------------------------------------------------------------------
def test_fingerprint_changes_when_any_value_changes() -> None:
    base = _random()
    fp = RecSysDataSet.from_dataframe(base).fingerprint()
    for col in ["rating", "timestamp"]:
        changed = base.copy()
        changed.loc[17, col] += 1
        assert RecSysDataSet.from_dataframe(changed).fingerprint() != fp, col
    ds = RecSysDataSet.from_dataframe(base)
    moved = ds.data.df.copy()
    moved.loc[0, "item"] = (moved.loc[0, "item"] + 1) % ds.n_items
    assert ds.replace_data(RawData(moved)).fingerprint() != fp


def test_fingerprint_ignores_row_order_and_keeps_its_value() -> None:
    ds = RecSysDataSet.from_dataframe(_random())  # rows in (user, item) order: the fast path
    shuffled = ds.replace_data(RawData(ds.data.df.sample(frac=1, random_state=5)))  # the sort
    assert shuffled.fingerprint() == ds.fingerprint()
    # Job keys of existing checkpoint trees are built from it: the value must not drift.
    assert ds.fingerprint() == "7f39b8a477064e624db0f710c9d0fa4cf0bb85bfad17afeb31794bb2456985a1"


def test_fingerprint_differs_for_same_sizes_different_content() -> None:
    a = RecSysDataSet.from_dataframe(pd.DataFrame({"user": [0, 0, 1], "item": [0, 1, 1]}))
    b = RecSysDataSet.from_dataframe(pd.DataFrame({"user": [0, 1, 1], "item": [0, 0, 1]}))
    assert (a.n_users, a.n_items, a.num_interactions()) == (b.n_users, b.n_items, b.num_interactions())
    assert a.fingerprint() != b.fingerprint()


def test_fingerprint_sees_original_ids_and_split_assignment() -> None:
    a = RecSysDataSet.from_dataframe(pd.DataFrame({"user": [1, 2], "item": [1, 1]}))
    b = RecSysDataSet.from_dataframe(pd.DataFrame({"user": [1, 3], "item": [1, 1]}))
    assert a.fingerprint() != b.fingerprint()
    df = a.data.df
    s1 = a.replace_data(SplitData(df.iloc[:1], df.iloc[1:]))
    s2 = a.replace_data(SplitData(df.iloc[1:], df.iloc[:1]))
    assert len({a.fingerprint(), s1.fingerprint(), s2.fingerprint()}) == 3


# ---- save / load ----------------------------------------------------------------------
def _assert_same(a: RecSysDataSet, b: RecSysDataSet) -> None:
    assert b.name == a.name and type(b.data) is type(a.data)
    assert b.fingerprint() == a.fingerprint()
    assert b.lineage == a.lineage and b.meta == a.meta
    assert b.user_ids.tolist() == a.user_ids.tolist()
    for fa, fb in zip(a.frames(), b.frames()):
        pd.testing.assert_frame_equal(fa.reset_index(drop=True), fb.reset_index(drop=True))


def test_round_trip_raw(tmp_path: Path) -> None:
    ds = RecSysDataSet.from_dataframe(_df(), "raw")
    ds.lineage.append({"step": "Test", "seed": 3})
    path = ds.save(tmp_path / "raw")
    assert path.name == "raw.npz"
    _assert_same(ds, RecSysDataSet.load(path))
    _assert_same(ds, RecSysDataSet.load(tmp_path / "raw"))  # suffix optional


def test_round_trip_split_with_and_without_val(tmp_path: Path) -> None:
    ds = RecSysDataSet.from_dataframe(_random(), "s")
    df = ds.data.df
    for val in (None, df.iloc[300:350]):
        split = ds.replace_data(SplitData(df.iloc[:300], df.iloc[350:], val), step={"step": "x"})
        back = RecSysDataSet.load(split.save(tmp_path / "split.npz"))
        _assert_same(split, back)
        assert (back.data.val is None) == (val is None)


def test_round_trip_folded(tmp_path: Path) -> None:
    ds = RecSysDataSet.from_dataframe(_random(), "f")
    df = ds.data.df
    folds = [SplitData(df.drop(df.index[i::3]), df.iloc[i::3]) for i in range(3)]
    folded = ds.replace_data(FoldedData(folds))
    back = RecSysDataSet.load(folded.save(tmp_path / "folded.npz"))
    _assert_same(folded, back)
    assert len(back.data.folds) == 3
    for fa, fb in zip(folds, back.data.folds):
        assert fa.test["user"].tolist() == fb.test["user"].tolist()


def _rewrite_header(path: Path, **changes) -> None:
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    header = json.loads(arrays["__meta__"].tobytes().decode())
    header.update(changes)
    arrays["__meta__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(path, **arrays)


def test_unknown_version_is_a_clear_error(tmp_path: Path) -> None:
    path = RecSysDataSet.from_dataframe(_df()).save(tmp_path / "d.npz")
    _rewrite_header(path, version=VERSION + 1)
    with pytest.raises(DataError, match=rf"version {VERSION + 1}.*reads version {VERSION}.*Upgrade"):
        RecSysDataSet.load(path)


def test_other_format_is_refused(tmp_path: Path) -> None:
    path = RecSysDataSet.from_dataframe(_df()).save(tmp_path / "d.npz")
    _rewrite_header(path, format="something-else")
    with pytest.raises(DataError, match="not an omnirec dataset file"):
        RecSysDataSet.load(path)
    assert FORMAT != "something-else"
    np.savez(tmp_path / "plain.npz", a=np.arange(3))
    with pytest.raises(DataError, match="no header"):
        RecSysDataSet.load(tmp_path / "plain.npz")
    np.save(tmp_path / "array.npy", np.arange(3))
    with pytest.raises(DataError, match="not an omnirec dataset file"):
        RecSysDataSet.load(tmp_path / "array.npy")


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no dataset file at"):
        RecSysDataSet.load(tmp_path / "absent.npz")


def test_every_truncation_is_a_clear_error(tmp_path: Path) -> None:
    data = RecSysDataSet.from_dataframe(_random(), "t").save(tmp_path / "t.npz").read_bytes()
    bad = tmp_path / "bad.npz"
    for cut in range(0, len(data), max(1, len(data) // 97)):
        bad.write_bytes(data[:cut])
        with pytest.raises(DataError, match=r"corrupt or truncated|not an omnirec"):
            RecSysDataSet.load(bad)


def test_a_part_missing_its_id_column_is_corrupt(tmp_path: Path) -> None:
    path = RecSysDataSet.from_dataframe(_df()).save(tmp_path / "d.npz")
    with zipfile.ZipFile(path) as zin:
        members = {n: zin.read(n) for n in zin.namelist()}
    with zipfile.ZipFile(path, "w") as zout:
        for name, blob in members.items():
            if name != "raw/user.npy":
                zout.writestr(name, blob)
    with pytest.raises(DataError, match="corrupt"):
        RecSysDataSet.load(path)


def test_a_flipped_bit_in_a_column_is_caught(tmp_path: Path) -> None:
    path = RecSysDataSet.from_dataframe(_random(), "t").save(tmp_path / "t.npz")
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("raw/item.npy")
    data = bytearray(path.read_bytes())
    data[info.header_offset + info.compress_size] ^= 0x01  # inside the member, near its end
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match="corrupt or truncated"):
        RecSysDataSet.load(path)


def test_a_loaded_dataset_is_mapped_but_changes_stay_in_memory(tmp_path: Path) -> None:
    path = RecSysDataSet.from_dataframe(_random(), "t").save(tmp_path / "t.npz")
    before = path.read_bytes()
    ds = RecSysDataSet.load(path)
    base = ds.data.df["user"].to_numpy()
    while isinstance(base, np.ndarray):
        base = base.base
    assert isinstance(base, mmap.mmap)  # no copy into fresh memory
    ds.data.df.loc[0, "user"] = 7  # writable like any frame; the file is untouched
    assert ds.data.df["user"].iloc[0] == 7 and path.read_bytes() == before
    again = RecSysDataSet.load(path)
    pd.testing.assert_frame_equal(again.data.df, RecSysDataSet.from_dataframe(_random(), "t").data.df)


def test_a_compressed_archive_is_read_too(tmp_path: Path) -> None:
    path = RecSysDataSet.from_dataframe(_df()).save(tmp_path / "d.npz")
    with np.load(path) as z:
        arrays = {name: z[name] for name in z.files}
    np.savez_compressed(tmp_path / "c.npz", **arrays)
    pd.testing.assert_frame_equal(
        RecSysDataSet.load(tmp_path / "c.npz").data.df, RecSysDataSet.load(path).data.df
    )


def test_garbage_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "g.npz").write_text("hello")
    with pytest.raises(DataError, match="corrupt or truncated"):
        RecSysDataSet.load(tmp_path / "g.npz")


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(0, 3)), min_size=1, max_size=60))
def test_canonicalize_keeps_latest_duplicate_like_pandas(rows):
    df = pd.DataFrame(rows, columns=["user", "item", "timestamp"])
    df["rating"] = np.arange(len(df), dtype=float)  # identifies the kept row
    got = canonicalize(df).df
    # Reference: latest timestamp wins, a later row breaks ties.
    want = df.sort_values("timestamp", kind="stable").drop_duplicates(["user", "item"], keep="last")
    want = want.sort_values(["user", "item"])
    np.testing.assert_array_equal(np.sort(got["rating"].to_numpy()), np.sort(want["rating"].to_numpy()))
    assert len(got) == len(want)
