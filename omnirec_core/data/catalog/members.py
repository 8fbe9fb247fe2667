"""Reading a file, or one member of a zip or tar archive, as a stream, never extracted.

``Member(path)`` is a plain or gzip/bzip2-compressed file; ``Member(path, "dir/x.csv")``
one member of the zip or tar archive at ``path`` (a member ending in ``.gz`` or
``.bz2`` is decompressed on the fly too). Nothing is written to disk.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from omnirec_core.errors import DataError

_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2")
# What damaged archives and compressed streams raise, when opened or read.
DAMAGED = (zipfile.BadZipFile, tarfile.TarError, EOFError, gzip.BadGzipFile, zlib.error)


def damaged(path: Path, exc: BaseException) -> DataError:
    return DataError(
        f"{path} is damaged or truncated ({type(exc).__name__}: {exc}); delete it and download it again"
    )


@contextlib.contextmanager
def reading(path: Path) -> Iterator[None]:
    """Turn decompression errors raised while reading ``path`` into a clear DataError."""
    try:
        yield
    except DAMAGED as exc:
        raise damaged(path, exc) from None


def _compression(name: str) -> str | None:
    if name.endswith(".gz") and not name.endswith(".tar.gz"):
        return "gzip"
    if name.endswith(".bz2") and not name.endswith(".tar.bz2"):
        return "bz2"
    return None


def _decompress(fh: IO[bytes], compression: str | None) -> IO[bytes]:
    if compression == "gzip":
        return gzip.GzipFile(fileobj=fh)  # type: ignore[return-value]  # a binary file object
    if compression == "bz2":
        return bz2.BZ2File(fh)
    return fh


@dataclass(frozen=True)
class Member:
    """A file, or a member of an archive, to be read as bytes."""

    path: Path
    inner: str | None = None

    @property
    def label(self) -> str:
        return f"{self.path.name}:{self.inner}" if self.inner else self.path.name

    @property
    def compression(self) -> str | None:
        return _compression(self.inner if self.inner else self.path.name)

    @property
    def is_plain_file(self) -> bool:
        return self.inner is None

    @contextlib.contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        """The decompressed bytes of the file or member.

        A damaged or truncated file, found while opening or while reading, is a
        :class:`DataError` saying to download it again.
        """
        path = Path(self.path)
        if not path.is_file():
            raise FileNotFoundError(2, "dataset file missing", str(path))
        stack = contextlib.ExitStack()
        try:
            if self.inner is None:
                raw: IO[bytes] = stack.enter_context(open(path, "rb"))  # noqa: SIM115 (closed by the stack)
            elif path.name.endswith(_TAR_SUFFIXES):
                tar = stack.enter_context(tarfile.open(path, "r:*"))  # noqa: SIM115 (closed by the stack)
                extracted = tar.extractfile(self.inner)
                if extracted is None:
                    raise KeyError(self.inner)
                raw = stack.enter_context(extracted)
            else:
                zf = stack.enter_context(zipfile.ZipFile(path))
                raw = stack.enter_context(zf.open(self.inner))
            fh = stack.enter_context(_decompress(raw, self.compression))
        except KeyError:
            stack.close()
            raise DataError(
                f"{path} has no member {self.inner!r}; it is not the release omnirec expects "
                "or it is damaged: delete it and download it again"
            ) from None
        except DAMAGED as exc:
            stack.close()
            raise damaged(path, exc) from None
        with stack, reading(path):
            yield fh


def members_of(path: Path) -> list[str]:
    """The member names of a zip or tar archive."""
    try:
        if path.name.endswith(_TAR_SUFFIXES):
            with tarfile.open(path, "r:*") as tar:
                return tar.getnames()
        with zipfile.ZipFile(path) as zf:
            return zf.namelist()
    except (*DAMAGED, OSError) as exc:
        raise damaged(path, exc) from None


__all__ = ["DAMAGED", "Member", "damaged", "members_of", "reading"]
