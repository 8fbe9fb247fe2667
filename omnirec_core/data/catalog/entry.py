"""A catalogue entry: one dataset, the files it needs, how they are checked and parsed.

Each file is a :class:`RemoteFile`: URLs tried in order (none for a file the user must
fetch by hand), and a published SHA-256 where one exists. Files without one are
checked against the size and SHA-256 recorded at their first download (trust on
first use, see :mod:`omnirec_core.data.catalog.lock`). :class:`CatalogEntry` turns
itself into the :class:`DatasetSpec` the plugin system knows.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from omnirec_core.data.catalog.lock import LockEntry, mismatch_hint, read_lock, record
from omnirec_core.data.catalog.report import collecting
from omnirec_core.data.download import UrlSource, fetch_first, file_sha256
from omnirec_core.errors import DataError, DownloadError
from omnirec_core.plugin.specs import DatasetSpec, Feedback, Integrity

# filename -> local path of every file the entry lists
Parser = Callable[[Mapping[str, Path]], pd.DataFrame]


@dataclass(frozen=True)
class RemoteFile:
    """One file a dataset needs. No ``urls``: the user downloads it by hand.

    ``sha256``/``size`` are a published pin and ``pin_source`` says who published it.
    """

    filename: str
    urls: tuple[str, ...] = ()
    sha256: str | None = None
    size: int | None = None
    pin_source: str = ""

    @property
    def manual(self) -> bool:
        return not self.urls

    @property
    def pinned(self) -> bool:
        return self.sha256 is not None


def _source_label(file: RemoteFile) -> str:
    if file.pinned:
        return f"verified against the pin from {file.pin_source or 'the catalogue'}"
    return "placed by hand" if file.manual else ", ".join(file.urls)


def _check_present(file: RemoteFile, path: Path, recorded: LockEntry | None) -> None:
    """A file already on disk: hashed and recorded the first time, size-checked after."""
    if recorded is None:
        if file.pinned:
            sha, _ = file_sha256(path)
            if sha != file.sha256:
                raise DataError(
                    f"{path} does not match the published checksum (sha256 {file.sha256}, from "
                    f"{file.pin_source or 'the catalogue'}; the file has {sha}). It is damaged or a "
                    "different release: delete it so the right file is downloaded (or placed) again"
                )
        record(path.parent, file.filename, _source_label(file))
        return
    if path.stat().st_size != recorded.size:
        raise DataError(
            f"{path} has {path.stat().st_size:,} bytes, not the {recorded.size:,} recorded when it was "
            f"first used. {mismatch_hint(path.parent, file.filename, recorded)} To fetch a fresh copy "
            "instead, delete the file."
        )


def obtain(file: RemoteFile, directory: Path, *, force: bool = False, what: str = "the dataset") -> Path:
    """The local path of ``file`` in ``directory``, downloaded and verified if needed.

    Every file gets a lock entry the first time it is seen (checked against its pin
    where one is published); later loads compare the size, and downloads the checksum.
    """
    path = directory / file.filename
    recorded = read_lock(directory).get(file.filename)
    if file.manual and not path.is_file():
        raise FileNotFoundError(errno.ENOENT, "dataset file missing", str(path))
    if path.is_file() and (file.manual or not force):
        _check_present(file, path, recorded)
        return path
    sha256, size = file.sha256, file.size
    if not file.pinned and recorded is not None:
        sha256, size = recorded.sha256, recorded.size
    sources = [UrlSource(url, file.filename, sha256, size) for url in file.urls]
    try:
        got = fetch_first(sources, directory, force=force, what=what)
    except DownloadError as exc:
        if recorded is not None and not file.pinned:
            raise DownloadError(f"{exc}\n{mismatch_hint(directory, file.filename, recorded)}") from None
        raise
    if recorded is None:
        record(directory, file.filename, _source_label(file))
    return got


@dataclass(frozen=True)
class CatalogEntry:
    """A dataset of the built-in catalogue."""

    name: str
    family: str
    files: tuple[RemoteFile, ...]
    parser: Parser
    description: str
    feedback: Feedback
    timestamps: bool
    licence: str
    citation: str
    homepage: str
    aliases: tuple[str, ...] = ()
    size: str = ""
    expected: Mapping[str, int] = field(default_factory=dict)
    instructions: str = ""
    notes: str = ""
    max_bad_fraction: float | None = None

    @property
    def manual(self) -> bool:
        return any(f.manual for f in self.files)

    @property
    def integrity(self) -> Integrity:
        pinned = sum(f.pinned for f in self.files)
        if pinned == len(self.files):
            return "pinned"
        return "first-use" if pinned == 0 else "partly-pinned"

    @property
    def urls(self) -> tuple[str, ...]:
        return tuple(url for f in self.files for url in f.urls)

    def fetch(self, raw_dir: Path, force: bool = False) -> dict[str, Path]:
        """Every file, downloaded and verified (or found where the user put it)."""
        return {f.filename: obtain(f, Path(raw_dir), force=force, what=self.name) for f in self.files}

    def load(self, raw_dir: Path, force_download: bool = False) -> pd.DataFrame:
        """Fetch and parse; unusable lines are reported in ``meta["parse_reports"]``, the
        files read and their checksums (published, or recorded on first use) in
        ``meta["source_files"]``."""
        df = self.parse(self.fetch(raw_dir, force_download))
        recorded = read_lock(Path(raw_dir))
        df.attrs["source_files"] = [
            {
                "file": f.filename,
                "from": ", ".join(f.urls) or "placed by hand",
                "sha256": f.sha256 or (recorded[f.filename].sha256 if f.filename in recorded else None),
                "check": "pinned" if f.pinned else "first use",
            }
            for f in self.files
        ]
        return df

    def parse(self, paths: Mapping[str, Path]) -> pd.DataFrame:
        """Parse local files (filename -> path) into interactions in original ids.

        The parse reports travel in ``df.attrs["parse_reports"]`` and end up in the
        dataset's ``meta`` when it is canonicalised.
        """
        with collecting(self.max_bad_fraction) as reports:
            df = self.parser(paths)
        df.attrs["parse_reports"] = [r.as_dict() for r in reports]
        return df

    def licence_note(self) -> str:
        return f"{self.instructions} {self.licence}".strip() if self.instructions else self.licence

    def spec(self) -> DatasetSpec:
        return DatasetSpec(
            name=self.name,
            load=self.load,
            description=self.description,
            source=self.homepage or (self.urls[0] if self.urls else ""),
            size=self.size,
            feedback=self.feedback,
            licence_note=self.licence_note(),
            aliases=self.aliases,
            family=self.family,
            citation=self.citation,
            timestamps=self.timestamps,
            integrity=self.integrity,
            manual=self.manual,
            urls=self.urls,
            expected=dict(self.expected),
            notes=self.notes,
        )


__all__ = ["CatalogEntry", "Parser", "RemoteFile", "obtain"]
