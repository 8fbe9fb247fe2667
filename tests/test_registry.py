"""The dataset registry: specs, parsers, data directory, canonical cache, CLI."""

from __future__ import annotations

import functools
import hashlib
import re
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from omnirec_core.cli import main
from omnirec_core.data import RecSysDataSet
from omnirec_core.data.movielens import RELEASES, MovieLensRelease, read_recbole_inter, release
from omnirec_core.data.paths import DATA_DIR_ENV, data_dir
from omnirec_core.data.registry import read_netflix
from omnirec_core.errors import DataError, DownloadError, PluginError
from omnirec_core.plugin import manager as plugins
from omnirec_core.plugin.hookspecs import hookimpl
from omnirec_core.plugin.specs import DatasetSpec

ROWS = [
    (196, 242, 3.0, 881250949),
    (186, 302, 3.0, 891717742),
    (22, 377, 1.0, 878887116),
    (196, 377, 4.5, 881250950),
    (5, 242, 2.0, 881250000),
]


def _zip(path: Path, member: str, text: str) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(member, text)
    return path


def _udata() -> str:
    return "".join(f"{u}\t{i}\t{r:g}\t{t}\n" for u, i, r, t in ROWS)


def _dat() -> str:
    return "".join(f"{u}::{i}::{r:g}::{t}\n" for u, i, r, t in ROWS)


def _csv() -> str:
    return "userId,movieId,rating,timestamp\n" + "".join(f"{u},{i},{r},{t}\n" for u, i, r, t in ROWS)


def _expected() -> pd.DataFrame:
    return pd.DataFrame(ROWS, columns=["user", "item", "rating", "timestamp"])


# ---- the built-in specs ---------------------------------------------------------------
def test_every_movielens_release_is_registered_with_official_url_and_checksum() -> None:
    table = plugins.PluginManager(load_entry_points=False).datasets()
    expected = {
        "movielens-100k",
        "movielens-1m",
        "movielens-10m",
        "movielens-20m",
        "movielens-25m",
        "movielens-latest-small",
    }
    assert expected <= set(table)
    for r in RELEASES:
        assert table[r.name].distribution == "omnirec-core"
        assert r.url == f"https://files.grouplens.org/datasets/movielens/{r.archive}"
        assert r.sha256 is not None and re.fullmatch(r"[0-9a-f]{64}", r.sha256)
        assert r.size and r.size > 900_000
        assert table[r.name].spec.source == r.url
    assert len({r.sha256 for r in RELEASES}) == len(RELEASES)


def test_aliases_and_case_resolve_to_the_same_spec() -> None:
    assert plugins.get_dataset("ml-100k").name == "movielens-100k"
    assert plugins.get_dataset("MovieLens1M").name == "movielens-1m"
    assert plugins.get_dataset("MOVIELENS-20M").name == "movielens-20m"
    assert plugins.get_dataset("netflix").name == "netflix-prize"
    with pytest.raises(PluginError, match="movielens-100k"):
        plugins.get_dataset("movielens-100")


def test_ml100k_has_the_pypi_wheel_as_second_source() -> None:
    sources = release("movielens-100k").sources()
    assert [type(s).__name__ for s in sources] == ["UrlSource", "WheelMemberSource"]
    assert "recbole==1.2.1" in sources[1].describe()


# ---- parsers --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("movielens-100k", _udata),
        ("movielens-1m", _dat),
        ("movielens-10m", _dat),
        ("movielens-20m", _csv),
        ("movielens-25m", _csv),
        ("movielens-latest-small", _csv),
    ],
)
def test_each_layout_parses_to_the_same_table(tmp_path: Path, name: str, make) -> None:
    r = release(name)
    archive = _zip(tmp_path / r.archive, r.member, make())
    df = r.parse(archive)
    assert list(df.columns) == ["user", "item", "rating", "timestamp"]
    pd.testing.assert_frame_equal(df.astype(_expected().dtypes.to_dict()), _expected())


def test_recbole_inter_copy_canonicalises_like_udata(tmp_path: Path) -> None:
    inter = tmp_path / "ml-100k.inter"
    inter.write_text("user_id:token\titem_id:token\trating:float\ttimestamp:float\n" + _udata())
    a = RecSysDataSet.from_dataframe(read_recbole_inter(inter), "x")
    r = release("movielens-100k")
    b = RecSysDataSet.from_dataframe(r.parse(_zip(tmp_path / r.archive, r.member, _udata())), "x")
    assert a.fingerprint() == b.fingerprint()
    # Ids are numeric, so canonical order is numeric (5 < 22 < 186), not text order.
    assert a.user_ids.tolist() == [5, 22, 186, 196]


def test_archive_without_the_ratings_member_is_a_clear_error(tmp_path: Path) -> None:
    r = release("movielens-1m")
    archive = _zip(tmp_path / r.archive, "ml-1m/other.dat", "x")
    with pytest.raises(DataError, match=r"no ml-1m/ratings.dat.*download again"):
        r.parse(archive)


def test_netflix_parser_attaches_each_movie_id_to_its_rows(tmp_path: Path) -> None:
    f = tmp_path / "combined_data_1.txt"
    f.write_text("1:\n1488844,3,2005-09-06\n822109,5,2005-05-13\n2:\n1488844,4,2005-01-01\n")
    df = read_netflix(f)
    assert df["item"].tolist() == [1, 1, 2]
    assert df["user"].tolist() == [1488844, 822109, 1488844]
    assert df["rating"].tolist() == [3.0, 5.0, 4.0]
    ds = RecSysDataSet.from_dataframe(df)
    assert int(ds.all_interactions()["timestamp"].min()) == 1104537600  # 2005-01-01 UTC


# ---- data directory -------------------------------------------------------------------
def test_data_dir_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    default = data_dir()
    assert default.parts[-2:] == ("omnirec", "datasets")
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "env"))
    assert data_dir() == tmp_path / "env"
    assert data_dir(tmp_path / "arg") == tmp_path / "arg"


# ---- loading through the registry, with a local server as GroupLens --------------------
class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class Served:
    root: Path
    url: str


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Served]:
    """Files in ``root`` served over HTTP on 127.0.0.1 at ``url``: a stand-in for GroupLens."""
    root = tmp_path / "www"
    root.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield Served(root, f"http://127.0.0.1:{httpd.server_address[1]}/")
    finally:
        httpd.shutdown()
        httpd.server_close()


class _Plugin:
    def __init__(self, *specs: DatasetSpec) -> None:
        self.specs = list(specs)

    @hookimpl
    def omnirec_datasets(self) -> list[DatasetSpec]:
        return self.specs


@pytest.fixture
def use_plugin() -> Iterator:
    def install(*specs: DatasetSpec) -> plugins.PluginManager:
        pm = plugins.PluginManager(load_entry_points=False)
        pm.register(_Plugin(*specs), "test-datasets", "omnirec-tests")
        plugins.reset_plugins(pm)
        return pm

    yield install
    plugins.reset_plugins()


@pytest.fixture
def toy(server: Served, use_plugin) -> MovieLensRelease:
    """A MovieLens-style release served from 127.0.0.1, registered as 'toylens'."""
    data = _zip(server.root / "toy.zip", "toy/u.data", _udata()).read_bytes()
    r = MovieLensRelease(
        "toylens",
        "toy.zip",
        "toy/u.data",
        "udata",
        hashlib.sha256(data).hexdigest(),
        len(data),
        "toy",
        "5 ratings",
        ("toy",),
        base_url=server.url,
    )
    use_plugin(r.spec())
    return r


def test_load_downloads_canonicalises_and_caches(
    toy: MovieLensRelease, server: Served, tmp_path: Path
) -> None:
    ds = RecSysDataSet.use_dataloader("toy", data_dir=tmp_path / "data", quiet=True)
    assert ds.name == "toylens" and ds.meta["dataset"] == "toylens"
    assert (ds.n_users, ds.n_items, ds.num_interactions()) == (4, 3, 5)
    # The file read and its checksum are the dataset's record of origin.
    assert ds.meta["source_files"] == [
        {"file": "toy.zip", "from": server.url + "toy.zip", "sha256": toy.sha256, "check": "pinned"}
    ]
    raw = tmp_path / "data" / "toylens"
    assert (raw / "toy.zip").is_file()
    caches = list(raw.glob("*.npz"))
    assert len(caches) == 1
    # The server is gone and the raw file too: the cache alone answers.
    (server.root / "toy.zip").unlink()
    (raw / "toy.zip").unlink()
    again = RecSysDataSet.use_dataloader("toylens", data_dir=tmp_path / "data")
    assert again.fingerprint() == ds.fingerprint()
    # force_canonicalize must go back to the raw files, which are gone now.
    with pytest.raises(DownloadError, match="HTTP 404"):
        RecSysDataSet.use_dataloader(
            "toylens", data_dir=tmp_path / "data", force_canonicalize=True, quiet=True
        )


def test_force_canonicalize_rebuilds_from_changed_raw_file(toy: MovieLensRelease, tmp_path: Path) -> None:
    first = RecSysDataSet.use_dataloader("toylens", data_dir=tmp_path, quiet=True)
    _zip(tmp_path / "toylens" / "toy.zip", "toy/u.data", _udata() + "999\t1\t5\t1\n")
    assert RecSysDataSet.use_dataloader("toylens", data_dir=tmp_path).fingerprint() == first.fingerprint()
    rebuilt = RecSysDataSet.use_dataloader("toylens", data_dir=tmp_path, force_canonicalize=True)
    assert rebuilt.num_interactions() == 6
    assert RecSysDataSet.use_dataloader("toylens", data_dir=tmp_path).num_interactions() == 6


def test_env_var_picks_the_data_dir(
    toy: MovieLensRelease, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "env-data"))
    RecSysDataSet.use_dataloader("toylens", quiet=True)
    assert (tmp_path / "env-data" / "toylens" / "toy.zip").is_file()


def test_raw_dir_and_canon_path_arguments(toy: MovieLensRelease, tmp_path: Path) -> None:
    ds = RecSysDataSet.use_dataloader(
        "toylens", raw_dir=tmp_path / "raw", canon_path=tmp_path / "canon" / "toy"
    )
    assert (tmp_path / "raw" / "toy.zip").is_file()
    assert RecSysDataSet.load(tmp_path / "canon" / "toy.npz").fingerprint() == ds.fingerprint()


def test_canon_path_holding_another_dataset_is_refused(toy: MovieLensRelease, tmp_path: Path) -> None:
    other = RecSysDataSet.from_dataframe(_expected(), "other")
    other.meta["dataset"] = "other"
    path = other.save(tmp_path / "mine.npz")
    with pytest.raises(DataError, match=r"holds dataset 'other'.*force_canonicalize"):
        RecSysDataSet.use_dataloader("toylens", canon_path=path, raw_dir=tmp_path / "raw", quiet=True)
    assert RecSysDataSet.load(path).name == "other"  # untouched
    RecSysDataSet.use_dataloader(
        "toylens", canon_path=path, raw_dir=tmp_path / "raw", quiet=True, force_canonicalize=True
    )
    assert RecSysDataSet.load(path).name == "toylens"


def test_corrupt_cache_is_rebuilt(toy: MovieLensRelease, tmp_path: Path) -> None:
    ds = RecSysDataSet.use_dataloader("toylens", data_dir=tmp_path, quiet=True)
    (cache,) = (tmp_path / "toylens").glob("*.npz")
    cache.write_bytes(cache.read_bytes()[:100])
    assert RecSysDataSet.use_dataloader("toylens", data_dir=tmp_path).fingerprint() == ds.fingerprint()
    assert RecSysDataSet.load(cache).fingerprint() == ds.fingerprint()


# ---- synthetic data ---------------------------------------------------------------------
def test_synthetic_presets_are_registered_and_generated_not_cached(tmp_path: Path) -> None:
    from omnirec_core.data.synthetic import SYNTHETIC_SIZES

    names = set(plugins.get_datasets())
    assert "synthetic" in names
    assert {f"synthetic-{s}" for s in SYNTHETIC_SIZES if s != "small"} <= names
    assert plugins.get_dataset("synthetic-small").name == "synthetic"
    ds = RecSysDataSet.use_dataloader("synthetic-tiny", data_dir=tmp_path)
    tiny = SYNTHETIC_SIZES["tiny"]
    assert ds.num_interactions() == tiny["n_interactions"]
    assert ds.n_users <= tiny["n_users"] and ds.n_items <= tiny["n_items"]
    assert ds.meta["dataset"] == "synthetic-tiny"
    assert not tmp_path.exists() or not any(tmp_path.iterdir())  # nothing written
    assert RecSysDataSet.use_dataloader("synthetic-tiny", data_dir=tmp_path).fingerprint() == ds.fingerprint()


def test_synthetic_is_cached_where_asked(tmp_path: Path) -> None:
    ds = RecSysDataSet.use_dataloader("synthetic-tiny", canon_path=tmp_path / "tiny")
    assert RecSysDataSet.load(tmp_path / "tiny.npz").fingerprint() == ds.fingerprint()


# ---- manual downloads and plugin loaders -----------------------------------------------
def test_netflix_missing_files_say_where_to_get_and_put_them(tmp_path: Path) -> None:
    with pytest.raises(DownloadError) as info:
        RecSysDataSet.use_dataloader("netflix", data_dir=tmp_path)
    msg = str(info.value)
    assert "kaggle.com" in msg and "combined_data_1.txt" in msg
    assert str(tmp_path / "netflix-prize") in msg


def test_netflix_loads_once_files_are_in_place(tmp_path: Path) -> None:
    raw = tmp_path / "netflix-prize"
    raw.mkdir()
    for i in range(1, 5):
        (raw / f"combined_data_{i}.txt").write_text(f"{i}:\n{10 + i},{i},2005-0{i}-01\n7,5,2004-12-31\n")
    ds = RecSysDataSet.use_dataloader("netflix-prize", data_dir=tmp_path)
    assert (ds.n_users, ds.n_items, ds.num_interactions()) == (5, 4, 8)


def test_third_party_licence_note_becomes_the_instructions(use_plugin, tmp_path: Path) -> None:
    def load(data_dir: Path, force_download: bool) -> pd.DataFrame:
        return pd.read_csv(Path(data_dir) / "clicks.csv")

    use_plugin(
        DatasetSpec("clicks", load, licence_note="Request clicks.csv from ACME Corp.", feedback="implicit")
    )
    with pytest.raises(DownloadError, match=r"clicks\.csv is missing\. Request clicks\.csv from ACME"):
        RecSysDataSet.use_dataloader("clicks", data_dir=tmp_path)
    (tmp_path / "clicks").mkdir()
    (tmp_path / "clicks" / "clicks.csv").write_text("user,item\na,x\nb,x\na,y\n")
    ds = RecSysDataSet.use_dataloader("clicks", data_dir=tmp_path)
    assert ds.feedback == "implicit" and ds.num_interactions() == 3
    assert ds.user_ids.tolist() == ["a", "b"]


def test_loader_returning_garbage_names_the_plugin_fix(use_plugin, tmp_path: Path) -> None:
    use_plugin(DatasetSpec("bad", lambda d, f: [1, 2, 3]))
    with pytest.raises(DataError, match="returned list, not a pandas DataFrame"):
        RecSysDataSet.use_dataloader("bad", data_dir=tmp_path)


# ---- CLI --------------------------------------------------------------------------------
def test_cli_datasets_marks_downloaded(toy: MovieLensRelease, tmp_path: Path) -> None:
    runner = CliRunner()
    before = runner.invoke(main, ["datasets", "--data-dir", str(tmp_path)], env={"COLUMNS": "200"})
    assert before.exit_code == 0, before.output
    assert re.search(r"toylens .*\bno\b", before.output)
    RecSysDataSet.use_dataloader("toylens", data_dir=tmp_path, quiet=True)
    after = runner.invoke(main, ["datasets", "--data-dir", str(tmp_path)], env={"COLUMNS": "200"})
    assert re.search(r"toylens .*\byes\b", after.output)
    assert "omnirec-tests" in after.output  # which distribution provides it


def test_cli_download_and_stats(toy: MovieLensRelease, tmp_path: Path) -> None:
    runner = CliRunner()
    dl = runner.invoke(main, ["data", "download", "toy", "--data-dir", str(tmp_path), "-q"])
    assert dl.exit_code == 0, dl.output
    assert "toylens: 4 users, 3 items, 5 interactions" in dl.output
    st = runner.invoke(
        main, ["data", "stats", "toylens", "--data-dir", str(tmp_path)], env={"COLUMNS": "200"}
    )
    assert st.exit_code == 0, st.output
    assert re.search(r"interactions\s*│\s*5\b", st.output)
    assert re.search(r"ratings\s*│\s*1 \.\. 4\.5", st.output)


def test_cli_stats_of_a_saved_file(tmp_path: Path) -> None:
    ds = RecSysDataSet.from_dataframe(_expected(), "saved")
    path = ds.save(tmp_path / "saved.npz")
    res = CliRunner().invoke(main, ["data", "stats", str(path), "--json"])
    assert res.exit_code == 0, res.output
    assert '"interactions": 5' in res.output and '"users": 4' in res.output


def test_cli_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["data", "stats", "movielens-100", "--data-dir", str(tmp_path)])
    assert res.exit_code == 2
    assert "error: unknown dataset 'movielens-100'" in res.output
    assert "Traceback" not in res.output
    res = CliRunner().invoke(main, ["data", "stats", str(tmp_path / "nope.npz")])
    assert res.exit_code == 2 and "no dataset file" in res.output


def test_zip_member_read_is_streamed_not_extracted(tmp_path: Path) -> None:
    r = release("movielens-1m")
    archive = _zip(tmp_path / r.archive, r.member, _dat())
    r.parse(archive)
    # Parsing reads the member from the archive; no extracted copy is left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == [r.archive]
