"""The dataset file: one ``.npz`` archive with a JSON header, no pickles.

Layout: ``__meta__`` (UTF-8 JSON: format name and version, dataset name, kind, lineage,
meta, list of parts), ``user_ids`` / ``item_ids``, and one array per column per part,
named ``<part>/<column>`` (parts: ``raw``, ``train``, ``val``, ``test``, ``fold<i>/<part>``).
"""

from __future__ import annotations

import io
import json
import math
import mmap
import os
import struct
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from omnirec_core.data.canon import COLUMNS
from omnirec_core.data.model import DatasetFields, FoldedData, RawData, SplitData
from omnirec_core.errors import DataError
from omnirec_core.runner.fs import atomic_open

FORMAT = "omnirec-dataset"
VERSION = 1


def _id_array(ids: np.ndarray) -> np.ndarray:
    if ids.dtype.kind in "iufU":
        return ids
    return np.asarray([str(x) for x in ids.tolist()], dtype=str)


def save_dataset(ds: DatasetFields | Any, path: Path) -> Path:
    """Write a dataset (anything with the fields of :class:`DatasetFields`) to ``path``."""
    arrays: dict[str, Any] = {
        "user_ids": _id_array(ds.user_ids),
        "item_ids": _id_array(ds.item_ids),
    }
    parts: list[str] = []

    def add(prefix: str, df: pd.DataFrame) -> None:
        parts.append(prefix)
        for col in COLUMNS:
            if col in df.columns:
                arrays[f"{prefix}/{col}"] = df[col].to_numpy()

    d = ds.data
    if isinstance(d, RawData):
        kind = "raw"
        add("raw", d.df)
    elif isinstance(d, SplitData):
        kind = "split"
        for name, df in d.parts().items():
            add(name, df)
    elif isinstance(d, FoldedData):
        kind = "folded"
        for i, fold in enumerate(d.folds):
            for name, df in fold.parts().items():
                add(f"fold{i}/{name}", df)
    else:
        raise DataError(f"cannot save data of type {type(d).__name__}")
    header = {
        "format": FORMAT,
        "version": VERSION,
        "name": ds.name,
        "kind": kind,
        "parts": parts,
        "lineage": ds.lineage,
        "meta": ds.meta,
    }
    arrays["__meta__"] = np.frombuffer(json.dumps(header, default=str).encode(), dtype=np.uint8)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    with atomic_open(path, "wb") as fh:
        np.savez(fh, **arrays)
    return path


class _NotMappable(Exception):
    """The archive is not a plain stored ``.npz`` of plain arrays: numpy reads it instead."""


class _MappedArchive:
    """The arrays of an uncompressed ``.npz``, mapped from the file copy-on-write.

    A large dataset loads without copying its columns into fresh memory (their pages are
    the page cache's until written to; writes stay private). Each member's CRC-32 is
    checked as ``np.load`` would, so a damaged file is still refused.
    """

    def __init__(self, fh: IO[bytes]) -> None:
        with zipfile.ZipFile(fh) as zf:
            infos = zf.infolist()
        members = {}
        for info in infos:
            if info.compress_type != zipfile.ZIP_STORED or not info.filename.endswith(".npy"):
                raise _NotMappable(info.filename)
            members[info.filename[: -len(".npy")]] = info
        self._members = members
        self.files = list(members)
        self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_COPY)

    def __enter__(self) -> _MappedArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        pass  # the arrays keep the mapping alive; it closes when the last one goes

    def __getitem__(self, name: str) -> np.ndarray:
        info, mm = self._members[name], self._map
        at = info.header_offset
        if mm[at : at + 4] != b"PK\x03\x04":
            raise zipfile.BadZipFile(f"no local header for {info.filename!r}")
        name_len, extra_len = struct.unpack("<HH", mm[at + 26 : at + 30])
        start = at + 30 + name_len + extra_len
        end = start + info.file_size
        if end > len(mm):
            raise EOFError(f"{info.filename!r} runs past the end of the file")
        with memoryview(mm) as view:
            if zlib.crc32(view[start:end]) != info.CRC:
                raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")
        head = io.BytesIO(mm[start : min(end, start + 65_600)])  # magic + the largest header
        version = np.lib.format.read_magic(head)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(head)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(head)
        else:
            raise ValueError(f"{info.filename!r}: npy format version {version} is not read here")
        if dtype.hasobject:
            raise ValueError(f"{info.filename!r} holds Python objects (pickles are not read)")
        offset = start + head.tell()
        if offset + math.prod(shape) * dtype.itemsize > end:
            raise EOFError(f"{info.filename!r} is shorter than its header says")
        return np.ndarray(shape, dtype=dtype, buffer=mm, offset=offset, order="F" if fortran else "C")


def _open_archive(fh: IO[bytes]) -> Any:
    """The dataset file's arrays: mapped when it is a plain stored ``.npz`` (as omnirec
    writes them) on a POSIX system, else read by ``np.load``."""
    if os.name == "posix":
        try:
            return _MappedArchive(fh)
        except (_NotMappable, zipfile.BadZipFile, ValueError, OSError):
            fh.seek(0)  # something else: numpy reads it (and names what is wrong)
    return np.load(fh, allow_pickle=False)


def _frame(z: Any, prefix: str) -> pd.DataFrame:
    cols = {c: z[f"{prefix}/{c}"] for c in COLUMNS if f"{prefix}/{c}" in z.files}
    if "user" not in cols or "item" not in cols:
        raise KeyError(f"part {prefix!r} has no user/item columns")
    return pd.DataFrame(cols, copy=False)  # the arrays are this frame's: no second copy


def load_dataset(path: Path) -> DatasetFields:
    """The fields of the dataset file at ``path`` (a clear DataError when it is not one)."""
    if not path.exists() and path.with_name(path.name + ".npz").exists():
        path = path.with_name(path.name + ".npz")
    if not path.exists():
        raise DataError(f"no dataset file at {path}")
    try:
        # Our own handle: np.load leaks the file it opened when the zip is corrupt.
        with open(path, "rb") as fh:
            loaded = _open_archive(fh)
            if isinstance(loaded, np.ndarray):  # a bare .npy array
                raise DataError(f"{path} is not an omnirec dataset file (a plain numpy array)")
            with loaded as z:
                if "__meta__" not in z.files:
                    raise DataError(f"{path} is not an omnirec dataset file (no header)")
                header = json.loads(z["__meta__"].tobytes().decode())
                if header.get("format") != FORMAT:
                    raise DataError(
                        f"{path} is not an omnirec dataset file (format {header.get('format')!r})"
                    )
                if header.get("version") != VERSION:
                    raise DataError(
                        f"{path} has dataset format version {header.get('version')!r}; this omnirec "
                        f"reads version {VERSION}. Upgrade omnirec-core or re-create the file."
                    )
                kind = header["kind"]
                if kind == "raw":
                    data: Any = RawData(_frame(z, "raw"))
                elif kind == "split":
                    data = _split(z, "", header["parts"])
                elif kind == "folded":
                    n = len({p.split("/")[0] for p in header["parts"]})
                    data = FoldedData([_split(z, f"fold{i}/", header["parts"]) for i in range(n)])
                else:
                    raise DataError(f"{path}: unknown data kind {kind!r}")
                user_ids, item_ids = z["user_ids"], z["item_ids"]
    except DataError:
        raise
    except (zipfile.BadZipFile, ValueError, KeyError, OSError, EOFError, json.JSONDecodeError) as exc:
        raise DataError(
            f"{path} is corrupt or truncated ({type(exc).__name__}: {exc}); re-create it with save()"
        ) from None
    return DatasetFields(
        header["name"], data, user_ids, item_ids, lineage=header["lineage"], meta=header["meta"]
    )


def _split(z: Any, prefix: str, parts: list[str]) -> SplitData:
    val = _frame(z, f"{prefix}val") if f"{prefix}val" in parts else None
    return SplitData(_frame(z, f"{prefix}train"), _frame(z, f"{prefix}test"), val)
