"""Downloads of catalogue files against a real HTTP server on 127.0.0.1: pins, mirrors,
first-use records, and what happens when a file changes."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from omnirec_core.data import RecSysDataSet
from omnirec_core.data.catalog import entry
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile, obtain
from omnirec_core.data.catalog.lock import LOCK_NAME, read_lock
from omnirec_core.data.registry import is_downloaded
from omnirec_core.errors import DataError, DownloadError
from omnirec_core.plugin import manager as plugins
from omnirec_core.plugin.hookspecs import hookimpl
from omnirec_core.plugin.specs import DatasetSpec
from tests import test_registry

# The local HTTP server (a stand-in for a dataset's host) of the registry tests.
Served, server = test_registry.Served, test_registry.server

RATINGS = b"A1,0001,5.0,1000\nA2,0001,4.0,1001\nA1,0002,3.0,1002\n"


def _dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/gone.csv"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Plugin:
    def __init__(self, *specs: DatasetSpec) -> None:
        self.specs = list(specs)

    @hookimpl
    def omnirec_datasets(self) -> list[DatasetSpec]:
        return self.specs


@pytest.fixture
def use_entry() -> Iterator:
    """Register catalogue entries (pointed at the local server) as a plugin."""

    def install(*entries: CatalogEntry) -> None:
        pm = plugins.PluginManager(load_entry_points=False, disabled={"builtin-datasets"})
        pm.register(_Plugin(*(e.spec() for e in entries)), "test-catalog", "omnirec-tests")
        plugins.reset_plugins(pm)

    yield install
    plugins.reset_plugins()


def _served(name: str, urls: tuple[str, ...], *, sha256: str | None = None) -> CatalogEntry:
    """The real amazon2014-books entry (its parser and metadata) with other URLs and pin."""
    real = entry("amazon2014-books")
    file = RemoteFile("ratings_Books.csv", urls, sha256, pin_source="the test" if sha256 else "")
    return dataclasses.replace(real, name=name, aliases=(), files=(file,))


# ---- first use -------------------------------------------------------------------------
def test_first_download_is_recorded_and_later_downloads_are_checked(
    server: Served, tmp_path: Path, use_entry
) -> None:
    (server.root / "ratings.csv").write_bytes(RATINGS)
    e = _served("served-books", (server.url + "ratings.csv",))
    assert e.integrity == "first-use"
    use_entry(e)
    ds = RecSysDataSet.use_dataloader("served-books", data_dir=tmp_path / "data", quiet=True)
    assert (ds.n_users, ds.n_items, ds.num_interactions()) == (2, 2, 3)
    raw = tmp_path / "data" / "served-books"
    lock = read_lock(raw)["ratings_Books.csv"]
    assert (lock.sha256, lock.size) == (_sha(RATINGS), len(RATINGS))
    assert ds.meta["source_files"] == [
        {
            "file": "ratings_Books.csv",
            "from": server.url + "ratings.csv",
            "sha256": _sha(RATINGS),
            "check": "first use",
        }
    ]
    assert lock.source == server.url + "ratings.csv"
    assert (raw / LOCK_NAME).is_file() and is_downloaded(e.spec(), tmp_path / "data")

    # The provider changes the file: a fresh download no longer matches the first use,
    # whether its size changed or only its content.
    for changed, why in (
        (RATINGS + b"A3,0003,1.0,1003\n", "expected 51"),
        (RATINGS.replace(b"5.0", b"2.0"), "checksum mismatch"),
    ):
        (server.root / "ratings.csv").write_bytes(changed)
        with pytest.raises(DownloadError) as info:
            RecSysDataSet.use_dataloader(
                "served-books", data_dir=tmp_path / "data", force_download=True, quiet=True
            )
        msg = str(info.value)
        assert why in msg and "recorded on first use" in msg
        assert str(raw / LOCK_NAME) in msg and "delete that entry" in msg
        assert (raw / "ratings_Books.csv").read_bytes() == RATINGS  # the recorded file is kept
    (server.root / "ratings.csv").write_bytes(RATINGS + b"A3,0003,1.0,1003\n")

    # Deleting the entry, as the message says, accepts the new file and records it.
    (raw / LOCK_NAME).unlink()
    again = RecSysDataSet.use_dataloader(
        "served-books", data_dir=tmp_path / "data", force_download=True, quiet=True
    )
    assert again.num_interactions() == 4
    assert read_lock(raw)["ratings_Books.csv"].size == len(RATINGS) + 17


def test_file_changed_on_disk_after_first_use_is_refused(server: Served, tmp_path: Path) -> None:
    (server.root / "ratings.csv").write_bytes(RATINGS)
    file = RemoteFile("ratings_Books.csv", (server.url + "ratings.csv",))
    path = obtain(file, tmp_path, what="books")
    path.write_bytes(RATINGS[:-5])
    with pytest.raises(DataError, match=r"has 46 bytes, not the 51 recorded when it was first used"):
        obtain(file, tmp_path, what="books")


def test_file_placed_by_hand_is_recorded_on_first_use(tmp_path: Path) -> None:
    (tmp_path / "ratings_Books.csv").write_bytes(RATINGS)
    got = obtain(RemoteFile("ratings_Books.csv"), tmp_path)
    assert got == tmp_path / "ratings_Books.csv"
    entry_ = read_lock(tmp_path)["ratings_Books.csv"]
    assert entry_.sha256 == _sha(RATINGS) and entry_.source == "placed by hand"


def test_damaged_lock_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / LOCK_NAME).write_text("{not json")
    with pytest.raises(DataError, match=r"not a valid omnirec lock file.*delete it"):
        read_lock(tmp_path)
    (tmp_path / LOCK_NAME).write_text(json.dumps({"version": 99, "files": {}}))
    with pytest.raises(DataError, match="version 99"):
        read_lock(tmp_path)


# ---- published pins ----------------------------------------------------------------------
def test_pinned_file_is_verified_against_its_pin(server: Served, tmp_path: Path, use_entry) -> None:
    (server.root / "ratings.csv").write_bytes(RATINGS)
    good = _served("pinned-books", (server.url + "ratings.csv",), sha256=_sha(RATINGS))
    bad = _served("wrong-pin", (server.url + "ratings.csv",), sha256="0" * 64)
    assert good.integrity == "pinned"
    use_entry(good, bad)
    assert RecSysDataSet.use_dataloader("pinned-books", data_dir=tmp_path, quiet=True).num_interactions() == 3
    with pytest.raises(DownloadError, match=r"checksum mismatch \(expected sha256 0{64}"):
        RecSysDataSet.use_dataloader("wrong-pin", data_dir=tmp_path, quiet=True)
    assert not (tmp_path / "wrong-pin" / "ratings_Books.csv").exists()


def test_pinned_file_placed_by_hand_must_match_the_pin(tmp_path: Path) -> None:
    (tmp_path / "archive.zip").write_bytes(b"not the published archive")
    file = RemoteFile("archive.zip", (), "f" * 64, pin_source="OmniRec's registry")
    with pytest.raises(DataError, match=r"does not match the published checksum .*OmniRec's registry"):
        obtain(file, tmp_path)
    assert read_lock(tmp_path) == {}  # nothing recorded for a file that failed


def test_first_mirror_down_second_used(server: Served, tmp_path: Path, use_entry) -> None:
    (server.root / "mirror.csv").write_bytes(RATINGS)
    e = _served("mirrored", (_dead_url(), server.url + "missing.csv", server.url + "mirror.csv"))
    use_entry(e)
    assert RecSysDataSet.use_dataloader("mirrored", data_dir=tmp_path, quiet=True).num_interactions() == 3


def test_every_mirror_failing_is_one_error_naming_each(tmp_path: Path, use_entry) -> None:
    dead = _dead_url()
    use_entry(_served("unreachable", (dead,)))
    with pytest.raises(DownloadError) as info:
        RecSysDataSet.use_dataloader("unreachable", data_dir=tmp_path, quiet=True)
    assert dead in str(info.value) and "could not connect" in str(info.value)
    assert str(tmp_path / "unreachable") in str(info.value)


def test_manual_dataset_says_where_to_get_the_file(tmp_path: Path) -> None:
    with pytest.raises(DownloadError) as info:
        RecSysDataSet.use_dataloader("yelp-2022", data_dir=tmp_path)
    msg = str(info.value)
    assert "yelp_academic_dataset_review.json is missing" in msg
    assert "Dataset User Agreement" in msg and str(tmp_path / "yelp-2022") in msg


def test_manual_dataset_loads_once_the_file_is_there(tmp_path: Path) -> None:
    raw = tmp_path / "yelp-2022"
    raw.mkdir()
    fixture = Path(__file__).parent / "data" / "catalog" / "yelp" / "yelp_academic_dataset_review.json"
    good = b"".join(line for line in fixture.read_bytes().splitlines(keepends=True) if b"broken" not in line)
    (raw / "yelp_academic_dataset_review.json").write_bytes(good)
    ds = RecSysDataSet.use_dataloader("Yelp2022", data_dir=tmp_path)
    assert ds.name == "yelp-2022" and ds.num_interactions() == 3
    assert ds.meta["parse_reports"][0]["lines"] == 3
    assert read_lock(raw)["yelp_academic_dataset_review.json"].source == "placed by hand"


def test_parse_report_is_kept_with_the_cached_dataset(server: Served, tmp_path: Path, use_entry) -> None:
    (server.root / "ratings.csv").write_bytes(RATINGS + b"garbage\n")
    use_entry(_served("with-garbage", (server.url + "ratings.csv",)))
    # One bad line in four is over the default limit ...
    with pytest.raises(DataError, match=r"1 of 4 lines could not be used.*OMNIREC_MAX_BAD_LINES"):
        RecSysDataSet.use_dataloader("with-garbage", data_dir=tmp_path, quiet=True)


def test_bad_line_limit_can_be_raised(server: Served, tmp_path: Path, use_entry, monkeypatch) -> None:
    (server.root / "ratings.csv").write_bytes(RATINGS + b"garbage\n")
    use_entry(_served("with-garbage", (server.url + "ratings.csv",)))
    monkeypatch.setenv("OMNIREC_MAX_BAD_LINES", "0.5")
    ds = RecSysDataSet.use_dataloader("with-garbage", data_dir=tmp_path, quiet=True)
    (report,) = ds.meta["parse_reports"]
    assert (report["lines"], report["unparsable"]) == (4, 1)
    cached = RecSysDataSet.use_dataloader("with-garbage", data_dir=tmp_path)  # from the canonical cache
    assert cached.meta["parse_reports"] == ds.meta["parse_reports"]


def test_netflix_files_are_recorded_on_first_use(tmp_path: Path) -> None:
    raw = tmp_path / "netflix-prize"
    raw.mkdir()
    for i in range(1, 5):
        (raw / f"combined_data_{i}.txt").write_text(f"{i}:\n{10 + i},{i},2005-0{i}-01\n")
    ds = RecSysDataSet.use_dataloader("netflix", data_dir=tmp_path)
    assert ds.num_interactions() == 4
    assert sorted(read_lock(raw)) == [f"combined_data_{i}.txt" for i in range(1, 5)]


def test_a_catalogue_parser_reads_a_file_with_pandas_only(tmp_path: Path, monkeypatch) -> None:
    """Without pyarrow the same layout is read by pandas, to the same table."""
    fixture = Path(__file__).parent / "data" / "catalog" / "amazon2014" / "ratings_Books.csv"
    from omnirec_core.data.catalog.report import collecting

    with collecting(1.0) as with_arrow:
        a = entry("amazon2014-books").parser({"ratings_Books.csv": fixture})
    _hide_pyarrow(monkeypatch)
    with collecting(1.0) as with_pandas:
        b = entry("amazon2014-books").parser({"ratings_Books.csv": fixture})
    pd.testing.assert_frame_equal(
        a.astype({"user": str, "item": str}).reset_index(drop=True),
        b.astype({"user": str, "item": str}).reset_index(drop=True),
    )
    # pandas fills a short row with empty fields instead of flagging it, so that row is
    # reported as incomplete rather than unparsable: the same lines are left out.
    assert (
        [(r.lines, r.left_out) for r in with_arrow]
        == [(r.lines, r.left_out) for r in with_pandas]
        == [(6, 2)]
    )


def _hide_pyarrow(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real = builtins.__import__

    def no_arrow(name: str, *args: object, **kwargs: object) -> object:
        if name == "pyarrow" or name.startswith("pyarrow."):
            raise ImportError("pyarrow hidden by the test")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_arrow)
