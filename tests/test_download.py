"""Downloads against a real HTTP server on 127.0.0.1, and the real PyPI mirror of ML-100K."""

from __future__ import annotations

import functools
import hashlib
import socket
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from omnirec_core.data.download import UrlSource, WheelMemberSource, download, fetch_first
from omnirec_core.errors import DownloadError

PAYLOAD = b"user\titem\n" + b"".join(f"{i}\t{i * 7 % 13}\n".encode() for i in range(5000))
SHA = hashlib.sha256(PAYLOAD).hexdigest()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """Serve ``tmp_path/www`` over HTTP on 127.0.0.1; yields the base URL."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "data.tsv").write_bytes(PAYLOAD)
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _dead_url() -> str:
    """A URL on a local port nobody listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/data.tsv"


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_good_checksum_puts_file_in_place(server: str, tmp_path: Path) -> None:
    dest = tmp_path / "out" / "data.tsv"
    got = download(f"{server}/data.tsv", dest, sha256=SHA, size=len(PAYLOAD), quiet=True)
    assert got == dest
    assert dest.read_bytes() == PAYLOAD
    assert _leftovers(dest.parent) == ["data.tsv"]


def test_progress_bar_path_writes_the_same_file(server: str, tmp_path: Path) -> None:
    dest = tmp_path / "out" / "data.tsv"
    download(f"{server}/data.tsv", dest, sha256=SHA, quiet=False)
    assert dest.read_bytes() == PAYLOAD


def test_bad_checksum_raises_and_leaves_nothing(server: str, tmp_path: Path) -> None:
    dest = tmp_path / "out" / "data.tsv"
    with pytest.raises(DownloadError, match="checksum mismatch") as info:
        download(f"{server}/data.tsv", dest, sha256="0" * 64, quiet=True)
    assert SHA in str(info.value)  # says what it got
    assert not dest.exists()
    assert _leftovers(dest.parent) == []


def test_bad_size_raises_and_leaves_nothing(server: str, tmp_path: Path) -> None:
    dest = tmp_path / "out" / "data.tsv"
    with pytest.raises(DownloadError, match=f"expected {len(PAYLOAD) + 1}"):
        download(f"{server}/data.tsv", dest, size=len(PAYLOAD) + 1, quiet=True)
    assert _leftovers(dest.parent) == []


def test_http_404_is_a_download_error(server: str, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="HTTP 404"):
        download(f"{server}/missing.tsv", tmp_path / "x", quiet=True)
    assert not (tmp_path / "x").exists()


def test_first_mirror_dead_second_works(server: str, tmp_path: Path) -> None:
    sources = [
        UrlSource(_dead_url(), "data.tsv", SHA),
        UrlSource(f"{server}/missing.tsv", "data.tsv", SHA),
        UrlSource(f"{server}/data.tsv", "data.tsv", SHA),
    ]
    got = fetch_first(sources, tmp_path / "dl", quiet=True)
    assert got.read_bytes() == PAYLOAD
    assert _leftovers(tmp_path / "dl") == ["data.tsv"]


def test_every_mirror_failing_lists_each_source_and_reason(server: str, tmp_path: Path) -> None:
    dead = _dead_url()
    sources = [
        UrlSource(dead, "data.tsv", SHA),
        UrlSource(f"{server}/data.tsv", "data.tsv", "f" * 64),
    ]
    with pytest.raises(DownloadError) as info:
        fetch_first(sources, tmp_path / "dl", quiet=True, what="toy data")
    msg = str(info.value)
    assert "toy data" in msg and "2 source(s)" in msg
    assert dead in msg and "could not connect" in msg
    assert f"{server}/data.tsv" in msg and "checksum mismatch" in msg
    assert str(tmp_path / "dl") in msg  # says where to put the file by hand
    assert _leftovers(tmp_path / "dl") == []


def test_present_file_is_reused_without_network(tmp_path: Path) -> None:
    (tmp_path / "data.tsv").write_bytes(b"already here")
    got = fetch_first([UrlSource(_dead_url(), "data.tsv", SHA)], tmp_path, quiet=True)
    assert got.read_bytes() == b"already here"


def test_force_keeps_old_file_when_every_source_fails(tmp_path: Path) -> None:
    (tmp_path / "data.tsv").write_bytes(b"old")
    with pytest.raises(DownloadError):
        fetch_first([UrlSource(_dead_url(), "data.tsv", SHA)], tmp_path, force=True, quiet=True)
    assert (tmp_path / "data.tsv").read_bytes() == b"old"


def test_force_replaces_file_with_verified_copy(server: str, tmp_path: Path) -> None:
    (tmp_path / "data.tsv").write_bytes(b"old")
    fetch_first([UrlSource(f"{server}/data.tsv", "data.tsv", SHA)], tmp_path, force=True, quiet=True)
    assert (tmp_path / "data.tsv").read_bytes() == PAYLOAD


@pytest.mark.slow
def test_wheel_member_with_wrong_checksum_is_rejected(tmp_path: Path) -> None:
    source = WheelMemberSource(
        "recbole==1.2.1", "recbole/dataset_example/ml-100k/ml-100k.inter", "x.inter", "0" * 64
    )
    with pytest.raises(DownloadError, match="checksum mismatch"):
        source.fetch(tmp_path, quiet=True, timeout=60)
    assert _leftovers(tmp_path) == []  # neither the member nor pip's temp dir is left


@pytest.mark.slow
def test_movielens_100k_through_the_pypi_wheel_mirror(tmp_path: Path) -> None:
    """GroupLens is unreachable here, so this really exercises the RecBole wheel mirror."""
    from omnirec_core.data import RecSysDataSet
    from omnirec_core.data.movielens import RECBOLE_ML100K, release

    inter = RECBOLE_ML100K.fetch(tmp_path / "direct", quiet=True, timeout=60)
    assert inter.name == "ml-100k.inter"
    df = release("ml-100k").parse(inter)
    assert (df["user"].nunique(), df["item"].nunique(), len(df)) == (943, 1682, 100_000)

    ds = RecSysDataSet.use_dataloader("movielens-100k", data_dir=tmp_path / "data", quiet=True)
    assert (ds.n_users, ds.n_items, ds.num_interactions()) == (943, 1682, 100_000)
    stats = ds.stats()
    assert (stats.rating_min, stats.rating_max) == (1.0, 5.0)
    raw = tmp_path / "data" / "movielens-100k"
    assert (raw / "ml-100k.zip").exists() or (raw / "ml-100k.inter").exists()
    # The canonical cache makes a second load independent of the network and raw files.
    for f in raw.iterdir():
        if f.suffix != ".npz":
            f.unlink()
    again = RecSysDataSet.use_dataloader("ml-100k", data_dir=tmp_path / "data", quiet=True)
    assert again.fingerprint() == ds.fingerprint()
