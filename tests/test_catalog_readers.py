"""The readers the catalogue's parsers share: archive members, timestamps, id sorting,
line records, bad-line limits, and canonicalisation of what they return."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnirec_core.data import canon
from omnirec_core.data.catalog.ids import byte_order, sorted_categorical
from omnirec_core.data.catalog.members import Member
from omnirec_core.data.catalog.records import read_literal_rows, read_records
from omnirec_core.data.catalog.report import collecting
from omnirec_core.data.catalog.tables import WHITESPACE, Col, Layout, read_table
from omnirec_core.data.catalog.times import to_epoch_seconds
from omnirec_core.data.dataset import RecSysDataSet
from omnirec_core.errors import DataError

PAIRS = Layout((Col(0, "user", "id"), Col(1, "item", "id")), header=False)


# ---- archive members ----------------------------------------------------------------------
def test_missing_member_names_the_archive_and_the_fix(tmp_path: Path) -> None:
    archive = tmp_path / "data.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("other.csv", "a,b\n")
    with pytest.raises(DataError, match=r"data\.zip has no member 'ratings\.csv'.*download it again"):
        read_table(Member(archive, "ratings.csv"), PAIRS)


def test_truncated_gzip_is_reported_as_damaged(tmp_path: Path) -> None:
    path = tmp_path / "ratings.csv.gz"
    lines = "".join(f'{{"u": "{i * 7919 % 10007}"}}\n' for i in range(20_000)).encode()
    whole = gzip.compress(lines)
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DataError, match=r"damaged or truncated.*download it again"):
        read_records(Member(path), (Col("u", "user", "id"),))


def test_file_that_is_not_an_archive(tmp_path: Path) -> None:
    path = tmp_path / "data.zip"
    path.write_text("<html>Service unavailable</html>")
    with pytest.raises(DataError, match="damaged or truncated"):
        read_table(Member(path, "ratings.csv"), PAIRS)


def test_members_are_streamed_not_extracted(tmp_path: Path) -> None:
    archive = tmp_path / "data.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("deep/ratings.csv.gz", gzip.compress(b"u1,i1\nu2,i1\n"))
    df = read_table(Member(archive, "deep/ratings.csv.gz"), PAIRS)
    assert df["user"].astype(str).tolist() == ["u1", "u2"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.zip"]


# ---- timestamps --------------------------------------------------------------------------
def test_every_time_format_to_utc_seconds() -> None:
    seconds, ok = to_epoch_seconds(
        pa.array(["Tue Apr 03 18:00:09 +0000 2012", "Mon Aug 21 12:11:00 -0700 2017"]),
        "%a %b %d %H:%M:%S %z %Y",
    )
    assert seconds.tolist() == [1333476009, 1503342660] and ok.all()
    seconds, ok = to_epoch_seconds(
        pa.array(["11/15/2019 8:55:22 AM", "11/15/2019 12:01:00 PM"]), "%m/%d/%Y %I:%M:%S %p"
    )
    assert seconds.tolist() == [1573808122, 1573819260]
    seconds, ok = to_epoch_seconds(pa.array([1588687728923, 1588687728000]), "ms")
    assert seconds.tolist() == [1588687728, 1588687728]
    seconds, ok = to_epoch_seconds(pa.array(["1234817823", "12.9", "n/a", None]), "s")
    assert seconds[:2].tolist() == [1234817823, 12] and ok.tolist() == [True, True, False, False]


def test_alternative_time_formats_are_tried_in_order() -> None:
    values = pd.Series(["2018-07-07 22:09:11", "2012-01-03", "07/07/2018"])
    seconds, ok = to_epoch_seconds(values, "%Y-%m-%d %H:%M:%S||%Y-%m-%d")
    assert ok.tolist() == [True, True, False]
    assert seconds[:2].tolist() == [1531001351, 1325548800]


def test_bad_times_are_counted_not_kept(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    path.write_text("u1\ti1\t2009-05-04T23:08:57Z\nu2\ti1\tyesterday\n")
    layout = Layout(
        (Col(0, "user", "id"), Col(1, "item", "id"), Col(2, "timestamp", "time", "%Y-%m-%dT%H:%M:%SZ")),
        sep="\t",
        header=False,
    )
    with collecting(1.0) as reports:
        df = read_table(Member(path), layout)
    assert df["timestamp"].tolist() == [1241478537]
    assert reports[0].bad == 1 and "'yesterday'" in reports[0].examples[0]


# ---- string ids --------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=30), min_size=1, max_size=200, unique=True))
def test_byte_order_sorts_like_python_str(values: list[str]) -> None:
    order = byte_order(pa.array(values, pa.string()))
    assert [values[i] for i in order] == sorted(values)


def test_byte_order_of_a_sliced_array() -> None:
    arr = pa.array(["zz", "b", "a", "c", "aa"])[1:4]
    assert [arr[int(i)].as_py() for i in byte_order(arr)] == ["a", "b", "c"]


def test_sorted_categorical_canonicalises_like_plain_strings() -> None:
    users = ["u10", "u9", "A", "u10", "é", "u2"]
    items = ["x", "y", "x", "z", "y", "x"]
    plain = RecSysDataSet.from_dataframe(pd.DataFrame({"user": users, "item": items}))
    encoded = pd.DataFrame(
        {"user": sorted_categorical(pa.array(users)), "item": sorted_categorical(pa.array(items))}
    )
    fast = RecSysDataSet.from_dataframe(encoded)
    assert fast.fingerprint() == plain.fingerprint()
    assert fast.user_ids.tolist() == ["A", "u10", "u2", "u9", "é"]


def test_categorical_with_unused_and_unsorted_categories() -> None:
    df = pd.DataFrame(
        {"user": pd.Categorical(["b", "a", "b"], categories=["zz", "b", "q", "a"]), "item": [3, 1, 2]}
    )
    ds = RecSysDataSet.from_dataframe(df)
    assert ds.user_ids.tolist() == ["a", "b"]
    assert ds.fingerprint() == RecSysDataSet.from_dataframe(df.astype({"user": str})).fingerprint()


@pytest.mark.parametrize(
    ("n", "high", "distinct"), [(50_000, 2**50, None), (60_000, 2**58, 700), (5_000, 2**62, 40)]
)
def test_wide_keys_sorted_in_buckets_match_the_plain_sort(n: int, high: int, distinct: int | None) -> None:
    rng = np.random.default_rng(n)
    key = rng.integers(0, high, n) if distinct is None else rng.choice(rng.integers(0, high, distinct), n)
    timestamp = rng.integers(0, 4, n)
    assert canon._order_by_key(key) is not None  # too wide to pack with positions: buckets
    order = np.lexsort([np.arange(n), timestamp, key])
    last = np.ones(n, dtype=bool)
    last[:-1] = key[order][1:] != key[order][:-1]
    np.testing.assert_array_equal(canon._latest_per_key(key, timestamp), order[last])


# ---- line records ------------------------------------------------------------------------
FIELDS = (
    Col("u", "user", "id"),
    Col("i", "item", "id"),
    Col("r", "rating", "float"),
    Col("t", "timestamp", "time"),
)


def test_json_block_with_a_bad_line_falls_back_line_by_line(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(
        '{"u": "a", "i": 1, "r": 5, "t": 10}\n{"u": "b", "i": "x", "r": 4.5, "t": 11}\n[1, 2]\n{"u": \n'
    )
    with collecting(1.0) as reports:
        df = read_records(Member(path), FIELDS)
    # Ids of mixed JSON types compare as text; a list is no record; a cut line is bad JSON.
    assert df.astype({"user": str, "item": str}).values.tolist() == [["a", "1", 5.0, 10], ["b", "x", 4.5, 11]]
    assert (reports[0].lines, reports[0].bad) == (4, 2)


def test_records_without_pyarrow_give_the_same_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "r.json"
    path.write_text('{"u": "a", "i": "1", "r": 5, "t": 10}\n{"u": "b", "i": "2", "r": 4.5, "t": 11}\n')
    fast = read_records(Member(path), FIELDS)
    from tests.test_catalog_integrity import _hide_pyarrow

    _hide_pyarrow(monkeypatch)
    slow = read_records(Member(path), FIELDS)
    pd.testing.assert_frame_equal(
        fast.astype({"user": str, "item": str}), slow.astype({"user": str, "item": str})
    )


def test_literal_rows_turn_one_record_into_several(tmp_path: Path) -> None:
    path = tmp_path / "lib.json"
    path.write_text("{'id': 'u1', 'items': [{'x': '1'}, {'x': '2'}]}\n{'id': 'u2', 'items': None}\n")
    with collecting(1.0) as reports:
        df = read_literal_rows(
            Member(path),
            (Col("u", "user", "id"), Col("i", "item", "id")),
            lambda r: [(r["id"], x["x"]) for x in r["items"]],
        )
    assert df.astype(str).values.tolist() == [["u1", "1"], ["u1", "2"]]
    assert reports[0].bad == 1 and "TypeError" in reports[0].examples[0]


# ---- delimited files ---------------------------------------------------------------------
def test_more_bad_lines_than_allowed_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("u,i\n" * 190 + "only-one-field\n" * 10)
    with pytest.raises(DataError, match=r"10 of 200 lines could not be used .*more than the 1\.00% allowed"):
        read_table(Member(path), PAIRS)


def test_a_few_bad_lines_are_left_out_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "r.csv"
    path.write_text("u,i\n" * 199 + "only-one-field\n")
    df = read_table(Member(path), PAIRS)
    assert len(df) == 199
    assert "left out 1 of 200 lines" in caplog.text


def test_where_keeps_rows_and_positional_columns_skip_the_header(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("ts,visitor,event,item\n1000,1,view,5\n1001,1,cart,6\n1002,2,view,5\n")
    layout = Layout(
        (
            Col(1, "user", "intid"),
            Col(3, "item", "intid"),
            Col(0, "timestamp", "time", "ms"),
            Col(2, "event", "str"),
        ),
        where={"event": ("view",)},
    )
    df = read_table(Member(path), layout)
    assert df[["user", "item", "timestamp"]].values.tolist() == [[1, 5, 1], [2, 5, 1]]


def test_whitespace_separated_with_runs_of_blanks(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_text("1  2 3.5\n 4\t5   1\n")
    layout = Layout(
        (Col(0, "user", "intid"), Col(1, "item", "intid"), Col(2, "rating", "float")),
        sep=WHITESPACE,
        header=False,
    )
    assert read_table(Member(path), layout).values.tolist() == [[1, 2, 3.5], [4, 5, 1.0]]


def test_latin1_file_keeps_its_accents(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes('"u";"i"\n"1";"caf\u00e9"\n'.encode("latin-1"))
    layout = Layout((Col("u", "user", "intid"), Col("i", "item", "id")), sep=";", encoding="latin-1")
    assert read_table(Member(path), layout)["item"].astype(str).tolist() == ["café"]


def test_parse_reports_are_collected_per_file(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("u,i\n")
    b.write_text("u,i\nx\n")
    with collecting(1.0) as reports:
        read_table(Member(a), PAIRS)
        read_table(Member(b), PAIRS)
    assert [(r.source, r.lines, r.bad) for r in reports] == [("a.csv", 1, 0), ("b.csv", 2, 1)]
